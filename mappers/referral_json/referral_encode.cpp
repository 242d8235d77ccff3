// Canonical record → partnership referral JSON (see referral_codec.hpp and
// FORMAT.md). Written straight from the model with RapidJSON's SAX writer, in
// the golden file's member order; nothing is built in between because this
// is the last step of every translation into the partnership format.

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "referral_json/referral_codec.hpp"

namespace carebridge::referral_json {
namespace {

// A referral is a few KB; starting there saves the buffer's early regrowths.
constexpr std::size_t initial_buffer_bytes = 8192;

template <typename Writer> class ReferralWriter {
public:
    explicit ReferralWriter(Writer& w) : w_(w) {}

    void record(const model::PersonRecord& record) {
        const model::Referral& ref = record.referrals.front();
        w_.StartObject();
        field("schema", schema_id);
        field("referralId", ref.id);
        key("version");
        w_.Int(ref.version);
        field("created", ref.created);
        field("updated", ref.updated);
        code("status", ref.status);
        field("statusReason", ref.status_reason);
        field("statusSetBy", ref.status_set_by);
        code("priority", ref.priority);
        code("pathway", ref.pathway);
        code("source", ref.source);
        if (!ref.referrer_ods.empty() || !ref.referrer_name.empty()) {
            key("referrer");
            w_.StartObject();
            field("organisation", ref.referrer_ods);
            field("name", ref.referrer_name);
            w_.EndObject();
        }
        key("person");
        person(record.person);
        if (!record.diagnoses.empty()) {
            key("diagnoses");
            w_.StartArray();
            for (const model::Diagnosis& d : record.diagnoses) {
                w_.StartObject();
                field("system", d.system);
                field("code", d.code);
                field("display", d.display);
                field("recorded", d.recorded);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!ref.needs.empty()) {
            key("needs");
            w_.StartArray();
            for (const model::NeedItem& n : ref.needs) {
                w_.StartObject();
                code("code", n.code);
                field("text", n.text);
                if (!n.coding.empty()) {
                    key("coding");
                    w_.StartObject();
                    field("system", n.coding.system);
                    field("code", n.coding.code);
                    field("display", n.coding.display);
                    w_.EndObject();
                }
                w_.EndObject();
            }
            w_.EndArray();
        }
        strings("complexityFlags", ref.complexity_flags);
        risk(ref.risk);
        if (ref.shielded) {
            key("shielded");
            w_.Bool(*ref.shielded);
        }
        if (ref.consent) consent(*ref.consent);
        if (!ref.lawful_basis.article6.empty() || !ref.lawful_basis.article9.empty()) {
            key("lawfulBasis");
            w_.StartObject();
            field("article6", ref.lawful_basis.article6);
            field("article9", ref.lawful_basis.article9);
            w_.EndObject();
        }
        if (!ref.care_team.empty()) {
            key("careTeam");
            w_.StartArray();
            for (const model::CareTeamMember& c : ref.care_team) {
                w_.StartObject();
                code("role", c.role);
                field("name", c.name);
                field("organisation", c.organisation_ods);
                field("phone", c.phone);
                w_.EndObject();
            }
            w_.EndArray();
        }
        strings("requestedServices", ref.requested_services);
        if (!ref.targets.empty()) {
            key("targets");
            w_.StartArray();
            for (const model::Target& t : ref.targets) {
                w_.StartObject();
                field("organisation", t.organisation_ods);
                field("service", t.service);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!ref.history.empty()) {
            key("history");
            w_.StartArray();
            for (const model::Hop& h : ref.history) {
                w_.StartObject();
                field("organisation", h.organisation_ods);
                code("decision", h.decision);
                field("time", h.time);
                field("reason", h.reason);
                w_.EndObject();
            }
            w_.EndArray();
        }
        field("notes", ref.notes);
        if (!record.care_plans.empty()) care_plan(record.care_plans.front());
        w_.EndObject();
    }

private:
    template <std::size_t N> void key(const char (&k)[N]) { w_.Key(k, N - 1); }
    void string(std::string_view s) { w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

    template <std::size_t N> void field(const char (&k)[N], std::string_view s) {
        if (s.empty()) return;
        key(k);
        string(s);
    }
    template <std::size_t N> void field(const char (&k)[N], const std::optional<bool>& b) {
        if (!b) return;
        key(k);
        w_.Bool(*b);
    }
    template <std::size_t N, typename Enum> void code(const char (&k)[N], Enum e) { field(k, model::to_string(e)); }
    template <std::size_t N, typename Enum> void code(const char (&k)[N], const std::optional<Enum>& e) {
        if (e) code(k, *e);
    }
    template <std::size_t N> void strings(const char (&k)[N], const std::vector<std::string>& values) {
        if (values.empty()) return;
        key(k);
        w_.StartArray();
        for (const std::string& v : values) string(v);
        w_.EndArray();
    }

    void person(const model::Person& p) {
        w_.StartObject();
        field("localId", p.local_id);
        field("nhsNumber", p.nhs_number);
        field("nhsNumberVerification", p.nhs_number_verification);
        if (!p.names.empty()) {
            key("names");
            w_.StartArray();
            for (const model::PersonName& n : p.names) {
                w_.StartObject();
                field("use", n.use);
                field("prefix", n.prefix);
                strings("given", n.given);
                field("family", n.family);
                w_.EndObject();
            }
            w_.EndArray();
        }
        field("birthDate", p.birth_date);
        code("gender", p.gender);
        field("ethnicCategory", p.ethnic_category);
        if (p.address) {
            key("address");
            w_.StartObject();
            strings("lines", p.address->lines);
            field("city", p.address->city);
            field("district", p.address->district);
            field("postcode", p.address->postcode);
            w_.EndObject();
        }
        key("noFixedAbode");
        w_.Bool(p.no_fixed_abode);
        field("phone", p.phone);
        field("mobile", p.mobile);
        field("email", p.email);
        const model::ContactPreferences& c = p.contact_preferences;
        if (c != model::ContactPreferences{}) {
            key("contactPreferences");
            w_.StartObject();
            code("preferredMethod", c.preferred_method);
            field("safeToCallAtHome", c.safe_to_call_at_home);
            field("interpreterRequired", c.interpreter_required);
            field("interpreterLanguage", c.interpreter_language);
            field("digitalAccess", c.digital_access);
            w_.EndObject();
        }
        field("gpPractice", p.gp_practice_ods);
        w_.EndObject();
    }

    void risk(const model::Risk& r) {
        if (r == model::Risk{}) return;
        key("risk");
        w_.StartObject();
        code("level", r.level);
        field("summary", r.summary);
        strings("flags", r.flags);
        field("assessed", r.assessed);
        w_.EndObject();
    }

    void consent(const model::Consent& c) {
        key("consent");
        w_.StartObject();
        field("id", c.id);
        code("status", c.status);
        field("recordedBy", c.recorded_by);
        field("recordedAt", c.recorded_at);
        if (!c.organisation_types.empty()) {
            key("organisationTypes");
            w_.StartArray();
            for (const model::OrganisationType t : c.organisation_types) string(model::to_string(t));
            w_.EndArray();
        }
        strings("organisations", c.organisations);
        strings("purposes", c.purposes);
        field("expires", c.expires);
        w_.EndObject();
    }

    void care_plan(const model::CarePlan& plan) {
        key("carePlan");
        w_.StartObject();
        field("id", plan.id);
        field("title", plan.title);
        code("status", plan.status);
        field("periodStart", plan.period_start);
        field("periodEnd", plan.period_end);
        field("reviewDate", plan.review_date);
        if (!plan.goals.empty()) {
            key("goals");
            w_.StartArray();
            for (const model::Goal& g : plan.goals) {
                w_.StartObject();
                field("description", g.description);
                field("targetDate", g.target_date);
                field("status", g.status);
                w_.EndObject();
            }
            w_.EndArray();
        }
        if (!plan.activities.empty()) {
            key("activities");
            w_.StartArray();
            for (const model::Activity& a : plan.activities) {
                w_.StartObject();
                field("description", a.description);
                field("responsibleOrganisation", a.responsible_ods);
                field("status", a.status);
                w_.EndObject();
            }
            w_.EndArray();
        }
        field("crisisPlan", plan.crisis_plan);
        field("contingencyPlan", plan.contingency_plan);
        field("dialogDate", plan.dialog_date);
        if (!plan.dialog.empty()) {
            key("dialog");
            w_.StartArray();
            for (const model::DialogScore& s : plan.dialog) {
                w_.StartObject();
                code("domain", s.domain);
                key("score");
                w_.Int(s.score);
                key("wantsMoreHelp");
                w_.Bool(s.wants_more_help);
                w_.EndObject();
            }
            w_.EndArray();
        }
        w_.EndObject();
    }

    Writer& w_;
};

// Each part beyond one referral and one care plan, at the path it came from,
// so the sender can find exactly what was left behind.
void report_each_not_carried(const model::PersonRecord& record, const model::SourcePaths& from,
                             issues::IssueSink& sink) {
    using issues::IssueType;
    auto report = [&](const std::vector<std::string>& paths, std::size_t first, std::size_t count,
                      const char* canonical, const std::string& why) {
        for (std::size_t i = first; i < count; ++i) {
            const std::string path =
                i < paths.size() ? paths[i] : std::string(canonical) + "[" + std::to_string(i) + "]";
            sink.warning(IssueType::informational, path, why);
        }
    };
    report(from.referrals, 1, record.referrals.size(), "referrals",
           "this referral is not carried: a partnership referral document holds one referral");
    report(from.care_plans, 1, record.care_plans.size(), "care_plans",
           "this care plan is not carried: a partnership referral document holds one care plan");
    report(from.contacts, 0, record.contacts.size(), "contacts",
           "this service contact is not carried: the partnership format has no service contacts");
    report(from.admissions, 0, record.admissions.size(), "admissions",
           "this hospital admission is not carried: the partnership format has no admissions");
}

// What the record holds beyond one referral and one care plan is named once
// per kind, so the sender learns it was not carried.
void report_not_carried(const model::PersonRecord& record, issues::IssueSink& sink) {
    using issues::IssueType;
    auto more = [](std::size_t n, const char* what) {
        return std::to_string(n) + " more " + what + " not carried: the partnership format holds one";
    };
    if (record.referrals.size() > 1)
        sink.warning(IssueType::informational, "referrals[1]", more(record.referrals.size() - 1, "referral(s)"));
    if (record.care_plans.size() > 1)
        sink.warning(IssueType::informational, "care_plans[1]", more(record.care_plans.size() - 1, "care plan(s)"));
    if (!record.contacts.empty())
        sink.warning(IssueType::informational, "contacts",
                     std::to_string(record.contacts.size()) +
                         " service contact(s) not carried: the partnership format has no service contacts");
    if (!record.admissions.empty())
        sink.warning(IssueType::informational, "admissions",
                     std::to_string(record.admissions.size()) +
                         " hospital admission(s) not carried: the partnership format has no admissions");
}

}  // namespace

std::string encode(const model::PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink) {
    if (record.referrals.empty()) {
        sink.error(issues::IssueType::not_found, "referrals",
                   "the record holds no referral: a partnership referral document is one referral");
        return {};
    }
    if (options.source_paths)
        report_each_not_carried(record, *options.source_paths, sink);
    else
        report_not_carried(record, sink);

    rapidjson::StringBuffer buffer(nullptr, initial_buffer_bytes);
    if (options.pretty) {
        rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
        w.SetIndent(' ', 2);
        ReferralWriter(w).record(record);
    } else {
        rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
        ReferralWriter(w).record(record);
    }
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace carebridge::referral_json
