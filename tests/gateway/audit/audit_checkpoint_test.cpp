// Signed checkpoints: the key kept beside the store, the exact signed bytes,
// and signatures that fail when anything they cover changes.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/hash.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway::audit;

class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "carebridge-audit-key-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) std::abort();
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

Hash some_root() { return sha256("a root"); }

TEST(AuditCheckpoint, TheSignedBytesAreTheDocumentedLines) {
    EXPECT_EQ(checkpoint_bytes(42, some_root(), "2026-11-23T05:30:00.123Z"),
              "carebridge-audit-checkpoint/1\n42\n" + to_hex(some_root()) + "\n2026-11-23T05:30:00.123Z\n");
}

TEST(AuditCheckpoint, ASignatureVerifiesAndFailsWhenAnythingItCoversChanges) {
    std::string message;
    const auto key = SigningKey::generate(message);
    ASSERT_TRUE(key) << message;
    const auto signed_checkpoint = key->sign(42, some_root(), "2026-11-23T05:30:00.123Z");
    ASSERT_TRUE(signed_checkpoint);
    EXPECT_EQ(signed_checkpoint->signature.size(), 128u);
    EXPECT_EQ(signed_checkpoint->key_id, key->public_key().id());
    EXPECT_TRUE(key->public_key().verify(*signed_checkpoint));

    auto changed = *signed_checkpoint;
    changed.tree_size = 43;
    EXPECT_FALSE(key->public_key().verify(changed));
    changed = *signed_checkpoint;
    changed.root_hash[0] ^= 1;
    EXPECT_FALSE(key->public_key().verify(changed));
    changed = *signed_checkpoint;
    changed.time = "2026-11-23T05:30:00.124Z";
    EXPECT_FALSE(key->public_key().verify(changed));
    changed = *signed_checkpoint;
    changed.signature[5] = changed.signature[5] == '0' ? '1' : '0';
    EXPECT_FALSE(key->public_key().verify(changed));
    changed = *signed_checkpoint;
    changed.signature = changed.signature.substr(2);
    EXPECT_FALSE(key->public_key().verify(changed));

    const auto other = SigningKey::generate(message);
    ASSERT_TRUE(other);
    EXPECT_NE(other->public_key().id(), key->public_key().id());
    EXPECT_FALSE(other->public_key().verify(*signed_checkpoint));
    changed = *signed_checkpoint;
    changed.key_id = other->public_key().id();  // naming another key does not help
    EXPECT_FALSE(other->public_key().verify(changed));
}

TEST(AuditCheckpoint, OpenSslVerifiesTheSignatureOverTheDocumentedBytes) {
    // An auditor's check, done with OpenSSL directly from the public PEM.
    std::string message;
    const auto key = SigningKey::generate(message);
    ASSERT_TRUE(key);
    const auto checkpoint = key->sign(7, some_root(), "2026-01-02T03:04:05.006Z");
    ASSERT_TRUE(checkpoint);

    const std::string pem = key->public_key().pem();
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ASSERT_NE(pub, nullptr);
    std::vector<unsigned char> signature;
    for (std::size_t i = 0; i < checkpoint->signature.size(); i += 2)
        signature.push_back(static_cast<unsigned char>(std::stoi(checkpoint->signature.substr(i, 2), nullptr, 16)));
    const std::string bytes =
        "carebridge-audit-checkpoint/1\n7\n" + to_hex(some_root()) + "\n2026-01-02T03:04:05.006Z\n";
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ASSERT_EQ(EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pub), 1);
    EXPECT_EQ(EVP_DigestVerify(ctx, signature.data(), signature.size(),
                               reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()),
              1);
    EVP_MD_CTX_free(ctx);

    // The key id is the first 8 bytes of SHA-256 over the raw public key, in hex.
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    ASSERT_EQ(EVP_PKEY_get_raw_public_key(pub, raw, &size), 1);
    EXPECT_EQ(key->public_key().id(),
              to_hex(sha256(std::string_view(reinterpret_cast<const char*>(raw), size))).substr(0, 16));
    EVP_PKEY_free(pub);
}

TEST(AuditSigningKey, IsCreatedOwnerOnlyOnFirstUseWithItsPublicHalfAndLoadedAfter) {
    TempDir dir;
    const fs::path path = dir.path() / signing_key_file;
    std::string message;
    const auto created = SigningKey::load_or_create(path.string(), message);
    ASSERT_TRUE(created) << message;

    struct stat info {};
    ASSERT_EQ(::stat(path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_NE(read(path).find("BEGIN PRIVATE KEY"), std::string::npos);
    const fs::path public_path = dir.path() / public_key_file;
    EXPECT_EQ(public_key_path(path.string()), public_path.string());
    EXPECT_EQ(read(public_path), created->public_key().pem());
    // The key, its public half, and the directory of every public key used.
    EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(dir.path()), fs::directory_iterator()).size(), 3u)
        << "no temporary files are left behind";
    const fs::path kept = dir.path() / public_keys_directory;
    EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(kept), fs::directory_iterator()),
              std::vector<fs::path>{kept / (created->public_key().id() + ".pub.pem")});
    EXPECT_EQ(read(kept / (created->public_key().id() + ".pub.pem")), created->public_key().pem());

    const auto loaded = SigningKey::load_or_create(path.string(), message);
    ASSERT_TRUE(loaded) << message;
    EXPECT_EQ(loaded->public_key().id(), created->public_key().id());
    const auto checkpoint = loaded->sign(1, some_root(), "2026-01-01T00:00:00.000Z");
    ASSERT_TRUE(checkpoint);
    const auto from_file = PublicKey::load(public_path.string(), message);
    ASSERT_TRUE(from_file) << message;
    EXPECT_TRUE(from_file->verify(*checkpoint));
    const auto from_private_file = PublicKey::load(path.string(), message);  // the private PEM holds the public half
    ASSERT_TRUE(from_private_file) << message;
    EXPECT_EQ(from_private_file->id(), created->public_key().id());
}

TEST(AuditSigningKey, AMissingPublicFileIsWrittenAgain) {
    TempDir dir;
    const fs::path path = dir.path() / signing_key_file;
    std::string message;
    const auto created = SigningKey::load_or_create(path.string(), message);
    ASSERT_TRUE(created) << message;
    fs::remove(dir.path() / public_key_file);
    ASSERT_TRUE(SigningKey::load_or_create(path.string(), message)) << message;
    EXPECT_EQ(read(dir.path() / public_key_file), created->public_key().pem());
}

TEST(AuditSigningKey, ConcurrentFirstStartsAgreeOnOneKey) {
    TempDir dir;
    const std::string path = (dir.path() / signing_key_file).string();
    std::vector<std::string> ids(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i)
        threads.emplace_back([&, i] {
            std::string message;
            if (auto key = SigningKey::load_or_create(path, message)) ids[i] = key->public_key().id();
        });
    for (auto& t : threads) t.join();
    for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
    EXPECT_FALSE(ids[0].empty());
}

TEST(AuditSigningKey, AFileThatIsNotAKeyIsRefusedWithItsName) {
    TempDir dir;
    const fs::path path = dir.path() / signing_key_file;
    std::ofstream(path) << "not a key\n";
    std::string message;
    EXPECT_FALSE(SigningKey::load_or_create(path.string(), message));
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_FALSE(PublicKey::load((dir.path() / "absent.pem").string(), message));
}

}  // namespace
