// FHIR STU3 (NHS e-Referral Service, CareConnect) read into the canonical
// record: the published e-RS examples decode, an STU3 Bundle and its R4 twin
// give the same record, and every issue — what STU3 has no R4 home for, what
// the R4 rules refuse — is told at its path in the STU3 input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "fhir/fhir_codec.hpp"
#include "fhir_stu3/stu3_codec.hpp"
#include "referral_json/referral_codec.hpp"
#include "translation/translator.hpp"

namespace carebridge {
namespace {

using issues::IssueType;
using issues::Severity;

std::string example(const std::string& name) {
    std::ifstream in(std::string(CAREBRIDGE_SOURCE_DIR) + "/tests/mappers/fhir_stu3/examples/" + name);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_FALSE(s.str().empty()) << name;
    return s.str();
}

struct Result {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;
    model::SourcePaths paths;

    const issues::Issue* at(const std::string& path) const {
        for (const issues::Issue& issue : sink.issues())
            if (issue.path == path) return &issue;
        return nullptr;
    }
    std::string all() const {
        std::string out;
        for (const issues::Issue& issue : sink.issues()) out += issue.path + ": " + issue.message + "\n";
        return out;
    }
};

Result decode(const std::string& json, codec::Strictness strictness = codec::Strictness::lenient) {
    Result r;
    codec::DecodeOptions options;
    options.strictness = strictness;
    r.record = fhir_stu3::decode(json, options, r.sink, &r.paths);
    return r;
}

TEST(FhirStu3Decode, EachPublishedErsExampleDecodesWithItsIssuesAtStu3Paths) {
    struct Case {
        const char* file;
        const char* referral_id;
        model::Priority priority;
    };
    for (const Case& c : {Case{"eRS-Unbooked.json", "r.c18c4ec4-7d0a-480e-8506-347e0ec228b0", model::Priority::green},
                          Case{"eRS-BookedDBS.json", "r.c18c4ec4-7d0a-480e-8506-347e0ec228b1", model::Priority::green},
                          Case{"eRS-WithAdditionalRequirements.json", "r.c18c4ec4-7d0a-480e-8506-347e0ec22811",
                               model::Priority::green},
                          Case{"eRS-CreateReferral.json", "r.c18c4ec4-7d0a-480e-8506-347e0ec228b0",
                               model::Priority::amber}}) {
        SCOPED_TRACE(c.file);
        const Result r = decode(example(c.file));
        ASSERT_TRUE(r.record) << r.all();
        ASSERT_EQ(r.record->referrals.size(), 1u);
        const model::Referral& ref = r.record->referrals[0];
        EXPECT_EQ(ref.id, c.referral_id);
        EXPECT_EQ(ref.priority, c.priority) << "from Extension-eRS-ReferralPriority-1";
        EXPECT_EQ(ref.status, model::ReferralStatus::submitted);
        // e-RS names the patient by NHS number only, in the STU3-era system.
        EXPECT_EQ(r.record->person.nhs_number, "9912003888");
        EXPECT_EQ(r.paths.document_type, "ReferralRequest");
        ASSERT_EQ(r.paths.referrals.size(), 1u);
        EXPECT_EQ(r.paths.referrals[0], "ReferralRequest");
        // Nothing e-RS sends is dropped silently, and no issue names the R4 rewrite.
        EXPECT_GT(r.sink.count(Severity::warning), 0u);
        for (const issues::Issue& issue : r.sink.issues()) {
            EXPECT_TRUE(issue.path.starts_with("ReferralRequest")) << issue.path << ": " << issue.message;
            EXPECT_EQ(issue.message.find("ServiceRequest."), std::string::npos) << issue.message;
        }
        const issues::Issue* contained = r.at("ReferralRequest.contained[0]");
        ASSERT_NE(contained, nullptr) << r.all();
        EXPECT_NE(contained->message.find("contained Parameters"), std::string::npos);
        const issues::Issue* shortlist = nullptr;
        for (const issues::Issue& issue : r.sink.issues())
            if (issue.message.find("Extension-eRS-ReferralShortlist-1") != std::string::npos) shortlist = &issue;
        ASSERT_NE(shortlist, nullptr) << r.all();
        EXPECT_TRUE(shortlist->path.starts_with("ReferralRequest.extension[")) << shortlist->path;
    }
}

TEST(FhirStu3Decode, UnbookedExampleReportsEachUnmappableElementAtItsIndex) {
    const Result r = decode(example("eRS-Unbooked.json"));
    ASSERT_TRUE(r.record) << r.all();
    // extension[1] is the priority, which is carried; the others keep their STU3 index.
    EXPECT_EQ(r.at("ReferralRequest.extension[1]"), nullptr) << r.all();
    for (const char* path : {"ReferralRequest.extension[0]", "ReferralRequest.extension[2]",
                             "ReferralRequest.extension[3]", "ReferralRequest.extension[4]",
                             "ReferralRequest.supportingInfo[0]", "ReferralRequest.contained[2]",
                             "ReferralRequest.identifier[0].system"}) {
        const issues::Issue* issue = r.at(path);
        ASSERT_NE(issue, nullptr) << path << "\n" << r.all();
        EXPECT_EQ(issue->severity, Severity::warning) << path;
    }
    EXPECT_NE(r.at("ReferralRequest.extension[4]")->message.find("Extension-eRS-ReferralState-1"), std::string::npos);
}

TEST(FhirStu3Decode, PublishedExampleWithAnElevenDigitNhsNumberIsRefusedAtTheSubject) {
    const Result r = decode(example("eRS-MultipleDocumentReferences.json"));
    EXPECT_FALSE(r.record);
    const issues::Issue* issue = r.at("ReferralRequest.subject.identifier.value");
    ASSERT_NE(issue, nullptr) << r.all();
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_NE(issue->message.find("NHS number"), std::string::npos);
    EXPECT_EQ(issue->message.find("99120038881"), std::string::npos) << "the number stays out of the message";
}

TEST(FhirStu3Decode, AnStu3BundleAndItsR4TwinGiveTheSameRecord) {
    const Result stu3 = decode(example("synthetic-referral-bundle.stu3.json"));
    ASSERT_TRUE(stu3.record) << stu3.all();
    issues::IssueSink r4_sink;
    const auto r4 = fhir::decode(example("synthetic-referral-bundle.r4.json"), {}, r4_sink);
    ASSERT_TRUE(r4);
    EXPECT_TRUE(r4_sink.empty());
    EXPECT_EQ(*stu3.record, *r4);

    // What each part became, so a fault in both would still show.
    const model::Referral& ref = stu3.record->referrals.at(0);
    EXPECT_EQ(ref.id, "REF-2026-STU3-0001");
    EXPECT_EQ(ref.priority, model::Priority::amber);
    EXPECT_EQ(ref.referrer_ods, "RZZ") << "requester.onBehalfOf";
    EXPECT_EQ(ref.referrer_name, "Grace Okafor") << "requester.agent";
    ASSERT_EQ(ref.targets.size(), 1u);
    EXPECT_EQ(ref.targets[0].organisation_ods, "DBF01") << "recipient, ODS in the STU3-era system";
    EXPECT_EQ(ref.requested_services, std::vector<std::string>{"befriending"});
    EXPECT_EQ(ref.notes.find("Referred for befriending"), 0u) << "description is the first note";
    ASSERT_TRUE(ref.consent);
    EXPECT_EQ(ref.consent->organisations, std::vector<std::string>{"DBF01"});
    EXPECT_EQ(ref.consent->expires, "2027-11-02");
    EXPECT_EQ(stu3.record->person.nhs_number, "9990002010");
    EXPECT_EQ(stu3.record->person.nhs_number_verification, "01");
    EXPECT_EQ(stu3.record->person.ethnic_category, "A") << "CareConnect-EthnicCategory-1";
    EXPECT_EQ(stu3.record->person.gp_practice_ods, "Y99001");

    // Both write the same R4 Bundle.
    issues::IssueSink e1, e2;
    EXPECT_EQ(fhir::encode(*stu3.record, {}, e1), fhir::encode(*r4, {}, e2));

    // The one STU3 element with no home is reported at its STU3 path.
    ASSERT_EQ(stu3.sink.issues().size(), 1u) << stu3.all();
    EXPECT_EQ(stu3.sink.issues()[0].path, "Bundle.entry[0].resource.specialty");
    EXPECT_EQ(stu3.sink.issues()[0].severity, Severity::warning);
    EXPECT_EQ(stu3.paths.referrals, std::vector<std::string>{"Bundle.entry[0].resource"});
    EXPECT_EQ(stu3.paths.message_id, "https://fhir.carebridge.example/Id/message|STU3-MSG-0001");
}

TEST(FhirStu3Decode, StrictRefusesWhatHasNoR4Home) {
    const Result r = decode(example("synthetic-referral-bundle.stu3.json"), codec::Strictness::strict);
    EXPECT_FALSE(r.record);
    const issues::Issue* issue = r.at("Bundle.entry[0].resource.specialty");
    ASSERT_NE(issue, nullptr) << r.all();
    EXPECT_EQ(issue->severity, Severity::error);
    EXPECT_EQ(issue->type, IssueType::not_supported);
}

// A bare ReferralRequest around `members` (spliced in after the required ones).
std::string referral(const std::string& members, const std::string& status = "active") {
    return R"({"resourceType":"ReferralRequest","id":"rr1","status":")" + status +
           R"(","intent":"order","subject":{"identifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990002010"}})" +
           (members.empty() ? "" : "," + members) + "}";
}

TEST(FhirStu3Decode, RenamedElementsAreReportedAtTheirStu3Names) {
    const Result r = decode(referral(
        R"("recipient":[{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"DBF01"}},)"
        R"({"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"not ods!"}}],)"
        R"("serviceRequested":[{"text":"Befriending"},{"text":"Peer support"}],)"
        R"("context":{"reference":"Encounter/e1"},"type":{"text":"Referral"})"));
    EXPECT_FALSE(r.record) << "an invalid ODS code is an error";
    const issues::Issue* ods = r.at("ReferralRequest.recipient[1].identifier.value");
    ASSERT_NE(ods, nullptr) << r.all();
    EXPECT_EQ(ods->severity, Severity::error);
    ASSERT_NE(r.at("ReferralRequest.serviceRequested[1]"), nullptr) << r.all();
    ASSERT_NE(r.at("ReferralRequest.type"), nullptr) << r.all();
    ASSERT_NE(r.at("ReferralRequest.context"), nullptr) << r.all();
    for (const issues::Issue& issue : r.sink.issues()) EXPECT_TRUE(issue.path.starts_with("ReferralRequest")) << issue.path;
}

TEST(FhirStu3Decode, StatusPriorityAndRequesterMapToR4) {
    {
        const Result r = decode(referral(
            R"("extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1",)"
            R"("valueCodeableConcept":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1","code":"TWO_WEEK_WAIT"}]}}],)"
            R"("requester":{"agent":{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code","value":"Y99001"}}})",
            "suspended"));
        ASSERT_TRUE(r.record) << r.all();
        const model::Referral& ref = r.record->referrals.at(0);
        EXPECT_EQ(ref.priority, model::Priority::red);
        EXPECT_EQ(ref.status, model::ReferralStatus::not_contactable) << "suspended is R4 on-hold";
        EXPECT_EQ(ref.referrer_ods, "Y99001");
        EXPECT_EQ(ref.id, "rr1");
    }
    {
        const Result r = decode(referral("", "cancelled"));
        ASSERT_TRUE(r.record) << r.all();
        EXPECT_EQ(r.record->referrals.at(0).status, model::ReferralStatus::withdrawn) << "cancelled is R4 revoked";
    }
    {
        const Result r = decode(referral("", "on-hold"));
        EXPECT_FALSE(r.record) << "on-hold is R4's code, not STU3's";
        ASSERT_NE(r.at("ReferralRequest.status"), nullptr) << r.all();
    }
}

TEST(FhirStu3Decode, ABrokenDocumentIsRefusedAtTheRightPath) {
    {
        const Result r = decode(referral(
            R"("extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1",)"
            R"("valueCodeableConcept":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1","code":"SOON"}]}}])"));
        EXPECT_FALSE(r.record);
        ASSERT_NE(r.at("ReferralRequest.extension[0].valueCodeableConcept"), nullptr) << r.all();
    }
    {
        const Result r = decode(referral(R"("authoredOn":"yesterday")"));
        EXPECT_FALSE(r.record);
        ASSERT_NE(r.at("ReferralRequest.authoredOn"), nullptr) << r.all();
    }
    {
        const Result r = decode(
            R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"ReferralRequest",)"
            R"("status":"active","intent":"order","subject":{"reference":"Patient/p1"}}},)"
            R"({"resource":{"resourceType":"Patient","id":"p1","gender":42}}]})");
        EXPECT_FALSE(r.record);
        ASSERT_NE(r.at("Bundle.entry[1].resource.gender"), nullptr) << r.all();
    }
    {
        const Result r = decode(R"({"resourceType":"ReferralRequest", "status": )");
        EXPECT_FALSE(r.record);
        EXPECT_EQ(r.sink.count(Severity::fatal), 1u) << "not JSON";
    }
    {
        const Result r = decode("[1,2]");
        EXPECT_FALSE(r.record);
        EXPECT_TRUE(r.sink.failed());
    }
}

TEST(FhirStu3Decode, Stu3ResourcesTheGatewayDoesNotReadAreReportedWhole) {
    const Result r = decode(R"({"resourceType":"Bundle","type":"collection","entry":[)"
                            R"({"resource":{"resourceType":"Condition","clinicalStatus":"active"}},{"resource":)" +
                            referral(R"("supportingInfo":[{"reference":"#letter"}])") + "}]}");
    ASSERT_TRUE(r.record) << r.all();
    const issues::Issue* condition = r.at("Bundle.entry[0].resource");
    ASSERT_NE(condition, nullptr) << r.all();
    EXPECT_NE(condition->message.find("STU3 Condition"), std::string::npos);
    ASSERT_NE(r.at("Bundle.entry[1].resource.supportingInfo[0]"), nullptr) << r.all();
    EXPECT_EQ(r.paths.referrals, std::vector<std::string>{"Bundle.entry[1].resource"});
}

TEST(FhirStu3Decode, DeclaresStu3ByProfileOrReferralRequest) {
    EXPECT_TRUE(fhir_stu3::declares_stu3(example("eRS-Unbooked.json"), {}));
    EXPECT_TRUE(fhir_stu3::declares_stu3(example("synthetic-referral-bundle.stu3.json"), {}));
    EXPECT_TRUE(fhir_stu3::declares_stu3(
        R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","meta":{"profile":)"
        R"(["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"]}}}]})",
        {}));
    EXPECT_FALSE(fhir_stu3::declares_stu3(example("synthetic-referral-bundle.r4.json"), {}));
    EXPECT_FALSE(fhir_stu3::declares_stu3(R"({"resourceType":"Patient","meta":{"profile":["/STU3/x"]}})", {}));
    EXPECT_FALSE(fhir_stu3::declares_stu3(R"({"resourceType":"ReferralRequest")", {})) << "unreadable";
}

TEST(FhirStu3Decode, TranslationReadsStu3AndRefusesToWriteIt) {
    EXPECT_EQ(translation::parse_format("fhir-stu3"), translation::Format::fhir_stu3);
    EXPECT_EQ(translation::to_string(translation::Format::fhir_stu3), "fhir-stu3");
    EXPECT_FALSE(translation::is_writable(translation::Format::fhir_stu3));
    issues::IssueSink sink;
    const auto record =
        translation::decode_document(translation::Format::fhir_stu3, example("eRS-Unbooked.json"), {}, sink);
    ASSERT_TRUE(record);
    issues::IssueSink out;
    EXPECT_TRUE(translation::encode_document(translation::Format::fhir_stu3, *record, false, out).empty());
    EXPECT_TRUE(out.failed());
}

}  // namespace
}  // namespace carebridge
