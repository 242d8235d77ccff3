// The terminology table and what routing does with it: SNOMED CT and
// text-only needs mapped to the partnership's needs, unknown codes named, and
// targets that name only an organisation.

#include "policy/terminology.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "partnership_fixture.hpp"
#include "policy/routing.hpp"

namespace carebridge::gateway::policy {
namespace {

using namespace fixture;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string table = R"json({
  "schema": "carebridge-terminology/1",
  "snomed": {
    "422650009": {"need": "isolation", "display": "Social isolation (finding)"},
    "710911006": {"need": "housing", "display": "Referral to housing service (procedure)"},
    "871731000000106": {"need": "isolation", "service": "social-prescribing"}
  },
  "phrases": {
    "befriending": {"need": "isolation", "service": "befriending"},
    "housing": {"need": "housing"},
    "housing advice": {"need": "housing"},
    "debt": {"need": "debt"},
    "carer support": {"need": "carer-support"},
    "talking therapy": {"need": "mental-health"}
  }
})json";

// The test partnership with `extra` members added at its top level.
std::string partnership_with(const std::string& extra) {
    std::string text = partnership_text();
    text.insert(text.rfind('}'), ",\n" + extra + "\n");
    return text;
}

std::shared_ptr<const Directory> table_directory() {
    static const auto directory = directory_from(partnership_with("\"terminology\": " + table));
    return directory;
}

std::string config_error(const std::string& text, const std::string& base = "/nonexistent") {
    std::string error;
    const auto config = config::parse_config(text, base, error);
    if (!config) return error;
    const auto directory = Directory::create(*config, error);
    return directory ? std::string() : error;
}

model::NeedItem snomed_need(std::string code, std::string display = {}) {
    model::NeedItem need;
    need.coding = {std::string(snomed_system), std::move(code), std::move(display)};
    return need;
}

model::NeedItem text_need(std::string text) {
    model::NeedItem need;
    need.text = std::move(text);
    return need;
}

// The sample referral with only these needs, no targets and no requested services.
model::PersonRecord needing(std::vector<model::NeedItem> needs) {
    model::PersonRecord record = sample_record();
    model::Referral& referral = record.referrals.front();
    referral.needs = std::move(needs);
    referral.targets.clear();
    referral.requested_services.clear();
    return record;
}

RoutingOutcome route_with_table(const model::PersonRecord& record, const Directory& directory = *table_directory()) {
    return route(record, "trust", directory, referral_day);
}

// ---- normal form ----

TEST(Normalise, FoldsCaseAndPunctuationAndMakesWordsSingular) {
    EXPECT_EQ(normalise("Housing  Advice!"), "housing advice");
    EXPECT_EQ(normalise("  Carers' support "), "carer support");
    EXPECT_EQ(normalise("carer's support"), "carer support");
    EXPECT_EQ(normalise("Talking therapies (IAPT)"), "talking therapy iapt");
    EXPECT_EQ(normalise("Benefits/debts"), "benefit debt");
    EXPECT_EQ(normalise("drug-and-alcohol services"), "drug and alcohol service");
    EXPECT_EQ(normalise("addresses, coaches, boxes"), "address coach box");
    // Words ending -ss, -us and -is are already singular; short words are left alone.
    EXPECT_EQ(normalise("Crisis; stress; status; homelessness; PIP; bus"), "crisis stress status homelessness pip bus");
    EXPECT_EQ(normalise("Café für Senioren"), "café für senioren");  // UTF-8 letters stay in their word
    EXPECT_EQ(normalise(" ... "), "");
}

// ---- loading ----

TEST(TerminologyTable, TheDemoTableLoadsWithTheDemoConfiguration) {
    std::string error;
    const auto config = config::load_config(source_dir + "/config/demo.json", error);
    ASSERT_TRUE(config) << error;
    EXPECT_EQ(config->terminology.source_file, source_dir + "/config/terminology/westshire.json");
    EXPECT_GE(config->terminology.snomed.size(), 20u);
    EXPECT_GE(config->terminology.phrases.size(), 40u);
    const auto directory = Directory::create(*config, error);
    ASSERT_TRUE(directory) << error;
    // Each reason the issue lists has a phrase.
    for (const char* reason : {"Befriending", "Housing or benefits advice", "Employment support", "Carers' support",
                               "Social prescribing", "Crisis", "Safe haven", "Peer support", "Talking therapies",
                               "Substance use"}) {
        const NeedMatch m = directory->terminology().match(text_need(reason), 0);
        EXPECT_TRUE(m.matched()) << reason;
    }
    EXPECT_EQ(directory->terminology().match(snomed_need("871731000000106"), 0).code, model::Need::isolation);
}

TEST(TerminologyTable, IsCheckedAgainstTheSchemaNamingTheKey) {
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "snomed": {"422650009": {"need": "loneliness"}}})")),
              "terminology.snomed.422650009.need: \"loneliness\" is not one of food, medication, isolation, housing, "
              "debt, benefits, advocacy, employment, physical-health, substance-use, carer-support, mental-health, "
              "other");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "phrases": {"debt": {"need": "debt", "colour": "red"}}})")),
              "terminology.phrases.debt.colour: unknown key (expected one of need, service, display)");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"snomed": {}})")), "terminology.schema: is required");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "phrases": {"debt": {}}})")),
              "terminology.phrases.debt.need: is required");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "snomed": {"SCT-1234": {"need": "debt"}}})")),
              "terminology.snomed.SCT-1234: is not a SNOMED CT concept id (6 to 18 digits, not starting with 0)");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "phrases": {"Housing Advice": {"need": "housing"}}})")),
              "terminology.phrases.Housing Advice: is not in normal form; write \"housing advice\"");
    EXPECT_EQ(config_error(partnership_with(R"("terminology": {"schema": "carebridge-terminology/1",
        "phrases": {"debt": {"need": "debt"}, "debt": {"need": "benefits"}}})")),
              "terminology.phrases.debt: appears twice in one object");
}

TEST(TerminologyTable, InItsOwnFileIsReadInItsPlaceAndErrorsNameTheFile) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "carebridge-terminology-test";
    std::filesystem::create_directories(dir / "terminology");
    const std::string file = (dir / "terminology" / "table.json").string();
    std::ofstream(file) << "// a comment is allowed\n" << table;
    const std::string config = partnership_with(R"("terminology": "terminology/table.json")");
    std::string error;
    auto loaded = config::parse_config(config, dir.string(), error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_EQ(loaded->terminology.source_file, file);
    EXPECT_EQ(loaded->terminology.snomed.size(), 3u);
    EXPECT_EQ(loaded->terminology.phrases.size(), 6u);

    std::ofstream(file) << R"({"schema": "carebridge-terminology/1", "phrases": {"debt": {"need": "money"}}})";
    EXPECT_EQ(config_error(config, dir.string()),
              file + ": terminology.phrases.debt.need: \"money\" is not one of food, medication, isolation, housing, "
                     "debt, benefits, advocacy, employment, physical-health, substance-use, carer-support, "
                     "mental-health, other");
    std::ofstream(file) << R"({"schema": "carebridge-terminology/1", "phrases": {"Debts": {"need": "debt"}}})";
    EXPECT_EQ(config_error(config, dir.string()),
              file + ": terminology.phrases.Debts: is not in normal form; write \"debt\"");
    std::ofstream(file) << "{\"schema\": ";
    EXPECT_TRUE(config_error(config, dir.string()).starts_with(file + ": not valid JSON at line 1"))
        << config_error(config, dir.string());
    std::filesystem::remove(file);
    EXPECT_TRUE(config_error(config, dir.string()).starts_with("terminology: cannot read " + file))
        << config_error(config, dir.string());
    std::filesystem::remove_all(dir);
}

// ---- matching ----

TEST(TerminologyMatch, BySnomedCtConceptId) {
    const NeedMatch m = table_directory()->terminology().match(snomed_need("422650009", "Social isolation"), 3);
    EXPECT_EQ(m.need, 3u);
    EXPECT_EQ(m.code, model::Need::isolation);
    EXPECT_EQ(m.how, "matched by SNOMED CT 422650009");
    EXPECT_EQ(m.describe(), "need isolation matched by SNOMED CT 422650009");
}

TEST(TerminologyMatch, ByTheLongestPhraseInTheTextAsWholeWords) {
    const Terminology& t = table_directory()->terminology();
    NeedMatch m = t.match(text_need("Needs HOUSING advice, urgently"), 0);
    EXPECT_EQ(m.code, model::Need::housing);
    EXPECT_EQ(m.how, "matched by text \"housing advice\"");
    EXPECT_EQ(t.match(text_need("Carers' support for his mother"), 0).code, model::Need::carer_support);
    EXPECT_EQ(t.match(text_need("Referral to NHS Talking Therapies"), 0).code, model::Need::mental_health);
    EXPECT_EQ(t.match(text_need("Debts piling up"), 0).code, model::Need::debt);
    // A phrase inside another word does not match.
    EXPECT_FALSE(t.match(text_need("indebtedness"), 0).matched());
    // Without text, the coding's display is read.
    m = t.match(snomed_need("1234567", "Referral to befriending service"), 0);
    EXPECT_EQ(m.code, model::Need::isolation);
    EXPECT_EQ(m.service, "befriending");
    EXPECT_EQ(m.unknown_code, "SNOMED CT 1234567");
    EXPECT_EQ(m.describe(),
              "need isolation matched by text \"befriending\" (SNOMED CT 1234567 is not in the terminology table)");
}

TEST(TerminologyMatch, AnUnknownCodeIsNamedNeverAnError) {
    const NeedMatch m = table_directory()->terminology().match(snomed_need("999999999", "Something else"), 0);
    EXPECT_FALSE(m.matched());
    EXPECT_EQ(m.describe(), "SNOMED CT 999999999 is not in the terminology table");
    // A partnership need is the partnership's already: the table is not asked.
    model::PersonRecord record = needing({{model::Need::isolation, "lonely"}});
    EXPECT_TRUE(table_directory()->terminology().match(record.referrals.front()).empty());
}

// ---- routing ----

TEST(RoutingWithTerminology, ASnomedCodedNeedReachesTheServiceForItsNeed) {
    const RoutingOutcome outcome = route_with_table(needing({snomed_need("422650009", "Social isolation")}));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].service, "befriending");
    EXPECT_EQ(outcome.recipients[0].rule, "isolation-to-befriending");
    EXPECT_EQ(outcome.need_match, "need isolation matched by SNOMED CT 422650009");
    ASSERT_EQ(outcome.decisions.size(), 1u);
    EXPECT_EQ(outcome.decisions[0].need_match, "need isolation matched by SNOMED CT 422650009");
    // The recipient reads the partnership's need beside the sender's coding.
    const auto& sent = outcome.recipients[0].record.referrals.at(0).needs;
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].code, model::Need::isolation);
    EXPECT_EQ(sent[0].coding.code, "422650009");
}

TEST(RoutingWithTerminology, ATextOnlyNeedReachesTheServiceForItsNeed) {
    const RoutingOutcome outcome = route_with_table(needing({text_need("Would like help with housing advice")}));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    // Housing goes to the council by its rule; it has no direct-care agreement with the Trust.
    ASSERT_EQ(outcome.decisions.size(), 1u);
    EXPECT_EQ(outcome.decisions[0].organisation, "council");
    EXPECT_EQ(outcome.decisions[0].rule, "housing-to-council");
    EXPECT_EQ(outcome.decisions[0].need_match, "need housing matched by text \"housing advice\"");
}

TEST(RoutingWithTerminology, WithoutATableTheSameNeedIsNotUnderstood) {
    const RoutingOutcome outcome = route_with_table(needing({snomed_need("422650009")}), *test_directory());
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::unknown_need);
    EXPECT_EQ(to_string(outcome.refusal->kind), "unknown-need");
    EXPECT_TRUE(contains(outcome.refusal->message,
                         "No service takes this referral: its need SNOMED CT 422650009 is not in the partnership's "
                         "terminology table"))
        << outcome.refusal->message;
}

TEST(RoutingWithTerminology, AnUnknownCodeBesideANeedThatRoutesIsNamedAndTheReferralGoesOn) {
    const RoutingOutcome outcome =
        route_with_table(needing({snomed_need("999999999"), {model::Need::isolation, "lonely"}}));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.decisions.at(0).need_match, "SNOMED CT 999999999 is not in the terminology table");
}

TEST(RoutingWithTerminology, TheServiceAnEntryImpliesCountsAsRequested) {
    // Only a rule on requested services leads to befriending here.
    std::string text = partnership_with("\"terminology\": " + table);
    const std::string rule = R"("id": "isolation-to-befriending", "match": {"needs": ["isolation"]})";
    text.replace(text.find(rule), rule.size(),
                 R"("id": "befriending-requested", "match": {"requested_services": ["befriending"]})");
    const auto directory = directory_from(text);
    ASSERT_TRUE(directory);
    const RoutingOutcome outcome = route_with_table(needing({text_need("Befriending please")}), *directory);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_EQ(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].rule, "befriending-requested");
    EXPECT_EQ(outcome.decisions.at(0).need_match, "need isolation matched by text \"befriending\"");
}

// ---- targets naming only an organisation ----

model::PersonRecord at_organisation(std::string organisation, std::vector<model::NeedItem> needs) {
    model::PersonRecord record = needing(std::move(needs));
    record.referrals.front().targets = {{std::move(organisation), ""}};
    return record;
}

TEST(OrganisationTarget, WithOneOpenServiceThatFitsGoesThere) {
    // Mind runs five services; of the open ones only peer support takes isolation on the light-touch pathway.
    const RoutingOutcome outcome = route_with_table(at_organisation("DMN01", {snomed_need("422650009")}));
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    ASSERT_GE(outcome.recipients.size(), 1u);
    EXPECT_EQ(outcome.recipients[0].organisation, "mind");
    EXPECT_EQ(outcome.recipients[0].service, "peer-support");
    EXPECT_EQ(outcome.recipients[0].rule, "target");
    const Decision& d = outcome.decisions.at(0);
    EXPECT_TRUE(contains(d.reason, "the referral names Westshire Mind (DMN01) and no service; Peer support is its one "
                                   "open service that fits"))
        << d.reason;
    EXPECT_EQ(d.need_match, "need isolation matched by SNOMED CT 422650009");
}

TEST(OrganisationTarget, WithSeveralThatFitGoesToTheOneTheFirstMatchingRuleNames) {
    // At 21 with debt and isolation: peer support, youth peer support and money advice all fit.
    model::PersonRecord record = at_organisation("DMN01", {text_need("debts"), snomed_need("422650009")});
    record.person.birth_date = "2005-01-01";
    RoutingOutcome outcome = route_with_table(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).service, "money-advice");
    EXPECT_TRUE(contains(outcome.decisions.at(0).reason,
                         "several fit (peer-support, youth, money-advice) and routing rule debt-in-nf6, the first "
                         "that matches, chooses money-advice"))
        << outcome.decisions.at(0).reason;

    // No rule names one of them: the first the directory lists, and the decision says so.
    record.referrals.front().source = model::ReferralSource::self;
    outcome = route_with_table(record);
    ASSERT_FALSE(outcome.refusal) << outcome.refusal->message;
    EXPECT_EQ(outcome.recipients.at(0).service, "peer-support");
    EXPECT_TRUE(contains(outcome.decisions.at(0).reason,
                         "no routing rule chooses among them, so the first the directory lists, peer-support"))
        << outcome.decisions.at(0).reason;
}

TEST(OrganisationTarget, WithNoneThatFitsIsRefusedForTriage) {
    // Housing: none of Mind's open services takes it.
    const RoutingOutcome outcome = route_with_table(at_organisation("DMN01", {text_need("housing")}));
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::no_fitting_service);
    EXPECT_EQ(to_string(outcome.refusal->kind), "no-fitting-service");
    EXPECT_EQ(outcome.refusal->organisation, "mind");
    EXPECT_TRUE(contains(outcome.refusal->message,
                         "The referral names Westshire Mind (DMN01) but no service there, and none of its open "
                         "services fits (Peer support: none of the referral's needs is one the service takes"))
        << outcome.refusal->message;
    EXPECT_TRUE(outcome.recipients.empty());
    EXPECT_EQ(outcome.decisions.at(0).status, DecisionStatus::criteria_not_met);

    // An unknown code is named as the likely cause.
    const RoutingOutcome unknown = route_with_table(at_organisation("DMN01", {snomed_need("999999999")}));
    ASSERT_TRUE(unknown.refusal);
    EXPECT_EQ(unknown.refusal->kind, RefusalKind::no_fitting_service);
    EXPECT_TRUE(contains(unknown.refusal->message, "the need SNOMED CT 999999999 is not in the terminology table"))
        << unknown.refusal->message;
}

TEST(OrganisationTarget, UnknownOrWithNothingOpenIsRefusedForTriage) {
    RoutingOutcome outcome = route_with_table(at_organisation("DXX99", {snomed_need("422650009")}));
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::unknown_organisation);

    std::string text = partnership_with("\"terminology\": " + table);
    for (const char* open : {"\"peer-support\": {\"name\": \"Peer support\", \"status\": \"open\"",
                             "\"youth\": {\"name\": \"Youth peer support\", \"status\": \"open\"",
                             "\"money-advice\": {\"name\": \"Money advice\", \"status\": \"open\""}) {
        const std::string from(open);
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        text.replace(at, from.size(), from.substr(0, from.size() - 6) + "\"closed\"");
    }
    const auto all_closed = directory_from(text);
    ASSERT_TRUE(all_closed);
    outcome = route_with_table(at_organisation("DMN01", {snomed_need("422650009")}), *all_closed);
    ASSERT_TRUE(outcome.refusal);
    EXPECT_EQ(outcome.refusal->kind, RefusalKind::organisation_closed);
    EXPECT_EQ(to_string(outcome.refusal->kind), "organisation-closed");
    EXPECT_TRUE(contains(outcome.refusal->message,
                         "The referral names Westshire Mind (DMN01) but no service there; none of its services is open"))
        << outcome.refusal->message;
    EXPECT_EQ(outcome.decisions.at(0).status, DecisionStatus::service_not_open);
}

TEST(OrganisationTarget, ByAFormerCodeOrAnAliasResolvesThroughTheDirectory) {
    std::string text = partnership_with("\"terminology\": " + table);
    const std::string mind = "\"name\": \"Westshire Mind\", \"type\": \"vcse\",";
    text.replace(text.find(mind), mind.size(), mind + " \"aliases\": [\"Westshire Mind Association\", \"DMN00\"],");
    const auto directory = directory_from(text);
    ASSERT_TRUE(directory);
    for (const char* name : {"DMN00", "westshire mind association", "mind"}) {
        const RoutingOutcome outcome =
            route_with_table(at_organisation(name, {text_need("Talking therapies")}), *directory);
        ASSERT_FALSE(outcome.refusal) << name << ": " << outcome.refusal->message;
        EXPECT_EQ(outcome.recipients.at(0).organisation, "mind") << name;
        EXPECT_EQ(outcome.recipients.at(0).service, "peer-support") << name;
        EXPECT_EQ(outcome.decisions.at(0).need_match, "need mental-health matched by text \"talking therapy\"");
    }
}

}  // namespace
}  // namespace carebridge::gateway::policy
