#pragma once
// SHA-256 for the audit log: the chain, the Merkle tree and the checkpoints.
// One context per thread is fetched once and reused, because the log hashes
// a few times per entry and `audit verify` does it a million times in a row.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carebridge::gateway::audit {

using Hash = std::array<std::uint8_t, 32>;

// Lower-case hex, 64 characters.
std::string to_hex(const Hash& hash);
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t size);
// Exactly 64 hex digits (either case); nullopt otherwise.
std::optional<Hash> hash_from_hex(std::string_view hex);
// The raw bytes of a 32-byte BLOB; nullopt when it is any other size.
std::optional<Hash> hash_from_bytes(std::string_view bytes);
inline std::string_view as_bytes(const Hash& hash) { return {reinterpret_cast<const char*>(hash.data()), hash.size()}; }

// SHA-256 over the concatenation of up to three byte strings, so callers can
// hash a prefix byte and two children without assembling them first.
Hash sha256(std::string_view a, std::string_view b = {}, std::string_view c = {});

}  // namespace carebridge::gateway::audit
