// GET /referrals/{id}: a stored referral in the format the caller asks for, its read audited first.
#include "api/pipeline.hpp"

#include <algorithm>

#include "audit/detail.hpp"
#include "http/negotiation.hpp"
#include "http/outcome.hpp"
#include "intake/disclosures.hpp"
#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::api {

using http::outcome_response;
using translation::Format;

void Pipeline::read_referral(const http::Request& request, const Screened& screened, Reply reply) {
    http::Response r = render_referral(request, screened);
    if (r.status != 200) return reply(std::move(r));
    // Who viewed whose referral is logged before they see it.
    const auto config = this->config();
    const intake::Actor actor = intake::actor_of(screened.principal, *config,
                                 screened.principal.roles.has(config::Role::admin) ? "admin" : "submitter");
    std::error_code ignored;
    store::StoredMessage viewed;
    viewed.id = screened.parameter;
    if (auto m = store_.find_message(screened.parameter, ignored)) {
        viewed.nhs_number = m->nhs_number;
        viewed.referral_id = m->referral_id;
    }
    store::WriteSet writes;
    writes.audit.push_back(intake::message_event(audit::AuditAction::read, actor, viewed, audit::outcome::success,
                                         audit::Detail().add("format", r.content_type).text()));
    store_.commit(std::move(writes), [this, reply = std::move(reply), r = std::move(r)](store::CommitResult result) mutable {
        if (result.error) {
            http::Response unavailable = reject(http::Rejection::store_unavailable, 503, "transient",
                                          "the read could not be recorded; nothing was disclosed");
            unavailable.headers.emplace_back("Retry-After", "1");
            return reply(std::move(unavailable));
        }
        reply(std::move(r));
    });
}

http::Response Pipeline::render_referral(const http::Request& request, const Screened& screened) {
    std::error_code error;
    auto message = store_.find_message(screened.parameter, error);
    if (error) {
        http::Response r = reject(http::Rejection::store_unavailable, 503, "transient", "the store is not reachable");
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }
    // Another organisation's referral is answered as absent: its existence is not ours to disclose.
    if (!message || (message->sender != screened.principal.organisation &&
                     !screened.principal.roles.has(config::Role::admin)))
        return reject(http::Rejection::not_found, 404, "not-found", "no referral with that id");
    if (message->payload.empty())
        return outcome_response(410, "error", "deleted",
                                "this referral's content was purged after the partnership's retention period; "
                                "its audit trail remains");
    const auto source = translation::parse_format(message->source_format);
    const auto wanted = http::negotiate(request.accept, Format::fhir);
    if (!source || !wanted) return reject(http::Rejection::not_acceptable, 406, "not-supported", "no acceptable format");

    http::Response r;
    r.content_type = std::string(http::media_type(*wanted));
    r.headers.emplace_back("Content-Location", "/referrals/" + message->id);
    if (*wanted == *source) {
        r.body = std::move(message->payload);
        return r;
    }
    // Re-read from the original payload so nothing the partnership format
    // cannot hold is lost on the way to the format asked for.
    issues::IssueSink sink;
    codec::DecodeOptions options;
    options.limits.max_document_bytes = std::max(options.limits.max_document_bytes, message->payload.size());
    auto record = translation::decode_document(*source, message->payload, options, sink);
    if (!record) return outcome_response(500, "fatal", "exception", "the stored message no longer decodes");
    issues::IssueSink encode_sink;
    r.body = translation::encode_document(*wanted, *record, false, encode_sink);
    if (r.body.empty())
        return reject(http::Rejection::not_acceptable, 406, "not-supported",
                      "this message cannot be written as " + std::string(http::media_type(*wanted)) + ": " +
                          issues::one_line_summary(encode_sink));
    return r;
}

}  // namespace carebridge::gateway::api
