#pragma once
// schemas/partnership-referral-1.schema.json compiled for use: RapidJSON's
// SchemaDocument for validation, plus the members each object of the format
// may hold, read from the same schema so the lenient sweep of unknown members
// and the validator can never disagree about what is known.

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "issues/element_path.hpp"
#include "issues/issue.hpp"
#include "codec/options.hpp"

namespace carebridge::referral_json {

struct ObjectShape;

// One member an object may hold. `shape` is set when its value is an object or
// an array of objects, so a walk can descend into it.
struct MemberShape {
    std::string_view name;
    const ObjectShape* shape = nullptr;
};

struct ObjectShape {
    bool closed = true;  // additionalProperties: false
    std::vector<MemberShape> members;
    const MemberShape* find(std::string_view name) const;
};

class ReferralSchema {
public:
    ReferralSchema();
    ReferralSchema(const ReferralSchema&) = delete;
    ReferralSchema& operator=(const ReferralSchema&) = delete;

    const rapidjson::SchemaDocument& document() const { return compiled_; }
    // The schema as JSON, for reading a failed keyword's expectation.
    const rapidjson::Document& source() const { return source_; }
    const ObjectShape& root_shape() const { return *root_; }

private:
    const ObjectShape* build_shape(const rapidjson::Value& node);
    const rapidjson::Value& resolve(const rapidjson::Value& node) const;

    rapidjson::Document source_;
    std::deque<ObjectShape> shapes_;  // a deque so shapes keep their address while built
    const ObjectShape* root_ = nullptr;
    rapidjson::SchemaDocument compiled_;  // declared after source_, which it is built from
};

// This thread's compiled schema, built on first use and then only read. One
// per thread rather than one per process because RapidJSON 1.1's regex keeps
// its match scratch inside the compiled pattern: a SchemaDocument with
// `pattern`s must not validate on two threads at once.
const ReferralSchema& referral_schema();

// Screens a document before validation, reporting each finding with its
// element path:
// - a member the format does not define is removed: an error (not-supported)
//   when strict, a warning (informational, not carried) when lenient;
// - a member named twice in one object is an error (structure) in both modes,
//   as nobody can say which value the sender meant;
// - a string holding U+0000 is an error (value) in both modes: RapidJSON 1.1
//   matches patterns only up to it, so "RZZ\u0000…" would pass as an ODS code.
// Returns the number of unknown members removed.
std::size_t screen_document(rapidjson::Value& document, const ReferralSchema& schema,
                            codec::Strictness strictness, issues::IssueSink& sink);

// Validates against the schema; the first violation (RapidJSON 1.1 stops at
// one) becomes an error naming the keyword and what the schema expects, on
// the element path of the offending value.
bool validate(const rapidjson::Value& document, const ReferralSchema& schema, issues::IssueSink& sink);

// `/person/names/0/family` → `person.names[0].family`, reading `document` to
// tell an array index from a member whose name is digits.
std::string element_path(const rapidjson::Pointer& pointer, const rapidjson::Value& document);

}  // namespace carebridge::referral_json
