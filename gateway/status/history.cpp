#include "status/history.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace carebridge::gateway::status {

namespace {

constexpr std::array taken_on{"accepted", "contacted", "completed", "discharged"};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void key(JsonWriter& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
void field(JsonWriter& w, std::string_view name, std::string_view value) {
    key(w, name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

bool is_taken_on(std::string_view status) {
    return std::find(taken_on.begin(), taken_on.end(), status) != taken_on.end();
}

bool is_bouncing(const std::vector<store::HistoryEntry>& history) {
    std::set<std::pair<std::string, std::string>> decliners;
    for (const store::HistoryEntry& entry : history)
        if (entry.status == "declined") decliners.emplace(entry.organisation, entry.service);
    return decliners.size() >= 2;
}

std::string ods_code_of(const config::Config& config, std::string_view organisation) {
    const config::Organisation* o = config.organisation(organisation);
    return o ? o->ods_code : std::string(organisation);
}

void write_history(JsonWriter& w, const config::Config& config, const std::vector<store::HistoryEntry>& history) {
    key(w, "history");
    w.StartArray();
    for (const store::HistoryEntry& entry : history) {
        w.StartObject();
        field(w, "organisation", ods_code_of(config, entry.organisation));
        if (!entry.service.empty()) field(w, "service", entry.service);
        field(w, "status", entry.status);
        if (!entry.reason.empty()) field(w, "reason", entry.reason);
        field(w, "time", entry.time);
        w.EndObject();
    }
    w.EndArray();
}

}  // namespace carebridge::gateway::status
