#pragma once
// How a FHIR Reference finds what it names, in one order for every decoder
// (R4 JSON, and the care-notes XML and STU3 readers, which turn their input
// into the R4 JSON shape and call fhir::decode):
//   1. a resource in the document, by fullUrl or `[base/]Type/id[/_history/v]`
//      (absolute, relative and urn:uuid: forms);
//   2. a contained resource, `#id`, of the resource holding the reference;
//   3. a logical identifier in a system the record knows: the NHS number; ODS
//      organisation and site codes; SDS user and role profile ids; GMC, GMP,
//      NMC and HCPC professional codes;
//   4. the display alone, as a last resort (the caller warns).
// A literal reference that finds nothing is `outside` the document; NHS APIs
// send such references with the identifier beside them, which still resolves.

#include <cstddef>
#include <string_view>

#include "fhir/bundle_index.hpp"
#include "fhir/object_reader.hpp"

namespace carebridge::fhir {

enum class IdentifierKind : unsigned char {
    unknown,           // no system, or one the record does not know
    nhs_number,        // https://fhir.nhs.uk/Id/nhs-number
    ods_organisation,  // https://fhir.nhs.uk/Id/ods-organization-code (also BaRS's lower-case /id/)
    ods_site,          // https://fhir.nhs.uk/Id/ods-site-code
    sds_user,          // https://fhir.nhs.uk/Id/sds-user-id
    sds_role,          // https://fhir.nhs.uk/Id/sds-role-profile-id
    gmc,               // https://fhir.hl7.org.uk/Id/gmc-number
    gmp,               // https://fhir.hl7.org.uk/Id/gmp-number
    nmc,               // https://fhir.hl7.org.uk/Id/nmc-number
    hcpc,              // https://fhir.hl7.org.uk/Id/hcpc-number
};

IdentifierKind identifier_kind(std::string_view system);
// The last part of the system's URL ("nhs-number", "ods-site-code", …); "" for unknown.
std::string_view identifier_kind_name(IdentifierKind kind);
inline bool names_organisation(IdentifierKind k) {
    return k == IdentifierKind::ods_organisation || k == IdentifierKind::ods_site;
}
inline bool names_professional(IdentifierKind k) {
    return k == IdentifierKind::sds_user || k == IdentifierKind::sds_role || k == IdentifierKind::gmc ||
           k == IdentifierKind::gmp || k == IdentifierKind::nmc || k == IdentifierKind::hcpc;
}

enum class Resolution : unsigned char {
    none,        // nothing to go on (an empty Reference, or an unknown identifier alone)
    document,    // a resource in the document
    contained,   // a contained resource
    identifier,  // a known logical identifier; no resource
    display,     // only the display
};

// "document", "contained", "identifier", "display", "none".
std::string_view resolution_name(Resolution how);

struct Resolved {
    Resolution how = Resolution::none;
    std::size_t index = no_entry;  // the BundleIndex position, for document and contained
    // The reference's identifier, whichever step resolved it: a reference may
    // carry both, and the decoder checks that they agree.
    IdentifierKind kind = IdentifierKind::unknown;
    std::string_view value;
    bool outside = false;  // the literal reference names nothing in the document
};

class ReferenceResolver {
public:
    explicit ReferenceResolver(const BundleIndex& index) : index_(index) {}
    // `from`: the index position of the resource that holds the reference,
    // for `#id`; no_entry when unknown (then `#id` does not resolve).
    Resolved resolve(const Ref& ref, std::size_t from) const;

private:
    const BundleIndex& index_;
};

// An NHS number as written ("943 476 5919") as ten digits; "" when it is not
// ten digits passing the modulus 11 check.
std::string nhs_number_digits(std::string_view value);

}  // namespace carebridge::fhir
