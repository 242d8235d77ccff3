#pragma once
// Minimisation: each recipient gets a copy of the record from which every
// field its agreement's profile does not allow has been removed, and the audit
// log gets the names of the fields sent and withheld.
//
// The field names, over model::PersonRecord (a profile lists fields or groups;
// a group - person, referral, referral.risk, care_plan - allows every field in it):
//
// | field                        | carries                                                          |
// |------------------------------|------------------------------------------------------------------|
// | person.local_id              | the sending system's client id                                   |
// | person.nhs_number            | NHS number and its verification status                           |
// | person.name                  | every name (official, usual, ...)                                |
// | person.birth_date            | birth date                                                       |
// | person.gender                | gender                                                           |
// | person.ethnic_category       | ethnic category                                                  |
// | person.address               | address, and no fixed abode                                      |
// | person.telecom               | phone, mobile and email                                          |
// | person.contact_preferences   | preferred method, safe to call at home, interpreter, digital     |
// | person.gp_practice           | GP practice ODS code                                             |
// | diagnoses                    | every diagnosis (ICD-10 / SNOMED)                                |
// | referral.id                  | id and version (always sent)                                     |
// | referral.status              | status code (always sent)                                        |
// | referral.priority            | RAG priority (always sent)                                       |
// | referral.status_reason       | the status's free-text reason and who set it                     |
// | referral.dates               | created and updated                                              |
// | referral.pathway             | light-touch / full                                               |
// | referral.source              | GP, NHS team, safeguarding, ...                                  |
// | referral.referrer            | referring organisation and person                                |
// | referral.needs               | need codes with the referrer's free text                         |
// | referral.complexity_flags    | complexity flags                                                 |
// | referral.risk.level          | low / medium / high                                              |
// | referral.risk.summary        | the free-text risk summary                                       |
// | referral.risk.flags          | risk flags (self-harm, lone-working, ...)                        |
// | referral.risk.assessed       | when risk was assessed                                           |
// | referral.shielded            | the shielded flag (withheld: absent, never sent as "not shielded")|
// | referral.consent             | the consent record                                               |
// | referral.lawful_basis        | the referrer's UK GDPR articles                                  |
// | referral.care_team           | key worker, care co-ordinator, social worker, with phones        |
// | referral.requested_services  | requested services                                               |
// | referral.targets             | the organisations and services it was sent to                    |
// | referral.history             | every hop: organisation, decision, time, reason                  |
// | referral.notes               | free-text clinical notes                                         |
// | care_plan.id                 | id (sent with any other care_plan field)                         |
// | care_plan.status             | status (sent with any other care_plan field)                     |
// | care_plan.summary            | title, period and review date                                    |
// | care_plan.goals              | goals                                                            |
// | care_plan.activities         | activities and the organisation responsible for each             |
// | care_plan.crisis_plan        | the crisis plan                                                  |
// | care_plan.contingency_plan   | the contingency plan                                             |
// | care_plan.dialog             | DIALOG+ date and scores                                          |
// | contacts                     | service contacts (appointments, did-not-attend)                  |
// | admissions                   | hospital admissions, wards, Mental Health Act legal status       |
//
// Always sent, whatever the profile: the referral's id, status and priority,
// which a partner needs to act on the referral and answer it, and which the
// model cannot leave unset. A care plan's id and status go with any other
// care-plan field; with none, no care plan is sent at all. Only the referral
// being disclosed is sent: other referrals in the record are never part of it.

#include <bitset>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/record.hpp"

namespace carebridge::gateway::policy {

struct RecordField {
    std::string_view name;  // as in the table above
    bool always_sent;       // referral id, status, priority; care plan id and status (with a care plan)
};

// The fields in the table's order.
std::span<const RecordField> record_fields();
// The group names: person, referral, referral.risk, care_plan.
std::span<const std::string_view> field_groups();
// A field or a group.
bool is_field_name(std::string_view name);

// A profile's allow-list, checked and expanded to fields.
class FieldSet {
public:
    // nullopt, with `error` saying "fields[2]: "x" is not a field name", for an unknown name.
    static std::optional<FieldSet> create(const std::vector<std::string>& names, std::string& error);
    // Every field: what the sender itself holds.
    static FieldSet everything();

    // Whether the profile lists this field, itself or through its group.
    bool lists(std::string_view field) const;

private:
    friend struct Minimised minimise(const model::PersonRecord&, std::size_t, const FieldSet&);
    static constexpr std::size_t capacity = 64;
    std::bitset<capacity> listed_;  // by position in record_fields()
};

struct Minimised {
    model::PersonRecord record;                // the copy, holding only what the profile allows
    std::vector<std::string> fields_sent;      // fields that held data and were kept, in table order
    std::vector<std::string> fields_withheld;  // fields that held data and were removed
};

// The copy of `record` for one recipient: the referral at `referral_index`
// only (none when the index is past the end), and only the fields `allowed`.
Minimised minimise(const model::PersonRecord& record, std::size_t referral_index, const FieldSet& allowed);

}  // namespace carebridge::gateway::policy
