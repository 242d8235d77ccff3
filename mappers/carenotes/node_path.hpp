#pragma once
// The element path of a node in a streamed care-notes export, rendered the way
// every mapper renders paths: CareNotesExport.Client[12].Referral[0].Priority.
// Used when libxml2 names a node (XSD errors, limits); the decoder itself
// builds paths with issues::ElementPath as it walks.

#include <cstddef>
#include <string>

#include <libxml/tree.h>

namespace carebridge::carenotes {

// `client_index` is the position of the enclosing <Client> in the export: the
// clients before it have been freed, so it cannot be counted from siblings.
// Repeating elements carry an index; an attribute renders as a last `.name`.
std::string node_path(const xmlNode* node, std::size_t client_index);

}  // namespace carebridge::carenotes
