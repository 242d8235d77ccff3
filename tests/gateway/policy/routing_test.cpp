// Routing decisions: every way a referral reaches a service or is kept from
// it - targets at open, paused and closed services, rules, renamed
// organisations, agreements, consent - and what each recipient's copy holds.

#include "policy/routing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "partnership_fixture.hpp"
#include "policy/consent.hpp"
#include "policy/criteria.hpp"

namespace carebridge::gateway::policy {
namespace {

using namespace fixture;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

bool has(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// The sample referral with no targets and no requested services: what the rules alone do.
model::PersonRecord untargeted() {
    model::PersonRecord record = sample_record();
    record.referrals.front().targets.clear();
    record.referrals.front().requested_services.clear();
    return record;
}

model::PersonRecord targeting(std::string ods, std::string service) {
    model::PersonRecord record = untargeted();
    record.referrals.front().targets = {{std::move(ods), std::move(service)}};
    return record;
}

model::Consent& consent_of(model::PersonRecord& record) { return *record.referrals.front().consent; }

RoutingOutcome route_from_trust(const model::PersonRecord& record, std::string_view sender = "trust",
                                std::chrono::system_clock::time_point now = referral_day) {
    return route(record, sender, *test_directory(), now);
}

std::vector<std::string> alternative_services(const Refusal& refusal) {
    std::vector<std::string> out;
    for (const Alternative& a : refusal.alternatives) out.push_back(a.organisation + "/" + a.service);
    return out;
}

const Decision* decision_for(const RoutingOutcome& outcome, std::string_view organisation, std::string_view service) {
    for (const Decision& d : outcome.decisions)
        if (d.organisation == organisation && d.service == service) return &d;
    return nullptr;
}

// ---- the sample referral itself ----

TEST(SampleReferral, IsWhatTheIssueDescribes) {
    const model::PersonRecord& record = sample_record();
    ASSERT_EQ(record.referrals.size(), 1u);
    const model::Referral& referral = record.referrals.front();
    EXPECT_TRUE(std::any_of(referral.needs.begin(), referral.needs.end(),
                            [](const model::NeedItem& n) { return n.code == model::Need::isolation; }));
    EXPECT_EQ(referral.requested_services, std::vector<std::string>{"befriending"});
    ASSERT_TRUE(referral.consent);
    EXPECT_EQ(referral.consent->status, model::ConsentStatus::given);
    EXPECT_EQ(referral.consent->organisation_types, std::vector<model::OrganisationType>{model::OrganisationType::vcse});
    EXPECT_EQ(referral.consent->purposes, std::vector<std::string>{"direct-care"});
    EXPECT_FALSE(record.diagnoses.empty());
    EXPECT_FALSE(record.admissions.empty());
    EXPECT_FALSE(referral.notes.empty());
}

TEST(SampleReferral, IsTheGoldenFhirReferral) {
    EXPECT_EQ(read_text(source_dir + "/config/demo-referral.json"),
              read_text(source_dir + "/tests/golden/referral.fhir.json"));
}

// ---- the demo partnership: trust → befriend ----

TEST(DemoPartnership, RoutesTheSampleReferralFromTheTrustToBefriendingOnly) {
    const auto directory = demo_directory();
    ASSERT_TRUE(directory);
    const RoutingOutcome outcome = route(sample_record(), "trust", *directory, referral_day);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    const Recipient& r = outcome.recipients.front();
    EXPECT_EQ(r.organisation, "befriend");
    EXPECT_EQ(r.organisation_ods, "DBF01");
    EXPECT_EQ(r.organisation_type, config::OrganisationType::vcse);
    EXPECT_EQ(r.service, "befriending");
    EXPECT_EQ(r.rule, "target");  // it names the service itself; the two rules agree and add nothing
    EXPECT_EQ(r.agreement, "trust-befriend-direct-care");
    EXPECT_EQ(r.purpose, "direct-care");
    EXPECT_EQ(r.lawful_basis.article6, "6(1)(e)");
    EXPECT_EQ(r.lawful_basis.article9, "9(2)(h)");
    EXPECT_EQ(r.profile, "vcse-befriending");
    EXPECT_EQ(r.consent, "CONS-2026-0932");
    EXPECT_EQ(r.format, translation::Format::referral);
    EXPECT_FALSE(r.endpoint);  // it collects from its inbox

    // The profile withholds diagnoses, admissions and clinical notes.
    EXPECT_TRUE(r.record.diagnoses.empty());
    EXPECT_TRUE(r.record.admissions.empty());
    EXPECT_TRUE(r.record.contacts.empty());
    ASSERT_EQ(r.record.referrals.size(), 1u);
    EXPECT_TRUE(r.record.referrals.front().notes.empty());
    for (const char* withheld : {"diagnoses", "admissions", "contacts", "referral.notes", "person.nhs_number",
                                 "person.address", "person.birth_date", "referral.care_team"})
        EXPECT_TRUE(has(r.fields_withheld, withheld)) << withheld;
    EXPECT_EQ(r.fields_sent,
              (std::vector<std::string>{"person.name", "person.telecom", "person.contact_preferences", "referral.id",
                                        "referral.status", "referral.priority", "referral.needs",
                                        "referral.risk.summary", "care_plan.id", "care_plan.status",
                                        "care_plan.crisis_plan"}));
    // The glossary spells out PIP in the need's text for the VCSE partner.
    EXPECT_EQ(r.glossary_terms, std::vector<std::string>{"PIP"});

    ASSERT_EQ(outcome.decisions.size(), 1u);
    const Decision& d = outcome.decisions.front();
    EXPECT_TRUE(d.allowed());
    EXPECT_EQ(d.verdict(), "allow");
    EXPECT_EQ(d.policy_version, "westshire-2026.10");
    EXPECT_EQ(d.rule, "target");
    EXPECT_EQ(d.consent, "CONS-2026-0932");
}

TEST(DemoPartnership, RefusesTheClosedCrisisCafeAndOffersWhatIsOpen) {
    const auto directory = demo_directory();
    ASSERT_TRUE(directory);
    model::PersonRecord record = targeting("DMN01", "crisis-cafe");
    const RoutingOutcome outcome = route(record, "trust", *directory, referral_day);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::service_not_open);
    EXPECT_EQ(alternative_services(*outcome.refusal),
              (std::vector<std::string>{"mind/peer-support", "befriend/befriending"}));
    EXPECT_TRUE(outcome.recipients.empty());
}

// ---- explicit targets ----

TEST(Target, AtAnOpenServiceIsSentUnderTheTargetRule) {
    const RoutingOutcome outcome = route_from_trust(targeting("DMN01", "peer-support"));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    // Peer support by its target, befriending by the isolation rule.
    ASSERT_EQ(outcome.recipients.size(), 2u);
    EXPECT_EQ(outcome.recipients[0].organisation, "mind");
    EXPECT_EQ(outcome.recipients[0].rule, "target");
    EXPECT_EQ(outcome.recipients[0].format, translation::Format::carenotes);  // its endpoint's, not its inbox's
    ASSERT_TRUE(outcome.recipients[0].endpoint);
    EXPECT_EQ(outcome.recipients[0].endpoint->url, "https://mind.example/referrals");
    EXPECT_EQ(outcome.recipients[1].organisation, "befriend");
    EXPECT_EQ(outcome.recipients[1].rule, "isolation-to-befriending");
    EXPECT_EQ(outcome.policy_version, "test-7");
}

TEST(Target, AtAClosedServiceRefusesTheReferralNamingTheStatusAndTheOpenAlternatives) {
    const RoutingOutcome outcome = route_from_trust(targeting("DMN01", "crisis-cafe"));
    ASSERT_TRUE(outcome.refusal);
    const Refusal& refusal = *outcome.refusal;
    EXPECT_EQ(refusal.kind, RefusalKind::service_not_open);
    EXPECT_EQ(to_string(refusal.kind), "service-not-open");
    EXPECT_EQ(refusal.status, config::ServiceStatus::closed);
    EXPECT_EQ(refusal.organisation, "mind");
    EXPECT_EQ(refusal.service, "crisis-cafe");
    // Open, and the criteria fit: not the paused drop-in, not housing (no housing
    // need), not the youth service (he is 48), not the closed cafe itself.
    EXPECT_EQ(alternative_services(refusal),
              (std::vector<std::string>{"icb/continuing-care", "befriend/befriending", "mind/peer-support"}));
    EXPECT_EQ(refusal.message,
              "Crisis cafe at Westshire Mind (DMN01) is closed and takes no referrals. Open services that take this "
              "referral: Continuing healthcare at NHS Westshire Integrated Care Board (QZZ); Befriending at "
              "Northfield Befriending (DBF01), contact Jo Hartley, 0113 496 0200; Peer support at Westshire Mind "
              "(DMN01), contact Sam Okafor, peer@mind.example.");
    // Nothing is sent, not even to the service the rules would have chosen.
    EXPECT_TRUE(outcome.recipients.empty());
    ASSERT_EQ(outcome.decisions.size(), 1u);
    EXPECT_EQ(outcome.decisions[0].status, DecisionStatus::service_not_open);
    EXPECT_EQ(outcome.decisions[0].verdict(), "deny");
    EXPECT_EQ(outcome.decisions[0].rule, "target");
    EXPECT_EQ(outcome.decisions[0].policy_version, "test-7");
}

TEST(Target, AtAPausedServiceIsRefusedToo) {
    const RoutingOutcome outcome = route_from_trust(targeting("DMN01", "drop-in"));
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::service_not_open);
    EXPECT_EQ(outcome.refusal->status, config::ServiceStatus::paused);
    EXPECT_TRUE(contains(outcome.refusal->message, "Drop-in at Westshire Mind (DMN01) is paused"))
        << outcome.refusal->message;
    EXPECT_EQ(alternative_services(*outcome.refusal),
              (std::vector<std::string>{"icb/continuing-care", "befriend/befriending", "mind/peer-support"}));
    EXPECT_TRUE(outcome.recipients.empty());
}

TEST(Target, AlternativesAreOnlyServicesWhoseCriteriaTheReferralMeets) {
    model::PersonRecord record = targeting("DMN01", "crisis-cafe");
    model::Referral& referral = record.referrals.front();
    referral.needs = {{model::Need::housing, ""}};
    referral.pathway = model::Pathway::full;
    record.person.birth_date = "2005-01-01";  // 21
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    // Befriending and peer support take isolation, not housing; youth takes him at 21.
    EXPECT_EQ(alternative_services(*outcome.refusal),
              (std::vector<std::string>{"icb/continuing-care", "council/housing-support", "mind/youth"}));
}

TEST(Target, WhoseCriteriaExcludeThePersonIsRefusedWithTheAlternatives) {
    model::PersonRecord record = targeting("DBF01", "befriending");
    record.person.birth_date = "2010-06-01";  // 16; befriending takes 18 and over
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::criteria_not_met);
    EXPECT_FALSE(outcome.refusal->status);
    EXPECT_TRUE(contains(outcome.refusal->message,
                         "Befriending at Northfield Befriending (DBF01) does not take this referral: the person is "
                         "under the service's minimum age (18)"))
        << outcome.refusal->message;
    EXPECT_EQ(alternative_services(*outcome.refusal),
              (std::vector<std::string>{"icb/continuing-care", "mind/peer-support", "mind/youth"}));
    EXPECT_EQ(outcome.decisions.at(0).status, DecisionStatus::criteria_not_met);
}

TEST(Target, NamingAnUnknownOrganisationOrServiceIsRefused) {
    RoutingOutcome outcome = route_from_trust(targeting("DXX99", "befriending"));
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::unknown_organisation);
    EXPECT_TRUE(contains(outcome.refusal->message, "names organisation \"DXX99\", which is not in the directory"));
    EXPECT_EQ(outcome.decisions.at(0).status, DecisionStatus::unknown_organisation);

    outcome = route_from_trust(targeting("DBF01", "gardening"));
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::unknown_service);
    EXPECT_TRUE(contains(outcome.refusal->message,
                         "asks for \"gardening\" at Northfield Befriending (DBF01), which does not run it (it runs "
                         "befriending)"))
        << outcome.refusal->message;

    // With no service named, an organisation running one service means that one.
    outcome = route_from_trust(targeting("DBF01", ""));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).service, "befriending");
    // Running several, it means the one open service there that fits (terminology_test.cpp has the rest).
    outcome = route_from_trust(targeting("DMN01", ""));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).service, "peer-support");
}

TEST(Target, ByServiceNameAsFhirGivesIt) {
    const RoutingOutcome outcome = route_from_trust(targeting("DMN01", "Peer Support"));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).service, "peer-support");
}

// ---- rules ----

TEST(Rule, ThatMatchesChoosesItsRecipients) {
    const RoutingOutcome outcome = route_from_trust(untargeted());
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].organisation, "befriend");
    EXPECT_EQ(outcome.recipients[0].rule, "isolation-to-befriending");
    EXPECT_EQ(outcome.decisions.at(0).rule, "isolation-to-befriending");
}

TEST(Rule, MatchesOnEveryConditionItGives) {
    model::PersonRecord record = untargeted();
    model::Referral& referral = record.referrals.front();
    referral.needs = {{model::Need::debt, ""}};
    // debt-in-nf6: needs debt, area NF6, source nhs-team.
    RoutingOutcome outcome = route_from_trust(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).rule, "debt-in-nf6");

    record.person.address->postcode = "NF9 1AA";  // another district, and his GP is not listed
    outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::no_route);

    record.person.address->postcode = "nf62qt";  // NF6, written loosely
    referral.source = model::ReferralSource::police;
    outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::no_route);

    referral.source = model::ReferralSource::nhs_team;
    outcome = route_from_trust(record);
    EXPECT_FALSE(outcome.refusal);
}

TEST(Rule, ThatMatchesNothingLeavesNoRouteAndSaysSo) {
    model::PersonRecord record = untargeted();
    record.referrals.front().needs = {{model::Need::employment, ""}};
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::no_route);
    EXPECT_TRUE(contains(outcome.refusal->message, "it names no target and no routing rule matches it"));
    EXPECT_TRUE(outcome.decisions.empty());
}

TEST(Rule, ToAClosedServiceIsSkippedWithADenyAndTheRestIsSent) {
    model::PersonRecord record = untargeted();
    record.referrals.front().priority = model::Priority::red;  // red-to-crisis-cafe, and isolation to befriending
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].organisation, "befriend");
    const Decision* cafe = decision_for(outcome, "mind", "crisis-cafe");
    ASSERT_TRUE(cafe);
    EXPECT_EQ(cafe->status, DecisionStatus::service_not_open);
    EXPECT_EQ(cafe->rule, "red-to-crisis-cafe");
    EXPECT_EQ(cafe->reason, "Crisis cafe at Westshire Mind (DMN01) is closed and takes no referrals");
}

TEST(Rule, WhoseOnlyServicesAreClosedRefusesTheReferralWithTheAlternatives) {
    model::PersonRecord record = untargeted();
    record.referrals.front().priority = model::Priority::red;
    record.referrals.front().needs = {{model::Need::mental_health, ""}};
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::service_not_open);
    EXPECT_EQ(outcome.refusal->status, config::ServiceStatus::closed);
    EXPECT_EQ(alternative_services(*outcome.refusal),
              (std::vector<std::string>{"icb/continuing-care", "mind/peer-support"}));
    EXPECT_TRUE(contains(outcome.refusal->message, "Every service the routing rules chose for this referral is "
                                                   "unavailable: Crisis cafe at Westshire Mind (DMN01) is closed"));
}

TEST(Rule, AndATargetNamingOneServiceSendItOnceUnderTheTarget) {
    const RoutingOutcome outcome = route_from_trust(targeting("DBF01", "befriending"));
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].rule, "target");
    EXPECT_EQ(outcome.decisions.size(), 1u);
}

TEST(Rule, MatchesTheSenderByItsIdWhicheverNameItCameUnder) {
    model::PersonRecord record = untargeted();
    record.referrals.front().priority = model::Priority::red;
    // red-to-crisis-cafe is for referrals from the Trust: its old name still counts.
    const RoutingOutcome outcome = route_from_trust(record, "Westshire Partnership NHS Trust");
    EXPECT_TRUE(decision_for(outcome, "mind", "crisis-cafe"));
}

// ---- organisations that changed their names ----

TEST(Alias, TheTrustsFormerNameAndCodeSendUnderItsAgreements) {
    for (const char* sender : {"Westshire Partnership NHS Trust", "RZY", "RZZ", "trust"}) {
        const RoutingOutcome outcome = route_from_trust(sample_record(), sender);
        ASSERT_FALSE(outcome.refusal) << sender << ": " << outcome.refusal->message;
        ASSERT_EQ(outcome.recipients.size(), 1u) << sender;
        EXPECT_EQ(outcome.recipients[0].agreement, "trust-befriend") << sender;
    }
}

TEST(Alias, ATargetAtTheOldCcgReachesTheIcb) {
    for (const char* ccg : {"99Z", "NHS Westshire CCG"}) {
        model::PersonRecord record = targeting(ccg, "continuing-care");
        consent_of(record).organisation_types.push_back(model::OrganisationType::icb);
        const RoutingOutcome outcome = route_from_trust(record);
        ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
        ASSERT_FALSE(outcome.recipients.empty());
        EXPECT_EQ(outcome.recipients[0].organisation, "icb") << ccg;
        EXPECT_EQ(outcome.recipients[0].organisation_ods, "QZZ") << ccg;
        EXPECT_EQ(outcome.recipients[0].agreement, "trust-icb");
    }
}

TEST(Alias, ConsentNamingAPartnersFormerCodeCoversIt) {
    model::PersonRecord record = untargeted();
    consent_of(record).organisation_types.clear();
    consent_of(record).organisations = {"DBF00"};
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].organisation, "befriend");
}

TEST(Sender, UnknownToTheDirectoryIsRefused) {
    const RoutingOutcome outcome = route_from_trust(sample_record(), "nobody");
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::unknown_sender);
}

// ---- agreements ----

TEST(Agreement, NoneFromTheSenderDeniesWithTheReasonAndSendsNothing) {
    const RoutingOutcome outcome = route_from_trust(sample_record(), "gp");
    EXPECT_FALSE(outcome.refusal);
    EXPECT_TRUE(outcome.recipients.empty());
    ASSERT_EQ(outcome.decisions.size(), 1u);
    const Decision& d = outcome.decisions[0];
    EXPECT_EQ(d.status, DecisionStatus::no_agreement);
    EXPECT_EQ(to_string(d.status), "no-agreement");
    EXPECT_EQ(d.verdict(), "deny");
    EXPECT_EQ(d.organisation, "befriend");
    EXPECT_EQ(d.agreement, "");
    EXPECT_EQ(d.reason, "no agreement lets Cobden Street Surgery (gp) disclose to Northfield Befriending (befriend)");
}

TEST(Agreement, ThatDoesNotCoverThePurposeDenies) {
    model::PersonRecord record = untargeted();
    record.referrals.front().needs = {{model::Need::housing, ""}};
    consent_of(record).organisation_types.push_back(model::OrganisationType::council);
    const RoutingOutcome outcome = route_from_trust(record);
    EXPECT_TRUE(outcome.recipients.empty());
    ASSERT_EQ(outcome.decisions.size(), 1u);
    const Decision& d = outcome.decisions[0];
    EXPECT_EQ(d.status, DecisionStatus::purpose_not_agreed);
    EXPECT_EQ(d.agreement, "trust-council");
    EXPECT_EQ(d.purpose, "direct-care");
    EXPECT_EQ(d.reason, "agreement trust-council from trust to council covers commissioning, not direct-care");
}

TEST(Agreement, ItsLawfulBasisAndProfileGoWithTheDecisionAndTheRecipient) {
    const RoutingOutcome outcome = route_from_trust(untargeted());
    ASSERT_EQ(outcome.decisions.size(), 1u);
    EXPECT_EQ(outcome.decisions[0].agreement, "trust-befriend");
    EXPECT_EQ(outcome.decisions[0].lawful_basis.article6, "6(1)(e)");
    EXPECT_EQ(outcome.decisions[0].lawful_basis.article9, "9(2)(h)");
    EXPECT_EQ(outcome.recipients.at(0).profile, "befriending");
}

// ---- consent ----

DecisionStatus consent_status_with(const std::function<void(model::Consent&)>& change,
                                   std::chrono::system_clock::time_point now = referral_day,
                                   std::string* reason = nullptr) {
    model::PersonRecord record = untargeted();
    change(consent_of(record));
    const RoutingOutcome outcome = route_from_trust(record, "trust", now);
    EXPECT_FALSE(outcome.refusal);
    EXPECT_EQ(outcome.decisions.size(), 1u);
    if (outcome.decisions.empty()) return DecisionStatus::allowed;
    const Decision& d = outcome.decisions[0];
    EXPECT_EQ(outcome.recipients.empty(), !d.allowed());
    EXPECT_EQ(d.consent, consent_of(record).id);
    EXPECT_EQ(d.agreement, "trust-befriend");  // the agreement held; consent decided
    if (reason) *reason = d.reason;
    return d.status;
}

TEST(Consent, RefusedOrWithdrawnDenies) {
    std::string reason;
    EXPECT_EQ(consent_status_with([](model::Consent& c) { c.status = model::ConsentStatus::refused; }, referral_day,
                                  &reason),
              DecisionStatus::consent_refused);
    EXPECT_EQ(reason, "the person refused consent CONS-2026-0932");
    EXPECT_EQ(consent_status_with([](model::Consent& c) { c.status = model::ConsentStatus::withdrawn; }, referral_day,
                                  &reason),
              DecisionStatus::consent_withdrawn);
    EXPECT_EQ(reason, "the person withdrew consent CONS-2026-0932");
}

TEST(Consent, ExpiredDeniesAndHoldsThroughItsLastDay) {
    std::string reason;
    const auto expires = [](std::string date) { return [date](model::Consent& c) { c.expires = date; }; };
    EXPECT_EQ(consent_status_with(expires("2026-10-04"), referral_day, &reason), DecisionStatus::consent_expired);
    EXPECT_EQ(reason, "consent CONS-2026-0932 expired on 2026-10-04");
    EXPECT_EQ(consent_status_with(expires("2026-10-05")), DecisionStatus::allowed);
    // The sample's own consent runs to 2027-10-05.
    EXPECT_EQ(consent_status_with([](model::Consent&) {}, on(2027, 10, 5)), DecisionStatus::allowed);
    EXPECT_EQ(consent_status_with([](model::Consent&) {}, on(2027, 10, 6)), DecisionStatus::consent_expired);
    // At the precision it was written.
    EXPECT_EQ(consent_status_with(expires("2026-10")), DecisionStatus::allowed);
    EXPECT_EQ(consent_status_with(expires("2026-09")), DecisionStatus::consent_expired);
    EXPECT_EQ(consent_status_with(expires("2026")), DecisionStatus::allowed);
    EXPECT_EQ(consent_status_with(expires("2025")), DecisionStatus::consent_expired);
    EXPECT_EQ(consent_status_with(expires("soon"), referral_day, &reason), DecisionStatus::consent_expired);
    EXPECT_EQ(reason, "consent CONS-2026-0932 has an expiry date that is not a date");
    EXPECT_EQ(consent_status_with(expires("")), DecisionStatus::allowed);  // no end given
}

TEST(Consent, NotCoveringVcseOrganisationsDenies) {
    std::string reason;
    EXPECT_EQ(consent_status_with(
                  [](model::Consent& c) {
                      c.organisation_types = {model::OrganisationType::trust, model::OrganisationType::council};
                      c.organisations = {"DCN01"};
                  },
                  referral_day, &reason),
              DecisionStatus::consent_out_of_scope);
    EXPECT_EQ(reason, "consent CONS-2026-0932 does not cover Northfield Befriending (DBF01, vcse): it covers "
                      "organisation types trust, council and organisations DCN01");
    EXPECT_EQ(consent_status_with(
                  [](model::Consent& c) {
                      c.organisation_types.clear();
                      c.organisations.clear();
                  },
                  referral_day, &reason),
              DecisionStatus::consent_out_of_scope);
    EXPECT_TRUE(contains(reason, "it names no organisation or organisation type")) << reason;
    // Naming the organisation alone is enough.
    EXPECT_EQ(consent_status_with([](model::Consent& c) {
                  c.organisation_types.clear();
                  c.organisations = {"DBF01"};
              }),
              DecisionStatus::allowed);
}

TEST(Consent, NotCoveringThePurposeDenies) {
    std::string reason;
    EXPECT_EQ(consent_status_with([](model::Consent& c) { c.purposes = {"research"}; }, referral_day, &reason),
              DecisionStatus::consent_purpose);
    EXPECT_EQ(reason, "consent CONS-2026-0932 does not cover the purpose direct-care (it covers research)");
}

TEST(Consent, NoneRecordedDenies) {
    model::PersonRecord record = untargeted();
    record.referrals.front().consent.reset();
    const RoutingOutcome outcome = route_from_trust(record);
    EXPECT_TRUE(outcome.recipients.empty());
    ASSERT_EQ(outcome.decisions.size(), 1u);
    EXPECT_EQ(outcome.decisions[0].status, DecisionStatus::no_consent);
    EXPECT_EQ(outcome.decisions[0].consent, "");
    EXPECT_EQ(outcome.decisions[0].reason, "the referral records no consent");
}

TEST(Recipients, AreEachDecidedOnTheirOwn) {
    // Peer support and befriending are sent; the council, whose agreement lacks direct care, is not.
    model::PersonRecord record = targeting("DMN01", "peer-support");
    record.referrals.front().needs.push_back({model::Need::housing, ""});
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    std::vector<std::string> sent;
    for (const Recipient& r : outcome.recipients) sent.push_back(r.organisation);
    EXPECT_EQ(sent, (std::vector<std::string>{"mind", "befriend"}));
    const Decision* council = decision_for(outcome, "council", "housing-support");
    ASSERT_TRUE(council);
    EXPECT_EQ(council->status, DecisionStatus::purpose_not_agreed);
}

// ---- what each recipient's copy holds ----

TEST(Recipient, GetsOnlyItsProfilesFields) {
    const model::PersonRecord& original = sample_record();
    const RoutingOutcome outcome = route_from_trust(original);
    ASSERT_EQ(outcome.recipients.size(), 1u);
    const model::PersonRecord& sent = outcome.recipients[0].record;

    // Allowed: intact.
    EXPECT_EQ(sent.person.names, original.person.names);
    EXPECT_EQ(sent.person.phone, original.person.phone);
    EXPECT_EQ(sent.person.mobile, original.person.mobile);
    EXPECT_EQ(sent.person.contact_preferences, original.person.contact_preferences);
    const model::Referral& referral = sent.referrals.at(0);
    const model::Referral& source = original.referrals.at(0);
    EXPECT_EQ(referral.id, source.id);
    EXPECT_EQ(referral.version, source.version);
    EXPECT_EQ(referral.status, source.status);
    EXPECT_EQ(referral.priority, source.priority);
    EXPECT_EQ(referral.risk.summary, source.risk.summary);
    ASSERT_EQ(referral.needs.size(), source.needs.size());
    for (std::size_t i = 0; i < source.needs.size(); ++i) EXPECT_EQ(referral.needs[i].code, source.needs[i].code);
    ASSERT_EQ(sent.care_plans.size(), 1u);
    EXPECT_EQ(sent.care_plans[0].crisis_plan, original.care_plans[0].crisis_plan);
    EXPECT_EQ(sent.care_plans[0].id, original.care_plans[0].id);

    // Not allowed: gone.
    EXPECT_TRUE(sent.diagnoses.empty());
    EXPECT_TRUE(sent.admissions.empty());
    EXPECT_TRUE(sent.contacts.empty());
    EXPECT_TRUE(referral.notes.empty());
    EXPECT_EQ(sent.person.nhs_number, "");
    EXPECT_EQ(sent.person.birth_date, "");
    EXPECT_FALSE(sent.person.address);
    EXPECT_FALSE(referral.risk.level);
    EXPECT_TRUE(referral.risk.flags.empty());
    EXPECT_FALSE(referral.consent);
    EXPECT_TRUE(referral.care_team.empty());
    EXPECT_TRUE(referral.history.empty());
    EXPECT_TRUE(sent.care_plans[0].goals.empty());
    EXPECT_TRUE(sent.care_plans[0].dialog.empty());
    EXPECT_EQ(sent.care_plans[0].contingency_plan, "");
}

TEST(Recipient, AtAVcsePartnerReadsAbbreviationsSpelledOut) {
    model::PersonRecord record = untargeted();
    record.care_plans.at(0).crisis_plan = "Call the CPA care co-ordinator. CPA reviews are monthly.";
    const RoutingOutcome outcome = route_from_trust(record);
    const Recipient& r = outcome.recipients.at(0);
    EXPECT_EQ(r.record.care_plans.at(0).crisis_plan,
              "Call the Care Programme Approach (CPA) care co-ordinator. CPA reviews are monthly.");
    EXPECT_EQ(r.record.referrals.at(0).needs.at(1).text, "Personal Independence Payment (PIP) review due in December");
    EXPECT_EQ(r.glossary_terms, (std::vector<std::string>{"CPA", "PIP"}));
}

TEST(Recipient, OutsideTheVoluntarySectorKeepsTheClinicalShorthand) {
    model::PersonRecord record = targeting("QZZ", "continuing-care");
    consent_of(record).organisation_types = {model::OrganisationType::icb};
    const RoutingOutcome outcome = route_from_trust(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    const Recipient& icb = outcome.recipients.at(0);
    EXPECT_EQ(icb.organisation, "icb");
    EXPECT_TRUE(icb.glossary_terms.empty());
    EXPECT_EQ(icb.record.referrals.at(0).notes, sample_record().referrals.at(0).notes);
    // The full profile sends everything: nothing withheld.
    EXPECT_TRUE(icb.fields_withheld.empty());
    EXPECT_EQ(icb.record, record);
}

// ---- which referral ----

TEST(Referral, OneAtATime) {
    model::PersonRecord record = untargeted();
    record.referrals.push_back(record.referrals.front());
    record.referrals.back().id = "REF-OTHER";
    record.referrals.back().notes = "the other referral";
    RoutingOutcome outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::several_referrals);

    outcome = route_referral(record, 1, "trust", *test_directory(), referral_day);
    ASSERT_EQ(outcome.recipients.size(), 1u);
    ASSERT_EQ(outcome.recipients[0].record.referrals.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].record.referrals[0].id, "REF-OTHER");

    record.referrals.clear();
    outcome = route_from_trust(record);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::no_referral);
}

// ---- criteria helpers ----

TEST(Criteria, AgeFromAPartialBirthDateKeepsBothPossibleAges) {
    const auto today = std::chrono::floor<std::chrono::days>(referral_day);
    const auto age = [&](std::string_view born) { return age_on(born, today); };
    ASSERT_TRUE(age("1978-03-14"));
    EXPECT_EQ(age("1978-03-14")->youngest, 48);
    EXPECT_EQ(age("1978-03-14")->oldest, 48);
    EXPECT_EQ(age("2008-10-05")->youngest, 18);  // a birthday today counts
    EXPECT_EQ(age("2008-10-06")->oldest, 17);
    EXPECT_EQ(age("2008-10")->youngest, 17);
    EXPECT_EQ(age("2008-10")->oldest, 18);
    EXPECT_EQ(age("2008")->youngest, 17);
    EXPECT_EQ(age("2008")->oldest, 18);
    EXPECT_FALSE(age(""));
    EXPECT_FALSE(age("08-10-2008"));
}

TEST(Criteria, PostcodeDistrictIsTheOutwardCode) {
    model::Person person;
    EXPECT_FALSE(postcode_district(person));
    person.address = model::Address{};
    person.address->postcode = "NF6 2QT";
    EXPECT_EQ(postcode_district(person), "NF6");
    person.address->postcode = " ws10  1aa ";
    EXPECT_EQ(postcode_district(person), "WS10");
    person.address->postcode = "WS101AA";
    EXPECT_EQ(postcode_district(person), "WS10");
    person.address->postcode = "ZZ99 3VZ";
    EXPECT_FALSE(postcode_district(person));
    person.address->postcode = "NF6 2QT";
    person.no_fixed_abode = true;
    EXPECT_FALSE(postcode_district(person));
}

TEST(Criteria, WhatTheReferralDoesNotSayExcludesNobody) {
    config::ServiceCriteria criteria;
    criteria.min_age = 18;
    criteria.postcode_districts = {"NF6"};
    criteria.pathways = {model::Pathway::full};
    criteria.needs = {model::Need::isolation};
    model::Person person;  // no birth date, no address
    person.no_fixed_abode = true;
    model::Referral referral;  // no needs, no pathway
    EXPECT_FALSE(unmet_criterion(criteria, person, referral, std::chrono::floor<std::chrono::days>(referral_day)));
}

// ---- the directory ----

std::string directory_error(const config::Config& config) {
    std::string error;
    EXPECT_FALSE(Directory::create(config, error));
    return error;
}

config::Config test_config() {
    std::string error;
    auto config = config::parse_config(partnership_text(), "/nonexistent", error);
    EXPECT_TRUE(config) << error;
    return config ? *config : config::Config{};
}

TEST(Directory, BuiltInCodeIsCheckedAsAFileIs) {
    config::Config config = test_config();
    config.minimisation_profiles[0].fields.push_back("person.shoe_size");
    EXPECT_EQ(directory_error(config),
              "minimisation_profiles.befriending.fields[6]: \"person.shoe_size\" is not a field name "
              "(gateway/policy/minimise.hpp lists them)");

    config = test_config();
    config.routing_rules[1].recipients[0].service = "allotments";
    EXPECT_EQ(directory_error(config), "routing_rules[1].recipients[0].service: \"allotments\" is not a service of "
                                       "\"council\" (its services: housing-support)");

    config = test_config();
    config.routing_rules[0].recipients[0].organisation = "DBF01";
    EXPECT_EQ(directory_error(config), "routing_rules[0].recipients[0].organisation: \"DBF01\" is not one of the "
                                       "organisations (it names \"befriend\"; use the id)");

    config = test_config();
    config.agreements[0].profile = "everything";
    EXPECT_EQ(directory_error(config),
              "agreements.trust-befriend.profile: \"everything\" is not one of the minimisation_profiles");

    config = test_config();
    config.agreements[1].to = "befriend";
    EXPECT_EQ(directory_error(config),
              "agreements.trust-mind.purposes: \"direct-care\" from \"trust\" to \"befriend\" is already covered by "
              "agreements.trust-befriend; one agreement per pair and purpose");

    config = test_config();
    config.policy_version.clear();
    EXPECT_EQ(directory_error(config),
              "policy_version: is required with routing_rules or agreements; every policy decision records it");
}

TEST(Directory, ResolvesOrganisationsByIdOdsCodeAndAlias) {
    const auto directory = test_directory();
    ASSERT_TRUE(directory);
    EXPECT_EQ(directory->organisation("99Z"), directory->organisation("icb"));
    EXPECT_EQ(directory->organisation("rzy"), directory->organisation("RZZ"));
    EXPECT_EQ(directory->organisation("DBF00")->id, "befriend");
    EXPECT_EQ(directory->organisation("nowhere"), nullptr);
    EXPECT_EQ(directory->agreement("trust", "mind", "safeguarding")->id, "trust-mind");
    EXPECT_EQ(directory->agreement("trust", "council", "direct-care"), nullptr);
    EXPECT_EQ(directory->agreements_between("trust", "council").size(), 1u);
}

TEST(DecisionStatus, EachHasItsOwnCode) {
    std::vector<std::string> codes;
    for (int s = 0; s <= static_cast<int>(DecisionStatus::consent_purpose); ++s)
        codes.emplace_back(to_string(static_cast<DecisionStatus>(s)));
    std::vector<std::string> unique = codes;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    EXPECT_EQ(unique.size(), codes.size());
    EXPECT_FALSE(has(codes, "unknown"));
}

}  // namespace
}  // namespace carebridge::gateway::policy
