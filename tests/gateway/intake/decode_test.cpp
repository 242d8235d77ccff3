// Decode, driven directly: each status for what a sender may post.
#include <gtest/gtest.h>

#include "intake/decode.hpp"
#include "intake/export_stream.hpp"
#include "intake_fixture.hpp"

namespace carebridge::gateway::intake {
namespace {

std::string golden(const std::string& name) {
    return testing::read_text(std::filesystem::path(CAREBRIDGE_SOURCE_DIR) / "tests/golden" / name);
}

TEST(Decode, AFhirBundleBecomesTheCanonicalRecordNamedByItsIdentifier) {
    const Decoded d = decode_document(golden("referral.fhir.json"), {});
    ASSERT_EQ(d.status, DecodeStatus::decoded);
    ASSERT_TRUE(d.record);
    EXPECT_EQ(d.record->person.nhs_number, "9990000085");
    EXPECT_EQ(d.document_type, "Bundle");
    EXPECT_FALSE(d.sender_key.empty()) << "the Bundle names itself";
}

TEST(Decode, APartnershipReferralIsNamedByItsIdAndVersion) {
    DecodeRequest wanted;
    wanted.format = translation::Format::referral;
    const Decoded d = decode_document(golden("referral.json"), wanted);
    ASSERT_EQ(d.status, DecodeStatus::decoded);
    EXPECT_TRUE(d.sender_key.starts_with("referral|" + d.record->referrals.front().id + "|")) << d.sender_key;
}

TEST(Decode, UnreadableInvalidWrongTypeAndNoReferralAreEachTheirOwn) {
    EXPECT_EQ(decode_document("{\"resourceType\": ", {}).status, DecodeStatus::unreadable);

    DecodeRequest referral;
    referral.format = translation::Format::referral;
    std::string bad = golden("referral.json");
    bad.replace(bad.find("9990000085"), 10, "9990000086");
    const Decoded invalid = decode_document(bad, referral);
    EXPECT_EQ(invalid.status, DecodeStatus::invalid);
    EXPECT_TRUE(invalid.issues.failed());

    DecodeRequest patient;
    patient.expected_type = "Patient";
    patient.require_referral = false;
    const Decoded flag = decode_document("{\"resourceType\":\"Flag\",\"status\":\"active\"}", patient);
    EXPECT_EQ(flag.status, DecodeStatus::wrong_type);
    EXPECT_EQ(flag.document_type, "Flag");

    DecodeRequest bundle;  // a referral is required by default
    const Decoded no_referral = decode_document("{\"resourceType\":\"Flag\",\"status\":\"active\"}", bundle);
    EXPECT_EQ(no_referral.status, DecodeStatus::no_referral);
}

TEST(Decode, AnExportIsReadClientByClientWithEachClientsOwnPayload) {
    issues::IssueSink opened;
    const std::string xml = golden("referral.carenotes.xml");  // read in place: it outlives the stream
    auto stream = ExportStream::open_memory(xml, opened);
    ASSERT_TRUE(stream);
    ExportClient client;
    ASSERT_EQ(stream->next(client), ExportStream::Step::client);
    EXPECT_EQ(client.ordinal, 0u);
    EXPECT_EQ(client.record.person.nhs_number, "9990000085");
    EXPECT_NE(client.payload.find("<CareNotesExport"), std::string::npos) << "kept alone, reprocessable";
    EXPECT_EQ(stream->next(client), ExportStream::Step::end);

    issues::IssueSink not_xml;
    auto broken = ExportStream::open_memory("not xml at all", not_xml);
    if (broken) {
        EXPECT_EQ(broken->next(client), ExportStream::Step::fatal);
    } else {
        EXPECT_GT(not_xml.count(issues::Severity::fatal), 0u);
    }
}

}  // namespace
}  // namespace carebridge::gateway::intake
