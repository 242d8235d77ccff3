#include "json/bounded_json.hpp"

#include <gtest/gtest.h>

namespace {

using namespace carebridge;

bool parse(const std::string& text, issues::IssueSink& sink, codec::Limits limits = {}) {
    std::string buffer;
    rapidjson::Document doc;
    return json::parse_bounded(text, limits, buffer, doc, sink);
}

TEST(BoundedJson, ParsesWellFormedJson) {
    issues::IssueSink sink;
    std::string buffer;
    rapidjson::Document doc;
    ASSERT_TRUE(json::parse_bounded(R"({"resourceType":"Patient","name":[{"family":"Whitfield"}]})", {}, buffer, doc,
                                    sink));
    EXPECT_STREQ(doc["name"][0]["family"].GetString(), "Whitfield");
    EXPECT_TRUE(sink.empty());
}

TEST(BoundedJson, SyntaxErrorsNameTheByteOffset) {
    issues::IssueSink sink;
    EXPECT_FALSE(parse(R"({"a": 1,})", sink));
    ASSERT_EQ(sink.issues().size(), 1u);
    EXPECT_EQ(sink.issues()[0].severity, issues::Severity::fatal);
    EXPECT_EQ(sink.issues()[0].type, issues::IssueType::structure);
    EXPECT_NE(sink.issues()[0].message.find("at byte 8"), std::string::npos) << sink.issues()[0].message;
}

TEST(BoundedJson, DeepNestingStopsAtTheLimit) {
    issues::IssueSink sink;
    codec::Limits limits;
    limits.max_depth = 10;
    EXPECT_TRUE(parse(std::string(10, '[') + std::string(10, ']'), sink, limits));
    EXPECT_FALSE(parse(std::string(11, '[') + std::string(11, ']'), sink, limits));
    EXPECT_EQ(sink.issues()[0].type, issues::IssueType::too_long);
    EXPECT_NE(sink.issues()[0].message.find("limit of 10"), std::string::npos);
}

TEST(BoundedJson, AHundredThousandOpenBracketsDoNotOverflowTheStack) {
    issues::IssueSink sink;
    EXPECT_FALSE(parse(std::string(100000, '['), sink));
    EXPECT_EQ(sink.issues()[0].type, issues::IssueType::too_long);
}

TEST(BoundedJson, OversizedStringsAndKeysAreRefused) {
    codec::Limits limits;
    limits.max_string_bytes = 16;
    issues::IssueSink value_sink, key_sink;
    EXPECT_FALSE(parse("{\"a\": \"" + std::string(17, 'x') + "\"}", value_sink, limits));
    EXPECT_EQ(value_sink.issues()[0].type, issues::IssueType::too_long);
    EXPECT_FALSE(parse("{\"" + std::string(17, 'k') + "\": 1}", key_sink, limits));
    EXPECT_EQ(key_sink.issues()[0].type, issues::IssueType::too_long);
}

TEST(BoundedJson, OversizedDocumentsAreRefusedBeforeParsing) {
    codec::Limits limits;
    limits.max_document_bytes = 32;
    issues::IssueSink sink;
    EXPECT_FALSE(parse("{\"a\": \"" + std::string(40, 'x') + "\"}", sink, limits));
    EXPECT_NE(sink.issues()[0].message.find("over the limit of 32"), std::string::npos);
}

TEST(BoundedJson, InvalidUtf8IsRefused) {
    issues::IssueSink sink;
    EXPECT_FALSE(parse("{\"a\": \"\xC3\x28\"}", sink));
    EXPECT_EQ(sink.issues()[0].type, issues::IssueType::structure);
}

TEST(BoundedJson, AMultiByteLeadByteAtTheVeryEndIsRefusedWithoutReadingPastIt) {
    // Found by fuzzing (tests/fuzz/regressions/referral/): parsed in place, the
    // UTF-8 check read the continuation bytes of a final lead byte past the
    // buffer. Short texts live in std::string's inline buffer, where ASan sees it.
    for (const char* lead : {"\xC3", "\xE6", "\xF0", "\xF0\x9F", "\xF0\x9F\x98"}) {
        issues::IssueSink sink;
        EXPECT_FALSE(parse(std::string("\"ab") + lead, sink)) << lead;
        ASSERT_EQ(sink.issues().size(), 1u);
        EXPECT_EQ(sink.issues()[0].type, issues::IssueType::structure);
    }
}

TEST(BoundedJson, TrailingGarbageIsRefused) {
    issues::IssueSink sink;
    EXPECT_FALSE(parse("{} {}", sink));
}

TEST(BoundedJson, ANulByteIsRefusedEvenAfterTheValue) {
    // Parsed in place, a NUL would end the text early and hide what follows.
    issues::IssueSink sink;
    EXPECT_FALSE(parse(std::string("{\"a\": 1}\0{\"b\": 2}", 16), sink));
    ASSERT_EQ(sink.issues().size(), 1u);
    EXPECT_NE(sink.issues()[0].message.find("NUL byte"), std::string::npos);
    issues::IssueSink inside;
    EXPECT_FALSE(parse(std::string("{\"a\": \"x\0y\"}", 13), inside));
}

TEST(BoundedJson, StringsOutliveTheCallerTextBecauseTheyLiveInTheBuffer) {
    issues::IssueSink sink;
    std::string buffer;
    rapidjson::Document doc;
    {
        std::string text = R"({"family":"Whitfield"})";
        ASSERT_TRUE(json::parse_bounded(text, {}, buffer, doc, sink));
        text.assign(text.size(), 'x');
    }
    EXPECT_STREQ(doc["family"].GetString(), "Whitfield");
}

}  // namespace
