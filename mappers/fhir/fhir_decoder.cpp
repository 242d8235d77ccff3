#include "fhir/fhir_decoder.hpp"

#include "fhir/fhir_codec.hpp"
#include "fhir/uk_core.hpp"
#include "json/bounded_json.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

bool is_actor_type(std::string_view type) {
    return is_one_of(type, {"Organization", "Practitioner", "Location", "RelatedPerson"});
}
bool is_composite_actor_type(std::string_view type) { return is_one_of(type, {"PractitionerRole", "HealthcareService"}); }

// `subject.reference` of a resource, read without a reader (a peek before decoding).
std::string_view peek_reference(const rapidjson::Value& resource, const char* member) {
    const auto m = resource.FindMember(member);
    if (m == resource.MemberEnd() || !m->value.IsObject()) return {};
    const auto r = m->value.FindMember("reference");
    if (r == m->value.MemberEnd() || !r->value.IsString()) return {};
    return view(r->value);
}

}  // namespace

std::optional<model::PersonRecord> Decoder::run() {
    if (!document_.IsObject()) {
        ctx_.sink().error(IssueType::structure, "",
                          "expected a FHIR resource (a JSON object), found " +
                              std::string(json::describe_type(document_)));
        return std::nullopt;
    }
    const auto type_member = document_.FindMember("resourceType");
    if (type_member == document_.MemberEnd() || !type_member->value.IsString()) {
        ctx_.sink().error(IssueType::structure, "", "resourceType is missing: this is not a FHIR resource");
        return std::nullopt;
    }
    const std::string_view type = view(type_member->value);
    in_bundle_ = type == "Bundle";
    const ElementPath root(type);
    if (!index_document(root)) return std::nullopt;

    const std::size_t n = index_.size();
    decoded_.assign(n, false);
    used_.assign(n, false);
    actors_.assign(n, Actor{});
    referral_of_.assign(n, no_entry);
    plan_of_.assign(n, no_entry);

    check_person_identifiers();
    choose_person();
    // Organisations and people first, then the roles and services that point
    // at them, so every later reference finds them decoded.
    for (std::size_t i = 0; i < n; ++i)
        if (is_actor_type(index_[i].type)) decode_actor(i);
    for (std::size_t i = 0; i < n; ++i)
        if (is_composite_actor_type(index_[i].type)) decode_actor(i);
    if (person_ != no_entry) decode_patient(person_);
    for (std::size_t i = 0; i < n; ++i)
        if (index_[i].type == "ServiceRequest") decode_service_request(i);
    for (std::size_t i = 0; i < n; ++i)
        if (index_[i].type == "CarePlan" && !has_category(i, partnership::care_plan_category, partnership::crisis_plan_code) &&
            !has_category(i, partnership::care_plan_category, partnership::contingency_plan_code))
            decode_care_plan(i);
    // Everything else in document order, so history hops keep their order.
    for (std::size_t i = 0; i < n; ++i)
        if (!decoded_[i]) decode_rest(i);
    report_unused_actors();

    if (record_.referrals.empty())
        ctx_.sink().add(issues::Severity::information, IssueType::not_found, "",
                        "the document carries no ServiceRequest: there is no referral in it");
    if (ctx_.sink().failed()) return std::nullopt;
    return std::move(record_);
}

bool Decoder::index_document(const ElementPath& root) {
    if (source_paths_) {
        const auto type = document_.FindMember("resourceType");
        if (type != document_.MemberEnd() && type->value.IsString()) source_paths_->document_type = view(type->value);
    }
    if (!in_bundle_) {
        const auto id = document_.FindMember("id");
        IndexedResource res;
        res.resource = &document_;
        res.type = view(document_.FindMember("resourceType")->value);
        if (id != document_.MemberEnd() && id->value.IsString()) res.id = view(id->value);
        index_.add(res);
        index_contained(0);
        index_.seal();
        return true;
    }
    ObjectReader bundle(ctx_, document_, root);
    const bool ok = index_bundle(bundle);
    // Contained resources after every entry, so entry order stays index order.
    for (std::size_t i = 0, n = index_.size(); i < n; ++i) index_contained(i);
    index_.seal();
    if (source_paths_) note_message_id();
    return ok;
}

void Decoder::note_message_id() {
    // Bundle.identifier names the message for its sender; a message Bundle's
    // MessageHeader.id does too. Either makes a resend recognisable.
    const auto identifier = document_.FindMember("identifier");
    if (identifier != document_.MemberEnd() && identifier->value.IsObject()) {
        const auto value = identifier->value.FindMember("value");
        const auto system = identifier->value.FindMember("system");
        if (value != identifier->value.MemberEnd() && value->value.IsString() && value->value.GetStringLength() > 0) {
            std::string id;
            if (system != identifier->value.MemberEnd() && system->value.IsString()) id = view(system->value);
            id += '|';
            id += view(value->value);
            source_paths_->message_id = std::move(id);
            return;
        }
    }
    if (index_.size() > 0 && index_[0].entry == 0 && index_[0].type == "MessageHeader" && !index_[0].id.empty())
        source_paths_->message_id = "MessageHeader/" + std::string(index_[0].id);
}

bool Decoder::index_bundle(ObjectReader& bundle) {
    read_common(bundle);
    // The envelope's own identity, time and paging say nothing about the person.
    bundle.ignore("identifier");
    bundle.ignore("timestamp");
    bundle.ignore("total");
    bundle.ignore("link");
    const auto type = required_string(bundle, "type");
    if (!type) return false;
    const ElementPath type_path = bundle.child("type");
    const bool message = *type == "message";
    const bool requests = *type == "transaction" || *type == "batch";
    if (is_one_of(*type, {"batch", "searchset", "document"})) {
        ctx_.warn(IssueType::processing, type_path,
                  "a " + std::string(*type) + " Bundle is read as a collection of resources");
    } else if (!is_one_of(*type, {"message", "transaction", "collection"})) {
        ctx_.sink().error(IssueType::not_supported, type_path.str(),
                          "a '" + std::string(*type) +
                              "' Bundle reports on requests or history; it is not a document to translate");
        bundle.drop();
        return false;
    }

    each(bundle, "entry", [&](const rapidjson::Value& item, const ElementPath& path, std::size_t k) {
        if (!expect_object(ctx_, item, path)) return;
        ObjectReader entry(ctx_, item, path);
        const std::string_view full_url = entry.string("fullUrl").value_or("");
        // How a transaction applies the entry, and a search's ranking, are not content.
        entry.ignore("request");
        entry.ignore("search");
        const rapidjson::Value* resource = entry.take("resource");
        const ElementPath resource_path = entry.child("resource");
        if (!resource) {
            if (requests)
                ctx_.not_carried(path, "an entry without a resource (a DELETE or GET request) has nothing to carry");
            else
                ctx_.missing(resource_path);
            return;
        }
        if (!expect_object(ctx_, *resource, resource_path)) return;
        const auto rt = resource->FindMember("resourceType");
        if (rt == resource->MemberEnd() || !rt->value.IsString()) {
            ctx_.sink().error(IssueType::structure, resource_path.str(),
                              "resourceType is missing: this entry holds no FHIR resource");
            return;
        }
        IndexedResource res;
        res.resource = resource;
        res.type = view(rt->value);
        res.full_url = full_url;
        res.entry = k;
        const auto id = resource->FindMember("id");
        if (id != resource->MemberEnd() && id->value.IsString()) res.id = view(id->value);
        index_.add(res);
    });

    if (message && (index_.size() == 0 || index_[0].entry != 0 || index_[0].type != "MessageHeader")) {
        const ElementPath entries = bundle.child("entry");
        const ElementPath first = entries.at(0);
        ctx_.sink().error(IssueType::invariant, first.str(),
                          "a message Bundle must start with its MessageHeader");
    }
    return !ctx_.sink().failed();
}

void Decoder::choose_person() {
    // The person is the one the referral is about; failing that, the first
    // Patient; failing that, the NHS number the referral names them by.
    for (std::size_t i = 0; i < index_.size() && person_ == no_entry; ++i) {
        if (index_[i].type != "ServiceRequest" || index_[i].container != no_entry) continue;
        Ref ref;
        ref.reference = peek_reference(*index_[i].resource, "subject");
        const std::size_t subject = resolver_.resolve(ref, i).index;
        if (subject != no_entry && index_[subject].type == "Patient") person_ = subject;
    }
    for (std::size_t i = 0; i < index_.size() && person_ == no_entry; ++i)
        if (index_[i].type == "Patient") person_ = i;
    if (person_ == no_entry) choose_person_by_identifier();
}

bool Decoder::begin(std::size_t i) {
    if (decoded_[i]) return false;
    decoded_[i] = true;
    return true;
}

void Decoder::decode_rest(std::size_t i) {
    const std::string_view type = index_[i].type;
    if (type == "Patient")
        not_carried_resource(i, "the record holds one person and this Patient is someone else");
    else if (type == "Task")
        decode_task(i);
    else if (type == "Consent")
        decode_consent(i, referral_for_unlinked(i));
    else if (type == "Flag")
        decode_flag(i, referral_for_unlinked(i));
    else if (type == "RiskAssessment")
        decode_risk_assessment(i, referral_for_unlinked(i));
    else if (type == "CareTeam")
        decode_care_team(i, referral_for_unlinked(i));
    else if (type == "Goal")
        decode_goal(i, plan_for_unlinked(i));
    else if (type == "QuestionnaireResponse")
        decode_questionnaire_response(i, plan_for_unlinked(i));
    else if (type == "CarePlan")
        decode_sub_plan(i);
    else if (type == "Condition")
        decode_condition(i);
    else if (type == "Encounter")
        decode_encounter(i);
    else if (type == "MessageHeader")
        decode_message_header(i);
    else
        not_carried_resource(i, "the record has no place for a resource of type " + std::string(type));
}

void Decoder::not_carried_resource(std::size_t i, std::string_view why) {
    decoded_[i] = true;
    const ResourcePath path(in_bundle_, index_[i]);
    ctx_.not_carried(path.get(), why);
}

void Decoder::decode_message_header(std::size_t i) {
    if (!begin(i)) return;
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        // The envelope — event, sender, destination, source, reason, focus — is
        // the gateway's routing, not the person's record.
        for (std::string_view name : {"eventCoding", "eventUri", "destination", "sender", "enterer", "author",
                                      "source", "responsible", "reason", "response", "focus", "definition"})
            r.ignore(name);
    });
}

void Decoder::read_common(ObjectReader& r, std::string* last_updated) {
    r.ignore("resourceType");  // already dispatched on
    r.ignore("id");            // used to resolve references
    r.ignore("language");      // the record's text is in the sender's language either way
    // Contained people and organisations are read where they are referred to;
    // any other contained resource is reported.
    each(r, "contained", [&](const rapidjson::Value&, const ElementPath& path, std::size_t k) {
        if (!is_indexed_contained(k)) ctx_.not_carried(path, "the record reads contained people and organisations only");
    });
    with_object(r, "meta", [&](ObjectReader& meta) {
        if (last_updated)
            read_instant(meta, "lastUpdated", *last_updated);
        else
            meta.ignore("lastUpdated");
        // Server bookkeeping and conformance claims; security labels and tags are reported.
        meta.ignore("versionId");
        meta.ignore("profile");
        meta.ignore("source");
    });
    if (const rapidjson::Value* text = r.object("text")) {
        // Generated narrative restates the structured data; additional narrative says more.
        const auto status = text->FindMember("status");
        if (status != text->MemberEnd() && status->value.IsString() && view(status->value) == "additional") {
            const ElementPath path = r.child("text");
            ctx_.not_carried(path, "the narrative holds more than the structured data");
        }
    }
}

std::size_t Decoder::resolve(const Ref& ref, const ElementPath& path) {
    if (ref.reference.empty()) return no_entry;
    return follow(ref, path).index;
}

void Decoder::mark_used(std::size_t i) {
    if (i == no_entry || used_[i]) return;
    used_[i] = true;
    mark_used(actors_[i].parts[0]);
    mark_used(actors_[i].parts[1]);
}

const Actor* Decoder::actor_for(const Ref& ref, const ElementPath& path) {
    if (!ref.present) return nullptr;
    const Resolved found = follow(ref, path);
    if (const std::size_t i = found.index; i != no_entry) {
        if (!actors_[i].type.empty()) {
            mark_used(i);
            return &actors_[i];
        }
        ctx_.not_carried(path, "it points at a " + std::string(index_[i].type) +
                                   ", which the record cannot hold here");
        return nullptr;
    }
    return logical_actor(ref, found, path);
}

bool Decoder::about_person(ObjectReader& parent, std::string_view name, bool required) {
    bool present = false;
    const Subject subject = subject_of(parent, name, present);
    if (!present && required) {
        const ElementPath path = parent.child(name);
        ctx_.missing(path);
    }
    return subject != Subject::someone_else;
}

bool Decoder::has_category(std::size_t i, std::string_view suffix, std::string_view code) const {
    const rapidjson::Value& resource = *index_[i].resource;
    const auto category = resource.FindMember("category");
    if (category == resource.MemberEnd() || !category->value.IsArray()) return false;
    for (const auto& codeable : category->value.GetArray()) {
        if (!codeable.IsObject()) continue;
        const auto coding = codeable.FindMember("coding");
        if (coding == codeable.MemberEnd() || !coding->value.IsArray()) continue;
        for (const auto& c : coding->value.GetArray()) {
            if (!c.IsObject()) continue;
            const auto s = c.FindMember("system");
            const auto k = c.FindMember("code");
            if (s != c.MemberEnd() && k != c.MemberEnd() && s->value.IsString() && k->value.IsString() &&
                ctx_.systems().is(view(s->value), suffix) && view(k->value) == code)
                return true;
        }
    }
    return false;
}

std::string Decoder::name_of(const rapidjson::Value& names, const ElementPath& path) {
    std::string out;
    if (!names.IsArray()) {
        ctx_.wrong_type(path, "an array", names);
        return out;
    }
    for (rapidjson::SizeType k = 0; k < names.Size(); ++k) {
        const ElementPath item = path.at(k);
        if (k > 0) {
            ctx_.not_carried(item, "the record keeps one name for a professional");
            continue;
        }
        if (!expect_object(ctx_, names[k], item)) continue;
        ObjectReader name(ctx_, names[k], item);
        name.ignore("use");  // a professional's name is the one they work under
        if (const auto text = name.string("text")) {
            out.assign(*text);
            // The parts restate the text.
            name.ignore("given");
            name.ignore("family");
            name.ignore("prefix");
            name.ignore("suffix");
            continue;
        }
        each(name, "given", [&](const rapidjson::Value& g, const ElementPath& gp, std::size_t) {
            if (!expect_string(ctx_, g, gp)) return;
            if (!out.empty()) out += ' ';
            out += view(g);
        });
        if (const auto family = name.string("family")) {
            if (!out.empty()) out += ' ';
            out += *family;
        }
    }
    return out;
}

// A resource's one identifier: its value is kept, a second identifier and a
// system other than the partnership's own are reported as not carried.
void Decoder::read_single_identifier(ObjectReader& r, std::string_view own_system, std::string& out,
                                     std::string_view what) {
    const partnership::Systems& systems = ctx_.systems();
    each_object(r, "identifier", [&](ObjectReader& id, std::size_t) {
        const std::string_view system = id.string("system").value_or("");
        id.ignore("use");
        if (!out.empty()) {
            id.drop();
            ctx_.not_carried(id.path(), "the record keeps one " + std::string(what) + " id");
            return;
        }
        read_text(id, "value", out);
        const ElementPath sp = id.child("system");
        if (!systems.is(system, own_system) && !system.empty())
            ctx_.not_carried(sp, "the record keeps the " + std::string(what) + " id, not the system that issued it");
    });
}

// The organisation an actor acts for, from the reference `name`: an Organization
// in the bundle, or one named by its ODS identifier.
void Decoder::link_organisation(ObjectReader& r, std::string_view name, Actor& actor, std::string_view wrong_type) {
    Ref ref;
    if (!read_reference(r, name, ref)) return;
    const ElementPath path = r.child(name);
    const Resolved found = follow(ref, path);
    const std::size_t o = found.index;
    if (o != no_entry && actors_[o].type == "Organization") {
        actor.ods = actors_[o].ods;
        actor.parts[1] = o;
    } else if (o == no_entry && !ref.identifier_value.empty()) {
        if (const Actor* logical = logical_actor(ref, found, path)) actor.ods = logical->ods;
    } else if (o != no_entry) {
        ctx_.not_carried(path, wrong_type);
    }
}

void Decoder::decode_actor(std::size_t i) {
    if (!begin(i)) return;
    const std::string_view type = index_[i].type;
    Actor& actor = actors_[i];
    actor.type = type;
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        // An active directory entry is the normal case; an inactive one is reported.
        if (const rapidjson::Value* active = r.take("active"); active && !(active->IsBool() && active->GetBool())) {
            const ElementPath ap = r.child("active");
            ctx_.not_carried(ap, "the record cannot say that an organisation or professional is inactive");
        }
        if (type == "Organization") {
            each_object(r, "identifier", [&](ObjectReader& id, std::size_t) {
                const std::string_view system = id.string("system").value_or("");
                const std::string_view value = id.string("value").value_or("");
                id.ignore("use");
                if (!uk_core::is_ods_system(system) || !actor.ods.empty()) {
                    id.drop();
                    ctx_.not_carried(id.path(), "an organisation is known by its ODS code alone");
                    return;
                }
                if (!model::is_valid_ods_code(value)) {
                    const ElementPath vp = id.child("value");
                    ctx_.invalid(vp, quoted(value) + " is not a valid ODS code");
                    return;
                }
                actor.ods.assign(value);
            });
            // With an ODS code the directory names the organisation; without, its name
            // (a former name the gateway's directory knows as an alias) is all there is.
            if (!actor.ods.empty())
                r.ignore("name");
            else
                read_text(r, "name", actor.name);
        } else if (type == "Practitioner" || type == "RelatedPerson") {
            if (const rapidjson::Value* names = r.take("name")) {
                const ElementPath path = r.child("name");
                actor.name = name_of(*names, path);
            }
            if (type == "RelatedPerson") r.ignore("patient");  // whose relation: the person's
        } else if (type == "PractitionerRole") {
            Ref ref;
            if (read_reference(r, "practitioner", ref)) {
                const ElementPath path = r.child("practitioner");
                const std::size_t p = resolve(ref, path);
                if (p != no_entry && actors_[p].type == "Practitioner") {
                    actor.name = actors_[p].name;
                    actor.parts[0] = p;
                } else if (p == no_entry && !ref.display.empty()) {
                    actor.name.assign(ref.display);
                } else if (p != no_entry) {
                    ctx_.not_carried(path, "a role's practitioner must be a Practitioner");
                }
            }
            link_organisation(r, "organization", actor, "a role's organization must be an Organization");
            each_object(r, "telecom", [&](ObjectReader& t, std::size_t) {
                const std::string_view system = t.string("system").value_or("");
                const std::string_view value = t.string("value").value_or("");
                t.ignore("use");
                t.ignore("rank");
                if (system != "phone" || !actor.phone.empty()) {
                    t.drop();
                    ctx_.not_carried(t.path(), "the record keeps one phone number for a professional");
                    return;
                }
                actor.phone.assign(value);
            });
        } else if (type == "HealthcareService" || type == "Location") {
            read_text(r, "name", actor.name);
            const std::string_view owner = type == "HealthcareService" ? "providedBy" : "managingOrganization";
            link_organisation(r, owner, actor, "the provider must be an Organization");
        }
    });
}

void Decoder::report_unused_actors() {
    for (std::size_t i = 0; i < index_.size(); ++i) {
        if (actors_[i].type.empty() || used_[i]) continue;
        const ResourcePath path(in_bundle_, index_[i]);
        ctx_.not_carried(path.get(), "nothing the record carries refers to this " + std::string(index_[i].type));
    }
}

std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          std::string_view partnership_base, issues::IssueSink& sink,
                                          model::SourcePaths* source_paths) {
    std::string buffer;  // the document's strings live here
    rapidjson::Document document;
    if (!json::parse_bounded(json, options.limits, buffer, document, sink)) return std::nullopt;
    DecodeContext context(sink, options.strictness, partnership_base);
    if (source_paths) source_paths->clear();
    Decoder decoder(context, document, source_paths);
    return decoder.run();
}

std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink) {
    return decode(json, options, default_partnership_base, sink);
}

}  // namespace carebridge::fhir
