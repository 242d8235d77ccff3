#include "fhir/resource_id.hpp"

#include <openssl/sha.h>

#include <array>
#include <string>

namespace carebridge::fhir {

std::string uuid_v5_url(std::string_view name) {
    // RFC 4122 appendix C: the namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    static constexpr unsigned char url_namespace[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    std::string input(reinterpret_cast<const char*>(url_namespace), sizeof url_namespace);
    input.append(name);
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);  // version 5
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // RFC 4122 variant

    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace carebridge::fhir
