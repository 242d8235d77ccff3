// The golden referral as FHIR: tests/golden/referral.fhir.json must decode to
// exactly testing::golden_record(), and the encoder must write a Bundle the
// decoder reads back to the same record, byte-stable across a second pass.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>

#include "fhir/fhir_codec.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge {
namespace {

std::optional<model::PersonRecord> decode_clean(const std::string& json) {
    issues::IssueSink sink;
    auto record = fhir::decode(json, codec::DecodeOptions{}, sink);
    EXPECT_TRUE(record.has_value()) << issues::to_operation_outcome_json(sink, true);
    // The golden and the encoder's output carry nothing the record cannot hold.
    for (const issues::Issue& issue : sink.issues())
        if (issue.severity != issues::Severity::information)
            ADD_FAILURE() << issues::to_string(issue.severity) << " at " << issue.path << ": " << issue.message;
    return record;
}

// Compares part by part first so a failure names the part that differs.
void expect_same(const model::PersonRecord& actual, const model::PersonRecord& expected) {
    EXPECT_EQ(actual.person, expected.person);
    EXPECT_EQ(actual.diagnoses, expected.diagnoses);
    ASSERT_EQ(actual.referrals.size(), expected.referrals.size());
    for (std::size_t i = 0; i < actual.referrals.size(); ++i) {
        const model::Referral& a = actual.referrals[i];
        const model::Referral& e = expected.referrals[i];
        EXPECT_EQ(a.id, e.id);
        EXPECT_EQ(a.version, e.version);
        EXPECT_EQ(a.created, e.created);
        EXPECT_EQ(a.updated, e.updated);
        EXPECT_EQ(a.status, e.status);
        EXPECT_EQ(a.status_reason, e.status_reason);
        EXPECT_EQ(a.status_set_by, e.status_set_by);
        EXPECT_EQ(a.priority, e.priority);
        EXPECT_EQ(a.pathway, e.pathway);
        EXPECT_EQ(a.source, e.source);
        EXPECT_EQ(a.referrer_ods, e.referrer_ods);
        EXPECT_EQ(a.referrer_name, e.referrer_name);
        EXPECT_EQ(a.needs, e.needs);
        EXPECT_EQ(a.complexity_flags, e.complexity_flags);
        EXPECT_EQ(a.risk, e.risk);
        EXPECT_EQ(a.shielded, e.shielded);
        EXPECT_EQ(a.consent, e.consent);
        EXPECT_EQ(a.lawful_basis, e.lawful_basis);
        EXPECT_EQ(a.care_team, e.care_team);
        EXPECT_EQ(a.requested_services, e.requested_services);
        EXPECT_EQ(a.targets, e.targets);
        EXPECT_EQ(a.history, e.history);
        EXPECT_EQ(a.notes, e.notes);
    }
    EXPECT_EQ(actual.care_plans, expected.care_plans);
    EXPECT_EQ(actual.contacts, expected.contacts);
    EXPECT_EQ(actual.admissions, expected.admissions);
    EXPECT_EQ(actual, expected);
}

TEST(FhirGolden, DecodesToTheGoldenRecordWithoutIssues) {
    const std::string golden = testing::read_source_file("tests/golden/referral.fhir.json");
    ASSERT_FALSE(golden.empty());
    auto record = decode_clean(golden);
    ASSERT_TRUE(record);
    expect_same(*record, testing::golden_record());
}

TEST(FhirGolden, EncodedGoldenRecordDecodesBackEqual) {
    issues::IssueSink sink;
    const std::string bundle = fhir::encode(testing::golden_record(), fhir::EncodeOptions{}, sink);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
    auto record = decode_clean(bundle);
    ASSERT_TRUE(record);
    expect_same(*record, testing::golden_record());
}

TEST(FhirGolden, EncodeDecodeEncodeIsByteIdentical) {
    for (bool pretty : {false, true}) {
        issues::IssueSink sink;
        const fhir::EncodeOptions options{.pretty = pretty};
        const std::string first = fhir::encode(testing::golden_record(), options, sink);
        auto record = decode_clean(first);
        ASSERT_TRUE(record);
        const std::string second = fhir::encode(*record, options, sink);
        EXPECT_EQ(first, second);
    }
}

TEST(FhirGolden, GoldenFileRoundTripsThroughEncode) {
    auto record = decode_clean(testing::read_source_file("tests/golden/referral.fhir.json"));
    ASSERT_TRUE(record);
    issues::IssueSink sink;
    const std::string bundle = fhir::encode(*record, fhir::EncodeOptions{.pretty = true}, sink);
    auto again = decode_clean(bundle);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *record);
    EXPECT_EQ(fhir::encode(*again, fhir::EncodeOptions{.pretty = true}, sink), bundle);
}

TEST(FhirGolden, EncodedMessageStartsWithItsHeaderAndIsDeterministic) {
    issues::IssueSink sink;
    const std::string a = fhir::encode(testing::golden_record(), fhir::EncodeOptions{}, sink);
    const std::string b = fhir::encode(testing::golden_record(), fhir::EncodeOptions{}, sink);
    EXPECT_EQ(a, b);
    rapidjson::Document doc;
    doc.Parse(a.data(), a.size());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_STREQ(doc["type"].GetString(), "message");
    EXPECT_STREQ(doc["timestamp"].GetString(), "2026-10-05T14:10:00Z");
    const auto& entries = doc["entry"];
    ASSERT_GT(entries.Size(), 3u);
    EXPECT_STREQ(entries[0]["resource"]["resourceType"].GetString(), "MessageHeader");
    // Every fullUrl is a urn:uuid: of a version-5 UUID, and none repeats.
    std::set<std::string> seen;
    for (const auto& entry : entries.GetArray()) {
        const std::string url = entry["fullUrl"].GetString();
        ASSERT_EQ(url.rfind("urn:uuid:", 0), 0u) << url;
        ASSERT_EQ(url.size(), 9u + 36u) << url;
        EXPECT_EQ(url[9 + 14], '5') << url;
        EXPECT_TRUE(seen.insert(url).second) << "duplicate " << url;
    }
    // The header's focus is the ServiceRequest.
    const std::string focus = entries[0]["resource"]["focus"][0]["reference"].GetString();
    bool found = false;
    for (const auto& entry : entries.GetArray())
        if (focus == entry["fullUrl"].GetString())
            found = std::string(entry["resource"]["resourceType"].GetString()) == "ServiceRequest";
    EXPECT_TRUE(found);
}

TEST(FhirGolden, RecordWithoutReferralEncodesAsCollection) {
    model::PersonRecord record = testing::golden_record();
    record.referrals.clear();
    issues::IssueSink sink;
    const std::string bundle = fhir::encode(record, fhir::EncodeOptions{}, sink);
    rapidjson::Document doc;
    doc.Parse(bundle.data(), bundle.size());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_STREQ(doc["type"].GetString(), "collection");
    EXPECT_FALSE(doc.HasMember("timestamp"));
    issues::IssueSink decode_sink;
    auto back = fhir::decode(bundle, codec::DecodeOptions{}, decode_sink);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, record);
    // Saying clearly that there is no referral, without making it a warning.
    EXPECT_EQ(decode_sink.count(issues::Severity::warning), 0u);
    ASSERT_EQ(decode_sink.issues().size(), 1u);
    EXPECT_EQ(decode_sink.issues()[0].type, issues::IssueType::not_found);
}

}  // namespace
}  // namespace carebridge
