#include "codec/xml_screen.hpp"

#include <cstring>

namespace carebridge::codec {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Counts the newlines in [from, to) for the breach's line number.
std::size_t newlines(const char* from, const char* to) {
    std::size_t n = 0;
    for (const char* p = from; (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(to - p))));
         ++p)
        ++n;
    return n;
}

}  // namespace

void XmlScreen::open_element() {
    if (++depth_ > limits_.max_depth) return fail(Breach::depth);
    if (limits_.counted_subtree_depth > 0 && depth_ == limits_.counted_subtree_depth) {
        elements_ = 0;
        ++subtrees_;
    }
    if (++elements_ > limits_.max_elements) return fail(Breach::elements);
}

void XmlScreen::close_element() {
    if (depth_ > 0) --depth_;
}

XmlScreen::Breach XmlScreen::feed(const char* data, std::size_t n) {
    const char* p = data;
    const char* const end = data + n;
    while (p < end && breach_ == Breach::none) {
        // The long runs (text, attribute values, comments) are skipped with memchr.
        if (state_ == State::text) {
            const char* lt = static_cast<const char*>(std::memchr(p, '<', static_cast<std::size_t>(end - p)));
            const char* stop = lt ? lt : end;
            line_ += newlines(p, stop);
            run_ += static_cast<std::size_t>(stop - p);
            if (run_ > limits_.max_text_bytes) {
                fail(Breach::text);
                break;
            }
            p = stop;
            if (lt) {
                state_ = State::lt;
                ++p;
            }
            continue;
        }
        if (state_ == State::attr_value) {
            const char* q = static_cast<const char*>(std::memchr(p, quote_, static_cast<std::size_t>(end - p)));
            const char* stop = q ? q : end;
            line_ += newlines(p, stop);
            run_ += static_cast<std::size_t>(stop - p);
            if (run_ > limits_.max_attribute_bytes) {
                fail(Breach::attribute_value);
                break;
            }
            p = stop;
            if (q) {
                state_ = State::in_tag;
                ++p;
            }
            continue;
        }
        const unsigned char c = static_cast<unsigned char>(*p++);
        if (c == '\n') ++line_;
        switch (state_) {
        case State::text:
        case State::attr_value: break;  // handled above
        case State::lt:
            if (c == '/') {
                state_ = State::end_tag;
            } else if (c == '!') {
                state_ = State::bang;
                bang_ = 0;
            } else if (c == '?') {
                state_ = State::pi;
                tail_ = 0;
            } else {
                state_ = State::start_name;
                run_ = 1;
                attributes_ = 0;
                open_element();
            }
            break;
        case State::start_name:
            if (c == '>') {
                state_ = State::text;
                run_ = 0;
            } else if (c == '/') {
                state_ = State::slash;
            } else if (is_space(c)) {
                state_ = State::in_tag;
            } else if (++run_ > limits_.max_name_bytes) {
                fail(Breach::name);
            }
            break;
        case State::in_tag:
            if (c == '>') {
                state_ = State::text;
                run_ = 0;
            } else if (c == '/') {
                state_ = State::slash;
            } else if (!is_space(c)) {
                if (++attributes_ > limits_.max_attributes_per_element) {
                    fail(Breach::attributes);
                    break;
                }
                state_ = State::attr_name;
                run_ = 1;
            }
            break;
        case State::attr_name:
            if (c == '=') {
                state_ = State::before_value;
            } else if (is_space(c)) {
                state_ = State::before_equals;
            } else if (++run_ > limits_.max_name_bytes) {
                fail(Breach::name);
            }
            break;
        case State::before_equals:
            if (c == '=') state_ = State::before_value;
            else if (!is_space(c)) state_ = State::in_tag;  // not well-formed; libxml2 will say so
            break;
        case State::before_value:
            if (c == '"' || c == '\'') {
                quote_ = static_cast<char>(c);
                state_ = State::attr_value;
                run_ = 0;
            } else if (!is_space(c)) {
                state_ = State::in_tag;  // not well-formed
            }
            break;
        case State::slash:
            if (c == '>') {
                close_element();  // <empty/>
                state_ = State::text;
                run_ = 0;
            } else {
                state_ = State::in_tag;  // not well-formed
            }
            break;
        case State::end_tag:
            if (c == '>') {
                close_element();
                state_ = State::text;
                run_ = 0;
            }
            break;
        case State::bang:
            // "<!--" opens a comment, "<![CDATA[" a CDATA section; anything else
            // (a DOCTYPE, which the callers refuse earlier) is skipped to its '>'.
            // bang_ is 0 right after "<!", then 1 after "-", or 2.. along "[CDATA[".
            if (bang_ == 0 && c == '-') {
                bang_ = 1;
            } else if (bang_ == 1) {
                state_ = c == '-' ? State::comment : State::declaration;
                tail_ = 0;
            } else if ((bang_ == 0 && c == '[') || (bang_ >= 2 && c == static_cast<unsigned char>("[CDATA["[bang_ - 1]))) {
                bang_ = bang_ == 0 ? 2 : bang_ + 1;
                if (bang_ == 8) {
                    state_ = State::cdata;
                    tail_ = 0;
                    run_ = 0;
                }
            } else if (c == '>') {
                state_ = State::text;
                run_ = 0;
            } else {
                state_ = State::declaration;
            }
            break;
        case State::comment:
            if (c == '>' && (tail_ & 0xFFFF) == ('-' << 8 | '-')) {
                state_ = State::text;
                run_ = 0;
            }
            tail_ = (tail_ << 8 | c) & 0xFFFF;
            break;
        case State::cdata:
            if (c == '>' && (tail_ & 0xFFFF) == (']' << 8 | ']')) {
                state_ = State::text;
                run_ = 0;
            } else if (++run_ > limits_.max_text_bytes) {
                fail(Breach::text);
            }
            tail_ = (tail_ << 8 | c) & 0xFFFF;
            break;
        case State::declaration:
            if (c == '>') {
                state_ = State::text;
                run_ = 0;
            }
            break;
        case State::pi:
            if (c == '>' && (tail_ & 0xFF) == '?') {
                state_ = State::text;
                run_ = 0;
            }
            tail_ = (tail_ << 8 | c) & 0xFFFF;
            break;
        }
    }
    return breach_;
}

std::string XmlScreen::message() const {
    switch (breach_) {
    case Breach::none: return {};
    case Breach::depth: return "elements nest deeper than max_xml_depth (" + std::to_string(limits_.max_depth) + ")";
    case Breach::attributes:
        return "an element has more than max_xml_attributes_per_element (" +
               std::to_string(limits_.max_attributes_per_element) + ") attributes";
    case Breach::name:
        return "an element or attribute name is longer than max_xml_name_bytes (" +
               std::to_string(limits_.max_name_bytes) + ")";
    case Breach::attribute_value:
        return "an attribute value is longer than max_xml_attribute_bytes (" +
               std::to_string(limits_.max_attribute_bytes) + ")";
    case Breach::text:
        return "a text run is longer than max_xml_text_bytes (" + std::to_string(limits_.max_text_bytes) + ")";
    case Breach::elements:
        return std::string(limits_.counted_subtree_depth > 0 ? limits_.subtree_name : "the document") +
               " holds more than max_xml_elements (" + std::to_string(limits_.max_elements) + ") elements";
    }
    return {};
}

}  // namespace carebridge::codec
