#include "ids/uuid.hpp"

#include <openssl/rand.h>

#include <array>
#include <climits>
#include <vector>

namespace carebridge::gateway::ids {

namespace {

void append_hex(std::string& out, std::span<const unsigned char> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0x0f];
    }
}

}  // namespace

bool random_bytes(std::span<unsigned char> bytes) {
    if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return false;
    return RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1;
}

std::optional<std::string> random_uuid() {
    std::array<unsigned char, 16> b{};
    if (!random_bytes(b)) return std::nullopt;
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    std::string text;
    text.reserve(36);
    const std::span<const unsigned char> all(b);
    append_hex(text, all.subspan(0, 4));
    text += '-';
    append_hex(text, all.subspan(4, 2));
    text += '-';
    append_hex(text, all.subspan(6, 2));
    text += '-';
    append_hex(text, all.subspan(8, 2));
    text += '-';
    append_hex(text, all.subspan(10, 6));
    return text;
}

std::optional<std::string> random_hex(std::size_t count) {
    std::vector<unsigned char> b(count);
    if (!random_bytes(b)) return std::nullopt;
    std::string text;
    text.reserve(2 * count);
    append_hex(text, b);
    return text;
}

}  // namespace carebridge::gateway::ids
