// A referral's needs as real EPRs send them: SNOMED CT or text only, in
// ServiceRequest.code, .category or .reasonCode. The record keeps the coding
// so the gateway's terminology table can map it; round trips keep it too.
#include <gtest/gtest.h>

#include <string>

#include "fhir/fhir_codec.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"
#include "referral_json/referral_codec.hpp"

namespace carebridge {
namespace {

struct Result {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;
    std::string outcome() const { return issues::to_operation_outcome_json(sink, true); }
    const model::Referral& referral() const { return record->referrals.at(0); }
};

// A message whose ServiceRequest has `request` spliced in as extra members.
Result decode(const std::string& request, const std::string& more_entries = "") {
    const std::string json = R"({"resourceType":"Bundle","type":"message","entry":[
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"MessageHeader",
        "eventCoding":{"system":"https://fhir.carebridge.example/CodeSystem/message-event","code":"referral"},
        "source":{"endpoint":"https://fhir.carebridge.example/gateway"},
        "focus":[{"reference":"urn:uuid:00000000-0000-4000-8000-000000000003"}]}},
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"Patient",
        "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}]}},
      {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000003","resource":{"resourceType":"ServiceRequest",
        "identifier":[{"system":"https://fhir.carebridge.example/Id/referral","value":"REF-1"}],
        "status":"active","intent":"order",
        "subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000002"})" +
                             request + "}}" + more_entries + "]}";
    Result r;
    r.record = fhir::decode(json, codec::DecodeOptions{}, r.sink);
    return r;
}

const std::string sct = "http://snomed.info/sct";

TEST(FhirDecodeNeeds, ASnomedReasonCodeIsKeptWithItsCodingAndNoWarning) {
    const Result r = decode(R"(,"reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"422650009",
        "display":"Social isolation"}]}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    ASSERT_EQ(r.referral().needs.size(), 1u);
    const model::NeedItem& need = r.referral().needs[0];
    EXPECT_EQ(need.code, model::Need::other);
    EXPECT_EQ(need.text, "Social isolation");
    EXPECT_EQ(need.coding, (model::Coding{sct, "422650009", "Social isolation"}));
}

TEST(FhirDecodeNeeds, ATextOnlyReasonCodeIsKeptAsItsWords) {
    const Result r = decode(R"(,"reasonCode":[{"text":"Needs housing advice"}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    ASSERT_EQ(r.referral().needs.size(), 1u);
    EXPECT_EQ(r.referral().needs[0].text, "Needs housing advice");
    EXPECT_TRUE(r.referral().needs[0].coding.empty());
}

TEST(FhirDecodeNeeds, APartnershipNeedKeepsTheSendersCodingBesideIt) {
    const Result r = decode(R"(,"reasonCode":[{"coding":[
        {"system":"https://fhir.carebridge.example/CodeSystem/referral-need","code":"housing"},
        {"system":"http://snomed.info/sct","code":"32911000","display":"Homeless"}],"text":"No fixed abode"}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    const model::NeedItem& need = r.referral().needs.at(0);
    EXPECT_EQ(need.code, model::Need::housing);
    EXPECT_EQ(need.text, "No fixed abode");
    EXPECT_EQ(need.coding, (model::Coding{sct, "32911000", "Homeless"}));
}

TEST(FhirDecodeNeeds, ALocalCodingIsKeptWhenThereIsNoSnomedCt) {
    const Result r = decode(R"(,"reasonCode":[{"coding":[{"system":"https://epr.trust.example/reasons","code":"BF",
        "display":"Befriending"}]}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_EQ(r.referral().needs.at(0).coding, (model::Coding{"https://epr.trust.example/reasons", "BF", "Befriending"}));
}

TEST(FhirDecodeNeeds, ASnomedCodeIsAlsoANeed) {
    const Result r = decode(R"(,"code":{"coding":[{"system":"http://snomed.info/sct","code":"871731000000106",
        "display":"Referral to social prescribing service"}]})");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    // Kept by name as the service asked for, as before, and as a need the table can read.
    EXPECT_EQ(r.referral().requested_services, std::vector<std::string>{"Referral to social prescribing service"});
    ASSERT_EQ(r.referral().needs.size(), 1u);
    EXPECT_EQ(r.referral().needs[0].coding.code, "871731000000106");
}

TEST(FhirDecodeNeeds, ATextOnlyCodeIsAlsoANeed) {
    const Result r = decode(R"(,"code":{"text":"Befriending"})");
    ASSERT_TRUE(r.record) << r.outcome();
    ASSERT_EQ(r.referral().needs.size(), 1u);
    EXPECT_EQ(r.referral().needs[0].text, "Befriending");
}

TEST(FhirDecodeNeeds, ACategoryOtherThanThePathwayIsANeed) {
    const Result r = decode(R"(,"category":[
        {"coding":[{"system":"https://fhir.carebridge.example/CodeSystem/referral-pathway","code":"light-touch"}]},
        {"coding":[{"system":"http://snomed.info/sct","code":"710911006","display":"Referral to housing service"}]},
        {"text":"Carers' support"}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    EXPECT_EQ(r.referral().pathway, model::Pathway::light_touch);
    ASSERT_EQ(r.referral().needs.size(), 2u);
    EXPECT_EQ(r.referral().needs[0].coding.code, "710911006");
    EXPECT_EQ(r.referral().needs[1].text, "Carers' support");
}

TEST(FhirDecodeNeeds, AnEmptyCategoryIsStillReportedAsNotCarried) {
    const Result r = decode(R"(,"category":[{"coding":[{"system":"https://fhir.carebridge.example/CodeSystem/other"}]}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_FALSE(r.sink.empty());
    EXPECT_TRUE(r.referral().needs.empty());
}

TEST(FhirDecodeNeeds, APerformerOrganisationByOdsCodeOrByNameIsATarget) {
    Result r = decode(R"(,"performer":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code",
        "value":"DMN01"}},{"display":"Westshire Mind Association"}])");
    ASSERT_TRUE(r.record) << r.outcome();
    EXPECT_TRUE(r.sink.empty()) << r.outcome();
    ASSERT_EQ(r.referral().targets.size(), 2u);
    EXPECT_EQ(r.referral().targets[0], (model::Target{"DMN01", ""}));
    EXPECT_EQ(r.referral().targets[1], (model::Target{"Westshire Mind Association", ""}));

    // An Organization in the bundle named but not coded.
    r = decode(R"(,"performer":[{"reference":"urn:uuid:00000000-0000-4000-8000-000000000004"}])",
               R"(,{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000004",
                   "resource":{"resourceType":"Organization","name":"Westshire Partnership NHS Trust"}})");
    ASSERT_TRUE(r.record) << r.outcome();
    ASSERT_EQ(r.referral().targets.size(), 1u);
    EXPECT_EQ(r.referral().targets[0].organisation_ods, "Westshire Partnership NHS Trust");
}

model::PersonRecord coded_record() {
    model::PersonRecord record = testing::golden_record_without_encounters();
    model::Referral& ref = record.referrals.at(0);
    ref.needs.push_back({model::Need::other, "Referral to befriending service", {sct, "1234567", "Referral to befriending"}});
    ref.needs.push_back({model::Need::housing, "", {sct, "32911000", "Homeless"}});
    ref.targets.push_back({"DMN01", ""});
    ref.targets.push_back({"Westshire Mind Association", ""});
    return record;
}

TEST(FhirDecodeNeeds, CodingsAndNamedTargetsSurviveAFhirRoundTrip) {
    const model::PersonRecord record = coded_record();
    issues::IssueSink sink;
    const std::string bundle = fhir::encode(record, fhir::EncodeOptions{}, sink);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
    issues::IssueSink decode_sink;
    const auto back = fhir::decode(bundle, codec::DecodeOptions{}, decode_sink);
    ASSERT_TRUE(back) << issues::to_operation_outcome_json(decode_sink, true);
    EXPECT_EQ(decode_sink.count(issues::Severity::warning), 0u) << issues::to_operation_outcome_json(decode_sink, true);
    EXPECT_EQ(back->referrals.at(0).needs, record.referrals.at(0).needs);
    EXPECT_EQ(back->referrals.at(0).targets, record.referrals.at(0).targets);
}

TEST(FhirDecodeNeeds, CodingsAndNamedTargetsSurviveAPartnershipJsonRoundTrip) {
    const model::PersonRecord record = coded_record();
    issues::IssueSink sink;
    const std::string json = referral_json::encode(record, {}, sink);
    issues::IssueSink decode_sink;
    const auto back = referral_json::decode(json, codec::DecodeOptions{}, decode_sink);
    ASSERT_TRUE(back) << issues::to_operation_outcome_json(decode_sink, true);
    EXPECT_EQ(decode_sink.count(issues::Severity::error), 0u) << issues::to_operation_outcome_json(decode_sink, true);
    EXPECT_EQ(back->referrals.at(0).needs, record.referrals.at(0).needs);
    EXPECT_EQ(back->referrals.at(0).targets, record.referrals.at(0).targets);
}

}  // namespace
}  // namespace carebridge
