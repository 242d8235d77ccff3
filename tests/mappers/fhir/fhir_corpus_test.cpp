// Every public FHIR example in the corpus (HL7 R4 examples, NHS BaRS examples)
// decodes without a crash, and each ends the way the mapping says it should:
// a referral, no referral, or a clear rejection. The expectations below are
// reasoned from the mapping (fhir/MAPPING.md) and from reading the files, not
// taken from the decoder's output.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "fhir/fhir_codec.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge {
namespace {

namespace fs = std::filesystem;

enum class Outcome { referral, no_referral, rejected };

struct Expectation {
    Outcome outcome;
    std::string error_path;  // for rejected: where the deciding error is
    issues::IssueType error_type = issues::IssueType::processing;
};

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string corpus() { return CAREBRIDGE_CORPUS_DIR; }

// The files whose fate is not the rule for their folder and resource type.
const std::map<std::string, Expectation>& exceptions() {
    static const std::map<std::string, Expectation> table = {
        // A transaction-response reports outcomes of requests; it is not a document.
        {"hl7-r4/Bundle-bundle-response.json", {Outcome::rejected, "Bundle.type", issues::IssueType::not_supported}},
        // doNotPerform is a modifier: "do not turn the patient" is a prohibition, not a referral.
        {"hl7-r4/ServiceRequest-do-not-turn.json",
         {Outcome::rejected, "ServiceRequest.doNotPerform", issues::IssueType::not_supported}},
        // BaRS uses NHS number 3478526985 throughout, which fails the modulus 11 check
        // (weighted sum 285, check digit 1, not 5). Patient at entry[5] / entry[6].
        {"nhs-bars/process-message-validation-request.json",
         {Outcome::rejected, "Bundle.entry[5].resource.identifier[0].value", issues::IssueType::value}},
        {"nhs-bars/process-message-validation-response.json",
         {Outcome::rejected, "Bundle.entry[6].resource.identifier[0].value", issues::IssueType::value}},
        // A searchset whose entry holds the ServiceRequest's members directly, with no `resource`.
        {"nhs-bars/servicerequest-search.json",
         {Outcome::rejected, "Bundle.entry[0].resource", issues::IssueType::required}},
        // A booking (Appointment, Slot, Schedule) for a patient: no ServiceRequest, so no referral.
        {"nhs-bars/process-message-booking.json", {Outcome::no_referral, "", {}}},
        // Single ServiceRequests whose subject is a urn:uuid: outside the
        // document with no NHS number beside it: the referral names no person.
        {"nhs-bars/servicerequest-put.json", {Outcome::rejected, "ServiceRequest.subject", issues::IssueType::required}},
        {"nhs-bars/servicerequest-read.json", {Outcome::rejected, "ServiceRequest.subject", issues::IssueType::required}},
    };
    return table;
}

Expectation expected_for(const std::string& relative) {
    if (auto it = exceptions().find(relative); it != exceptions().end()) return it->second;
    const std::string name = fs::path(relative).filename().string();
    // The HL7 ServiceRequests name their patient as `Patient/example` (not in
    // the file) or by display: no NHS number, so nobody the record can identify.
    if (name.rfind("ServiceRequest-", 0) == 0)
        return {Outcome::rejected, "ServiceRequest.subject", issues::IssueType::required};
    return {Outcome::no_referral, "", {}};
}

// Top-level elements the record carries (or knowingly ignores) per resource
// type, from fhir/MAPPING.md. Any other member of a single resource must be
// reported with a path starting at it, unless the whole resource is reported.
const std::map<std::string, std::set<std::string>>& carried() {
    static const std::set<std::string> common = {"resourceType", "id", "meta", "text", "language"};
    static const std::map<std::string, std::set<std::string>> table = [] {
        std::map<std::string, std::set<std::string>> t = {
            {"Patient",
             {"extension", "identifier", "name", "telecom", "gender", "birthDate", "address", "communication",
              "generalPractitioner", "active", "deceasedBoolean"}},
            {"ServiceRequest",
             {"extension", "identifier", "status", "intent", "category", "priority", "code", "subject",
              "authoredOn", "requester", "performer", "reasonCode", "supportingInfo", "note", "doNotPerform"}},
            {"Condition",
             {"clinicalStatus", "verificationStatus", "category", "code", "subject", "recordedDate"}},
            {"CarePlan",
             {"extension", "identifier", "status", "intent", "title", "subject", "period", "goal", "supportingInfo",
              "activity", "category", "partOf", "description"}},
            {"Encounter",
             {"extension", "identifier", "status", "class", "type", "serviceType", "subject", "participant",
              "period", "location", "serviceProvider"}},
        };
        for (auto& [type, members] : t) members.insert(common.begin(), common.end());
        return t;
    }();
    return table;
}

struct Decoded {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;
};

Decoded decode(const std::string& text, codec::Strictness strictness) {
    Decoded d;
    codec::DecodeOptions options;
    options.strictness = strictness;
    d.record = fhir::decode(text, options, d.sink);
    return d;
}

bool has_issue_at(const issues::IssueSink& sink, const std::string& path, issues::Severity severity) {
    for (const issues::Issue& issue : sink.issues())
        if (issue.severity == severity && issue.path == path) return true;
    return false;
}

bool reported_under(const issues::IssueSink& sink, const std::string& prefix) {
    for (const issues::Issue& issue : sink.issues())
        if (issue.path == prefix || issue.path.rfind(prefix + ".", 0) == 0 || issue.path.rfind(prefix + "[", 0) == 0)
            return true;
    return false;
}

std::vector<std::string> corpus_files() {
    std::vector<std::string> files;
    for (const char* folder : {"hl7-r4", "nhs-bars"})
        for (const auto& entry : fs::directory_iterator(fs::path(corpus()) / folder))
            if (entry.path().extension() == ".json") files.push_back(std::string(folder) + "/" + entry.path().filename().string());
    std::sort(files.begin(), files.end());
    return files;
}

TEST(FhirCorpus, EveryFileEndsAsTheMappingSays) {
    const auto files = corpus_files();
    ASSERT_GT(files.size(), 150u) << "corpus not found under " << corpus();
    for (const std::string& relative : files) {
        SCOPED_TRACE(relative);
        const std::string text = read(fs::path(corpus()) / relative);
        Decoded lenient = decode(text, codec::Strictness::lenient);
        const Expectation expected = expected_for(relative);
        // Every file is JSON the parser accepts: nothing is fatal.
        EXPECT_EQ(lenient.sink.count(issues::Severity::fatal), 0u);
        // Every issue names where it is, except the one about the whole document.
        for (const issues::Issue& issue : lenient.sink.issues()) {
            if (issue.severity != issues::Severity::information) {
                EXPECT_FALSE(issue.path.empty()) << issue.message;
            }
        }

        switch (expected.outcome) {
        case Outcome::rejected: {
            EXPECT_FALSE(lenient.record.has_value());
            bool found = false;
            for (const issues::Issue& issue : lenient.sink.issues())
                found = found || (issue.severity == issues::Severity::error && issue.path == expected.error_path &&
                                  issue.type == expected.error_type);
            EXPECT_TRUE(found) << "expected an error at " << expected.error_path << "\n"
                               << issues::to_operation_outcome_json(lenient.sink, true);
            // The OperationOutcome names it too.
            EXPECT_NE(issues::to_operation_outcome_json(lenient.sink).find(expected.error_path), std::string::npos);
            continue;
        }
        case Outcome::referral:
            ASSERT_TRUE(lenient.record.has_value()) << issues::to_operation_outcome_json(lenient.sink, true);
            EXPECT_EQ(lenient.record->referrals.size(), 1u);
            break;
        case Outcome::no_referral:
            ASSERT_TRUE(lenient.record.has_value()) << issues::to_operation_outcome_json(lenient.sink, true);
            EXPECT_TRUE(lenient.record->referrals.empty());
            EXPECT_TRUE(has_issue_at(lenient.sink, "", issues::Severity::information));
            break;
        }

        // What a single resource holds beyond the mapping is reported, element by element.
        rapidjson::Document doc;
        doc.Parse(text.data(), text.size());
        ASSERT_FALSE(doc.HasParseError());
        const std::string type = doc["resourceType"].GetString();
        if (type != "Bundle") {
            const bool whole = has_issue_at(lenient.sink, type, issues::Severity::warning);
            if (auto it = carried().find(type); it != carried().end() && !whole) {
                for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
                    const std::string name = m->name.GetString();
                    if (it->second.count(name)) continue;
                    EXPECT_TRUE(reported_under(lenient.sink, type + "." + name)) << type << "." << name;
                }
            } else if (it == carried().end()) {
                // Without a referral or care plan to hang on, the resource is reported whole.
                EXPECT_TRUE(whole) << issues::to_operation_outcome_json(lenient.sink, true);
            }
        }

        // Strict mode turns every element not carried into an error.
        if (lenient.sink.count(issues::Severity::warning) > 0) {
            bool any_not_carried = false;
            for (const issues::Issue& issue : lenient.sink.issues())
                any_not_carried = any_not_carried || issue.type == issues::IssueType::informational;
            if (any_not_carried) {
                Decoded strict = decode(text, codec::Strictness::strict);
                EXPECT_FALSE(strict.record.has_value());
                for (const issues::Issue& issue : strict.sink.issues())
                    EXPECT_NE(issue.type, issues::IssueType::informational) << issue.path;
            }
        }
    }
}

TEST(FhirCorpus, WhatIsReadReEncodesLosslessly) {
    // Whatever the decoder accepts from a public example, the encoder writes so
    // that it reads back to the same record, with nothing reported.
    std::size_t checked = 0;
    for (const std::string& relative : corpus_files()) {
        SCOPED_TRACE(relative);
        Decoded first = decode(read(fs::path(corpus()) / relative), codec::Strictness::lenient);
        if (!first.record) continue;
        issues::IssueSink encode_sink;
        const std::string bundle = fhir::encode(*first.record, fhir::EncodeOptions{}, encode_sink);
        EXPECT_TRUE(encode_sink.empty()) << issues::to_operation_outcome_json(encode_sink, true);
        Decoded second = decode(bundle, codec::Strictness::strict);
        ASSERT_TRUE(second.record) << issues::to_operation_outcome_json(second.sink, true);
        EXPECT_EQ(*second.record, *first.record);
        ++checked;
    }
    EXPECT_GT(checked, 130u);  // all but the rejected ones
}

TEST(FhirCorpus, BarsReferralIsReadOnceItsNhsNumberIsValid) {
    // The same BaRS referral with the test-range number 999 000 0018 in place of
    // the one that fails its check digit: everything else about it is read.
    std::string text = read(fs::path(corpus()) / "nhs-bars/process-message-validation-request.json");
    for (std::size_t at = text.find("3478526985"); at != std::string::npos; at = text.find("3478526985", at))
        text.replace(at, 10, "9990000018");
    Decoded d = decode(text, codec::Strictness::lenient);
    ASSERT_TRUE(d.record.has_value()) << issues::to_operation_outcome_json(d.sink, true);
    const model::PersonRecord& r = *d.record;
    EXPECT_EQ(r.person.nhs_number, "9990000018");
    ASSERT_EQ(r.referrals.size(), 1u);
    const model::Referral& ref = r.referrals[0];
    EXPECT_EQ(ref.status, model::ReferralStatus::submitted);  // ServiceRequest active, no Task
    EXPECT_EQ(ref.referrer_name, "Marcy BLAKE");
    ASSERT_EQ(ref.targets.size(), 1u);
    EXPECT_EQ(ref.targets[0].organisation_ods, "RYE");  // HealthcareService providedBy, lower-case /id/ system
    EXPECT_EQ(ref.targets[0].service, "Consulting psychologists and/or psychology services");
    EXPECT_EQ(r.person.gp_practice_ods, "G82080");
    EXPECT_EQ(r.person.ethnic_category, "A");
    EXPECT_EQ(r.person.gender, model::Gender::female);
    EXPECT_EQ(r.person.contact_preferences.interpreter_language, "en");
    // The older spelled-out verification code reads as "01".
    EXPECT_EQ(r.person.nhs_number_verification, "01");
    // The consent is dated with a date only, which the record cannot keep as an
    // instant; it is still carried as given.
    ASSERT_TRUE(ref.consent.has_value());
    EXPECT_EQ(ref.consent->status, model::ConsentStatus::given);
    EXPECT_TRUE(has_issue_at(d.sink, "Bundle.entry[18].resource.dateTime", issues::Severity::warning));
    // The emergency Encounter, the Observation and the scene-safety Flag are not carried.
    EXPECT_TRUE(has_issue_at(d.sink, "Bundle.entry[3].resource", issues::Severity::warning));
    EXPECT_TRUE(has_issue_at(d.sink, "Bundle.entry[16].resource", issues::Severity::warning));
    EXPECT_TRUE(has_issue_at(d.sink, "Bundle.entry[17].resource", issues::Severity::warning));
    // The religion extension on the Patient is reported at its own path.
    EXPECT_TRUE(has_issue_at(d.sink, "Bundle.entry[5].resource.extension[1]", issues::Severity::warning));
}

TEST(FhirCorpus, BookingHasNoReferralButKeepsThePatient) {
    Decoded d = decode(read(fs::path(corpus()) / "nhs-bars/process-message-booking.json"),
                       codec::Strictness::lenient);
    ASSERT_TRUE(d.record.has_value()) << issues::to_operation_outcome_json(d.sink, true);
    EXPECT_TRUE(d.record->referrals.empty());
    EXPECT_EQ(d.record->person.nhs_number, "9476719931");
    bool said_so = false;
    for (const issues::Issue& issue : d.sink.issues())
        said_so = said_so || (issue.type == issues::IssueType::not_found &&
                              issue.message.find("no referral") != std::string::npos);
    EXPECT_TRUE(said_so);
}

TEST(FhirCorpus, HospitalEncounterBecomesAnAdmissionAndHomeVisitAContact) {
    Decoded admission = decode(read(fs::path(corpus()) / "hl7-r4/Encounter-f203.json"),
                               codec::Strictness::lenient);
    ASSERT_TRUE(admission.record.has_value());
    ASSERT_EQ(admission.record->admissions.size(), 1u);
    // Its period is two dates; the record keeps instants, so both are reported.
    EXPECT_TRUE(has_issue_at(admission.sink, "Encounter.period.start", issues::Severity::warning));
    EXPECT_TRUE(reported_under(admission.sink, "Encounter.hospitalization"));

    Decoded home = decode(read(fs::path(corpus()) / "hl7-r4/Encounter-home.json"), codec::Strictness::lenient);
    ASSERT_TRUE(home.record.has_value());
    ASSERT_EQ(home.record->contacts.size(), 1u);
    EXPECT_EQ(home.record->contacts[0].type, model::ContactType::face_to_face);
    EXPECT_EQ(home.record->contacts[0].start, "2015-01-17T16:00:00+10:00");
}

TEST(FhirCorpus, StatPriorityIsRedWithAWarning) {
    // ServiceRequest-do-not-turn is the corpus's stat request, but it is also a
    // prohibition; drop doNotPerform to see the priority alone.
    std::string text = read(fs::path(corpus()) / "hl7-r4/ServiceRequest-do-not-turn.json");
    const auto at = text.find("\"doNotPerform\": true");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, std::string("\"doNotPerform\": true").size(), "\"doNotPerform\": false");
    // And name the patient by NHS number, as NHS APIs do, so that it is a referral about someone.
    const std::string subject = "\"reference\": \"Patient/example\"";
    const auto s = text.find(subject);
    ASSERT_NE(s, std::string::npos);
    text.replace(s, subject.size(),
                 subject + ", \"identifier\": {\"system\": \"https://fhir.nhs.uk/Id/nhs-number\", \"value\": \"9990000018\"}");
    Decoded d = decode(text, codec::Strictness::lenient);
    ASSERT_TRUE(d.record.has_value()) << issues::to_operation_outcome_json(d.sink, true);
    EXPECT_EQ(d.record->referrals[0].priority, model::Priority::red);
    EXPECT_TRUE(has_issue_at(d.sink, "ServiceRequest.priority", issues::Severity::warning));
}

}  // namespace
}  // namespace carebridge
