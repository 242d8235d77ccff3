// References, and who the record is about: the resolver's answers turned into
// the record's person, organisations and professionals, with the identity
// rules every place a person is named must keep.
#include "fhir/fhir_decoder.hpp"
#include "fhir/uk_core.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

// Where each resource type names the person it is about.
struct PersonElement {
    std::string_view type;
    const char* member;
};
constexpr PersonElement person_elements[] = {
    {"ServiceRequest", "subject"}, {"Consent", "patient"},  {"Task", "for"},          {"CarePlan", "subject"},
    {"Flag", "subject"},           {"Condition", "subject"}, {"Encounter", "subject"}, {"RiskAssessment", "subject"},
    {"CareTeam", "subject"},       {"Goal", "subject"},      {"QuestionnaireResponse", "subject"},
};

const char* person_member(std::string_view type) {
    for (const PersonElement& e : person_elements)
        if (e.type == type) return e.member;
    return nullptr;
}

bool is_indexed_type(std::string_view type) {
    return is_one_of(type, {"Patient", "Organization", "Practitioner", "PractitionerRole", "HealthcareService",
                            "Location", "RelatedPerson"});
}

// A Reference's identifier as written, without a reader (a check before decoding).
bool peek_identifier(const rapidjson::Value& reference, std::string_view& system, std::string_view& value) {
    if (!reference.IsObject()) return false;
    const auto identifier = reference.FindMember("identifier");
    if (identifier == reference.MemberEnd() || !identifier->value.IsObject()) return false;
    const auto s = identifier->value.FindMember("system");
    const auto v = identifier->value.FindMember("value");
    if (s == identifier->value.MemberEnd() || !s->value.IsString()) return false;
    if (v == identifier->value.MemberEnd() || !v->value.IsString()) return false;
    system = view(s->value);
    value = view(v->value);
    return true;
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
    const auto m = object.FindMember(name);
    return m == object.MemberEnd() ? nullptr : &m->value;
}

}  // namespace

Resolved Decoder::follow(const Ref& ref, const ElementPath& path) {
    const Resolved found = resolver_.resolve(ref, current_);
    if (found.outside) {
        const ElementPath at = path.child("reference");
        std::string message = "reference " + quoted(ref.reference);
        if (found.how == Resolution::identifier)
            message += " points outside the document: only the identifier beside it is carried";
        else
            message += " does not resolve to a resource in this document";
        ctx_.warn(IssueType::not_found, at, std::move(message));
    }
    if (source_paths_) {
        model::ReferenceSource source;
        source.path = path.str();
        source.how = resolution_name(found.how);
        if (found.how == Resolution::identifier) source.system = identifier_kind_name(found.kind);
        source.outside = found.outside;
        source_paths_->references.push_back(std::move(source));
    }
    return found;
}

const Actor* Decoder::logical_actor(const Ref& ref, const Resolved& found, const ElementPath& path) {
    logical_ = Actor{};
    const ElementPath identifier = path.child("identifier");
    if (names_organisation(found.kind)) {
        if (!model::is_valid_ods_code(found.value)) {
            const ElementPath value = identifier.child("value");
            ctx_.invalid(value, quoted(found.value) + " is not a valid ODS code");
            return nullptr;
        }
        // As an Organization in the document would be: the directory names it.
        logical_.type = "Organization";
        logical_.ods.assign(found.value);
        return &logical_;
    }
    if (names_professional(found.kind)) {
        logical_.type = "Practitioner";
        ctx_.not_carried(identifier, "the record names a professional; their " +
                                         std::string(identifier_kind_name(found.kind)) + " is not carried");
        if (ref.display.empty()) return nullptr;
        logical_.name.assign(ref.display);
        return &logical_;
    }
    if (found.kind == IdentifierKind::nhs_number) {
        ctx_.not_carried(path, "an NHS number names a person, not an organisation or professional");
        return nullptr;
    }
    if (!ref.identifier_system.empty() || !ref.identifier_value.empty())
        ctx_.not_carried(identifier, "only an ODS code identifies an organisation in the record");
    // The display is a name, which is what the record keeps of a ward or a
    // professional; where it needs an ODS code the caller reports its absence.
    if (!ref.display.empty()) {
        logical_.name.assign(ref.display);
        return &logical_;
    }
    return nullptr;
}

void Decoder::index_contained(std::size_t container) {
    const rapidjson::Value* contained = member(*index_[container].resource, "contained");
    if (!contained || !contained->IsArray()) return;  // the container's reader reports a wrong type
    for (rapidjson::SizeType k = 0; k < contained->Size(); ++k) {
        const rapidjson::Value& item = (*contained)[k];
        if (!item.IsObject()) continue;
        const rapidjson::Value* type = member(item, "resourceType");
        const rapidjson::Value* id = member(item, "id");
        // Only what a reference can reach (`#id`), and only people and organisations.
        if (!type || !type->IsString() || !id || !id->IsString() || id->GetStringLength() == 0) continue;
        if (!is_indexed_type(view(*type))) continue;
        IndexedResource res;
        res.resource = &item;
        res.type = view(*type);
        res.id = view(*id);
        res.entry = index_[container].entry;
        res.contained = k;
        res.container = container;
        res.container_type = index_[container].type;
        index_.add(res);
    }
}

bool Decoder::is_indexed_contained(std::size_t k) const {
    if (current_ == no_entry || index_[current_].container != no_entry) return false;
    const rapidjson::Value* contained = member(*index_[current_].resource, "contained");
    if (!contained || !contained->IsArray() || k >= contained->Size()) return false;
    const rapidjson::Value* id = (*contained)[static_cast<rapidjson::SizeType>(k)].IsObject()
                                     ? member((*contained)[static_cast<rapidjson::SizeType>(k)], "id")
                                     : nullptr;
    if (!id || !id->IsString() || id->GetStringLength() == 0) return false;
    const std::size_t found = index_.resolve_contained("#" + std::string(view(*id)), current_);
    return found != no_entry && index_[found].resource == &(*contained)[static_cast<rapidjson::SizeType>(k)];
}

void Decoder::check_person_identifiers() {
    const auto check = [&](const rapidjson::Value& reference, const ElementPath& path) {
        std::string_view system, value;
        if (!peek_identifier(reference, system, value) || identifier_kind(system) != IdentifierKind::nhs_number) return;
        if (!nhs_number_digits(value).empty()) return;
        const ElementPath identifier = path.child("identifier");
        const ElementPath at = identifier.child("value");
        // The number itself stays out of the message: outcomes get logged.
        ctx_.invalid(at, "not a valid NHS number: it must be ten digits passing the modulus 11 check");
    };
    for (std::size_t i = 0; i < index_.size(); ++i) {
        const rapidjson::Value& resource = *index_[i].resource;
        const ResourcePath path(in_bundle_, index_[i]);
        if (const char* name = person_member(index_[i].type)) {
            if (const rapidjson::Value* reference = member(resource, name)) {
                const ElementPath at = path.get().child(name);
                check(*reference, at);
            }
        } else if (index_[i].type == "AuditEvent") {
            const rapidjson::Value* entities = member(resource, "entity");
            if (!entities || !entities->IsArray()) continue;
            const ElementPath list = path.get().child("entity");
            for (rapidjson::SizeType k = 0; k < entities->Size(); ++k) {
                if (!(*entities)[k].IsObject()) continue;
                const rapidjson::Value* what = member((*entities)[k], "what");
                if (!what) continue;
                const ElementPath entity = list.at(k);
                const ElementPath at = entity.child("what");
                check(*what, at);
            }
        }
    }
}

void Decoder::choose_person_by_identifier() {
    // No Patient in the document: the first valid NHS number a referral (else
    // any resource) names its subject by is the person.
    for (int pass = 0; pass < 2 && record_.person.nhs_number.empty(); ++pass) {
        for (std::size_t i = 0; i < index_.size() && record_.person.nhs_number.empty(); ++i) {
            if ((index_[i].type == "ServiceRequest") != (pass == 0)) continue;
            const char* name = person_member(index_[i].type);
            const rapidjson::Value* reference = name ? member(*index_[i].resource, name) : nullptr;
            std::string_view system, value;
            if (!reference || !peek_identifier(*reference, system, value)) continue;
            if (identifier_kind(system) == IdentifierKind::nhs_number)
                record_.person.nhs_number = nhs_number_digits(value);
        }
    }
}

std::string Decoder::patient_nhs_number(std::size_t i) const {
    const rapidjson::Value* identifiers = member(*index_[i].resource, "identifier");
    if (!identifiers || !identifiers->IsArray()) return {};
    for (const rapidjson::Value& id : identifiers->GetArray()) {
        if (!id.IsObject()) continue;
        const rapidjson::Value* system = member(id, "system");
        const rapidjson::Value* value = member(id, "value");
        if (system && value && system->IsString() && value->IsString() &&
            identifier_kind(view(*system)) == IdentifierKind::nhs_number)
            if (std::string digits = nhs_number_digits(view(*value)); !digits.empty()) return digits;
    }
    return {};
}

Decoder::Subject Decoder::subject_of(ObjectReader& parent, std::string_view name, bool& present) {
    const rapidjson::Value* v = parent.take(name);
    present = v != nullptr;
    const ElementPath path = parent.child(name);
    const bool known_person = person_ != no_entry || !record_.person.nhs_number.empty();
    if (!v) return known_person ? Subject::person : Subject::nobody;
    Ref ref;
    if (!read_reference(ctx_, *v, path, ref)) return Subject::person;  // the wrong type is reported
    const Resolved found = follow(ref, path);
    // A failing NHS number was reported by check_person_identifiers.
    const std::string nhs = found.kind == IdentifierKind::nhs_number ? nhs_number_digits(found.value) : std::string();
    if (found.index != no_entry) {
        if (index_[found.index].type != "Patient") return Subject::someone_else;
        const std::string own = patient_nhs_number(found.index);
        if (!nhs.empty() && !own.empty() && own != nhs) {
            const ElementPath identifier = path.child("identifier");
            const ElementPath at = identifier.child("value");
            ctx_.sink().error(IssueType::invariant, at.str(),
                              "this NHS number contradicts the one on the Patient the reference points at");
        }
        return found.index == person_ ? Subject::person : Subject::someone_else;
    }
    if (!nhs.empty()) {
        if (person_ == no_entry && nhs == record_.person.nhs_number && !identity_only_reported_) {
            identity_only_reported_ = true;
            ctx_.warn(IssueType::not_found, path, "demographics not in the document: only the NHS number is carried");
        }
        if (record_.person.nhs_number.empty()) return Subject::person;  // a Patient without an NHS number
        return nhs == record_.person.nhs_number ? Subject::person : Subject::someone_else;
    }
    // A failing NHS number is already an error; "names no person" would only repeat it.
    if (found.kind == IdentifierKind::nhs_number) return Subject::person;
    if (found.how == Resolution::display && !known_person) {
        const ElementPath at = path.child("display");
        ctx_.warn(IssueType::not_found, at, "a person named by display alone cannot be identified");
    }
    return known_person ? Subject::person : Subject::nobody;
}

}  // namespace carebridge::fhir
