// The demo referral as NHS APIs would send it, on the API: the Patient left
// out and the person named by NHS number wherever they are named is taken in
// and routed; a failing NHS number, or a referral that names nobody, is 422
// with an OperationOutcome at the element that breaks the rule, and nothing
// is stored.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge::testing {
namespace {

constexpr const char* patient_url = "urn:uuid:5b1e0c3d-7a2f-4e8b-9c1d-0e2f3a4b5c02";

// The demo referral with the Patient removed and each reference to it
// replaced by an NHS-number identifier with `number`.
std::string by_nhs_number(const std::string& number, bool keep_subject = true) {
    rapidjson::Document d;
    const std::string text = read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "config/demo-referral.json");
    d.Parse(text.c_str());
    auto& a = d.GetAllocator();
    auto& entries = d["entry"];
    for (rapidjson::SizeType k = entries.Size(); k-- > 0;) {
        auto& r = entries[k]["resource"];
        if (std::string(r["resourceType"].GetString()) == "Patient") {
            entries.Erase(entries.Begin() + k);
            continue;
        }
        for (const char* name : {"subject", "patient", "for"}) {
            if (!r.HasMember(name) || !r[name].HasMember("reference") ||
                std::string(r[name]["reference"].GetString()) != patient_url)
                continue;
            if (!keep_subject && std::string(r["resourceType"].GetString()) == "ServiceRequest") {
                r.RemoveMember(name);
                continue;
            }
            rapidjson::Value identifier(rapidjson::kObjectType);
            identifier.AddMember("system", "https://fhir.nhs.uk/Id/nhs-number", a);
            identifier.AddMember("value", rapidjson::Value(number.c_str(), a), a);
            rapidjson::Value reference(rapidjson::kObjectType);
            reference.AddMember("identifier", identifier, a);
            r[name] = reference;
        }
    }
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    d.Accept(writer);
    return buffer.GetString();
}

TEST(ReferenceIdentityApi, APersonNamedByNhsNumberOnlyIsTakenInAndRouted) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/fhir", "application/fhir+json", by_nhs_number("9990000085"), {{"Authorization", bearer("demo-trust")}});
    ASSERT_EQ(r.status, 201u) << r.body;
    EXPECT_NE(r.body.find("for Northfield Befriending (Befriending"), std::string::npos) << r.body;
}

TEST(ReferenceIdentityApi, AFailingNhsNumberIs422AtItsPath) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    auto r = c.post("/fhir", "application/fhir+json", by_nhs_number("9990000019"), {{"Authorization", bearer("demo-trust")}});
    ASSERT_EQ(r.status, 422u) << r.body;
    EXPECT_NE(r.body.find("\"OperationOutcome\""), std::string::npos) << r.body;
    // The ServiceRequest is entry[1] once the Patient is gone.
    EXPECT_NE(r.body.find("Bundle.entry[1].resource.subject.identifier.value"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("9990000019"), std::string::npos) << "the number is not echoed";
    EXPECT_EQ(c.get("/partners/befriend/inbox", {{"Authorization", bearer("demo-befriend")}}).body.find("REF-"),
              std::string::npos);
}

TEST(ReferenceIdentityApi, AReferralThatNamesNoPersonIs422) {
    TempDir temp;
    DemoGateway gw(temp.path());
    ASSERT_TRUE(gw.ok());
    auto c = gw.client();
    // No Patient, no subject on the ServiceRequest, and nothing else names the person either.
    std::string body = by_nhs_number("9990000085", /*keep_subject=*/false);
    for (auto at = body.find("9990000085"); at != std::string::npos; at = body.find("9990000085", at))
        body.replace(at, 10, "9990000019");  // fails the check, so no person is found elsewhere
    auto r = c.post("/fhir", "application/fhir+json", body, {{"Authorization", bearer("demo-trust")}});
    ASSERT_EQ(r.status, 422u) << r.body;
    EXPECT_NE(r.body.find("the referral names no person"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("Bundle.entry[1].resource.subject"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace carebridge::testing
