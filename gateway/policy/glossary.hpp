#pragma once
// Plain language for VCSE partners: clinical abbreviations in free text are
// followed by what they stand for, so "Danny is on CPA" reaches a befriending
// charity as "Danny is on Care Programme Approach (CPA)".
//
// Rules:
// - A term matches as a whole word (no letter or digit on either side;
//   bytes of multi-byte UTF-8 count as letters) and with its exact case, since
//   abbreviations are case-sensitive ("CPA" yes, "cpa" no).
// - Only its first occurrence in each text field is expanded: each field is
//   read on its own (the notes, the crisis plan), and repeating the expansion
//   within one text only makes it longer.
// - A term already explained where it stands ("Care Programme Approach (CPA)"
//   or "CPA (Care Programme Approach)") is left as it is, so expanding twice
//   changes nothing.
// - Where two terms start at one place the longer wins ("CMHT" before "CMH").
//
// The free text it reads: the referral's status reason, need texts, risk
// summary, hop reasons and notes; each care plan's title, goal and activity
// descriptions, crisis plan and contingency plan.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "model/record.hpp"

namespace carebridge::gateway::policy {

class Glossary {
public:
    Glossary() = default;
    explicit Glossary(const std::vector<config::GlossaryEntry>& entries);

    bool empty() const { return entries_.empty(); }

    // `text` with the first whole-word occurrence of each term expanded; the
    // terms expanded are added to `expanded` when it is given.
    std::string expand(std::string_view text, std::set<std::string>* expanded = nullptr) const;

    // Expands every free-text field of `record` in place; returns the terms
    // expanded anywhere, sorted, for the audit log.
    std::vector<std::string> expand_free_text(model::PersonRecord& record) const;

private:
    std::vector<config::GlossaryEntry> entries_;  // longest term first
};

}  // namespace carebridge::gateway::policy
