// Partnership referral JSON → canonical record (see referral_codec.hpp and
// FORMAT.md). Order: bounded parse, sweep of unknown members, schema
// validation, then a mapping walk that only checks what the schema cannot
// (NHS number check digit, real calendar dates, one score per DIALOG+ item).

#include <rapidjson/document.h>

#include <array>

#include "json/bounded_json.hpp"
#include "model/validate.hpp"
#include "referral_json/referral_codec.hpp"
#include "referral_json/referral_schema.hpp"

namespace carebridge::referral_json {
namespace {

using issues::ElementPath;
using issues::IssueType;
using rapidjson::Value;

std::string_view view(const Value& v) { return {v.GetString(), v.GetStringLength()}; }
std::string text(const Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

std::vector<std::string> texts(const Value& array) {
    std::vector<std::string> out;
    out.reserve(array.Size());
    for (const Value& v : array.GetArray()) out.push_back(text(v));
    return out;
}

// Maps a document the schema has accepted, so types and closed codes hold;
// what is left to check is reported here with its element path.
class RecordReader {
public:
    explicit RecordReader(issues::IssueSink& sink) : sink_(sink) {}

    bool failed() const { return failed_; }

    model::PersonRecord record(const Value& root) {
        model::PersonRecord record;
        const ElementPath path{""};
        model::Referral& ref = record.referrals.emplace_back();
        ref.shielded.reset();  // absent: withheld from this recipient, not "not shielded"
        for (const auto& m : root.GetObject()) {
            const std::string_view key = view(m.name);
            const Value& v = m.value;
            if (key == "referralId") ref.id = text(v);
            else if (key == "version") ref.version = v.GetInt();
            else if (key == "created") instant(v, path, key, ref.created);
            else if (key == "updated") instant(v, path, key, ref.updated);
            else if (key == "status") code(v, path, key, ref.status);
            else if (key == "statusReason") ref.status_reason = text(v);
            else if (key == "statusSetBy") ref.status_set_by = text(v);
            else if (key == "priority") code(v, path, key, ref.priority);
            else if (key == "pathway") optional_code(v, path, key, ref.pathway);
            else if (key == "source") optional_code(v, path, key, ref.source);
            else if (key == "referrer") referrer(v, ref);
            else if (key == "person") person(v, path.child(key), record.person);
            else if (key == "diagnoses") diagnoses(v, path.child(key), record.diagnoses);
            else if (key == "needs") needs(v, path.child(key), ref.needs);
            else if (key == "complexityFlags") ref.complexity_flags = texts(v);
            else if (key == "risk") risk(v, path.child(key), ref.risk);
            else if (key == "shielded") ref.shielded = v.GetBool();
            else if (key == "consent") consent(v, path.child(key), ref.consent.emplace());
            else if (key == "lawfulBasis") lawful_basis(v, ref.lawful_basis);
            else if (key == "careTeam") care_team(v, path.child(key), ref.care_team);
            else if (key == "requestedServices") ref.requested_services = texts(v);
            else if (key == "targets") targets(v, ref.targets);
            else if (key == "history") history(v, path.child(key), ref.history);
            else if (key == "notes") ref.notes = text(v);
            else if (key == "carePlan") care_plan(v, path.child(key), record.care_plans.emplace_back());
            // "schema" is checked by the validator and carries nothing else.
        }
        return record;
    }

private:
    void error(IssueType type, const ElementPath& at, std::string message) {
        failed_ = true;
        sink_.error(type, at.str(), std::move(message));
    }

    // The schema and codes.cpp list the same codes; a code the model does not
    // know means they drifted, and is still reported rather than guessed.
    template <typename Enum> bool parse(const Value& v, const ElementPath& at, Enum& out) {
        if (const auto parsed = model::parse_code<Enum>(view(v))) {
            out = *parsed;
            return true;
        }
        error(IssueType::value, at, "not a code the canonical model knows");
        return false;
    }
    template <typename Enum> void code(const Value& v, const ElementPath& parent, std::string_view key, Enum& out) {
        parse(v, parent.child(key), out);
    }
    template <typename Enum>
    void optional_code(const Value& v, const ElementPath& parent, std::string_view key, std::optional<Enum>& out) {
        Enum e{};
        if (parse(v, parent.child(key), e)) out = e;
    }

    void date(const Value& v, const ElementPath& parent, std::string_view key, std::string& out) {
        out = text(v);
        if (!model::is_valid_date(out)) error(IssueType::value, parent.child(key), "not a real calendar date");
    }
    void instant(const Value& v, const ElementPath& parent, std::string_view key, std::string& out) {
        out = text(v);
        if (!model::is_valid_instant(out))
            error(IssueType::value, parent.child(key), "not a real date and time with a zone");
    }

    void referrer(const Value& o, model::Referral& ref) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            if (key == "organisation") ref.referrer_ods = text(m.value);
            else if (key == "name") ref.referrer_name = text(m.value);
        }
    }

    void person(const Value& o, const ElementPath& path, model::Person& p) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            const Value& v = m.value;
            if (key == "localId") p.local_id = text(v);
            else if (key == "nhsNumber") {
                p.nhs_number = text(v);
                if (!model::is_valid_nhs_number(p.nhs_number))
                    error(IssueType::value, path.child(key), "NHS number fails the modulus 11 check");
            }
            else if (key == "nhsNumberVerification") p.nhs_number_verification = text(v);
            else if (key == "names") names(v, p.names);
            else if (key == "birthDate") date(v, path, key, p.birth_date);
            else if (key == "gender") optional_code(v, path, key, p.gender);
            else if (key == "ethnicCategory") p.ethnic_category = text(v);
            else if (key == "address") address(v, p.address.emplace());
            else if (key == "noFixedAbode") p.no_fixed_abode = v.GetBool();
            else if (key == "phone") p.phone = text(v);
            else if (key == "mobile") p.mobile = text(v);
            else if (key == "email") p.email = text(v);
            else if (key == "contactPreferences") contact_preferences(v, path.child(key), p.contact_preferences);
            else if (key == "gpPractice") p.gp_practice_ods = text(v);
        }
    }

    void names(const Value& a, std::vector<model::PersonName>& out) {
        out.reserve(a.Size());
        for (const Value& o : a.GetArray()) {
            model::PersonName& n = out.emplace_back();
            for (const auto& m : o.GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "use") n.use = text(m.value);
                else if (key == "prefix") n.prefix = text(m.value);
                else if (key == "given") n.given = texts(m.value);
                else if (key == "family") n.family = text(m.value);
            }
        }
    }

    void address(const Value& o, model::Address& a) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            if (key == "lines") a.lines = texts(m.value);
            else if (key == "city") a.city = text(m.value);
            else if (key == "district") a.district = text(m.value);
            else if (key == "postcode") a.postcode = text(m.value);
        }
    }

    void contact_preferences(const Value& o, const ElementPath& path, model::ContactPreferences& c) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            const Value& v = m.value;
            if (key == "preferredMethod") optional_code(v, path, key, c.preferred_method);
            else if (key == "safeToCallAtHome") c.safe_to_call_at_home = v.GetBool();
            else if (key == "interpreterRequired") c.interpreter_required = v.GetBool();
            else if (key == "interpreterLanguage") c.interpreter_language = text(v);
            else if (key == "digitalAccess") c.digital_access = v.GetBool();
        }
    }

    void diagnoses(const Value& a, const ElementPath& path, std::vector<model::Diagnosis>& out) {
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::Diagnosis& d = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "system") d.system = text(m.value);
                else if (key == "code") d.code = text(m.value);
                else if (key == "display") d.display = text(m.value);
                else if (key == "recorded") date(m.value, at, key, d.recorded);
            }
        }
    }

    void needs(const Value& a, const ElementPath& path, std::vector<model::NeedItem>& out) {
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::NeedItem& n = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "code") code(m.value, at, key, n.code);
                else if (key == "text") n.text = text(m.value);
                else if (key == "coding") {
                    for (const auto& c : m.value.GetObject()) {
                        const std::string_view part = view(c.name);
                        if (part == "system") n.coding.system = text(c.value);
                        else if (part == "code") n.coding.code = text(c.value);
                        else if (part == "display") n.coding.display = text(c.value);
                    }
                }
            }
        }
    }

    void risk(const Value& o, const ElementPath& path, model::Risk& r) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            if (key == "level") optional_code(m.value, path, key, r.level);
            else if (key == "summary") r.summary = text(m.value);
            else if (key == "flags") r.flags = texts(m.value);
            else if (key == "assessed") date(m.value, path, key, r.assessed);
        }
    }

    void consent(const Value& o, const ElementPath& path, model::Consent& c) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            const Value& v = m.value;
            if (key == "id") c.id = text(v);
            else if (key == "status") code(v, path, key, c.status);
            else if (key == "recordedBy") c.recorded_by = text(v);
            else if (key == "recordedAt") instant(v, path, key, c.recorded_at);
            else if (key == "organisationTypes") {
                const ElementPath types = path.child(key);
                c.organisation_types.reserve(v.Size());
                for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
                    model::OrganisationType t{};
                    if (parse(v[i], types.at(i), t)) c.organisation_types.push_back(t);
                }
            }
            else if (key == "organisations") c.organisations = texts(v);
            else if (key == "purposes") c.purposes = texts(v);
            else if (key == "expires") date(v, path, key, c.expires);
        }
    }

    void lawful_basis(const Value& o, model::LawfulBasis& b) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            if (key == "article6") b.article6 = text(m.value);
            else if (key == "article9") b.article9 = text(m.value);
        }
    }

    void care_team(const Value& a, const ElementPath& path, std::vector<model::CareTeamMember>& out) {
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::CareTeamMember& c = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "role") code(m.value, at, key, c.role);
                else if (key == "name") c.name = text(m.value);
                else if (key == "organisation") c.organisation_ods = text(m.value);
                else if (key == "phone") c.phone = text(m.value);
            }
        }
    }

    void targets(const Value& a, std::vector<model::Target>& out) {
        out.reserve(a.Size());
        for (const Value& o : a.GetArray()) {
            model::Target& t = out.emplace_back();
            for (const auto& m : o.GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "organisation") t.organisation_ods = text(m.value);
                else if (key == "service") t.service = text(m.value);
            }
        }
    }

    void history(const Value& a, const ElementPath& path, std::vector<model::Hop>& out) {
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::Hop& h = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "organisation") h.organisation_ods = text(m.value);
                else if (key == "decision") code(m.value, at, key, h.decision);
                else if (key == "time") instant(m.value, at, key, h.time);
                else if (key == "reason") h.reason = text(m.value);
            }
        }
    }

    void care_plan(const Value& o, const ElementPath& path, model::CarePlan& plan) {
        for (const auto& m : o.GetObject()) {
            const std::string_view key = view(m.name);
            const Value& v = m.value;
            if (key == "id") plan.id = text(v);
            else if (key == "title") plan.title = text(v);
            else if (key == "status") code(v, path, key, plan.status);
            else if (key == "periodStart") date(v, path, key, plan.period_start);
            else if (key == "periodEnd") date(v, path, key, plan.period_end);
            else if (key == "reviewDate") date(v, path, key, plan.review_date);
            else if (key == "goals") goals(v, path.child(key), plan.goals);
            else if (key == "activities") activities(v, plan.activities);
            else if (key == "crisisPlan") plan.crisis_plan = text(v);
            else if (key == "contingencyPlan") plan.contingency_plan = text(v);
            else if (key == "dialogDate") date(v, path, key, plan.dialog_date);
            else if (key == "dialog") dialog(v, path.child(key), plan.dialog);
        }
    }

    void goals(const Value& a, const ElementPath& path, std::vector<model::Goal>& out) {
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::Goal& g = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "description") g.description = text(m.value);
                else if (key == "targetDate") date(m.value, at, key, g.target_date);
                else if (key == "status") g.status = text(m.value);
            }
        }
    }

    void activities(const Value& a, std::vector<model::Activity>& out) {
        out.reserve(a.Size());
        for (const Value& o : a.GetArray()) {
            model::Activity& act = out.emplace_back();
            for (const auto& m : o.GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "description") act.description = text(m.value);
                else if (key == "responsibleOrganisation") act.responsible_ods = text(m.value);
                else if (key == "status") act.status = text(m.value);
            }
        }
    }

    void dialog(const Value& a, const ElementPath& path, std::vector<model::DialogScore>& out) {
        // A DIALOG+ assessment scores each item once; two scores for one item
        // cannot both be carried into a QuestionnaireResponse.
        std::array<bool, model::dialog_domain_count> seen{};
        out.reserve(a.Size());
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            const ElementPath at = path.at(i);
            model::DialogScore& s = out.emplace_back();
            for (const auto& m : a[i].GetObject()) {
                const std::string_view key = view(m.name);
                if (key == "domain") {
                    if (!parse(m.value, at.child(key), s.domain)) continue;
                    const auto d = static_cast<std::size_t>(s.domain);
                    if (d < seen.size() && seen[d])
                        error(IssueType::invariant, at.child(key), "this DIALOG+ item is already scored");
                    if (d < seen.size()) seen[d] = true;
                }
                else if (key == "score") s.score = m.value.GetInt();
                else if (key == "wantsMoreHelp") s.wants_more_help = m.value.GetBool();
            }
        }
    }

    issues::IssueSink& sink_;
    bool failed_ = false;
};

}  // namespace

std::optional<model::PersonRecord> decode(std::string_view json_text, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink) {
    std::string buffer;  // the document's strings live here
    rapidjson::Document doc;
    if (!json::parse_bounded(json_text, options.limits, buffer, doc, sink)) return std::nullopt;

    const ReferralSchema& schema = referral_schema();
    // Screening goes before validation: the schema closes every object, and
    // lenient decoding must still carry the rest once unknown members are out.
    const std::size_t errors_before = sink.count(issues::Severity::error) + sink.count(issues::Severity::fatal);
    screen_document(doc, schema, options.strictness, sink);
    const bool screen_refused =
        sink.count(issues::Severity::error) + sink.count(issues::Severity::fatal) > errors_before;
    if (!validate(doc, schema, sink)) return std::nullopt;

    RecordReader reader(sink);
    model::PersonRecord record = reader.record(doc);
    if (reader.failed() || screen_refused) return std::nullopt;
    return record;
}

}  // namespace carebridge::referral_json
