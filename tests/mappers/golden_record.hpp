#pragma once
// The golden referral as the canonical record: what every decoder must produce
// from tests/golden/referral.{json,fhir.json,carenotes.xml}. The partnership
// JSON cannot carry service contacts or admissions: use
// golden_record_without_encounters() for it.

#include <fstream>
#include <sstream>
#include <string>

#include "model/record.hpp"

namespace carebridge::testing {

inline model::PersonRecord golden_record_without_encounters() {
    using namespace model;
    PersonRecord r;

    Person& p = r.person;
    p.local_id = "CN-100234";
    p.nhs_number = "9990000085";
    p.nhs_number_verification = "01";
    p.names = {PersonName{"official", "Mr", {"Daniel", "James"}, "Whitfield"},
               PersonName{"usual", "", {"Danny"}, "Whitfield"}};
    p.birth_date = "1978-03-14";
    p.gender = Gender::male;
    p.ethnic_category = "M";
    p.address = Address{{"Flat 4", "27 Cobden Street"}, "Northfield", "Westshire", "NF6 2QT"};
    p.no_fixed_abode = false;
    p.phone = "0113 496 0123";
    p.mobile = "07700 900123";
    p.email = "danny.whitfield@example.org";
    p.contact_preferences.preferred_method = ContactMethod::text;
    p.contact_preferences.safe_to_call_at_home = false;
    p.contact_preferences.interpreter_required = false;
    p.contact_preferences.digital_access = true;
    p.gp_practice_ods = "Y99001";

    r.diagnoses = {Diagnosis{"icd-10", "F20.0", "Paranoid schizophrenia", "2015-06-02"}};

    Referral ref;
    ref.id = "REF-2026-000417";
    ref.version = 2;
    ref.created = "2026-10-05T09:30:00Z";
    ref.updated = "2026-10-05T14:10:00Z";
    ref.status = ReferralStatus::submitted;
    ref.status_reason = "Referred for befriending after CPA review";
    ref.status_set_by = "RZZ";
    ref.priority = Priority::amber;
    ref.pathway = Pathway::light_touch;
    ref.source = ReferralSource::nhs_team;
    ref.referrer_ods = "RZZ";
    ref.referrer_name = "Priya Natarajan";
    ref.needs = {NeedItem{Need::isolation, "Has lost contact with friends since his last admission"},
                 NeedItem{Need::benefits, "PIP review due in December"},
                 NeedItem{Need::physical_health, ""}};
    ref.complexity_flags = {"smi", "lives-alone"};
    ref.risk.level = RiskLevel::medium;
    ref.risk.summary =
        "No current risk to others. History of self-neglect when unwell; early signs are missed "
        "appointments and not answering the door.";
    ref.risk.flags = {"self-neglect", "lone-working"};
    ref.risk.assessed = "2026-09-28";
    ref.shielded = true;

    Consent consent;
    consent.id = "CONS-2026-0932";
    consent.status = ConsentStatus::given;
    consent.recorded_by = "Priya Natarajan";
    consent.recorded_at = "2026-10-05T09:10:00Z";
    consent.organisation_types = {OrganisationType::vcse};
    consent.organisations = {"DBF01"};
    consent.purposes = {"direct-care"};
    consent.expires = "2027-10-05";
    ref.consent = consent;
    ref.lawful_basis = LawfulBasis{"6(1)(e)", "9(2)(h)"};

    ref.care_team = {CareTeamMember{CareTeamRole::care_coordinator, "Priya Natarajan", "RZZ", "0113 496 0456"},
                     CareTeamMember{CareTeamRole::social_worker, "Tom Ellery", "DCN01", ""}};
    ref.requested_services = {"befriending"};
    ref.targets = {Target{"DBF01", "befriending"}};
    ref.history = {Hop{"RZZ", ReferralStatus::submitted, "2026-10-05T09:30:00Z", "CPA review agreed befriending"}};
    ref.notes = "Danny is on CPA. Prefers a text message the day before a visit. Likes football and walking.";
    r.referrals.push_back(ref);

    CarePlan plan;
    plan.id = "CP-7781";
    plan.title = "Recovery and community connection plan";
    plan.status = CarePlanStatus::active;
    plan.period_start = "2026-09-28";
    plan.period_end = "2027-03-28";
    plan.review_date = "2026-12-28";
    plan.goals = {Goal{"Meet someone socially at least once a week", "2026-12-31", "active"},
                  Goal{"Keep PIP in payment after the review", "", "active"}};
    plan.activities = {Activity{"Weekly befriending visit", "DBF01", "not-started"},
                       Activity{"Depot medication every two weeks at the clinic", "RZZ", "in-progress"}};
    plan.crisis_plan =
        "If Danny stops answering for three days, call his care co-ordinator; out of hours call the crisis "
        "line 0113 496 0999.";
    plan.contingency_plan = "If the befriender cannot visit, phone Danny instead and tell the care co-ordinator.";
    plan.dialog_date = "2026-09-28";
    const int scores[] = {4, 3, 2, 5, 2, 4, 1, 6, 5, 3, 5};
    const bool wants_help[] = {false, true, false, false, true, false, true, false, false, true, false};
    for (int i = 0; i < dialog_domain_count; ++i)
        plan.dialog.push_back(DialogScore{static_cast<DialogDomain>(i), scores[i], wants_help[i]});
    r.care_plans.push_back(plan);
    return r;
}

inline model::PersonRecord golden_record() {
    using namespace model;
    PersonRecord r = golden_record_without_encounters();
    r.contacts = {ServiceContact{"CT-5501", ContactType::face_to_face, "2026-09-28T10:00:00Z", "2026-09-28T11:00:00Z",
                                 "Community Mental Health Team", "Priya Natarajan"},
                  ServiceContact{"CT-5502", ContactType::did_not_attend, "2026-09-14T14:00:00Z", "", "Depot Clinic",
                                 "Alex Brooks"}};
    r.admissions = {Admission{"ADM-2201", "2025-11-02T22:15:00Z", "2025-12-19T11:00:00Z", "RZZ", "Beech Ward", "03"}};
    return r;
}

inline std::string read_source_file(const std::string& relative) {
    std::ifstream in(std::string(CAREBRIDGE_SOURCE_DIR) + "/" + relative, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace carebridge::testing
