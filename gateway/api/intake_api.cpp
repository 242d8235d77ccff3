// The intake endpoints: POST /fhir, /fhir/{type}, /referrals and
// /carenotes/exports, each a mapping from HTTP to the intake stages (decode,
// plan, commit in gateway/intake/) and from their results to a response and
// its metrics.
#include "api/pipeline.hpp"

#include <condition_variable>
#include <deque>
#include <thread>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "audit/detail.hpp"
#include "http/negotiation.hpp"
#include "http/outcome.hpp"
#include "intake/commit.hpp"
#include "intake/decode.hpp"
#include "intake/export_intake.hpp"
#include "intake/plan.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge::gateway::api {

using http::decode_failure_status;
using http::fhir_json;
using http::outcome_of;
using http::outcome_response;
using translation::Format;

namespace {

// The export lane: care-notes exports are long (a gigabyte takes seconds),
// so they run one at a time on their own thread instead of holding a
// request thread, and only a few may wait.
class ExportLane {
public:
    static ExportLane& instance() {
        static ExportLane lane;
        return lane;
    }
    bool submit(std::function<void()> job) {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_waiting) return false;
        queue_.push_back(std::move(job));
        wake_.notify_one();
        return true;
    }
    ~ExportLane() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            wake_.notify_all();
        }
        if (worker_.joinable()) worker_.join();
    }

private:
    static constexpr std::size_t max_waiting = 4;
    ExportLane() : worker_([this] { run(); }) {}
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            job();
        }
    }
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace

void Pipeline::intake(http::Request request, const Screened& screened, Reply reply) {
    const auto config = this->config();
    const intake::Actor actor = intake::actor_of(screened.principal, *config, "submitter");
    intake::DecodeRequest wanted;
    wanted.format = screened.route == http::RouteId::referral_post ? Format::referral
                    : http::format_of_content_type(request.content_type, Format::fhir) == Format::fhir_stu3
                        ? Format::fhir_stu3
                        : Format::fhir;
    if (screened.route == http::RouteId::fhir_resource) wanted.expected_type = screened.parameter;
    wanted.require_referral = screened.route != http::RouteId::fhir_resource;
    wanted.options.limits = config->limits.decode;
    wanted.options.limits.max_document_bytes = config->limits.max_json_body_bytes;
    intake::Decoded decoded = intake::decode_document(request.body, wanted);
    switch (decoded.status) {
        case intake::DecodeStatus::decoded: break;
        case intake::DecodeStatus::unreadable:
        case intake::DecodeStatus::invalid: {
            const issues::IssueSink& sink = decoded.issues;
            metrics_.count_rejection(decoded.status == intake::DecodeStatus::unreadable ? http::Rejection::malformed
                                                                                        : http::Rejection::invalid_content);
            return record_rejection(actor, {}, "validation",
                                    sink.count(issues::Severity::fatal) + sink.count(issues::Severity::error),
                                    outcome_of(decode_failure_status(sink), sink), std::move(reply));
        }
        case intake::DecodeStatus::wrong_type:
            return reply(reject(http::Rejection::invalid_content, 422, "invalid",
                                "the body is a " + decoded.document_type + ", not a " + screened.parameter));
        case intake::DecodeStatus::no_referral:
            return reply(reject(http::Rejection::invalid_content, 422, "required",
                                "the document holds no referral (a ServiceRequest or a partnership referral)"));
    }

    // The sender's own name for this message makes a resend recognisable.
    intake::Arrival arrival{screened.principal, decoded.format, request.content_type,
                            request.idempotency_key.empty() ? decoded.sender_key : request.idempotency_key};
    intake::IntakePlan plan = intake::plan_intake(*decoded.record, std::move(request.body), decoded.issues, arrival,
                                                  {config, this->directory()}, std::chrono::system_clock::now());
    switch (plan.status) {
        case intake::PlanStatus::accepted: break;
        case intake::PlanStatus::triaged: return commit(std::move(plan.writes), true, std::move(reply));
        case intake::PlanStatus::no_id: {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                      "the gateway could not draw a random id; nothing was kept, send it again");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        case intake::PlanStatus::refused: {
            metrics_.count_rejection(http::Rejection::not_routable);
            http::Response r = outcome_response(plan.refusal->status, "error", "business-rule", plan.refusal->message);
            // The refusal is answered whatever the log's fate: nothing else was to be stored.
            intake::commit_intake(store_, std::move(plan.writes),
                                  [reply = std::move(reply), r = std::move(r)](intake::CommitOutcome) mutable {
                                      reply(std::move(r));
                                  });
            return;
        }
    }
    commit(std::move(plan.writes), false, std::move(reply));
}

void Pipeline::record_rejection(const intake::Actor& actor, const std::string& patient, std::string_view reason,
                                std::size_t issues, http::Response response, Reply reply) {
    store::WriteSet writes;
    audit::AuditEvent e;
    e.action = audit::AuditAction::rejected;
    e.actor_organisation = actor.ods;
    e.actor_client = actor.client;
    e.actor_role = actor.role;
    e.patient = patient;
    e.outcome = audit::outcome::denied;
    e.detail = audit::Detail().add("reason", reason).add("status", response.status).add("issues", issues).text();
    writes.audit.push_back(std::move(e));
    // The sender's answer does not wait on the log's fate: a rejection stores nothing else.
    store_.commit(std::move(writes), [reply = std::move(reply), response = std::move(response)](
                                         store::CommitResult) mutable { reply(std::move(response)); });
}

void Pipeline::commit(store::WriteSet writes, bool triaged, Reply reply) {
    intake::commit_intake(store_, std::move(writes), [this, triaged,
                                                      reply = std::move(reply)](intake::CommitOutcome outcome) {
        if (outcome.status == intake::CommitStatus::store_failed || outcome.messages.empty()) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                      "the message could not be stored; nothing was kept, send it again");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        const intake::CommittedMessage& stored = outcome.messages.front();
        // A resend is answered as its original was: held for triage or routed.
        bool held = triaged;
        if (stored.duplicate) {
            std::error_code error;
            held = store_.find_triage_item(stored.id, error).has_value();
        }
        http::Response r;
        r.status = held ? 202 : 201;
        r.content_type = std::string(fhir_json);
        r.body = stored.outcome;
        if (held) {
            if (!stored.duplicate) metrics_.count_triaged();
            r.headers.emplace_back("Location", intake::task_location(stored.id));
            r.headers.emplace_back("Content-Location", "/referrals/" + stored.id);
        } else {
            r.headers.emplace_back("Location", "/referrals/" + stored.id);
        }
        if (stored.duplicate) r.headers.emplace_back("Idempotent-Replayed", "true");
        if (outcome.queued > 0 && outbox_queued_) outbox_queued_();
        reply(std::move(r));
    });
}

namespace {

// The summary a care-notes sender gets back: counts, where each accepted
// client went, each refused client with the reason, and the issues of those rejected.
std::string render_export_summary(const intake::ExportSummary& s) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("accepted");
    w.Uint64(s.accepted);
    w.Key("duplicates");
    w.Uint64(s.duplicates);
    w.Key("triaged");
    w.Uint64(s.triaged);
    w.Key("rejected");
    w.Uint64(s.rejected);
    w.Key("refused");
    w.Uint64(s.refused);
    w.Key("complete");
    w.Bool(!s.fatal);
    w.Key("referrals");
    w.StartArray();
    for (const auto& [client, id] : s.stored) {
        w.StartObject();
        w.Key("client");
        w.Uint64(client);
        w.Key("location");
        const std::string location = "/referrals/" + id;
        w.String(location.c_str(), static_cast<rapidjson::SizeType>(location.size()));
        w.EndObject();
    }
    w.EndArray();
    w.Key("refusals");
    w.StartArray();
    for (const auto& refusal : s.refusals) {
        w.StartObject();
        w.Key("client");
        w.Uint64(refusal.client);
        w.Key("status");
        w.Uint(refusal.status);
        w.Key("reason");
        w.String(refusal.message.c_str(), static_cast<rapidjson::SizeType>(refusal.message.size()));
        w.EndObject();
    }
    w.EndArray();
    w.Key("outcome");
    const std::string outcome = issues::to_operation_outcome_json(s.issues);
    w.RawValue(outcome.c_str(), outcome.size(), rapidjson::kObjectType);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void Pipeline::intake_export(http::Request request, const Screened& screened, Reply reply) {
    auto job = [this, request = std::move(request), principal = screened.principal, reply]() mutable {
        issues::IssueSink opened;
        auto stream = intake::ExportStream::open_file(request.body_file, config()->limits.exports, opened);
        if (!stream) {
            // The session wrote this file whole; failing to open it is the gateway's fault, not the sender's.
            http::Response r = reject(http::Rejection::upload_io, 503, "transient",
                                      "the export could not be read back; nothing was stored, send it again");
            r.headers.emplace_back("Retry-After", "5");
            return reply(std::move(r));
        }
        intake::ExportOptions options;
        options.queued = [this] {
            if (outbox_queued_) outbox_queued_();
        };
        const intake::Arrival arrival{principal, Format::carenotes, request.content_type, request.idempotency_key};
        intake::ExportSummary summary =
            intake::take_in_export(*stream, arrival, {config(), directory()}, store_, options);
        // Each refused client counts as the same referral refused at POST /fhir would.
        for (std::size_t i = 0; i < summary.refused; ++i) metrics_.count_rejection(http::Rejection::not_routable);
        for (std::size_t i = 0; i < summary.triaged; ++i) metrics_.count_triaged();
        if (summary.status == intake::ExportStatus::store_failed) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                      "the store failed part-way; " + std::to_string(summary.accepted) +
                                          " clients were stored and a resend with the same Idempotency-Key skips them");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        http::Response r;
        r.content_type = "application/json";
        r.body = render_export_summary(summary);
        if (summary.accepted + summary.duplicates > 0)
            r.status = 201;
        else if (summary.triaged > 0)
            r.status = 202;  // held for triage, nothing routed yet
        else {
            r.status = summary.fatal ? 400 : 422;
            metrics_.count_rejection(summary.fatal ? http::Rejection::malformed : http::Rejection::invalid_content);
        }
        reply(std::move(r));
    };
    if (!ExportLane::instance().submit(std::move(job))) {
        http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                  "too many care-notes exports are waiting; retry later");
        r.headers.emplace_back("Retry-After", "5");
        reply(std::move(r));
    }
}

}  // namespace carebridge::gateway::api
