// A care-notes export through the intake stages, with no HTTP: each client is
// routed, minimised, audited and queued exactly as the same person posted
// alone as FHIR JSON; a client the directory refuses is reported and audited
// while the rest are stored; and a resend after the store failed part-way
// stores nothing twice.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <condition_variable>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "intake/commit.hpp"
#include "intake/decode.hpp"
#include "intake/export_intake.hpp"
#include "intake_fixture.hpp"
#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::intake {
namespace {

using namespace fixture;

// Writes people `indices` as one care-notes export file.
std::filesystem::path write_export(const std::filesystem::path& dir, const std::vector<std::size_t>& indices) {
    const auto file = dir / "export.xml";
    std::ofstream out(file, std::ios::binary);
    carenotes::ExportWriter writer([&](std::string_view chunk) { out.write(chunk.data(), chunk.size()); }, {false, ""});
    for (std::size_t i : indices) {
        issues::IssueSink sink;
        writer.write(synthetic_person(i), sink);
    }
    writer.finish();
    return file;
}

std::vector<std::size_t> first(std::size_t n) {
    std::vector<std::size_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = i;
    return v;
}

// The Trust's EPR configured "on_unroutable": "reject", so an unroutable client
// is refused as these tests expect; the default (triage) is tested below.
http::Principal rejecting_trust_epr() {
    http::Principal p = trust_epr();
    p.on_unroutable = config::OnUnroutable::reject;
    return p;
}

Arrival export_arrival(std::string key, http::Principal principal = rejecting_trust_epr()) {
    return Arrival{std::move(principal), translation::Format::carenotes, "application/xml", std::move(key)};
}

// How many messages the store holds for each NHS number.
std::map<std::string, int> messages_per_person(const std::filesystem::path& dir) {
    std::map<std::string, int> n;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir / "carebridge.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT nhs_number, count(*) FROM messages GROUP BY nhs_number", -1, &st, nullptr),
              SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        n[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

// What is comparable between two intakes of the same people: per NHS number,
// its audit entries (action, recipient, outcome, purpose, basis, consent and,
// past the format-specific received/translated, the detail), its outbox rows
// (recipient, service, format, content type, endpoint, the minimised payload)
// and whether a red referral's timer was set. Ids and times are left out.
struct Trace {
    std::vector<std::string> audit;
    std::multiset<std::string> outbox;
    int timers = 0;
    bool operator==(const Trace&) const = default;
};

std::map<std::string, Trace> traces(store::Store& s) {
    std::map<std::string, Trace> out;
    std::map<std::string, std::string> patient_of;  // message id → NHS number
    for (const auto& entry : all_audit_entries(s)) {
        const audit::AuditEvent& e = entry.event;
        if (e.patient.empty()) continue;
        if (!e.message_id.empty()) patient_of[e.message_id] = e.patient;
        const bool format_specific =
            e.action == audit::AuditAction::received || e.action == audit::AuditAction::translated;
        out[e.patient].audit.push_back(std::string(audit::to_string(e.action)) + "|" + e.actor_organisation + "|" +
                                       e.actor_role + "|" + e.recipient + "|" + e.outcome + "|" + e.purpose + "|" +
                                       e.lawful_basis + "|" + e.consent_reference + "|" + e.referral_id + "|" +
                                       (format_specific ? "" : e.detail));
    }
    for (const auto& item : all_outbox_items(s))
        out[patient_of[item.message_id]].outbox.insert(item.recipient + "|" + item.recipient_ods + "|" + item.service +
                                                       "|" + item.format + "|" + item.content_type + "|" +
                                                       item.endpoint_url + "|" + item.payload);
    std::error_code ec;
    for (const auto& timer : s.due_escalation_timers("9999-12-31T00:00:00.000Z", 1'000'000, ec))
        ++out[patient_of[timer.message_id]].timers;
    EXPECT_FALSE(ec);
    return out;
}

TEST(ExportIntake, TenThousandClientsAreRoutedAsTheSamePeoplePostedOneByOneAsFhir) {
    constexpr std::size_t people = 10'000;
    testing::TempDir temp;
    const Partnership partnership = demo_partnership();
    ASSERT_TRUE(partnership.directory);
    const auto exported_dir = temp.path() / "export", posted_dir = temp.path() / "fhir";

    // The two intakes run side by side, each into its own store: the export
    // on a thread of its own, the FHIR posts on this one.
    auto exported = open_store(exported_dir);
    ASSERT_TRUE(exported);
    const auto file = write_export(temp.path(), first(people));
    ExportSummary summary;
    std::thread export_lane([&] {
        issues::IssueSink opened;
        auto stream = ExportStream::open_file(file.string(), opened);
        if (!stream) {
            ADD_FAILURE() << issues::to_operation_outcome_json(opened);
            return;
        }
        summary = take_in_export(*stream, export_arrival("nightly-export"), partnership, *exported);
    });
    struct JoinAtEnd {
        std::thread& t;
        ~JoinAtEnd() {
            if (t.joinable()) t.join();
        }
    } join_export{export_lane};

    auto posted = open_store(posted_dir);
    ASSERT_TRUE(posted);
    {
        // Each person its own decode, plan and commit; a window in flight lets the store group them.
        std::atomic<std::size_t> pending{0}, stored{0}, refused{0};
        std::mutex mutex;
        std::condition_variable drained;
        for (std::size_t i = 0; i < people; ++i) {
            const std::string body = synthetic_fhir(i);
            DecodeRequest wanted;
            wanted.format = translation::Format::fhir;
            Decoded decoded = decode_document(body, wanted);
            ASSERT_EQ(decoded.status, DecodeStatus::decoded) << i << ": " << issues::to_operation_outcome_json(decoded.issues);
            const Arrival arrival{rejecting_trust_epr(), translation::Format::fhir, "application/fhir+json",
                                  "fhir-" + std::to_string(i)};
            IntakePlan plan = plan_intake(*decoded.record, body, decoded.issues, arrival, partnership,
                                          std::chrono::system_clock::now());
            ASSERT_NE(plan.status, PlanStatus::no_id);
            if (plan.status == PlanStatus::refused) ++refused;
            {
                std::unique_lock lock(mutex);
                drained.wait(lock, [&] { return pending < 512; });
                ++pending;
            }
            commit_intake(*posted, std::move(plan.writes), [&](CommitOutcome o) {
                if (o.status == CommitStatus::committed && !o.messages.empty()) ++stored;
                std::lock_guard lock(mutex);
                --pending;
                drained.notify_all();
            });
        }
        std::unique_lock lock(mutex);
        drained.wait(lock, [&] { return pending == 0; });
        EXPECT_EQ(stored, people - people / 10);
        EXPECT_EQ(refused, people / 10);
    }
    export_lane.join();
    ASSERT_EQ(summary.status, ExportStatus::read);
    EXPECT_FALSE(summary.fatal);
    EXPECT_EQ(summary.rejected, 0u);
    EXPECT_EQ(summary.refused, people / 10) << "every tenth asks for the closed crisis cafe";
    EXPECT_EQ(summary.accepted, people - people / 10);
    ASSERT_FALSE(summary.refusals.empty());
    EXPECT_EQ(summary.refusals.front().client, 3u);
    EXPECT_EQ(summary.refusals.front().status, 422u);
    const auto from_export = traces(*exported), from_fhir = traces(*posted);
    ASSERT_EQ(from_export.size(), people);
    ASSERT_EQ(from_fhir.size(), people);
    std::size_t differing = 0, two_recipients = 0, timers = 0;
    for (const auto& [patient, trace] : from_export) {
        const auto other = from_fhir.find(patient);
        ASSERT_NE(other, from_fhir.end()) << patient;
        if (!(trace == other->second) && ++differing <= 3) {
            ADD_FAILURE() << "person " << patient << " differs";
            for (std::size_t k = 0; k < std::max(trace.audit.size(), other->second.audit.size()); ++k)
                ADD_FAILURE() << (k < trace.audit.size() ? trace.audit[k] : "-") << "\n   vs "
                              << (k < other->second.audit.size() ? other->second.audit[k] : "-");
        }
        if (trace.outbox.size() == 2) ++two_recipients;
        timers += trace.timers;
    }
    EXPECT_EQ(differing, 0u);
    // The variations were exercised: a second recipient for some, timers for red referrals.
    EXPECT_GT(two_recipients, 0u);
    EXPECT_GT(timers, 0u);
    exported->close();
    posted->close();
}

TEST(ExportIntake, ARefusedClientIsReportedAndAuditedAndTheOthersAreStored) {
    testing::TempDir temp;
    const Partnership partnership = demo_partnership();
    auto s = open_store(temp.path() / "store");
    ASSERT_TRUE(s);
    issues::IssueSink opened;
    auto stream = ExportStream::open_file(write_export(temp.path(), first(20)).string(), opened);
    ASSERT_TRUE(stream);
    const ExportSummary summary = take_in_export(*stream, export_arrival("small-export"), partnership, *s);
    ASSERT_EQ(summary.status, ExportStatus::read);
    EXPECT_EQ(summary.accepted, 18u);
    EXPECT_EQ(summary.refused, 2u);
    ASSERT_EQ(summary.refusals.size(), 2u);
    EXPECT_EQ(summary.refusals[0].client, 3u);
    EXPECT_EQ(summary.refusals[1].client, 13u);
    EXPECT_NE(summary.refusals[0].message.find("closed"), std::string::npos) << summary.refusals[0].message;

    audit::AuditQuery refused;
    refused.patient = nhs_number(3);
    std::error_code ec;
    std::vector<std::string> actions;
    for (const auto& e : s->find_audit_entries(refused, ec)) {
        actions.emplace_back(audit::to_string(e.event.action));
        EXPECT_TRUE(e.event.message_id.empty()) << "nothing was stored under it";
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"policy-decision", "rejected"}));
    s->close();
    const auto stored = messages_per_person(temp.path() / "store");
    EXPECT_EQ(stored.size(), 18u);
    EXPECT_EQ(stored.count(nhs_number(3)), 0u);
}

TEST(ExportIntake, AnUnroutableClientFromATriagingSubmitterIsHeldForTriageOnceAndCounted) {
    testing::TempDir temp;
    const Partnership partnership = demo_partnership();
    auto s = open_store(temp.path() / "store");
    ASSERT_TRUE(s);
    const auto file = write_export(temp.path(), first(20));
    const auto take_in = [&] {
        issues::IssueSink opened;
        auto stream = ExportStream::open_file(file.string(), opened);
        EXPECT_TRUE(stream);
        return take_in_export(*stream, export_arrival("triaged-export", trust_epr()), partnership, *s);
    };
    const ExportSummary summary = take_in();
    ASSERT_EQ(summary.status, ExportStatus::read);
    EXPECT_EQ(summary.accepted, 18u);
    EXPECT_EQ(summary.triaged, 2u) << "clients 3 and 13 ask for the closed crisis cafe";
    EXPECT_EQ(summary.refused, 0u);
    EXPECT_EQ(summary.stored.size(), 20u);
    std::error_code ec;
    const auto held = s->find_triage_items({}, ec);
    ASSERT_EQ(held.size(), 2u);
    EXPECT_EQ(held[0].kind, "service-not-open");
    // The same export again: every client a repeat, no second item.
    const ExportSummary again = take_in();
    EXPECT_EQ(again.duplicates, 20u);
    EXPECT_EQ(again.triaged, 0u);
    EXPECT_EQ(s->find_triage_items({}, ec).size(), 2u);
    s->close();
    EXPECT_EQ(messages_per_person(temp.path() / "store").count(nhs_number(3)), 1u) << "held, so stored";
}

TEST(ExportIntake, AResendAfterAFailurePartWayStoresNothingTwice) {
    testing::TempDir temp;
    const Partnership partnership = demo_partnership();
    // 1,000 routable people (no crisis-cafe requests, whose refusal a resend would rightly record again).
    std::vector<std::size_t> indices;
    for (std::size_t i = 0; indices.size() < 1000; ++i)
        if (i % 10 != 3) indices.push_back(i);
    const auto file = write_export(temp.path(), indices);
    auto real = open_store(temp.path() / "store");
    ASSERT_TRUE(real);

    {
        // The third group of 256 meets a full disk: two groups are kept, the rest not.
        FailingStore failing(*real, 3);
        issues::IssueSink opened;
        auto stream = ExportStream::open_file(file.string(), opened);
        ASSERT_TRUE(stream);
        const ExportSummary summary = take_in_export(*stream, export_arrival("export-7"), partnership, failing);
        EXPECT_EQ(summary.status, ExportStatus::store_failed);
        EXPECT_EQ(summary.accepted, 512u);
    }
    {
        issues::IssueSink opened;
        auto stream = ExportStream::open_file(file.string(), opened);
        ASSERT_TRUE(stream);
        const ExportSummary summary = take_in_export(*stream, export_arrival("export-7"), partnership, *real);
        ASSERT_EQ(summary.status, ExportStatus::read);
        EXPECT_EQ(summary.duplicates, 512u);
        EXPECT_EQ(summary.accepted, 488u);
    }

    // Every person once: one message, one received and one translated entry,
    // each disclosure once, each recipient's copy once.
    std::map<std::string, std::map<std::string, int>> actions;
    std::map<std::string, int> disclosures_to;
    for (const auto& entry : all_audit_entries(*real)) {
        if (entry.event.patient.empty()) continue;
        ++actions[entry.event.patient][std::string(audit::to_string(entry.event.action))];
        if (entry.event.action == audit::AuditAction::disclosed)
            ++disclosures_to[entry.event.patient + ">" + entry.event.recipient];
    }
    std::map<std::string, int> copies;
    for (const auto& item : all_outbox_items(*real)) ++copies[item.message_id + ">" + item.recipient];
    real->close();

    const auto stored = messages_per_person(temp.path() / "store");
    ASSERT_EQ(stored.size(), 1000u);
    for (const auto& [patient, n] : stored) EXPECT_EQ(n, 1) << patient;
    ASSERT_EQ(actions.size(), 1000u);
    for (const auto& [patient, counts] : actions) {
        EXPECT_EQ(counts.at("received"), 1) << patient;
        EXPECT_EQ(counts.at("translated"), 1) << patient;
        EXPECT_EQ(counts.count("rejected"), 0u) << patient;
    }
    for (const auto& [key, n] : disclosures_to) EXPECT_EQ(n, 1) << key;
    for (const auto& [key, n] : copies) EXPECT_EQ(n, 1) << key;
    EXPECT_GE(copies.size(), 1000u);
    EXPECT_EQ(copies.size(), disclosures_to.size());
}

}  // namespace
}  // namespace carebridge::gateway::intake
