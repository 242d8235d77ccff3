#pragma once
// What the policy tests share: the sample referral (config/demo-referral.json,
// which is tests/golden/referral.fhir.json) decoded into the canonical record,
// a small test partnership with one service in each state, and fixed days.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "fhir/fhir_codec.hpp"
#include "policy/directory.hpp"

namespace carebridge::gateway::policy::fixture {

inline const std::string source_dir = CAREBRIDGE_SOURCE_DIR;

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Danny Whitfield's referral from the Trust: needs isolation, benefits and
// physical health; befriending requested and targeted at DBF01; consent for
// VCSE organisations and DBF01, direct care, until 2027-10-05.
inline const model::PersonRecord& sample_record() {
    static const model::PersonRecord record = [] {
        issues::IssueSink sink;
        auto decoded = fhir::decode(read_text(source_dir + "/config/demo-referral.json"), {}, sink);
        EXPECT_TRUE(decoded) << "the sample referral does not decode";
        return decoded ? *decoded : model::PersonRecord{};
    }();
    return record;
}

// Noon UTC on the day.
inline std::chrono::system_clock::time_point on(int year, unsigned month, unsigned day) {
    return std::chrono::sys_days{std::chrono::year{year} / month / day} + std::chrono::hours{12};
}
// The day the sample referral was sent.
inline const auto referral_day = on(2026, 10, 5);

inline std::shared_ptr<const Directory> directory_from(const std::string& text) {
    std::string error;
    const auto config = config::parse_config(text, "/nonexistent", error);
    EXPECT_TRUE(config) << error;
    if (!config) return nullptr;
    auto directory = Directory::create(*config, error);
    EXPECT_TRUE(directory) << error;
    return directory;
}

inline std::shared_ptr<const Directory> demo_directory() {
    std::string error;
    const auto config = config::load_config(source_dir + "/config/demo.json", error);
    EXPECT_TRUE(config) << error;
    if (!config) return nullptr;
    auto directory = Directory::create(*config, error);
    EXPECT_TRUE(directory) << error;
    return directory;
}

// The test partnership: each service state, an alias for each kind of rename,
// an agreement missing a purpose, and a sender with no agreement at all.
inline std::string partnership_text() {
    return R"json({
  "schema": "carebridge-config/1",
  "listener": {"plain_http": true},
  "store": "sqlite:data",
  "organisations": {
    "trust": {"ods": "RZZ", "name": "Westshire Mental Health NHS Trust", "type": "trust",
              "aliases": ["Westshire Partnership NHS Trust", "RZY"]},
    "icb": {"ods": "QZZ", "name": "NHS Westshire Integrated Care Board", "type": "icb",
            "aliases": ["NHS Westshire CCG", "99Z"],
            "services": {"continuing-care": {"name": "Continuing healthcare", "status": "open"}}},
    "gp": {"ods": "Y99001", "name": "Cobden Street Surgery", "type": "gp"},
    "council": {"ods": "DCN01", "name": "Westshire Council", "type": "council",
                "services": {"housing-support": {"name": "Housing support", "status": "open",
                                                 "criteria": {"needs": ["housing"]}}}},
    "befriend": {"ods": "DBF01", "name": "Northfield Befriending", "type": "vcse", "aliases": ["DBF00"],
                 "services": {"befriending": {"name": "Befriending", "status": "open",
                   "criteria": {"needs": ["isolation"], "min_age": 18, "postcode_districts": ["NF6", "NF7"]},
                   "contact": {"name": "Jo Hartley", "phone": "0113 496 0200"}}}},
    "mind": {"ods": "DMN01", "name": "Westshire Mind", "type": "vcse", "format": "fhir",
             "endpoint": {"url": "https://mind.example/referrals", "format": "carenotes"},
             "services": {
               "peer-support": {"name": "Peer support", "status": "open",
                                "criteria": {"needs": ["isolation", "mental-health"], "pathways": ["light-touch"]},
                                "contact": {"name": "Sam Okafor", "email": "peer@mind.example"}},
               "crisis-cafe": {"name": "Crisis cafe", "status": "closed", "criteria": {"needs": ["mental-health"]}},
               "drop-in": {"name": "Drop-in", "status": "paused"},
               "youth": {"name": "Youth peer support", "status": "open", "criteria": {"max_age": 25}},
               "money-advice": {"name": "Money advice", "status": "open", "criteria": {"needs": ["debt"]}}}}
  },
  "policy_version": "test-7",
  "routing_rules": [
    {"id": "isolation-to-befriending", "match": {"needs": ["isolation"]},
     "recipients": [{"organisation": "befriend", "service": "befriending"}]},
    {"id": "housing-to-council", "match": {"needs": ["housing"]},
     "recipients": [{"organisation": "council", "service": "housing-support"}]},
    {"id": "red-to-crisis-cafe", "match": {"priorities": ["red"], "from": ["trust"]},
     "recipients": [{"organisation": "mind", "service": "crisis-cafe"}]},
    {"id": "debt-in-nf6", "match": {"needs": ["debt"], "areas": ["NF6"], "sources": ["nhs-team"]},
     "recipients": [{"organisation": "mind", "service": "money-advice"}]}
  ],
  "agreements": {
    "trust-befriend": {"from": "trust", "to": "befriend", "purposes": ["direct-care"],
                       "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"},
    "trust-mind": {"from": "trust", "to": "mind", "purposes": ["direct-care", "safeguarding"],
                   "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "befriending"},
    "trust-council": {"from": "trust", "to": "council", "purposes": ["commissioning"],
                      "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "full"},
    "trust-icb": {"from": "trust", "to": "icb", "purposes": ["direct-care"],
                  "lawful_basis": {"article6": "6(1)(e)", "article9": "9(2)(h)"}, "profile": "full"}
  },
  "minimisation_profiles": {
    "befriending": {"fields": ["person.name", "person.telecom", "person.contact_preferences", "referral.needs",
                               "referral.risk.summary", "care_plan.crisis_plan"]},
    "full": {"fields": ["person", "diagnoses", "referral", "care_plan", "contacts", "admissions"]}
  },
  "glossary": {"CPA": "Care Programme Approach", "PIP": "Personal Independence Payment"}
})json";
}

inline std::shared_ptr<const Directory> test_directory() {
    static const auto directory = directory_from(partnership_text());
    return directory;
}

}  // namespace carebridge::gateway::policy::fixture
