#pragma once
// What a referral's reasons mean to the partnership. EPRs code the reason for
// a referral in SNOMED CT, or write it as text, in ServiceRequest.code,
// .category or .reasonCode; the partnership's needs are its own codes. The
// decoders keep such a reason as need 'other' with its words and coding
// (model::NeedItem); the table in config/terminology/ says what it means.
//
// Rules, for each need the sender left as 'other':
// - a SNOMED CT coding (http://snomed.info/sct) whose concept id is in the
//   table gives the table's need: "matched by SNOMED CT 1082621000000104";
// - otherwise its text, then the coding's display, in normal form (below): the
//   longest phrase of the table found in it as whole words gives the need:
//   "matched by text \"housing advice\"";
// - a SNOMED CT concept not in the table is never an error: the need stays
//   'other', and the routing decision names the code.
//
// Normal form: ASCII letters in lower case; apostrophes removed ("carer's"
// → "carers"); every other byte that is not a letter, a digit or part of a
// multi-byte UTF-8 character becomes a space; spaces collapsed and trimmed;
// each word of four or more letters made singular: "-ies" → "-y",
// "-sses", "-ches", "-shes", "-xes" lose "es", words ending "ss", "us" or
// "is" are kept ("crisis", "stress"), else a final "s" goes ("benefits" →
// "benefit"). Phrases in the table must be written in normal form.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "model/record.hpp"

namespace carebridge::gateway::policy {

inline constexpr std::string_view snomed_system = "http://snomed.info/sct";

// `text` in normal form (above).
std::string normalise(std::string_view text);

// What the table made of one of the referral's needs.
struct NeedMatch {
    std::size_t need = 0;                  // index in Referral::needs
    model::Need code = model::Need::other; // 'other': nothing matched
    std::string service;                   // a requested service the entry implies; empty: none
    std::string how;          // "matched by SNOMED CT 1234" or "matched by text \"phrase\""; empty: unmatched
    std::string unknown_code; // "SNOMED CT 1234" when the sender's concept is not in the table

    bool matched() const { return code != model::Need::other; }
    // One clause for a decision: "need isolation matched by SNOMED CT 1234".
    std::string describe() const;
};

class Terminology {
public:
    // nullopt, with `error` one line naming the key, when a phrase is not in
    // normal form or two rows say the same thing twice.
    static std::optional<Terminology> create(const config::Terminology& table, std::string& error);
    Terminology() = default;

    bool empty() const { return snomed_.empty() && phrases_.empty(); }

    // A match for every need of `referral` that is 'other' and has a coding or
    // text; empty when there is none (the common case costs one pass over the needs).
    std::vector<NeedMatch> match(const model::Referral& referral) const;
    NeedMatch match(const model::NeedItem& need, std::size_t index) const;

private:
    struct Entry {
        model::Need need = model::Need::other;
        std::string service;
        std::string phrase;  // in normal form: "housing advice"
    };
    const Entry* find_phrase(std::string_view text) const;

    std::unordered_map<std::string, Entry> snomed_;
    std::vector<Entry> phrases_;
    // Phrases by their first word, longest first, so a text is read once, word by word.
    std::unordered_map<std::string, std::vector<std::size_t>> by_first_word_;
};

}  // namespace carebridge::gateway::policy
