// Documents the partnership JSON decoder must refuse or report, each with the
// severity, issue type and element path a sender needs to fix it.

#include <gtest/gtest.h>

#include "issues/operation_outcome.hpp"
#include "referral_json/referral_test_support.hpp"

namespace carebridge::testing {
namespace {

using issues::IssueType;
using issues::Severity;
using rapidjson::Pointer;
using codec::Strictness;

// Decodes `text` and expects it refused with exactly one issue.
issues::Issue single_refusal(const std::string& text, Strictness strictness = Strictness::lenient) {
    Decoded d = decode_text(text, strictness);
    EXPECT_FALSE(d.record);
    EXPECT_EQ(d.sink.issues().size(), 1u) << describe(d.sink);
    return d.sink.issues().empty() ? issues::Issue{} : d.sink.issues().front();
}

void expect_issue(const issues::Issue& issue, Severity severity, IssueType type, const std::string& path) {
    EXPECT_EQ(issue.severity, severity) << issue.message;
    EXPECT_EQ(issue.type, type) << issue.message;
    EXPECT_EQ(issue.path, path) << issue.message;
}

TEST(ReferralJsonReject, MalformedJsonIsFatal) {
    const issues::Issue i = single_refusal(R"({"schema": "partnership-referral/1", "referralId": )");
    expect_issue(i, Severity::fatal, IssueType::structure, "");
    EXPECT_NE(i.message.find("not valid JSON"), std::string::npos);
}

TEST(ReferralJsonReject, NotAnObject) {
    const issues::Issue i = single_refusal("[1, 2]");
    expect_issue(i, Severity::error, IssueType::structure, "");
    EXPECT_EQ(i.message, "type: expected an object, found an array");
}

TEST(ReferralJsonReject, WrongTypeNamesExpectedAndFound) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) { Pointer("/priority").Set(d, 3); }));
    expect_issue(i, Severity::error, IssueType::structure, "priority");
    EXPECT_EQ(i.message, "type: expected a string, found a number");
}

TEST(ReferralJsonReject, WrongTypeDeepInsideArrays) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/person/names/1/given/0").Set(d, true); }));
    expect_issue(i, Severity::error, IssueType::structure, "person.names[1].given[0]");
}

TEST(ReferralJsonReject, MissingPerson) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) { d.RemoveMember("person"); }));
    expect_issue(i, Severity::error, IssueType::required, "person");
    EXPECT_EQ(i.message, "required: missing member person");
}

TEST(ReferralJsonReject, MissingReferralId) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) { d.RemoveMember("referralId"); }));
    expect_issue(i, Severity::error, IssueType::required, "referralId");
}

TEST(ReferralJsonReject, MissingRequiredMemberInAnArrayItem) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/carePlan/dialog/3").Get(d)->RemoveMember("score"); }));
    expect_issue(i, Severity::error, IssueType::required, "carePlan.dialog[3].score");
}

TEST(ReferralJsonReject, PersonWithoutAnyIdentifier) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) {
        d["person"].RemoveMember("nhsNumber");
        d["person"].RemoveMember("localId");
    }));
    expect_issue(i, Severity::error, IssueType::required, "person");
    EXPECT_EQ(i.message, "anyOf: expected at least one of nhsNumber or localId");
}

TEST(ReferralJsonReject, WrongSchemaId) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/schema").Set(d, "partnership-referral/2"); }));
    expect_issue(i, Severity::error, IssueType::value, "schema");
    EXPECT_EQ(i.message, "enum: expected one of partnership-referral/1");
}

TEST(ReferralJsonReject, NhsNumberFailingModulus11) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/person/nhsNumber").Set(d, "9990000086"); }));
    expect_issue(i, Severity::error, IssueType::value, "person.nhsNumber");
    EXPECT_NE(i.message.find("modulus 11"), std::string::npos);
}

TEST(ReferralJsonReject, NhsNumberWithSpaces) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/person/nhsNumber").Set(d, "999 000 0085"); }));
    expect_issue(i, Severity::error, IssueType::value, "person.nhsNumber");
    EXPECT_EQ(i.message.rfind("pattern: expected a value matching ^[0-9]{10}$", 0), 0u) << i.message;
}

TEST(ReferralJsonReject, PriorityOutsideRag) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) { Pointer("/priority").Set(d, "purple"); }));
    expect_issue(i, Severity::error, IssueType::value, "priority");
    EXPECT_EQ(i.message, "enum: expected one of green, amber, red");
}

TEST(ReferralJsonReject, EthnicCategoryNotInTheNhsList) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/person/ethnicCategory").Set(d, "X"); }));
    expect_issue(i, Severity::error, IssueType::value, "person.ethnicCategory");
    EXPECT_NE(i.message.find("A, B, C"), std::string::npos) << i.message;
}

TEST(ReferralJsonReject, DateThatIsNotOnTheCalendar) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/carePlan/reviewDate").Set(d, "2026-02-30"); }));
    expect_issue(i, Severity::error, IssueType::value, "carePlan.reviewDate");
    EXPECT_EQ(i.message, "not a real calendar date");
}

TEST(ReferralJsonReject, InstantThatIsNotOnTheClock) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/history/0/time").Set(d, "2026-10-05T25:30:00Z"); }));
    expect_issue(i, Severity::error, IssueType::value, "history[0].time");
}

TEST(ReferralJsonReject, InstantWithoutAZone) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/created").Set(d, "2026-10-05T09:30:00"); }));
    expect_issue(i, Severity::error, IssueType::value, "created");
    EXPECT_EQ(i.message.rfind("pattern:", 0), 0u);
}

TEST(ReferralJsonReject, DialogScoreAboveSeven) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) { Pointer("/carePlan/dialog/6/score").Set(d, 9); }));
    expect_issue(i, Severity::error, IssueType::value, "carePlan.dialog[6].score");
    EXPECT_EQ(i.message, "maximum: expected at most 7");
}

TEST(ReferralJsonReject, DialogItemScoredTwice) {
    const issues::Issue i = single_refusal(
        golden_with([](auto& d) { Pointer("/carePlan/dialog/10/domain").Set(d, "mental-health"); }));
    expect_issue(i, Severity::error, IssueType::invariant, "carePlan.dialog[10].domain");
}

TEST(ReferralJsonReject, OdsCodeInLowerCase) {
    const issues::Issue i =
        single_refusal(golden_with([](auto& d) { Pointer("/targets/0/organisation").Set(d, "dbf01"); }));
    expect_issue(i, Severity::error, IssueType::value, "targets[0].organisation");
}

TEST(ReferralJsonReject, FreeTextOverTheSchemaLength) {
    const issues::Issue i = single_refusal(golden_with([](auto& d) {
        const std::string long_note(20001, 'x');
        Pointer("/notes").Set(d, long_note.c_str(), d.GetAllocator());
    }));
    expect_issue(i, Severity::error, IssueType::too_long, "notes");
    EXPECT_EQ(i.message, "maxLength: expected at most 20000 characters");
}

TEST(ReferralJsonReject, VersionBeyondItsRange) {
    // Out of int range: the decoder must never read it as an int.
    const issues::Issue i = single_refusal(golden_with([](auto& d) { Pointer("/version").Set(d, 3000000000u); }));
    expect_issue(i, Severity::error, IssueType::value, "version");
    EXPECT_EQ(i.message, "maximum: expected at most 1000000");
}

TEST(ReferralJsonReject, MemberNamedTwice) {
    const std::string text = golden_with([](auto& d) { d["person"].AddMember("gender", "female", d.GetAllocator()); });
    for (const Strictness s : {Strictness::lenient, Strictness::strict}) {
        const issues::Issue i = single_refusal(text, s);
        expect_issue(i, Severity::error, IssueType::structure, "person.gender");
    }
}

TEST(ReferralJsonReject, NulCharacterCannotHideBehindAPattern) {
    // RapidJSON 1.1 matches patterns only up to U+0000: "RZZ" would pass.
    const issues::Issue i = single_refusal(golden_with([](auto& d) {
        rapidjson::Value ods;
        ods.SetString("RZZ\0<x>", 7, d.GetAllocator());
        Pointer("/statusSetBy").Set(d, ods);
    }));
    expect_issue(i, Severity::error, IssueType::value, "statusSetBy");
    const issues::Issue given = single_refusal(golden_with([](auto& d) {
        rapidjson::Value name;
        name.SetString("Dan\0ny", 6, d.GetAllocator());
        Pointer("/person/names/1/given/0").Set(d, name);
    }));
    expect_issue(given, Severity::error, IssueType::value, "person.names[1].given[0]");
}

TEST(ReferralJsonReject, UnknownMemberIsAnErrorWhenStrict) {
    const std::string text = golden_with([](auto& d) {
        Pointer("/person/favouriteColour").Set(d, "green");
        Pointer("/carePlan/goals/1/owner").Set(d, "Danny");
    });
    Decoded d = decode_text(text, Strictness::strict);
    EXPECT_FALSE(d.record);
    ASSERT_EQ(d.sink.issues().size(), 2u) << describe(d.sink);
    expect_issue(d.sink.issues()[0], Severity::error, IssueType::not_supported, "person.favouriteColour");
    expect_issue(d.sink.issues()[1], Severity::error, IssueType::not_supported, "carePlan.goals[1].owner");
}

TEST(ReferralJsonReject, UnknownMemberIsAWarningWhenLenient) {
    const std::string text = golden_with([](auto& d) {
        Pointer("/person/favouriteColour").Set(d, "green");
        Pointer("/carePlan/goals/1/owner").Set(d, "Danny");
        Pointer("/extra").Set(d, 1);
    });
    Decoded d = decode_text(text, Strictness::lenient);
    ASSERT_TRUE(d.record) << describe(d.sink);
    EXPECT_EQ(*d.record, golden_record_without_encounters());
    ASSERT_EQ(d.sink.issues().size(), 3u) << describe(d.sink);
    EXPECT_FALSE(d.sink.failed());
    expect_issue(d.sink.issues()[0], Severity::warning, IssueType::informational, "person.favouriteColour");
    expect_issue(d.sink.issues()[1], Severity::warning, IssueType::informational, "carePlan.goals[1].owner");
    expect_issue(d.sink.issues()[2], Severity::warning, IssueType::informational, "extra");
}

TEST(ReferralJsonReject, StrictStillReportsTheSchemaViolation) {
    const std::string text = golden_with([](auto& d) {
        Pointer("/referrer/phone").Set(d, "0113");
        Pointer("/priority").Set(d, "purple");
    });
    Decoded d = decode_text(text, Strictness::strict);
    EXPECT_FALSE(d.record);
    ASSERT_EQ(d.sink.issues().size(), 2u) << describe(d.sink);
    expect_issue(d.sink.issues()[0], Severity::error, IssueType::not_supported, "referrer.phone");
    expect_issue(d.sink.issues()[1], Severity::error, IssueType::value, "priority");
}

TEST(ReferralJsonReject, NestingDeeperThanTheLimit) {
    const std::string text = R"({"schema":"partnership-referral/1","notes":)" + std::string(100, '[') +
                             std::string(100, ']') + "}";
    const issues::Issue i = single_refusal(text);
    expect_issue(i, Severity::fatal, IssueType::too_long, "");
    EXPECT_NE(i.message.find("deeper than the limit of 64"), std::string::npos);
}

TEST(ReferralJsonReject, StringLongerThanTheLimit) {
    Decoded d;
    codec::DecodeOptions options;
    options.limits.max_string_bytes = 1024;
    const std::string text =
        golden_with([](auto& doc) { Pointer("/notes").Set(doc, std::string(2000, 'x').c_str(), doc.GetAllocator()); });
    d.record = referral_json::decode(text, options, d.sink);
    EXPECT_FALSE(d.record);
    ASSERT_EQ(d.sink.issues().size(), 1u);
    expect_issue(d.sink.issues()[0], Severity::fatal, IssueType::too_long, "");
}

TEST(ReferralJsonReject, RendersAsAnOperationOutcome) {
    Decoded d = decode_text(golden_with([](auto& doc) { Pointer("/person/nhsNumber").Set(doc, "9990000086"); }));
    ASSERT_FALSE(d.record);
    const rapidjson::Document outcome = parse_json(issues::to_operation_outcome_json(d.sink));
    EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
    ASSERT_EQ(outcome["issue"].Size(), 1u);
    const rapidjson::Value& issue = outcome["issue"][0];
    EXPECT_STREQ(issue["severity"].GetString(), "error");
    EXPECT_STREQ(issue["code"].GetString(), "value");
    EXPECT_STREQ(issue["expression"][0].GetString(), "person.nhsNumber");
    EXPECT_STREQ(issue["diagnostics"].GetString(), "NHS number fails the modulus 11 check");
    // The message names the rule, never the number that broke it.
    EXPECT_EQ(issues::to_operation_outcome_json(d.sink).find("9990000086"), std::string::npos);
}

}  // namespace
}  // namespace carebridge::testing

namespace carebridge::testing {
namespace {

// The fuzz seeds stay what their names say.
TEST(ReferralJsonFuzzSeeds, DecodeAsNamed) {
    const std::string dir = "tests/fuzz/corpus/referral/";
    EXPECT_TRUE(decode_text(read_source_file(dir + "golden.json"), Strictness::strict).record);
    EXPECT_TRUE(decode_text(read_source_file(dir + "minimal.json"), Strictness::strict).record);

    Decoded broken = decode_text(read_source_file(dir + "broken-nhs-number-and-date.json"));
    EXPECT_FALSE(broken.record);
    ASSERT_EQ(broken.sink.issues().size(), 3u) << describe(broken.sink);
    expect_issue(broken.sink.issues()[0], Severity::warning, IssueType::informational, "person.nickname");
    expect_issue(broken.sink.issues()[1], Severity::error, IssueType::value, "person.nhsNumber");
    expect_issue(broken.sink.issues()[2], Severity::error, IssueType::value, "person.birthDate");

    const issues::Issue truncated = single_refusal(read_source_file(dir + "truncated.json"));
    expect_issue(truncated, Severity::fatal, IssueType::structure, "");
}

}  // namespace
}  // namespace carebridge::testing
