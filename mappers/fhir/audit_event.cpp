#include "fhir/audit_event.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <utility>

namespace carebridge::fhir {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::string_view nhs_number_system = "https://fhir.nhs.uk/Id/nhs-number";
constexpr std::string_view ods_system = "https://fhir.nhs.uk/Id/ods-organization-code";
constexpr std::string_view action_system = "urn:carebridge:audit-action";

void key(JsonWriter& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }
void field(JsonWriter& w, std::string_view name, std::string_view value) {
    key(w, name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void coding(JsonWriter& w, std::string_view system, std::string_view code, std::string_view display = {}) {
    w.StartObject();
    field(w, "system", system);
    field(w, "code", code);
    if (!display.empty()) field(w, "display", display);
    w.EndObject();
}

void codeable_concept(JsonWriter& w, std::string_view system, std::string_view code, std::string_view display) {
    w.StartObject();
    key(w, "coding");
    w.StartArray();
    coding(w, system, code, display);
    w.EndArray();
    w.EndObject();
}

constexpr std::string_view dicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view lifecycle = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle";
constexpr std::string_view rest_event = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr std::string_view restful = "http://hl7.org/fhir/restful-interaction";

// How each action is typed: the BALP pattern it follows.
struct EventShape {
    std::string_view type_system, type_code, type_display;
    std::string_view subtype_system, subtype_code, subtype_display;  // empty: only the carebridge action subtype
    std::string_view fhir_action;                                    // C R U D E
};

EventShape shape_of(const AuditRecord& e) {
    const std::string_view a = e.action;
    // PrivacyDisclosure (source side): Export, subtype disclose.
    if (a == "disclosed") return {dicom, "110106", "Export", lifecycle, "disclose", "Disclose", "R"};
    if (a == "delivered" || a == "delivery-failed" || a == "dead-lettered" || a == "retried")
        return {dicom, "110106", "Export", lifecycle, "transmit", "Transmit", "R"};
    if (a == "received" || a == "rejected") return {dicom, "110107", "Import", lifecycle, "receive", "Receive", "C"};
    if (a == "translated") return {dicom, "110100", "Application Activity", lifecycle, "transform", "Transform", "E"};
    // An authorisation decision (BALP AuthZconsent): Security Alert, the decision made.
    if (a == "policy-decision") return {dicom, "110113", "Security Alert", {}, {}, {}, "E"};
    // BALP Query for searches of the log, PatientRead for a record or inbox item viewed.
    if (a == "read") {
        if (e.detail.find("\"query\":") != std::string::npos)
            return {rest_event, "rest", "RESTful Operation", restful, "search-type", "search type", "E"};
        return {rest_event, "rest", "RESTful Operation", restful, "read", "read", "R"};
    }
    if (a == "status-changed") return {rest_event, "rest", "RESTful Operation", restful, "update", "update", "U"};
    if (a == "purged") return {dicom, "110100", "Application Activity", lifecycle, "destroy", "Destroy", "D"};
    return {dicom, "110100", "Application Activity", {}, {}, {}, "E"};  // config-changed, and any later word
}

// R4 outcome codes: 0 success, 4 minor failure (refused), 8 serious failure.
std::string_view outcome_code(std::string_view outcome) {
    if (outcome == "success" || outcome == "allow") return "0";
    if (outcome == "denied" || outcome == "deny") return "4";
    if (outcome == "failed") return "8";
    return outcome.empty() ? "0" : "4";
}

// The partnership's purposes as HL7 v3 ActReason purposes of use.
std::optional<std::pair<std::string_view, std::string_view>> purpose_of_use(std::string_view purpose) {
    if (purpose == "direct-care") return std::pair{std::string_view("TREAT"), std::string_view("treatment")};
    if (purpose == "safeguarding") return std::pair{std::string_view("PUBHLTH"), std::string_view("public health")};
    if (purpose == "care-coordination") return std::pair{std::string_view("COC"), std::string_view("coordination of care")};
    if (purpose == "commissioning") return std::pair{std::string_view("HOPERAT"), std::string_view("healthcare operations")};
    return std::nullopt;
}

void purpose_concept(JsonWriter& w, std::string_view purpose) {
    w.StartObject();
    if (const auto code = purpose_of_use(purpose)) {
        key(w, "coding");
        w.StartArray();
        coding(w, "http://terminology.hl7.org/CodeSystem/v3-ActReason", code->first, code->second);
        w.EndArray();
    }
    field(w, "text", purpose);
    w.EndObject();
}

void organisation_reference(JsonWriter& w, std::string_view code, std::string_view name) {
    w.StartObject();
    key(w, "identifier");
    w.StartObject();
    field(w, "system", ods_system);
    field(w, "value", code);
    w.EndObject();
    if (!name.empty()) field(w, "display", name);
    w.EndObject();
}

void detail_value(JsonWriter& w, std::string_view type, std::string_view value) {
    if (value.empty()) return;
    w.StartObject();
    field(w, "type", type);
    field(w, "valueString", value);
    w.EndObject();
}

// A UUID for the entry's fullUrl, from its hash: stable across exports.
std::string uuid_of(std::string_view hash) {
    if (hash.size() < 32) return "00000000-0000-4000-8000-000000000000";
    std::string h(hash.substr(0, 32));
    h[12] = '4';
    h[16] = "89ab"[hex_value(h[16]) & 3];
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

void write_audit_event(JsonWriter& w, const AuditRecord& e) {
    const EventShape shape = shape_of(e);
    w.StartObject();
    field(w, "resourceType", "AuditEvent");
    field(w, "id", "carebridge-audit-" + std::to_string(e.seq));
    key(w, "type");
    coding(w, shape.type_system, shape.type_code, shape.type_display);
    key(w, "subtype");
    w.StartArray();
    if (!shape.subtype_code.empty()) coding(w, shape.subtype_system, shape.subtype_code, shape.subtype_display);
    coding(w, action_system, e.action);  // the log's own word, so nothing is lost
    w.EndArray();
    field(w, "action", shape.fhir_action);
    field(w, "recorded", e.time);
    field(w, "outcome", outcome_code(e.outcome));
    if (!e.outcome.empty()) field(w, "outcomeDesc", e.outcome);
    if (!e.purpose.empty()) {
        key(w, "purposeOfEvent");
        w.StartArray();
        purpose_concept(w, e.purpose);
        w.EndArray();
    }

    key(w, "agent");
    w.StartArray();
    {  // who acted: the source of a disclosure, the client of a read (BALP's Source Role ID)
        w.StartObject();
        key(w, "type");
        codeable_concept(w, dicom, "110153", "Source Role ID");
        if (!e.actor_role.empty()) {
            key(w, "role");
            w.StartArray();
            w.StartObject();
            field(w, "text", e.actor_role);
            w.EndObject();
            w.EndArray();
        }
        key(w, "who");
        if (!e.actor_organisation.empty())
            organisation_reference(w, e.actor_organisation, e.actor_organisation_name);
        else {
            w.StartObject();
            field(w, "display", "carebridge gateway");
            w.EndObject();
        }
        if (!e.actor_client.empty()) field(w, "altId", e.actor_client);
        key(w, "requestor");
        w.Bool(true);
        if (!e.purpose.empty()) {
            key(w, "purposeOfUse");
            w.StartArray();
            purpose_concept(w, e.purpose);
            w.EndArray();
        }
        w.EndObject();
    }
    if (!e.recipient.empty()) {  // the recipient of a disclosure, or the one a decision was about
        w.StartObject();
        key(w, "type");
        codeable_concept(w, dicom, "110152", "Destination Role ID");
        key(w, "who");
        organisation_reference(w, e.recipient, e.recipient_name);
        key(w, "requestor");
        w.Bool(false);
        w.EndObject();
    }
    w.EndArray();

    key(w, "source");
    w.StartObject();
    field(w, "site", "carebridge");
    key(w, "observer");
    w.StartObject();
    field(w, "display", "carebridge gateway");
    w.EndObject();
    key(w, "type");
    w.StartArray();
    coding(w, "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server");
    w.EndArray();
    w.EndObject();

    key(w, "entity");
    w.StartArray();
    if (!e.patient.empty()) {
        w.StartObject();
        key(w, "what");
        w.StartObject();
        key(w, "identifier");
        w.StartObject();
        field(w, "system", nhs_number_system);
        field(w, "value", e.patient);
        w.EndObject();
        w.EndObject();
        key(w, "type");
        coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person");
        key(w, "role");
        coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient");
        w.EndObject();
    }
    if (!e.message_id.empty() || !e.referral_id.empty()) {  // the referral the event is about
        w.StartObject();
        key(w, "what");
        w.StartObject();
        if (!e.message_id.empty()) {
            key(w, "identifier");
            w.StartObject();
            field(w, "system", "urn:ietf:rfc:3986");
            field(w, "value", "urn:uuid:" + e.message_id);
            w.EndObject();
        }
        if (!e.referral_id.empty()) field(w, "display", "referral " + e.referral_id);
        w.EndObject();
        key(w, "type");
        coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
        key(w, "role");
        coding(w, "http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource");
        if (!e.referral_id.empty()) {
            key(w, "detail");
            w.StartArray();
            detail_value(w, "referral_id", e.referral_id);
            w.EndArray();
        }
        w.EndObject();
    }
    if (!e.consent_reference.empty()) {  // the consent the disclosure or decision relied on
        w.StartObject();
        key(w, "what");
        w.StartObject();
        field(w, "display", e.consent_reference);
        w.EndObject();
        key(w, "type");
        coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
        field(w, "description", "consent relied on");
        w.EndObject();
    }
    {  // the log entry itself: its place, links and what the fixed elements cannot hold
        w.StartObject();
        key(w, "what");
        w.StartObject();
        key(w, "identifier");
        w.StartObject();
        field(w, "system", "urn:carebridge:audit-log");
        field(w, "value", std::to_string(e.seq));
        w.EndObject();
        w.EndObject();
        key(w, "type");
        coding(w, "http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object");
        field(w, "description", "carebridge audit log entry");
        key(w, "detail");
        w.StartArray();
        detail_value(w, "lawful_basis", e.lawful_basis);
        detail_value(w, "detail", e.detail);
        detail_value(w, "previous_hash", e.previous_hash);
        detail_value(w, "hash", e.hash);
        w.EndArray();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
}

}  // namespace

std::string audit_event_bundle(const std::vector<AuditRecord>& records, std::string_view self_url,
                               std::string_view next_url) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    field(w, "resourceType", "Bundle");
    field(w, "type", "searchset");
    key(w, "link");
    w.StartArray();
    w.StartObject();
    field(w, "relation", "self");
    field(w, "url", self_url);
    w.EndObject();
    if (!next_url.empty()) {
        w.StartObject();
        field(w, "relation", "next");
        field(w, "url", next_url);
        w.EndObject();
    }
    w.EndArray();
    key(w, "entry");
    w.StartArray();
    for (const AuditRecord& record : records) {
        w.StartObject();
        field(w, "fullUrl", "urn:uuid:" + uuid_of(record.hash));
        key(w, "resource");
        write_audit_event(w, record);
        key(w, "search");
        w.StartObject();
        field(w, "mode", "match");
        w.EndObject();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace carebridge::fhir
