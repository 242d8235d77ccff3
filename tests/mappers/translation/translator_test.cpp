// Every direction between the three formats on the golden referral, and every
// round trip A → B → A, compared on the canonical record: equal on what B can
// carry, and what B cannot carry is reported, never silently dropped.
#include <gtest/gtest.h>

#include <string>

#include "golden_record.hpp"
#include "translation/translator.hpp"

namespace {

using namespace carebridge;
using translation::Format;

const Format all_formats[] = {Format::fhir, Format::carenotes, Format::referral};

std::string golden_text(Format f) {
    switch (f) {
    case Format::fhir: return carebridge::testing::read_source_file("tests/golden/referral.fhir.json");
    case Format::carenotes: return carebridge::testing::read_source_file("tests/golden/referral.carenotes.xml");
    case Format::referral: return carebridge::testing::read_source_file("tests/golden/referral.json");
    }
    return {};
}

// What survives a trip through these formats: the partnership JSON carries no
// service contacts or admissions.
model::PersonRecord expected_after(std::initializer_list<Format> formats) {
    for (Format f : formats)
        if (f == Format::referral) return carebridge::testing::golden_record_without_encounters();
    return carebridge::testing::golden_record();
}

model::PersonRecord decode_or_fail(Format f, const std::string& text, issues::IssueSink& sink) {
    auto record = translation::decode_document(f, text, {}, sink);
    EXPECT_TRUE(record.has_value()) << to_string(f) << ": " << (sink.issues().empty() ? "" : sink.issues()[0].message);
    return record.value_or(model::PersonRecord{});
}

std::string name(Format from, Format to) { return std::string(to_string(from)) + " → " + std::string(to_string(to)); }

TEST(Translator, EveryGoldenDecodesToTheGoldenRecordWithoutIssues) {
    for (Format f : all_formats) {
        issues::IssueSink sink;
        const auto record = decode_or_fail(f, golden_text(f), sink);
        EXPECT_EQ(record, expected_after({f})) << to_string(f);
        EXPECT_TRUE(sink.empty()) << to_string(f) << ": " << (sink.issues().empty() ? "" : sink.issues()[0].message);
    }
}

TEST(Translator, EveryDirectionCarriesTheReferral) {
    for (Format from : all_formats) {
        for (Format to : all_formats) {
            issues::IssueSink sink;
            const auto record = decode_or_fail(from, golden_text(from), sink);
            issues::IssueSink encode_sink;
            const std::string text = translation::encode_document(to, record, true, encode_sink);
            ASSERT_FALSE(encode_sink.failed()) << name(from, to);
            // Encounters the partnership JSON cannot hold are warned about, once per kind.
            const bool loses_encounters = to == Format::referral && from != Format::referral;
            EXPECT_EQ(encode_sink.count(issues::Severity::warning), loses_encounters ? 2u : 0u) << name(from, to);
            // …and once per encounter, at its source path, when the source paths are known.
            model::SourcePaths paths;
            issues::IssueSink located_sink;
            const auto located = translation::decode_document(from, golden_text(from), {}, located_sink, &paths);
            ASSERT_TRUE(located.has_value());
            issues::IssueSink located_encode_sink;
            (void)translation::encode_document(to, *located, true, located_encode_sink, &paths);
            EXPECT_EQ(located_encode_sink.count(issues::Severity::warning), loses_encounters ? 3u : 0u) << name(from, to);
            issues::IssueSink decode_sink;
            EXPECT_EQ(decode_or_fail(to, text, decode_sink), expected_after({from, to})) << name(from, to);
            EXPECT_TRUE(decode_sink.empty()) << name(from, to);
        }
    }
}

TEST(Translator, RoundTripsAreEqualOnWhatTheMiddleFormatCarries) {
    for (Format a : all_formats) {
        for (Format b : all_formats) {
            if (a == b) continue;
            issues::IssueSink sink;
            const auto original = decode_or_fail(a, golden_text(a), sink);
            const std::string there = translation::encode_document(b, original, false, sink);
            const auto middle = decode_or_fail(b, there, sink);
            const std::string back = translation::encode_document(a, middle, false, sink);
            const auto final_record = decode_or_fail(a, back, sink);
            EXPECT_FALSE(sink.failed()) << name(a, b);
            EXPECT_EQ(final_record, expected_after({a, b})) << name(a, b) << " → " << to_string(a);
        }
    }
}

TEST(Translator, WhatThePartnershipFormatCannotCarryIsReportedAtItsSourcePath) {
    const std::pair<Format, std::vector<std::string>> cases[] = {
        // The golden Bundle's Encounters: two contacts, then the admission.
        {Format::fhir, {"Bundle.entry[20].resource", "Bundle.entry[21].resource", "Bundle.entry[22].resource"}},
        {Format::carenotes,
         {"CareNotesExport.Client[0].Contact[0]", "CareNotesExport.Client[0].Contact[1]",
          "CareNotesExport.Client[0].Admission[0]"}},
    };
    for (const auto& [from, expected] : cases) {
        translation::TranslateRequest request;
        request.from = from;
        request.to = Format::referral;
        issues::IssueSink sink;
        const auto summary = translation::translate_text(request, golden_text(from), [](std::string_view) {}, sink);
        ASSERT_TRUE(summary.ok()) << to_string(from);
        std::vector<std::string> paths;
        for (const auto& issue : sink.issues()) {
            EXPECT_EQ(issue.severity, issues::Severity::warning);
            EXPECT_EQ(issue.type, issues::IssueType::informational);
            paths.push_back(issue.path);
        }
        EXPECT_EQ(paths, expected) << to_string(from);
    }
}

TEST(Translator, ExtraReferralsAndCarePlansAreReportedWhereTheyStand) {
    // A Bundle with two referrals and two care plans, written by the FHIR encoder.
    model::PersonRecord record = carebridge::testing::golden_record_without_encounters();
    record.referrals.push_back(record.referrals[0]);
    record.referrals[1].id = "REF-2026-000418";
    record.care_plans.push_back(record.care_plans[0]);
    record.care_plans[1].id = "CP-7782";
    issues::IssueSink sink;
    const std::string bundle = translation::encode_document(Format::fhir, record, false, sink);
    model::SourcePaths paths;
    const auto decoded = translation::decode_document(Format::fhir, bundle, {}, sink, &paths);
    ASSERT_TRUE(decoded.has_value());
    ASSERT_EQ(paths.referrals.size(), 2u);
    ASSERT_EQ(paths.care_plans.size(), 2u);
    issues::IssueSink encode_sink;
    (void)translation::encode_document(Format::referral, *decoded, false, encode_sink, &paths);
    ASSERT_EQ(encode_sink.issues().size(), 2u);
    EXPECT_EQ(encode_sink.issues()[0].path, paths.referrals[1]);
    EXPECT_EQ(encode_sink.issues()[1].path, paths.care_plans[1]);
    EXPECT_TRUE(encode_sink.issues()[0].path.starts_with("Bundle.entry["));
}

TEST(Translator, TranslateTextWritesOneDocumentAndCountsIt) {
    translation::TranslateRequest request;
    request.from = Format::fhir;
    request.to = Format::referral;
    std::string out;
    issues::IssueSink sink;
    const auto summary =
        translation::translate_text(request, golden_text(Format::fhir), [&](std::string_view c) { out += c; }, sink);
    EXPECT_TRUE(summary.ok());
    EXPECT_EQ(summary.translated, 1u);
    EXPECT_FALSE(summary.ndjson);
    EXPECT_NE(out.find("\"partnership-referral/1\""), std::string::npos);
}

TEST(Translator, ARecordWithoutAReferralCannotBecomeAPartnershipReferral) {
    model::PersonRecord record = carebridge::testing::golden_record();
    record.referrals.clear();
    issues::IssueSink sink;
    EXPECT_TRUE(translation::encode_document(Format::referral, record, false, sink).empty());
    ASSERT_TRUE(sink.failed());
    EXPECT_EQ(sink.issues().front().type, issues::IssueType::not_found);
}

TEST(Translator, ACareNotesDocumentOfTwoClientsIsNotOneRecord) {
    std::string xml = golden_text(Format::carenotes);
    const auto start = xml.find("<Client");
    const auto end = xml.rfind("</Client>") + std::string("</Client>").size();
    xml.insert(end, xml.substr(start, end - start));
    issues::IssueSink sink;
    EXPECT_FALSE(translation::decode_document(Format::carenotes, xml, {}, sink).has_value());
    EXPECT_TRUE(sink.failed());
}

}  // namespace
