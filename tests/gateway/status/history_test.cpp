// status/history: which steps take a referral on, when it is bouncing, and
// how its history is written for the partnership (organisations by ODS code).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "status/history.hpp"

namespace carebridge::gateway {
namespace {

store::HistoryEntry step(std::string organisation, std::string service, std::string status) {
    store::HistoryEntry e;
    e.organisation = std::move(organisation);
    e.service = std::move(service);
    e.status = std::move(status);
    e.time = "2026-11-23T09:30:00.000Z";
    return e;
}

TEST(ReferralHistory, OnlyAcceptingContactingCompletingOrDischargingTakesAReferralOn) {
    for (const char* s : {"accepted", "contacted", "completed", "discharged"}) EXPECT_TRUE(status::is_taken_on(s)) << s;
    for (const char* s : {"received", "declined", "waiting", "not-contactable", "escalated", "", "Accepted"})
        EXPECT_FALSE(status::is_taken_on(s)) << s;
}

TEST(ReferralHistory, TwoDifferentDeclinersMakeABounceButOneDecliningTwiceDoesNot) {
    EXPECT_FALSE(status::is_bouncing({}));
    EXPECT_FALSE(status::is_bouncing({step("mind", "talking", "declined")}));
    EXPECT_FALSE(status::is_bouncing({step("mind", "talking", "declined"), step("mind", "talking", "declined")}));
    EXPECT_FALSE(status::is_bouncing({step("mind", "talking", "declined"), step("befriend", "visits", "accepted")}));
    // Two services of one organisation are two teams the person was sent between.
    EXPECT_TRUE(status::is_bouncing({step("mind", "talking", "declined"), step("mind", "groups", "declined")}));
    EXPECT_TRUE(status::is_bouncing({step("mind", "talking", "declined"), step("befriend", "visits", "accepted"),
                                     step("council", "", "declined")}));
}

TEST(ReferralHistory, IsWrittenWithOdsCodesAndWithoutEmptyFields) {
    config::Config config;
    config::Organisation mind;
    mind.id = "mind";
    mind.ods_code = "DMN01";
    config.organisations.push_back(mind);
    store::HistoryEntry accepted = step("mind", "talking", "accepted");
    accepted.reason = "a place this week";
    const std::vector<store::HistoryEntry> history{accepted, step("unlisted", "", "declined")};

    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    status::write_history(w, config, history);
    w.EndObject();

    rapidjson::Document d;
    d.Parse(buffer.GetString());
    ASSERT_FALSE(d.HasParseError());
    const auto& steps = d["history"];
    ASSERT_EQ(steps.Size(), 2u);
    EXPECT_STREQ(steps[0]["organisation"].GetString(), "DMN01");
    EXPECT_STREQ(steps[0]["service"].GetString(), "talking");
    EXPECT_STREQ(steps[0]["reason"].GetString(), "a place this week");
    EXPECT_STREQ(steps[0]["time"].GetString(), "2026-11-23T09:30:00.000Z");
    // An organisation the config no longer names keeps the id it was recorded under.
    EXPECT_STREQ(steps[1]["organisation"].GetString(), "unlisted");
    EXPECT_FALSE(steps[1].HasMember("service"));
    EXPECT_FALSE(steps[1].HasMember("reason"));
}

}  // namespace
}  // namespace carebridge::gateway
