// The compiled partnership referral schema: built once per thread, in step
// with the canonical code lists, and its pointers rendered as element paths.

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "model/codes.hpp"
#include "referral_json/referral_schema.hpp"
#include "referral_json/referral_test_support.hpp"

namespace carebridge::testing {
namespace {

using referral_json::referral_schema;
using rapidjson::Pointer;

std::vector<std::string> schema_enum(const char* pointer) {
    const rapidjson::Value* values = Pointer(pointer).Get(referral_schema().source());
    std::vector<std::string> out;
    if (!values || !values->IsArray()) {
        ADD_FAILURE() << "no enum at " << pointer;
        return out;
    }
    for (const auto& v : values->GetArray()) out.emplace_back(v.GetString());
    return out;
}

template <typename Enum> std::vector<std::string> model_codes() {
    std::vector<std::string> out;
    for (int i = 0;; ++i) {
        const std::string_view s = model::to_string(static_cast<Enum>(i));
        if (s.empty()) return out;
        out.emplace_back(s);
    }
}

TEST(ReferralJsonSchema, IsBuiltOncePerThreadAndReused) {
    const referral_json::ReferralSchema* first = &referral_schema();
    for (int i = 0; i < 3; ++i) {
        Decoded d = decode_text(golden_referral_json());
        ASSERT_TRUE(d.record);
        EXPECT_EQ(&referral_schema(), first);
    }
    const referral_json::ReferralSchema* other = nullptr;
    std::thread([&] { other = &referral_schema(); }).join();
    EXPECT_NE(other, first);
}

TEST(ReferralJsonSchema, DecodesOnSeveralThreadsAtOnce) {
    std::vector<int> good(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&good, t] {
            for (int i = 0; i < 25; ++i) {
                Decoded d = decode_text(golden_referral_json());
                good[t] += d.record && *d.record == golden_record_without_encounters();
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(good, std::vector<int>(4, 25));
}

TEST(ReferralJsonSchema, ClosedCodeListsMatchTheCanonicalModel) {
    EXPECT_EQ(schema_enum("/definitions/referralStatus/enum"), model_codes<model::ReferralStatus>());
    EXPECT_EQ(schema_enum("/properties/priority/enum"), model_codes<model::Priority>());
    EXPECT_EQ(schema_enum("/properties/pathway/enum"), model_codes<model::Pathway>());
    EXPECT_EQ(schema_enum("/properties/source/enum"), model_codes<model::ReferralSource>());
    EXPECT_EQ(schema_enum("/properties/person/properties/gender/enum"), model_codes<model::Gender>());
    EXPECT_EQ(schema_enum("/properties/person/properties/contactPreferences/properties/preferredMethod/enum"),
              model_codes<model::ContactMethod>());
    EXPECT_EQ(schema_enum("/properties/risk/properties/level/enum"), model_codes<model::RiskLevel>());
    EXPECT_EQ(schema_enum("/properties/consent/properties/status/enum"), model_codes<model::ConsentStatus>());
    EXPECT_EQ(schema_enum("/definitions/organisationType/enum"), model_codes<model::OrganisationType>());
    EXPECT_EQ(schema_enum("/properties/careTeam/items/properties/role/enum"), model_codes<model::CareTeamRole>());
    EXPECT_EQ(schema_enum("/properties/needs/items/properties/code/enum"), model_codes<model::Need>());
    EXPECT_EQ(schema_enum("/properties/carePlan/properties/status/enum"), model_codes<model::CarePlanStatus>());
    EXPECT_EQ(schema_enum("/properties/carePlan/properties/dialog/items/properties/domain/enum"),
              model_codes<model::DialogDomain>());

    const auto verification = schema_enum("/definitions/nhsNumberVerification/enum");
    EXPECT_EQ(verification.size(), 8u);
    for (const auto& c : verification) EXPECT_TRUE(model::is_nhs_number_verification_code(c)) << c;
    const auto ethnic = schema_enum("/definitions/ethnicCategory/enum");
    EXPECT_EQ(ethnic.size(), 18u);
    for (const auto& c : ethnic) EXPECT_TRUE(model::is_ethnic_category_code(c)) << c;
}

TEST(ReferralJsonSchema, EveryObjectIsClosedAndDescribed) {
    // Walks the schema: each object schema refuses unknown members and says what it is.
    std::vector<std::string> open;
    auto walk = [&](auto&& self, const rapidjson::Value& node, const std::string& at) -> void {
        if (!node.IsObject()) return;
        if (node.HasMember("properties")) {
            // IsFalse, not == false: RapidJSON 1.1's operator== recurses under C++20.
            if (!node.HasMember("additionalProperties") || !node["additionalProperties"].IsFalse()) open.push_back(at);
            if (!node.HasMember("description")) open.push_back(at + " (no description)");
        }
        for (const auto& m : node.GetObject()) self(self, m.value, at + "/" + m.name.GetString());
    };
    walk(walk, referral_schema().source(), "");
    EXPECT_TRUE(open.empty()) << open.front();
    EXPECT_STREQ(referral_schema().source()["title"].GetString(), "Partnership referral, version 1");
}

TEST(ReferralJsonSchema, PointersBecomeElementPaths) {
    const rapidjson::Document doc = parse_json(golden_referral_json());
    EXPECT_EQ(referral_json::element_path(Pointer("/person/names/0/family"), doc), "person.names[0].family");
    EXPECT_EQ(referral_json::element_path(Pointer("/carePlan/dialog/10"), doc), "carePlan.dialog[10]");
    EXPECT_EQ(referral_json::element_path(Pointer(""), doc), "");
    // A member whose name is digits stays a member.
    const rapidjson::Document numbered = parse_json(R"({"a": {"0": {"b": 1}}})");
    EXPECT_EQ(referral_json::element_path(Pointer("/a/0/b"), numbered), "a.0.b");
}

TEST(ReferralJsonSchema, LenientScreenRemovesOnlyUnknownMembers) {
    rapidjson::Document doc = parse_json(golden_referral_json());
    Pointer("/risk/score").Set(doc, 12);
    Pointer("/needs/2/priority").Set(doc, "high");
    issues::IssueSink sink;
    EXPECT_EQ(referral_json::screen_document(doc, referral_schema(), codec::Strictness::lenient, sink),
              2u);
    EXPECT_EQ(doc, parse_json(golden_referral_json()));
    EXPECT_EQ(sink.issues().size(), 2u);
    EXPECT_FALSE(sink.failed());
}

}  // namespace
}  // namespace carebridge::testing
