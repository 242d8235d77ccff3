// Every value of every code the FHIR mapping has a table for survives
// record → FHIR → record, and the partnership base is a parameter.
#include <gtest/gtest.h>

#include "fhir/fhir_codec.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge {
namespace {

model::PersonRecord round_trip(const model::PersonRecord& record, const std::string& base = {}) {
    issues::IssueSink sink;
    fhir::EncodeOptions options;
    if (!base.empty()) options.partnership_base = base;
    const std::string bundle = fhir::encode(record, options, sink);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
    issues::IssueSink decode_sink;
    auto back = base.empty() ? fhir::decode(bundle, codec::DecodeOptions{}, decode_sink)
                             : fhir::decode(bundle, codec::DecodeOptions{}, base, decode_sink);
    EXPECT_TRUE(back.has_value()) << issues::to_operation_outcome_json(decode_sink, true);
    EXPECT_EQ(decode_sink.count(issues::Severity::warning), 0u) << issues::to_operation_outcome_json(decode_sink, true);
    return back.value_or(model::PersonRecord{});
}

TEST(FhirRoundTrip, EveryReferralStatusWithItsHistory) {
    for (int s = 0; s <= static_cast<int>(model::ReferralStatus::withdrawn); ++s) {
        model::PersonRecord record = testing::golden_record();
        model::Referral& ref = record.referrals[0];
        ref.status = static_cast<model::ReferralStatus>(s);
        ref.history.push_back(model::Hop{"DBF01", ref.status, "2026-10-06T08:00:00Z", ""});
        SCOPED_TRACE(std::string(model::to_string(ref.status)));
        EXPECT_EQ(round_trip(record), record);
    }
}

TEST(FhirRoundTrip, EveryPrioritySourcePathwayAndConsentState) {
    for (int p = 0; p < 3; ++p)
        for (int src = 0; src <= static_cast<int>(model::ReferralSource::council); ++src)
            for (int c = 0; c < 3; ++c) {
                model::PersonRecord record = testing::golden_record();
                model::Referral& ref = record.referrals[0];
                ref.priority = static_cast<model::Priority>(p);
                ref.source = static_cast<model::ReferralSource>(src);
                ref.pathway = p == 0 ? model::Pathway::full : model::Pathway::light_touch;
                ref.consent->status = static_cast<model::ConsentStatus>(c);
                ref.consent->recorded_by = c == 1 ? "RZZ" : "Priya Natarajan";  // an ODS code or a name
                EXPECT_EQ(round_trip(record), record);
            }
}

TEST(FhirRoundTrip, ContactsMethodsAndNoFixedAbode) {
    for (int m = 0; m < 4; ++m)
        for (int t = 0; t < 4; ++t)
            for (int nfa = 0; nfa < 3; ++nfa) {
                model::PersonRecord record = testing::golden_record();
                record.person.contact_preferences.preferred_method = static_cast<model::ContactMethod>(m);
                record.person.contact_preferences.interpreter_required = true;
                record.person.contact_preferences.interpreter_language = "pl";
                record.contacts[0].type = static_cast<model::ContactType>(t);
                record.person.no_fixed_abode = nfa > 0;
                if (nfa == 1) record.person.address.reset();  // no address at all, just the NHS marker
                if (nfa == 2) record.person.address->postcode = "ZZ99 3VZ";  // last known lines kept
                EXPECT_EQ(round_trip(record), record);
            }
}

TEST(FhirRoundTrip, SparseRecordStaysSparse) {
    model::PersonRecord record;
    record.person.names.push_back(model::PersonName{"", "", {"Sam"}, "Doe"});
    model::Referral ref;
    ref.id = "REF-9";
    ref.care_team.push_back(model::CareTeamMember{model::CareTeamRole::key_worker, "", "", ""});
    ref.targets.push_back(model::Target{"DBF01", ""});
    record.referrals.push_back(ref);
    model::CarePlan plan;
    plan.activities.push_back(model::Activity{"Walk", "", ""});
    plan.goals.push_back(model::Goal{"Sleep better", "", ""});
    record.care_plans.push_back(plan);
    record.diagnoses.push_back(model::Diagnosis{"snomed", "35489007", "", ""});
    record.admissions.push_back(model::Admission{"ADM-1", "2026-01-01T00:00:00Z", "", "", "", ""});
    EXPECT_EQ(round_trip(record), record);
}

TEST(FhirRoundTrip, RepeatedIdsKeepTheirOwnTasksAndResources) {
    // Two referrals under one id (a resubmission) must not share fullUrls, or
    // one's status Task would be read as the other's.
    model::PersonRecord record = testing::golden_record();
    record.referrals.push_back(record.referrals[0]);
    record.referrals[1].status = model::ReferralStatus::declined_by_service;
    record.referrals[1].status_set_by = "DBF01";
    record.referrals[1].status_reason = "Outside our area";
    record.care_plans.push_back(record.care_plans[0]);
    record.care_plans[1].crisis_plan = "Call the crisis line.";
    record.contacts.push_back(record.contacts[0]);
    EXPECT_EQ(round_trip(record), record);
}

TEST(FhirRoundTrip, PartnershipBaseIsAParameter) {
    const std::string base = "https://fhir.westshire-partnership.example";
    model::PersonRecord record = testing::golden_record();
    EXPECT_EQ(round_trip(record, base), record);

    issues::IssueSink sink;
    fhir::EncodeOptions options;
    options.partnership_base = base;
    const std::string bundle = fhir::encode(record, options, sink);
    EXPECT_NE(bundle.find(base + "/CodeSystem/referral-pathway"), std::string::npos);
    EXPECT_EQ(bundle.find("fhir.carebridge.example"), std::string::npos);
    // Read with the default base, the other partnership's codes are not ours: reported, not guessed.
    issues::IssueSink other;
    (void)fhir::decode(bundle, codec::DecodeOptions{}, other);
    EXPECT_GT(other.count(issues::Severity::warning) + other.count(issues::Severity::error), 0u);
}

TEST(FhirRoundTrip, UkCoreCodesAreWrittenWhereTheyExist) {
    model::PersonRecord record = testing::golden_record();
    record.person.contact_preferences.preferred_method = model::ContactMethod::letter;
    record.referrals[0].source = model::ReferralSource::gp;
    record.referrals[0].priority = model::Priority::red;
    issues::IssueSink sink;
    const std::string bundle = fhir::encode(record, fhir::EncodeOptions{}, sink);
    EXPECT_NE(bundle.find(R"("system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod","code":"1")"),
              std::string::npos);
    EXPECT_NE(bundle.find(R"("system":"http://snomed.info/sct","code":"108161000000109")"), std::string::npos);
    EXPECT_NE(bundle.find(R"("priority":"asap")"), std::string::npos);
    EXPECT_NE(bundle.find(R"("code":"03","display":"Formally detained under Mental Health Act Section 3")"),
              std::string::npos);
    EXPECT_NE(bundle.find(R"("system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000085")"), std::string::npos);
}

}  // namespace
}  // namespace carebridge
