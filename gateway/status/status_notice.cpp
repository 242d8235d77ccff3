#include "status/status_notice.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "status/history.hpp"

namespace carebridge::gateway::status {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(JsonWriter& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
void field(JsonWriter& w, std::string_view name, std::string_view value) {
    key(w, name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// The organisations named on the referral's care plan (activities'
// responsible organisations), as config ids; unknown codes are skipped.
std::vector<std::string> care_plan_organisations(const config::Config& config, const std::string& canonical) {
    std::vector<std::string> ids;
    rapidjson::Document doc;
    doc.Parse(canonical.data(), canonical.size());
    if (doc.HasParseError() || !doc.IsObject()) return ids;
    const auto plan = doc.FindMember("carePlan");
    if (plan == doc.MemberEnd() || !plan->value.IsObject()) return ids;
    const auto activities = plan->value.FindMember("activities");
    if (activities == plan->value.MemberEnd() || !activities->value.IsArray()) return ids;
    for (const auto& activity : activities->value.GetArray()) {
        if (!activity.IsObject()) continue;
        const auto responsible = activity.FindMember("responsibleOrganisation");
        if (responsible == activity.MemberEnd() || !responsible->value.IsString()) continue;
        const config::Organisation* o = config.organisation(
            std::string_view(responsible->value.GetString(), responsible->value.GetStringLength()));
        if (o && std::find(ids.begin(), ids.end(), o->id) == ids.end()) ids.push_back(o->id);
    }
    return ids;
}

}  // namespace

std::vector<std::string> organisations_told(const config::Config& config, const store::StoredMessage& message,
                                            std::string_view poster) {
    std::vector<std::string> told;
    if (message.sender != poster) told.push_back(message.sender);
    for (const std::string& id : care_plan_organisations(config, message.canonical))
        if (id != poster && std::find(told.begin(), told.end(), id) == told.end()) told.push_back(id);
    return told;
}

std::vector<std::string> queue_status_notices(store::WriteSet& writes, const config::Config& config,
                                              const store::StoredMessage& message, const store::HistoryEntry& step,
                                              const std::vector<store::HistoryEntry>& history, bool bouncing,
                                              const std::vector<std::string>& told) {
    rapidjson::StringBuffer notice;
    {
        JsonWriter w(notice);
        w.StartObject();
        field(w, "schema", "partnership-status/1");
        field(w, "referral", message.id);
        if (!message.referral_id.empty()) field(w, "sender_referral", message.referral_id);
        field(w, "organisation", ods_code_of(config, step.organisation));
        if (!step.service.empty()) field(w, "service", step.service);
        field(w, "status", step.status);
        if (!step.reason.empty()) field(w, "reason", step.reason);
        key(w, "bouncing");
        w.Bool(bouncing);
        write_history(w, config, history);
        w.EndObject();
    }
    std::vector<std::string> told_ods;
    for (const std::string& id : told) {
        const config::Organisation* o = config.organisation(id);
        store::OutboxItem item;
        item.message_id = message.id;
        item.recipient = id;
        item.recipient_ods = o ? o->ods_code : id;
        item.format = "referral";
        item.payload.assign(notice.GetString(), notice.GetSize());
        item.content_type = std::string(status_content_type);
        // One per step of the history, so a receiver deduplicates retries, not updates.
        item.idempotency_key = message.id + ':' + id + ":status:" + std::to_string(history.size());
        if (o && o->endpoint) item.endpoint_url = o->endpoint->url;
        writes.outbox.push_back(std::move(item));
        told_ods.push_back(o ? o->ods_code : id);
    }
    return told_ods;
}

}  // namespace carebridge::gateway::status
