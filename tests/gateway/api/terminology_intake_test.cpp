// Referrals as real EPRs send them, through the running demo gateway: a need
// coded only in SNOMED CT, or written only as text, and a performer that names
// an organisation and no service, reach the right partner's inbox; the audit
// log says how the need was read.
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "audit/audit_query.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

// The sample referral with its ServiceRequest's requested service, reasons and
// performer replaced: `reason_code` (a JSON array) and `performer` (a JSON array).
std::string referral(const std::string& id, const std::string& reason_code, const std::string& performer) {
    rapidjson::Document d;
    d.Parse(read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json").c_str());
    EXPECT_FALSE(d.HasParseError());
    auto& a = d.GetAllocator();
    for (auto& entry : d["entry"].GetArray()) {
        auto& r = entry["resource"];
        if (std::string_view(r["resourceType"].GetString()) != "ServiceRequest") continue;
        r.RemoveMember("code");
        rapidjson::Document reasons, performers;
        reasons.Parse(reason_code.c_str());
        performers.Parse(performer.c_str());
        r["reasonCode"].CopyFrom(reasons, a);
        r["performer"].CopyFrom(performers, a);
        r["identifier"][0]["value"].SetString(id.c_str(), a);
    }
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> writer(out);
    d.Accept(writer);
    return out.GetString();
}

TEST(TerminologyIntake, SnomedCodedAndTextOnlyReferralsToAnOrganisationReachItsInbox) {
    TempDir temp;
    {
        DemoGateway gw(temp.path());
        ASSERT_TRUE(gw.ok());
        auto c = gw.client();
        // Each from the same sample Bundle, so each needs its own key or it would be a duplicate of the first.
        const auto trust = [](std::string key) {
            return std::vector<std::pair<std::string, std::string>>{{"Authorization", bearer("demo-trust")},
                                                                    {"Idempotency-Key", std::move(key)}};
        };

        // Coded in SNOMED CT only, to Westshire Mind by its ODS code: of its services only peer support is open.
        auto r = c.post("/fhir", "application/fhir+json",
                        referral("REF-SNOMED-1",
                                 R"([{"coding":[{"system":"http://snomed.info/sct","code":"24921000000109",
                                     "display":"Referral to community mental health team"}]}])",
                                 R"([{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code",
                                     "value":"DMN01"}}])"),
                        trust("terminology-snomed"));
        ASSERT_EQ(r.status, 201u) << r.body;
        auto inbox = c.get("/partners/mind/inbox", {{"Authorization", bearer("demo-mind")}});
        ASSERT_EQ(inbox.status, 200u) << inbox.body;
        EXPECT_NE(inbox.body.find("REF-SNOMED-1"), std::string::npos) << inbox.body;
        EXPECT_NE(inbox.body.find("24921000000109"), std::string::npos) << "the sender's coding travels with the need";

        // Text only, to Northfield Befriending: "lonely" is the partnership's isolation.
        r = c.post("/fhir", "application/fhir+json",
                   referral("REF-TEXT-1", R"([{"text":"Feeling lonely since he moved"}])",
                            R"([{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code",
                                "value":"DBF01"}}])"),
                   trust("terminology-text"));
        ASSERT_EQ(r.status, 201u) << r.body;
        inbox = c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-befriend")}});
        ASSERT_EQ(inbox.status, 200u) << inbox.body;
        EXPECT_NE(inbox.body.find("REF-TEXT-1"), std::string::npos) << inbox.body;
        EXPECT_EQ(inbox.body.find("REF-SNOMED-1"), std::string::npos) << "each went to its own partner only";
        EXPECT_EQ(c.get("/partners/mind/inbox", {{"Authorization", bearer("demo-mind")}}).body.find("REF-TEXT-1"),
                  std::string::npos);

        // A code the table does not know, to an organisation none of whose open services takes it: held
        // for triage, naming the code.
        r = c.post("/fhir", "application/fhir+json",
                   referral("REF-UNKNOWN-1",
                            R"([{"coding":[{"system":"http://snomed.info/sct","code":"999999999999"}]}])",
                            R"([{"identifier":{"system":"https://fhir.nhs.uk/Id/ods-organization-code",
                                "value":"DMN01"}}])"),
                   trust("terminology-unknown"));
        EXPECT_EQ(r.status, 202u) << r.body;
        EXPECT_NE(r.body.find("held for triage"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find("SNOMED CT 999999999999 is not in the terminology table"), std::string::npos) << r.body;
    }

    // The policy decisions say how each need was read.
    gateway::store::SqliteOptions options;
    options.directory = temp.path().string();
    std::error_code ec;
    std::string message;
    auto store = gateway::store::open_sqlite_store(options, ec, message);
    ASSERT_TRUE(store) << message;
    gateway::audit::AuditQuery query;
    query.actions = {gateway::audit::AuditAction::policy_decision};
    query.limit = 100;
    std::string details;
    for (const auto& e : store->find_audit_entries(query, ec)) details += e.event.detail + "\n";
    EXPECT_NE(details.find("need mental-health matched by SNOMED CT 24921000000109"), std::string::npos) << details;
    EXPECT_NE(details.find("need isolation matched by text \\\"lonely\\\""), std::string::npos) << details;
    EXPECT_NE(details.find("Peer support is its one open service that fits"), std::string::npos) << details;
}

}  // namespace
}  // namespace carebridge::testing
