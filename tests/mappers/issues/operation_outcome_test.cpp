#include "issues/operation_outcome.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace {

using namespace carebridge::issues;

TEST(ElementPath, RendersFhirStylePaths) {
    ElementPath bundle("Bundle");
    const auto entry = bundle.child("entry");
    const auto third = entry.at(3);
    const auto resource = third.child("resource");
    const auto identifiers = resource.child("identifier");
    const auto first = identifiers.at(0);
    EXPECT_EQ(first.child("value").str(), "Bundle.entry[3].resource.identifier[0].value");
    EXPECT_EQ(bundle.str(), "Bundle");
}

TEST(OperationOutcome, CarriesSeverityCodeMessageAndPath) {
    IssueSink sink;
    sink.error(IssueType::value, "Bundle.entry[1].resource.identifier[0].value", "NHS number fails the check");
    sink.warning(IssueType::informational, "Bundle.entry[2].resource.extension[0]", "not carried");
    rapidjson::Document doc;
    doc.Parse(to_operation_outcome_json(sink).c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
    ASSERT_EQ(doc["issue"].Size(), 2u);
    const auto& first = doc["issue"][0];
    EXPECT_STREQ(first["severity"].GetString(), "error");
    EXPECT_STREQ(first["code"].GetString(), "value");
    EXPECT_STREQ(first["diagnostics"].GetString(), "NHS number fails the check");
    EXPECT_STREQ(first["expression"][0].GetString(), "Bundle.entry[1].resource.identifier[0].value");
    EXPECT_STREQ(doc["issue"][1]["severity"].GetString(), "warning");
    EXPECT_TRUE(sink.failed());
}

TEST(OperationOutcome, AnEmptySinkStillHasOneIssueAsFhirRequires) {
    IssueSink sink;
    rapidjson::Document doc;
    doc.Parse(to_operation_outcome_json(sink).c_str());
    ASSERT_EQ(doc["issue"].Size(), 1u);
    EXPECT_STREQ(doc["issue"][0]["severity"].GetString(), "information");
    EXPECT_FALSE(sink.failed());
}

TEST(IssueSink, IsBoundedAndSaysHowManyItLeftOut) {
    IssueSink sink(3);
    for (int i = 0; i < 10; ++i) sink.warning(IssueType::informational, "x", "w");
    sink.error(IssueType::value, "y", "e");
    EXPECT_EQ(sink.issues().size(), 3u);
    EXPECT_EQ(sink.omitted(), 8u);
    EXPECT_EQ(sink.count(Severity::warning), 10u);
    EXPECT_TRUE(sink.failed());  // the error counts even though it was not listed
    rapidjson::Document doc;
    doc.Parse(to_operation_outcome_json(sink).c_str());
    ASSERT_EQ(doc["issue"].Size(), 4u);
    EXPECT_STREQ(doc["issue"][3]["code"].GetString(), "too-costly");
}

TEST(IssueSink, OneLineSummaryNamesTheFirstError) {
    IssueSink sink;
    sink.warning(IssueType::informational, "a", "not carried");
    sink.error(IssueType::value, "person.nhsNumber", "fails the modulus 11 check");
    EXPECT_EQ(one_line_summary(sink), "1 error, 1 warning; first: person.nhsNumber: fails the modulus 11 check");
}

TEST(IssueSink, AppendMovesIssuesAndCounts) {
    IssueSink a, b;
    b.error(IssueType::value, "p", "m");
    a.append(std::move(b));
    EXPECT_TRUE(a.failed());
    EXPECT_TRUE(b.empty());
    EXPECT_EQ(a.issues().size(), 1u);
}

}  // namespace
