// Minimisation and plain language: a profile removes exactly what it does not
// list, the field names match the configuration schema, and the glossary
// spells out abbreviations once per text, as whole words.

#include "policy/minimise.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "config/config_schema.hpp"
#include "referral_json/referral_codec.hpp"
#include "policy/glossary.hpp"

namespace carebridge::gateway::policy {
namespace {

// A record with every member of the model set, so that removing any one field
// shows. A member added to the model belongs here and in minimise.cpp's table.
model::PersonRecord full_record() {
    model::PersonRecord r;
    model::Person& p = r.person;
    p.local_id = "CN-100234";
    p.nhs_number = "9990000085";
    p.nhs_number_verification = "01";
    p.names = {{"usual", "Mr", {"Danny"}, "Whitfield"}};
    p.birth_date = "1978-03-14";
    p.gender = model::Gender::male;
    p.ethnic_category = "M";
    p.address = model::Address{{"Flat 4", "27 Cobden Street"}, "Northfield", "Westshire", "NF6 2QT"};
    p.no_fixed_abode = false;
    p.phone = "0113 496 0123";
    p.mobile = "07700 900123";
    p.email = "danny@example.org";
    p.contact_preferences = {model::ContactMethod::text, false, true, "pl", true};
    p.gp_practice_ods = "Y99001";
    r.diagnoses = {{"icd-10", "F20.0", "Paranoid schizophrenia", "2015-06-02"}};

    model::Referral& f = r.referrals.emplace_back();
    f.id = "REF-1";
    f.version = 3;
    f.created = "2026-10-05T09:30:00Z";
    f.updated = "2026-10-05T14:10:00Z";
    f.status = model::ReferralStatus::accepted;
    f.status_reason = "Accepted after CPA review";
    f.status_set_by = "RZZ";
    f.priority = model::Priority::amber;
    f.pathway = model::Pathway::light_touch;
    f.source = model::ReferralSource::nhs_team;
    f.referrer_ods = "RZZ";
    f.referrer_name = "Priya Natarajan";
    f.needs = {{model::Need::isolation, "Lost contact with friends"}};
    f.complexity_flags = {"smi"};
    f.risk = {model::RiskLevel::medium, "Self-neglect when unwell", {"self-neglect"}, "2026-09-28"};
    f.shielded = true;
    f.consent = model::Consent{"CONS-1", model::ConsentStatus::given, "Priya Natarajan", "2026-10-05T09:10:00Z",
                               {model::OrganisationType::vcse}, {"DBF01"}, {"direct-care"}, "2027-10-05"};
    f.lawful_basis = {"6(1)(e)", "9(2)(h)"};
    f.care_team = {{model::CareTeamRole::care_coordinator, "Priya Natarajan", "RZZ", "0113 496 0456"}};
    f.requested_services = {"befriending"};
    f.targets = {{"DBF01", "befriending"}};
    f.history = {{"RZZ", model::ReferralStatus::submitted, "2026-10-05T09:30:00Z", "CPA review"}};
    f.notes = "Danny is on CPA.";

    model::CarePlan& c = r.care_plans.emplace_back();
    c.id = "CP-1";
    c.title = "Recovery plan";
    c.status = model::CarePlanStatus::on_hold;
    c.period_start = "2026-09-28";
    c.period_end = "2027-03-28";
    c.review_date = "2026-12-28";
    c.goals = {{"Meet someone weekly", "2026-12-31", "active"}};
    c.activities = {{"Weekly visit", "DBF01", "not-started"}};
    c.crisis_plan = "Call the care co-ordinator.";
    c.contingency_plan = "Phone instead.";
    c.dialog_date = "2026-09-28";
    c.dialog = {{model::DialogDomain::friendships, 1, true}};

    r.contacts = {{"CT-1", model::ContactType::telephone, "2026-09-28T10:00:00Z", "2026-09-28T11:00:00Z", "CMHT",
                   "Priya Natarajan"}};
    r.admissions = {{"ADM-1", "2025-11-02T22:15:00Z", "2025-12-19T11:00:00Z", "RZZ", "Beech Ward", "03"}};
    return r;
}

FieldSet listing(const std::vector<std::string>& names) {
    std::string error;
    auto set = FieldSet::create(names, error);
    EXPECT_TRUE(set) << error;
    return set ? *set : FieldSet{};
}

std::vector<std::string> all_field_names() {
    std::vector<std::string> out;
    for (const RecordField& f : record_fields()) out.emplace_back(f.name);
    return out;
}

std::vector<std::string> except(std::vector<std::string> names, const std::string& left_out) {
    names.erase(std::remove(names.begin(), names.end(), left_out), names.end());
    return names;
}

// ---- the profile's allow-list ----

TEST(Minimise, WithNothingListedKeepsOnlyTheReferralsIdentityStatusAndPriority) {
    const model::PersonRecord full = full_record();
    const Minimised m = minimise(full, 0, listing({}));
    model::PersonRecord expected;
    model::Referral& referral = expected.referrals.emplace_back();
    referral.id = "REF-1";
    referral.version = 3;
    referral.status = model::ReferralStatus::accepted;
    referral.priority = model::Priority::amber;
    referral.shielded.reset();  // withheld: unknown to the recipient, not "not shielded"
    EXPECT_EQ(m.record, expected);
    EXPECT_EQ(m.fields_sent, (std::vector<std::string>{"referral.id", "referral.status", "referral.priority"}));
    std::vector<std::string> withheld = all_field_names();
    for (const char* kept : {"referral.id", "referral.status", "referral.priority"}) withheld = except(withheld, kept);
    EXPECT_EQ(m.fields_withheld, withheld);
}

// A person who is shielded must never read as "not shielded" to a recipient
// whose profile withholds the flag: the partnership JSON leaves it out.
TEST(Minimise, AWithheldShieldedFlagIsLeftOutNotSentAsFalse) {
    for (const bool shielded : {true, false}) {
        model::PersonRecord full = full_record();
        full.referrals[0].shielded = shielded;
        issues::IssueSink sink;
        const Minimised withheld = minimise(full, 0, listing(except(all_field_names(), "referral.shielded")));
        rapidjson::Document doc;
        doc.Parse(referral_json::encode(withheld.record, {}, sink).c_str());
        ASSERT_TRUE(doc.IsObject());
        EXPECT_FALSE(doc.HasMember("shielded")) << "shielded=" << shielded;
        EXPECT_NE(std::find(withheld.fields_withheld.begin(), withheld.fields_withheld.end(), "referral.shielded"),
                  withheld.fields_withheld.end())
            << "the disclosure records it as withheld";

        const Minimised sent = minimise(full, 0, listing(all_field_names()));
        doc.Parse(referral_json::encode(sent.record, {}, sink).c_str());
        ASSERT_TRUE(doc.HasMember("shielded"));
        EXPECT_EQ(doc["shielded"].GetBool(), shielded);
    }
}

TEST(Minimise, WithEverythingListedChangesNothing) {
    const model::PersonRecord full = full_record();
    const Minimised m = minimise(full, 0, FieldSet::everything());
    EXPECT_EQ(m.record, full);
    EXPECT_EQ(m.fields_sent, all_field_names());
    EXPECT_TRUE(m.fields_withheld.empty());
    EXPECT_EQ(minimise(full, 0, listing({"person", "diagnoses", "referral", "care_plan", "contacts", "admissions"})).record,
              full);
}

TEST(Minimise, LeavingOutOneFieldRemovesThatFieldAndNothingElse) {
    const model::PersonRecord full = full_record();
    for (const RecordField& field : record_fields()) {
        if (field.always_sent) continue;
        const std::string name(field.name);
        const Minimised m = minimise(full, 0, listing(except(all_field_names(), name)));
        EXPECT_EQ(m.fields_withheld, std::vector<std::string>{name});
        EXPECT_EQ(m.fields_sent, except(all_field_names(), name)) << name;
        EXPECT_NE(m.record, full) << name << " was not removed";
        // Listing it again restores exactly the original.
        EXPECT_EQ(minimise(full, 0, listing(all_field_names())).record, full);
    }
}

TEST(Minimise, ABefriendingProfileWithholdsDiagnosesAdmissionsAndClinicalNotes) {
    const model::PersonRecord full = full_record();
    const Minimised m = minimise(full, 0,
                                 listing({"person.name", "person.telecom", "person.contact_preferences",
                                          "referral.needs", "referral.risk.summary", "care_plan.crisis_plan"}));
    EXPECT_TRUE(m.record.diagnoses.empty());
    EXPECT_TRUE(m.record.admissions.empty());
    EXPECT_TRUE(m.record.contacts.empty());
    EXPECT_EQ(m.record.referrals.at(0).notes, "");
    EXPECT_EQ(m.record.referrals.at(0).status_reason, "");
    EXPECT_TRUE(m.record.referrals.at(0).history.empty());
    // What it lists, intact.
    EXPECT_EQ(m.record.person.names, full.person.names);
    EXPECT_EQ(m.record.person.mobile, full.person.mobile);
    EXPECT_EQ(m.record.person.contact_preferences, full.person.contact_preferences);
    EXPECT_EQ(m.record.referrals.at(0).needs, full.referrals.at(0).needs);
    EXPECT_EQ(m.record.referrals.at(0).risk.summary, full.referrals.at(0).risk.summary);
    EXPECT_FALSE(m.record.referrals.at(0).risk.level);
    EXPECT_EQ(m.record.care_plans.at(0).crisis_plan, full.care_plans.at(0).crisis_plan);
    for (const char* withheld : {"diagnoses", "admissions", "contacts", "referral.notes", "person.nhs_number",
                                 "referral.risk.level", "care_plan.goals"})
        EXPECT_NE(std::find(m.fields_withheld.begin(), m.fields_withheld.end(), withheld), m.fields_withheld.end())
            << withheld;
}

TEST(Minimise, AGroupListsEveryFieldInIt) {
    const model::PersonRecord full = full_record();
    const Minimised risk = minimise(full, 0, listing({"referral.risk"}));
    EXPECT_EQ(risk.record.referrals.at(0).risk, full.referrals.at(0).risk);
    EXPECT_EQ(risk.fields_sent, (std::vector<std::string>{"referral.id", "referral.status", "referral.priority",
                                                          "referral.risk.level", "referral.risk.summary",
                                                          "referral.risk.flags", "referral.risk.assessed"}));
    const Minimised person = minimise(full, 0, listing({"person"}));
    EXPECT_EQ(person.record.person, full.person);
    EXPECT_TRUE(person.record.diagnoses.empty());
}

TEST(Minimise, ACarePlanGoesWithItsIdAndStatusOrNotAtAll) {
    const model::PersonRecord full = full_record();
    const Minimised crisis = minimise(full, 0, listing({"care_plan.crisis_plan"}));
    ASSERT_EQ(crisis.record.care_plans.size(), 1u);
    model::CarePlan expected;
    expected.id = "CP-1";
    expected.status = model::CarePlanStatus::on_hold;
    expected.crisis_plan = "Call the care co-ordinator.";
    EXPECT_EQ(crisis.record.care_plans[0], expected);

    const Minimised none = minimise(full, 0, listing({"person.name"}));
    EXPECT_TRUE(none.record.care_plans.empty());
    for (const char* withheld : {"care_plan.id", "care_plan.status", "care_plan.crisis_plan"})
        EXPECT_NE(std::find(none.fields_withheld.begin(), none.fields_withheld.end(), withheld),
                  none.fields_withheld.end())
            << withheld;
}

TEST(Minimise, SendsOnlyTheReferralBeingDisclosed) {
    model::PersonRecord record = full_record();
    record.referrals.push_back(record.referrals.front());
    record.referrals.back().id = "REF-2";
    const Minimised second = minimise(record, 1, FieldSet::everything());
    ASSERT_EQ(second.record.referrals.size(), 1u);
    EXPECT_EQ(second.record.referrals[0].id, "REF-2");
    const Minimised none = minimise(record, 2, FieldSet::everything());
    EXPECT_TRUE(none.record.referrals.empty());
    EXPECT_EQ(std::count(none.fields_sent.begin(), none.fields_sent.end(), "referral.id"), 0);
}

TEST(Minimise, ListsOnlyFieldsThatHeldData) {
    const Minimised m = minimise(model::PersonRecord{}, 0, listing({"person.name"}));
    EXPECT_TRUE(m.fields_sent.empty());
    EXPECT_TRUE(m.fields_withheld.empty());
}

TEST(Minimise, AnUnknownFieldNameIsRefusedWithItsPosition) {
    std::string error;
    EXPECT_FALSE(FieldSet::create({"person.name", "person.diagnoses"}, error));
    EXPECT_EQ(error, "fields[1]: \"person.diagnoses\" is not a field name (gateway/policy/minimise.hpp lists them)");
    EXPECT_TRUE(is_field_name("referral.risk"));
    EXPECT_TRUE(is_field_name("admissions"));
    EXPECT_FALSE(is_field_name("referral.risk.score"));
}

// ---- the configuration schema names the same things ----

std::set<std::string> schema_enum(const std::string& definition) {
    rapidjson::Document schema;
    const std::string_view text = config::gateway_config_schema();
    schema.Parse(text.data(), text.size());
    std::set<std::string> out;
    const rapidjson::Value& values = schema["definitions"][definition.c_str()]["enum"];
    for (const auto& v : values.GetArray()) out.emplace(v.GetString(), v.GetStringLength());
    return out;
}

TEST(Schema, ListsEveryFieldAndGroupAndNothingElse) {
    std::set<std::string> names;
    for (const RecordField& f : record_fields()) names.emplace(f.name);
    for (const std::string_view g : field_groups()) names.emplace(g);
    EXPECT_EQ(schema_enum("field"), names);
}

TEST(Schema, ListsTheModelsNeedsAndPathways) {
    std::set<std::string> needs, pathways;
    for (int n = 0; n <= static_cast<int>(model::Need::other); ++n)
        needs.emplace(model::to_string(static_cast<model::Need>(n)));
    for (int p = 0; p <= static_cast<int>(model::Pathway::full); ++p)
        pathways.emplace(model::to_string(static_cast<model::Pathway>(p)));
    EXPECT_EQ(schema_enum("need"), needs);
    EXPECT_EQ(schema_enum("pathway"), pathways);
}

// ---- the glossary ----

Glossary demo_glossary() {
    return Glossary({{"CPA", "Care Programme Approach"},
                     {"CMH", "community mental health"},
                     {"CMHT", "Community Mental Health Team"},
                     {"A&E", "Accident and Emergency"},
                     {"PIP", "Personal Independence Payment"}});
}

TEST(Glossary, ExpandsTheFirstWholeWordOccurrenceInEachText) {
    const Glossary g = demo_glossary();
    EXPECT_EQ(g.expand("Danny is on CPA. His CPA review is due."),
              "Danny is on Care Programme Approach (CPA). His CPA review is due.");
    EXPECT_EQ(g.expand("CPA"), "Care Programme Approach (CPA)");
    EXPECT_EQ(g.expand("(CPA)"), "(Care Programme Approach (CPA))");
    EXPECT_EQ(g.expand("Seen in A&E twice"), "Seen in Accident and Emergency (A&E) twice");
    EXPECT_EQ(g.expand("CPA and PIP"), "Care Programme Approach (CPA) and Personal Independence Payment (PIP)");
}

TEST(Glossary, LeavesPartsOfOtherWordsAndOtherCasesAlone) {
    const Glossary g = demo_glossary();
    for (const char* text : {"CPAs", "XCPA", "CPA2", "cpa", "Cpa", "éCPA", "CPAé", ""}) EXPECT_EQ(g.expand(text), text);
}

TEST(Glossary, PrefersTheLongerTermStartingAtOnePlace) {
    EXPECT_EQ(demo_glossary().expand("Seen by the CMHT and CMH services"),
              "Seen by the Community Mental Health Team (CMHT) and community mental health (CMH) services");
}

TEST(Glossary, LeavesATermAlreadyExplainedAndSoExpandingTwiceChangesNothing) {
    const Glossary g = demo_glossary();
    EXPECT_EQ(g.expand("On the Care Programme Approach (CPA) since 2019; CPA reviewed"),
              "On the Care Programme Approach (CPA) since 2019; CPA reviewed");
    EXPECT_EQ(g.expand("On CPA (Care Programme Approach)"), "On CPA (Care Programme Approach)");
    const std::string once = g.expand("CPA, PIP and A&E");
    EXPECT_EQ(g.expand(once), once);
}

TEST(Glossary, RunsOverEveryFreeTextFieldAndNamesTheTermsItExpanded) {
    model::PersonRecord record = full_record();
    model::Referral& r = record.referrals[0];
    r.needs[0].text = "PIP stopped";
    r.risk.summary = "Went to A&E";
    r.history[0].reason = "CPA review";
    record.care_plans[0].title = "CPA plan";
    record.care_plans[0].goals[0].description = "Keep PIP";
    record.care_plans[0].activities[0].description = "CMHT visit";
    record.care_plans[0].crisis_plan = "Ring CMHT";
    record.care_plans[0].contingency_plan = "Go to A&E";
    record.contacts[0].service = "CMHT";  // a service's name, not free text
    const std::vector<std::string> terms = demo_glossary().expand_free_text(record);
    EXPECT_EQ(terms, (std::vector<std::string>{"A&E", "CMHT", "CPA", "PIP"}));
    EXPECT_EQ(r.status_reason, "Accepted after Care Programme Approach (CPA) review");
    EXPECT_EQ(r.needs[0].text, "Personal Independence Payment (PIP) stopped");
    EXPECT_EQ(r.risk.summary, "Went to Accident and Emergency (A&E)");
    EXPECT_EQ(r.history[0].reason, "Care Programme Approach (CPA) review");
    EXPECT_EQ(r.notes, "Danny is on Care Programme Approach (CPA).");
    EXPECT_EQ(record.care_plans[0].title, "Care Programme Approach (CPA) plan");
    EXPECT_EQ(record.care_plans[0].goals[0].description, "Keep Personal Independence Payment (PIP)");
    EXPECT_EQ(record.care_plans[0].activities[0].description, "Community Mental Health Team (CMHT) visit");
    EXPECT_EQ(record.care_plans[0].crisis_plan, "Ring Community Mental Health Team (CMHT)");
    EXPECT_EQ(record.care_plans[0].contingency_plan, "Go to Accident and Emergency (A&E)");
    EXPECT_EQ(record.contacts[0].service, "CMHT");
}

TEST(Glossary, EmptyChangesNothing) {
    model::PersonRecord record = full_record();
    EXPECT_TRUE(Glossary().expand_free_text(record).empty());
    EXPECT_EQ(record, full_record());
}

}  // namespace
}  // namespace carebridge::gateway::policy
