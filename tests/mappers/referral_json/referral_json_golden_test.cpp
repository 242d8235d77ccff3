// The golden referral through the partnership JSON codec: decode, encode,
// round trip, and what the format cannot carry.

#include <gtest/gtest.h>
#include <rapidjson/schema.h>

#include "referral_json/referral_schema.hpp"
#include "referral_json/referral_test_support.hpp"

namespace carebridge::testing {
namespace {

using issues::IssueType;
using issues::Severity;

model::PersonRecord minimal_record() {
    model::PersonRecord r;
    r.person.nhs_number = "9990000018";
    model::Referral& ref = r.referrals.emplace_back();
    ref.id = "REF-1";
    ref.status = model::ReferralStatus::received;
    ref.priority = model::Priority::red;
    return r;
}

bool schema_accepts(const std::string& json) {
    rapidjson::Document doc = parse_json(json);
    rapidjson::SchemaValidator validator(referral_json::referral_schema().document());
    return doc.Accept(validator);
}

TEST(ReferralJsonGolden, DecodesToTheGoldenRecordWithoutIssues) {
    Decoded d = decode_text(golden_referral_json(), codec::Strictness::strict);
    ASSERT_TRUE(d.record) << describe(d.sink);
    EXPECT_TRUE(d.sink.empty()) << describe(d.sink);
    EXPECT_EQ(*d.record, golden_record_without_encounters());
}

TEST(ReferralJsonGolden, EncodesToTheGoldenDocument) {
    for (const bool pretty : {false, true}) {
        issues::IssueSink sink;
        const std::string out = referral_json::encode(golden_record_without_encounters(), {pretty}, sink);
        EXPECT_TRUE(sink.empty()) << describe(sink);
        EXPECT_EQ(parse_json(out), parse_json(golden_referral_json())) << out;
        EXPECT_EQ(out.find('\n') != std::string::npos, pretty);
    }
}

TEST(ReferralJsonGolden, WritesMembersInTheGoldenOrder) {
    issues::IssueSink sink;
    const std::string out = referral_json::encode(golden_record_without_encounters(), {true}, sink);
    const rapidjson::Document written = parse_json(out);
    const rapidjson::Document golden = parse_json(golden_referral_json());
    ASSERT_EQ(written.MemberCount(), golden.MemberCount());
    for (auto w = written.MemberBegin(), g = golden.MemberBegin(); g != golden.MemberEnd(); ++w, ++g)
        EXPECT_STREQ(w->name.GetString(), g->name.GetString());
    const rapidjson::Value& person = written["person"];
    auto p = person.MemberBegin();
    for (const auto& g : golden["person"].GetObject()) EXPECT_STREQ((p++)->name.GetString(), g.name.GetString());
}

TEST(ReferralJsonGolden, RoundTripsThroughTheFormat) {
    for (const model::PersonRecord& record : {golden_record_without_encounters(), minimal_record()}) {
        issues::IssueSink sink;
        const std::string out = referral_json::encode(record, {}, sink);
        Decoded d = decode_text(out, codec::Strictness::strict);
        ASSERT_TRUE(d.record) << describe(d.sink);
        EXPECT_TRUE(d.sink.empty()) << describe(d.sink);
        EXPECT_EQ(*d.record, record);
    }
}

TEST(ReferralJsonGolden, EncoderOutputValidatesAgainstTheSchema) {
    issues::IssueSink sink;
    EXPECT_TRUE(schema_accepts(referral_json::encode(golden_record_without_encounters(), {}, sink)));
    EXPECT_TRUE(schema_accepts(referral_json::encode(minimal_record(), {true}, sink)));
    EXPECT_TRUE(sink.empty()) << describe(sink);
}

TEST(ReferralJsonGolden, LeavesUnknownValuesOut) {
    issues::IssueSink sink;
    const rapidjson::Document doc = parse_json(referral_json::encode(minimal_record(), {}, sink));
    // Required members, the version, and the model's plain booleans.
    for (const char* name : {"schema", "referralId", "version", "status", "priority", "person", "shielded"})
        EXPECT_TRUE(doc.HasMember(name)) << name;
    EXPECT_EQ(doc.MemberCount(), 7u);
    EXPECT_EQ(doc["person"].MemberCount(), 2u);  // nhsNumber, noFixedAbode
    EXPECT_STREQ(doc["status"].GetString(), "received");
    EXPECT_STREQ(doc["priority"].GetString(), "red");
}

TEST(ReferralJsonGolden, ReportsContactsAndAdmissionsAsNotCarried) {
    issues::IssueSink sink;
    const std::string out = referral_json::encode(golden_record(), {}, sink);
    EXPECT_EQ(parse_json(out), parse_json(golden_referral_json()));
    ASSERT_EQ(sink.issues().size(), 2u) << describe(sink);
    EXPECT_EQ(sink.count(Severity::warning), 2u);
    EXPECT_FALSE(sink.failed());
    EXPECT_EQ(sink.issues()[0].type, IssueType::informational);
    EXPECT_EQ(sink.issues()[0].path, "contacts");
    EXPECT_NE(sink.issues()[0].message.find("2 service contact(s)"), std::string::npos);
    EXPECT_EQ(sink.issues()[1].type, IssueType::informational);
    EXPECT_EQ(sink.issues()[1].path, "admissions");
}

TEST(ReferralJsonGolden, ReportsFurtherReferralsAndCarePlansOnce) {
    model::PersonRecord record = golden_record_without_encounters();
    record.referrals.push_back(minimal_record().referrals.front());
    record.referrals.push_back(minimal_record().referrals.front());
    record.care_plans.push_back(record.care_plans.front());
    issues::IssueSink sink;
    const std::string out = referral_json::encode(record, {}, sink);
    // The first referral and care plan are written, as for the golden record.
    EXPECT_EQ(parse_json(out), parse_json(golden_referral_json()));
    ASSERT_EQ(sink.issues().size(), 2u) << describe(sink);
    EXPECT_EQ(sink.issues()[0].severity, Severity::warning);
    EXPECT_EQ(sink.issues()[0].type, IssueType::informational);
    EXPECT_EQ(sink.issues()[0].path, "referrals[1]");
    EXPECT_NE(sink.issues()[0].message.find("2 more referral(s)"), std::string::npos);
    EXPECT_EQ(sink.issues()[1].path, "care_plans[1]");
}

TEST(ReferralJsonGolden, RefusesARecordWithoutAReferral) {
    model::PersonRecord record = golden_record_without_encounters();
    record.referrals.clear();
    issues::IssueSink sink;
    EXPECT_EQ(referral_json::encode(record, {}, sink), "");
    ASSERT_EQ(sink.issues().size(), 1u);
    EXPECT_EQ(sink.issues()[0].severity, Severity::error);
    EXPECT_EQ(sink.issues()[0].type, IssueType::not_found);
    EXPECT_EQ(sink.issues()[0].path, "referrals");
}

TEST(ReferralJsonGolden, CarriesFieldsTheGoldenLeavesEmpty) {
    // interpreterLanguage and a consent without scope are not in the golden file.
    model::PersonRecord record = minimal_record();
    record.person.contact_preferences.interpreter_required = true;
    record.person.contact_preferences.interpreter_language = "pl";
    record.person.address = model::Address{};
    record.person.no_fixed_abode = true;
    record.referrals[0].consent = model::Consent{};
    record.referrals[0].consent->status = model::ConsentStatus::withdrawn;
    record.care_plans.emplace_back().status = model::CarePlanStatus::on_hold;
    issues::IssueSink sink;
    const std::string out = referral_json::encode(record, {}, sink);
    EXPECT_TRUE(schema_accepts(out)) << out;
    Decoded d = decode_text(out, codec::Strictness::strict);
    ASSERT_TRUE(d.record) << describe(d.sink);
    EXPECT_EQ(*d.record, record);
}

}  // namespace
}  // namespace carebridge::testing
