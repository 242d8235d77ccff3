#include "audit/audit_event.hpp"

#include <array>
#include <cstdio>
#include <ctime>

namespace carebridge::gateway::audit {
namespace {

constexpr std::array<std::string_view, 13> action_names{
    "received",      "rejected", "translated", "policy-decision", "disclosed",      "delivered", "delivery-failed",
    "dead-lettered", "retried",  "read",       "status-changed",  "config-changed", "purged",
};

bool digits(std::string_view text, std::size_t from, std::size_t count, int low, int high) {
    int value = 0;
    for (std::size_t i = from; i < from + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    return value >= low && value <= high;
}

}  // namespace

std::string_view to_string(AuditAction action) {
    const auto index = static_cast<std::size_t>(action);
    return index < action_names.size() ? action_names[index] : std::string_view("unknown");
}

std::optional<AuditAction> parse_action(std::string_view name) {
    for (std::size_t i = 0; i < action_names.size(); ++i)
        if (action_names[i] == name) return static_cast<AuditAction>(i);
    return std::nullopt;
}

std::string format_instant(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto millis = floor<milliseconds>(time);
    const auto day = floor<days>(millis);
    const year_month_day date{day};
    const hh_mm_ss clock{millis - day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return text;
}

std::string now_instant() { return format_instant(std::chrono::system_clock::now()); }

bool is_instant(std::string_view t) {
    return t.size() == 24 && digits(t, 0, 4, 0, 9999) && t[4] == '-' && digits(t, 5, 2, 1, 12) && t[7] == '-' &&
           digits(t, 8, 2, 1, 31) && t[10] == 'T' && digits(t, 11, 2, 0, 23) && t[13] == ':' &&
           digits(t, 14, 2, 0, 59) && t[16] == ':' && digits(t, 17, 2, 0, 60) && t[19] == '.' &&
           digits(t, 20, 3, 0, 999) && t[23] == 'Z';
}

}  // namespace carebridge::gateway::audit
