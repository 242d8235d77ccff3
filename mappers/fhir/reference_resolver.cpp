#include "fhir/reference_resolver.hpp"

#include <string>

#include "fhir/uk_core.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

struct KnownSystem {
    std::string_view system;
    IdentifierKind kind;
};

constexpr KnownSystem known_systems[] = {
    {uk_core::nhs_number_system, IdentifierKind::nhs_number},
    {uk_core::ods_organization_system, IdentifierKind::ods_organisation},
    {"https://fhir.nhs.uk/id/ods-organization-code", IdentifierKind::ods_organisation},
    {"https://fhir.nhs.uk/Id/ods-site-code", IdentifierKind::ods_site},
    {"https://fhir.nhs.uk/Id/sds-user-id", IdentifierKind::sds_user},
    {"https://fhir.nhs.uk/Id/sds-role-profile-id", IdentifierKind::sds_role},
    {"https://fhir.hl7.org.uk/Id/gmc-number", IdentifierKind::gmc},
    {"https://fhir.hl7.org.uk/Id/gmp-number", IdentifierKind::gmp},
    {"https://fhir.hl7.org.uk/Id/nmc-number", IdentifierKind::nmc},
    {"https://fhir.hl7.org.uk/Id/hcpc-number", IdentifierKind::hcpc},
};

}  // namespace

IdentifierKind identifier_kind(std::string_view system) {
    for (const KnownSystem& known : known_systems)
        if (known.system == system) return known.kind;
    return IdentifierKind::unknown;
}

std::string_view identifier_kind_name(IdentifierKind kind) {
    if (kind == IdentifierKind::unknown) return {};
    for (const KnownSystem& known : known_systems)
        if (known.kind == kind) return known.system.substr(known.system.rfind('/') + 1);
    return {};
}

std::string_view resolution_name(Resolution how) {
    switch (how) {
    case Resolution::document: return "document";
    case Resolution::contained: return "contained";
    case Resolution::identifier: return "identifier";
    case Resolution::display: return "display";
    case Resolution::none: break;
    }
    return "none";
}

Resolved ReferenceResolver::resolve(const Ref& ref, std::size_t from) const {
    Resolved out;
    out.kind = ref.identifier_value.empty() ? IdentifierKind::unknown : identifier_kind(ref.identifier_system);
    if (out.kind != IdentifierKind::unknown) out.value = ref.identifier_value;
    if (!ref.reference.empty()) {
        if (ref.reference.front() == '#') {
            out.index = index_.resolve_contained(ref.reference, from);
            if (out.index != no_entry) {
                out.how = index_[out.index].container == no_entry ? Resolution::document : Resolution::contained;
                return out;
            }
        } else {
            out.index = index_.resolve(ref.reference);
            if (out.index != no_entry) {
                out.how = Resolution::document;
                return out;
            }
        }
        out.outside = true;
    }
    if (out.kind != IdentifierKind::unknown)
        out.how = Resolution::identifier;
    else if (!ref.display.empty())
        out.how = Resolution::display;
    return out;
}

std::string nhs_number_digits(std::string_view value) {
    std::string digits;
    digits.reserve(10);
    for (char c : value)
        if (c != ' ') digits += c;
    if (!model::is_valid_nhs_number(digits)) digits.clear();
    return digits;
}

}  // namespace carebridge::fhir
