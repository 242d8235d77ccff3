// `carebridge audit verify` against an attacker with the SQLite file: each
// test drops the append-only triggers first, as someone with file access
// would, then edits, deletes, reorders or inserts rows, and the verifier
// must name the right entry. Checked through the function and through the
// real binary.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/entry_bytes.hpp"
#include "audit/merkle.hpp"
#include "audit_fixture.hpp"
#include "store/sqlite/sqlite_audit.hpp"

namespace {

using namespace carebridge::gateway;
using namespace carebridge::testing;

constexpr int log_size = 30;  // checkpoints at 10 and 20; 21..30 chained but not yet signed

constexpr const char* drop_triggers = R"sql(
DROP TRIGGER IF EXISTS audit_entries_append_only_update;
DROP TRIGGER IF EXISTS audit_entries_append_only_delete;
DROP TRIGGER IF EXISTS audit_checkpoints_append_only_update;
DROP TRIGGER IF EXISTS audit_checkpoints_append_only_delete;
)sql";

// Every column but seq, for moving an entry's contents between rows.
constexpr const char* content_columns =
    "time, action, actor_organisation, actor_client, actor_role, patient, message_id, referral_id, recipient, "
    "purpose, lawful_basis, consent_reference, outcome, detail, previous_hash, hash, leaf_hash";

struct Verdict {
    int exit_code = -1;
    std::string line;
};

class AuditVerify : public ::testing::Test {
protected:
    void SetUp() override {
        auto store = open_audit_store(dir_);
        ASSERT_TRUE(store);
        for (int i = 0; i < log_size; ++i) {
            store::WriteSet writes;
            writes.audit.push_back(event_number(i));
            writes.sign_audit_checkpoint = i + 1 == 10 || i + 1 == 20;
            ASSERT_FALSE(commit_and_wait(*store, std::move(writes)).error);
        }
        key_id_ = store->audit_public_key().id();
        store->close();
        std::ofstream(config()) << R"({"schema": "carebridge-config/1",
            "listener": {"host": "127.0.0.1", "port": 8080, "plain_http": true},
            "store": "sqlite:)" << dir_.data().string()
                                << "\"}\n";
    }

    fs::path config() const { return dir_.path() / "gateway.json"; }

    void tamper(const std::string& sql) { execute_sql(dir_.database(), std::string(drop_triggers) + sql); }

    audit::LogVerification verify_here() {
        std::string message;
        const auto key = audit::PublicKey::load((dir_.data() / audit::public_key_file).string(), message);
        EXPECT_TRUE(key) << message;
        return store::verify_audit_file(dir_.database().string(), audit::keys_of(key ? &*key : nullptr));
    }

    Verdict verify_binary(const std::string& extra = {}) {
        const std::string command =
            carebridge_binary() + " audit verify --config '" + config().string() + "'" + extra + " 2>&1";
        Verdict verdict;
        FILE* pipe = ::popen(command.c_str(), "r");
        if (!pipe) return verdict;
        char buffer[4096];
        while (std::fgets(buffer, sizeof buffer, pipe)) verdict.line += buffer;
        const int status = ::pclose(pipe);
        verdict.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (!verdict.line.empty() && verdict.line.back() == '\n') verdict.line.pop_back();
        return verdict;
    }

    // The function and the binary agree on the verdict, which names `first_bad`.
    void expect_tampered(const std::string& line, std::uint64_t first_bad) {
        const auto result = verify_here();
        EXPECT_EQ(result.status, audit::LogStatus::tampered) << result.line;
        EXPECT_EQ(result.line, line);
        EXPECT_EQ(result.first_bad, first_bad) << result.line;
        const Verdict verdict = verify_binary();
        EXPECT_EQ(verdict.exit_code, 2) << verdict.line;
        EXPECT_EQ(verdict.line, line);
    }

    static std::string carebridge_binary() { return CAREBRIDGE_BINARY; }

    // Recomputes the hashes of entries seq..last so the chain is whole again
    // over them: what an attacker who knows the (public) algorithm does.
    void rebuild_chain(std::uint64_t seq, std::uint64_t last = UINT64_MAX) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir_.database().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        sqlite3_exec(db, drop_triggers, nullptr, nullptr, nullptr);
        sqlite3_stmt* read = nullptr;
        sqlite3_prepare_v2(db,
                           "SELECT seq, time, action, actor_organisation, actor_client, actor_role, patient, "
                           "message_id, referral_id, recipient, purpose, lawful_basis, consent_reference, outcome, "
                           "detail, previous_hash FROM audit_entries ORDER BY seq",
                           -1, &read, nullptr);
        struct Row {
            std::int64_t seq;
            std::vector<std::string> text;
        };
        std::vector<Row> rows;
        while (sqlite3_step(read) == SQLITE_ROW) {
            Row row{sqlite3_column_int64(read, 0), {}};
            for (int i = 1; i <= 15; ++i) {
                const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(read, i));
                row.text.push_back(t ? t : "");
            }
            rows.push_back(std::move(row));
        }
        sqlite3_finalize(read);
        sqlite3_stmt* write = nullptr;
        sqlite3_prepare_v2(db, "UPDATE audit_entries SET previous_hash = ?1, hash = ?2, leaf_hash = ?3 WHERE seq = ?4",
                           -1, &write, nullptr);
        std::string previous(audit::genesis_hash);
        std::string canonical;
        for (Row& row : rows) {
            const bool rebuilt =
                static_cast<std::uint64_t>(row.seq) >= seq && static_cast<std::uint64_t>(row.seq) <= last;
            if (rebuilt) row.text[14] = previous;
            const auto& t = row.text;
            const audit::EntryText text{t[0], t[1], t[2],  t[3],  t[4],  t[5],  t[6], t[7],
                                        t[8], t[9], t[10], t[11], t[12], t[13], t[14]};
            audit::canonical_entry(text, canonical);
            const std::string hash = audit::to_hex(audit::entry_hash(canonical));
            const audit::Hash leaf = audit::leaf_hash(canonical);
            if (rebuilt) {
                sqlite3_bind_text(write, 1, previous.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(write, 2, hash.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_blob(write, 3, leaf.data(), 32, SQLITE_TRANSIENT);
                sqlite3_bind_int64(write, 4, row.seq);
                EXPECT_EQ(sqlite3_step(write), SQLITE_DONE) << sqlite3_errmsg(db);
                sqlite3_reset(write);
            }
            previous = hash;
        }
        sqlite3_finalize(write);
        sqlite3_close(db);
    }

    // Moves entries from `seq` on up by one, leaving `seq` free.
    void open_gap_at(std::uint64_t seq) {
        const std::string s = std::to_string(seq);
        tamper("UPDATE audit_entries SET seq = -seq WHERE seq >= " + s +
               "; UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0;");
    }

    // A forged entry at `seq` (free), linking to the entry before it; with
    // `well_formed` its hashes are right for its contents.
    void insert_forged(std::uint64_t seq, bool well_formed) {
        audit::AuditEvent forged = event_number(100);
        forged.recipient = "EVIL1";
        const std::string previous = previous_entry_hash(seq);
        const audit::EntryText t = audit::text_of(forged, previous);
        std::string canonical;
        audit::canonical_entry(t, canonical);
        const std::string hash = well_formed ? audit::to_hex(audit::entry_hash(canonical)) : std::string(64, 'a');
        const audit::Hash leaf = well_formed ? audit::leaf_hash(canonical) : audit::Hash{};

        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open_v2(dir_.database().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        sqlite3_stmt* insert = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db,
                                     "INSERT INTO audit_entries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                     "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                                     -1, &insert, nullptr),
                  SQLITE_OK);
        sqlite3_bind_int64(insert, 1, static_cast<std::int64_t>(seq));
        int column = 2;
        for (std::string_view field : {t.time, t.action, t.actor_organisation, t.actor_client, t.actor_role, t.patient,
                                       t.message_id, t.referral_id, t.recipient, t.purpose, t.lawful_basis,
                                       t.consent_reference, t.outcome, t.detail, t.previous_hash})
            sqlite3_bind_text(insert, column++, field.data(), static_cast<int>(field.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 17, hash.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 18, leaf.data(), 32, SQLITE_TRANSIENT);
        EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(db);
        sqlite3_finalize(insert);
        sqlite3_close(db);
    }

    std::string previous_entry_hash(std::uint64_t seq) {
        if (seq == 1) return std::string(audit::genesis_hash);
        sqlite3* db = nullptr;
        sqlite3_open_v2(dir_.database().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(db, ("SELECT hash FROM audit_entries WHERE seq = " + std::to_string(seq - 1)).c_str(), -1,
                           &s, nullptr);
        std::string hash;
        if (sqlite3_step(s) == SQLITE_ROW) hash = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        sqlite3_close(db);
        return hash;
    }

    void swap_contents(int a, int b) {
        const std::string cols = content_columns;
        tamper("CREATE TEMP TABLE held AS SELECT " + cols + " FROM audit_entries WHERE seq = " + std::to_string(a) +
               "; UPDATE audit_entries SET (" + cols + ") = (SELECT " + cols + " FROM audit_entries WHERE seq = " +
               std::to_string(b) + ") WHERE seq = " + std::to_string(a) + "; UPDATE audit_entries SET (" + cols +
               ") = (SELECT " + cols + " FROM held) WHERE seq = " + std::to_string(b) + ";");
    }

    AuditTempDir dir_;
    std::string key_id_;
};

TEST_F(AuditVerify, AnUntouchedLogIsIntact) {
    const auto result = verify_here();
    EXPECT_EQ(result.status, audit::LogStatus::intact) << result.line;
    EXPECT_EQ(result.entries, 30u);
    ASSERT_TRUE(result.last_checkpoint);
    EXPECT_EQ(result.last_checkpoint->tree_size, 20u);
    const std::string summary = "audit log intact: 30 entries, last checkpoint at size 20 signed by key " + key_id_;
    EXPECT_EQ(result.line, summary);

    const Verdict verdict = verify_binary();
    EXPECT_EQ(verdict.exit_code, 0) << verdict.line;
    EXPECT_EQ(verdict.line, summary);
    const Verdict with_data = verify_binary(" --data '" + dir_.data().string() + "'");
    EXPECT_EQ(with_data.exit_code, 0) << with_data.line;
}

TEST_F(AuditVerify, AnEditedFieldIsReportedAtItsEntry) {
    tamper("UPDATE audit_entries SET recipient = 'EVIL1' WHERE seq = 14");
    expect_tampered("audit log: entry 14 altered (its hash does not match its contents)", 14);
}

TEST_F(AuditVerify, AnEditedFieldAfterTheLastCheckpointIsStillCaughtByTheChain) {
    tamper(
        "UPDATE audit_entries SET patient = '9990000026' WHERE seq = 27 AND patient <> '9990000026';"
        "UPDATE audit_entries SET patient = '9990000085' WHERE seq = 27 AND patient = '9990000026'");
    expect_tampered("audit log: entry 27 altered (its hash does not match its contents)", 27);
}

TEST_F(AuditVerify, AnEditedLeafHashIsReportedAtItsEntry) {
    tamper("UPDATE audit_entries SET leaf_hash = zeroblob(32) WHERE seq = 3");
    expect_tampered("audit log: entry 3 altered (its leaf hash does not match its contents)", 3);
}

TEST_F(AuditVerify, ADeletedEntryIsReportedMissing) {
    tamper("DELETE FROM audit_entries WHERE seq = 17");
    expect_tampered("audit log: entry 17 missing (sequence jumps from 16 to 18)", 17);
}

TEST_F(AuditVerify, DeletedFirstEntriesAreReportedMissing) {
    tamper("DELETE FROM audit_entries WHERE seq <= 2");
    expect_tampered("audit log: entries 1 to 2 missing (the log starts at entry 3)", 1);
}

TEST_F(AuditVerify, EntriesCutFromTheEndThatACheckpointCoveredAreReportedMissing) {
    tamper("DELETE FROM audit_entries WHERE seq >= 20");
    expect_tampered("audit log: entry 20 missing (the log ends at entry 19 but a checkpoint was signed at size 20)",
                    20);
}

TEST_F(AuditVerify, ADeletionClosedUpByRenumberingIsReportedAtTheBreak) {
    tamper(
        "DELETE FROM audit_entries WHERE seq = 17; UPDATE audit_entries SET seq = -seq WHERE seq > 17;"
        "UPDATE audit_entries SET seq = -seq - 1 WHERE seq < 0");
    expect_tampered(
        "audit log: entry 16 rewritten, or an entry after it removed (entry 17 links to a hash no "
        "entry has)",
        16);
}

TEST_F(AuditVerify, SwappedEntriesAreReportedReordered) {
    swap_contents(8, 12);
    expect_tampered("audit log: entry 8 reordered (it links to entry 11, not to entry 7)", 8);
}

TEST_F(AuditVerify, AdjacentSwappedEntriesAreReportedReordered) {
    swap_contents(5, 6);
    expect_tampered("audit log: entry 5 reordered (it links to entry 6, not to entry 4)", 5);
}

TEST_F(AuditVerify, AFirstEntryMovedLaterIsReportedReordered) {
    swap_contents(1, 2);
    expect_tampered("audit log: entry 1 reordered (it links to entry 2, not to the start of the log)", 1);
}

TEST_F(AuditVerify, AForgedEntryInsertedWithMadeUpHashesIsReportedInserted) {
    open_gap_at(9);
    insert_forged(9, false);
    expect_tampered("audit log: entry 9 inserted (entry 10 links to entry 8, past it)", 9);
}

TEST_F(AuditVerify, AForgedEntryWithCorrectHashesIsReportedInserted) {
    open_gap_at(9);
    insert_forged(9, true);
    expect_tampered("audit log: entry 9 inserted (entry 10 links to entry 8, past it)", 9);
}

TEST_F(AuditVerify, AnEditWithTheWholeChainRebuiltIsCaughtByTheCheckpoint) {
    tamper("UPDATE audit_entries SET recipient = 'EVIL1' WHERE seq = 14");
    rebuild_chain(14);  // the whole chain from 14 on, so only the checkpoints can tell
    expect_tampered(
        "audit log: entries 11 to 20 do not match the checkpoint signed at size 20 (one of them was "
        "altered, removed, reordered or inserted and the chain rebuilt)",
        11);
}

TEST_F(AuditVerify, AnEditWithItsOwnHashRecomputedIsReportedWhereTheNextLinkBreaks) {
    tamper("UPDATE audit_entries SET recipient = 'EVIL1' WHERE seq = 14");
    rebuild_chain(14, 14);  // 14's hashes made to match its new contents; 15 still links to the old hash
    expect_tampered(
        "audit log: entry 14 rewritten, or an entry after it removed (entry 15 links to a hash no "
        "entry has)",
        14);
}

TEST_F(AuditVerify, ACheckpointWhoseRootWasChangedFailsItsSignature) {
    tamper("UPDATE audit_checkpoints SET root_hash = '" + std::string(64, 'b') + "' WHERE tree_size = 10");
    expect_tampered("audit log: the checkpoint at size 10 has a signature that does not verify with key " + key_id_, 0);
}

TEST_F(AuditVerify, AnotherPublicKeyIsReportedByName) {
    std::string message;
    const auto other = audit::SigningKey::generate(message);
    ASSERT_TRUE(other);
    const fs::path other_key = dir_.path() / "other.pub.pem";
    std::ofstream(other_key) << other->public_key().pem();
    const auto result = store::verify_audit_file(dir_.database().string(), audit::keys_of(&other->public_key()));
    EXPECT_EQ(result.status, audit::LogStatus::tampered);
    EXPECT_EQ(result.line, "audit log: the checkpoint at size 10 names key " + key_id_ +
                               ", not the public key given (" + other->public_key().id() + ")");
    const Verdict verdict = verify_binary(" --public-key '" + other_key.string() + "'");
    EXPECT_EQ(verdict.exit_code, 2) << verdict.line;
}

TEST_F(AuditVerify, WithoutThePublicKeyCheckpointsCannotBeCheckedAndItSaysSo) {
    fs::remove(dir_.data() / audit::public_key_file);
    fs::remove(dir_.data() / audit::signing_key_file);
    fs::remove_all(dir_.data() / audit::public_keys_directory);  // the store's record of the keys it used
    const Verdict verdict = verify_binary();
    EXPECT_EQ(verdict.exit_code, 1) << verdict.line;
    EXPECT_NE(verdict.line.find("no public key to check them with"), std::string::npos) << verdict.line;
}

TEST_F(AuditVerify, EntriesAppendedAfterTheLastCheckpointAreShownAsSuch) {
    // A well-formed entry appended past the last checkpoint cannot be told
    // from a real one until the next checkpoint; the summary says how many
    // entries a signature covers so the reader knows.
    insert_forged(31, true);
    const auto result = verify_here();
    EXPECT_EQ(result.status, audit::LogStatus::intact);
    EXPECT_EQ(result.line, "audit log intact: 31 entries, last checkpoint at size 20 signed by key " + key_id_);
}

TEST_F(AuditVerify, AStoreWithoutTheAuditLogOrAFileThatIsNotOneIsAnIoError) {
    const Verdict missing = verify_binary(" --data '" + (dir_.path() / "nowhere").string() + "'");
    EXPECT_EQ(missing.exit_code, 1) << missing.line;
    tamper("DROP TABLE audit_entries");
    const auto result = verify_here();
    EXPECT_EQ(result.status, audit::LogStatus::tampered);
    EXPECT_EQ(result.line, "audit log: the audit_entries table is missing");
    const Verdict usage = verify_binary(" --bogus");
    EXPECT_EQ(usage.exit_code, 1) << usage.line;
}

}  // namespace
