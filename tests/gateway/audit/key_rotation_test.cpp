// Rotating the audit signing key: the operator moves audit-signing-key.pem
// out of the store directory and restarts, the store makes a new key, and the
// log signed partly by each still verifies, because every checkpoint names
// its key and the store keeps each public key it signed with in
// audit-public-keys/. Checked through the function, the real binary (with
// the store's keys, and with keys an auditor names), /audit/verification's
// verifier, and a gateway restarted with a new key serving the checkpoint the
// old one signed.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "audit/checkpoint.hpp"
#include "audit_fixture.hpp"
#include "api/audit_api.hpp"
#include "store/sqlite/sqlite_audit.hpp"
#include "support/gateway_fixture.hpp"

namespace {

using namespace carebridge::gateway;
using namespace carebridge::testing;

struct Verdict {
    int exit_code = -1;
    std::string output;
};

class AuditKeyRotation : public ::testing::Test {
protected:
    void SetUp() override {
        // Entries 1-10 and a checkpoint under the first key.
        append(0, 10);
        // The rotation: the old private key leaves the store directory (to
        // an archive, or destroyed); the next start makes a new one.
        fs::rename(dir_.data() / audit::signing_key_file, dir_.path() / "retired-signing-key.pem");
        append(10, 20);
        ASSERT_NE(first_key_, second_key_);
        std::ofstream(config()) << R"({"schema": "carebridge-config/1",
            "listener": {"host": "127.0.0.1", "port": 8080, "plain_http": true},
            "store": "sqlite:)" << dir_.data().string()
                                << "\"}\n";
    }

    // Opens the store, appends events [from, to) and signs a checkpoint at the end.
    void append(int from, int to) {
        auto store = open_audit_store(dir_);
        ASSERT_TRUE(store);
        for (int i = from; i < to; ++i) {
            store::WriteSet writes;
            writes.audit.push_back(event_number(i));
            writes.sign_audit_checkpoint = i + 1 == to;
            ASSERT_FALSE(commit_and_wait(*store, std::move(writes)).error);
        }
        (first_key_.empty() ? first_key_ : second_key_) = store->audit_public_key().id();
        store->close();
    }

    fs::path config() const { return dir_.path() / "gateway.json"; }
    fs::path kept_key(const std::string& id) const {
        return dir_.data() / audit::public_keys_directory / (id + ".pub.pem");
    }

    Verdict verify_binary(const std::string& extra = {}) const {
        const std::string command =
            std::string(CAREBRIDGE_BINARY) + " audit verify --config '" + config().string() + "'" + extra + " 2>&1";
        Verdict verdict;
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) return verdict;
        char buffer[4096];
        while (std::fgets(buffer, sizeof buffer, pipe)) verdict.output += buffer;
        const int status = ::pclose(pipe);
        verdict.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return verdict;
    }

    AuditTempDir dir_;
    std::string first_key_, second_key_;
};

TEST_F(AuditKeyRotation, TheStoreKeepsEveryPublicKeyItSignedWith) {
    std::string message;
    for (const std::string& id : {first_key_, second_key_}) {
        const auto key = audit::PublicKey::load(kept_key(id).string(), message);
        ASSERT_TRUE(key) << message;
        EXPECT_EQ(key->id(), id);
    }
    const auto current = audit::PublicKey::load((dir_.data() / audit::public_key_file).string(), message);
    ASSERT_TRUE(current) << message;
    EXPECT_EQ(current->id(), second_key_) << "the public half beside the signing key is the new one";
}

TEST_F(AuditKeyRotation, ALogSignedByTwoKeysInTurnVerifiesWithBoth) {
    audit::TrustedKeys keys;
    std::string message;
    ASSERT_TRUE(keys.add_directory((dir_.data() / audit::public_keys_directory).string(), message)) << message;
    EXPECT_EQ(keys.size(), 2u);
    const auto result = store::verify_audit_file(dir_.database().string(), keys);
    EXPECT_EQ(result.status, audit::LogStatus::intact) << result.line;
    EXPECT_EQ(result.entries, 20u);
    ASSERT_TRUE(result.last_checkpoint);
    EXPECT_EQ(result.last_checkpoint->key_id, second_key_);
    EXPECT_EQ(result.signing_keys, (std::vector<std::string>{first_key_, second_key_}));
    EXPECT_EQ(result.line, "audit log intact: 20 entries, last checkpoint at size 20 signed by key " + second_key_ +
                               " (checkpoints signed by 2 keys in turn)");
}

TEST_F(AuditKeyRotation, OnlyTheNewKeyDoesNotVouchForTheCheckpointTheOldOneSigned) {
    std::string message;
    const auto current = audit::PublicKey::load((dir_.data() / audit::public_key_file).string(), message);
    ASSERT_TRUE(current) << message;
    const auto result = store::verify_audit_file(dir_.database().string(), audit::keys_of(&*current));
    EXPECT_EQ(result.status, audit::LogStatus::tampered);
    EXPECT_EQ(result.line, "audit log: the checkpoint at size 10 names key " + first_key_ +
                               ", not the public key given (" + second_key_ + ")");
}

TEST_F(AuditKeyRotation, TheBinaryUsesTheStoresKeysOrExactlyTheKeysTheAuditorNames) {
    const Verdict by_store = verify_binary();
    EXPECT_EQ(by_store.exit_code, 0) << by_store.output;
    EXPECT_NE(by_store.output.find("audit log intact: 20 entries"), std::string::npos) << by_store.output;

    // An auditor checks against keys it holds itself, not the store's record.
    const std::string both =
        " --public-key '" + kept_key(first_key_).string() + "' --public-key '" + kept_key(second_key_).string() + "'";
    const Verdict by_auditor = verify_binary(both);
    EXPECT_EQ(by_auditor.exit_code, 0) << by_auditor.output;

    const Verdict new_only = verify_binary(" --public-key '" + kept_key(second_key_).string() + "'");
    EXPECT_EQ(new_only.exit_code, 2) << new_only.output;
    EXPECT_NE(new_only.output.find("names key " + first_key_), std::string::npos) << new_only.output;

    // Without the store's record of the old key, its checkpoint cannot be vouched for.
    fs::remove(kept_key(first_key_));
    const Verdict record_lost = verify_binary();
    EXPECT_EQ(record_lost.exit_code, 2) << record_lost.output;
}

TEST_F(AuditKeyRotation, TheOnlineVerificationUsesEveryKeptKey) {
    std::string message;
    const auto current = audit::PublicKey::load((dir_.data() / audit::public_key_file).string(), message);
    ASSERT_TRUE(current) << message;
    auto store = open_audit_store(dir_);
    ASSERT_TRUE(store);
    ASSERT_EQ(store->audit_public_key().id(), current->id());
    api::AuditVerifier verifier(*store, std::chrono::seconds(0));
    const auto status = verifier.status();
    EXPECT_EQ(status.result.status, audit::LogStatus::intact) << status.result.line;
    EXPECT_EQ(status.result.entries, 20u);
}

TEST(AuditKeyRotationServed, TheLatestCheckpointIsShownWithTheKeyItNamesAfterARestartWithANewKey) {
    TempDir temp;
    {
        RunningGateway gateway(temp.path());
        ASSERT_TRUE(gateway.server);
        EXPECT_EQ(gateway.stop(), 0);  // signs a checkpoint with the first key
    }
    const fs::path store_dir = temp.path() / "store";
    std::string message;
    const auto first = audit::PublicKey::load((store_dir / audit::public_key_file).string(), message);
    ASSERT_TRUE(first) << message;
    fs::rename(store_dir / audit::signing_key_file, temp.path() / "retired-signing-key.pem");

    RunningGateway gateway(temp.path());  // a new key; the checkpoint on record is still the first key's
    ASSERT_TRUE(gateway.server);
    auto client = gateway.client();
    const auto latest = client.get("/audit/checkpoints/latest", {{"Authorization", bearer("demo-admin")}});
    ASSERT_EQ(latest.status, 200u) << latest.body;
    rapidjson::Document json;
    json.Parse(latest.body.c_str());
    ASSERT_TRUE(json.IsObject()) << latest.body;
    EXPECT_EQ(std::string(json["key_id"].GetString()), first->id());
    EXPECT_EQ(std::string(json["public_key_pem"].GetString()), first->pem());
    EXPECT_TRUE(json["signature_valid"].GetBool()) << latest.body;

    const auto verification = client.get("/audit/verification", {{"Authorization", bearer("demo-admin")}});
    ASSERT_EQ(verification.status, 200u) << verification.body;
    EXPECT_NE(verification.body.find("\"status\":\"intact\""), std::string::npos) << verification.body;
    client.close();
    EXPECT_EQ(gateway.stop(), 0);
}

}  // namespace
