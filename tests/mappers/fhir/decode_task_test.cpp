// The FHIR Task decoder: a valid Task read field by field; each refusal with
// its element path; unknown elements reported by path (a warning when lenient,
// an error when strict); a syntax error or a breached limit is fatal.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "fhir/decode_task.hpp"

namespace carebridge {
namespace {

using issues::IssueType;
using issues::Severity;

struct Result {
    std::optional<fhir::DecodedTask> task;
    issues::IssueSink sink;

    const issues::Issue* at(const std::string& path) const {
        for (const issues::Issue& issue : sink.issues())
            if (issue.path == path) return &issue;
        return nullptr;
    }
};

Result decode(const std::string& json, codec::Strictness strictness = codec::Strictness::lenient,
              codec::Limits limits = {}) {
    Result r;
    codec::DecodeOptions options;
    options.strictness = strictness;
    options.limits = limits;
    r.task = fhir::decode_task(json, options, r.sink);
    return r;
}

const std::string valid_nhs_number = "9990000018";

// A Task with every element the decoder reads; `extra` is spliced in as more members.
std::string task(const std::string& extra = "", const std::string& nhs_number = valid_nhs_number) {
    return R"({"resourceType":"Task","id":"t1","meta":{"versionId":"1"},"status":"rejected","intent":"order",)"
           R"("businessStatus":{"coding":[{"system":"https://fhir.carebridge.example/CodeSystem/referral-status",)"
           R"("code":"declined-by-service","display":"Declined"}]},)"
           R"("statusReason":{"text":"outside our area","coding":[{"system":"urn:x","code":"area","display":"Area"}]},)"
           R"("focus":{"reference":"ServiceRequest/msg-1"},)"
           R"("for":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
           nhs_number + R"("}},"owner":{"reference":"HealthcareService/crisis","display":"Crisis team"})" + extra +
           "}";
}

TEST(DecodeTask, ReadsEveryFieldOfAValidTask) {
    const Result r = decode(task());
    ASSERT_TRUE(r.task);
    EXPECT_TRUE(r.sink.empty()) << r.sink.issues().front().path << ": " << r.sink.issues().front().message;
    const fhir::DecodedTask& t = *r.task;
    EXPECT_EQ(t.status, "rejected");
    EXPECT_EQ(t.intent, "order");
    ASSERT_EQ(t.business_status.size(), 1u);
    EXPECT_EQ(t.business_status[0].system, "https://fhir.carebridge.example/CodeSystem/referral-status");
    EXPECT_EQ(t.business_status[0].code, "declined-by-service");
    EXPECT_EQ(t.business_status[0].display, "Declined");
    EXPECT_EQ(t.status_reason_text, "outside our area");
    ASSERT_EQ(t.status_reason.size(), 1u);
    EXPECT_EQ(t.status_reason[0].code, "area");
    EXPECT_EQ(t.status_reason[0].display, "Area");
    EXPECT_EQ(t.focus_reference, "ServiceRequest/msg-1");
    EXPECT_EQ(t.for_system, "https://fhir.nhs.uk/Id/nhs-number");
    EXPECT_EQ(t.for_value, valid_nhs_number);
    EXPECT_EQ(t.owner_reference, "HealthcareService/crisis");
}

TEST(DecodeTask, RefusesAnotherResource) {
    const Result r = decode(R"({"resourceType":"Patient","status":"accepted","intent":"order"})");
    EXPECT_FALSE(r.task);
    EXPECT_TRUE(r.sink.failed());
}

TEST(DecodeTask, RefusesAJsonValueThatIsNotAnObject) {
    const Result r = decode(R"(["Task"])");
    EXPECT_FALSE(r.task);
    EXPECT_EQ(r.sink.count(Severity::fatal), 1u);
}

TEST(DecodeTask, ReportsAMissingStatusAtItsPath) {
    const Result r = decode(R"({"resourceType":"Task","intent":"order"})");
    ASSERT_TRUE(r.task);
    EXPECT_TRUE(r.sink.failed());
    const issues::Issue* issue = r.at("Task.status");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_EQ(issue->type, IssueType::required);
    EXPECT_TRUE(r.task->status.empty());
}

TEST(DecodeTask, ReportsAMissingIntentAtItsPath) {
    const Result r = decode(R"({"resourceType":"Task","status":"accepted"})");
    ASSERT_NE(r.at("Task.intent"), nullptr);
    EXPECT_TRUE(r.sink.failed());
}

TEST(DecodeTask, ReportsAnUnknownStatusAtItsPath) {
    const Result r = decode(R"({"resourceType":"Task","status":"approved","intent":"order"})");
    ASSERT_TRUE(r.task);
    const issues::Issue* issue = r.at("Task.status");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_NE(issue->message.find("'approved'"), std::string::npos);
    EXPECT_EQ(r.task->status, "approved");  // the endpoint names it in its answer
}

TEST(DecodeTask, ReportsABadNhsNumberAtItsPathWithoutTheNumber) {
    const Result r = decode(task("", "9990000019"));  // fails the modulus 11 check
    ASSERT_TRUE(r.task);
    const issues::Issue* issue = r.at("Task.for.identifier.value");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_EQ(issue->message.find("9990000019"), std::string::npos);
}

TEST(DecodeTask, ReportsAWrongTypeAtItsPath) {
    const Result r = decode(R"({"resourceType":"Task","status":3,"intent":"order","focus":"ServiceRequest/x"})");
    ASSERT_TRUE(r.task);
    ASSERT_NE(r.at("Task.status"), nullptr);
    ASSERT_NE(r.at("Task.focus"), nullptr);
    EXPECT_TRUE(r.task->status.empty());
    EXPECT_TRUE(r.task->focus_reference.empty());
}

TEST(DecodeTask, ReportsAnUnknownElementByPathAsAWarningWhenLenient) {
    const Result r = decode(task(R"(,"foo":{"bar":1})"));
    ASSERT_TRUE(r.task);
    EXPECT_FALSE(r.sink.failed());
    const issues::Issue* issue = r.at("Task.foo");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::warning);
}

TEST(DecodeTask, ReportsAnUnknownNestedElementByPath) {
    const Result r = decode(R"({"resourceType":"Task","status":"accepted","intent":"order",)"
                            R"("focus":{"reference":"ServiceRequest/m","extra":true}})");
    ASSERT_NE(r.at("Task.focus.extra"), nullptr);
    EXPECT_FALSE(r.sink.failed());
}

TEST(DecodeTask, ReportsAnUnknownElementAsAnErrorWhenStrict) {
    const Result r = decode(task(R"(,"foo":1)"), codec::Strictness::strict);
    const issues::Issue* issue = r.at("Task.foo");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_TRUE(r.sink.failed());
}

TEST(DecodeTask, ASyntaxErrorIsFatal) {
    const Result r = decode(R"({"resourceType":"Task","status":"accep)");
    EXPECT_FALSE(r.task);
    EXPECT_EQ(r.sink.count(Severity::fatal), 1u);
}

TEST(DecodeTask, ABreachedLimitIsFatal) {
    codec::Limits limits;
    limits.max_depth = 2;
    const Result r = decode(task(R"(,"foo":{"bar":{"baz":1}})"), codec::Strictness::lenient, limits);
    EXPECT_FALSE(r.task);
    EXPECT_EQ(r.sink.count(Severity::fatal), 1u);
}

}  // namespace
}  // namespace carebridge
