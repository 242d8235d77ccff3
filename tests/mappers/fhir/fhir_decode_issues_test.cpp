// What the FHIR decoder says about documents it cannot carry as they are: the
// severity, the issue type and the element path of each problem, lenient and
// strict, and that the rendered OperationOutcome carries them.
#include <gtest/gtest.h>

#include <string>

#include "fhir/fhir_codec.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge {
namespace {

using issues::IssueType;
using issues::Severity;

struct Result {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;

    const issues::Issue* at(const std::string& path) const {
        for (const issues::Issue& issue : sink.issues())
            if (issue.path == path) return &issue;
        return nullptr;
    }
    std::string outcome() const { return issues::to_operation_outcome_json(sink, true); }
};

Result decode(const std::string& json, codec::Strictness strictness = codec::Strictness::lenient,
              codec::Limits limits = {}) {
    Result r;
    codec::DecodeOptions options;
    options.strictness = strictness;
    options.limits = limits;
    r.record = fhir::decode(json, options, r.sink);
    return r;
}

// A small valid message: MessageHeader, Patient, ServiceRequest. `patient` and
// `request` are spliced in as extra members of those resources.
std::string message(const std::string& patient = "", const std::string& request = "",
                    const std::string& nhs_number = "9990000018") {
    return R"({"resourceType":"Bundle","type":"message","entry":[
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"MessageHeader",
        "eventCoding":{"system":"https://fhir.carebridge.example/CodeSystem/message-event","code":"referral"},
        "source":{"endpoint":"https://fhir.carebridge.example/gateway"},
        "focus":[{"reference":"urn:uuid:00000000-0000-4000-8000-000000000003"}]}},
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"Patient",
        "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
           nhs_number + R"("}])" + patient + R"(}},
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000003","resource":{"resourceType":"ServiceRequest",
        "identifier":[{"system":"https://fhir.carebridge.example/Id/referral","value":"REF-1"}],
        "status":"active","intent":"order",
        "subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000002"})" +
           request + R"(}}]})";
}

TEST(FhirDecodeIssues, MinimalMessageDecodesCleanly) {
    Result r = decode(message());
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_EQ(r.sink.count(Severity::warning), 0u) << r.outcome();
    EXPECT_EQ(r.record->person.nhs_number, "9990000018");
    ASSERT_EQ(r.record->referrals.size(), 1u);
    EXPECT_EQ(r.record->referrals[0].id, "REF-1");
    EXPECT_EQ(r.record->referrals[0].priority, model::Priority::green);  // no priority: routine
}

TEST(FhirDecodeIssues, MalformedJsonIsFatal) {
    Result r = decode(R"({"resourceType":"Bundle","type":"message",)");
    EXPECT_FALSE(r.record);
    ASSERT_EQ(r.sink.issues().size(), 1u);
    EXPECT_EQ(r.sink.issues()[0].severity, Severity::fatal);
    EXPECT_EQ(r.sink.issues()[0].type, IssueType::structure);
}

TEST(FhirDecodeIssues, NotAResource) {
    Result array = decode(R"([1,2,3])");
    EXPECT_FALSE(array.record);
    EXPECT_EQ(array.sink.issues().at(0).type, IssueType::structure);
    Result untyped = decode(R"({"id":"x"})");
    EXPECT_FALSE(untyped.record);
    EXPECT_NE(untyped.sink.issues().at(0).message.find("resourceType"), std::string::npos);
}

TEST(FhirDecodeIssues, InvalidNhsNumberIsAnErrorAtItsPath) {
    Result r = decode(message("", "", "9990000086"));
    EXPECT_FALSE(r.record);
    const issues::Issue* issue = r.at("Bundle.entry[1].resource.identifier[0].value");
    ASSERT_NE(issue, nullptr) << r.outcome();
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_EQ(issue->type, IssueType::value);
    // The number itself is not echoed back: outcomes get logged.
    EXPECT_EQ(r.outcome().find("9990000086"), std::string::npos);
    EXPECT_NE(r.outcome().find("Bundle.entry[1].resource.identifier[0].value"), std::string::npos);
}

TEST(FhirDecodeIssues, NhsNumberInDisplayFormIsAccepted) {
    Result r = decode(message("", "", "999 000 0018"));
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_EQ(r.record->person.nhs_number, "9990000018");
}

TEST(FhirDecodeIssues, WrongJsonTypesNameWhatWasExpected) {
    Result r = decode(message(R"(,"gender":{"code":"male"})", R"(,"priority":3)"));
    EXPECT_FALSE(r.record);
    const issues::Issue* gender = r.at("Bundle.entry[1].resource.gender");
    ASSERT_NE(gender, nullptr) << r.outcome();
    EXPECT_EQ(gender->type, IssueType::structure);
    EXPECT_EQ(gender->message, "expected a string, found an object");
    const issues::Issue* priority = r.at("Bundle.entry[2].resource.priority");
    ASSERT_NE(priority, nullptr);
    EXPECT_EQ(priority->message, "expected a string, found a number");
    // A repeating element must be an array.
    Result names = decode(message(R"(,"name":{"family":"Whitfield"})"));
    const issues::Issue* name = names.at("Bundle.entry[1].resource.name");
    ASSERT_NE(name, nullptr) << names.outcome();
    EXPECT_EQ(name->message, "expected an array, found an object");
}

TEST(FhirDecodeIssues, ServiceRequestWithoutSubjectStatusOrIntent) {
    const std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000003","resource":{"resourceType":"ServiceRequest"}}]})";
    Result r = decode(bundle);
    EXPECT_FALSE(r.record);
    for (const char* path : {"Bundle.entry[0].resource.status", "Bundle.entry[0].resource.intent",
                             "Bundle.entry[0].resource.subject"}) {
        const issues::Issue* issue = r.at(path);
        ASSERT_NE(issue, nullptr) << path << "\n" << r.outcome();
        EXPECT_EQ(issue->severity, Severity::error);
        EXPECT_EQ(issue->type, IssueType::required);
    }
}

TEST(FhirDecodeIssues, InvalidDatesAndInstants) {
    Result r = decode(message(R"(,"birthDate":"1978-02-30")", R"(,"authoredOn":"yesterday")"));
    EXPECT_FALSE(r.record);
    ASSERT_NE(r.at("Bundle.entry[1].resource.birthDate"), nullptr) << r.outcome();
    EXPECT_EQ(r.at("Bundle.entry[1].resource.birthDate")->type, IssueType::value);
    ASSERT_NE(r.at("Bundle.entry[2].resource.authoredOn"), nullptr);
    EXPECT_EQ(r.at("Bundle.entry[2].resource.authoredOn")->severity, Severity::error);
    // A date where the record keeps an instant is valid FHIR, so it is a loss, not an error.
    Result date_only = decode(message("", R"(,"authoredOn":"2026-10-05")"));
    ASSERT_TRUE(date_only.record) << date_only.outcome();
    ASSERT_NE(date_only.at("Bundle.entry[2].resource.authoredOn"), nullptr);
    EXPECT_EQ(date_only.at("Bundle.entry[2].resource.authoredOn")->severity, Severity::warning);
    EXPECT_TRUE(date_only.record->referrals[0].created.empty());
}

TEST(FhirDecodeIssues, BadCodes) {
    const std::string ethnic =
        R"(,"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
        "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"Q"}]}}])";
    Result r = decode(message(ethnic, R"(,"priority":"soon")"));
    EXPECT_FALSE(r.record);
    ASSERT_NE(r.at("Bundle.entry[2].resource.priority"), nullptr) << r.outcome();
    EXPECT_EQ(r.at("Bundle.entry[2].resource.priority")->type, IssueType::value);
    ASSERT_NE(r.at("Bundle.entry[1].resource.extension[0].valueCodeableConcept"), nullptr);

    const std::string verification = R"({"resourceType":"Patient","identifier":[{"extension":[{
        "url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
        "valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"09"}]}}],
        "system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]})";
    Result v = decode(verification);
    EXPECT_FALSE(v.record);
    ASSERT_NE(v.at("Patient.identifier[0].extension[0].valueCodeableConcept"), nullptr) << v.outcome();

    Result status = decode(message("", "").replace(message().find("\"active\""), 8, "\"open\""));
    EXPECT_FALSE(status.record);
    ASSERT_NE(status.at("Bundle.entry[2].resource.status"), nullptr) << status.outcome();
}

TEST(FhirDecodeIssues, StatIsRedWithAWarning) {
    Result r = decode(message("", R"(,"priority":"stat")"));
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_EQ(r.record->referrals[0].priority, model::Priority::red);
    const issues::Issue* issue = r.at("Bundle.entry[2].resource.priority");
    ASSERT_NE(issue, nullptr);
    EXPECT_EQ(issue->severity, Severity::warning);
}

TEST(FhirDecodeIssues, NestingDeeperThanTheLimitIsFatal) {
    std::string deep = R"({"resourceType":"Patient","extension":)";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    deep += "}";
    Result r = decode(deep);
    EXPECT_FALSE(r.record);
    ASSERT_EQ(r.sink.issues().size(), 1u);
    EXPECT_EQ(r.sink.issues()[0].severity, Severity::fatal);
    EXPECT_EQ(r.sink.issues()[0].type, IssueType::too_long);
}

TEST(FhirDecodeIssues, StringLongerThanTheLimitIsFatal) {
    codec::Limits limits;
    limits.max_string_bytes = 1024;
    Result r = decode(message("", R"(,"note":[{"text":")" + std::string(4096, 'x') + R"("}])"),
                      codec::Strictness::lenient, limits);
    EXPECT_FALSE(r.record);
    ASSERT_EQ(r.sink.issues().size(), 1u);
    EXPECT_EQ(r.sink.issues()[0].type, IssueType::too_long);
    EXPECT_NE(r.sink.issues()[0].message.find("1024"), std::string::npos);
}

TEST(FhirDecodeIssues, UnknownResourceTypeIsAWarningWhenLenientAndAnErrorWhenStrict) {
    const std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
      {"resource":{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}]}},
      {"resource":{"resourceType":"MedicationRequest","status":"active"}}]})";
    Result lenient = decode(bundle);
    ASSERT_TRUE(lenient.record) << lenient.outcome();
    const issues::Issue* warning = lenient.at("Bundle.entry[1].resource");
    ASSERT_NE(warning, nullptr);
    EXPECT_EQ(warning->severity, Severity::warning);
    EXPECT_EQ(warning->type, IssueType::informational);

    Result strict = decode(bundle, codec::Strictness::strict);
    EXPECT_FALSE(strict.record);
    const issues::Issue* error = strict.at("Bundle.entry[1].resource");
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->severity, Severity::error);
    EXPECT_EQ(error->type, IssueType::not_supported);
    EXPECT_NE(strict.outcome().find("\"expression\""), std::string::npos);
    EXPECT_NE(strict.outcome().find("Bundle.entry[1].resource"), std::string::npos);
}

TEST(FhirDecodeIssues, UnknownElementAndExtension) {
    const std::string extra = R"(,"maritalStatus":{"text":"Single"},"extension":[{"url":"http://example.org/x","valueString":"y"}])";
    Result lenient = decode(message(extra));
    ASSERT_TRUE(lenient.record) << lenient.outcome();
    ASSERT_NE(lenient.at("Bundle.entry[1].resource.maritalStatus"), nullptr);
    EXPECT_EQ(lenient.at("Bundle.entry[1].resource.maritalStatus")->severity, Severity::warning);
    ASSERT_NE(lenient.at("Bundle.entry[1].resource.extension[0]"), nullptr);
    EXPECT_NE(lenient.at("Bundle.entry[1].resource.extension[0]")->message.find("http://example.org/x"),
              std::string::npos);

    Result strict = decode(message(extra), codec::Strictness::strict);
    EXPECT_FALSE(strict.record);
    EXPECT_EQ(strict.at("Bundle.entry[1].resource.maritalStatus")->severity, Severity::error);
    EXPECT_EQ(strict.at("Bundle.entry[1].resource.extension[0]")->type, IssueType::not_supported);
}

TEST(FhirDecodeIssues, ModifierExtensionIsRefusedEvenWhenLenient) {
    Result r = decode(message(R"(,"modifierExtension":[{"url":"http://example.org/not-really","valueBoolean":true}])"));
    EXPECT_FALSE(r.record);
    ASSERT_NE(r.at("Bundle.entry[1].resource.modifierExtension"), nullptr) << r.outcome();
    EXPECT_EQ(r.at("Bundle.entry[1].resource.modifierExtension")->severity, Severity::error);
}

TEST(FhirDecodeIssues, MessageMustStartWithItsHeader) {
    std::string bundle = message();
    bundle.replace(bundle.find("\"MessageHeader\""), 15, "\"Basic\"");
    Result r = decode(bundle);
    EXPECT_FALSE(r.record);
    ASSERT_NE(r.at("Bundle.entry[0]"), nullptr) << r.outcome();
    EXPECT_EQ(r.at("Bundle.entry[0]")->type, IssueType::invariant);
}

TEST(FhirDecodeIssues, UnresolvedReferenceIsAWarningWithItsPath) {
    Result r = decode(message(R"(,"generalPractitioner":[{"reference":"Organization/nowhere"}])"));
    ASSERT_TRUE(r.record) << r.outcome();
    const issues::Issue* issue = r.at("Bundle.entry[1].resource.generalPractitioner[0].reference");
    ASSERT_NE(issue, nullptr) << r.outcome();
    EXPECT_EQ(issue->severity, Severity::warning);
    EXPECT_EQ(issue->type, IssueType::not_found);
    EXPECT_TRUE(r.record->person.gp_practice_ods.empty());
}

TEST(FhirDecodeIssues, ReferencesResolveByRelativeAndAbsoluteUrl) {
    // The GP by relative Type/id, the referral's subject by an absolute URL ending in Type/id.
    const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
      {"fullUrl":"https://trust.example/fhir/Patient/p1","resource":{"resourceType":"Patient","id":"p1",
        "generalPractitioner":[{"reference":"Organization/gp"}]},"request":{"method":"PUT","url":"Patient/p1"}},
      {"resource":{"resourceType":"Organization","id":"gp",
        "identifier":[{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y99001"}]}},
      {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order",
        "subject":{"reference":"https://other.example/fhir/Patient/p1/_history/2"},
        "requester":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"RZZ"}}}}]})";
    Result r = decode(bundle);
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_EQ(r.sink.count(Severity::warning), 0u) << r.outcome();
    EXPECT_EQ(r.record->person.gp_practice_ods, "Y99001");
    EXPECT_EQ(r.record->referrals.at(0).referrer_ods, "RZZ");  // a logical reference by ODS code
}

TEST(FhirDecodeIssues, ReferralAboutAnotherPatientIsRejected) {
    const std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient"}},
      {"fullUrl":"urn:uuid:b","resource":{"resourceType":"Patient"}},
      {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"urn:uuid:a"}}},
      {"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":{"reference":"urn:uuid:b"}}}]})";
    Result r = decode(bundle);
    EXPECT_FALSE(r.record);
    ASSERT_NE(r.at("Bundle.entry[3].resource.subject"), nullptr) << r.outcome();
    EXPECT_EQ(r.at("Bundle.entry[3].resource.subject")->type, IssueType::invariant);
    // The second Patient is reported as not carried.
    ASSERT_NE(r.at("Bundle.entry[1].resource"), nullptr);
}

TEST(FhirDecodeIssues, DialogScoreOutOfRange) {
    model::PersonRecord record;
    model::CarePlan plan;
    plan.id = "CP-1";
    plan.dialog.push_back(model::DialogScore{model::DialogDomain::friendships, 3, true});
    record.care_plans.push_back(plan);
    issues::IssueSink sink;
    std::string bundle = fhir::encode(record, fhir::EncodeOptions{}, sink);
    const auto at = bundle.find("\"valueInteger\":3");
    ASSERT_NE(at, std::string::npos);
    bundle.replace(at, 16, "\"valueInteger\":9");
    Result r = decode(bundle);
    EXPECT_FALSE(r.record);
    bool found = false;
    for (const issues::Issue& issue : r.sink.issues())
        found = found || (issue.type == IssueType::value && issue.path.find(".item[0].item[0].answer[0].valueInteger") !=
                                                                 std::string::npos);
    EXPECT_TRUE(found) << r.outcome();
}

TEST(FhirDecodeIssues, SearchsetIsReadWithAWarningAndResponsesAreRefused) {
    const std::string searchset = R"({"resourceType":"Bundle","type":"searchset","total":1,"entry":[
      {"resource":{"resourceType":"Patient"},"search":{"mode":"match"}}]})";
    Result r = decode(searchset);
    ASSERT_TRUE(r.record) << r.outcome();
    ASSERT_NE(r.at("Bundle.type"), nullptr);
    EXPECT_EQ(r.at("Bundle.type")->severity, Severity::warning);

    Result history = decode(R"({"resourceType":"Bundle","type":"history","entry":[]})");
    EXPECT_FALSE(history.record);
    EXPECT_EQ(history.at("Bundle.type")->type, IssueType::not_supported);
}

}  // namespace
}  // namespace carebridge
