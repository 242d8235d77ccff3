#include "audit/detail.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace carebridge::gateway::audit {

struct Detail::Writer {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> json{buffer};
    Writer() { json.StartObject(); }
    void key(std::string_view k) { json.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
};

Detail::Detail() : writer_(std::make_unique<Writer>()) {}
Detail::~Detail() = default;
Detail::Detail(Detail&&) noexcept = default;
Detail& Detail::operator=(Detail&&) noexcept = default;

Detail& Detail::add(std::string_view key, std::string_view value) {
    writer_->key(key);
    writer_->json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
}

Detail& Detail::add_integer(std::string_view key, std::int64_t value) {
    writer_->key(key);
    writer_->json.Int64(value);
    return *this;
}

Detail& Detail::add(std::string_view key, bool value) {
    writer_->key(key);
    writer_->json.Bool(value);
    return *this;
}

Detail& Detail::add(std::string_view key, const std::vector<std::string>& values) {
    writer_->key(key);
    writer_->json.StartArray();
    for (const std::string& value : values)
        writer_->json.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer_->json.EndArray();
    return *this;
}

std::string Detail::text() const {
    // The writer's object is still open so more can be added; close a copy.
    std::string text(writer_->buffer.GetString(), writer_->buffer.GetSize());
    text += '}';
    return text;
}

bool is_detail(std::string_view text) {
    if (text.empty()) return true;
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    return !document.HasParseError() && document.IsObject();
}

}  // namespace carebridge::gateway::audit
