#include "policy/minimise.hpp"

#include <algorithm>
#include <array>

namespace carebridge::gateway::policy {
namespace {

using model::PersonRecord;
using model::Referral;

// How a field is found and removed in a record that holds at most one referral.
struct FieldAccess {
    RecordField field;
    bool (*present)(const PersonRecord&);
    void (*remove)(PersonRecord&);
};

template <typename Test> bool in_referral(const PersonRecord& r, Test test) {
    return !r.referrals.empty() && test(r.referrals.front());
}

template <typename Test> bool in_any_care_plan(const PersonRecord& r, Test test) {
    return std::any_of(r.care_plans.begin(), r.care_plans.end(), test);
}

template <typename Change> void in_every_referral(PersonRecord& r, Change change) {
    for (Referral& referral : r.referrals) change(referral);
}

template <typename Change> void in_every_care_plan(PersonRecord& r, Change change) {
    for (model::CarePlan& plan : r.care_plans) change(plan);
}

void never_removed(PersonRecord&) {}

// One row per field of minimise.hpp's table, in its order. A test checks that
// a record with every member set loses everything but the always-sent fields
// when nothing is allowed, so a member added to the model without a row here fails it.
const std::array<FieldAccess, 43> fields{{
    {{"person.local_id", false},
     [](const PersonRecord& r) { return !r.person.local_id.empty(); },
     [](PersonRecord& r) { r.person.local_id.clear(); }},
    {{"person.nhs_number", false},
     [](const PersonRecord& r) { return !r.person.nhs_number.empty() || !r.person.nhs_number_verification.empty(); },
     [](PersonRecord& r) {
         r.person.nhs_number.clear();
         r.person.nhs_number_verification.clear();
     }},
    {{"person.name", false},
     [](const PersonRecord& r) { return !r.person.names.empty(); },
     [](PersonRecord& r) { r.person.names.clear(); }},
    {{"person.birth_date", false},
     [](const PersonRecord& r) { return !r.person.birth_date.empty(); },
     [](PersonRecord& r) { r.person.birth_date.clear(); }},
    {{"person.gender", false},
     [](const PersonRecord& r) { return r.person.gender.has_value(); },
     [](PersonRecord& r) { r.person.gender.reset(); }},
    {{"person.ethnic_category", false},
     [](const PersonRecord& r) { return !r.person.ethnic_category.empty(); },
     [](PersonRecord& r) { r.person.ethnic_category.clear(); }},
    {{"person.address", false},
     [](const PersonRecord& r) { return r.person.address.has_value() || r.person.no_fixed_abode; },
     [](PersonRecord& r) {
         r.person.address.reset();
         r.person.no_fixed_abode = false;
     }},
    {{"person.telecom", false},
     [](const PersonRecord& r) {
         return !r.person.phone.empty() || !r.person.mobile.empty() || !r.person.email.empty();
     },
     [](PersonRecord& r) {
         r.person.phone.clear();
         r.person.mobile.clear();
         r.person.email.clear();
     }},
    {{"person.contact_preferences", false},
     [](const PersonRecord& r) { return r.person.contact_preferences != model::ContactPreferences{}; },
     [](PersonRecord& r) { r.person.contact_preferences = {}; }},
    {{"person.gp_practice", false},
     [](const PersonRecord& r) { return !r.person.gp_practice_ods.empty(); },
     [](PersonRecord& r) { r.person.gp_practice_ods.clear(); }},
    {{"diagnoses", false},
     [](const PersonRecord& r) { return !r.diagnoses.empty(); },
     [](PersonRecord& r) { r.diagnoses.clear(); }},
    {{"referral.id", true},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.id.empty(); }); },
     never_removed},
    {{"referral.status", true}, [](const PersonRecord& r) { return !r.referrals.empty(); }, never_removed},
    {{"referral.priority", true}, [](const PersonRecord& r) { return !r.referrals.empty(); }, never_removed},
    {{"referral.status_reason", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return !x.status_reason.empty() || !x.status_set_by.empty(); });
     },
     [](PersonRecord& r) {
         in_every_referral(r, [](Referral& x) {
             x.status_reason.clear();
             x.status_set_by.clear();
         });
     }},
    {{"referral.dates", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return !x.created.empty() || !x.updated.empty(); });
     },
     [](PersonRecord& r) {
         in_every_referral(r, [](Referral& x) {
             x.created.clear();
             x.updated.clear();
         });
     }},
    {{"referral.pathway", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return x.pathway.has_value(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.pathway.reset(); }); }},
    {{"referral.source", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return x.source.has_value(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.source.reset(); }); }},
    {{"referral.referrer", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return !x.referrer_ods.empty() || !x.referrer_name.empty(); });
     },
     [](PersonRecord& r) {
         in_every_referral(r, [](Referral& x) {
             x.referrer_ods.clear();
             x.referrer_name.clear();
         });
     }},
    {{"referral.needs", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.needs.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.needs.clear(); }); }},
    {{"referral.complexity_flags", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return !x.complexity_flags.empty(); });
     },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.complexity_flags.clear(); }); }},
    {{"referral.risk.level", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return x.risk.level.has_value(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.risk.level.reset(); }); }},
    {{"referral.risk.summary", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.risk.summary.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.risk.summary.clear(); }); }},
    {{"referral.risk.flags", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.risk.flags.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.risk.flags.clear(); }); }},
    {{"referral.risk.assessed", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.risk.assessed.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.risk.assessed.clear(); }); }},
    {{"referral.shielded", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return x.shielded.has_value(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.shielded.reset(); }); }},
    {{"referral.consent", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return x.consent.has_value(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.consent.reset(); }); }},
    {{"referral.lawful_basis", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return x.lawful_basis != model::LawfulBasis{}; });
     },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.lawful_basis = {}; }); }},
    {{"referral.care_team", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.care_team.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.care_team.clear(); }); }},
    {{"referral.requested_services", false},
     [](const PersonRecord& r) {
         return in_referral(r, [](const Referral& x) { return !x.requested_services.empty(); });
     },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.requested_services.clear(); }); }},
    {{"referral.targets", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.targets.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.targets.clear(); }); }},
    {{"referral.history", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.history.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.history.clear(); }); }},
    {{"referral.notes", false},
     [](const PersonRecord& r) { return in_referral(r, [](const Referral& x) { return !x.notes.empty(); }); },
     [](PersonRecord& r) { in_every_referral(r, [](Referral& x) { x.notes.clear(); }); }},
    {{"care_plan.id", true},
     [](const PersonRecord& r) { return in_any_care_plan(r, [](const model::CarePlan& p) { return !p.id.empty(); }); },
     [](PersonRecord& r) { in_every_care_plan(r, [](model::CarePlan& p) { p.id.clear(); }); }},
    {{"care_plan.status", true},
     [](const PersonRecord& r) { return !r.care_plans.empty(); },
     never_removed},  // care plans go whole or not at all: see minimise()
    {{"care_plan.summary", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r, [](const model::CarePlan& p) {
             return !p.title.empty() || !p.period_start.empty() || !p.period_end.empty() || !p.review_date.empty();
         });
     },
     [](PersonRecord& r) {
         in_every_care_plan(r, [](model::CarePlan& p) {
             p.title.clear();
             p.period_start.clear();
             p.period_end.clear();
             p.review_date.clear();
         });
     }},
    {{"care_plan.goals", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r, [](const model::CarePlan& p) { return !p.goals.empty(); });
     },
     [](PersonRecord& r) { in_every_care_plan(r, [](model::CarePlan& p) { p.goals.clear(); }); }},
    {{"care_plan.activities", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r, [](const model::CarePlan& p) { return !p.activities.empty(); });
     },
     [](PersonRecord& r) { in_every_care_plan(r, [](model::CarePlan& p) { p.activities.clear(); }); }},
    {{"care_plan.crisis_plan", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r, [](const model::CarePlan& p) { return !p.crisis_plan.empty(); });
     },
     [](PersonRecord& r) { in_every_care_plan(r, [](model::CarePlan& p) { p.crisis_plan.clear(); }); }},
    {{"care_plan.contingency_plan", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r, [](const model::CarePlan& p) { return !p.contingency_plan.empty(); });
     },
     [](PersonRecord& r) { in_every_care_plan(r, [](model::CarePlan& p) { p.contingency_plan.clear(); }); }},
    {{"care_plan.dialog", false},
     [](const PersonRecord& r) {
         return in_any_care_plan(r,
                                 [](const model::CarePlan& p) { return !p.dialog.empty() || !p.dialog_date.empty(); });
     },
     [](PersonRecord& r) {
         in_every_care_plan(r, [](model::CarePlan& p) {
             p.dialog.clear();
             p.dialog_date.clear();
         });
     }},
    {{"contacts", false},
     [](const PersonRecord& r) { return !r.contacts.empty(); },
     [](PersonRecord& r) { r.contacts.clear(); }},
    {{"admissions", false},
     [](const PersonRecord& r) { return !r.admissions.empty(); },
     [](PersonRecord& r) { r.admissions.clear(); }},
}};

const std::array<RecordField, fields.size()> field_names = [] {
    std::array<RecordField, fields.size()> out{};
    for (std::size_t i = 0; i < fields.size(); ++i) out[i] = fields[i].field;
    return out;
}();

constexpr std::array<std::string_view, 4> groups{"person", "referral", "referral.risk", "care_plan"};

bool in_group(std::string_view field, std::string_view group) {
    return field.size() > group.size() && field.starts_with(group) && field[group.size()] == '.';
}

constexpr std::string_view care_plan_group = "care_plan";

}  // namespace

std::span<const RecordField> record_fields() { return field_names; }

std::span<const std::string_view> field_groups() { return groups; }

bool is_field_name(std::string_view name) {
    return std::find(groups.begin(), groups.end(), name) != groups.end() ||
           std::any_of(fields.begin(), fields.end(), [&](const FieldAccess& f) { return f.field.name == name; });
}

std::optional<FieldSet> FieldSet::create(const std::vector<std::string>& names, std::string& error) {
    static_assert(fields.size() <= capacity);
    FieldSet set;
    for (std::size_t n = 0; n < names.size(); ++n) {
        const std::string_view name = names[n];
        const bool group = std::find(groups.begin(), groups.end(), name) != groups.end();
        bool known = group;
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (fields[i].field.name == name || (group && in_group(fields[i].field.name, name))) {
                set.listed_.set(i);
                known = true;
            }
        if (!known) {
            error = "fields[" + std::to_string(n) + "]: \"" + std::string(name) +
                    "\" is not a field name (gateway/policy/minimise.hpp lists them)";
            return std::nullopt;
        }
    }
    return set;
}

FieldSet FieldSet::everything() {
    FieldSet set;
    for (std::size_t i = 0; i < fields.size(); ++i) set.listed_.set(i);
    return set;
}

bool FieldSet::lists(std::string_view field) const {
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (fields[i].field.name == field) return listed_.test(i);
    return false;
}

Minimised minimise(const PersonRecord& record, std::size_t referral_index, const FieldSet& allowed) {
    Minimised out;
    // Copy without the referrals, then add back the one being disclosed.
    out.record.person = record.person;
    out.record.diagnoses = record.diagnoses;
    out.record.care_plans = record.care_plans;
    out.record.contacts = record.contacts;
    out.record.admissions = record.admissions;
    if (referral_index < record.referrals.size()) out.record.referrals.push_back(record.referrals[referral_index]);

    bool care_plans_sent = false;
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (in_group(fields[i].field.name, care_plan_group) && allowed.listed_.test(i)) care_plans_sent = true;

    for (std::size_t i = 0; i < fields.size(); ++i) {
        const FieldAccess& f = fields[i];
        const bool care_plan_field = in_group(f.field.name, care_plan_group);
        const bool kept = allowed.listed_.test(i) || (f.field.always_sent && (!care_plan_field || care_plans_sent));
        if (!f.present(out.record)) continue;
        if (kept) {
            out.fields_sent.emplace_back(f.field.name);
        } else {
            out.fields_withheld.emplace_back(f.field.name);
            f.remove(out.record);
        }
    }
    if (!care_plans_sent) out.record.care_plans.clear();
    return out;
}

}  // namespace carebridge::gateway::policy
