#include "carenotes/code_spelling.hpp"

#include <array>

namespace carebridge::carenotes {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
char upper(char c) { return static_cast<char>(c - 'a' + 'A'); }
char lower(char c) { return static_cast<char>(c - 'A' + 'a'); }

constexpr std::array<std::string_view, 7> name_uses{"usual", "official", "temp", "nickname",
                                                    "anonymous", "old", "maiden"};
constexpr std::array<std::string_view, 9> goal_statuses{
    "proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled", "entered-in-error",
    "rejected"};
constexpr std::array<std::string_view, 9> activity_statuses{
    "not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown",
    "entered-in-error"};

template <std::size_t N> bool contains(const std::array<std::string_view, N>& set, std::string_view v) {
    for (std::string_view s : set)
        if (s == v) return true;
    return false;
}

}  // namespace

bool is_pascal_spelling_of(std::string_view pascal, std::string_view kebab) {
    std::size_t p = 0;
    bool word_start = true;
    for (char k : kebab) {
        if (k == '-') {
            word_start = true;
            continue;
        }
        if (p >= pascal.size()) return false;
        const char expected = word_start && is_lower(k) ? upper(k) : k;
        if (pascal[p++] != expected) return false;
        word_start = false;
    }
    return p == pascal.size();
}

PascalSpelling::PascalSpelling(std::string_view kebab) {
    if (kebab.empty() || kebab.size() >= sizeof(text_)) return;
    bool word_start = true;
    std::size_t n = 0;
    for (char k : kebab) {
        if (k == '-') {
            if (word_start) return;  // "--" or a leading '-' has no PascalCase spelling
            word_start = true;
            continue;
        }
        if (!is_lower(k) && !is_digit(k)) return;
        text_[n++] = word_start && is_lower(k) ? upper(k) : k;
        word_start = false;
    }
    if (word_start) return;  // trailing '-'
    text_[n] = '\0';
    size_ = n;
}

std::string kebab_spelling(std::string_view pascal) {
    std::string out;
    out.reserve(pascal.size() + 4);
    for (std::size_t i = 0; i < pascal.size(); ++i) {
        const char c = pascal[i];
        if (is_upper(c)) {
            if (i > 0) out += '-';
            out += lower(c);
        } else {
            out += c;
        }
    }
    return out;
}

bool is_name_use(std::string_view kebab) { return contains(name_uses, kebab); }
bool is_goal_status(std::string_view kebab) { return contains(goal_statuses, kebab); }
bool is_activity_status(std::string_view kebab) { return contains(activity_statuses, kebab); }

std::string_view diagnosis_system_spelling(std::string_view canonical) {
    if (canonical == "icd-10") return "Icd10";
    if (canonical == "snomed") return "Snomed";
    return {};
}

std::string_view diagnosis_system_canonical(std::string_view pascal) {
    if (pascal == "Icd10") return "icd-10";
    if (pascal == "Snomed") return "snomed";
    return {};
}

}  // namespace carebridge::carenotes
