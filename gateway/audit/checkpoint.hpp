#pragma once
// Signed checkpoints of the audit log: the gateway signs (tree size, root
// hash, time) with an Ed25519 key, so anyone holding the public key can check
// that the log they are shown is the one the gateway committed to, and (with
// a consistency proof) that it has only grown since.
//
// The signed bytes (version 1), all ASCII:
//
//   "carebridge-audit-checkpoint/1\n" <tree size in decimal> "\n"
//   <root hash, 64 lower-case hex> "\n" <time, YYYY-MM-DDTHH:MM:SS.mmmZ> "\n"
//
// signed as plain Ed25519 (RFC 8032, no pre-hash); the signature is kept as
// 128 lower-case hex digits. A key's id is the first 16 hex digits of
// SHA-256 over its 32-byte raw public key.
//
// The key lives beside the store: <store dir>/audit-signing-key.pem (PKCS#8
// PEM, 0600), created on first start, with the public half in
// audit-signing-key.pub.pem (SubjectPublicKeyInfo PEM) for auditors, and a
// copy of every public half the gateway has signed with in
// <store dir>/audit-public-keys/<key id>.pub.pem. A checkpoint names its key,
// so after a rotation (a new signing key) the checkpoints signed before it
// still verify with the old public key, found there by id (TrustedKeys).

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/hash.hpp"

namespace carebridge::gateway::audit {

inline constexpr std::string_view signing_key_file = "audit-signing-key.pem";
inline constexpr std::string_view public_key_file = "audit-signing-key.pub.pem";
inline constexpr std::string_view public_keys_directory = "audit-public-keys";

struct Checkpoint {
    std::uint64_t tree_size = 0;
    Hash root_hash{};
    std::string time;       // when it was signed, YYYY-MM-DDTHH:MM:SS.mmmZ
    std::string signature;  // Ed25519 over checkpoint_bytes(), hex
    std::string key_id;     // the signing key's id
};

// The exact bytes that are signed.
std::string checkpoint_bytes(std::uint64_t tree_size, const Hash& root_hash, std::string_view time);

// An Ed25519 public key: checks checkpoints.
class PublicKey {
public:
    // Reads a PEM public key, or the public half of a PEM private key.
    static std::optional<PublicKey> load(const std::string& path, std::string& message);
    static std::optional<PublicKey> from_pem(std::string_view pem, std::string& message);

    const std::string& id() const { return id_; }
    std::string pem() const;
    bool verify(const Checkpoint& checkpoint) const;

private:
    explicit PublicKey(std::shared_ptr<EVP_PKEY> key);
    std::shared_ptr<EVP_PKEY> key_;
    std::string id_;
};

// An Ed25519 private key: signs checkpoints. Immutable and shared.
class SigningKey {
public:
    // Loads `path`, or when it does not exist creates it (0600) with a fresh
    // key, and writes the public half beside it as <name>.pub.pem. Two
    // processes starting at once end up with the same key.
    static std::shared_ptr<const SigningKey> load_or_create(const std::string& path, std::string& message);
    static std::shared_ptr<const SigningKey> load(const std::string& path, std::string& message);
    static std::shared_ptr<const SigningKey> generate(std::string& message);

    const PublicKey& public_key() const { return public_key_; }
    std::string pem() const;  // the private key, PKCS#8 PEM
    // nullopt only when OpenSSL fails (out of memory).
    std::optional<Checkpoint> sign(std::uint64_t tree_size, const Hash& root_hash, std::string time) const;

private:
    SigningKey(std::shared_ptr<EVP_PKEY> key, PublicKey public_key)
        : key_(std::move(key)), public_key_(std::move(public_key)) {}
    std::shared_ptr<EVP_PKEY> key_;
    PublicKey public_key_;
};

// The public key's file name for a private key file: x.pem → x.pub.pem.
std::string public_key_path(const std::string& signing_key_path);

// The public keys a log's checkpoints may be signed with, by id: each
// checkpoint is checked with the key it names, so a log whose signing key
// was rotated verifies across the rotation as long as every key it used is here.
class TrustedKeys {
public:
    TrustedKeys() = default;
    explicit TrustedKeys(PublicKey key) { add(std::move(key)); }

    // A key whose id is already here is not added twice.
    void add(PublicKey key);
    // Every *.pem in `directory` (e.g. <store dir>/audit-public-keys); a
    // missing directory adds nothing. False with `message` naming the file
    // that is not a public key.
    bool add_directory(const std::string& directory, std::string& message);

    const PublicKey* find(std::string_view key_id) const;
    bool empty() const { return keys_.empty(); }
    std::size_t size() const { return keys_.size(); }
    // "id1, id2" for messages.
    std::string ids() const;

private:
    std::vector<PublicKey> keys_;
};

}  // namespace carebridge::gateway::audit
