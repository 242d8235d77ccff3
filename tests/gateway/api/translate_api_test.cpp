// POST /translate on the running gateway: a body that is not JSON at all is
// 400, as POST /fhir answers it; JSON that is readable but wrong is 422.

#include <gtest/gtest.h>

#include <string>

#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(TranslateApi, ASyntaxErrorIs400AndWrongContentIs422) {
    testing::TempDir dir;
    testing::DemoGateway gateway(dir.path());
    ASSERT_TRUE(gateway.ok());
    auto c = gateway.client();
    const Headers auth = {{"Authorization", testing::bearer("demo-trust")}};
    for (const char* unreadable : {"{\"resourceType\": ", "not json", "{\"resourceType\": \"Bundle\",}"}) {
        const auto r = c.post("/translate?from=fhir&to=referral", "application/fhir+json", unreadable, auth);
        EXPECT_EQ(r.status, 400u) << unreadable << "\n" << r.body;
        EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << r.body;
        const auto fhir = c.post("/fhir", "application/fhir+json", unreadable, auth);
        EXPECT_EQ(fhir.status, 400u) << unreadable;  // the same answer as intake gives
    }
    // Valid syntax, wrong content: a Patient whose NHS number fails modulus 11.
    const std::string wrong =
        R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990000019"}]}}]})";
    const auto r = c.post("/translate?from=fhir&to=referral", "application/fhir+json", wrong, auth);
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace carebridge
