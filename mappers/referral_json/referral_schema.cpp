#include "referral_json/referral_schema.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>

#include "json/bounded_json.hpp"
#include "codec/embedded_schemas.hpp"

namespace carebridge::referral_json {
namespace {

using rapidjson::Value;
using issues::IssueType;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

const Value* member(const Value& object, std::string_view name) {
    if (!object.IsObject()) return nullptr;
    const auto it =
        object.FindMember(Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
    return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Document parse_embedded() {
    rapidjson::Document doc;
    const std::string_view text = codec::partnership_referral_schema();
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) {
        // A build defect, not a data problem: a validator without its schema
        // would accept anything, so refuse to run at all.
        std::fprintf(stderr, "carebridge: the embedded partnership referral schema is not valid JSON: %s\n",
                     rapidjson::GetParseError_En(doc.GetParseError()));
        std::abort();
    }
    return doc;
}

// A JSON value in a message: short, and never patient data (only schema values
// are printed, not the document's).
std::string schema_value_text(const Value& v) {
    if (v.IsString()) return std::string(view(v));
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    if (v.IsUint64()) return std::to_string(v.GetUint64());
    if (v.IsDouble()) return std::to_string(v.GetDouble());
    if (v.IsBool()) return v.GetBool() ? "true" : "false";
    if (v.IsArray()) {
        std::string out;
        for (const Value& e : v.GetArray()) {
            if (!out.empty()) out += ", ";
            out += schema_value_text(e);
        }
        return out;
    }
    return "a value";
}

std::string type_words(const Value& type) {
    if (!type.IsString()) return schema_value_text(type);
    const std::string_view t = view(type);
    if (t == "object") return "an object";
    if (t == "array") return "an array";
    if (t == "integer") return "an integer";
    return "a " + std::string(t);
}

std::string join_path(std::string base, std::string_view name) {
    if (!base.empty()) base += '.';
    base += name;
    return base;
}

}  // namespace

const MemberShape* ObjectShape::find(std::string_view name) const {
    for (const MemberShape& m : members)
        if (m.name == name) return &m;
    return nullptr;
}

ReferralSchema::ReferralSchema() : source_(parse_embedded()), compiled_(source_) { root_ = build_shape(source_); }

const Value& ReferralSchema::resolve(const Value& node) const {
    const Value* ref = member(node, "$ref");
    if (!ref || !ref->IsString()) return node;
    const Value* target = rapidjson::Pointer(ref->GetString(), ref->GetStringLength()).Get(source_);
    return target ? resolve(*target) : node;
}

const ObjectShape* ReferralSchema::build_shape(const Value& node) {
    const Value& schema = resolve(node);
    if (const Value* items = member(schema, "items")) return build_shape(*items);
    const Value* properties = member(schema, "properties");
    if (!properties || !properties->IsObject()) return nullptr;
    ObjectShape& shape = shapes_.emplace_back();
    const Value* additional = member(schema, "additionalProperties");
    shape.closed = additional && additional->IsBool() && !additional->GetBool();
    shape.members.reserve(properties->MemberCount());
    for (const auto& p : properties->GetObject()) shape.members.push_back({view(p.name), build_shape(p.value)});
    return &shape;
}

const ReferralSchema& referral_schema() {
    thread_local const ReferralSchema schema;
    return schema;
}

namespace {

struct Screen {
    codec::Strictness strictness;
    issues::IssueSink& sink;
    std::size_t removed = 0;

    void object(Value& object, const ObjectShape& shape, const issues::ElementPath& path) {
        std::uint64_t seen = 0;  // one bit per member of the shape; none has more than 64
        // Compared as a const iterator: C++20 finds RapidJSON 1.1's non-const != ambiguous.
        for (auto m = object.MemberBegin(); m != Value::ConstMemberIterator(object.MemberEnd());) {
            const std::string_view name = view(m->name);
            const MemberShape* known = shape.find(name);
            if (!known) {
                if (!shape.closed) {
                    ++m;
                    continue;
                }
                unknown(path.child(name));
                m = object.EraseMember(m);  // keeps the order the sender wrote
                ++removed;
                continue;
            }
            const auto bit = static_cast<std::size_t>(known - shape.members.data());
            if (bit < 64) {
                if (seen & (std::uint64_t{1} << bit))
                    sink.error(IssueType::structure, path.child(name).str(), "member appears more than once");
                seen |= std::uint64_t{1} << bit;
            }
            value(m->value, known->shape, path.child(name));
            ++m;
        }
    }

    void value(Value& v, const ObjectShape* shape, const issues::ElementPath& path) {
        if (v.IsString()) {
            if (std::memchr(v.GetString(), '\0', v.GetStringLength()))
                sink.error(IssueType::value, path.str(), "contains the character U+0000, which no field allows");
        } else if (v.IsObject()) {
            if (shape) object(v, *shape, path);  // else the validator reports the type
        } else if (v.IsArray()) {
            for (rapidjson::SizeType i = 0; i < v.Size(); ++i) value(v[i], shape, path.at(i));
        }
    }

    void unknown(const issues::ElementPath& path) {
        if (strictness == codec::Strictness::strict)
            sink.error(IssueType::not_supported, path.str(), "unknown member: partnership-referral/1 does not define it");
        else
            sink.warning(IssueType::informational, path.str(),
                         "unknown member: partnership-referral/1 does not define it; not carried");
    }
};

}  // namespace

std::size_t screen_document(Value& document, const ReferralSchema& schema, codec::Strictness strictness,
                            issues::IssueSink& sink) {
    Screen screen{strictness, sink};
    if (document.IsObject()) screen.object(document, schema.root_shape(), issues::ElementPath{""});
    return screen.removed;
}

std::string element_path(const rapidjson::Pointer& pointer, const Value& document) {
    std::string out;
    const Value* at = &document;
    for (std::size_t i = 0; i < pointer.GetTokenCount(); ++i) {
        const rapidjson::Pointer::Token& token = pointer.GetTokens()[i];
        if (at && at->IsArray() && token.index != rapidjson::kPointerInvalidIndex) {
            out += '[';
            out += std::to_string(token.index);
            out += ']';
            at = token.index < at->Size() ? &(*at)[token.index] : nullptr;
            continue;
        }
        const std::string_view name(token.name, token.length);
        out = join_path(std::move(out), name);
        at = at ? member(*at, name) : nullptr;
    }
    return out;
}

bool validate(const Value& document, const ReferralSchema& schema, issues::IssueSink& sink) {
    rapidjson::SchemaValidator validator(schema.document());
    if (document.Accept(validator)) return true;

    const std::string_view keyword = validator.GetInvalidSchemaKeyword();
    const Value* rule = validator.GetInvalidSchemaPointer().Get(schema.source());
    const Value* offending = validator.GetInvalidDocumentPointer().Get(document);
    std::string path = element_path(validator.GetInvalidDocumentPointer(), document);
    const Value* expected = rule ? member(*rule, keyword) : nullptr;
    const std::string expectation = expected ? schema_value_text(*expected) : std::string();

    IssueType type = IssueType::value;
    std::string message(keyword);
    message += ": ";
    if (keyword == "type") {
        type = IssueType::structure;
        message += "expected " + (expected ? type_words(*expected) : std::string("another type"));
        if (offending) message += ", found " + std::string(json::describe_type(*offending));
    } else if (keyword == "enum") {
        message += "expected one of " + expectation;
    } else if (keyword == "pattern") {
        message += "expected a value matching " + expectation;
        if (const Value* d = rule ? member(*rule, "description") : nullptr; d && d->IsString()) message += " (" + schema_value_text(*d) + ")";
    } else if (keyword == "maxLength") {
        type = IssueType::too_long;
        message += "expected at most " + expectation + " characters";
    } else if (keyword == "minLength") {
        message += "expected at least " + expectation + " character" + (expectation == "1" ? "" : "s");
    } else if (keyword == "maxItems") {
        type = IssueType::too_long;
        message += "expected at most " + expectation + " items";
    } else if (keyword == "minItems") {
        message += "expected at least " + expectation + " items";
    } else if (keyword == "uniqueItems") {
        message += "expected no repeated items";
    } else if (keyword == "minimum") {
        message += "expected at least " + expectation;
    } else if (keyword == "maximum") {
        message += "expected at most " + expectation;
    } else if (keyword == "required") {
        // RapidJSON points at the object; name the member that is missing.
        type = IssueType::required;
        std::string missing;
        if (expected && expected->IsArray() && offending)
            for (const Value& name : expected->GetArray())
                if (!member(*offending, view(name))) {
                    missing = std::string(view(name));
                    break;
                }
        if (!missing.empty()) {
            path = join_path(std::move(path), missing);
            message += "missing member " + missing;
        } else {
            message += "expected members " + expectation;
        }
    } else if (keyword == "anyOf") {
        // The schema's anyOf are lists of alternatives required, e.g. nhsNumber or localId.
        type = IssueType::required;
        std::string alternatives;
        if (expected && expected->IsArray())
            for (const Value& option : expected->GetArray())
                if (const Value* r = member(option, "required"); r && r->IsArray()) {
                    if (!alternatives.empty()) alternatives += " or ";
                    alternatives += schema_value_text(*r);
                }
        message += "expected at least one of " + alternatives;
    } else if (keyword == "additionalProperties") {
        type = IssueType::not_supported;
        message += "unknown member";
    } else {
        message += "breaks the schema rule";
    }
    sink.error(type, std::move(path), std::move(message));
    return false;
}

}  // namespace carebridge::referral_json
