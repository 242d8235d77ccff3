#pragma once
// The outbox's rows as both backends store and read them: next_attempt_at
// in milliseconds since the Unix epoch, so "due" is one integer comparison,
// and the columns an item is read from, in the order the readers take them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace carebridge::gateway::store {

// The most items one page of a query returns.
inline constexpr std::size_t max_outbox_page = 1000;

// An item's columns (outbox o joined to messages m), in the readers' order;
// the payload, or an empty stand-in, goes between the two: it is column 7.
inline constexpr std::string_view outbox_columns_before_payload =
    "o.seq, o.id, o.message_id, o.recipient, o.recipient_ods, o.service, o.format, ";
inline constexpr std::string_view outbox_columns_after_payload =
    ", o.content_type, o.idempotency_key, o.endpoint_url, o.created_at, o.state, o.attempts, o.next_attempt_at, "
    "o.last_error, m.nhs_number, m.referral_id";

inline std::int64_t millis_of(std::chrono::system_clock::time_point time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

inline std::chrono::system_clock::time_point time_of(std::int64_t millis) {
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::milliseconds(millis)));
}

}  // namespace carebridge::gateway::store
