#pragma once
// What the intake stage tests share: the demo partnership (config/demo.json),
// the Trust's EPR as the submitter, a real SQLite store in a test's directory,
// a store that fails its n-th commit for real, and synthetic people made from
// the golden care-notes client with their own NHS numbers (999 000 0000 upwards,
// mod-11 valid), names and referral ids.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>
#include <string>

#include "carenotes/carenotes_codec.hpp"
#include "config/config.hpp"
#include "intake/plan.hpp"
#include "policy/directory.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "store/store_error.hpp"
#include "translation/translator.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::gateway::intake::fixture {

inline const std::string source_dir = CAREBRIDGE_SOURCE_DIR;

inline Partnership demo_partnership() {
    std::string error;
    auto config = config::load_config(source_dir + "/config/demo.json", error);
    EXPECT_TRUE(config) << error;
    if (!config) return {};
    Partnership p;
    p.config = std::make_shared<const config::Config>(std::move(*config));
    p.directory = policy::Directory::create(*p.config, error);
    EXPECT_TRUE(p.directory) << error;
    return p;
}

inline http::Principal trust_epr() {
    http::Principal p;
    p.client = "trust-epr";
    p.organisation = "trust";
    return p;
}

inline std::unique_ptr<store::Store> open_store(const std::filesystem::path& dir) {
    store::SqliteOptions options;
    options.directory = dir.string();
    std::error_code ec;
    std::string message;
    auto s = store::open_sqlite_store(options, ec, message);
    EXPECT_TRUE(s) << message;
    return s;
}

// The n-th NHS number from 999 000 0000 whose mod-11 check digit is valid.
inline std::string nhs_number(std::size_t n) {
    static std::vector<std::string> numbers;
    static std::uint64_t next_stem = 999000000;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    for (; numbers.size() <= n; ++next_stem) {
        const std::uint64_t base = next_stem;
        const std::string nine = std::to_string(base);
        int sum = 0;
        for (int i = 0; i < 9; ++i) sum += (nine[i] - '0') * (10 - i);
        const int check = 11 - sum % 11;
        if (check == 10) continue;  // no valid number has this stem
        numbers.push_back(nine + std::to_string(check == 11 ? 0 : check));
    }
    return numbers[n];
}

// The golden care-notes client (Danny Whitfield's referral to befriending).
inline const model::PersonRecord& golden_client() {
    static const model::PersonRecord record = [] {
        issues::IssueSink sink;
        auto decoded = carenotes::decode_single(
            testing::read_text(std::filesystem::path(source_dir) / "tests/golden/referral.carenotes.xml"), {}, sink);
        EXPECT_TRUE(decoded) << "the golden care-notes client does not decode";
        if (!decoded) return model::PersonRecord{};
        // What routing and the befriending profile look at stays; the clinical
        // bulk goes, so ten thousand people run in seconds in a Debug build.
        decoded->contacts.clear();
        decoded->admissions.clear();
        for (auto& plan : decoded->care_plans) {
            plan.goals.clear();
            plan.activities.clear();
            plan.dialog.clear();
        }
        for (auto& referral : decoded->referrals) {
            referral.history.clear();
            referral.care_team.clear();
            referral.notes.clear();
        }
        return *decoded;
    }();
    return record;
}

// Person i's tag in its names and ids, fixed width so no tag is the start of another.
inline std::string person_tag(std::size_t i) {
    std::string n = std::to_string(i);
    return std::string(n.size() < 6 ? 6 - n.size() : 0, '0') + n;
}

// Person i, varied so the routes differ: most go to befriending alone, every
// fourth also asks for Westshire Mind's peer support (a second recipient in
// another format), every tenth asks for the closed crisis cafe (refused),
// every fifth is red (an escalation timer).
inline model::PersonRecord synthetic_person(std::size_t i) {
    model::PersonRecord r = golden_client();
    const std::string n = person_tag(i);
    r.person.local_id = "CN-" + n;
    r.person.nhs_number = nhs_number(i);
    for (auto& name : r.person.names) {
        name.family = "Testperson" + n;
        if (!name.given.empty()) name.given.front() = "Synthetic";
    }
    if (r.referrals.empty()) return r;
    model::Referral& referral = r.referrals.front();
    referral.id = "REF-SYN-" + n;
    if (i % 5 == 2) referral.priority = model::Priority::red;
    if (i % 4 == 1) referral.targets.push_back(model::Target{"DMN01", "peer-support"});
    if (i % 10 == 3) referral.targets = {model::Target{"DMN01", "crisis-cafe"}};
    return r;
}

// The variations repeat every 20 people (4, 5 and 10 divide it).
inline constexpr std::size_t variations = 20;

// Person i as FHIR JSON, made from person i % 20's document with the NHS
// number, names and ids swapped: encoding ten thousand documents would
// take longer than taking them in.
inline std::string synthetic_fhir(std::size_t i) {
    static const std::vector<std::string> documents = [] {
        std::vector<std::string> d;
        for (std::size_t k = 0; k < variations; ++k) {
            issues::IssueSink sink;
            d.push_back(translation::encode_document(translation::Format::fhir, synthetic_person(k), false, sink));
        }
        return d;
    }();
    const std::size_t k = i % variations;
    std::string text = documents[k];
    const auto swap = [&](const std::string& from, const std::string& to) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    };
    swap(nhs_number(k), nhs_number(i));
    swap(person_tag(k), person_tag(i));
    return text;
}

// A store that refuses its n-th commit (from 1) and every one after it, as a
// full disk would: nothing of those write sets is kept.
class FailingStore : public store::Store {
public:
    FailingStore(store::Store& real, std::size_t fail_from) : real_(real), fail_from_(fail_from) {}
    void commit(store::WriteSet writes, Done done) override {
        if (++commits_ >= fail_from_) {
            store::CommitResult failed;
            failed.error = std::make_error_code(std::errc::no_space_on_device);
            return done(std::move(failed));
        }
        real_.commit(std::move(writes), std::move(done));
    }
    std::optional<store::StoredMessage> find_message(std::string_view id, std::error_code& e) override {
        return real_.find_message(id, e);
    }
    std::vector<store::HistoryEntry> referral_history(std::string_view id, std::error_code& e) override {
        return real_.referral_history(id, e);
    }
    std::vector<std::string> message_recipients(std::string_view id, std::error_code& e) override {
        return real_.message_recipients(id, e);
    }
    std::vector<store::TriageItem> find_triage_items(const store::TriageQuery& q, std::error_code& e) override {
        return real_.find_triage_items(q, e);
    }
    std::optional<store::TriageItem> find_triage_item(std::string_view id, std::error_code& e) override {
        return real_.find_triage_item(id, e);
    }
    std::vector<store::EscalationTimer> due_escalation_timers(std::string_view now, std::size_t limit,
                                                              std::error_code& e) override {
        return real_.due_escalation_timers(now, limit, e);
    }
    std::vector<audit::AuditEntry> find_audit_entries(const audit::AuditQuery& q, std::error_code& e) override {
        return real_.find_audit_entries(q, e);
    }
    std::optional<audit::Checkpoint> latest_audit_checkpoint(std::error_code& e) override {
        return real_.latest_audit_checkpoint(e);
    }
    std::optional<audit::Checkpoint> audit_checkpoint_at(std::uint64_t size, std::error_code& e) override {
        return real_.audit_checkpoint_at(size, e);
    }
    std::vector<audit::Hash> audit_leaf_hashes(std::uint64_t first, std::uint64_t last, std::error_code& e) override {
        return real_.audit_leaf_hashes(first, last, e);
    }
    const audit::PublicKey& audit_public_key() const override { return real_.audit_public_key(); }
    audit::TrustedKeys audit_trusted_keys() override { return real_.audit_trusted_keys(); }
    audit::LogVerification verify_audit_log() override { return real_.verify_audit_log(); }
    std::vector<store::OutboxItem> due_outbox_items(std::chrono::system_clock::time_point now, std::size_t limit,
                                                    std::error_code& e) override {
        return real_.due_outbox_items(now, limit, e);
    }
    std::optional<std::chrono::system_clock::time_point> next_outbox_attempt(std::error_code& e) override {
        return real_.next_outbox_attempt(e);
    }
    std::vector<store::OutboxItem> find_outbox_items(const store::OutboxQuery& q, std::error_code& e) override {
        return real_.find_outbox_items(q, e);
    }
    std::uint64_t count_outbox_items(const store::OutboxQuery& q, std::error_code& e) override {
        return real_.count_outbox_items(q, e);
    }
    std::optional<store::OutboxItem> find_outbox_item(std::string_view id, std::error_code& e) override {
        return real_.find_outbox_item(id, e);
    }
    bool ready() override { return real_.ready(); }
    void close() override {}

private:
    store::Store& real_;
    std::size_t fail_from_;
    std::atomic<std::size_t> commits_{0};
};

// Every outbox row in the store, oldest first.
inline std::vector<store::OutboxItem> all_outbox_items(store::Store& s) {
    std::vector<store::OutboxItem> all;
    store::OutboxQuery q;
    q.limit = 1000;
    for (;;) {
        std::error_code ec;
        auto page = s.find_outbox_items(q, ec);
        EXPECT_FALSE(ec) << ec.message();
        if (page.empty()) break;
        q.after_seq = page.back().seq;
        for (auto& item : page) all.push_back(std::move(item));
    }
    return all;
}

// Every audit entry in the store, in log order.
inline std::vector<audit::AuditEntry> all_audit_entries(store::Store& s) {
    std::vector<audit::AuditEntry> all;
    audit::AuditQuery q;
    q.limit = 1000;
    for (;;) {
        std::error_code ec;
        auto page = s.find_audit_entries(q, ec);
        EXPECT_FALSE(ec) << ec.message();
        if (page.empty()) break;
        q.after_seq = page.back().seq;
        for (auto& e : page) all.push_back(std::move(e));
    }
    return all;
}

}  // namespace carebridge::gateway::intake::fixture
