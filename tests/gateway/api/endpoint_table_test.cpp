// The endpoint table: its factory refuses a misdeclared endpoint (so the
// gateway does not start on it), and every declared route answers every role
// on the running gateway exactly as the table says.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/endpoint_table.hpp"
#include "api/pipeline.hpp"
#include "config/config.hpp"
#include "http/metrics.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"
#include "support/demo_gateway.hpp"
#include "support/gateway_fixture.hpp"

namespace carebridge {
namespace {

using gateway::api::Access;
using gateway::api::Endpoint;
using gateway::api::EndpointTable;
using gateway::config::Role;
using gateway::http::Method;
using gateway::http::RouteId;

Endpoint well_formed(std::string pattern = "/referrals") {
    Endpoint e;
    e.pattern = std::move(pattern);
    e.methods = {Method::post};
    e.access = Access::roles({Role::submitter});
    e.route = RouteId::referral_post;
    e.handler = [](gateway::http::Request, const gateway::api::Screened&, gateway::api::EndpointReply reply) {
        reply({});
    };
    return e;
}

std::string refusal(Endpoint e) {
    std::vector<Endpoint> endpoints;
    endpoints.push_back(std::move(e));
    std::string error;
    EXPECT_FALSE(EndpointTable::create(std::move(endpoints), error));
    return error;
}

TEST(EndpointTable, AnEndpointWithoutDeclaredRolesIsRefused) {
    Endpoint undeclared = well_formed();
    undeclared.access = Access();
    EXPECT_NE(refusal(undeclared).find("declares no roles"), std::string::npos);
    Endpoint nobody = well_formed();
    nobody.access = Access::roles({});
    EXPECT_NE(refusal(nobody).find("empty set of roles"), std::string::npos);
}

TEST(EndpointTable, EveryOtherMisdeclarationIsRefusedWithItsEndpointNamed) {
    Endpoint no_method = well_formed();
    no_method.methods.clear();
    EXPECT_NE(refusal(no_method).find("no methods"), std::string::npos);
    Endpoint no_handler = well_formed();
    no_handler.handler = nullptr;
    EXPECT_NE(refusal(no_handler).find("no handler"), std::string::npos);
    Endpoint no_route = well_formed();
    no_route.route = RouteId::unmatched;
    EXPECT_NE(refusal(no_route).find("route id"), std::string::npos);
    Endpoint no_limit = well_formed();
    no_limit.body_limit = nullptr;
    EXPECT_NE(refusal(no_limit).find("body limit"), std::string::npos);
    Endpoint no_timeout = well_formed();
    no_timeout.body_timeout = nullptr;
    EXPECT_NE(refusal(no_timeout).find("timeout"), std::string::npos);
    EXPECT_NE(refusal(well_formed("referrals")).find("endpoint referrals"), std::string::npos);
    EXPECT_NE(refusal(well_formed("/referrals/{who}")).find("unknown placeholder {who}"), std::string::npos);
    EXPECT_NE(refusal(well_formed("/ui/{tail}/x")).find("before its last segment"), std::string::npos);

    std::vector<Endpoint> twice;
    twice.push_back(well_formed());
    twice.push_back(well_formed());
    std::string error;
    EXPECT_FALSE(EndpointTable::create(std::move(twice), error));
    EXPECT_NE(error.find("declared twice"), std::string::npos);
}

TEST(EndpointTable, PlaceholdersTakeOnlyWhatTheirNameSays) {
    gateway::api::PathParameters p;
    EXPECT_TRUE(gateway::api::path_fits("/audit/events/{seq}", "/audit/events/12", p));
    EXPECT_EQ(p.number("seq"), 12u);
    EXPECT_FALSE(gateway::api::path_fits("/audit/events/{seq}", "/audit/events/0", p));
    EXPECT_TRUE(gateway::api::path_fits("/fhir/{type}", "/fhir/Patient", p));
    EXPECT_FALSE(gateway::api::path_fits("/fhir/{type}", "/fhir/patient", p));
    EXPECT_FALSE(gateway::api::path_fits("/referrals/{id}/status", "/referrals/ABC/status", p));
    EXPECT_TRUE(gateway::api::path_fits("/referrals/{tail}", "/referrals/a/b", p));
    EXPECT_EQ(p.get("tail"), "a/b");
    EXPECT_FALSE(gateway::api::path_fits("/referrals/{tail}", "/referrals/", p));
    EXPECT_TRUE(gateway::api::path_fits("/ui/audit/{file}", "/ui/audit/", p));
    EXPECT_FALSE(gateway::api::path_fits("/partners/{org}/inbox", "/partners//inbox", p));
    EXPECT_FALSE(gateway::api::path_fits("/partners/{org}/inbox", "/partners/mind/inbox/", p));
}

// A concrete target for a pattern: each placeholder filled with a value it takes.
std::string sample_target(const std::string& pattern) {
    std::string target = pattern;
    const std::vector<std::pair<std::string, std::string>> samples = {
        {"{seq}", "1"},   {"{type}", "Patient"}, {"{id}", "0a1b-2c"},
        {"{org}", "mind"}, {"{tail}", "00000000-0000-4000-8000-000000000000"}, {"{file}", "index.html"}};
    for (const auto& [placeholder, value] : samples)
        if (const auto at = target.find(placeholder); at != std::string::npos) target.replace(at, placeholder.size(), value);
    return target;
}

std::string method_name(Method m) { return m == Method::post ? "POST" : "GET"; }

TEST(EndpointTable, EveryRouteAnswersEveryRoleOnTheRunningGatewayAsDeclared) {
    testing::TempDir dir;
    // The demo partnership has a token for each role.
    std::string error;
    auto loaded = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
    ASSERT_TRUE(loaded) << error;
    loaded->store.sqlite_directory = (dir.path() / "table").string();
    const auto config = std::make_shared<const gateway::config::Config>(std::move(*loaded));
    gateway::store::SqliteOptions options;
    options.directory = config->store.sqlite_directory;
    std::error_code store_error;
    auto store = gateway::store::open_sqlite_store(options, store_error, error);
    ASSERT_TRUE(store) << error;
    gateway::http::Metrics metrics;
    gateway::api::Pipeline pipeline(config, *store, metrics);
    ASSERT_EQ(pipeline.startup_error(), "");
    ASSERT_NE(pipeline.endpoints(), nullptr);

    testing::DemoGateway running(dir.path() / "gateway");
    ASSERT_TRUE(running.ok());
    auto client = running.client();

    struct Caller {
        std::string token;  // empty: no credentials
        gateway::config::Roles roles;
    };
    const auto roles_of = [](Role role) {
        gateway::config::Roles r;
        r.add(role);
        return r;
    };
    const std::vector<Caller> callers = {{"", {}},
                                         {"not-a-token", {}},
                                         {"demo-trust", roles_of(Role::submitter)},
                                         {"demo-mind", roles_of(Role::partner)},
                                         {"demo-auditor", roles_of(Role::auditor)},
                                         {"demo-admin", roles_of(Role::admin)}};
    std::size_t checked = 0;
    for (const Endpoint& endpoint : pipeline.endpoints()->endpoints()) {
        for (const Method method : endpoint.methods) {
            const std::string target = sample_target(endpoint.pattern);
            for (const Caller& caller : callers) {
                testing::Request request;
                request.method = method_name(method);
                request.target = target;
                if (!caller.token.empty()) request.headers.emplace_back("Authorization", testing::bearer(caller.token));
                const testing::Response r = client.request(request);
                ASSERT_FALSE(r.error) << r.failed_step << " " << target;
                const std::string who = request.method + " " + target + " as " +
                                        (caller.token.empty() ? "nobody" : caller.token) + ": " +
                                        std::to_string(r.status) + " " + r.body;
                if (endpoint.access.open()) {
                    EXPECT_NE(r.status, 401u) << who;
                    EXPECT_NE(r.status, 403u) << who;
                } else if (caller.roles.bits == 0) {
                    EXPECT_EQ(r.status, 401u) << who;
                } else if (endpoint.access.admits(caller.roles)) {
                    EXPECT_NE(r.status, 401u) << who;
                    EXPECT_NE(r.status, 403u) << who;
                } else {
                    EXPECT_EQ(r.status, 403u) << who;
                }
                ++checked;
            }
        }
    }
    EXPECT_GE(checked, 20u * callers.size());
}

}  // namespace
}  // namespace carebridge
