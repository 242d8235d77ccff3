#include "policy/terminology.hpp"

#include <algorithm>

namespace carebridge::gateway::policy {
namespace {

bool word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool ends_with(std::string_view word, std::string_view tail) { return word.ends_with(tail); }

// The singular of one word in lower case (terminology.hpp gives the rules).
void singular(std::string& word) {
    if (word.size() < 4) return;
    if (ends_with(word, "ies")) {
        word.replace(word.size() - 3, 3, "y");
    } else if (ends_with(word, "sses") || ends_with(word, "ches") || ends_with(word, "shes") ||
               ends_with(word, "xes")) {
        word.resize(word.size() - 2);
    } else if (ends_with(word, "ss") || ends_with(word, "us") || ends_with(word, "is")) {
        return;
    } else if (word.back() == 's') {
        word.pop_back();
    }
}

}  // namespace

std::string normalise(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::string word;
    const auto flush = [&] {
        if (word.empty()) return;
        singular(word);
        if (!out.empty()) out += ' ';
        out += word;
        word.clear();
    };
    for (const char raw : text) {
        auto c = static_cast<unsigned char>(raw);
        if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
        if (c == '\'') continue;  // "carer's" is one word
        if (word_byte(c))
            word += static_cast<char>(c);
        else
            flush();
    }
    flush();
    return out;
}

std::string NeedMatch::describe() const {
    std::string out;
    if (matched()) {
        out = "need " + std::string(model::to_string(code)) + " " + how;
        if (!unknown_code.empty()) out += " (" + unknown_code + " is not in the terminology table)";
    } else if (!unknown_code.empty()) {
        out = unknown_code + " is not in the terminology table";
    }
    return out;
}

std::optional<Terminology> Terminology::create(const config::Terminology& table, std::string& error) {
    Terminology t;
    for (const config::TerminologyEntry& e : table.snomed) {
        if (!t.snomed_.try_emplace(e.key, Entry{e.need, e.service, {}}).second) {
            error = "terminology.snomed." + e.key + ": appears twice";
            return std::nullopt;
        }
    }
    for (const config::TerminologyEntry& e : table.phrases) {
        const std::string normal = normalise(e.key);
        if (normal.empty()) {
            error = "terminology.phrases." + e.key + ": has no words";
            return std::nullopt;
        }
        if (normal != e.key) {
            error = "terminology.phrases." + e.key + ": is not in normal form; write \"" + normal + "\"";
            return std::nullopt;
        }
        t.phrases_.push_back(Entry{e.need, e.service, normal});
    }
    for (std::size_t i = 0; i < t.phrases_.size(); ++i) {
        const std::string& phrase = t.phrases_[i].phrase;
        t.by_first_word_[phrase.substr(0, phrase.find(' '))].push_back(i);
    }
    // Longest first, so "housing advice" wins over "housing" where both start; the file's order breaks ties.
    for (auto& [word, list] : t.by_first_word_)
        std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
            return t.phrases_[a].phrase.size() > t.phrases_[b].phrase.size();
        });
    return t;
}

// The longest phrase that stands in `text` as whole words; of equally long ones, the first in the text.
const Terminology::Entry* Terminology::find_phrase(std::string_view text) const {
    const std::string normal = normalise(text);
    const Entry* best = nullptr;
    std::size_t start = 0;
    while (start < normal.size()) {
        const std::size_t space = normal.find(' ', start);
        const std::size_t end = space == std::string::npos ? normal.size() : space;
        if (const auto it = by_first_word_.find(normal.substr(start, end - start)); it != by_first_word_.end()) {
            const std::string_view rest = std::string_view(normal).substr(start);
            for (const std::size_t i : it->second) {
                const std::string& phrase = phrases_[i].phrase;
                if (best && phrase.size() <= best->phrase.size()) break;  // no longer than the one found
                const bool whole_words = rest.starts_with(phrase) && (rest.size() == phrase.size() || rest[phrase.size()] == ' ');
                if (whole_words) {
                    best = &phrases_[i];
                    break;
                }
            }
        }
        start = end + 1;
    }
    return best;
}

NeedMatch Terminology::match(const model::NeedItem& need, std::size_t index) const {
    NeedMatch m;
    m.need = index;
    if (need.coding.system == snomed_system && !need.coding.code.empty()) {
        if (const auto it = snomed_.find(need.coding.code); it != snomed_.end()) {
            m.code = it->second.need;
            m.service = it->second.service;
            m.how = "matched by SNOMED CT " + need.coding.code;
            return m;
        }
        m.unknown_code = "SNOMED CT " + need.coding.code;
    }
    for (const std::string* text : {&need.text, &need.coding.display}) {
        if (text->empty()) continue;
        if (const Entry* e = find_phrase(*text)) {
            m.code = e->need;
            m.service = e->service;
            m.how = "matched by text \"" + e->phrase + "\"";
            return m;
        }
    }
    return m;
}

std::vector<NeedMatch> Terminology::match(const model::Referral& referral) const {
    std::vector<NeedMatch> out;
    for (std::size_t i = 0; i < referral.needs.size(); ++i) {
        const model::NeedItem& need = referral.needs[i];
        if (need.code != model::Need::other || (need.coding.empty() && need.text.empty())) continue;
        NeedMatch m = match(need, i);
        if (m.matched() || !m.unknown_code.empty()) out.push_back(std::move(m));
    }
    return out;
}

}  // namespace carebridge::gateway::policy
