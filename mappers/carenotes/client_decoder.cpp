#include "carenotes/client_decoder.hpp"

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "carenotes/code_spelling.hpp"
#include "carenotes/export_format.hpp"
#include "model/validate.hpp"

namespace carebridge::carenotes {
namespace {

using issues::ElementPath;
using issues::IssueType;

std::string_view name_of(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

// Two declarations of one namespace are distinct xmlNs objects: compare the URIs.
bool same_namespace(const xmlNode* a, const xmlNode* b) {
    if (a->ns == b->ns) return true;
    return a->ns && b->ns && std::strcmp(reinterpret_cast<const char*>(a->ns->href),
                                         reinterpret_cast<const char*>(b->ns->href)) == 0;
}

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

// Text of a simple-content element. Usually one text node; comments may split it.
void read_text(const xmlNode* n, std::string& out) {
    out.clear();
    for (const xmlNode* c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            out += reinterpret_cast<const char*>(c->content);
}

std::string text_of(const xmlNode* n) {
    std::string out;
    read_text(n, out);
    return out;
}

// An unqualified attribute's value. Entities are refused upstream, so the value
// is a single text node.
std::string_view attribute(const xmlNode* n, const char* name) {
    for (const xmlAttr* a = n->properties; a; a = a->next) {
        if (a->ns || std::strcmp(reinterpret_cast<const char*>(a->name), name) != 0) continue;
        if (!a->children || !a->children->content) return {};
        return reinterpret_cast<const char*>(a->children->content);
    }
    return {};
}

bool parse_boolean(std::string_view s) {
    s = trim(s);
    return s == "true" || s == "1";
}

int parse_int(std::string_view s, int fallback) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    int v = fallback;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && end == s.data() + s.size() ? v : fallback;
}

class ClientDecoder {
public:
    ClientDecoder(const xmlNs* ns, codec::Strictness strictness, issues::IssueSink& sink)
        : ns_(ns), strictness_(strictness), sink_(sink) {}

    void client(const xmlNode* n, const ElementPath& path, model::PersonRecord& r) {
        if (auto id = attribute(n, "id"); !id.empty()) r.person.local_id = id;
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            if (!ours(c)) {
                extension(c, path);
                continue;
            }
            const std::string_view nm = name_of(c);
            if (nm == "Demographics") {
                demographics(c, path.child("Demographics"), r.person);
            } else if (nm == "Diagnosis") {
                const std::size_t i = r.diagnoses.size();
                diagnosis(c, path.child("Diagnosis").at(i), r.diagnoses.emplace_back());
            } else if (nm == "Referral") {
                const std::size_t i = r.referrals.size();
                referral(c, path.child("Referral").at(i), r.referrals.emplace_back());
            } else if (nm == "CarePlan") {
                const std::size_t i = r.care_plans.size();
                care_plan(c, path.child("CarePlan").at(i), r.care_plans.emplace_back());
            } else if (nm == "Contact") {
                contact(c, r.contacts.emplace_back());
            }
            else if (nm == "Admission") admission(c, r.admissions.emplace_back());
        }
    }

private:
    const xmlNode* first_element(const xmlNode* n) const {
        while (n && n->type != XML_ELEMENT_NODE) n = n->next;
        return n;
    }

    bool ours(const xmlNode* n) const {
        if (n->ns == ns_) return true;
        return n->ns && std::strcmp(reinterpret_cast<const char*>(n->ns->href), export_namespace) == 0;
    }

    // The XSD lets foreign-namespace elements through at the end of Client and
    // Referral; the canonical record has no place for them.
    void extension(const xmlNode* n, const ElementPath& parent) {
        std::string label;
        if (n->ns && n->ns->prefix) {
            label = reinterpret_cast<const char*>(n->ns->prefix);
            label += ':';
        }
        label += name_of(n);
        std::size_t index = 0;
        for (const xmlNode* p = n->prev; p; p = p->prev)
            if (p->type == XML_ELEMENT_NODE && same_namespace(p, n) && name_of(p) == name_of(n)) ++index;
        const ElementPath named = parent.child(label);
        const ElementPath path = named.at(index);
        std::string ns = n->ns ? reinterpret_cast<const char*>(n->ns->href) : "";
        if (strictness_ == codec::Strictness::strict)
            sink_.error(IssueType::not_supported, path.str(),
                        "extension element from namespace " + ns + " is not accepted in strict mode");
        else
            sink_.warning(IssueType::informational, path.str(),
                          "extension element from namespace " + ns + " is not carried");
    }

    void date(const xmlNode* n, const ElementPath& path, std::string& out) {
        read_text(n, out);
        check_date(out, path);
    }

    void check_date(const std::string& value, const ElementPath& path) {
        if (!value.empty() && !model::is_valid_date(value))
            sink_.error(IssueType::value, path.str(), "not a real calendar date");
    }

    void demographics(const xmlNode* n, const ElementPath& path, model::Person& p) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "NhsNumber") {
                read_text(c, p.nhs_number);
                p.nhs_number_verification = attribute(c, "verification");
                if (!model::is_valid_nhs_number(p.nhs_number))
                    sink_.error(IssueType::value, path.child("NhsNumber").str(),
                                "NHS number fails the modulus-11 check");
            } else if (nm == "Name") {
                person_name(c, p.names.emplace_back());
            } else if (nm == "BirthDate") {
                date(c, path.child("BirthDate"), p.birth_date);
            } else if (nm == "Gender") {
                p.gender = parse_pascal<model::Gender>(trim(text_of(c)));
            } else if (nm == "EthnicCategory") {
                p.ethnic_category = trim(text_of(c));
            } else if (nm == "Address") {
                address(c, p.address.emplace());
            } else if (nm == "NoFixedAbode") {
                p.no_fixed_abode = parse_boolean(text_of(c));
            } else if (nm == "Phone") {
                read_text(c, p.phone);
            } else if (nm == "Mobile") {
                read_text(c, p.mobile);
            } else if (nm == "Email") {
                read_text(c, p.email);
            } else if (nm == "ContactPreferences") {
                contact_preferences(c, p.contact_preferences);
            } else if (nm == "GpPractice") {
                p.gp_practice_ods = attribute(c, "ods");
            }
        }
    }

    void person_name(const xmlNode* n, model::PersonName& name) {
        if (auto use = trim(attribute(n, "use")); !use.empty()) name.use = kebab_spelling(use);
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Prefix") read_text(c, name.prefix);
            else if (nm == "Given") read_text(c, name.given.emplace_back());
            else if (nm == "Family") read_text(c, name.family);
        }
    }

    void address(const xmlNode* n, model::Address& a) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Line") read_text(c, a.lines.emplace_back());
            else if (nm == "City") read_text(c, a.city);
            else if (nm == "District") read_text(c, a.district);
            else if (nm == "Postcode") read_text(c, a.postcode);
        }
    }

    void contact_preferences(const xmlNode* n, model::ContactPreferences& cp) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "PreferredMethod") cp.preferred_method = parse_pascal<model::ContactMethod>(trim(text_of(c)));
            else if (nm == "SafeToCallAtHome") cp.safe_to_call_at_home = parse_boolean(text_of(c));
            else if (nm == "InterpreterRequired") cp.interpreter_required = parse_boolean(text_of(c));
            else if (nm == "InterpreterLanguage") read_text(c, cp.interpreter_language);
            else if (nm == "DigitalAccess") cp.digital_access = parse_boolean(text_of(c));
        }
    }

    void diagnosis(const xmlNode* n, const ElementPath& path, model::Diagnosis& d) {
        d.system = diagnosis_system_canonical(trim(attribute(n, "system")));
        d.code = attribute(n, "code");
        d.recorded = attribute(n, "recorded");
        check_date(d.recorded, path.child("recorded"));
        read_text(n, d.display);
    }

    void referral(const xmlNode* n, const ElementPath& path, model::Referral& r) {
        r.id = attribute(n, "id");
        r.version = parse_int(attribute(n, "version"), 1);
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            if (!ours(c)) {
                extension(c, path);
                continue;
            }
            const std::string_view nm = name_of(c);
            if (nm == "Created") read_text(c, r.created);
            else if (nm == "Updated") read_text(c, r.updated);
            else if (nm == "Status") r.status = parse_pascal<model::ReferralStatus>(trim(text_of(c))).value_or(r.status);
            else if (nm == "StatusReason") read_text(c, r.status_reason);
            else if (nm == "StatusSetBy") r.status_set_by = attribute(c, "ods");
            else if (nm == "Priority") r.priority = parse_pascal<model::Priority>(trim(text_of(c))).value_or(r.priority);
            else if (nm == "Pathway") r.pathway = parse_pascal<model::Pathway>(trim(text_of(c)));
            else if (nm == "Source") r.source = parse_pascal<model::ReferralSource>(trim(text_of(c)));
            else if (nm == "ReferrerOrganisation") r.referrer_ods = attribute(c, "ods");
            else if (nm == "ReferrerName") read_text(c, r.referrer_name);
            else if (nm == "Needs") needs(c, r.needs);
            else if (nm == "ComplexityFlag") read_text(c, r.complexity_flags.emplace_back());
            else if (nm == "Risk") risk(c, path.child("Risk"), r.risk);
            else if (nm == "Shielded") r.shielded = parse_boolean(text_of(c));
            else if (nm == "Consent") consent(c, path.child("Consent"), r.consent.emplace());
            else if (nm == "LawfulBasis") r.lawful_basis = {std::string(attribute(c, "article6")), std::string(attribute(c, "article9"))};
            else if (nm == "CareTeam") care_team(c, r.care_team);
            else if (nm == "RequestedService") read_text(c, r.requested_services.emplace_back());
            else if (nm == "Team") r.targets.push_back(model::Target{std::string(attribute(c, "ods")), text_of(c)});
            else if (nm == "History") history(c, r.history);
            else if (nm == "Notes") read_text(c, r.notes);
        }
    }

    void needs(const xmlNode* n, std::vector<model::NeedItem>& out) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            model::NeedItem& item = out.emplace_back();
            item.code = parse_pascal<model::Need>(trim(attribute(c, "code"))).value_or(model::Need::other);
            read_text(c, item.text);
        }
    }

    void risk(const xmlNode* n, const ElementPath& path, model::Risk& risk) {
        risk.level = parse_pascal<model::RiskLevel>(trim(attribute(n, "level")));
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Summary") read_text(c, risk.summary);
            else if (nm == "Flag") read_text(c, risk.flags.emplace_back());
            else if (nm == "Assessed") date(c, path.child("Assessed"), risk.assessed);
        }
    }

    void consent(const xmlNode* n, const ElementPath& path, model::Consent& consent) {
        consent.id = attribute(n, "id");
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Status") {
                consent.status = parse_pascal<model::ConsentStatus>(trim(text_of(c))).value_or(consent.status);
            } else if (nm == "RecordedBy") {
                read_text(c, consent.recorded_by);
            } else if (nm == "RecordedAt") {
                read_text(c, consent.recorded_at);
            } else if (nm == "OrganisationType") {
                if (auto t = parse_pascal<model::OrganisationType>(trim(text_of(c))))
                    consent.organisation_types.push_back(*t);
            } else if (nm == "Organisation") {
                consent.organisations.emplace_back(attribute(c, "ods"));
            } else if (nm == "Purpose") {
                read_text(c, consent.purposes.emplace_back());
            } else if (nm == "Expires") {
                date(c, path.child("Expires"), consent.expires);
            }
        }
    }

    void care_team(const xmlNode* n, std::vector<model::CareTeamMember>& out) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            model::CareTeamMember& m = out.emplace_back();
            m.role = parse_pascal<model::CareTeamRole>(trim(attribute(c, "role"))).value_or(model::CareTeamRole::other);
            m.organisation_ods = attribute(c, "ods");
            for (const xmlNode* f = first_element(c->children); f; f = first_element(f->next)) {
                if (name_of(f) == "Name") read_text(f, m.name);
                else if (name_of(f) == "Phone") read_text(f, m.phone);
            }
        }
    }

    void history(const xmlNode* n, std::vector<model::Hop>& out) {
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            model::Hop& hop = out.emplace_back();
            hop.decision = parse_pascal<model::ReferralStatus>(trim(attribute(c, "decision"))).value_or(hop.decision);
            hop.organisation_ods = attribute(c, "ods");
            hop.time = attribute(c, "time");
            read_text(c, hop.reason);
        }
    }

    void care_plan(const xmlNode* n, const ElementPath& path, model::CarePlan& plan) {
        plan.id = attribute(n, "id");
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Title") {
                read_text(c, plan.title);
            } else if (nm == "Status") {
                plan.status = parse_pascal<model::CarePlanStatus>(trim(text_of(c))).value_or(plan.status);
            } else if (nm == "PeriodStart") {
                date(c, path.child("PeriodStart"), plan.period_start);
            } else if (nm == "PeriodEnd") {
                date(c, path.child("PeriodEnd"), plan.period_end);
            } else if (nm == "ReviewDate") {
                date(c, path.child("ReviewDate"), plan.review_date);
            } else if (nm == "Goal") {
                const ElementPath goal_path = path.child("Goal");
                model::Goal& goal = plan.goals.emplace_back();
                if (auto s = trim(attribute(c, "status")); !s.empty()) goal.status = kebab_spelling(s);
                goal.target_date = attribute(c, "targetDate");
                check_date(goal.target_date, goal_path.at(plan.goals.size() - 1).child("targetDate"));
                read_text(c, goal.description);
            } else if (nm == "Activity") {
                model::Activity& activity = plan.activities.emplace_back();
                if (auto s = trim(attribute(c, "status")); !s.empty()) activity.status = kebab_spelling(s);
                activity.responsible_ods = attribute(c, "ods");
                read_text(c, activity.description);
            } else if (nm == "CrisisPlan") {
                read_text(c, plan.crisis_plan);
            } else if (nm == "ContingencyPlan") {
                read_text(c, plan.contingency_plan);
            } else if (nm == "Dialog") {
                plan.dialog_date = attribute(c, "date");
                check_date(plan.dialog_date, path.child("Dialog").child("date"));
                for (const xmlNode* d = first_element(c->children); d; d = first_element(d->next)) {
                    model::DialogScore& score = plan.dialog.emplace_back();
                    score.domain = parse_pascal<model::DialogDomain>(trim(attribute(d, "name"))).value_or(score.domain);
                    score.score = parse_int(attribute(d, "score"), score.score);
                    score.wants_more_help = parse_boolean(attribute(d, "wantsHelp"));
                }
            }
        }
    }

    void contact(const xmlNode* n, model::ServiceContact& contact) {
        contact.id = attribute(n, "id");
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Type") contact.type = parse_pascal<model::ContactType>(trim(text_of(c))).value_or(contact.type);
            else if (nm == "Start") read_text(c, contact.start);
            else if (nm == "End") read_text(c, contact.end);
            else if (nm == "Service") read_text(c, contact.service);
            else if (nm == "Practitioner") read_text(c, contact.practitioner);
        }
    }

    void admission(const xmlNode* n, model::Admission& admission) {
        admission.id = attribute(n, "id");
        for (const xmlNode* c = first_element(n->children); c; c = first_element(c->next)) {
            const std::string_view nm = name_of(c);
            if (nm == "Admitted") read_text(c, admission.admitted);
            else if (nm == "Discharged") read_text(c, admission.discharged);
            else if (nm == "Hospital") admission.hospital_ods = attribute(c, "ods");
            else if (nm == "Ward") read_text(c, admission.ward);
            else if (nm == "LegalStatus") read_text(c, admission.legal_status);
        }
    }

    const xmlNs* ns_;
    codec::Strictness strictness_;
    issues::IssueSink& sink_;
};

}  // namespace

bool decode_client(const xmlNode* client, const ElementPath& path, codec::Strictness strictness,
                   model::PersonRecord& record, issues::IssueSink& sink) {
    const std::size_t errors_before = sink.count(issues::Severity::error) + sink.count(issues::Severity::fatal);
    ClientDecoder decoder(client->ns, strictness, sink);
    decoder.client(client, path, record);
    return sink.count(issues::Severity::error) + sink.count(issues::Severity::fatal) == errors_before;
}

}  // namespace carebridge::carenotes
