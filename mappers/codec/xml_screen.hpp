#pragma once
// XmlScreen: a cheap look at the raw bytes of an XML document before libxml2
// parses them, so a document built to make parsing expensive is refused at
// the cost of reading it once.
//
// libxml2 checks every attribute of a start tag against every other for
// duplicates, so one element with 100,000 attributes costs seconds of CPU
// before any check on the parsed tree could run. The screen counts, as the
// bytes stream past: elements open (depth), attributes per start tag, the
// length of each element and attribute name, of each attribute value and of
// each run of text (CDATA included), and elements per counted subtree (a
// care-notes client, or the whole document). It stops at the first breach.
//
// It understands only enough XML to count: start and end tags, quoted
// attribute values, comments, CDATA sections, processing instructions and
// declarations (skipped to their '>'). On well-formed input it counts
// exactly; on malformed input it may stop early or late, and libxml2 refuses
// the document anyway. ASCII-compatible encodings only (the callers refuse
// UTF-16/32 first).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace carebridge::codec {

struct XmlScreenLimits {
    std::size_t max_depth = 64;
    std::size_t max_attributes_per_element = 64;
    std::size_t max_name_bytes = 256;
    std::size_t max_attribute_bytes = 1u << 20;
    std::size_t max_text_bytes = 1u << 20;
    std::size_t max_elements = 100'000;
    // Elements are counted per subtree opened at this depth (1: each child of
    // the root, e.g. a care-notes <Client>); 0 counts the whole document.
    std::size_t counted_subtree_depth = 0;
    const char* subtree_name = "one subtree";  // for the message, e.g. "one client"
};

class XmlScreen {
public:
    enum class Breach { none, depth, attributes, name, attribute_value, text, elements };

    explicit XmlScreen(const XmlScreenLimits& limits) : limits_(limits) {}

    // Screens the next bytes of the document; returns the first breach, which
    // stays (later calls return it at once).
    Breach feed(const char* data, std::size_t n);
    Breach feed(std::string_view bytes) { return feed(bytes.data(), bytes.size()); }
    Breach breach() const { return breach_; }

    // The name of the limit breached and its value, e.g.
    // "an element has more than max_xml_attributes_per_element (64) attributes".
    std::string message() const;
    // The 1-based line the breach was found on.
    std::size_t line() const { return line_; }
    // How many counted subtrees have opened so far (with counted_subtree_depth
    // > 0): the breach is in subtree number subtrees() - 1.
    std::size_t subtrees() const { return subtrees_; }

private:
    enum class State : std::uint8_t {
        text,
        lt,            // after '<'
        start_name,    // element name of a start tag
        in_tag,        // between attributes
        attr_name,
        before_equals, // whitespace after an attribute name
        before_value,  // after '=', before the quote
        attr_value,
        slash,         // '/' inside a start tag: expect '>'
        end_tag,
        bang,          // after "<!": comment, CDATA or declaration
        comment,
        cdata,
        declaration,
        pi,
    };

    void fail(Breach b) { breach_ = b; }
    void open_element();
    void close_element();

    XmlScreenLimits limits_;
    Breach breach_ = Breach::none;
    State state_ = State::text;
    std::size_t line_ = 1;
    std::size_t depth_ = 0;
    std::size_t attributes_ = 0;
    std::size_t run_ = 0;       // bytes of the current name, value or text
    std::size_t elements_ = 0;  // in the current counted subtree
    std::size_t subtrees_ = 0;
    std::size_t bang_ = 0;      // bytes seen after "<!"
    unsigned tail_ = 0;         // the last bytes, for "-->", "]]>" and "?>"
    char quote_ = 0;
};

}  // namespace carebridge::codec
