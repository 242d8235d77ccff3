#include "policy/glossary.hpp"

#include <algorithm>

namespace carebridge::gateway::policy {
namespace {

// Bytes of multi-byte UTF-8 sequences count as letters, so "CPAé" is one word.
bool word_character(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80;
}

// "Care Programme Approach (CPA)" or "CPA (Care Programme Approach)" around
// the occurrence of `term` at `at` in `text`.
bool already_explained(std::string_view text, std::size_t at, const config::GlossaryEntry& entry) {
    const std::string before = entry.expansion + " (";
    const std::string_view after_term = text.substr(at + entry.term.size());
    if (at >= before.size() && text.substr(at - before.size(), before.size()) == before && after_term.starts_with(')'))
        return true;
    return after_term.starts_with(" (" + entry.expansion + ")");
}

}  // namespace

Glossary::Glossary(const std::vector<config::GlossaryEntry>& entries) : entries_(entries) {
    std::stable_sort(entries_.begin(), entries_.end(),
                     [](const config::GlossaryEntry& a, const config::GlossaryEntry& b) {
                         return a.term.size() > b.term.size();
                     });
}

std::string Glossary::expand(std::string_view text, std::set<std::string>* expanded) const {
    if (entries_.empty()) return std::string(text);
    std::string out;
    out.reserve(text.size());
    std::set<std::string_view> seen;  // terms met in this text already
    std::size_t i = 0;
    while (i < text.size()) {
        const config::GlossaryEntry* found = nullptr;
        if (i == 0 || !word_character(text[i - 1]))
            for (const config::GlossaryEntry& entry : entries_) {
                const std::size_t end = i + entry.term.size();
                if (text.substr(i).starts_with(entry.term) && (end == text.size() || !word_character(text[end]))) {
                    found = &entry;
                    break;
                }
            }
        if (!found) {
            out += text[i++];
            continue;
        }
        const bool first = seen.insert(found->term).second;
        if (first && !already_explained(text, i, *found)) {
            out += found->expansion + " (" + found->term + ")";
            if (expanded) expanded->insert(found->term);
        } else {
            out += found->term;
        }
        i += found->term.size();
    }
    return out;
}

std::vector<std::string> Glossary::expand_free_text(model::PersonRecord& record) const {
    std::set<std::string> expanded;
    if (entries_.empty()) return {};
    const auto apply = [&](std::string& text) {
        if (!text.empty()) text = expand(text, &expanded);
    };
    for (model::Referral& referral : record.referrals) {
        apply(referral.status_reason);
        for (model::NeedItem& need : referral.needs) apply(need.text);
        apply(referral.risk.summary);
        for (model::Hop& hop : referral.history) apply(hop.reason);
        apply(referral.notes);
    }
    for (model::CarePlan& plan : record.care_plans) {
        apply(plan.title);
        for (model::Goal& goal : plan.goals) apply(goal.description);
        for (model::Activity& activity : plan.activities) apply(activity.description);
        apply(plan.crisis_plan);
        apply(plan.contingency_plan);
    }
    return {expanded.begin(), expanded.end()};
}

}  // namespace carebridge::gateway::policy
