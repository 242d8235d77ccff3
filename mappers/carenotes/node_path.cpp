#include "carenotes/node_path.hpp"

#include <array>
#include <cstring>
#include <string_view>

#include "carenotes/export_format.hpp"

namespace carebridge::carenotes {
namespace {

std::string_view name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

// Elements the XSD lets repeat; paths index them even when there is only one.
constexpr std::array<std::string_view, 20> repeating{
    "Client",     "Given",        "Line",           "Diagnosis",        "Referral", "Need",  "ComplexityFlag",
    "Flag",       "OrganisationType", "Organisation", "Purpose",        "Member",   "RequestedService",
    "Team",       "Event",        "CarePlan",       "Goal",             "Activity", "Domain", "Contact"};

bool repeats(const xmlNode* n) {
    const std::string_view name = name_of(n);
    if (name == "Admission") return true;
    // Demographics.Name repeats; CareTeam.Member.Name does not.
    if (name == "Name") return n->parent && name_of(n->parent) == "Demographics";
    for (std::string_view r : repeating)
        if (r == name) return true;
    return false;
}

bool same_name(const xmlNode* a, const xmlNode* b) {
    if (a->type != XML_ELEMENT_NODE || name_of(a) != name_of(b)) return false;
    // Two declarations of one namespace are distinct xmlNs objects: compare the URIs.
    if (a->ns == b->ns) return true;
    return a->ns && b->ns && std::strcmp(reinterpret_cast<const char*>(a->ns->href),
                                         reinterpret_cast<const char*>(b->ns->href)) == 0;
}

void append_element(std::string& out, const xmlNode* n) {
    out += '.';
    if (n->ns && n->ns->prefix) {
        out += reinterpret_cast<const char*>(n->ns->prefix);
        out += ':';
    }
    out += name_of(n);
    // A singular element is indexed only when duplicated (an XSD error) so the
    // reader can tell which one is meant.
    bool indexed = repeats(n);
    std::size_t index = 0;
    for (const xmlNode* p = n->prev; p; p = p->prev)
        if (same_name(p, n)) ++index;
    if (!indexed) {
        indexed = index > 0;
        for (const xmlNode* f = n->next; f && !indexed; f = f->next) indexed = same_name(f, n);
    }
    if (indexed) {
        out += '[';
        out += std::to_string(index);
        out += ']';
    }
}

}  // namespace

std::string node_path(const xmlNode* node, std::size_t client_index) {
    std::string_view attribute;
    if (node && node->type == XML_ATTRIBUTE_NODE) {
        attribute = name_of(node);
        node = node->parent;
    }
    // Ancestors from the node up to (not including) the root element; the
    // depth is bounded by the reader's depth limit.
    std::array<const xmlNode*, 300> chain{};
    std::size_t depth = 0;
    for (const xmlNode* n = node; n && n->type == XML_ELEMENT_NODE && depth < chain.size(); n = n->parent) {
        if (!n->parent || n->parent->type != XML_ELEMENT_NODE) break;  // n is the root
        chain[depth++] = n;
    }
    std::string out = export_root;
    for (std::size_t i = depth; i-- > 0;) {
        const xmlNode* n = chain[i];
        if (i == depth - 1 && name_of(n) == export_client) {
            out += ".Client[";
            out += std::to_string(client_index);
            out += ']';
            continue;
        }
        append_element(out, n);
    }
    if (!attribute.empty()) {
        out += '.';
        out += attribute;
    }
    return out;
}

}  // namespace carebridge::carenotes
