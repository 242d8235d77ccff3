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
