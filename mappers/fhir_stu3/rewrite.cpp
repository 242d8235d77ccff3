#include "fhir_stu3/rewrite.hpp"

#include <array>
#include <string_view>
#include <utility>

#include "fhir/uk_core.hpp"
#include "json/bounded_json.hpp"

namespace carebridge::fhir_stu3 {
namespace {

using issues::IssueType;
using rapidjson::Value;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// The STU3-era NHS and CareConnect names that R4 UK Core spells differently.
// Identifier and code systems (`system`) and extension URLs (`url`).
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> renamed_systems = {{
    {"http://fhir.nhs.net/Id/nhs-number", fhir::uk_core::nhs_number_system},
    {"http://fhir.nhs.net/Id/ods-organization-code", fhir::uk_core::ods_organization_system},
    {"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1", fhir::uk_core::ethnic_category_system},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> renamed_extensions = {{
    {"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-EthnicCategory-1",
     fhir::uk_core::ethnic_category_extension},
    {"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1",
     fhir::uk_core::nhs_number_verification_extension},
}};

// e-RS says a referral's priority in an extension, in its own code system.
constexpr std::string_view ers_priority_extension =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralPriority-1";
constexpr std::string_view ers_priority_system = "https://fhir.nhs.uk/STU3/CodeSystem/eRS-Priority-1";

template <std::size_t N>
std::string_view renamed(const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                         std::string_view name) {
    for (const auto& [from, to] : table)
        if (from == name) return to;
    return name;
}

// STU3 ReferralRequest.status → R4 ServiceRequest.status; the rest are spelt
// alike. Empty for a code STU3 does not have (R4's on-hold and revoked among them).
std::string_view r4_status(std::string_view status) {
    if (status == "suspended") return "on-hold";
    if (status == "cancelled") return "revoked";
    for (std::string_view same : {"draft", "active", "completed", "entered-in-error", "unknown"})
        if (status == same) return status;
    return {};
}

// e-RS priority codes → R4 request priority. A two-week-wait referral (suspected
// cancer) is the most urgent e-RS has, so it is red.
std::string_view r4_priority(std::string_view ers_code) {
    if (ers_code == "ROUTINE") return "routine";
    if (ers_code == "URGENT") return "urgent";
    if (ers_code == "TWO_WEEK_WAIT") return "asap";
    return {};
}

bool is_read_from_stu3(std::string_view type) {
    for (std::string_view t : {"Patient", "Practitioner", "PractitionerRole", "Organization", "HealthcareService",
                               "Location"})
        if (type == t) return true;
    return false;
}

std::string child(const std::string& path, std::string_view name) {
    std::string out = path;
    out += '.';
    out += name;
    return out;
}
std::string at(const std::string& path, std::size_t index) {
    return path + "[" + std::to_string(index) + "]";
}

class Rewriter {
public:
    Rewriter(bool strict, issues::IssueSink& sink, Rewritten& out)
        : strict_(strict), sink_(sink), out_(out), alloc_(out.r4.GetAllocator()) {}

    bool run(const Value& doc) {
        if (!doc.IsObject()) {
            sink_.error(IssueType::structure, "",
                        "expected a FHIR resource (a JSON object), found " + std::string(json::describe_type(doc)));
            return false;
        }
        const auto type = doc.FindMember("resourceType");
        if (type == doc.MemberEnd() || !type->value.IsString()) {
            sink_.error(IssueType::structure, "", "resourceType is missing: this is not a FHIR resource");
            return false;
        }
        out_.root_type.assign(view(type->value));
        out_.r4.SetObject();
        entries_.SetArray();
        if (out_.root_type == "Bundle")
            bundle(doc);
        else {
            out_.r4.AddMember("resourceType", "Bundle", alloc_);
            out_.r4.AddMember("type", "collection", alloc_);
            out_.paths.add("Bundle", out_.root_type);
            add_entry(doc, out_.root_type, nullptr);
        }
        if (entries_written_) return true;
        // Resources STU3 implies but does not write go after the document's own.
        for (auto& [resource, paths] : synthesised_) {
            const std::string r4_path = entry_path(entries_.Size());
            for (auto& [r4_suffix, stu3_path] : paths) out_.paths.add(r4_path + r4_suffix, std::move(stu3_path));
            Value entry(rapidjson::kObjectType);
            entry.AddMember("resource", resource, alloc_);
            entries_.PushBack(entry, alloc_);
        }
        out_.r4.AddMember("entry", entries_, alloc_);
        return true;
    }

private:
    using Synthesised = std::pair<Value, std::vector<std::pair<std::string, std::string>>>;

    static std::string entry_path(std::size_t j) { return "Bundle.entry[" + std::to_string(j) + "].resource"; }

    void not_carried(const std::string& path, std::string_view why) {
        std::string message = strict_ ? "not supported by the mapper" : "not carried by the record";
        message += ": ";
        message += why;
        if (strict_)
            sink_.error(IssueType::not_supported, path, std::move(message));
        else
            sink_.warning(IssueType::informational, path, std::move(message));
    }

    // STU3 spelt HL7's own code systems http://hl7.org/fhir/v3/X and
    // http://hl7.org/fhir/v2/NNNN; R4 moved them under terminology.hl7.org.
    Value system(std::string_view s) {
        constexpr std::string_view v3 = "http://hl7.org/fhir/v3/";
        constexpr std::string_view v2 = "http://hl7.org/fhir/v2/";
        for (auto [stu3, r4] : {std::pair{v3, std::string_view("http://terminology.hl7.org/CodeSystem/v3-")},
                                std::pair{v2, std::string_view("http://terminology.hl7.org/CodeSystem/v2-")}})
            if (s.starts_with(stu3) && s.size() > stu3.size()) {
                std::string out(r4);
                out += s.substr(stu3.size());
                return string(out);
            }
        return string(renamed(renamed_systems, s));
    }

    Value string(std::string_view s) { return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc_); }

    // A deep copy that respells the STU3-era systems and extension URLs.
    Value copy(const Value& v, std::string_view member = {}) {
        if (v.IsString()) {
            if (member == "system") return system(view(v));
            if (member == "url") return string(renamed(renamed_extensions, view(v)));
            return string(view(v));
        }
        if (v.IsArray()) {
            Value out(rapidjson::kArrayType);
            out.Reserve(v.Size(), alloc_);
            for (const auto& item : v.GetArray()) out.PushBack(copy(item, member), alloc_);
            return out;
        }
        if (v.IsObject()) {
            Value out(rapidjson::kObjectType);
            for (const auto& m : v.GetObject()) out.AddMember(string(view(m.name)), copy(m.value, view(m.name)), alloc_);
            return out;
        }
        return Value(v, alloc_);
    }

    void bundle(const Value& doc) {
        out_.paths.add("Bundle", "Bundle");
        for (const auto& m : doc.GetObject()) {
            const std::string_view name = view(m.name);
            if (name == "entry") continue;
            out_.r4.AddMember(string(name), copy(m.value, name), alloc_);
        }
        const auto entries = doc.FindMember("entry");
        if (entries == doc.MemberEnd()) return;
        if (!entries->value.IsArray()) {
            // The R4 decoder says what is wrong with it, at the same path.
            out_.r4.AddMember("entry", copy(entries->value), alloc_);
            entries_written_ = true;
            return;
        }
        for (rapidjson::SizeType k = 0; k < entries->value.Size(); ++k) {
            const Value& entry = entries->value[k];
            const std::string stu3_entry = "Bundle.entry[" + std::to_string(k) + "]";
            const auto resource = entry.IsObject() ? entry.FindMember("resource") : Value::ConstMemberIterator();
            if (!entry.IsObject() || resource == entry.MemberEnd() || !resource->value.IsObject()) {
                out_.paths.add("Bundle.entry[" + std::to_string(entries_.Size()) + "]", stu3_entry);
                entries_.PushBack(copy(entry), alloc_);
                continue;
            }
            add_entry(resource->value, stu3_entry + ".resource", &entry);
        }
    }

    // Rewrites one resource into the next R4 entry, or reports it as not read.
    void add_entry(const Value& resource, const std::string& stu3_path, const Value* stu3_entry) {
        const auto type_member = resource.FindMember("resourceType");
        const std::string_view type =
            type_member != resource.MemberEnd() && type_member->value.IsString() ? view(type_member->value) : "";
        const std::size_t j = entries_.Size();
        const std::string r4_path = entry_path(j);
        Value r4;
        if (type == "ReferralRequest")
            r4 = referral_request(resource, stu3_path, r4_path);
        else if (type == "MessageHeader")
            r4 = message_header(resource);
        else if (type == "Consent")
            r4 = consent(resource, stu3_path, r4_path);
        else if (type.empty() || is_read_from_stu3(type))
            r4 = resource_copy(resource, stu3_path);
        else {
            not_carried(stu3_path, "an STU3 " + std::string(type) +
                                       " is not read; from STU3 the gateway reads a ReferralRequest, its Consent "
                                       "and the Patient, Practitioner, PractitionerRole, Organization, "
                                       "HealthcareService and Location they name");
            return;
        }
        Value entry(rapidjson::kObjectType);
        if (stu3_entry) {
            for (const auto& m : stu3_entry->GetObject()) {
                const std::string_view name = view(m.name);
                if (name != "resource") entry.AddMember(string(name), copy(m.value, name), alloc_);
            }
            out_.paths.add("Bundle.entry[" + std::to_string(j) + "]", stu3_path.substr(0, stu3_path.size() - 9));
        }
        out_.paths.add(r4_path, stu3_path);
        entry.AddMember("resource", r4, alloc_);
        entries_.PushBack(entry, alloc_);
    }

    // Contained resources are not read: e-RS puts its shortlist, search
    // criteria, appointments and attachments there, none of which the record holds.
    void report_contained(const Value& v, const std::string& path) {
        if (!v.IsArray()) {
            not_carried(path, "contained resources are not read");
            return;
        }
        for (rapidjson::SizeType k = 0; k < v.Size(); ++k) {
            const Value& c = v[k];
            const auto type = c.IsObject() ? c.FindMember("resourceType") : Value::ConstMemberIterator();
            std::string what = "a contained resource";
            if (c.IsObject() && type != c.MemberEnd() && type->value.IsString())
                what = "a contained " + std::string(view(type->value));
            not_carried(at(path, k), what + " is not read");
        }
    }

    Value resource_copy(const Value& resource, const std::string& stu3_path) {
        Value out(rapidjson::kObjectType);
        const bool patient = resource.HasMember("resourceType") && resource["resourceType"].IsString() &&
                             view(resource["resourceType"]) == "Patient";
        for (const auto& m : resource.GetObject()) {
            const std::string_view name = view(m.name);
            if (name == "contained") {
                report_contained(m.value, child(stu3_path, name));
            } else if (patient && name == "animal") {
                not_carried(child(stu3_path, name), "R4 has no Patient.animal, and the record holds people");
            } else {
                out.AddMember(string(name), copy(m.value, name), alloc_);
            }
        }
        return out;
    }

    Value message_header(const Value& resource) {
        Value out(rapidjson::kObjectType);
        for (const auto& m : resource.GetObject()) {
            const std::string_view name = view(m.name);
            // The envelope is routing, not the record; STU3's `event` is R4's eventCoding.
            if (name == "timestamp" || name == "receiver") continue;
            out.AddMember(string(name == "event" ? std::string_view("eventCoding") : name), copy(m.value, name),
                          alloc_);
        }
        return out;
    }

    // STU3 Consent keeps at its top level what R4 puts in `provision`.
    Value consent(const Value& c, const std::string& stu3, const std::string& r4) {
        Value out(rapidjson::kObjectType);
        Value provision(rapidjson::kObjectType);
        for (const auto& m : c.GetObject()) {
            const std::string_view name = view(m.name);
            const std::string path = child(stu3, name);
            std::string_view in_provision;
            if (name == "period" || name == "actor" || name == "purpose" || name == "action" ||
                name == "securityLabel" || name == "dataPeriod" || name == "data")
                in_provision = name;
            else if (name == "except")
                in_provision = "provision";
            if (!in_provision.empty()) {
                out_.paths.add(child(child(r4, "provision"), in_provision), path);
                provision.AddMember(string(in_provision), copy(m.value, name), alloc_);
            } else if (name == "contained") {
                report_contained(m.value, path);
            } else if (name == "consentingParty") {
                out_.paths.add(child(r4, "performer"), path);
                out.AddMember("performer", copy(m.value), alloc_);
            } else if (name == "identifier" && m.value.IsObject()) {
                out_.paths.add(at(child(r4, "identifier"), 0), path);
                Value ids(rapidjson::kArrayType);
                ids.PushBack(copy(m.value), alloc_);
                out.AddMember("identifier", ids, alloc_);
            } else if (name == "policyRule") {
                not_carried(path, "the record keeps the consent's scope and purposes, not the policy it follows");
            } else {
                out.AddMember(string(name), copy(m.value, name), alloc_);
            }
        }
        if (provision.MemberCount() > 0) {
            // STU3 lists what is permitted, with exceptions; R4 says so with a permit provision.
            provision.AddMember("type", "permit", alloc_);
            out.AddMember("provision", provision, alloc_);
        }
        return out;
    }

    Value referral_request(const Value& rr, const std::string& stu3, const std::string& r4) {
        Value out(rapidjson::kObjectType);
        Value extensions(rapidjson::kArrayType);
        Value notes(rapidjson::kArrayType);
        Value supporting(rapidjson::kArrayType);
        std::string_view priority_from_extension;
        std::string priority_path;
        bool has_priority = false;
        const Value* description = nullptr;
        const Value* stu3_notes = nullptr;

        for (const auto& m : rr.GetObject()) {
            const std::string_view name = view(m.name);
            const Value& v = m.value;
            const std::string path = child(stu3, name);
            if (name == "resourceType") {
                out.AddMember("resourceType", "ServiceRequest", alloc_);
            } else if (name == "contained") {
                report_contained(v, path);
            } else if (name == "extension" && v.IsArray()) {
                for (rapidjson::SizeType k = 0; k < v.Size(); ++k) {
                    const Value& ext = v[k];
                    const auto url = ext.IsObject() ? ext.FindMember("url") : Value::ConstMemberIterator();
                    if (ext.IsObject() && url != ext.MemberEnd() && url->value.IsString() &&
                        view(url->value) == ers_priority_extension) {
                        priority_path = at(path, k);
                        priority_from_extension = ers_priority(ext, priority_path);
                        continue;
                    }
                    out_.paths.add(at(child(r4, "extension"), extensions.Size()), at(path, k));
                    extensions.PushBack(copy(ext), alloc_);
                }
            } else if (name == "status" && v.IsString()) {
                const std::string_view status = r4_status(view(v));
                if (status.empty())
                    sink_.error(IssueType::value, path,
                                "'" + std::string(view(v)) + "' is not an STU3 ReferralRequest status");
                // Refused above; "unknown" keeps the R4 decoder from also calling it missing.
                out.AddMember("status", string(status.empty() ? std::string_view("unknown") : status), alloc_);
            } else if (name == "priority") {
                has_priority = true;
                out.AddMember("priority", copy(v), alloc_);
            } else if (name == "serviceRequested" && v.IsArray()) {
                // R4 asks for one service per ServiceRequest.
                for (rapidjson::SizeType k = 0; k < v.Size(); ++k) {
                    if (k == 0) {
                        out_.paths.add(child(r4, "code"), at(path, 0));
                        out.AddMember("code", copy(v[0]), alloc_);
                    } else {
                        not_carried(at(path, k), "R4 names one requested service per ServiceRequest and the record "
                                                 "keeps the first");
                    }
                }
            } else if (name == "recipient") {
                out_.paths.add(child(r4, "performer"), path);
                out.AddMember("performer", copy(v), alloc_);
            } else if (name == "context") {
                out_.paths.add(child(r4, "encounter"), path);
                out.AddMember("encounter", copy(v), alloc_);
            } else if (name == "groupIdentifier") {
                out_.paths.add(child(r4, "requisition"), path);
                out.AddMember("requisition", copy(v), alloc_);
            } else if (name == "requester" && v.IsObject()) {
                requester(v, path, r4, out);
            } else if (name == "subject" && v.IsObject() && !v.HasMember("reference") && v.HasMember("identifier")) {
                subject_by_identifier(v, path, out);
            } else if (name == "supportingInfo" && v.IsArray()) {
                for (rapidjson::SizeType k = 0; k < v.Size(); ++k) {
                    const Value& item = v[k];
                    const auto ref = item.IsObject() ? item.FindMember("reference") : Value::ConstMemberIterator();
                    if (item.IsObject() && ref != item.MemberEnd() && ref->value.IsString() &&
                        view(ref->value).starts_with("#")) {
                        not_carried(at(path, k), "it points at a contained resource, which is not read");
                        continue;
                    }
                    out_.paths.add(at(child(r4, "supportingInfo"), supporting.Size()), at(path, k));
                    supporting.PushBack(copy(item), alloc_);
                }
            } else if (name == "description" && v.IsString()) {
                description = &v;
            } else if (name == "note" && v.IsArray()) {
                stu3_notes = &v;
            } else if (name == "type") {
                not_carried(path, "R4 ServiceRequest has no referral type, and the record keeps none");
            } else if (name == "specialty") {
                not_carried(path, "R4 ServiceRequest has no specialty; the record names the requested service instead");
            } else if (name == "definition") {
                not_carried(path, "the protocol a referral follows is not kept in the record");
            } else {
                out.AddMember(string(name), copy(v, name), alloc_);
            }
        }
        if (!extensions.Empty()) out.AddMember("extension", extensions, alloc_);
        if (!supporting.Empty()) out.AddMember("supportingInfo", supporting, alloc_);
        if (!priority_from_extension.empty()) {
            if (has_priority) {
                not_carried(priority_path, "ReferralRequest.priority already gives the priority");
            } else {
                out_.paths.add(child(r4, "priority"), child(priority_path, "valueCodeableConcept"));
                out.AddMember("priority", string(priority_from_extension), alloc_);
            }
        }
        // R4 has no description: it is the referral's first note.
        if (description) {
            out_.paths.add(at(child(r4, "note"), 0), child(stu3, "description"));
            Value note(rapidjson::kObjectType);
            note.AddMember("text", copy(*description), alloc_);
            notes.PushBack(note, alloc_);
        }
        if (stu3_notes) {
            for (rapidjson::SizeType k = 0; k < stu3_notes->Size(); ++k) {
                out_.paths.add(at(child(r4, "note"), notes.Size()), at(child(stu3, "note"), k));
                notes.PushBack(copy((*stu3_notes)[k]), alloc_);
            }
        }
        if (!notes.Empty()) out.AddMember("note", notes, alloc_);
        return out;
    }

    // The R4 priority the e-RS priority extension gives, or empty (reported).
    std::string_view ers_priority(const Value& ext, const std::string& path) {
        for (const auto& m : ext.GetObject()) {
            const std::string_view name = view(m.name);
            if (name == "url") continue;
            if (name != "valueCodeableConcept" || !m.value.IsObject()) {
                not_carried(child(path, name), "the e-RS priority is read from its valueCodeableConcept");
                continue;
            }
            const auto codings = m.value.FindMember("coding");
            if (codings == m.value.MemberEnd() || !codings->value.IsArray()) break;
            for (const auto& c : codings->value.GetArray()) {
                if (!c.IsObject()) continue;
                const auto system = c.FindMember("system");
                const auto code = c.FindMember("code");
                if (system == c.MemberEnd() || code == c.MemberEnd() || !system->value.IsString() ||
                    !code->value.IsString() || view(system->value) != ers_priority_system)
                    continue;
                const std::string_view priority = r4_priority(view(code->value));
                if (priority.empty())
                    sink_.error(IssueType::value, child(path, "valueCodeableConcept"),
                                "'" + std::string(view(code->value)) +
                                    "' is not an e-RS priority (ROUTINE, URGENT or TWO_WEEK_WAIT)");
                return priority;
            }
        }
        not_carried(path, "no e-RS priority coding in it");
        return {};
    }

    // STU3 requester {agent, onBehalfOf}: R4 names one requester. A person
    // acting for an organisation is, in R4, a PractitionerRole.
    void requester(const Value& v, const std::string& path, const std::string& r4, Value& out) {
        const Value* agent = nullptr;
        const Value* on_behalf_of = nullptr;
        for (const auto& m : v.GetObject()) {
            const std::string_view name = view(m.name);
            if (name == "agent")
                agent = &m.value;
            else if (name == "onBehalfOf")
                on_behalf_of = &m.value;
            else
                not_carried(child(path, name), "R4 names the requester alone");
        }
        const std::string agent_path = child(path, "agent");
        const std::string behalf_path = child(path, "onBehalfOf");
        if (!agent && !on_behalf_of) {
            sink_.error(IssueType::required, agent_path, "required element is missing");
            return;
        }
        if (!agent || !on_behalf_of || names_organisation(*agent)) {
            if (agent && on_behalf_of)
                not_carried(behalf_path, "the requester is already an organisation; the record keeps one referrer");
            out_.paths.add(child(r4, "requester"), agent ? agent_path : behalf_path);
            out.AddMember("requester", copy(agent ? *agent : *on_behalf_of), alloc_);
            return;
        }
        const std::string id = "stu3-requester-" + std::to_string(synthesised_.size());
        Value role(rapidjson::kObjectType);
        role.AddMember("resourceType", "PractitionerRole", alloc_);
        role.AddMember("id", string(id), alloc_);
        role.AddMember("practitioner", copy(*agent), alloc_);
        role.AddMember("organization", copy(*on_behalf_of), alloc_);
        Value ref(rapidjson::kObjectType);
        ref.AddMember("reference", string("PractitionerRole/" + id), alloc_);
        out_.paths.add(child(r4, "requester"), path);
        out.AddMember("requester", ref, alloc_);
        synthesised_.emplace_back(std::move(role), std::vector<std::pair<std::string, std::string>>{
                                                       {"", path}, {".practitioner", agent_path},
                                                       {".organization", behalf_path}});
    }

    static bool names_organisation(const Value& ref) {
        if (!ref.IsObject()) return false;
        const auto reference = ref.FindMember("reference");
        if (reference != ref.MemberEnd() && reference->value.IsString()) {
            const std::string_view r = view(reference->value);
            return r.starts_with("Organization/") || r.find("/Organization/") != std::string_view::npos;
        }
        const auto identifier = ref.FindMember("identifier");
        if (identifier == ref.MemberEnd() || !identifier->value.IsObject()) return false;
        const auto system = identifier->value.FindMember("system");
        return system != identifier->value.MemberEnd() && system->value.IsString() &&
               fhir::uk_core::is_ods_system(renamed(renamed_systems, view(system->value)));
    }

    // e-RS names the patient by NHS number only; R4 reads the person from a Patient.
    void subject_by_identifier(const Value& v, const std::string& path, Value& out) {
        const std::string id = "stu3-subject-" + std::to_string(synthesised_.size());
        Value patient(rapidjson::kObjectType);
        patient.AddMember("resourceType", "Patient", alloc_);
        patient.AddMember("id", string(id), alloc_);
        Value identifiers(rapidjson::kArrayType);
        identifiers.PushBack(copy(v["identifier"]), alloc_);
        patient.AddMember("identifier", identifiers, alloc_);
        Value ref(rapidjson::kObjectType);
        ref.AddMember("reference", string("Patient/" + id), alloc_);
        for (const auto& m : v.GetObject()) {
            const std::string_view name = view(m.name);
            if (name == "identifier") continue;
            if (name == "display")  // the NHS number names the person; a display restates it
                continue;
            ref.AddMember(string(name), copy(m.value, name), alloc_);
        }
        out.AddMember("subject", ref, alloc_);
        synthesised_.emplace_back(std::move(patient), std::vector<std::pair<std::string, std::string>>{
                                                          {"", path}, {".identifier[0]", child(path, "identifier")}});
    }

    bool strict_;
    issues::IssueSink& sink_;
    Rewritten& out_;
    rapidjson::Document::AllocatorType& alloc_;
    Value entries_;
    bool entries_written_ = false;  // the STU3 Bundle.entry was not an array and went across as it was
    std::vector<Synthesised> synthesised_;
};

}  // namespace

bool rewrite(const rapidjson::Value& stu3, bool strict, issues::IssueSink& sink, Rewritten& out) {
    Rewriter rewriter(strict, sink, out);
    return rewriter.run(stu3);
}

}  // namespace carebridge::fhir_stu3
