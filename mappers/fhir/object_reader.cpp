#include "fhir/object_reader.hpp"

#include <cstring>

#include "json/bounded_json.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {

void DecodeContext::not_carried(const ElementPath& path, std::string_view why) {
    // The path travels with the issue; the message says what happened and why.
    std::string message = strict_ ? "not supported by the mapper" : "not carried by the record";
    if (!why.empty()) {
        message += ": ";
        message += why;
    }
    if (strict_)
        sink_.error(IssueType::not_supported, path.str(), std::move(message));
    else
        sink_.warning(IssueType::informational, path.str(), std::move(message));
}

void DecodeContext::wrong_type(const ElementPath& path, std::string_view expected, const rapidjson::Value& found) {
    std::string message = "expected ";
    message += expected;
    message += ", found ";
    message += json::describe_type(found);
    sink_.error(IssueType::structure, path.str(), std::move(message));
}

bool ObjectReader::mark(std::size_t index) {
    if (index < 64) {
        const std::uint64_t bit = std::uint64_t{1} << index;
        const bool was = taken_ & bit;
        taken_ |= bit;
        return was;
    }
    const std::size_t more = index - 64;
    if (taken_more_.size() <= more) taken_more_.resize(object_.MemberCount() - 64, false);
    const bool was = taken_more_[more];
    taken_more_[more] = true;
    return was;
}

const rapidjson::Value* ObjectReader::take(std::string_view name) {
    std::size_t index = 0;
    for (auto m = object_.MemberBegin(); m != object_.MemberEnd(); ++m, ++index) {
        if (m->name.GetStringLength() == name.size() &&
            std::memcmp(m->name.GetString(), name.data(), name.size()) == 0) {
            mark(index);
            return &m->value;
        }
    }
    return nullptr;
}

std::optional<std::string_view> ObjectReader::string(std::string_view name) {
    const rapidjson::Value* v = take(name);
    if (!v) return std::nullopt;
    if (!v->IsString()) {
        context_.wrong_type(path_.child(name), "a string", *v);
        return std::nullopt;
    }
    return view(*v);
}

std::optional<bool> ObjectReader::boolean(std::string_view name) {
    const rapidjson::Value* v = take(name);
    if (!v) return std::nullopt;
    if (!v->IsBool()) {
        context_.wrong_type(path_.child(name), "a boolean", *v);
        return std::nullopt;
    }
    return v->GetBool();
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view name) {
    const rapidjson::Value* v = take(name);
    if (!v) return std::nullopt;
    if (!v->IsInt64()) {
        context_.wrong_type(path_.child(name), "an integer", *v);
        return std::nullopt;
    }
    return v->GetInt64();
}

const rapidjson::Value* ObjectReader::array(std::string_view name) {
    const rapidjson::Value* v = take(name);
    if (!v) return nullptr;
    if (!v->IsArray()) {
        context_.wrong_type(path_.child(name), "an array", *v);
        return nullptr;
    }
    return v;
}

const rapidjson::Value* ObjectReader::object(std::string_view name) {
    const rapidjson::Value* v = take(name);
    if (!v) return nullptr;
    if (!v->IsObject()) {
        context_.wrong_type(path_.child(name), "an object", *v);
        return nullptr;
    }
    return v;
}

void ObjectReader::finish() {
    if (finished_) return;
    finished_ = true;
    std::size_t index = 0;
    for (auto m = object_.MemberBegin(); m != object_.MemberEnd(); ++m, ++index) {
        const bool taken = index < 64 ? (taken_ >> index) & 1u
                                      : (index - 64 < taken_more_.size() && taken_more_[index - 64]);
        if (taken) continue;
        const std::string_view name = view(m->name);
        const ElementPath path = path_.child(name);
        // FHIR forbids ignoring a modifier extension: it changes what its element means.
        if (name == "modifierExtension") {
            context_.sink().error(IssueType::not_supported, path.str(),
                                  "a modifier extension changes the meaning of its element and cannot be "
                                  "ignored; the document cannot be translated safely");
            continue;
        }
        context_.not_carried(path);
    }
}

bool expect_object(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path) {
    if (v.IsObject()) return true;
    context.wrong_type(path, "an object", v);
    return false;
}

bool expect_string(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path) {
    if (v.IsString()) return true;
    context.wrong_type(path, "a string", v);
    return false;
}

bool read_coding(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Coding& out) {
    if (!expect_object(context, v, path)) return false;
    ObjectReader r(context, v, path);
    out.system = r.string("system").value_or("");
    out.code = r.string("code").value_or("");
    out.display = r.string("display").value_or("");
    // The code system version and the user's pick do not change what the code means.
    r.ignore("version");
    r.ignore("userSelected");
    return true;
}

bool read_concept(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Concept& out) {
    out = Concept{};
    if (!expect_object(context, v, path)) return false;
    ObjectReader r(context, v, path);
    if (const rapidjson::Value* codings = r.array("coding")) {
        const ElementPath coding_path = r.child("coding");
        for (rapidjson::SizeType i = 0; i < codings->Size(); ++i) {
            const ElementPath item = coding_path.at(i);
            if (out.count == out.codings.size()) {
                context.not_carried(item, "more codings than the mapper reads from one concept");
                continue;
            }
            if (read_coding(context, (*codings)[i], item, out.codings[out.count])) ++out.count;
        }
    }
    out.text = r.string("text").value_or("");
    out.present = true;
    return true;
}

bool read_concept(ObjectReader& parent, std::string_view name, Concept& out) {
    out = Concept{};
    const rapidjson::Value* v = parent.take(name);
    if (!v) return false;
    return read_concept(parent.context(), *v, parent.child(name), out);
}

bool read_reference(DecodeContext& context, const rapidjson::Value& v, const ElementPath& path, Ref& out) {
    out = Ref{};
    if (!expect_object(context, v, path)) return false;
    ObjectReader r(context, v, path);
    out.reference = r.string("reference").value_or("");
    // The display is a rendering of the target, which is read in its own right.
    out.display = r.string("display").value_or("");
    // The type only restates what the target resource says.
    r.ignore("type");
    if (const rapidjson::Value* identifier = r.object("identifier")) {
        const ElementPath id_path = r.child("identifier");
        ObjectReader ir(context, *identifier, id_path);
        out.identifier_system = ir.string("system").value_or("");
        out.identifier_value = ir.string("value").value_or("");
    }
    out.present = true;
    return true;
}

bool read_reference(ObjectReader& parent, std::string_view name, Ref& out) {
    out = Ref{};
    const rapidjson::Value* v = parent.take(name);
    if (!v) return false;
    return read_reference(parent.context(), *v, parent.child(name), out);
}

bool read_date_value(DecodeContext& context, std::string_view value, const ElementPath& path, std::string& out) {
    if (model::is_valid_date(value)) {
        out.assign(value);
        return true;
    }
    if (model::is_valid_instant(value)) {
        out.assign(value.substr(0, 10));
        context.not_carried(path, "the record keeps the date; the time of day is dropped");
        return true;
    }
    context.invalid(path, quoted(value) + " is not a valid FHIR date or dateTime");
    return false;
}

bool read_instant_value(DecodeContext& context, std::string_view value, const ElementPath& path,
                        std::string& out) {
    if (model::is_valid_instant(value)) {
        out.assign(value);
        return true;
    }
    if (model::is_valid_date(value)) {
        context.not_carried(path, "the record needs a date and time; a bare date is not carried");
        return false;
    }
    context.invalid(path, quoted(value) + " is not a valid FHIR dateTime");
    return false;
}

bool read_date(ObjectReader& parent, std::string_view name, std::string& out) {
    const auto value = parent.string(name);
    if (!value) return false;
    return read_date_value(parent.context(), *value, parent.child(name), out);
}

bool read_instant(ObjectReader& parent, std::string_view name, std::string& out) {
    const auto value = parent.string(name);
    if (!value) return false;
    return read_instant_value(parent.context(), *value, parent.child(name), out);
}

std::optional<std::string_view> required_string(ObjectReader& parent, std::string_view name) {
    const rapidjson::Value* v = parent.take(name);
    const ElementPath path = parent.child(name);
    if (!v) {
        parent.context().missing(path);
        return std::nullopt;
    }
    if (!v->IsString()) {
        parent.context().wrong_type(path, "a string", *v);
        return std::nullopt;
    }
    return view(*v);
}

bool read_text(ObjectReader& parent, std::string_view name, std::string& out) {
    const auto value = parent.string(name);
    if (!value) return false;
    out.assign(*value);
    return true;
}

}  // namespace carebridge::fhir
