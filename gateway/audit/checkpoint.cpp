#include "audit/checkpoint.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "ids/uuid.hpp"

namespace carebridge::gateway::audit {
namespace {

constexpr std::string_view checkpoint_format_line = "carebridge-audit-checkpoint/1\n";
constexpr std::size_t signature_size = 64;  // Ed25519

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) { return {key, EVP_PKEY_free}; }

bool is_ed25519(const EVP_PKEY* key) { return key && EVP_PKEY_is_a(key, "ED25519"); }

std::string pem_of(EVP_PKEY* key, bool private_half) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    if (!bio) return {};
    const int ok = private_half ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                                : PEM_write_bio_PUBKEY(bio.get(), key);
    if (ok != 1) return {};
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::string> read_file(const std::string& path, std::string& message) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        message = "cannot read " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Writes `text` to a new temporary file beside `path` with `mode`, synced.
// Returns its name, or empty with `message` set.
std::string write_temporary(const std::string& path, std::string_view text, mode_t mode, std::string& message) {
    // A name nobody can guess, so O_EXCL cannot be raced into a file of someone else's.
    const auto random = ids::random_hex(8);
    if (!random) {
        message = "cannot write " + path + ": no random bytes for a temporary name";
        return {};
    }
    const std::string temporary = path + ".tmp-" + *random;
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        message = "cannot create " + temporary + ": " + std::strerror(errno);
        return {};
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    const bool synced = written == text.size() && ::fsync(fd) == 0;
    const bool ok = ::close(fd) == 0 && synced;  // close() reports a write that failed late (NFS, quota)
    if (!ok) {
        message = "cannot write " + temporary + ": " + std::strerror(errno);
        ::unlink(temporary.c_str());
        return {};
    }
    return temporary;
}

std::string key_id_of(EVP_PKEY* key) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof raw) return {};
    const Hash digest = sha256(std::string_view(reinterpret_cast<const char*>(raw), size));
    std::string id;
    append_hex(id, digest.data(), 8);
    return id;
}

std::optional<std::vector<unsigned char>> bytes_from_hex(std::string_view hex) {
    if (hex.size() % 2) return std::nullopt;
    std::vector<unsigned char> out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        unsigned value = 0;
        for (char c : hex.substr(2 * i, 2)) {
            value <<= 4;
            if (c >= '0' && c <= '9')
                value |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                value |= static_cast<unsigned>(c - 'a' + 10);
            else
                return std::nullopt;
        }
        out[i] = static_cast<unsigned char>(value);
    }
    return out;
}

}  // namespace

std::string checkpoint_bytes(std::uint64_t tree_size, const Hash& root_hash, std::string_view time) {
    std::string bytes(checkpoint_format_line);
    bytes += std::to_string(tree_size);
    bytes += '\n';
    bytes += to_hex(root_hash);
    bytes += '\n';
    bytes += time;
    bytes += '\n';
    return bytes;
}

std::string public_key_path(const std::string& signing_key_path) {
    const std::string suffix = ".pem";
    if (signing_key_path.size() > suffix.size() && signing_key_path.ends_with(suffix))
        return signing_key_path.substr(0, signing_key_path.size() - suffix.size()) + ".pub.pem";
    return signing_key_path + ".pub.pem";
}

namespace {

// Keeps a copy of `key` in the public keys directory beside the signing key,
// so checkpoints it signed still verify after the signing key is replaced.
// Best effort: where the directory is read-only (a list of keys the operator
// mounts there), that list is the record instead.
void keep_public_key(const std::string& signing_key_path, const PublicKey& key) {
    const auto directory = std::filesystem::path(signing_key_path).parent_path() / public_keys_directory;
    const std::string path = (directory / (key.id() + ".pub.pem")).string();
    const std::string pem = key.pem();
    std::string ignored;
    if (read_file(path, ignored) == pem) return;
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    const std::string temporary = write_temporary(path, pem, 0644, ignored);
    if (temporary.empty()) return;
    if (::rename(temporary.c_str(), path.c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace

// ---- PublicKey -------------------------------------------------------------

PublicKey::PublicKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)), id_(key_id_of(key_.get())) {}

std::optional<PublicKey> PublicKey::from_pem(std::string_view pem, std::string& message) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    if (!bio) return std::nullopt;
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (!key) {
        // A private key file holds its public half too.
        BIO_reset(bio.get());
        if (EVP_PKEY* secret = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)) {
            unsigned char raw[32];
            std::size_t size = sizeof raw;
            if (EVP_PKEY_get_raw_public_key(secret, raw, &size) == 1)
                key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, size);
            EVP_PKEY_free(secret);
        }
    }
    auto owned = own(key);
    if (!is_ed25519(key)) {
        message = "not an Ed25519 public key in PEM form";
        return std::nullopt;
    }
    return PublicKey(std::move(owned));
}

std::optional<PublicKey> PublicKey::load(const std::string& path, std::string& message) {
    const auto text = read_file(path, message);
    if (!text) return std::nullopt;
    auto key = from_pem(*text, message);
    if (!key) message = path + ": " + message;
    return key;
}

std::string PublicKey::pem() const { return pem_of(key_.get(), false); }

bool PublicKey::verify(const Checkpoint& checkpoint) const {
    if (checkpoint.key_id != id_) return false;
    const auto signature = bytes_from_hex(checkpoint.signature);
    if (!signature || signature->size() != signature_size) return false;
    const std::string bytes = checkpoint_bytes(checkpoint.tree_size, checkpoint.root_hash, checkpoint.time);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
}

// ---- SigningKey ------------------------------------------------------------

std::shared_ptr<const SigningKey> SigningKey::generate(std::string& message) {
    auto key = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    const std::string pem = key ? pem_of(key.get(), false) : std::string();
    auto public_key = pem.empty() ? std::nullopt : PublicKey::from_pem(pem, message);
    if (!public_key) {
        message = "cannot generate an Ed25519 key";
        return nullptr;
    }
    return std::shared_ptr<const SigningKey>(new SigningKey(std::move(key), std::move(*public_key)));
}

std::shared_ptr<const SigningKey> SigningKey::load(const std::string& path, std::string& message) {
    const auto text = read_file(path, message);
    if (!text) return nullptr;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())),
                                                  BIO_free);
    auto key = own(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!is_ed25519(key.get())) {
        message = path + ": not an Ed25519 private key in PEM form";
        return nullptr;
    }
    auto public_key = PublicKey::from_pem(*text, message);
    if (!public_key) {
        message = path + ": " + message;
        return nullptr;
    }
    return std::shared_ptr<const SigningKey>(new SigningKey(std::move(key), std::move(*public_key)));
}

std::shared_ptr<const SigningKey> SigningKey::load_or_create(const std::string& path, std::string& message) {
    std::shared_ptr<const SigningKey> key;
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
        key = load(path, message);
    } else if (errno != ENOENT) {
        message = "cannot read " + path + ": " + std::strerror(errno);
        return nullptr;
    } else {
        key = generate(message);
        if (!key) return nullptr;
        // Written whole under another name, then linked into place: a crash
        // never leaves half a key, and link() fails if another process won.
        const std::string temporary = write_temporary(path, key->pem(), 0600, message);
        if (temporary.empty()) return nullptr;
        const bool linked = ::link(temporary.c_str(), path.c_str()) == 0;
        const int link_errno = errno;
        ::unlink(temporary.c_str());
        if (!linked) {
            if (link_errno != EEXIST) {
                message = "cannot create " + path + ": " + std::strerror(link_errno);
                return nullptr;
            }
            key = load(path, message);
        }
    }
    if (!key) return nullptr;

    // The public half beside it, rewritten when missing or not matching.
    const std::string public_path = public_key_path(path);
    const std::string public_pem = key->public_key().pem();
    std::string ignored;
    if (read_file(public_path, ignored) != public_pem) {
        const std::string temporary = write_temporary(public_path, public_pem, 0644, message);
        if (temporary.empty()) return nullptr;
        if (::rename(temporary.c_str(), public_path.c_str()) != 0) {
            message = "cannot write " + public_path + ": " + std::strerror(errno);
            ::unlink(temporary.c_str());
            return nullptr;
        }
    }
    keep_public_key(path, key->public_key());
    return key;
}

std::string SigningKey::pem() const { return pem_of(key_.get(), true); }

void TrustedKeys::add(PublicKey key) {
    if (!find(key.id())) keys_.push_back(std::move(key));
}

bool TrustedKeys::add_directory(const std::string& directory, std::string& message) {
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error))
        if (entry.path().extension() == ".pem" && !entry.is_directory()) files.push_back(entry.path());
    if (error && error != std::errc::no_such_file_or_directory) {
        message = "cannot read " + directory + ": " + error.message();
        return false;
    }
    std::sort(files.begin(), files.end());  // the same order, and so the same messages, every time
    for (const auto& file : files) {
        auto key = PublicKey::load(file.string(), message);
        if (!key) return false;
        add(std::move(*key));
    }
    return true;
}

const PublicKey* TrustedKeys::find(std::string_view key_id) const {
    for (const PublicKey& key : keys_)
        if (key.id() == key_id) return &key;
    return nullptr;
}

std::string TrustedKeys::ids() const {
    std::string out;
    for (const PublicKey& key : keys_) out += (out.empty() ? "" : ", ") + key.id();
    return out;
}

std::optional<Checkpoint> SigningKey::sign(std::uint64_t tree_size, const Hash& root_hash, std::string time) const {
    const std::string bytes = checkpoint_bytes(tree_size, root_hash, time);
    unsigned char signature[signature_size];
    std::size_t size = sizeof signature;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature, &size, reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size()) != 1 ||
        size != signature_size)
        return std::nullopt;
    Checkpoint checkpoint;
    checkpoint.tree_size = tree_size;
    checkpoint.root_hash = root_hash;
    checkpoint.time = std::move(time);
    append_hex(checkpoint.signature, signature, size);
    checkpoint.key_id = public_key_.id();
    return checkpoint;
}

}  // namespace carebridge::gateway::audit
