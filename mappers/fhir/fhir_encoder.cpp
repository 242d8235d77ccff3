// model::PersonRecord → a FHIR R4 Bundle with the conventions the decoder reads
// (fhir/MAPPING.md). Deterministic: no clock, no randomness; fullUrls come from
// each resource's identity (resource_id.hpp) and Bundle.timestamp from the
// referral's own times.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <unordered_map>

#include "fhir/fhir_codec.hpp"
#include "fhir/partnership.hpp"
#include "fhir/resource_id.hpp"
#include "fhir/uk_core.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

using model::PersonRecord;

// A professional as the record names them: a name at an organisation, with a phone.
struct Role {
    std::string name;
    std::string ods;
    std::string phone;
    bool operator==(const Role&) const = default;
};

struct Service {
    std::string ods;
    std::string name;
    bool operator==(const Service&) const = default;
};

template <typename Writer> class BundleWriter {
public:
    BundleWriter(Writer& w, const PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink)
        : w_(w),
          record_(record),
          systems_(options.partnership_base),
          sink_(sink),
          referral_keys_(keys_of(record.referrals)),
          plan_keys_(keys_of(record.care_plans)) {}

    void write() {
        const bool message = !record_.referrals.empty();
        w_.StartObject();
        key("resourceType");
        str("Bundle");
        key("type");
        str(message ? "message" : "collection");
        if (message) {
            const model::Referral& first = record_.referrals.front();
            const std::string& time = first.updated.empty() ? first.created : first.updated;
            if (!time.empty()) {
                key("timestamp");
                str(time);
            }
        }
        key("entry");
        w_.StartArray();
        if (message) write_message_header();
        write_patient();
        for (std::size_t i = 0; i < record_.referrals.size(); ++i) write_referral(i);
        for (std::size_t i = 0; i < record_.diagnoses.size(); ++i) write_condition(i);
        for (std::size_t i = 0; i < record_.care_plans.size(); ++i) write_care_plan(i);
        for (std::size_t i = 0; i < record_.contacts.size(); ++i) write_contact(i);
        for (std::size_t i = 0; i < record_.admissions.size(); ++i) write_admission(i);
        write_directory_entries();
        w_.EndArray();
        w_.EndObject();
    }

private:
    // ---- primitives ----
    void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
    void str(std::string_view s) { w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
    void member(std::string_view k, std::string_view v) {
        key(k);
        str(v);
    }
    void member_if(std::string_view k, std::string_view v) {
        if (!v.empty()) member(k, v);
    }
    void partnership_url(std::string_view suffix) {
        scratch_.assign(systems_.base()).append(suffix);
        str(scratch_);
    }
    void coding(std::string_view system, std::string_view code, std::string_view display = {}) {
        w_.StartObject();
        member("system", system);
        member("code", code);
        member_if("display", display);
        w_.EndObject();
    }
    void partnership_coding(std::string_view suffix, std::string_view code) {
        w_.StartObject();
        key("system");
        partnership_url(suffix);
        member("code", code);
        w_.EndObject();
    }
    void partnership_concept(std::string_view suffix, std::string_view code, std::string_view text = {}) {
        w_.StartObject();
        key("coding");
        w_.StartArray();
        partnership_coding(suffix, code);
        w_.EndArray();
        member_if("text", text);
        w_.EndObject();
    }
    void codeable(std::string_view system, std::string_view code, std::string_view display = {}) {
        w_.StartObject();
        key("coding");
        w_.StartArray();
        coding(system, code, display);
        w_.EndArray();
        w_.EndObject();
    }
    void text_concept(std::string_view text) {
        w_.StartObject();
        member("text", text);
        w_.EndObject();
    }
    void reference(std::string_view k, const std::string& url) {
        key(k);
        w_.StartObject();
        member("reference", url);
        w_.EndObject();
    }
    void reference_array(std::string_view k, const std::string& url) {
        key(k);
        w_.StartArray();
        w_.StartObject();
        member("reference", url);
        w_.EndObject();
        w_.EndArray();
    }
    void partnership_identifier(std::string_view suffix, std::string_view value) {
        if (value.empty()) return;
        key("identifier");
        w_.StartArray();
        w_.StartObject();
        key("system");
        partnership_url(suffix);
        member("value", value);
        w_.EndObject();
        w_.EndArray();
    }
    void begin_entry(const std::string& full_url, std::string_view type) {
        w_.StartObject();
        member("fullUrl", full_url);
        key("resource");
        w_.StartObject();
        member("resourceType", type);
    }
    void end_entry() {
        w_.EndObject();
        w_.EndObject();
    }

    // ---- identities ----
    std::string url(std::string_view type, std::string_view identity) {
        std::string name;
        name.reserve(systems_.base().size() + type.size() + identity.size() + 2);
        name.append(systems_.base()).append("/").append(type).append("/").append(identity);
        return "urn:uuid:" + uuid_v5_url(name);
    }
    // The identity behind a referral's or plan's fullUrls: its id, made unique
    // by position when the record repeats or lacks one, so references stay unambiguous.
    template <typename Items> static std::vector<std::string> keys_of(const Items& items) {
        std::vector<std::string> keys;
        std::unordered_map<std::string_view, int> seen;
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::string& id = items[i].id;
            if (id.empty() || seen[id]++ > 0)
                keys.push_back(id + "#" + std::to_string(i));
            else
                keys.push_back(id);
        }
        return keys;
    }
    const std::string& referral_key(std::size_t i) const { return referral_keys_[i]; }
    const std::string& plan_key(std::size_t i) const { return plan_keys_[i]; }
    const std::string& patient_url() {
        if (patient_url_.empty()) {
            const model::Person& p = record_.person;
            patient_url_ = url("Patient", !p.nhs_number.empty() ? p.nhs_number
                                          : !p.local_id.empty() ? p.local_id
                                                                : std::string_view("person"));
        }
        return patient_url_;
    }
    // Each directory resource is registered once, with its fullUrl, so the hash
    // is computed once however often it is referred to; looked up by identity so
    // a record with thousands of targets stays linear.
    template <typename Key>
    const std::string& registered(std::vector<std::pair<Key, std::string>>& order, std::string_view type,
                                  const Key& key, std::string identity) {
        std::string lookup;
        lookup.append(type).append("/").append(identity);
        if (auto it = directory_.find(lookup); it != directory_.end()) return it->second;
        order.emplace_back(key, url(type, identity));
        return directory_.emplace(std::move(lookup), order.back().second).first->second;
    }
    std::string organisation_url(const std::string& ods) {
        return registered(organisations_, "Organization", ods, ods);
    }
    std::string practitioner_url(const std::string& name) {
        return registered(practitioners_, "Practitioner", name, name);
    }
    std::string role_url(const Role& role) {
        return registered(roles_, "PractitionerRole", role, role.name + "|" + role.ods + "|" + role.phone);
    }
    std::string service_url(const Service& service) {
        return registered(services_, "HealthcareService", service, service.ods + "|" + service.name);
    }

    // ---- resources ----
    void write_message_header() {
        begin_entry(url("MessageHeader", referral_key(0)), "MessageHeader");
        key("eventCoding");
        partnership_coding(partnership::message_event, partnership::referral_event_code);
        key("source");
        w_.StartObject();
        member("name", "carebridge");
        key("endpoint");
        partnership_url(partnership::gateway_endpoint);
        w_.EndObject();
        if (!record_.referrals.front().referrer_ods.empty())
            reference("sender", organisation_url(record_.referrals.front().referrer_ods));
        key("focus");
        w_.StartArray();
        for (std::size_t i = 0; i < record_.referrals.size(); ++i) {
            w_.StartObject();
            member("reference", url("ServiceRequest", referral_key(i)));
            w_.EndObject();
        }
        w_.EndArray();
        end_entry();
    }

    void boolean_extension(std::string_view suffix, const std::optional<bool>& value) {
        if (!value) return;
        w_.StartObject();
        key("url");
        partnership_url(suffix);
        key("valueBoolean");
        w_.Bool(*value);
        w_.EndObject();
    }

    void write_patient() {
        const model::Person& p = record_.person;
        const model::ContactPreferences& prefs = p.contact_preferences;
        begin_entry(patient_url(), "Patient");

        const bool extensions = !p.ethnic_category.empty() || prefs.preferred_method ||
                                prefs.interpreter_required || prefs.safe_to_call_at_home || prefs.digital_access;
        if (extensions) {
            key("extension");
            w_.StartArray();
            if (!p.ethnic_category.empty()) {
                w_.StartObject();
                member("url", uk_core::ethnic_category_extension);
                key("valueCodeableConcept");
                codeable(uk_core::ethnic_category_system, p.ethnic_category,
                        model::ethnic_category_display(p.ethnic_category));
                w_.EndObject();
            }
            if (prefs.preferred_method) {
                w_.StartObject();
                member("url", uk_core::contact_preference_extension);
                key("extension");
                w_.StartArray();
                w_.StartObject();
                member("url", "PreferredContactMethod");
                key("valueCodeableConcept");
                const std::string_view uk = uk_core::contact_method_code(*prefs.preferred_method);
                if (!uk.empty())
                    codeable(uk_core::preferred_contact_method_system, uk,
                            uk_core::contact_method_display(*prefs.preferred_method));
                else
                    partnership_concept(partnership::contact_method, model::to_string(*prefs.preferred_method));
                w_.EndObject();
                w_.EndArray();
                w_.EndObject();
            }
            if (prefs.interpreter_required) {
                w_.StartObject();
                member("url", uk_core::interpreter_required_extension);
                key("valueBoolean");
                w_.Bool(*prefs.interpreter_required);
                w_.EndObject();
            }
            boolean_extension(partnership::safe_to_call_extension, prefs.safe_to_call_at_home);
            boolean_extension(partnership::digital_access_extension, prefs.digital_access);
            w_.EndArray();
        }

        if (!p.nhs_number.empty() || !p.local_id.empty()) {
            key("identifier");
            w_.StartArray();
            if (!p.nhs_number.empty()) {
                w_.StartObject();
                if (!p.nhs_number_verification.empty()) {
                    key("extension");
                    w_.StartArray();
                    w_.StartObject();
                    member("url", uk_core::nhs_number_verification_extension);
                    key("valueCodeableConcept");
                    codeable(uk_core::nhs_number_verification_system, p.nhs_number_verification,
                            model::nhs_number_verification_display(p.nhs_number_verification));
                    w_.EndObject();
                    w_.EndArray();
                }
                member("system", uk_core::nhs_number_system);
                member("value", p.nhs_number);
                w_.EndObject();
            }
            if (!p.local_id.empty()) {
                w_.StartObject();
                key("system");
                partnership_url(partnership::local_client_id);
                member("value", p.local_id);
                w_.EndObject();
            }
            w_.EndArray();
        }

        if (!p.names.empty()) {
            key("name");
            w_.StartArray();
            for (const model::PersonName& n : p.names) {
                w_.StartObject();
                member_if("use", n.use);
                member_if("family", n.family);
                if (!n.given.empty()) {
                    key("given");
                    w_.StartArray();
                    for (const std::string& g : n.given) str(g);
                    w_.EndArray();
                }
                if (!n.prefix.empty()) {
                    key("prefix");
                    w_.StartArray();
                    str(n.prefix);
                    w_.EndArray();
                }
                w_.EndObject();
            }
            w_.EndArray();
        }

        if (!p.phone.empty() || !p.mobile.empty() || !p.email.empty()) {
            key("telecom");
            w_.StartArray();
            auto telecom = [&](std::string_view system, const std::string& value, std::string_view use) {
                if (value.empty()) return;
                w_.StartObject();
                member("system", system);
                member("value", value);
                member("use", use);
                w_.EndObject();
            };
            telecom("phone", p.phone, "home");
            telecom("phone", p.mobile, "mobile");
            telecom("email", p.email, "home");
            w_.EndArray();
        }
        if (p.gender) member("gender", model::to_string(*p.gender));
        member_if("birthDate", p.birth_date);

        const bool marker = p.no_fixed_abode &&
                            (!p.address || p.address->postcode != uk_core::no_fixed_abode_postcode);
        if (p.address || marker) {
            key("address");
            w_.StartArray();
            if (p.address) {
                const model::Address& a = *p.address;
                w_.StartObject();
                member("use", "home");
                if (!a.lines.empty()) {
                    key("line");
                    w_.StartArray();
                    for (const std::string& line : a.lines) str(line);
                    w_.EndArray();
                }
                member_if("city", a.city);
                member_if("district", a.district);
                member_if("postalCode", a.postcode);
                w_.EndObject();
            }
            if (marker) {
                // The NHS way of saying "no fixed abode".
                w_.StartObject();
                member("use", "home");
                member("postalCode", uk_core::no_fixed_abode_postcode);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!prefs.interpreter_language.empty()) {
            key("communication");
            w_.StartArray();
            w_.StartObject();
            key("language");
            codeable(uk_core::bcp47_system, prefs.interpreter_language);
            key("preferred");
            w_.Bool(true);
            w_.EndObject();
            w_.EndArray();
        }
        if (!p.gp_practice_ods.empty()) reference_array("generalPractitioner", organisation_url(p.gp_practice_ods));
        end_entry();
    }

    std::string actor_url(const std::string& name, const std::string& ods, const std::string& phone = {}) {
        if (name.empty() && phone.empty()) return organisation_url(ods);
        return role_url(Role{name, ods, phone});
    }

    void write_referral(std::size_t index) {
        const model::Referral& ref = record_.referrals[index];
        const std::string& key_ = referral_key(index);
        const std::string sr_url = url("ServiceRequest", key_);

        // Referral-scoped resources, listed in ServiceRequest.supportingInfo in this order.
        std::vector<std::string> supporting;
        const std::string consent_url = url("Consent", key_);
        if (ref.consent) supporting.push_back(consent_url);
        const bool risk_assessment = ref.risk.level || !ref.risk.summary.empty() || !ref.risk.assessed.empty();
        const std::string risk_url = url("RiskAssessment", key_);
        if (risk_assessment) supporting.push_back(risk_url);
        std::vector<std::string> flag_urls;
        if (ref.shielded.value_or(false)) flag_urls.push_back(url("Flag", key_ + "/shielded"));
        for (std::size_t k = 0; k < ref.risk.flags.size(); ++k)
            flag_urls.push_back(url("Flag", key_ + "/risk/" + std::to_string(k)));
        for (std::size_t k = 0; k < ref.complexity_flags.size(); ++k)
            flag_urls.push_back(url("Flag", key_ + "/complexity/" + std::to_string(k)));
        supporting.insert(supporting.end(), flag_urls.begin(), flag_urls.end());
        const std::string team_url = url("CareTeam", key_);
        if (!ref.care_team.empty()) supporting.push_back(team_url);

        begin_entry(sr_url, "ServiceRequest");
        if (!ref.updated.empty()) {
            key("meta");
            w_.StartObject();
            member("lastUpdated", ref.updated);
            w_.EndObject();
        }
        key("extension");
        w_.StartArray();
        if (ref.source) {
            w_.StartObject();
            member("url", uk_core::source_of_service_request_extension);
            key("valueCodeableConcept");
            w_.StartObject();
            key("coding");
            w_.StartArray();
            const std::string_view sct = uk_core::source_snomed_code(*ref.source);
            if (!sct.empty()) coding(uk_core::snomed_system, sct, uk_core::source_snomed_display(*ref.source));
            partnership_coding(partnership::referral_source, model::to_string(*ref.source));
            w_.EndArray();
            w_.EndObject();
            w_.EndObject();
        }
        w_.StartObject();
        key("url");
        partnership_url(partnership::referral_version_extension);
        key("valuePositiveInt");
        w_.Int(ref.version);
        w_.EndObject();
        if (!ref.lawful_basis.article6.empty() || !ref.lawful_basis.article9.empty()) {
            w_.StartObject();
            key("url");
            partnership_url(partnership::lawful_basis_extension);
            key("extension");
            w_.StartArray();
            for (auto [part, value] : {std::pair<std::string_view, const std::string*>{"article6", &ref.lawful_basis.article6},
                                       {"article9", &ref.lawful_basis.article9}}) {
                if (value->empty()) continue;
                w_.StartObject();
                member("url", part);
                member("valueCode", *value);
                w_.EndObject();
            }
            w_.EndArray();
            w_.EndObject();
        }
        w_.EndArray();
        partnership_identifier(partnership::referral_id, ref.id);
        member("status", uk_core::service_request_status(ref.status));
        member("intent", "order");
        if (ref.pathway) {
            key("category");
            w_.StartArray();
            partnership_concept(partnership::referral_pathway, model::to_string(*ref.pathway));
            w_.EndArray();
        }
        member("priority", uk_core::priority_code(ref.priority));
        if (!ref.requested_services.empty()) {
            key("code");
            w_.StartObject();
            key("coding");
            w_.StartArray();
            for (const std::string& service : ref.requested_services)
                partnership_coding(partnership::requested_service, service);
            w_.EndArray();
            w_.EndObject();
        }
        reference("subject", patient_url());
        member_if("authoredOn", ref.created);
        if (!ref.referrer_name.empty() || !ref.referrer_ods.empty())
            reference("requester", actor_url(ref.referrer_name, ref.referrer_ods));
        std::vector<std::pair<std::string_view, std::string>> performers;  // ("reference" or "display", value)
        for (const model::Target& t : ref.targets) {
            if (t.organisation_ods.empty()) {
                sink_.warning(issues::IssueType::informational, "referral.targets",
                              "a target without an ODS code is not carried");
                continue;
            }
            // A target known only by name (an alias the gateway's directory resolves) has no ODS code to write.
            if (t.service.empty() && !model::is_valid_ods_code(t.organisation_ods))
                performers.emplace_back("display", t.organisation_ods);
            else
                performers.emplace_back("reference", t.service.empty()
                                                         ? organisation_url(t.organisation_ods)
                                                         : service_url(Service{t.organisation_ods, t.service}));
        }
        if (!performers.empty()) {
            key("performer");
            w_.StartArray();
            for (const auto& [k, p] : performers) {
                w_.StartObject();
                member(k, p);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!ref.needs.empty()) {
            key("reasonCode");
            w_.StartArray();
            for (const model::NeedItem& need : ref.needs) {
                // The partnership's code, then the sender's own (SNOMED CT) when the record kept one.
                w_.StartObject();
                key("coding");
                w_.StartArray();
                partnership_coding(partnership::referral_need, model::to_string(need.code));
                if (!need.coding.empty()) coding(need.coding.system, need.coding.code, need.coding.display);
                w_.EndArray();
                member_if("text", need.text);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!supporting.empty()) {
            key("supportingInfo");
            w_.StartArray();
            for (const std::string& s : supporting) {
                w_.StartObject();
                member("reference", s);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!ref.notes.empty()) {
            key("note");
            w_.StartArray();
            text_concept(ref.notes);
            w_.EndArray();
        }
        end_entry();

        write_task(url("Task", key_ + "/status"), sr_url, partnership::task_status_code, ref.status,
                   ref.status_reason, ref.status_set_by, {});
        for (std::size_t k = 0; k < ref.history.size(); ++k) {
            const model::Hop& hop = ref.history[k];
            write_task(url("Task", key_ + "/hop/" + std::to_string(k)), sr_url, partnership::task_hop_code,
                       hop.decision, hop.reason, hop.organisation_ods, hop.time);
        }
        if (ref.consent) write_consent(consent_url, *ref.consent);
        if (risk_assessment) write_risk_assessment(risk_url, ref.risk);
        std::size_t f = 0;
        if (ref.shielded.value_or(false))
            write_flag(flag_urls[f++], {}, uk_core::snomed_system, uk_core::shielded_snomed_code,
                       uk_core::shielded_snomed_display);
        for (const std::string& flag : ref.risk.flags)
            write_flag(flag_urls[f++], partnership::flag_risk_code, {}, flag, {});
        for (const std::string& flag : ref.complexity_flags)
            write_flag(flag_urls[f++], partnership::flag_complexity_code, {}, flag, {});
        if (!ref.care_team.empty()) write_care_team(team_url, ref.care_team);
    }

    void write_task(const std::string& task_url, const std::string& sr_url, std::string_view kind,
                    model::ReferralStatus status, const std::string& reason, const std::string& owner,
                    const std::string& time) {
        begin_entry(task_url, "Task");
        member("status", uk_core::task_status(status));
        key("businessStatus");
        partnership_concept(partnership::referral_status, model::to_string(status));
        if (!reason.empty()) {
            key("statusReason");
            text_concept(reason);
        }
        member("intent", "order");
        key("code");
        partnership_concept(partnership::referral_task, kind);
        reference("focus", sr_url);
        reference("for", patient_url());
        member_if("authoredOn", time);
        if (!owner.empty()) reference("owner", organisation_url(owner));
        end_entry();
    }

    void write_consent(const std::string& consent_url, const model::Consent& c) {
        begin_entry(consent_url, "Consent");
        partnership_identifier(partnership::consent_id, c.id);
        member("status", c.status == model::ConsentStatus::withdrawn ? "inactive" : "active");
        key("scope");
        codeable(uk_core::consent_scope_system, "patient-privacy", "Privacy Consent");
        key("category");
        w_.StartArray();
        codeable(uk_core::loinc_system, "59284-0", "Patient Consent");
        w_.EndArray();
        reference("patient", patient_url());
        member_if("dateTime", c.recorded_at);
        if (!c.recorded_by.empty()) {
            key("performer");
            w_.StartArray();
            w_.StartObject();
            member("reference", model::is_valid_ods_code(c.recorded_by) ? organisation_url(c.recorded_by)
                                                                          : practitioner_url(c.recorded_by));
            w_.EndObject();
            w_.EndArray();
        }
        key("provision");
        w_.StartObject();
        if (!c.organisation_types.empty()) {
            key("extension");
            w_.StartArray();
            for (model::OrganisationType type : c.organisation_types) {
                w_.StartObject();
                key("url");
                partnership_url(partnership::consent_organisation_type_extension);
                key("valueCoding");
                partnership_coding(partnership::organisation_type, model::to_string(type));
                w_.EndObject();
            }
            w_.EndArray();
        }
        member("type", c.status == model::ConsentStatus::refused ? "deny" : "permit");
        if (!c.expires.empty()) {
            key("period");
            w_.StartObject();
            member("end", c.expires);
            w_.EndObject();
        }
        if (!c.organisations.empty()) {
            key("actor");
            w_.StartArray();
            for (const std::string& ods : c.organisations) {
                w_.StartObject();
                key("role");
                codeable(uk_core::participation_type_system, "IRCP", "information recipient");
                reference("reference", organisation_url(ods));
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!c.purposes.empty()) {
            key("purpose");
            w_.StartArray();
            for (const std::string& purpose : c.purposes) partnership_coding(partnership::consent_purpose, purpose);
            w_.EndArray();
        }
        w_.EndObject();
        end_entry();
    }

    void write_risk_assessment(const std::string& risk_url, const model::Risk& risk) {
        begin_entry(risk_url, "RiskAssessment");
        member("status", "final");
        reference("subject", patient_url());
        member_if("occurrenceDateTime", risk.assessed);
        if (risk.level) {
            key("prediction");
            w_.StartArray();
            w_.StartObject();
            key("qualitativeRisk");
            codeable(uk_core::risk_probability_system, uk_core::risk_probability_code(*risk.level));
            w_.EndObject();
            w_.EndArray();
        }
        if (!risk.summary.empty()) {
            key("note");
            w_.StartArray();
            text_concept(risk.summary);
            w_.EndArray();
        }
        end_entry();
    }

    // A partnership flag (`category_code` set) or a SNOMED CT one.
    void write_flag(const std::string& flag_url, std::string_view category_code, std::string_view system,
                    std::string_view code, std::string_view display) {
        begin_entry(flag_url, "Flag");
        member("status", "active");
        if (!category_code.empty()) {
            key("category");
            w_.StartArray();
            partnership_concept(partnership::flag_category, category_code);
            w_.EndArray();
            key("code");
            partnership_concept(category_code == partnership::flag_risk_code ? partnership::risk_flag
                                                                             : partnership::complexity_flag,
                                code);
        } else {
            key("code");
            codeable(system, code, display);
        }
        reference("subject", patient_url());
        end_entry();
    }

    void write_care_team(const std::string& team_url, const std::vector<model::CareTeamMember>& team) {
        begin_entry(team_url, "CareTeam");
        member("status", "active");
        reference("subject", patient_url());
        key("participant");
        w_.StartArray();
        for (const model::CareTeamMember& m : team) {
            w_.StartObject();
            key("role");
            w_.StartArray();
            partnership_concept(partnership::care_team_role, model::to_string(m.role));
            w_.EndArray();
            if (!m.name.empty() || !m.organisation_ods.empty() || !m.phone.empty())
                reference("member", role_url(Role{m.name, m.organisation_ods, m.phone}));
            w_.EndObject();
        }
        w_.EndArray();
        end_entry();
    }

    void write_condition(std::size_t i) {
        const model::Diagnosis& d = record_.diagnoses[i];
        std::string_view system;
        if (d.system == "icd-10")
            system = uk_core::icd10_system;
        else if (d.system == "snomed")
            system = uk_core::snomed_system;
        else {
            sink_.warning(issues::IssueType::informational, "diagnoses[" + std::to_string(i) + "]",
                          "a diagnosis coded in '" + d.system + "' is not carried: FHIR takes ICD-10 or SNOMED CT");
            return;
        }
        begin_entry(url("Condition", std::to_string(i) + "/" + d.system + "|" + d.code), "Condition");
        key("code");
        codeable(system, d.code, d.display);
        reference("subject", patient_url());
        member_if("recordedDate", d.recorded);
        end_entry();
    }

    void write_care_plan(std::size_t i) {
        const model::CarePlan& plan = record_.care_plans[i];
        const std::string& key_ = plan_key(i);
        const std::string plan_url = url("CarePlan", key_);
        std::vector<std::string> goal_urls;
        for (std::size_t g = 0; g < plan.goals.size(); ++g) goal_urls.push_back(url("Goal", key_ + "/" + std::to_string(g)));
        const bool dialog = !plan.dialog.empty() || !plan.dialog_date.empty();
        const std::string dialog_url = url("QuestionnaireResponse", key_ + "/dialog-plus");

        begin_entry(plan_url, "CarePlan");
        if (!plan.review_date.empty()) {
            key("extension");
            w_.StartArray();
            w_.StartObject();
            key("url");
            partnership_url(partnership::review_date_extension);
            member("valueDate", plan.review_date);
            w_.EndObject();
            w_.EndArray();
        }
        partnership_identifier(partnership::care_plan_id, plan.id);
        member("status", uk_core::care_plan_status_code(plan.status));
        member("intent", "plan");
        member_if("title", plan.title);
        reference("subject", patient_url());
        if (!plan.period_start.empty() || !plan.period_end.empty()) {
            key("period");
            w_.StartObject();
            member_if("start", plan.period_start);
            member_if("end", plan.period_end);
            w_.EndObject();
        }
        if (!goal_urls.empty()) {
            key("goal");
            w_.StartArray();
            for (const std::string& g : goal_urls) {
                w_.StartObject();
                member("reference", g);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (dialog) reference_array("supportingInfo", dialog_url);
        if (!plan.activities.empty()) {
            key("activity");
            w_.StartArray();
            for (const model::Activity& a : plan.activities) {
                w_.StartObject();
                key("detail");
                w_.StartObject();
                // FHIR requires a status; "unknown" is how the record's empty one is written.
                member("status", a.status.empty() ? std::string_view("unknown") : std::string_view(a.status));
                member_if("description", a.description);
                if (!a.responsible_ods.empty()) reference_array("performer", organisation_url(a.responsible_ods));
                w_.EndObject();
                w_.EndObject();
            }
            w_.EndArray();
        }
        end_entry();

        write_sub_plan(url("CarePlan", key_ + "/crisis"), plan_url, plan, partnership::crisis_plan_code,
                       plan.crisis_plan);
        write_sub_plan(url("CarePlan", key_ + "/contingency"), plan_url, plan, partnership::contingency_plan_code,
                       plan.contingency_plan);
        for (std::size_t g = 0; g < plan.goals.size(); ++g) write_goal(goal_urls[g], plan.goals[g]);
        if (dialog) write_dialog(dialog_url, plan);
    }

    void write_sub_plan(const std::string& sub_url, const std::string& plan_url, const model::CarePlan& plan,
                        std::string_view kind, const std::string& text) {
        if (text.empty()) return;
        begin_entry(sub_url, "CarePlan");
        member("status", uk_core::care_plan_status_code(plan.status));
        member("intent", "plan");
        key("category");
        w_.StartArray();
        partnership_concept(partnership::care_plan_category, kind);
        w_.EndArray();
        member("description", text);
        reference("subject", patient_url());
        reference_array("partOf", plan_url);
        end_entry();
    }

    void write_goal(const std::string& goal_url, const model::Goal& goal) {
        begin_entry(goal_url, "Goal");
        member_if("lifecycleStatus", goal.status);
        if (!goal.description.empty()) {
            key("description");
            text_concept(goal.description);
        }
        reference("subject", patient_url());
        if (!goal.target_date.empty()) {
            key("target");
            w_.StartArray();
            w_.StartObject();
            member("dueDate", goal.target_date);
            w_.EndObject();
            w_.EndArray();
        }
        end_entry();
    }

    void write_dialog(const std::string& dialog_url, const model::CarePlan& plan) {
        begin_entry(dialog_url, "QuestionnaireResponse");
        key("questionnaire");
        partnership_url(partnership::dialog_questionnaire);
        member("status", "completed");
        reference("subject", patient_url());
        member_if("authored", plan.dialog_date);
        if (!plan.dialog.empty()) {
            key("item");
            w_.StartArray();
            for (const model::DialogScore& s : plan.dialog) {
                const std::string domain(model::to_string(s.domain));
                w_.StartObject();
                member("linkId", domain);
                key("item");
                w_.StartArray();
                w_.StartObject();
                member("linkId", domain + ".score");
                key("answer");
                w_.StartArray();
                w_.StartObject();
                key("valueInteger");
                w_.Int(s.score);
                w_.EndObject();
                w_.EndArray();
                w_.EndObject();
                w_.StartObject();
                member("linkId", domain + ".more-help");
                key("answer");
                w_.StartArray();
                w_.StartObject();
                key("valueBoolean");
                w_.Bool(s.wants_more_help);
                w_.EndObject();
                w_.EndArray();
                w_.EndObject();
                w_.EndArray();
                w_.EndObject();
            }
            w_.EndArray();
        }
        end_entry();
    }

    void encounter_class(std::string_view code, std::string_view display) {
        key("class");
        coding(uk_core::act_code_system, code, display);
    }

    void period(const std::string& start, const std::string& end) {
        if (start.empty() && end.empty()) return;
        key("period");
        w_.StartObject();
        member_if("start", start);
        member_if("end", end);
        w_.EndObject();
    }

    void write_contact(std::size_t i) {
        const model::ServiceContact& c = record_.contacts[i];
        begin_entry(url("Encounter", "contact/" + std::to_string(i) + "/" + c.id), "Encounter");
        partnership_identifier(partnership::contact_id, c.id);
        const bool dna = c.type == model::ContactType::did_not_attend;
        // R4 has no did-not-attend status: a contact that did not happen is cancelled.
        member("status", dna ? "cancelled" : "finished");
        const bool remote = c.type == model::ContactType::telephone || c.type == model::ContactType::video;
        encounter_class(remote ? "VR" : "AMB", remote ? "virtual" : "ambulatory");
        key("type");
        w_.StartArray();
        partnership_concept(partnership::contact_type, model::to_string(c.type));
        w_.EndArray();
        if (!c.service.empty()) {
            key("serviceType");
            text_concept(c.service);
        }
        reference("subject", patient_url());
        if (!c.practitioner.empty()) {
            key("participant");
            w_.StartArray();
            w_.StartObject();
            reference("individual", practitioner_url(c.practitioner));
            w_.EndObject();
            w_.EndArray();
        }
        period(c.start, c.end);
        end_entry();
    }

    void write_admission(std::size_t i) {
        const model::Admission& a = record_.admissions[i];
        begin_entry(url("Encounter", "admission/" + std::to_string(i) + "/" + a.id), "Encounter");
        if (!a.legal_status.empty()) {
            key("extension");
            w_.StartArray();
            w_.StartObject();
            member("url", uk_core::legal_status_extension);
            key("extension");
            w_.StartArray();
            w_.StartObject();
            member("url", "legalStatusContext");
            key("valueCodeableConcept");
            codeable(uk_core::legal_status_context_system, "admission", "Admission");
            w_.EndObject();
            w_.StartObject();
            member("url", "legalStatusClassification");
            key("valueCodeableConcept");
            codeable(uk_core::legal_status_classification_system, a.legal_status,
                    uk_core::legal_status_display(a.legal_status));
            w_.EndObject();
            w_.EndArray();
            w_.EndObject();
            w_.EndArray();
        }
        partnership_identifier(partnership::admission_id, a.id);
        member("status", a.discharged.empty() ? "in-progress" : "finished");
        encounter_class("IMP", "inpatient encounter");
        reference("subject", patient_url());
        period(a.admitted, a.discharged);
        if (!a.ward.empty()) {
            key("location");
            w_.StartArray();
            w_.StartObject();
            key("location");
            w_.StartObject();
            member("display", a.ward);
            w_.EndObject();
            w_.EndObject();
            w_.EndArray();
        }
        if (!a.hospital_ods.empty()) reference("serviceProvider", organisation_url(a.hospital_ods));
        end_entry();
    }

    // Organisations, practitioners, roles and services, written once each after
    // everything that refers to them. Roles and services register organisations
    // and practitioners, so they are written first.
    void write_directory_entries() {
        for (std::size_t k = 0; k < services_.size(); ++k) {
            const Service s = services_[k].first;
            begin_entry(services_[k].second, "HealthcareService");
            reference("providedBy", organisation_url(s.ods));
            member("name", s.name);
            end_entry();
        }
        for (std::size_t k = 0; k < roles_.size(); ++k) {
            const Role r = roles_[k].first;
            const std::string role_full_url = roles_[k].second;
            begin_entry(role_full_url, "PractitionerRole");
            if (!r.name.empty()) reference("practitioner", practitioner_url(r.name));
            if (!r.ods.empty()) reference("organization", organisation_url(r.ods));
            if (!r.phone.empty()) {
                key("telecom");
                w_.StartArray();
                w_.StartObject();
                member("system", "phone");
                member("value", r.phone);
                member("use", "work");
                w_.EndObject();
                w_.EndArray();
            }
            end_entry();
        }
        for (std::size_t k = 0; k < practitioners_.size(); ++k) {
            const std::string name = practitioners_[k].first;
            begin_entry(practitioners_[k].second, "Practitioner");
            key("name");
            w_.StartArray();
            text_concept(name);
            w_.EndArray();
            end_entry();
        }
        for (std::size_t k = 0; k < organisations_.size(); ++k) {
            const std::string& ods = organisations_[k].first;
            begin_entry(organisations_[k].second, "Organization");
            key("identifier");
            w_.StartArray();
            w_.StartObject();
            member("system", uk_core::ods_organization_system);
            member("value", ods);
            w_.EndObject();
            w_.EndArray();
            end_entry();
        }
    }

    Writer& w_;
    const PersonRecord& record_;
    partnership::Systems systems_;
    issues::IssueSink& sink_;
    std::vector<std::string> referral_keys_;
    std::vector<std::string> plan_keys_;
    std::string scratch_;
    std::string patient_url_;
    std::vector<std::pair<std::string, std::string>> organisations_;  // ODS code, fullUrl
    std::vector<std::pair<std::string, std::string>> practitioners_;  // name, fullUrl
    std::vector<std::pair<Role, std::string>> roles_;
    std::vector<std::pair<Service, std::string>> services_;
    std::unordered_map<std::string, std::string> directory_;  // "Type/identity" → fullUrl
};

}  // namespace

std::string encode(const model::PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink) {
    rapidjson::StringBuffer buffer;
    if (options.pretty) {
        rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
        writer.SetIndent(' ', 2);
        BundleWriter<decltype(writer)>(writer, record, options, sink).write();
    } else {
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        BundleWriter<decltype(writer)>(writer, record, options, sink).write();
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace carebridge::fhir
