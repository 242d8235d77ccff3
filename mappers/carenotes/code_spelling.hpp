#pragma once
// Care-notes spells closed codes in PascalCase (FaceToFace); the canonical record
// and FHIR in kebab-case (face-to-face). One rule converts both ways, so the XSD
// enumerations and model/codes.hpp cannot drift apart without a test failing.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "model/codes.hpp"

namespace carebridge::carenotes {

// True when `pascal` is the PascalCase spelling of `kebab` ("NotStarted", "not-started").
bool is_pascal_spelling_of(std::string_view pascal, std::string_view kebab);

// The PascalCase spelling, NUL-terminated for libxml2; empty when the code is
// empty, too long or not lower-kebab-case.
class PascalSpelling {
public:
    explicit PascalSpelling(std::string_view kebab);
    bool empty() const { return size_ == 0; }
    const char* c_str() const { return text_; }
    std::string_view view() const { return {text_, size_}; }

private:
    char text_[48] = {};
    std::size_t size_ = 0;
};

// kebab-case from PascalCase, for FHIR codes the canonical record keeps as strings.
std::string kebab_spelling(std::string_view pascal);

// A canonical enum from its care-notes spelling; nullopt for anything else.
template <typename Enum> std::optional<Enum> parse_pascal(std::string_view pascal) {
    for (int i = 0;; ++i) {
        const std::string_view kebab = model::to_string(static_cast<Enum>(i));
        if (kebab.empty()) return std::nullopt;
        if (is_pascal_spelling_of(pascal, kebab)) return static_cast<Enum>(i);
    }
}

// FHIR codes kept as strings in the canonical record but closed in care-notes:
// the XSD enumerates exactly these.
bool is_name_use(std::string_view kebab);         // FHIR name-use
bool is_goal_status(std::string_view kebab);      // FHIR Goal.lifecycleStatus
bool is_activity_status(std::string_view kebab);  // FHIR CarePlan.activity.detail.status

// Diagnosis code systems: canonical "icd-10" ↔ Icd10, "snomed" ↔ Snomed.
std::string_view diagnosis_system_spelling(std::string_view canonical);  // empty: unknown
std::string_view diagnosis_system_canonical(std::string_view pascal);    // empty: unknown

}  // namespace carebridge::carenotes
