#include "json/bounded_json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cstring>
#include <string>

namespace carebridge::json {
namespace {

enum class Breach { none, depth, string_length };

// Forwards SAX events to the document while counting depth and string sizes;
// returning false stops the reader at once.
template <typename Handler> class LimitedHandler {
public:
    LimitedHandler(Handler& next, const codec::Limits& limits) : next_(next), limits_(limits) {}

    bool Null() { return next_.Null(); }
    bool Bool(bool b) { return next_.Bool(b); }
    bool Int(int i) { return next_.Int(i); }
    bool Uint(unsigned u) { return next_.Uint(u); }
    bool Int64(int64_t i) { return next_.Int64(i); }
    bool Uint64(uint64_t u) { return next_.Uint64(u); }
    bool Double(double d) { return next_.Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return next_.RawNumber(s, n, copy); }
    bool String(const char* s, rapidjson::SizeType n, bool copy) {
        return string_ok(n) && next_.String(s, n, copy);
    }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return string_ok(n) && next_.Key(s, n, copy); }
    bool StartObject() { return enter() && next_.StartObject(); }
    bool EndObject(rapidjson::SizeType n) {
        --depth_;
        return next_.EndObject(n);
    }
    bool StartArray() { return enter() && next_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) {
        --depth_;
        return next_.EndArray(n);
    }

    Breach breach() const { return breach_; }

private:
    bool enter() {
        if (++depth_ > limits_.max_depth) {
            breach_ = Breach::depth;
            return false;
        }
        return true;
    }
    bool string_ok(rapidjson::SizeType n) {
        if (n > limits_.max_string_bytes) {
            breach_ = Breach::string_length;
            return false;
        }
        return true;
    }

    Handler& next_;
    const codec::Limits& limits_;
    std::size_t depth_ = 0;
    Breach breach_ = Breach::none;
};

}  // namespace

bool parse_bounded(std::string_view text, const codec::Limits& limits, std::string& buffer,
                   rapidjson::Document& doc, issues::IssueSink& sink) {
    using issues::IssueType;
    if (text.size() > limits.max_document_bytes) {
        sink.fatal(IssueType::too_long, "",
                   "document is " + std::to_string(text.size()) + " bytes, over the limit of " +
                       std::to_string(limits.max_document_bytes));
        return false;
    }
    // The in-place reader stops at the first NUL, so one would hide what follows it.
    if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
        const auto offset = static_cast<const char*>(nul) - text.data();
        sink.fatal(IssueType::structure, "", "not valid JSON at byte " + std::to_string(offset) + ": a NUL byte");
        return false;
    }
    // RapidJSON's UTF-8 validation takes a multi-byte sequence's continuation
    // bytes without looking for the end: a lead byte last in the text would be
    // followed past the terminator (found by fuzzing). Three more NULs stop it.
    constexpr std::size_t longest_tail = 3;
    buffer.reserve(text.size() + longest_tail + 1);
    buffer.assign(text);
    buffer.append(longest_tail, '\0');
    rapidjson::Reader reader;
    Breach breach = Breach::none;
    auto generate = [&](rapidjson::Document& target) {
        rapidjson::InsituStringStream stream(buffer.data());
        LimitedHandler<rapidjson::Document> handler(target, limits);
        // Validate UTF-8 so every string the mappers copy on is well formed.
        constexpr unsigned flags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag;
        const bool ok = !reader.Parse<flags>(stream, handler).IsError();
        breach = handler.breach();
        return ok;
    };
    doc.Populate(generate);
    if (!reader.HasParseError()) return true;

    switch (breach) {
    case Breach::depth:
        sink.fatal(IssueType::too_long, "",
                   "JSON nests deeper than the limit of " + std::to_string(limits.max_depth) + " at byte " +
                       std::to_string(reader.GetErrorOffset()));
        break;
    case Breach::string_length:
        sink.fatal(IssueType::too_long, "",
                   "a JSON string is longer than the limit of " + std::to_string(limits.max_string_bytes) +
                       " bytes at byte " + std::to_string(reader.GetErrorOffset()));
        break;
    case Breach::none:
        sink.fatal(IssueType::structure, "",
                   std::string("not valid JSON at byte ") + std::to_string(reader.GetErrorOffset()) + ": " +
                       rapidjson::GetParseError_En(reader.GetParseErrorCode()));
        break;
    }
    return false;
}

std::string_view describe_type(const rapidjson::Value& v) {
    switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return "a number";
    }
    return "a value";
}

}  // namespace carebridge::json
