#include "config/config_schema.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>

#include <cstdio>
#include <cstdlib>

namespace carebridge::gateway::config {
namespace {

using rapidjson::Value;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

const Value* member(const Value& object, std::string_view name) {
    if (!object.IsObject()) return nullptr;
    const auto it =
        object.FindMember(Value(rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size()))));
    return it == object.MemberEnd() ? nullptr : &it->value;
}

// The schema's own source, kept beside the compiled form: messages quote its
// rules (the enum's values, the range, the description of a pattern).
struct CompiledSchema {
    rapidjson::Document source;
    std::optional<rapidjson::SchemaDocument> compiled;

    CompiledSchema() {
        const std::string_view text = gateway_config_schema();
        source.Parse(text.data(), text.size());
        if (source.HasParseError() || !source.IsObject()) {
            // A build defect, not a configuration problem: without its schema
            // the loader would accept anything, so refuse to run at all.
            std::fprintf(stderr, "carebridge: the embedded configuration schema is not valid JSON: %s\n",
                         rapidjson::GetParseError_En(source.GetParseError()));
            std::abort();
        }
        compiled.emplace(source);
    }
};

const CompiledSchema& schema() {
    static const CompiledSchema instance;  // read-only after construction; shared by reloads on any thread
    return instance;
}

std::string number_text(const Value& v) {
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    if (v.IsUint64()) return std::to_string(v.GetUint64());
    char text[32];
    std::snprintf(text, sizeof text, "%g", v.GetDouble());
    return text;
}

// A value from the configuration or the schema, short enough for one line.
std::string value_text(const Value& v) {
    constexpr std::size_t longest = 80;
    switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType: return "false";
    case rapidjson::kTrueType: return "true";
    case rapidjson::kNumberType: return number_text(v);
    case rapidjson::kStringType: {
        std::string_view s = view(v);
        const bool cut = s.size() > longest;
        if (cut) s = s.substr(0, longest);
        return '"' + std::string(s) + (cut ? "…\"" : "\"");
    }
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    }
    return "a value";
}

std::string_view type_text(const Value& v) {
    switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "a boolean";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return "a string";
    case rapidjson::kNumberType: return v.IsInt64() || v.IsUint64() ? "an integer" : "a number";
    }
    return "a value";
}

std::string enum_text(const Value& values) {
    std::string out;
    for (const Value& v : values.GetArray()) {
        if (!out.empty()) out += ", ";
        out += v.IsString() ? std::string(view(v)) : value_text(v);
    }
    return out;
}

// What a rule asks for, e.g. "an integer from 0 to 65535", "true or false".
std::string expectation(const Value& rule) {
    if (const Value* values = member(rule, "enum"); values && values->IsArray()) return "one of " + enum_text(*values);
    const Value* type = member(rule, "type");
    const std::string_view t = type && type->IsString() ? view(*type) : std::string_view();
    if (t == "boolean") return "true or false";
    if (t == "object") return "an object";
    if (t == "array") return "an array";
    if (t == "string") return "a string";
    std::string out = t == "integer" ? "an integer" : "a number";
    const Value* min = member(rule, "minimum");
    const Value* max = member(rule, "maximum");
    const Value* exclusive = member(rule, "exclusiveMinimum");
    const bool above = exclusive && exclusive->IsBool() && exclusive->GetBool();
    if (min && max) {
        if (above) return out + " above " + number_text(*min) + " and at most " + number_text(*max);
        return out + " from " + number_text(*min) + " to " + number_text(*max);
    }
    if (min) return out + (above ? " above " : " of at least ") + number_text(*min);
    if (max) return out + " of at most " + number_text(*max);
    return out;
}

std::string join(std::string base, std::string_view name) {
    if (!base.empty()) base += '.';
    base += name;
    return base;
}

std::string property_names(const Value& rule) {
    const Value* properties = member(rule, "properties");
    if (!properties || !properties->IsObject()) return {};
    std::string out;
    for (const auto& p : properties->GetObject()) {
        if (!out.empty()) out += ", ";
        out += view(p.name);
    }
    return out;
}

}  // namespace

std::string key_path(const rapidjson::Pointer& pointer, const Value& document) {
    std::string out;
    const Value* at = &document;
    for (std::size_t i = 0; i < pointer.GetTokenCount(); ++i) {
        const rapidjson::Pointer::Token& token = pointer.GetTokens()[i];
        if (at && at->IsArray() && token.index != rapidjson::kPointerInvalidIndex) {
            out += '[' + std::to_string(token.index) + ']';
            at = token.index < at->Size() ? &(*at)[token.index] : nullptr;
            continue;
        }
        const std::string_view name(token.name, token.length);
        out = join(std::move(out), name);
        at = at ? member(*at, name) : nullptr;
    }
    return out.empty() ? "top level" : out;
}

std::optional<std::string> schema_violation(const Value& document) {
    const CompiledSchema& s = schema();
    rapidjson::SchemaValidator validator(*s.compiled);
    if (document.Accept(validator)) return std::nullopt;

    const std::string_view keyword = validator.GetInvalidSchemaKeyword();
    static const Value no_rule(rapidjson::kObjectType);
    const Value* found_rule = validator.GetInvalidSchemaPointer().Get(s.source);
    const Value& rule = found_rule ? *found_rule : no_rule;
    const Value* offending = validator.GetInvalidDocumentPointer().Get(document);
    std::string path = key_path(validator.GetInvalidDocumentPointer(), document);
    const Value* limit = member(rule, keyword);
    const std::string limit_text = limit && limit->IsNumber() ? number_text(*limit) : std::string();

    std::string message;
    if (keyword == "additionalProperties") {
        // RapidJSON 1.1 puts the offending member's name last in the pointer.
        message = "unknown key";
        if (const std::string names = property_names(rule); !names.empty())
            message += " (expected one of " + names + ")";
    } else if (keyword == "required") {
        // RapidJSON points at the object; name the member that is missing.
        const Value* names = member(rule, "required");
        if (names && names->IsArray() && offending)
            for (const Value& name : names->GetArray())
                if (name.IsString() && !member(*offending, view(name))) {
                    path = path == "top level" ? std::string(view(name)) : join(std::move(path), view(name));
                    break;
                }
        message = "is required";
    } else if (keyword == "enum") {
        message = (offending ? value_text(*offending) : std::string("the value")) + " is not one of " +
                  (limit && limit->IsArray() ? enum_text(*limit) : std::string("the listed values"));
    } else if (keyword == "type" || keyword == "minimum" || keyword == "maximum") {
        message = "must be " + expectation(rule);
        if (offending)
            message += ", found " + (keyword == "type" ? std::string(type_text(*offending)) : value_text(*offending));
    } else if (keyword == "pattern") {
        message = (offending ? value_text(*offending) : std::string("the value")) + " does not match " +
                  (limit && limit->IsString() ? std::string(view(*limit)) : std::string("the pattern"));
        if (const Value* d = member(rule, "description"); d && d->IsString())
            message += " (" + std::string(view(*d)) + ")";
    } else if (keyword == "minLength") {
        message = limit_text == "1" ? "must not be empty" : "must be at least " + limit_text + " characters";
    } else if (keyword == "maxLength") {
        message = "must be at most " + limit_text + " characters";
    } else if (keyword == "minItems") {
        message = "must list at least " + limit_text;
    } else if (keyword == "uniqueItems") {
        message = "lists the same value twice";
    } else {
        message = "breaks the schema's rule " + std::string(keyword);
    }
    return path + ": " + message;
}

}  // namespace carebridge::gateway::config
