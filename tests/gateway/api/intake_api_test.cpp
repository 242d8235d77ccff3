// POST /carenotes/exports over HTTP on the demo partnership: each client is
// routed like a FHIR referral, reaches the partner's inbox, and a client the
// directory cannot route is held for triage (the demo Trust's EPR triages) and
// counted in the summary while the rest are stored.
#include <gtest/gtest.h>

#include "intake/intake_fixture.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

std::string export_of(std::size_t clients) {
    std::string xml;
    carenotes::ExportWriter writer([&](std::string_view chunk) { xml += chunk; }, {false, ""});
    for (std::size_t i = 0; i < clients; ++i) {
        issues::IssueSink sink;
        writer.write(gateway::intake::fixture::synthetic_person(i), sink);
    }
    writer.finish();
    return xml;
}

TEST(IntakeApi, AnExportIsRoutedClientByClientAndAnUnroutableClientIsTriaged) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    const std::string xml = export_of(10);
    const std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", bearer("demo-trust")},
                                                                      {"Idempotency-Key", "export-routing-1"}};
    auto r = c.post("/carenotes/exports", "application/xml", xml, headers);
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_NE(r.body.find("\"accepted\":9"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"triaged\":1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"refused\":0"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"refusals\":[]"), std::string::npos) << r.body;
    auto queue = c.get("/triage", {{"Authorization", bearer("demo-admin")}});
    ASSERT_EQ(queue.status, 200u) << queue.body;
    EXPECT_NE(queue.body.find("\"kind\":\"service-not-open\""), std::string::npos) << queue.body;
    EXPECT_NE(queue.body.find("REF-SYN-000003"), std::string::npos) << queue.body;

    // The befriending charity finds the export's people in its inbox, minimised.
    auto inbox = c.get("/partners/befriend/inbox?limit=100", {{"Authorization", bearer("demo-befriend")}});
    ASSERT_EQ(inbox.status, 200u) << inbox.body;
    EXPECT_NE(inbox.body.find("Testperson000000"), std::string::npos) << inbox.body;
    EXPECT_EQ(inbox.body.find("Testperson000003"), std::string::npos) << "the refused client went nowhere";
    EXPECT_EQ(inbox.body.find(gateway::intake::fixture::nhs_number(0)), std::string::npos)
        << "the befriending profile holds no NHS number";
    EXPECT_NE(c.get("/metrics").body.find("carebridge_referrals_triaged_total 1"), std::string::npos);

    // The same export again stores nothing new.
    auto again = c.post("/carenotes/exports", "application/xml", xml, headers);
    ASSERT_EQ(again.status, 201u) << again.body;
    EXPECT_NE(again.body.find("\"duplicates\":10"), std::string::npos) << again.body;
    const std::string listed = c.get("/triage", {{"Authorization", bearer("demo-admin")}}).body;
    const auto first = listed.find("REF-SYN-000003");
    ASSERT_NE(first, std::string::npos) << listed;
    EXPECT_EQ(listed.find("REF-SYN-000003", first + 1), std::string::npos) << "the resend added no second item: " << listed;
}

}  // namespace
}  // namespace carebridge::testing
