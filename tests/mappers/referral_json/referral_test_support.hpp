#pragma once
// Helpers for the partnership referral JSON tests: the golden document as a
// DOM that a test edits with JSON pointers, and decoding the result.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>

#include "golden_record.hpp"
#include "issues/issue.hpp"
#include "referral_json/referral_codec.hpp"

namespace carebridge::testing {

inline const std::string& golden_referral_json() {
    static const std::string text = read_source_file("tests/golden/referral.json");
    return text;
}

inline rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    EXPECT_FALSE(doc.HasParseError()) << "test input is not JSON";
    return doc;
}

inline std::string write_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    v.Accept(w);
    return {buffer.GetString(), buffer.GetSize()};
}

// The golden referral with one edit applied, e.g.
//   golden_with([](auto& d) { rapidjson::Pointer("/priority").Set(d, 3); })
template <typename Edit> std::string golden_with(Edit edit) {
    rapidjson::Document doc = parse_json(golden_referral_json());
    edit(doc);
    return write_json(doc);
}

struct Decoded {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;
};

inline Decoded decode_text(const std::string& text,
                           codec::Strictness strictness = codec::Strictness::lenient) {
    Decoded out;
    codec::DecodeOptions options;
    options.strictness = strictness;
    out.record = referral_json::decode(text, options, out.sink);
    return out;
}

inline std::string describe(const issues::IssueSink& sink) {
    std::string out;
    for (const auto& i : sink.issues())
        out += std::string(issues::to_string(i.severity)) + " " + std::string(issues::to_string(i.type)) + " [" +
               i.path + "] " + i.message + "\n";
    return out;
}

}  // namespace carebridge::testing
