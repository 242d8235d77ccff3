// The gateway's endpoint table, declared in one place. A path is tried
// against these in order: the more specific pattern before the one it would
// also fit (/fhir/Task before /fhir/{type}, /referrals/{id}/status before
// /referrals/{tail}).

#include "api/partner_api.hpp"
#include "api/pipeline.hpp"
#include "api/status_api.hpp"
#include "api/triage_api.hpp"
#include "ui/ui_assets.hpp"

namespace carebridge::gateway::api {

std::vector<Endpoint> Pipeline::declare_endpoints() {
    using config::Role;
    std::vector<Endpoint> endpoints;
    const auto declare = [&](std::string pattern, http::Method method, Access access, http::RouteId route,
                             EndpointHandler handler) -> Endpoint& {
        Endpoint e;
        e.pattern = std::move(pattern);
        e.methods = {method};
        e.access = access;
        e.route = route;
        e.handler = std::move(handler);
        return endpoints.emplace_back(std::move(e));
    };

    // The auditor's page is static files; the data it shows comes from /audit with a token.
    const EndpointHandler ui_file = [](http::Request request, const Screened&, EndpointReply reply) {
        reply(ui::ui_asset_response(ui::match_ui_route(request.method, request.target)));
    };
    declare("/ui/audit", http::Method::get, Access::anyone(), http::RouteId::ui, ui_file);
    declare("/ui/audit/{file}", http::Method::get, Access::anyone(), http::RouteId::ui, ui_file);

    for (Endpoint& e : audit_endpoints([this] { return AuditApi{store_, config(), audit_verifier_}; }))
        endpoints.push_back(std::move(e));
    for (Endpoint& e : partner_endpoints([this] { return PartnerApi{store_, config(), outbox_queued_}; }))
        endpoints.push_back(std::move(e));
    for (Endpoint& e : status_endpoints([this] { return StatusApi{store_, config(), outbox_queued_}; }))
        endpoints.push_back(std::move(e));
    for (Endpoint& e : triage_endpoints([this] { return TriageApi{store_, config(), directory(), outbox_queued_}; }))
        endpoints.push_back(std::move(e));

    // Intake is for connected systems; each handler checks the body's format.
    const EndpointHandler intake = [this](http::Request request, const Screened& screened, EndpointReply reply) {
        this->intake(std::move(request), screened, std::move(reply));
    };
    declare("/fhir", http::Method::post, Access::roles({Role::submitter}), http::RouteId::fhir_bundle, intake);
    declare("/fhir/{type}", http::Method::post, Access::roles({Role::submitter}), http::RouteId::fhir_resource,
            intake);
    Endpoint& carenotes = declare("/carenotes/exports", http::Method::post, Access::roles({Role::submitter}),
                                  http::RouteId::carenotes_export,
                                  [this](http::Request request, const Screened& screened, EndpointReply reply) {
                                      intake_export(std::move(request), screened, std::move(reply));
                                  });
    carenotes.body_limit = &config::Limits::max_export_body_bytes;
    carenotes.body_to_file = true;
    declare("/referrals", http::Method::post, Access::roles({Role::submitter}), http::RouteId::referral_post, intake);
    // A referral is read by the organisation that sent it (partners get theirs
    // through routing); auditors read metadata, never payloads.
    declare("/referrals/{tail}", http::Method::get, Access::roles({Role::submitter, Role::admin}),
            http::RouteId::referral_get, [this](http::Request request, const Screened& screened, EndpointReply reply) {
                read_referral(request, screened, std::move(reply));
            });
    // Stateless translation stores and discloses nothing.
    declare("/translate", http::Method::post, Access::roles({Role::submitter, Role::partner, Role::admin}),
            http::RouteId::translate, [this](http::Request request, const Screened&, EndpointReply reply) {
                reply(translate(request));
            });

    // Probes and metrics answer without credentials: they carry no patient data
    // and a load balancer must reach them.
    declare("/healthz", http::Method::get, Access::anyone(), http::RouteId::healthz,
            [this](http::Request, const Screened&, EndpointReply reply) { reply(health()); });
    declare("/readyz", http::Method::get, Access::anyone(), http::RouteId::readyz,
            [this](http::Request, const Screened&, EndpointReply reply) { reply(ready()); });
    declare("/metrics", http::Method::get, Access::anyone(), http::RouteId::metrics,
            [this](http::Request, const Screened&, EndpointReply reply) { reply(metrics_text()); });
    return endpoints;
}

}  // namespace carebridge::gateway::api
