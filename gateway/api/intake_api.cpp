// The intake endpoints: POST /fhir, /fhir/{type}, /referrals and /carenotes/exports.
#include "api/pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <thread>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "audit/detail.hpp"
#include "carenotes/carenotes_codec.hpp"
#include "http/outcome.hpp"
#include "ids/uuid.hpp"
#include "intake/disclosures.hpp"
#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::api {

using http::decode_failure_status;
using http::fhir_json;
using http::outcome_of;
using http::outcome_response;
using translation::Format;

namespace {

// What a sender is told when its message is stored: where it is and what was
// not carried (warnings). Kept with the message for an idempotent repeat.
std::string accepted_outcome(issues::IssueSink& sink, const std::string& id) {
    sink.add(issues::Severity::information, issues::IssueType::informational, "", "accepted as /referrals/" + id);
    return issues::to_operation_outcome_json(sink);
}

// One stored message from a decoded record.
store::StoredMessage message_from(std::string id, const model::PersonRecord& record, const http::Principal& principal, Format format,
                                  std::string content_type, std::string payload, std::string idempotency_key) {
    store::StoredMessage m;
    m.id = std::move(id);
    m.sender = principal.organisation;
    m.client = principal.client;
    m.idempotency_key = std::move(idempotency_key);
    m.received_at = audit::now_instant();
    m.source_format = std::string(translation::to_string(format));
    m.content_type = std::move(content_type);
    m.payload = std::move(payload);
    m.nhs_number = record.person.nhs_number;
    if (!record.referrals.empty()) {
        m.referral_id = record.referrals.front().id;
        // The partnership format is the gateway's internal model; what it
        // cannot hold stays in the original payload, kept beside it.
        issues::IssueSink internal;
        m.canonical = translation::encode_document(Format::referral, record, false, internal);
    }
    return m;
}

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
    const Format format = screened.route == http::RouteId::referral_post ? Format::referral : Format::fhir;
    const auto config = this->config();
    const intake::Actor actor = intake::actor_of(screened.principal, *config, "submitter");
    codec::DecodeOptions options;
    options.limits.max_document_bytes = config->limits.max_json_body_bytes;
    issues::IssueSink sink;
    model::SourcePaths paths;
    auto record = translation::decode_document(format, request.body, options, sink, &paths);
    if (!record) {
        const bool fatal = sink.count(issues::Severity::fatal) > 0;
        metrics_.count_rejection(fatal ? http::Rejection::malformed : http::Rejection::invalid_content);
        return record_rejection(actor, {}, "validation", sink.count(issues::Severity::fatal) +
                                                                 sink.count(issues::Severity::error),
                                outcome_of(decode_failure_status(sink), sink), std::move(reply));
    }
    if (screened.route == http::RouteId::fhir_resource && paths.document_type != screened.parameter) {
        return reply(reject(http::Rejection::invalid_content, 422, "invalid",
                            "the body is a " + paths.document_type + ", not a " + screened.parameter));
    }
    if (screened.route != http::RouteId::fhir_resource && record->referrals.empty()) {
        return reply(reject(http::Rejection::invalid_content, 422, "required",
                            "the document holds no referral (a ServiceRequest or a partnership referral)"));
    }

    // The sender's own name for this message makes a resend recognisable.
    std::string key = request.idempotency_key;
    if (key.empty() && format == Format::fhir) key = paths.message_id;
    if (key.empty() && format == Format::referral && !record->referrals.empty())
        key = "referral|" + record->referrals.front().id + "|" + std::to_string(record->referrals.front().version);

    // No id, no message: a referral is never stored under an id that is not random.
    auto id = ids::random_uuid();
    if (!id) {
        http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                  "the gateway could not draw a random id; nothing was kept, send it again");
        r.headers.emplace_back("Retry-After", "1");
        return reply(std::move(r));
    }
    store::WriteSet writes;
    writes.messages.push_back(message_from(std::move(*id), *record, screened.principal, format, request.content_type,
                                           std::move(request.body), std::move(key)));
    const store::StoredMessage& message = writes.messages.back();
    const std::size_t warnings = sink.count(issues::Severity::warning);

    // Policy: who may receive it, and what each may see. A referral that
    // cannot go anywhere it asked is refused, and only the refusal is recorded.
    intake::DisclosurePlan plan;
    const auto now = std::chrono::system_clock::now();
    if (const auto directory = this->directory(); directory && !record->referrals.empty())
        plan = intake::plan_disclosures(*record, message, actor, screened.principal.organisation, *directory, now);
    if (plan.refusal) {
        metrics_.count_rejection(http::Rejection::not_routable);
        store::WriteSet refused;
        refused.audit = std::move(plan.audit);
        audit::AuditEvent rejected = intake::message_event(audit::AuditAction::rejected, actor, message, audit::outcome::denied,
                                                   audit::Detail().add("reason", "policy").add("status", plan.refusal->status).text());
        rejected.message_id.clear();  // nothing was stored under it
        refused.audit.push_back(std::move(rejected));
        for (auto& e : refused.audit) e.message_id.clear();
        http::Response r = outcome_response(plan.refusal->status, "error", "business-rule", plan.refusal->message);
        store_.commit(std::move(refused), [reply = std::move(reply), r = std::move(r)](store::CommitResult) mutable {
            reply(std::move(r));
        });
        return;
    }
    for (const auto& note : plan.notes)
        sink.add(issues::Severity::information, issues::IssueType::informational, "", note);
    writes.messages.back().outcome = accepted_outcome(sink, message.id);
    writes.audit.push_back(intake::message_event(audit::AuditAction::received, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("format", message.source_format)
                                             .add("bytes", message.payload.size())
                                             .text()));
    writes.audit.push_back(intake::message_event(audit::AuditAction::translated, actor, message, audit::outcome::success,
                                         audit::Detail()
                                             .add("from", message.source_format)
                                             .add("to", "referral")
                                             .add("warnings", warnings)
                                             .text()));
    for (auto& e : plan.audit) writes.audit.push_back(std::move(e));
    writes.outbox = std::move(plan.outbox);
    const bool queued = !writes.outbox.empty();
    // A red referral that went somewhere is timed: if nobody accepts it in
    // time its originator is told (escalate_overdue in status_api).
    if (queued && config->red_escalation_after.count() > 0 &&
        std::any_of(record->referrals.begin(), record->referrals.end(),
                    [](const model::Referral& r) { return r.priority == model::Priority::red; }))
        writes.escalation_timers.push_back(
            store::EscalationTimer{message.id, audit::format_instant(now + config->red_escalation_after)});
    commit(std::move(writes), "/referrals/", [this, queued, reply = std::move(reply)](http::Response r) {
        if (queued && r.status == 201 && outbox_queued_) outbox_queued_();
        reply(std::move(r));
    });
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

void Pipeline::commit(store::WriteSet writes, std::string location_base, Reply reply) {
    const std::string outcome = writes.messages.front().outcome;
    store_.commit(std::move(writes), [this, outcome, location_base = std::move(location_base),
                                      reply = std::move(reply)](store::CommitResult result) {
        if (result.error || result.messages.empty()) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                "the message could not be stored; nothing was kept, send it again");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        const store::MessageResult& stored = result.messages.front();
        http::Response r;
        r.status = 201;
        r.content_type = std::string(fhir_json);
        r.body = stored.duplicate ? stored.outcome : outcome;
        r.headers.emplace_back("Location", location_base + stored.id);
        if (stored.duplicate) r.headers.emplace_back("Idempotent-Replayed", "true");
        reply(std::move(r));
    });
}

namespace {

// The summary a care-notes sender gets back: counts, where each accepted
// client went, and the issues of those rejected.
struct ExportSummary {
    std::size_t accepted = 0, duplicates = 0, rejected = 0;
    bool fatal = false;
    std::vector<std::pair<std::size_t, std::string>> stored;  // client ordinal → message id
};

std::string render_export_summary(const ExportSummary& s, const issues::IssueSink& sink) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("accepted");
    w.Uint64(s.accepted);
    w.Key("duplicates");
    w.Uint64(s.duplicates);
    w.Key("rejected");
    w.Uint64(s.rejected);
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
    w.Key("outcome");
    const std::string outcome = issues::to_operation_outcome_json(sink);
    w.RawValue(outcome.c_str(), outcome.size(), rapidjson::kObjectType);
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

void Pipeline::intake_export(http::Request request, const Screened& screened, Reply reply) {
    auto job = [this, request = std::move(request), principal = screened.principal, reply]() mutable {
        issues::IssueSink sink;  // bounded: a million bad clients keep only the first thousand issues
        carenotes::ReaderOptions options;
        auto reader = carenotes::ExportReader::open_file(request.body_file, options, sink);
        if (!reader) {
            metrics_.count_rejection(http::Rejection::malformed);
            return reply(outcome_of(400, sink));
        }
        ExportSummary summary;
        // Clients are committed in groups: memory stays flat however long the
        // export, and each group is durable before the next is read.
        constexpr std::size_t group = 256;
        store::WriteSet writes;
        std::vector<std::size_t> ordinals;
        bool store_failed = false;
        const auto flush = [&] {
            if (writes.messages.empty() || store_failed) return;
            std::promise<store::CommitResult> promise;
            auto done = promise.get_future();
            store_.commit(std::move(writes), [&promise](store::CommitResult r) { promise.set_value(std::move(r)); });
            const store::CommitResult result = done.get();
            writes = store::WriteSet();
            if (result.error) {
                store_failed = true;
                return;
            }
            for (std::size_t i = 0; i < result.messages.size(); ++i) {
                if (result.messages[i].duplicate)
                    ++summary.duplicates;
                else
                    ++summary.accepted;
                if (summary.stored.size() < 100'000) summary.stored.emplace_back(ordinals[i], result.messages[i].id);
            }
            ordinals.clear();
        };
        std::size_t ordinal = 0;
        for (;; ++ordinal) {
            model::PersonRecord record;
            issues::IssueSink client_sink(64);
            const auto step = reader->next(record, client_sink);
            if (step == carenotes::ExportReader::Step::end) break;
            if (step == carenotes::ExportReader::Step::fatal) {
                summary.fatal = true;
                sink.append(std::move(client_sink));
                break;
            }
            if (step == carenotes::ExportReader::Step::rejected) {
                ++summary.rejected;
                sink.append(std::move(client_sink));
                continue;
            }
            issues::IssueSink encode_sink;
            std::string payload = carenotes::encode_single(record, encode_sink, false);
            std::string key = request.idempotency_key.empty()
                                  ? std::string()
                                  : request.idempotency_key + "#" + std::to_string(ordinal);
            auto id = ids::random_uuid();
            if (!id) {
                store_failed = true;
                break;
            }
            writes.messages.push_back(message_from(std::move(*id), record, principal, Format::carenotes, request.content_type,
                                                   std::move(payload), std::move(key)));
            writes.messages.back().outcome = issues::to_operation_outcome_json(client_sink);
            ordinals.push_back(ordinal);
            sink.append(std::move(client_sink));
            if (writes.messages.size() >= group) flush();
            if (store_failed) break;
        }
        flush();
        if (store_failed) {
            http::Response r = reject(http::Rejection::store_unavailable, 503, "transient",
                                "the store failed part-way; " + std::to_string(summary.accepted) +
                                    " clients were stored and a resend with the same Idempotency-Key skips them");
            r.headers.emplace_back("Retry-After", "1");
            return reply(std::move(r));
        }
        http::Response r;
        r.content_type = "application/json";
        r.body = render_export_summary(summary, sink);
        if (summary.accepted + summary.duplicates > 0)
            r.status = 201;
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
