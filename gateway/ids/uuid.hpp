#pragma once
// Identifiers the gateway mints for what it stores (messages, outbox items):
// random version 4 UUIDs, so an id says nothing about how many referrals the
// gateway holds. Drawn from OpenSSL's CSPRNG; when it cannot give bytes the
// caller gets nothing and must refuse the work (fail closed), never an id
// made of whatever the buffer held.

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace carebridge::gateway::ids {

// Fills `bytes` from the CSPRNG. False when it could not (not seeded, no entropy).
[[nodiscard]] bool random_bytes(std::span<unsigned char> bytes);

// A random UUID in its 36-character lower-case form; nullopt when random_bytes fails.
[[nodiscard]] std::optional<std::string> random_uuid();

// `count` random bytes as lower-case hex (2 × count characters); nullopt when random_bytes fails.
[[nodiscard]] std::optional<std::string> random_hex(std::size_t count);

}  // namespace carebridge::gateway::ids
