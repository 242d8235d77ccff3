// The partner inbox and the admin dead-letter endpoints over a real store: a
// partner pages through its own items and no one else's, acknowledges them
// idempotently, every read is audited; an admin sees dead letters with their
// count and puts them back in the queue one at a time or a recipient's all at once.

#include <gtest/gtest.h>

#include <stdexcept>
#include <rapidjson/document.h>

#include "delivery/outbox_fixture.hpp"
#include "api/partner_api.hpp"
#include "http/outcome.hpp"

namespace carebridge::testing {
namespace {

using gateway::config::Role;
using gateway::http::Method;
using gateway::http::Principal;
using gateway::http::Request;
using gateway::http::Response;
using gateway::store::OutboxState;

Principal partner_of(std::string organisation) {
    Principal p;
    p.client = organisation + "-inbox";
    p.organisation = std::move(organisation);
    p.roles.add(Role::partner);
    return p;
}

Principal admin() {
    Principal p;
    p.client = "gateway-admin";
    p.organisation = "trust";
    p.roles.add(Role::admin);
    return p;
}

class PartnerApiTest : public ::testing::Test {
protected:
    void SetUp() override { s = open_outbox_store(dir.path()); }

    // Runs the request through the router the pipeline uses and waits for the reply.
    Response call(Method method, const std::string& target, const Principal& principal) {
        Request request;
        request.method = method;
        request.target = target;
        // The partner endpoints as the gateway's table declares them: 404, 403 as screen() answers, else the handler.
        std::string error;
        const auto table = gateway::api::EndpointTable::create(gateway::api::partner_endpoints([this] {
                                                                    return gateway::api::PartnerApi{
                                                                        *s, config, [this] { ++requeued_calls; }};
                                                                }),
                                                                error);
        EXPECT_TRUE(table) << error;
        if (!table) return {};
        const auto match = table->match(method, target);
        if (!match.endpoint) return gateway::http::outcome_response(404, "error", "not-found", "no such endpoint");
        EXPECT_TRUE(match.method_ok) << target;
        if (!match.endpoint->access.admits(principal.roles))
            return gateway::http::outcome_response(403, "error", "forbidden", "not this role");
        gateway::api::Screened screened;
        screened.principal = principal;
        screened.parameters = match.parameters;
        auto promise = std::make_shared<std::promise<Response>>();
        auto future = promise->get_future();
        match.endpoint->handler(request, screened, [promise](Response r) { promise->set_value(std::move(r)); });
        return future.get();
    }

    static rapidjson::Document json(const Response& r) {
        rapidjson::Document d;
        d.Parse(r.body.c_str());
        EXPECT_FALSE(d.HasParseError()) << r.body;
        return d;
    }

    // n messages, each with a copy for Befriending and one for Mind; Befriending's ids.
    std::vector<std::string> queue_for_both(int n) {
        std::vector<std::string> befriend;
        for (int i = 1; i <= n; ++i) {
            const auto m = message_numbered(i);
            const auto ids = queue_message(*s, m, {item_for(m, "befriend"), item_for(m, "mind")});
            befriend.push_back(ids.at(0));
            mind.push_back(ids.at(1));
        }
        return befriend;
    }

    void kill(const std::string& id, unsigned attempts = 3) {
        store::WriteSet writes;
        store::OutboxUpdate u;
        u.id = id;
        u.state = OutboxState::dead;
        u.attempts = attempts;
        u.last_error = "HTTP 500";
        writes.outbox_updates.push_back(u);
        ASSERT_FALSE(commit_now(*s, std::move(writes)).error);
    }

    std::size_t audited(gateway::audit::AuditAction action) {
        gateway::audit::AuditQuery query;
        query.actions = {action};
        query.limit = 1000;
        std::error_code error;
        return s->find_audit_entries(query, error).size();
    }

    TempDir dir;
    std::unique_ptr<store::Store> s;
    std::shared_ptr<const gateway::config::Config> config = partnership_config();
    std::vector<std::string> mind;
    int requeued_calls = 0;
};

TEST(PartnerRoutes, MatchTheFivePathsAndNothingElse) {
    std::string error;
    const auto table = gateway::api::EndpointTable::create(
        gateway::api::partner_endpoints([]() -> gateway::api::PartnerApi { throw std::logic_error("not called"); }),
        error);
    ASSERT_TRUE(table) << error;
    const auto pattern = [&](Method method, std::string_view target) {
        const auto m = table->match(method, target);
        return m.endpoint ? m.endpoint->pattern : std::string("none");
    };
    auto r = table->match(Method::get, "/partners/befriend/inbox?after=3&limit=2");
    EXPECT_EQ(r.endpoint->pattern, "/partners/{org}/inbox");
    EXPECT_EQ(r.parameters.get("org"), "befriend");
    EXPECT_TRUE(r.method_ok);
    r = table->match(Method::post, "/partners/befriend/inbox/0a1b-2c/ack");
    EXPECT_EQ(r.endpoint->pattern, "/partners/{org}/inbox/{id}/ack");
    EXPECT_EQ(r.parameters.get("id"), "0a1b-2c");
    EXPECT_EQ(pattern(Method::get, "/admin/dead-letters?recipient=mind"), "/admin/dead-letters");
    EXPECT_EQ(pattern(Method::post, "/admin/dead-letters/retry?recipient=mind"), "/admin/dead-letters/retry");
    r = table->match(Method::post, "/admin/dead-letters/0a1b/retry");
    EXPECT_EQ(r.endpoint->pattern, "/admin/dead-letters/{id}/retry");
    EXPECT_EQ(r.parameters.get("id"), "0a1b");

    r = table->match(Method::post, "/partners/befriend/inbox");
    EXPECT_EQ(r.endpoint->pattern, "/partners/{org}/inbox");
    EXPECT_FALSE(r.method_ok);  // 405 with Allow: GET, HEAD
    EXPECT_EQ(r.allow, "GET, HEAD");
    for (const char* other : {"/partners/befriend", "/partners//inbox", "/partners/befriend/inbox/",
                              "/partners/befriend/inbox/ID/ack", "/partners/a%2Fb/inbox", "/admin/dead-letters/x/y",
                              "/referrals"})
        EXPECT_EQ(pattern(Method::get, other), "none") << other;
}

TEST_F(PartnerApiTest, APartnerPagesThroughItsOwnItemsWithTheCursor) {
    const auto befriend = queue_for_both(5);
    std::vector<std::string> seen;
    std::string target = "/partners/befriend/inbox?limit=2";
    for (int page = 0; page < 5; ++page) {
        const Response r = call(Method::get, target, partner_of("befriend"));
        ASSERT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(r.content_type, "application/json");
        const auto d = json(r);
        for (const auto& item : d["items"].GetArray()) {
            seen.push_back(item["id"].GetString());
            EXPECT_STREQ(item["state"].GetString(), "pending");
            EXPECT_STREQ(item["content_type"].GetString(), "application/vnd.carebridge.referral+json");
            // The document is embedded as JSON, and it is Befriending's copy.
            ASSERT_TRUE(item["document"].IsObject());
            EXPECT_STREQ(item["document"]["for"].GetString(), "befriend");
        }
        if (d["next"].IsNull()) break;
        target = std::string("/partners/befriend/inbox?limit=2&after=") + d["next"].GetString();
    }
    EXPECT_EQ(seen, befriend);
    // Each item handed out is recorded as a read before it is sent.
    EXPECT_EQ(audited(gateway::audit::AuditAction::read), 5u);

    // A polling script resumes after the last item it saw; nothing new, nothing returned.
    const auto last = json(call(Method::get, "/partners/befriend/inbox", partner_of("befriend")));
    const std::string cursor = last["items"][4]["cursor"].GetString();
    const auto empty = json(call(Method::get, "/partners/befriend/inbox?after=" + cursor, partner_of("befriend")));
    EXPECT_EQ(empty["items"].Size(), 0u);
    EXPECT_TRUE(empty["next"].IsNull());
}

TEST_F(PartnerApiTest, APartnerNeverSeesAnotherPartnersInbox) {
    queue_for_both(2);
    // Mind asking for Befriending's inbox is told there is no such inbox.
    Response r = call(Method::get, "/partners/befriend/inbox", partner_of("mind"));
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body.find("befriend\"}"), std::string::npos);
    r = call(Method::get, "/partners/nobody/inbox", partner_of("mind"));
    EXPECT_EQ(r.status, 404u);
    // Its own, by id or by ODS code, holds only its own copies.
    for (const char* own : {"/partners/mind/inbox", "/partners/DMN01/inbox"}) {
        r = call(Method::get, own, partner_of("mind"));
        ASSERT_EQ(r.status, 200u);
        const auto d = json(r);
        ASSERT_EQ(d["items"].Size(), 2u);
        for (const auto& item : d["items"].GetArray()) EXPECT_STREQ(item["document"]["for"].GetString(), "mind");
    }
    // An admin is not a partner: no inbox.
    EXPECT_EQ(call(Method::get, "/partners/mind/inbox", admin()).status, 403u);
    // A malformed cursor or page size is a 400, not an empty page.
    EXPECT_EQ(call(Method::get, "/partners/mind/inbox?after=x", partner_of("mind")).status, 400u);
    EXPECT_EQ(call(Method::get, "/partners/mind/inbox?limit=0", partner_of("mind")).status, 400u);
    EXPECT_EQ(call(Method::get, "/partners/mind/inbox?limit=999", partner_of("mind")).status, 400u);
}

TEST_F(PartnerApiTest, AcknowledgingIsIdempotentAndOnlyForTheOwner) {
    const auto befriend = queue_for_both(2);
    const std::string ack = "/partners/befriend/inbox/" + befriend[0] + "/ack";
    Response r = call(Method::post, ack, partner_of("befriend"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_STREQ(json(r)["state"].GetString(), "acknowledged");
    r = call(Method::post, ack, partner_of("befriend"));
    EXPECT_EQ(r.status, 200u);
    EXPECT_STREQ(json(r)["state"].GetString(), "acknowledged");
    EXPECT_EQ(audited(gateway::audit::AuditAction::delivered), 1u);  // the repeat records nothing more

    std::error_code error;
    EXPECT_EQ(s->find_outbox_item(befriend[0], error)->state, OutboxState::acknowledged);
    EXPECT_EQ(s->find_outbox_item(befriend[1], error)->state, OutboxState::pending);

    // Mind's item through Befriending's inbox, or Befriending's through Mind's: absent.
    EXPECT_EQ(call(Method::post, "/partners/befriend/inbox/" + mind[0] + "/ack", partner_of("befriend")).status,
              404u);
    EXPECT_EQ(call(Method::post, "/partners/mind/inbox/" + befriend[1] + "/ack", partner_of("mind")).status, 404u);
    EXPECT_EQ(call(Method::post, "/partners/befriend/inbox/" + befriend[1] + "/ack", partner_of("mind")).status,
              404u);
    EXPECT_EQ(call(Method::post, "/partners/befriend/inbox/0000-ffff/ack", partner_of("befriend")).status, 404u);
    EXPECT_EQ(s->find_outbox_item(mind[0], error)->state, OutboxState::pending);
    EXPECT_EQ(s->find_outbox_item(befriend[1], error)->state, OutboxState::pending);
}

TEST_F(PartnerApiTest, AnAdminSeesDeadLettersWithTheirCountAndRetriesThem) {
    const auto befriend = queue_for_both(3);
    for (const auto& id : befriend) kill(id);
    kill(mind[0]);

    Response r = call(Method::get, "/admin/dead-letters", admin());
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(json(r)["count"].GetUint64(), 4u);
    r = call(Method::get, "/admin/dead-letters?recipient=befriend&limit=2", admin());
    auto d = json(r);
    EXPECT_EQ(d["count"].GetUint64(), 3u);  // the count before a bulk retry, whatever the page size
    ASSERT_EQ(d["items"].Size(), 2u);
    EXPECT_STREQ(d["items"][0]["last_error"].GetString(), "HTTP 500");
    EXPECT_EQ(d["items"][0]["attempts"].GetUint(), 3u);
    EXPECT_FALSE(d["items"][0].HasMember("document"));  // where and why, never what
    EXPECT_FALSE(d["next"].IsNull());

    // One retried: pending, attempts reset, due at once; the second time it is no dead letter.
    r = call(Method::post, "/admin/dead-letters/" + befriend[0] + "/retry", admin());
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(requeued_calls, 1);
    std::error_code error;
    auto item = s->find_outbox_item(befriend[0], error);
    EXPECT_EQ(item->state, OutboxState::pending);
    EXPECT_EQ(item->attempts, 0u);
    EXPECT_EQ(item->next_attempt_at, std::chrono::system_clock::time_point{});
    EXPECT_EQ(call(Method::post, "/admin/dead-letters/" + befriend[0] + "/retry", admin()).status, 409u);
    EXPECT_EQ(call(Method::post, "/admin/dead-letters/0000-ffff/retry", admin()).status, 404u);

    // The rest of Befriending's, at once; Mind's stays dead.
    r = call(Method::post, "/admin/dead-letters/retry?recipient=befriend", admin());
    ASSERT_EQ(r.status, 200u) << r.body;
    d = json(r);
    EXPECT_EQ(d["requeued"].GetUint64(), 2u);
    EXPECT_EQ(d["remaining"].GetUint64(), 0u);
    EXPECT_EQ(requeued_calls, 2);
    EXPECT_EQ(items_of(*s, "befriend", OutboxState::pending).size(), 3u);
    EXPECT_EQ(json(call(Method::get, "/admin/dead-letters", admin()))["count"].GetUint64(), 1u);
    EXPECT_EQ(audited(gateway::audit::AuditAction::retried), 3u);  // each retry recorded

    EXPECT_EQ(call(Method::post, "/admin/dead-letters/retry", admin()).status, 400u);  // whose?
    EXPECT_EQ(call(Method::get, "/admin/dead-letters", partner_of("befriend")).status, 403u);
    EXPECT_EQ(call(Method::post, "/admin/dead-letters/retry?recipient=mind", partner_of("mind")).status, 403u);
}

}  // namespace
}  // namespace carebridge::testing
