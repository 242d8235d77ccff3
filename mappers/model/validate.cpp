#include "model/validate.hpp"

namespace carebridge::model {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool digits_at(std::string_view s, std::size_t pos, std::size_t n) {
    if (s.size() < pos + n) return false;
    for (std::size_t i = pos; i < pos + n; ++i)
        if (!is_digit(s[i])) return false;
    return true;
}

int number_at(std::string_view s, std::size_t pos, std::size_t n) {
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// YYYY-MM-DD at the start of s (exactly ten characters).
bool full_date_prefix(std::string_view s) {
    if (!digits_at(s, 0, 4) || s.size() < 10 || s[4] != '-' || !digits_at(s, 5, 2) || s[7] != '-' ||
        !digits_at(s, 8, 2))
        return false;
    const int year = number_at(s, 0, 4), month = number_at(s, 5, 2), day = number_at(s, 8, 2);
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

}  // namespace

bool is_valid_nhs_number(std::string_view s) {
    if (s.size() != 10 || !digits_at(s, 0, 10)) return false;
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (s[i] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11) check = 0;
    if (check == 10) return false;
    return check == s[9] - '0';
}

bool is_valid_date(std::string_view s) {
    if (s.size() == 4) return digits_at(s, 0, 4) && number_at(s, 0, 4) >= 1;
    if (s.size() == 7) {
        if (!digits_at(s, 0, 4) || s[4] != '-' || !digits_at(s, 5, 2)) return false;
        const int month = number_at(s, 5, 2);
        return number_at(s, 0, 4) >= 1 && month >= 1 && month <= 12;
    }
    return s.size() == 10 && full_date_prefix(s);
}

bool is_valid_instant(std::string_view s) {
    if (s.size() < 20 || !full_date_prefix(s) || s[10] != 'T') return false;
    if (!digits_at(s, 11, 2) || s[13] != ':' || !digits_at(s, 14, 2) || s[16] != ':' ||
        !digits_at(s, 17, 2))
        return false;
    if (number_at(s, 11, 2) > 23 || number_at(s, 14, 2) > 59 || number_at(s, 17, 2) > 60) return false;
    std::size_t pos = 19;
    if (s[pos] == '.') {
        const std::size_t start = ++pos;
        while (pos < s.size() && is_digit(s[pos])) ++pos;
        if (pos == start || pos - start > 9) return false;
    }
    if (pos >= s.size()) return false;
    if (s[pos] == 'Z') return pos + 1 == s.size();
    if (s[pos] != '+' && s[pos] != '-') return false;
    if (s.size() != pos + 6 || !digits_at(s, pos + 1, 2) || s[pos + 3] != ':' || !digits_at(s, pos + 4, 2))
        return false;
    return number_at(s, pos + 1, 2) <= 14 && number_at(s, pos + 4, 2) <= 59;
}

bool is_valid_date_time(std::string_view s) { return is_valid_date(s) || is_valid_instant(s); }

bool is_valid_ods_code(std::string_view s) {
    if (s.size() < 3 || s.size() > 12) return false;
    for (char c : s)
        if (!is_digit(c) && !(c >= 'A' && c <= 'Z')) return false;
    return true;
}

}  // namespace carebridge::model
