#include "audit/hash.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace carebridge::gateway::audit {
namespace {

// The digest is fetched from the provider once per thread; EVP_Digest would
// fetch it again on every call, which costs more than hashing 65 bytes.
class Sha256Context {
public:
    Sha256Context() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
        if (!md_ || !ctx_) std::abort();  // no SHA-256 means no audit log; nothing sensible to return
    }
    ~Sha256Context() {
        EVP_MD_CTX_free(ctx_);
        EVP_MD_free(md_);
    }
    Sha256Context(const Sha256Context&) = delete;
    Sha256Context& operator=(const Sha256Context&) = delete;

    Hash digest(std::string_view a, std::string_view b, std::string_view c) {
        Hash out{};
        unsigned int size = 0;
        if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, a.data(), a.size()) != 1 ||
            (!b.empty() && EVP_DigestUpdate(ctx_, b.data(), b.size()) != 1) ||
            (!c.empty() && EVP_DigestUpdate(ctx_, c.data(), c.size()) != 1) ||
            EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1 || size != out.size())
            std::abort();  // only an allocation failure inside OpenSSL gets here
        return out;
    }

private:
    EVP_MD* md_;
    EVP_MD_CTX* ctx_;
};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0x0f]);
    }
}

std::string to_hex(const Hash& hash) {
    std::string out;
    out.reserve(64);
    append_hex(out, hash.data(), hash.size());
    return out;
}

std::optional<Hash> hash_from_hex(std::string_view hex) {
    if (hex.size() != 64) return std::nullopt;
    Hash out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return out;
}

std::optional<Hash> hash_from_bytes(std::string_view bytes) {
    if (bytes.size() != 32) return std::nullopt;
    Hash out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(bytes[i]);
    return out;
}

Hash sha256(std::string_view a, std::string_view b, std::string_view c) {
    thread_local Sha256Context context;
    return context.digest(a, b, c);
}

}  // namespace carebridge::gateway::audit
