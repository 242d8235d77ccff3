#pragma once
// Reading a FHIR JSON object so that nothing is dropped silently: every member
// the decoder takes is marked, and when the reader finishes each member left
// over is reported as not carried (a warning when lenient, an error when strict)
// with its element path. Type checks report "expected a string, found an
// object" at the member's path instead of reading garbage.

#include <rapidjson/document.h>

#include <array>
#include <initializer_list>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/partnership.hpp"
#include "issues/element_path.hpp"
#include "issues/issue.hpp"
#include "codec/options.hpp"

namespace carebridge::fhir {

using issues::ElementPath;
using issues::IssueType;

inline std::string_view view(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

inline bool is_one_of(std::string_view s, std::initializer_list<std::string_view> options) {
    for (std::string_view o : options)
        if (s == o) return true;
    return false;
}

// A value in single quotes for a message. Built by appending: GCC 12 warns
// falsely (-Wrestrict) on "'" + std::string(...) once inlined.
inline std::string quoted(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 2);
    out += '\'';
    out += value;
    out += '\'';
    return out;
}

// Where issues go and how strict the decode is; shared by every reader.
class DecodeContext {
public:
    DecodeContext(issues::IssueSink& sink, codec::Strictness strictness, std::string_view partnership_base)
        : sink_(sink), strict_(strictness == codec::Strictness::strict), systems_(partnership_base) {}

    issues::IssueSink& sink() { return sink_; }
    bool strict() const { return strict_; }
    const partnership::Systems& systems() const { return systems_; }

    // Something in the source the record has no place for. `why` completes
    // "<path> is not carried: <why>"; empty for the generic reason.
    void not_carried(const ElementPath& path, std::string_view why = {});
    void invalid(const ElementPath& path, std::string message) {
        sink_.error(IssueType::value, path.str(), std::move(message));
    }
    void missing(const ElementPath& path) {
        sink_.error(IssueType::required, path.str(), "required element is missing");
    }
    void wrong_type(const ElementPath& path, std::string_view expected, const rapidjson::Value& found);
    void warn(IssueType type, const ElementPath& path, std::string message) {
        sink_.warning(type, path.str(), std::move(message));
    }

private:
    issues::IssueSink& sink_;
    bool strict_;
    partnership::Systems systems_;
};

class ObjectReader {
public:
    // `object` must be a JSON object (check with expect_object first).
    ObjectReader(DecodeContext& context, const rapidjson::Value& object, const ElementPath& path)
        : context_(context), object_(object), path_(path) {}
    ObjectReader(const ObjectReader&) = delete;
    ObjectReader& operator=(const ObjectReader&) = delete;
    ~ObjectReader() { finish(); }

    DecodeContext& context() const { return context_; }
    const ElementPath& path() const { return path_; }
    ElementPath child(std::string_view name) const { return path_.child(name); }

    // The member, marked as read; nullptr when absent.
    const rapidjson::Value* take(std::string_view name);
    // Marks a member as deliberately not carried because it has no meaning in
    // the record (narrative, meta.profile, …). Say why where it is called.
    void ignore(std::string_view name) { (void)take(name); }

    // Typed members: nullopt/nullptr when absent, or when of the wrong type
    // (then an error is reported).
    std::optional<std::string_view> string(std::string_view name);
    std::optional<bool> boolean(std::string_view name);
    std::optional<std::int64_t> integer(std::string_view name);
    const rapidjson::Value* array(std::string_view name);
    const rapidjson::Value* object(std::string_view name);

    // Reports every member not taken. Called by the destructor; idempotent.
    void finish();
    // For an object the caller has already reported as a whole (an unknown
    // extension, a resource about someone else): its members are not reported again.
    void drop() { finished_ = true; }

private:
    bool mark(std::size_t index);

    DecodeContext& context_;
    const rapidjson::Value& object_;
    const ElementPath& path_;
    std::uint64_t taken_ = 0;        // members 0..63
    std::vector<bool> taken_more_;   // members 64.. (rare)
    bool finished_ = false;
};

// True when `v` is an object; otherwise reports the wrong type at `path`.
bool expect_object(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path);
bool expect_string(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path);

// A Coding, as read. Views into the document.
struct Coding {
    std::string_view system;
    std::string_view code;
    std::string_view display;
};

// A CodeableConcept, as read: up to four codings (more are reported).
struct Concept {
    std::array<Coding, 4> codings{};
    std::size_t count = 0;
    std::string_view text;
    bool present = false;

    const Coding* find(std::string_view system) const {
        for (std::size_t i = 0; i < count; ++i)
            if (codings[i].system == system) return &codings[i];
        return nullptr;
    }
    const Coding* find(const partnership::Systems& systems, std::string_view suffix) const {
        for (std::size_t i = 0; i < count; ++i)
            if (systems.is(codings[i].system, suffix)) return &codings[i];
        return nullptr;
    }
    // The words a person would read: text, else the first display.
    std::string_view words() const {
        if (!text.empty()) return text;
        for (std::size_t i = 0; i < count; ++i)
            if (!codings[i].display.empty()) return codings[i].display;
        return {};
    }
};

bool read_coding(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Coding& out);
bool read_concept(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Concept& out);
// Reads parent.<name> as a CodeableConcept; false when absent or malformed.
bool read_concept(ObjectReader& parent, std::string_view name, Concept& out);

// A Reference, as read: a literal reference, a logical identifier, or a display.
struct Ref {
    std::string_view reference;
    std::string_view identifier_system;
    std::string_view identifier_value;
    std::string_view display;
    bool present = false;
};

bool read_reference(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Ref& out);
bool read_reference(ObjectReader& parent, std::string_view name, Ref& out);

// Dates and times, validated. The record keeps `date` and `instant` fields:
// read_date accepts a dateTime and keeps its date (the time of day is reported
// as not carried); read_instant rejects a bare date as not carried (a
// date has no time to keep) and anything else malformed as an error.
bool read_date(ObjectReader& parent, std::string_view name, std::string& out);
bool read_instant(ObjectReader& parent, std::string_view name, std::string& out);
bool read_date_value(DecodeContext& context, std::string_view value, const ElementPath& path, std::string& out);
bool read_instant_value(DecodeContext& context, std::string_view value, const ElementPath& path,
                        std::string& out);

// A string FHIR requires: reports it missing when absent.
std::optional<std::string_view> required_string(ObjectReader& parent, std::string_view name);

// Reads parent.<name> as a string into `out`; false when absent or malformed.
bool read_text(ObjectReader& parent, std::string_view name, std::string& out);

// Calls fn(item, index) for each element of the array parent.<name>, with an
// ElementPath that lives for the call.
template <typename Fn> void each(ObjectReader& parent, std::string_view name, Fn&& fn) {
    const rapidjson::Value* items = parent.array(name);
    if (!items) return;
    const ElementPath base = parent.child(name);
    for (rapidjson::SizeType k = 0; k < items->Size(); ++k) {
        const ElementPath path = base.at(k);
        fn((*items)[k], path, static_cast<std::size_t>(k));
    }
}

// As each(), for arrays of objects: fn(reader, index) with a reader over the element.
template <typename Fn> void each_object(ObjectReader& parent, std::string_view name, Fn&& fn) {
    each(parent, name, [&](const rapidjson::Value& item, const ElementPath& path, std::size_t k) {
        if (!expect_object(parent.context(), item, path)) return;
        ObjectReader reader(parent.context(), item, path);
        fn(reader, k);
    });
}

// Calls fn(reader) with a reader over the object parent.<name>, if present.
template <typename Fn> void with_object(ObjectReader& parent, std::string_view name, Fn&& fn) {
    const rapidjson::Value* v = parent.object(name);
    if (!v) return;
    const ElementPath path = parent.child(name);
    ObjectReader reader(parent.context(), *v, path);
    fn(reader);
}

}  // namespace carebridge::fhir
