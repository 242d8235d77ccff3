// The golden referral in care-notes: decode, encode and round trips.

#include <gtest/gtest.h>

#include "carenotes/carenotes_codec.hpp"
#include "carenotes/code_spelling.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"
#include "codec/embedded_schemas.hpp"
#include "xsd_check.hpp"

namespace carebridge::carenotes {
namespace {

using testing::golden_record;
using testing::read_source_file;

TEST(CarenotesGolden, DecodesToTheGoldenRecordWithoutIssues) {
    const std::string xml = read_source_file("tests/golden/referral.carenotes.xml");
    ASSERT_FALSE(xml.empty());
    issues::IssueSink sink;
    const auto record = decode_single(xml, ReaderOptions{}, sink);
    ASSERT_TRUE(record) << issues::one_line_summary(sink);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
    EXPECT_EQ(*record, golden_record());
}

TEST(CarenotesGolden, DecodesStrictlyToo) {
    ReaderOptions options;
    options.strictness = codec::Strictness::strict;
    issues::IssueSink sink;
    const auto record = decode_single(read_source_file("tests/golden/referral.carenotes.xml"), options, sink);
    ASSERT_TRUE(record) << issues::one_line_summary(sink);
    EXPECT_EQ(*record, golden_record());
}

TEST(CarenotesGolden, EncodedGoldenValidatesAndDecodesBackEqual) {
    issues::IssueSink sink;
    const std::string xml = encode_single(golden_record(), sink);
    EXPECT_TRUE(sink.empty()) << issues::to_operation_outcome_json(sink, true);
    std::string error;
    EXPECT_TRUE(testing::validates_against_carenotes_xsd(xml, &error)) << error << "\n" << xml;

    issues::IssueSink decode_sink;
    const auto record = decode_single(xml, ReaderOptions{}, decode_sink);
    ASSERT_TRUE(record) << issues::one_line_summary(decode_sink);
    EXPECT_TRUE(decode_sink.empty());
    EXPECT_EQ(*record, golden_record());
}

TEST(CarenotesGolden, EncodeDecodeEncodeIsByteIdentical) {
    for (const bool pretty : {true, false}) {
        issues::IssueSink sink;
        const std::string first = encode_single(golden_record(), sink, pretty);
        const auto decoded = decode_single(first, ReaderOptions{}, sink);
        ASSERT_TRUE(decoded) << issues::one_line_summary(sink);
        const std::string second = encode_single(*decoded, sink, pretty);
        EXPECT_EQ(first, second);
        EXPECT_TRUE(sink.empty());
    }
}

TEST(CarenotesGolden, GoldenFileHasTheWritersLayoutForItsClient) {
    // The hand-written golden and the writer agree element for element: the
    // writer's Client block appears verbatim in the golden file.
    issues::IssueSink sink;
    const std::string written = encode_single(golden_record(), sink);
    const auto begin = written.find("  <Client");
    const auto end = written.find("</Client>");
    ASSERT_NE(begin, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    const std::string client = written.substr(begin, end + 9 - begin);
    EXPECT_NE(read_source_file("tests/golden/referral.carenotes.xml").find(client), std::string::npos) << client;
}

// Every canonical code has its PascalCase spelling among the XSD's enumerations,
// so codes.hpp and the XSD cannot drift apart unnoticed.
template <typename Enum> void expect_spelled_in_xsd() {
    const std::string_view xsd = codec::carenotes_export_xsd();
    for (int i = 0;; ++i) {
        const std::string_view kebab = model::to_string(static_cast<Enum>(i));
        if (kebab.empty()) break;
        const PascalSpelling pascal(kebab);
        ASSERT_FALSE(pascal.empty()) << kebab;
        EXPECT_NE(xsd.find("<xs:enumeration value=\"" + std::string(pascal.view()) + "\"/>"), std::string_view::npos)
            << kebab;
        EXPECT_EQ(parse_pascal<Enum>(pascal.view()), static_cast<Enum>(i)) << kebab;
        EXPECT_EQ(kebab_spelling(pascal.view()), kebab);
    }
}

TEST(CarenotesCodes, EveryCanonicalCodeIsSpelledInTheXsd) {
    expect_spelled_in_xsd<model::ReferralStatus>();
    expect_spelled_in_xsd<model::Priority>();
    expect_spelled_in_xsd<model::Pathway>();
    expect_spelled_in_xsd<model::ReferralSource>();
    expect_spelled_in_xsd<model::Gender>();
    expect_spelled_in_xsd<model::ContactMethod>();
    expect_spelled_in_xsd<model::RiskLevel>();
    expect_spelled_in_xsd<model::ConsentStatus>();
    expect_spelled_in_xsd<model::OrganisationType>();
    expect_spelled_in_xsd<model::CareTeamRole>();
    expect_spelled_in_xsd<model::Need>();
    expect_spelled_in_xsd<model::CarePlanStatus>();
    expect_spelled_in_xsd<model::ContactType>();
    expect_spelled_in_xsd<model::DialogDomain>();
}

TEST(CarenotesCodes, PascalSpellingRefusesWhatIsNotKebabCase) {
    EXPECT_EQ(PascalSpelling("declined-by-service").view(), "DeclinedByService");
    EXPECT_TRUE(PascalSpelling("").empty());
    EXPECT_TRUE(PascalSpelling("Active").empty());
    EXPECT_TRUE(PascalSpelling("on--hold").empty());
    EXPECT_TRUE(PascalSpelling("on-hold-").empty());
    EXPECT_FALSE(is_pascal_spelling_of("Onhold", "on-hold"));
    EXPECT_FALSE(is_pascal_spelling_of("onHold", "on-hold"));
    EXPECT_FALSE(parse_pascal<model::Priority>("green"));
}

}  // namespace
}  // namespace carebridge::carenotes
