#pragma once
// The canonical record: one person with their referrals, care plans, service
// contacts and hospital admissions. Every decoder produces it and every encoder
// reads it, so a translation is always format → PersonRecord → format.
//
// Conventions:
// - Dates are ISO 8601 strings as FHIR writes them: `date` fields are
//   YYYY, YYYY-MM or YYYY-MM-DD; `instant` fields are YYYY-MM-DDThh:mm:ss[.fff]
//   with Z or an offset. Decoders validate them (model/validate.hpp).
// - Organisations are named by ODS code.
// - An empty string or empty optional means "not known"; encoders omit it.
// - Equality is member-wise so round-trip tests compare whole records.

#include <optional>
#include <string>
#include <vector>

#include "model/codes.hpp"

namespace carebridge::model {

struct PersonName {
    std::string use;  // FHIR name-use: usual, official, nickname, …; empty = official
    std::string prefix;
    std::vector<std::string> given;
    std::string family;
    bool operator==(const PersonName&) const = default;
};

struct Address {
    std::vector<std::string> lines;
    std::string city;
    std::string district;
    std::string postcode;
    bool operator==(const Address&) const = default;
};

// How and whether the person wants to be contacted.
struct ContactPreferences {
    std::optional<ContactMethod> preferred_method;
    std::optional<bool> safe_to_call_at_home;
    std::optional<bool> interpreter_required;
    std::string interpreter_language;  // BCP 47 code, e.g. "pl"
    std::optional<bool> digital_access;
    bool operator==(const ContactPreferences&) const = default;
};

struct Person {
    std::string local_id;  // the sending system's client id (care-notes Client/@id)
    std::string nhs_number;
    std::string nhs_number_verification;  // "01".."08", see codes.hpp
    std::vector<PersonName> names;
    std::string birth_date;  // date
    std::optional<Gender> gender;
    std::string ethnic_category;  // granular code, "Z" = not stated
    std::optional<Address> address;
    bool no_fixed_abode = false;  // also written as postcode ZZ99 3VZ in FHIR
    std::string phone;
    std::string mobile;
    std::string email;
    ContactPreferences contact_preferences;
    std::string gp_practice_ods;
    bool operator==(const Person&) const = default;
};

struct Diagnosis {
    std::string system;  // "icd-10" or "snomed"
    std::string code;
    std::string display;
    std::string recorded;  // date
    bool operator==(const Diagnosis&) const = default;
};

// A concept as the sender's system coded it, e.g. SNOMED CT
// ("http://snomed.info/sct", "1082621000000104", "Referral to befriending service").
struct Coding {
    std::string system;  // a URI; empty: no coding
    std::string code;
    std::string display;
    bool empty() const { return system.empty() && code.empty(); }
    bool operator==(const Coding&) const = default;
};

struct NeedItem {
    Need code = Need::other;
    std::string text;  // free text from the referrer, kept beside the code
    // The sender's own coding when it is not the partnership's (EPRs send
    // SNOMED CT): the gateway's terminology table maps it to a need.
    Coding coding;
    bool operator==(const NeedItem&) const = default;
};

struct Risk {
    std::optional<RiskLevel> level;
    std::string summary;
    std::vector<std::string> flags;  // short codes, e.g. "self-harm", "lone-working"
    std::string assessed;            // date
    bool operator==(const Risk&) const = default;
};

// UK GDPR grounds for the disclosure, e.g. article6 "6(1)(e)", article9 "9(2)(h)".
struct LawfulBasis {
    std::string article6;
    std::string article9;
    bool operator==(const LawfulBasis&) const = default;
};

struct Consent {
    std::string id;
    ConsentStatus status = ConsentStatus::given;
    std::string recorded_by;  // who recorded it (name or ODS code)
    std::string recorded_at;  // instant
    std::vector<OrganisationType> organisation_types;  // scope by organisation type
    std::vector<std::string> organisations;            // scope by ODS code
    std::vector<std::string> purposes;                 // e.g. "direct-care"
    std::string expires;                               // date
    bool operator==(const Consent&) const = default;
};

struct CareTeamMember {
    CareTeamRole role = CareTeamRole::other;
    std::string name;
    std::string organisation_ods;
    std::string phone;
    bool operator==(const CareTeamMember&) const = default;
};

struct Target {
    std::string organisation_ods;
    std::string service;  // the service at that organisation, e.g. "befriending"
    bool operator==(const Target&) const = default;
};

// One hop in the referral's journey: which organisation decided what, when, why.
struct Hop {
    std::string organisation_ods;
    ReferralStatus decision = ReferralStatus::submitted;
    std::string time;  // instant
    std::string reason;
    bool operator==(const Hop&) const = default;
};

struct Referral {
    std::string id;
    int version = 1;
    std::string created;  // instant
    std::string updated;  // instant
    ReferralStatus status = ReferralStatus::submitted;
    std::string status_reason;
    std::string status_set_by;  // ODS code
    Priority priority = Priority::green;
    std::optional<Pathway> pathway;
    std::optional<ReferralSource> source;
    std::string referrer_ods;
    std::string referrer_name;
    std::vector<NeedItem> needs;
    std::vector<std::string> complexity_flags;
    Risk risk;
    // nullopt: withheld from this recipient by its minimisation profile, so
    // "not shielded" is never claimed for a person who may be.
    std::optional<bool> shielded = false;
    std::optional<Consent> consent;
    LawfulBasis lawful_basis;
    std::vector<CareTeamMember> care_team;
    std::vector<std::string> requested_services;
    std::vector<Target> targets;
    std::vector<Hop> history;
    std::string notes;
    bool operator==(const Referral&) const = default;
};

struct Goal {
    std::string description;
    std::string target_date;  // date
    std::string status;       // FHIR Goal.lifecycleStatus, e.g. "active"
    bool operator==(const Goal&) const = default;
};

struct Activity {
    std::string description;
    std::string responsible_ods;  // the organisation that carries it out
    std::string status;           // FHIR CarePlan.activity.detail.status, e.g. "scheduled"
    bool operator==(const Activity&) const = default;
};

struct DialogScore {
    DialogDomain domain = DialogDomain::mental_health;
    int score = 1;  // 1 (totally dissatisfied) .. 7 (totally satisfied)
    bool wants_more_help = false;
    bool operator==(const DialogScore&) const = default;
};

struct CarePlan {
    std::string id;
    std::string title;
    CarePlanStatus status = CarePlanStatus::active;
    std::string period_start;  // date
    std::string period_end;    // date
    std::string review_date;   // date
    std::vector<Goal> goals;
    std::vector<Activity> activities;
    std::string crisis_plan;       // what to do in a crisis, who to call
    std::string contingency_plan;  // what to do if the usual plan cannot happen
    std::string dialog_date;       // date the DIALOG+ scores were taken
    std::vector<DialogScore> dialog;
    bool operator==(const CarePlan&) const = default;
};

struct ServiceContact {
    std::string id;
    ContactType type = ContactType::face_to_face;
    std::string start;  // instant
    std::string end;    // instant
    std::string service;
    std::string practitioner;
    bool operator==(const ServiceContact&) const = default;
};

struct Admission {
    std::string id;
    std::string admitted;    // instant
    std::string discharged;  // instant
    std::string hospital_ods;
    std::string ward;
    std::string legal_status;  // Mental Health Act legal status code, e.g. "03" (section 3)
    bool operator==(const Admission&) const = default;
};

struct PersonRecord {
    Person person;
    std::vector<Diagnosis> diagnoses;
    std::vector<Referral> referrals;
    std::vector<CarePlan> care_plans;
    std::vector<ServiceContact> contacts;
    std::vector<Admission> admissions;
    bool operator==(const PersonRecord&) const = default;
};

}  // namespace carebridge::model
