// The bytes the audit log hashes, checked against values computed here
// independently: the canonical form assembled by hand from the documented
// rule (audit/entry_bytes.hpp) and hashed with OpenSSL's one-shot SHA256.

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <chrono>
#include <string>

#include "audit/audit_event.hpp"
#include "audit/detail.hpp"
#include "audit/entry_bytes.hpp"
#include "audit/hash.hpp"

namespace {

using namespace carebridge::gateway::audit;

std::string hex_sha256(const std::string& bytes) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char b : digest) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

AuditEvent disclosure() {
    AuditEvent e;
    e.time = "2026-11-23T05:30:00.123Z";
    e.action = AuditAction::disclosed;
    e.actor_organisation = "RX4";
    e.actor_client = "trust-epr";
    e.actor_role = "submitter";
    e.patient = "9990000018";
    e.message_id = "6f1c2d3e-0000-4000-8000-000000000001";
    e.referral_id = "REF-1";
    e.recipient = "X1B2C";
    e.purpose = "direct-care";
    e.lawful_basis = "6(1)(e); 9(2)(h)";
    e.consent_reference = "Consent/c-1";
    e.outcome = "success";
    e.detail = R"({"rule":"befriending","version":3,"fields_withheld":["diagnoses"]})";
    return e;
}

// The documented rule, written out field by field.
std::string expected_canonical(const AuditEvent& e, const std::string& previous) {
    std::string c = "carebridge-audit-entry/1\n";
    const auto field = [&](const std::string& v) { c += std::to_string(v.size()) + ":" + v + "\n"; };
    field(e.time);
    field(std::string(to_string(e.action)));
    field(e.actor_organisation);
    field(e.actor_client);
    field(e.actor_role);
    field(e.patient);
    field(e.message_id);
    field(e.referral_id);
    field(e.recipient);
    field(e.purpose);
    field(e.lawful_basis);
    field(e.consent_reference);
    field(e.outcome);
    field(e.detail);
    field(previous);
    return c;
}

TEST(AuditEntryBytes, CanonicalBytesFollowTheDocumentedRule) {
    const AuditEvent e = disclosure();
    const std::string previous(genesis_hash);
    std::string canonical;
    canonical_entry(text_of(e, previous), canonical);
    EXPECT_EQ(canonical, expected_canonical(e, previous));
    // Spot-check the literal start, so the rule itself cannot drift unnoticed.
    EXPECT_TRUE(canonical.starts_with("carebridge-audit-entry/1\n24:2026-11-23T05:30:00.123Z\n9:disclosed\n3:RX4\n"))
        << canonical;
}

TEST(AuditEntryBytes, AnEntryWithEmptyFieldsHasZeroLengths) {
    AuditEvent e;
    e.time = "2026-01-01T00:00:00.000Z";
    e.action = AuditAction::policy_decision;
    std::string canonical;
    canonical_entry(text_of(e, genesis_hash), canonical);
    EXPECT_EQ(canonical,
              "carebridge-audit-entry/1\n24:2026-01-01T00:00:00.000Z\n15:policy-decision\n"
              "0:\n0:\n0:\n0:\n0:\n0:\n0:\n0:\n0:\n0:\n0:\n0:\n64:" +
                  std::string(genesis_hash) + "\n");
}

TEST(AuditEntryBytes, ChainHashAndLeafHashMatchAnIndependentSha256) {
    const AuditEvent e = disclosure();
    const std::string previous = hex_sha256("some earlier entry");
    const std::string canonical = expected_canonical(e, previous);

    EXPECT_EQ(to_hex(entry_hash(canonical)), hex_sha256(canonical));
    EXPECT_EQ(to_hex(leaf_hash(canonical)), hex_sha256(std::string(1, '\0') + canonical));
    EXPECT_NE(entry_hash(canonical), leaf_hash(canonical));  // the 0x00 prefix separates them
}

TEST(AuditEntryBytes, LengthPrefixesKeepFieldBoundariesUnambiguous) {
    // Moving a character from one field to the next changes the bytes.
    AuditEvent a = disclosure();
    AuditEvent b = disclosure();
    a.actor_organisation = "RX4t";
    a.actor_client = "rust-epr";
    b.actor_organisation = "RX4";
    b.actor_client = "trust-epr";
    std::string ca, cb;
    canonical_entry(text_of(a, genesis_hash), ca);
    canonical_entry(text_of(b, genesis_hash), cb);
    EXPECT_NE(ca, cb);
    EXPECT_NE(entry_hash(ca), entry_hash(cb));
}

TEST(AuditEntryBytes, HexRoundTripsAndRejectsWrongLengthsAndDigits) {
    const Hash h = sha256("x");
    EXPECT_EQ(hash_from_hex(to_hex(h)), h);
    EXPECT_FALSE(hash_from_hex(to_hex(h).substr(1)));
    std::string bad = to_hex(h);
    bad[10] = 'g';
    EXPECT_FALSE(hash_from_hex(bad));
    EXPECT_EQ(to_hex(Hash{}), genesis_hash);
}

TEST(AuditEvent, ActionsHaveKebabCaseWireNamesThatParseBack) {
    EXPECT_EQ(to_string(AuditAction::policy_decision), "policy-decision");
    EXPECT_EQ(to_string(AuditAction::delivery_failed), "delivery-failed");
    EXPECT_EQ(to_string(AuditAction::dead_lettered), "dead-lettered");
    EXPECT_EQ(to_string(AuditAction::status_changed), "status-changed");
    EXPECT_EQ(to_string(AuditAction::config_changed), "config-changed");
    for (int i = 0; i <= static_cast<int>(AuditAction::purged); ++i) {
        const auto action = static_cast<AuditAction>(i);
        EXPECT_EQ(parse_action(to_string(action)), action) << to_string(action);
    }
    EXPECT_FALSE(parse_action("policy_decision"));
}

TEST(AuditEvent, InstantsAreMillisecondUtcInOneFixedForm) {
    using namespace std::chrono;
    const sys_time<milliseconds> t = sys_days{year{2026} / 11 / 23} + hours{5} + minutes{30} + milliseconds{123};
    EXPECT_EQ(format_instant(t), "2026-11-23T05:30:00.123Z");
    EXPECT_TRUE(is_instant(now_instant()));
    EXPECT_TRUE(is_instant("2026-11-23T05:30:00.123Z"));
    EXPECT_FALSE(is_instant("2026-11-23T05:30:00Z"));
    EXPECT_FALSE(is_instant("2026-11-23 05:30:00.123Z"));
    EXPECT_FALSE(is_instant("2026-13-23T05:30:00.123Z"));
    EXPECT_FALSE(is_instant("2026-11-23T05:30:00.123+00:00"));
}

TEST(AuditDetail, BuildsCompactJsonObjects) {
    const std::vector<std::string> withheld{"diagnoses", "admissions"};
    const std::string text = Detail()
                                 .add("rule", "befriending")
                                 .add("version", 3)
                                 .add("allowed", true)
                                 .add("fields_withheld", withheld)
                                 .text();
    EXPECT_EQ(text,
              R"({"rule":"befriending","version":3,"allowed":true,"fields_withheld":["diagnoses","admissions"]})");
    EXPECT_EQ(Detail().text(), "{}");
    EXPECT_TRUE(is_detail(text));
    EXPECT_TRUE(is_detail(""));
    EXPECT_FALSE(is_detail("[1]"));
    EXPECT_FALSE(is_detail("{} {}"));
    EXPECT_FALSE(is_detail("{\"a\":"));
}

}  // namespace
