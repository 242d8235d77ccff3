// The care-notes writer: what it cannot carry is reported, the output always
// validates, and records that fit the format round-trip exactly.

#include <gtest/gtest.h>

#include "carenotes/carenotes_codec.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"
#include "xsd_check.hpp"

namespace carebridge::carenotes {
namespace {

using issues::Severity;

model::PersonRecord round_trip(const model::PersonRecord& record, issues::IssueSink& sink, std::string* xml_out = nullptr) {
    const std::string xml = encode_single(record, sink);
    std::string error;
    EXPECT_TRUE(testing::validates_against_carenotes_xsd(xml, &error)) << error << "\n" << xml;
    if (xml_out) *xml_out = xml;
    issues::IssueSink decode_sink;
    auto decoded = decode_single(xml, ReaderOptions{}, decode_sink);
    EXPECT_TRUE(decoded) << issues::one_line_summary(decode_sink);
    return decoded ? *decoded : model::PersonRecord{};
}

bool has_warning_at(const issues::IssueSink& sink, const std::string& path) {
    for (const auto& issue : sink.issues())
        if (issue.severity == Severity::warning && issue.path == path) return true;
    return false;
}

TEST(CarenotesWriter, EdgesOfTheRecordRoundTrip) {
    model::PersonRecord r;
    r.person.nhs_number = "9990000026";
    r.person.names = {model::PersonName{"", "", {"", "Jo"}, ""}};  // empty use and an empty given name
    r.person.address = model::Address{};                           // present but empty
    r.person.no_fixed_abode = true;
    r.person.contact_preferences.interpreter_required = true;
    r.person.contact_preferences.interpreter_language = "pa-IN";
    r.person.gender = model::Gender::unknown;
    r.person.ethnic_category = "99";
    model::Referral ref;
    ref.status = model::ReferralStatus::declined_by_service;
    ref.priority = model::Priority::red;
    ref.notes = "Line one\nline two\r\n\ttabbed <b>&amp; \"quoted\"";
    ref.needs = {model::NeedItem{model::Need::other, "  padded  "}};
    ref.targets = {model::Target{"", "crisis café"}, model::Target{"DBF01", ""}};
    ref.history = {model::Hop{"", model::ReferralStatus::withdrawn, "", ""}};
    ref.risk.flags = {"a"};
    ref.consent = model::Consent{};
    ref.lawful_basis.article9 = "9(2)(h)";
    r.referrals = {ref, model::Referral{}};
    model::CarePlan plan;
    plan.status = model::CarePlanStatus::on_hold;
    plan.dialog_date = "2026";
    plan.goals = {model::Goal{"", "2026-05", "entered-in-error"}};
    r.care_plans = {plan};
    r.contacts = {model::ServiceContact{}};
    r.admissions = {model::Admission{"", "2025-11-02T22:15:00.123+01:00", "", "", "", ""}};
    r.diagnoses = {model::Diagnosis{"snomed", "58214004", "", ""}};

    issues::IssueSink sink;
    EXPECT_EQ(round_trip(r, sink), r);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
}

TEST(CarenotesWriter, WhatTheFormatCannotHoldIsReportedAndLeftOut) {
    model::PersonRecord r = testing::golden_record();
    r.person.birth_date = "14/03/1978";
    r.person.gp_practice_ods = "not an ods";
    r.person.names[0].use = "stage-name";
    r.diagnoses[0].system = "read-v2";
    r.referrals[0].complexity_flags.push_back("");
    r.referrals[0].notes = std::string("bell\x07here");
    r.referrals[0].referrer_name = std::string(1100, 'n');
    r.care_plans[0].dialog[2].score = 9;
    r.admissions[0].legal_status = "section 3";
    r.contacts[0].end = "2026-09-28 11:00";

    issues::IssueSink sink;
    std::string xml;
    const model::PersonRecord back = round_trip(r, sink, &xml);
    EXPECT_EQ(sink.count(Severity::error), 0u);
    EXPECT_EQ(sink.count(Severity::warning), 10u) << issues::to_operation_outcome_json(sink, true);
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.person.birth_date"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.person.gp_practice_ods"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.person.names[0].use"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.diagnoses[0].system"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.referrals[0].complexity_flags[2]"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.referrals[0].notes"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.referrals[0].referrer_name"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.care_plans[0].dialog[2].score"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.admissions[0].legal_status"));
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.contacts[0].end"));

    EXPECT_TRUE(back.person.birth_date.empty());
    EXPECT_TRUE(back.person.gp_practice_ods.empty());
    EXPECT_EQ(back.referrals[0].notes, "bellhere");
    EXPECT_EQ(back.referrals[0].referrer_name.size(), 1024u);
    EXPECT_EQ(back.care_plans[0].dialog.size(), 10u);
    EXPECT_EQ(back.referrals[0].complexity_flags.size(), 2u);
}

TEST(CarenotesWriter, InvalidNhsNumberIsWrittenWithAWarning) {
    model::PersonRecord r;
    r.person.nhs_number = "9990000086";
    issues::IssueSink sink;
    const std::string xml = encode_single(r, sink);
    EXPECT_TRUE(has_warning_at(sink, "PersonRecord.person.nhs_number"));
    EXPECT_NE(xml.find("9990000086"), std::string::npos);
    EXPECT_TRUE(testing::validates_against_carenotes_xsd(xml));
}

TEST(CarenotesWriter, CompactOutputHasNoIndentation) {
    issues::IssueSink sink;
    const std::string xml = encode_single(testing::golden_record(), sink, false);
    EXPECT_EQ(xml.find("\n  <"), std::string::npos);
    EXPECT_TRUE(testing::validates_against_carenotes_xsd(xml));
}

TEST(CarenotesWriter, UnfinishedWriterLeavesNoFooter) {
    std::string out;
    {
        ExportWriter writer([&](std::string_view chunk) { out.append(chunk); }, {});
        issues::IssueSink sink;
        writer.write(testing::golden_record(), sink);
    }
    EXPECT_EQ(out.find("</CareNotesExport>"), std::string::npos);
}

}  // namespace
}  // namespace carebridge::carenotes
