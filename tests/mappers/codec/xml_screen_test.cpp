// The XML screen counts what makes libxml2 expensive before libxml2 sees it.
// Each limit: at it the document passes, one over it stops the screen; the
// constructs that hide markup-like bytes (quoted values, comments, CDATA,
// processing instructions) are not counted as markup; and a document fed in
// any split gives the same verdict as fed whole.
#include <gtest/gtest.h>

#include <string>

#include "codec/xml_screen.hpp"

namespace carebridge::codec {
namespace {

using Breach = XmlScreen::Breach;

Breach screen(std::string_view xml, const XmlScreenLimits& limits = {}) {
    XmlScreen s(limits);
    return s.feed(xml);
}

std::string with_attributes(std::size_t n) {
    std::string xml = "<r><e";
    for (std::size_t i = 0; i < n; ++i) xml += " a" + std::to_string(i) + "=\"v\"";
    return xml + "/></r>";
}

std::string nested(std::size_t depth) {
    std::string xml;
    for (std::size_t i = 0; i < depth; ++i) xml += "<e>";
    for (std::size_t i = 0; i < depth; ++i) xml += "</e>";
    return xml;
}

TEST(XmlScreen, AttributesPerElementAreCappedBeforeParsing) {
    XmlScreenLimits limits;
    limits.max_attributes_per_element = 10;
    EXPECT_EQ(screen(with_attributes(10), limits), Breach::none);
    EXPECT_EQ(screen(with_attributes(11), limits), Breach::attributes);
    XmlScreen s(limits);
    s.feed(with_attributes(11));
    EXPECT_NE(s.message().find("max_xml_attributes_per_element (10)"), std::string::npos) << s.message();
}

TEST(XmlScreen, AttributeCountStartsAgainOnEachElement) {
    XmlScreenLimits limits;
    limits.max_attributes_per_element = 2;
    EXPECT_EQ(screen("<r a='1' b='2'><e c='3' d='4'/><e e='5' f='6'></e></r>", limits), Breach::none);
}

TEST(XmlScreen, DepthIsCapped) {
    XmlScreenLimits limits;
    limits.max_depth = 8;
    EXPECT_EQ(screen(nested(8), limits), Breach::none);
    EXPECT_EQ(screen(nested(9), limits), Breach::depth);
    // Empty elements and end tags give depth back.
    std::string siblings = "<r>";
    for (int i = 0; i < 100; ++i) siblings += "<e/><f></f>";
    EXPECT_EQ(screen(siblings + "</r>", limits), Breach::none);
}

TEST(XmlScreen, NamesAreCapped) {
    XmlScreenLimits limits;
    limits.max_name_bytes = 16;
    EXPECT_EQ(screen("<" + std::string(16, 'n') + "/>", limits), Breach::none);
    EXPECT_EQ(screen("<" + std::string(17, 'n') + "/>", limits), Breach::name);
    EXPECT_EQ(screen("<r " + std::string(17, 'a') + "='1'/>", limits), Breach::name);
    EXPECT_EQ(screen("<r " + std::string(16, 'a') + " = '1'/>", limits), Breach::none);
}

TEST(XmlScreen, AttributeValuesAndTextAreCapped) {
    XmlScreenLimits limits;
    limits.max_attribute_bytes = 32;
    limits.max_text_bytes = 64;
    EXPECT_EQ(screen("<r a=\"" + std::string(32, 'v') + "\"/>", limits), Breach::none);
    EXPECT_EQ(screen("<r a=\"" + std::string(33, 'v') + "\"/>", limits), Breach::attribute_value);
    EXPECT_EQ(screen("<r>" + std::string(64, 't') + "</r>", limits), Breach::none);
    EXPECT_EQ(screen("<r>" + std::string(65, 't') + "</r>", limits), Breach::text);
    EXPECT_EQ(screen("<r><![CDATA[" + std::string(65, 't') + "]]></r>", limits), Breach::text);
}

TEST(XmlScreen, ElementsAreCountedPerSubtree) {
    XmlScreenLimits limits;
    limits.max_elements = 5;
    limits.counted_subtree_depth = 2;
    limits.subtree_name = "one client";
    // Each <c> holds itself and four children: five elements, however many clients.
    std::string xml = "<export>";
    for (int i = 0; i < 50; ++i) xml += "<c><a/><b/><d/><e/></c>";
    EXPECT_EQ(screen(xml + "</export>", limits), Breach::none);
    XmlScreen s(limits);
    EXPECT_EQ(s.feed("<export><c><a/><b/><d/><e/><f/></c></export>"), Breach::elements);
    EXPECT_NE(s.message().find("one client holds more than max_xml_elements (5)"), std::string::npos) << s.message();
    EXPECT_EQ(s.subtrees(), 1u);

    limits.counted_subtree_depth = 0;  // the whole document
    EXPECT_EQ(screen("<r><a/><b/><c/><d/></r>", limits), Breach::none);
    EXPECT_EQ(screen("<r><a/><b/><c/><d/><e/></r>", limits), Breach::elements);
}

TEST(XmlScreen, MarkupInsideValuesCommentsCdataAndInstructionsIsNotCounted) {
    XmlScreenLimits limits;
    limits.max_attributes_per_element = 1;
    limits.max_depth = 2;
    const std::string xml =
        "<?xml version=\"1.0\"?><?pi <a b='1' c='2'> ?><!-- <a b='1' c='2'><e><e><e> -->"
        "<r a=\"<e x='1' y='2'>\"><e b='>'><![CDATA[<e x='1' y='2'><e><e>]]></e></r>";
    EXPECT_EQ(screen(xml, limits), Breach::none);
}

TEST(XmlScreen, TheVerdictDoesNotDependOnHowTheBytesAreSplit) {
    XmlScreenLimits limits;
    limits.max_attributes_per_element = 3;
    limits.max_attribute_bytes = 8;
    const std::string good = "<?xml version='1.0'?><!-- c --><r a='12345678' b=\"x\"><![CDATA[]]>]]><e/></r>";
    const std::string bad = "<r><e a='1' b='2' c='3' d='4'/></r>";
    for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
        for (const auto& [xml, expected] : {std::pair{good, Breach::none}, std::pair{bad, Breach::attributes}}) {
            XmlScreen s(limits);
            Breach got = Breach::none;
            for (std::size_t at = 0; at < xml.size(); at += chunk) got = s.feed(xml.substr(at, chunk));
            EXPECT_EQ(got, expected) << "chunks of " << chunk << ": " << xml;
        }
    }
}

TEST(XmlScreen, ABreachStopsTheScreenAndNamesItsLine) {
    XmlScreenLimits limits;
    limits.max_attributes_per_element = 1;
    XmlScreen s(limits);
    EXPECT_EQ(s.feed("<r>\n<e/>\n<e a='1'\n b='2'/>"), Breach::attributes);
    EXPECT_EQ(s.line(), 4u);
    EXPECT_EQ(s.feed("<fine/>"), Breach::attributes) << "a breach stays";
}

TEST(XmlScreen, OneHundredThousandAttributesAreRefusedAtTheFirstOverTheCap) {
    const std::string xml = with_attributes(100'000);
    XmlScreen s(XmlScreenLimits{});
    EXPECT_EQ(s.feed(xml), Breach::attributes);
}

}  // namespace
}  // namespace carebridge::codec
