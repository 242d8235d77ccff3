#pragma once
// Behaviour of a decode, passed in by the caller, never global.

#include <cstddef>

namespace carebridge::codec {

// strict: an element the mapper does not know is an error and the document is
// rejected. lenient: it is a warning and the rest is carried.
enum class Strictness { lenient, strict };

// Limits on what comes from outside. Each breach is a fatal issue of type
// too-long naming the limit, never a crash or an unbounded allocation.
struct Limits {
    std::size_t max_document_bytes = 8u << 20;  // a referral is KBs; 8 MiB is generous
    std::size_t max_depth = 64;                 // FHIR referral bundles nest < 15 deep
    std::size_t max_string_bytes = 1u << 20;    // one free-text note; 1 MiB
};

struct DecodeOptions {
    Strictness strictness = Strictness::lenient;
    Limits limits;
};

// Care-notes exports are streamed client by client: the file may be gigabytes,
// each client is bounded instead.
struct StreamLimits {
    std::size_t max_client_bytes = 8u << 20;  // one client's subtree, serialised
    std::size_t max_depth = 32;               // the XSD nests 6 deep
    std::size_t max_string_bytes = 1u << 20;  // one attribute value or text
    // Checked on the raw bytes before libxml2 parses them (codec/xml_screen.hpp):
    // libxml2's duplicate-attribute check grows with the square of the count.
    std::size_t max_attributes_per_element = 64;  // the XSD's elements have at most 4
    std::size_t max_name_bytes = 256;             // element and attribute names
    std::size_t max_client_elements = 100'000;    // elements in one <Client>
};

}  // namespace carebridge::codec
