#pragma once
// One <Client> element, already checked against the XSD, → PersonRecord. The XSD
// guarantees the structure; this adds what the XSD cannot say (NHS number
// modulus 11, real calendar dates) and reports foreign-namespace extension
// elements, which the canonical record cannot carry.

#include <libxml/tree.h>

#include "issues/element_path.hpp"
#include "issues/issue.hpp"
#include "model/record.hpp"
#include "codec/options.hpp"

namespace carebridge::carenotes {

// Fills `record` from `client`; issues go to `sink` under `path`
// (e.g. CareNotesExport.Client[3]). False when an error was reported.
bool decode_client(const xmlNode* client, const issues::ElementPath& path, codec::Strictness strictness,
                   model::PersonRecord& record, issues::IssueSink& sink);

}  // namespace carebridge::carenotes
