// FHIR STU3 posted to the gateway (NHS e-Referral Service and CareConnect
// senders): `fhirVersion=3.0` or an STU3 profile decodes as STU3, the referral
// reaches the partner's inbox exactly as its R4 twin does, an e-RS referral the
// directory cannot route is answered with an OperationOutcome, and a FHIR
// version the gateway does not read is 415.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

std::string example(const std::string& name) {
    std::ifstream in(std::string(CAREBRIDGE_SOURCE_DIR) + "/tests/mappers/fhir_stu3/examples/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

const std::vector<std::pair<std::string, std::string>> as_trust = {{"Authorization", bearer("demo-trust")}};

TEST(FhirStu3Intake, AnStu3ReferralReachesThePartnersInboxLikeItsR4Twin) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();

    auto stu3 = c.post("/fhir", "application/fhir+json; fhirVersion=3.0",
                       example("synthetic-referral-bundle.stu3.json"), as_trust);
    ASSERT_EQ(stu3.status, 201u) << stu3.body;
    const std::string stu3_location = stu3.header("Location");
    ASSERT_FALSE(stu3_location.empty());
    auto r4 = c.post("/fhir", "application/fhir+json", example("synthetic-referral-bundle.r4.json"), as_trust);
    ASSERT_EQ(r4.status, 201u) << r4.body;

    // The befriending charity receives both, minimised the same way.
    auto inbox = c.get("/partners/befriend/inbox?limit=100", {{"Authorization", bearer("demo-befriend")}});
    ASSERT_EQ(inbox.status, 200u) << inbox.body;
    EXPECT_EQ(occurrences(inbox.body, "Testwoman"), 2u) << inbox.body;
    EXPECT_EQ(occurrences(inbox.body, "Lives alone since her partner died"), 2u) << inbox.body;
    EXPECT_EQ(inbox.body.find("9990002010"), std::string::npos) << "the befriending profile holds no NHS number";
    // The other partner gets neither.
    auto mind = c.get("/partners/mind/inbox?limit=100", {{"Authorization", bearer("demo-mind")}});
    ASSERT_EQ(mind.status, 200u) << mind.body;
    EXPECT_EQ(mind.body.find("Testwoman"), std::string::npos) << mind.body;

    // The stored STU3 message is read back (as R4) from its original payload.
    auto back = c.get(stu3_location, {{"Authorization", bearer("demo-trust")}, {"Accept", "application/fhir+json"}});
    ASSERT_EQ(back.status, 200u) << back.body;
    EXPECT_NE(back.body.find("\"ServiceRequest\""), std::string::npos);
    EXPECT_NE(back.body.find("REF-2026-STU3-0001"), std::string::npos);

    // Sent again, the same STU3 Bundle is recognised by its identifier.
    auto again = c.post("/fhir", "application/fhir+json; fhirVersion=3.0.2",
                        example("synthetic-referral-bundle.stu3.json"), as_trust);
    ASSERT_EQ(again.status, 201u) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
}

TEST(FhirStu3Intake, AnStu3ProfileIsReadAsStu3WithoutFhirVersion) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/fhir", "application/fhir+json", example("synthetic-referral-bundle.stu3.json"),
                    {{"Authorization", bearer("demo-trust")}, {"Idempotency-Key", "stu3-by-profile"}});
    ASSERT_EQ(r.status, 201u) << r.body;
    auto inbox = c.get("/partners/befriend/inbox?limit=100", {{"Authorization", bearer("demo-befriend")}});
    EXPECT_EQ(occurrences(inbox.body, "Testwoman"), 1u) << inbox.body;
}

TEST(FhirStu3Intake, AnErsReferralTheDirectoryCannotRouteIsAnsweredWithAnOutcome) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    // The published e-RS referral names a cardiology shortlist, no partnership
    // service: read, then held for triage (the Trust's submitter triages what
    // the directory cannot route), never a 5xx.
    for (const char* type : {"application/fhir+json; fhirVersion=3.0", "application/fhir+json"}) {
        SCOPED_TRACE(type);
        auto r = c.post("/fhir", type, example("eRS-Unbooked.json"), as_trust);
        EXPECT_EQ(r.status, 202u) << r.body;
        EXPECT_NE(r.body.find("held for triage"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("holds no referral"), std::string::npos) << "read as STU3: " << r.body;
    }
    // The published example with an eleven-digit NHS number is invalid, at its STU3 path.
    auto bad = c.post("/fhir", "application/fhir+json; fhirVersion=3.0", example("eRS-MultipleDocumentReferences.json"),
                      as_trust);
    EXPECT_EQ(bad.status, 422u) << bad.body;
    EXPECT_NE(bad.body.find("ReferralRequest.subject.identifier.value"), std::string::npos) << bad.body;
}

TEST(FhirStu3Intake, AFhirVersionTheGatewayDoesNotReadIs415) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    for (const char* type : {"application/fhir+json; fhirVersion=5.0", "application/fhir+json; fhirVersion=1.0.2",
                             "application/fhir+json;fhirVersion=\"4.3\""}) {
        SCOPED_TRACE(type);
        auto r = c.post("/fhir", type, example("synthetic-referral-bundle.r4.json"), as_trust);
        EXPECT_EQ(r.status, 415u) << r.body;
        EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << r.body;
        EXPECT_NE(r.body.find("fhirVersion=3.0"), std::string::npos) << r.body;
    }
    auto r4 = c.post("/fhir", "application/fhir+json; fhirVersion=4.0.1", example("synthetic-referral-bundle.r4.json"),
                     as_trust);
    EXPECT_EQ(r4.status, 201u) << r4.body;
}

TEST(FhirStu3Intake, TranslateReadsStu3AndRefusesToWriteIt) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/translate?from=fhir-stu3&to=referral", "application/json", example("eRS-Unbooked.json"), as_trust);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_NE(r.body.find("9912003888"), std::string::npos) << r.body;
    auto refused = c.post("/translate?from=fhir&to=fhir-stu3", "application/json",
                          example("synthetic-referral-bundle.r4.json"), as_trust);
    EXPECT_EQ(refused.status, 400u) << refused.body;
    EXPECT_NE(refused.body.find("read, not written"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace carebridge::testing
