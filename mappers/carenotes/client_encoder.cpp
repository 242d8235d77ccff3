#include "carenotes/client_encoder.hpp"

#include <charconv>
#include <string>
#include <string_view>

#include "carenotes/code_spelling.hpp"
#include "carenotes/export_format.hpp"
#include "model/codes.hpp"
#include "model/validate.hpp"

namespace carebridge::carenotes {
namespace {

using issues::ElementPath;
using issues::IssueType;

// XSD limits (schemas/carenotes-export-1.xsd), in characters.
constexpr std::size_t short_text_max = 1024;  // ShortText
constexpr std::size_t code_max = 64;          // Code, Identifier

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

// XML 1.0 cannot carry control characters other than tab, newline and return.
bool has_forbidden_chars(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') return true;
    }
    return false;
}

bool is_digits(std::string_view s, std::size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// xs:dateTime rejects a leap second that a FHIR instant allows.
bool fits_instant(std::string_view s) { return model::is_valid_instant(s) && s.substr(17, 2) != "60"; }

bool fits_language(std::string_view s) {
    std::size_t i = 0, part = 0;
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    while (i < s.size() && alpha(s[i])) ++i;
    if (i < 2 || i > 8) return false;
    while (i < s.size()) {
        if (s[i++] != '-') return false;
        part = 0;
        while (i < s.size() && (alpha(s[i]) || (s[i] >= '0' && s[i] <= '9'))) ++i, ++part;
        if (part < 1 || part > 8) return false;
    }
    return true;
}

class ClientEncoder {
public:
    ClientEncoder(xmlTextWriterPtr w, issues::IssueSink& sink) : w_(w), sink_(sink) {}

    void client(const model::PersonRecord& r) {
        const ElementPath root("PersonRecord");
        start("Client");
        identifier_attribute("id", r.person.local_id, root.child("person").child("local_id"));
        demographics(r.person, root.child("person"));
        const ElementPath diagnoses = root.child("diagnoses");
        for (std::size_t i = 0; i < r.diagnoses.size(); ++i) diagnosis(r.diagnoses[i], diagnoses.at(i));
        const ElementPath referrals = root.child("referrals");
        for (std::size_t i = 0; i < r.referrals.size(); ++i) referral(r.referrals[i], referrals.at(i));
        const ElementPath plans = root.child("care_plans");
        for (std::size_t i = 0; i < r.care_plans.size(); ++i) care_plan(r.care_plans[i], plans.at(i));
        const ElementPath contacts = root.child("contacts");
        for (std::size_t i = 0; i < r.contacts.size(); ++i) contact(r.contacts[i], contacts.at(i));
        const ElementPath admissions = root.child("admissions");
        for (std::size_t i = 0; i < r.admissions.size(); ++i) admission(r.admissions[i], admissions.at(i));
        end();
    }

private:
    // ---- writing primitives; the output goes to memory, so they cannot fail

    void start(const char* name) { xmlTextWriterStartElement(w_, BAD_CAST name); }
    void end() { xmlTextWriterEndElement(w_); }
    void raw_attribute(const char* name, const char* value) {
        xmlTextWriterWriteAttribute(w_, BAD_CAST name, BAD_CAST value);
    }
    void raw_element(const char* name, const char* value) {
        xmlTextWriterWriteElement(w_, BAD_CAST name, BAD_CAST value);
    }

    // The text as XML can hold it: control characters removed (with a warning),
    // and cut to `max` characters when the XSD bounds it.
    const char* carried(const std::string& value, const ElementPath& path, std::size_t max = 0) {
        const bool bad_chars = has_forbidden_chars(value);
        const bool too_long = max > 0 && utf8_length(value) > max;
        if (!bad_chars && !too_long) return value.c_str();
        scratch_.clear();
        std::size_t chars = 0;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const auto u = static_cast<unsigned char>(value[i]);
            if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') continue;
            if ((u & 0xC0) != 0x80 && max > 0 && ++chars > max) break;
            scratch_ += value[i];
        }
        if (bad_chars)
            sink_.warning(IssueType::value, path.str(), "control characters XML cannot carry were left out");
        if (too_long)
            sink_.warning(IssueType::too_long, path.str(),
                          "care-notes holds at most " + std::to_string(max) + " characters here; the rest was cut");
        return scratch_.c_str();
    }

    void cannot_hold(const ElementPath& path, std::string_view why) {
        sink_.warning(IssueType::value, path.str(), "not carried to care-notes: " + std::string(why));
    }

    void text(const char* name, const std::string& value, const ElementPath& path) {
        if (!value.empty()) raw_element(name, carried(value, path));
    }
    void short_text(const char* name, const std::string& value, const ElementPath& path) {
        if (!value.empty()) raw_element(name, carried(value, path, short_text_max));
    }
    // List items keep their place even when empty, so the list round-trips.
    void short_text_item(const char* name, const std::string& value, const ElementPath& path) {
        raw_element(name, carried(value, path, short_text_max));
    }
    void code_element(const char* name, const std::string& value, const ElementPath& path) {
        if (value.empty()) return cannot_hold(path, "an empty code");
        if (utf8_length(value) > code_max) return cannot_hold(path, "a code longer than 64 characters");
        raw_element(name, carried(value, path));
    }
    void code_attribute(const char* name, const std::string& value, const ElementPath& path) {
        if (value.empty()) return;
        if (utf8_length(value) > code_max) return cannot_hold(path, "a code longer than 64 characters");
        raw_attribute(name, carried(value, path));
    }
    void identifier_attribute(const char* name, const std::string& value, const ElementPath& path) {
        code_attribute(name, value, path);
    }
    bool date_fits(const std::string& value, const ElementPath& path) {
        if (value.empty()) return false;
        if (model::is_valid_date(value)) return true;
        cannot_hold(path, "not a date (YYYY, YYYY-MM or YYYY-MM-DD)");
        return false;
    }
    void date_element(const char* name, const std::string& value, const ElementPath& path) {
        if (date_fits(value, path)) raw_element(name, value.c_str());
    }
    void date_attribute(const char* name, const std::string& value, const ElementPath& path) {
        if (date_fits(value, path)) raw_attribute(name, value.c_str());
    }
    bool instant_fits(const std::string& value, const ElementPath& path) {
        if (value.empty()) return false;
        if (fits_instant(value)) return true;
        cannot_hold(path, "not an instant with seconds and a zone");
        return false;
    }
    void instant_element(const char* name, const std::string& value, const ElementPath& path) {
        if (instant_fits(value, path)) raw_element(name, value.c_str());
    }
    void instant_attribute(const char* name, const std::string& value, const ElementPath& path) {
        if (instant_fits(value, path)) raw_attribute(name, value.c_str());
    }
    bool ods_fits(const std::string& value, const ElementPath& path) {
        if (value.empty()) return false;
        if (model::is_valid_ods_code(value)) return true;
        cannot_hold(path, "not an ODS code");
        return false;
    }
    void ods_attribute(const std::string& value, const ElementPath& path) {
        if (ods_fits(value, path)) raw_attribute("ods", value.c_str());
    }
    // <Name ods="…"/>: an organisation named by its ODS code.
    void organisation(const char* name, const std::string& value, const ElementPath& path) {
        if (!ods_fits(value, path)) return;
        start(name);
        raw_attribute("ods", value.c_str());
        end();
    }
    template <typename Enum> void code_value(const char* name, Enum value, const ElementPath& path, bool attribute) {
        const PascalSpelling spelling(model::to_string(value));
        if (spelling.empty()) return cannot_hold(path, "a code outside the closed set");
        if (attribute) raw_attribute(name, spelling.c_str());
        else raw_element(name, spelling.c_str());
    }
    template <typename Enum> void enum_element(const char* name, Enum value, const ElementPath& path) {
        code_value(name, value, path, false);
    }
    template <typename Enum> void enum_attribute(const char* name, Enum value, const ElementPath& path) {
        code_value(name, value, path, true);
    }
    // FHIR codes the record keeps as strings, closed in care-notes.
    void fhir_code_attribute(const char* name, const std::string& value, bool (*known)(std::string_view),
                             const ElementPath& path) {
        if (value.empty()) return;
        const PascalSpelling spelling(value);
        if (!known(value) || spelling.empty()) return cannot_hold(path, "a code outside the closed set");
        raw_attribute(name, spelling.c_str());
    }
    void boolean(const char* name, bool value) { raw_element(name, value ? "true" : "false"); }
    void optional_boolean(const char* name, const std::optional<bool>& value) {
        if (value) boolean(name, *value);
    }

    // ---- the record

    void demographics(const model::Person& p, const ElementPath& path) {
        start("Demographics");
        if (!p.nhs_number.empty()) {
            const ElementPath nhs = path.child("nhs_number");
            if (!is_digits(p.nhs_number, 10)) {
                cannot_hold(nhs, "an NHS number is ten digits");
            } else {
                if (!model::is_valid_nhs_number(p.nhs_number))
                    sink_.warning(IssueType::value, nhs.str(),
                                  "NHS number fails the modulus-11 check; receivers will reject this client");
                start("NhsNumber");
                if (!p.nhs_number_verification.empty()) {
                    if (model::is_nhs_number_verification_code(p.nhs_number_verification))
                        raw_attribute("verification", p.nhs_number_verification.c_str());
                    else
                        cannot_hold(path.child("nhs_number_verification"), "not a verification code 01..08");
                }
                xmlTextWriterWriteString(w_, BAD_CAST p.nhs_number.c_str());
                end();
            }
        } else if (!p.nhs_number_verification.empty()) {
            cannot_hold(path.child("nhs_number_verification"), "a verification status without an NHS number");
        }
        const ElementPath names = path.child("names");
        for (std::size_t i = 0; i < p.names.size(); ++i) person_name(p.names[i], names.at(i));
        date_element("BirthDate", p.birth_date, path.child("birth_date"));
        if (p.gender) enum_element("Gender", *p.gender, path.child("gender"));
        if (!p.ethnic_category.empty()) {
            if (model::is_ethnic_category_code(p.ethnic_category))
                raw_element("EthnicCategory", p.ethnic_category.c_str());
            else
                cannot_hold(path.child("ethnic_category"), "not an ethnic category code");
        }
        if (p.address) {
            const ElementPath a = path.child("address");
            start("Address");
            const ElementPath lines = a.child("lines");
            for (std::size_t i = 0; i < p.address->lines.size(); ++i)
                short_text_item("Line", p.address->lines[i], lines.at(i));
            short_text("City", p.address->city, a.child("city"));
            short_text("District", p.address->district, a.child("district"));
            short_text("Postcode", p.address->postcode, a.child("postcode"));
            end();
        }
        if (p.no_fixed_abode) boolean("NoFixedAbode", true);
        short_text("Phone", p.phone, path.child("phone"));
        short_text("Mobile", p.mobile, path.child("mobile"));
        short_text("Email", p.email, path.child("email"));
        contact_preferences(p.contact_preferences, path.child("contact_preferences"));
        organisation("GpPractice", p.gp_practice_ods, path.child("gp_practice_ods"));
        end();
    }

    void person_name(const model::PersonName& n, const ElementPath& path) {
        start("Name");
        fhir_code_attribute("use", n.use, is_name_use, path.child("use"));
        short_text("Prefix", n.prefix, path.child("prefix"));
        const ElementPath given = path.child("given");
        for (std::size_t i = 0; i < n.given.size(); ++i) short_text_item("Given", n.given[i], given.at(i));
        short_text("Family", n.family, path.child("family"));
        end();
    }

    void contact_preferences(const model::ContactPreferences& cp, const ElementPath& path) {
        if (cp == model::ContactPreferences{}) return;
        start("ContactPreferences");
        if (cp.preferred_method) enum_element("PreferredMethod", *cp.preferred_method, path.child("preferred_method"));
        optional_boolean("SafeToCallAtHome", cp.safe_to_call_at_home);
        optional_boolean("InterpreterRequired", cp.interpreter_required);
        if (!cp.interpreter_language.empty()) {
            if (fits_language(cp.interpreter_language))
                raw_element("InterpreterLanguage", cp.interpreter_language.c_str());
            else
                cannot_hold(path.child("interpreter_language"), "not a BCP 47 language code");
        }
        optional_boolean("DigitalAccess", cp.digital_access);
        end();
    }

    void diagnosis(const model::Diagnosis& d, const ElementPath& path) {
        start("Diagnosis");
        code_attribute("code", d.code, path.child("code"));
        if (!d.system.empty()) {
            const std::string_view system = diagnosis_system_spelling(d.system);
            if (system.empty()) cannot_hold(path.child("system"), "care-notes codes diagnoses in ICD-10 or SNOMED CT");
            else raw_attribute("system", std::string(system).c_str());
        }
        date_attribute("recorded", d.recorded, path.child("recorded"));
        if (!d.display.empty()) xmlTextWriterWriteString(w_, BAD_CAST carried(d.display, path.child("display"), short_text_max));
        end();
    }

    void referral(const model::Referral& r, const ElementPath& path) {
        start("Referral");
        identifier_attribute("id", r.id, path.child("id"));
        if (r.version >= 1) {
            char digits[16];
            const auto [end_ptr, ec] = std::to_chars(digits, digits + sizeof(digits) - 1, r.version);
            *end_ptr = '\0';
            raw_attribute("version", digits);
        } else {
            cannot_hold(path.child("version"), "a version below 1");
        }
        instant_element("Created", r.created, path.child("created"));
        instant_element("Updated", r.updated, path.child("updated"));
        enum_element("Status", r.status, path.child("status"));
        text("StatusReason", r.status_reason, path.child("status_reason"));
        organisation("StatusSetBy", r.status_set_by, path.child("status_set_by"));
        enum_element("Priority", r.priority, path.child("priority"));
        if (r.pathway) enum_element("Pathway", *r.pathway, path.child("pathway"));
        if (r.source) enum_element("Source", *r.source, path.child("source"));
        organisation("ReferrerOrganisation", r.referrer_ods, path.child("referrer_ods"));
        short_text("ReferrerName", r.referrer_name, path.child("referrer_name"));
        if (!r.needs.empty()) {
            const ElementPath needs = path.child("needs");
            start("Needs");
            for (std::size_t i = 0; i < r.needs.size(); ++i) {
                const ElementPath need = needs.at(i);
                start("Need");
                enum_attribute("code", r.needs[i].code, need.child("code"));
                if (!r.needs[i].text.empty()) xmlTextWriterWriteString(w_, BAD_CAST carried(r.needs[i].text, need.child("text")));
                if (!r.needs[i].coding.empty())
                    cannot_hold(need.child("coding"), "a need is a partnership code with its text; the sender's coding has no place");
                end();
            }
            end();
        }
        const ElementPath flags = path.child("complexity_flags");
        for (std::size_t i = 0; i < r.complexity_flags.size(); ++i)
            code_element("ComplexityFlag", r.complexity_flags[i], flags.at(i));
        risk(r.risk, path.child("risk"));
        if (r.shielded.value_or(false)) boolean("Shielded", true);
        if (r.consent) consent(*r.consent, path.child("consent"));
        if (!r.lawful_basis.article6.empty() || !r.lawful_basis.article9.empty()) {
            const ElementPath basis = path.child("lawful_basis");
            start("LawfulBasis");
            code_attribute("article6", r.lawful_basis.article6, basis.child("article6"));
            code_attribute("article9", r.lawful_basis.article9, basis.child("article9"));
            end();
        }
        if (!r.care_team.empty()) {
            const ElementPath team = path.child("care_team");
            start("CareTeam");
            for (std::size_t i = 0; i < r.care_team.size(); ++i) {
                const model::CareTeamMember& m = r.care_team[i];
                const ElementPath member = team.at(i);
                start("Member");
                enum_attribute("role", m.role, member.child("role"));
                ods_attribute(m.organisation_ods, member.child("organisation_ods"));
                short_text("Name", m.name, member.child("name"));
                short_text("Phone", m.phone, member.child("phone"));
                end();
            }
            end();
        }
        const ElementPath services = path.child("requested_services");
        for (std::size_t i = 0; i < r.requested_services.size(); ++i)
            short_text_item("RequestedService", r.requested_services[i], services.at(i));
        const ElementPath targets = path.child("targets");
        for (std::size_t i = 0; i < r.targets.size(); ++i) {
            const ElementPath target = targets.at(i);
            start("Team");
            ods_attribute(r.targets[i].organisation_ods, target.child("organisation_ods"));
            if (!r.targets[i].service.empty())
                xmlTextWriterWriteString(w_, BAD_CAST carried(r.targets[i].service, target.child("service"), short_text_max));
            end();
        }
        if (!r.history.empty()) {
            const ElementPath history = path.child("history");
            start("History");
            for (std::size_t i = 0; i < r.history.size(); ++i) {
                const model::Hop& hop = r.history[i];
                const ElementPath event = history.at(i);
                start("Event");
                enum_attribute("decision", hop.decision, event.child("decision"));
                ods_attribute(hop.organisation_ods, event.child("organisation_ods"));
                instant_attribute("time", hop.time, event.child("time"));
                if (!hop.reason.empty()) xmlTextWriterWriteString(w_, BAD_CAST carried(hop.reason, event.child("reason")));
                end();
            }
            end();
        }
        text("Notes", r.notes, path.child("notes"));
        end();
    }

    void risk(const model::Risk& risk, const ElementPath& path) {
        if (risk == model::Risk{}) return;
        start("Risk");
        if (risk.level) enum_attribute("level", *risk.level, path.child("level"));
        text("Summary", risk.summary, path.child("summary"));
        const ElementPath flags = path.child("flags");
        for (std::size_t i = 0; i < risk.flags.size(); ++i) code_element("Flag", risk.flags[i], flags.at(i));
        date_element("Assessed", risk.assessed, path.child("assessed"));
        end();
    }

    void consent(const model::Consent& c, const ElementPath& path) {
        start("Consent");
        identifier_attribute("id", c.id, path.child("id"));
        enum_element("Status", c.status, path.child("status"));
        short_text("RecordedBy", c.recorded_by, path.child("recorded_by"));
        instant_element("RecordedAt", c.recorded_at, path.child("recorded_at"));
        const ElementPath types = path.child("organisation_types");
        for (std::size_t i = 0; i < c.organisation_types.size(); ++i)
            enum_element("OrganisationType", c.organisation_types[i], types.at(i));
        const ElementPath organisations = path.child("organisations");
        for (std::size_t i = 0; i < c.organisations.size(); ++i)
            organisation("Organisation", c.organisations[i], organisations.at(i));
        const ElementPath purposes = path.child("purposes");
        for (std::size_t i = 0; i < c.purposes.size(); ++i) code_element("Purpose", c.purposes[i], purposes.at(i));
        date_element("Expires", c.expires, path.child("expires"));
        end();
    }

    void care_plan(const model::CarePlan& plan, const ElementPath& path) {
        start("CarePlan");
        identifier_attribute("id", plan.id, path.child("id"));
        short_text("Title", plan.title, path.child("title"));
        enum_element("Status", plan.status, path.child("status"));
        date_element("PeriodStart", plan.period_start, path.child("period_start"));
        date_element("PeriodEnd", plan.period_end, path.child("period_end"));
        date_element("ReviewDate", plan.review_date, path.child("review_date"));
        const ElementPath goals = path.child("goals");
        for (std::size_t i = 0; i < plan.goals.size(); ++i) {
            const model::Goal& g = plan.goals[i];
            const ElementPath goal = goals.at(i);
            start("Goal");
            fhir_code_attribute("status", g.status, is_goal_status, goal.child("status"));
            date_attribute("targetDate", g.target_date, goal.child("target_date"));
            if (!g.description.empty()) xmlTextWriterWriteString(w_, BAD_CAST carried(g.description, goal.child("description")));
            end();
        }
        const ElementPath activities = path.child("activities");
        for (std::size_t i = 0; i < plan.activities.size(); ++i) {
            const model::Activity& a = plan.activities[i];
            const ElementPath activity = activities.at(i);
            start("Activity");
            fhir_code_attribute("status", a.status, is_activity_status, activity.child("status"));
            ods_attribute(a.responsible_ods, activity.child("responsible_ods"));
            if (!a.description.empty())
                xmlTextWriterWriteString(w_, BAD_CAST carried(a.description, activity.child("description")));
            end();
        }
        text("CrisisPlan", plan.crisis_plan, path.child("crisis_plan"));
        text("ContingencyPlan", plan.contingency_plan, path.child("contingency_plan"));
        if (!plan.dialog_date.empty() || !plan.dialog.empty()) {
            start("Dialog");
            date_attribute("date", plan.dialog_date, path.child("dialog_date"));
            const ElementPath scores = path.child("dialog");
            for (std::size_t i = 0; i < plan.dialog.size(); ++i) {
                const model::DialogScore& s = plan.dialog[i];
                const ElementPath score = scores.at(i);
                if (s.score < 1 || s.score > 7) {
                    cannot_hold(score.child("score"), "a DIALOG+ score outside 1..7");
                    continue;
                }
                const PascalSpelling domain(model::to_string(s.domain));
                if (domain.empty()) {
                    cannot_hold(score.child("domain"), "a code outside the closed set");
                    continue;
                }
                const char digit[2] = {static_cast<char>('0' + s.score), '\0'};
                start("Domain");
                raw_attribute("name", domain.c_str());
                raw_attribute("score", digit);
                raw_attribute("wantsHelp", s.wants_more_help ? "true" : "false");
                end();
            }
            end();
        }
        end();
    }

    void contact(const model::ServiceContact& c, const ElementPath& path) {
        start("Contact");
        identifier_attribute("id", c.id, path.child("id"));
        enum_element("Type", c.type, path.child("type"));
        instant_element("Start", c.start, path.child("start"));
        instant_element("End", c.end, path.child("end"));
        short_text("Service", c.service, path.child("service"));
        short_text("Practitioner", c.practitioner, path.child("practitioner"));
        end();
    }

    void admission(const model::Admission& a, const ElementPath& path) {
        start("Admission");
        identifier_attribute("id", a.id, path.child("id"));
        instant_element("Admitted", a.admitted, path.child("admitted"));
        instant_element("Discharged", a.discharged, path.child("discharged"));
        organisation("Hospital", a.hospital_ods, path.child("hospital_ods"));
        short_text("Ward", a.ward, path.child("ward"));
        if (!a.legal_status.empty()) {
            if (is_digits(a.legal_status, 2)) raw_element("LegalStatus", a.legal_status.c_str());
            else cannot_hold(path.child("legal_status"), "a Mental Health Act legal status is two digits");
        }
        end();
    }

    xmlTextWriterPtr w_;
    issues::IssueSink& sink_;
    std::string scratch_;
};

}  // namespace

void encode_client(xmlTextWriterPtr writer, const model::PersonRecord& record, issues::IssueSink& sink) {
    ClientEncoder(writer, sink).client(record);
}

}  // namespace carebridge::carenotes
