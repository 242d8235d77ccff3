#pragma once
// Writing the API's own JSON answers (lists, summaries) with RapidJSON's
// Writer: a key, a string, or both, from string_views.

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace carebridge::gateway::api {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void key(JsonWriter& w, std::string_view name) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
inline void string(JsonWriter& w, std::string_view value) {
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
inline void field(JsonWriter& w, std::string_view name, std::string_view value) {
    key(w, name);
    string(w, value);
}

}  // namespace carebridge::gateway::api
