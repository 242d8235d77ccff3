// Reading exports with many clients: steps, paths, file input, the writer's
// chunked output.

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "carenotes/carenotes_codec.hpp"
#include "export_builder.hpp"
#include "golden_record.hpp"
#include "issues/operation_outcome.hpp"
#include "xsd_check.hpp"

namespace carebridge::carenotes {
namespace {

using Step = ExportReader::Step;
using testing::carenotes_client;
using testing::ClientParts;

struct StepResult {
    Step step = Step::end;
    model::PersonRecord record;
    issues::IssueSink sink;
};

std::vector<StepResult> read_all(std::unique_ptr<ExportReader> reader) {
    std::vector<StepResult> out;
    for (int guard = 0; guard < 1000; ++guard) {
        StepResult r;
        r.step = reader->next(r.record, r.sink);
        const Step step = r.step;
        out.push_back(std::move(r));
        if (step == Step::end || step == Step::fatal) break;
    }
    return out;
}

std::string seven_clients() {
    std::string clients;
    for (int i = 0; i < 7; ++i) {
        ClientParts parts;
        parts.nhs_number = testing::test_nhs_number(i);
        if (i == 3) parts.nhs_number = "9990000086";  // fails modulus 11
        if (i == 4) parts.priority = "Purple";
        clients += carenotes_client(i, parts);
    }
    return testing::carenotes_export(clients);
}

TEST(CarenotesStream, GoodAndBrokenClientsInterleave) {
    const std::string xml = seven_clients();
    issues::IssueSink open_sink;
    auto reader = ExportReader::open_memory(xml, ReaderOptions{}, open_sink);
    ASSERT_TRUE(reader);
    const auto steps = read_all(std::move(reader));
    ASSERT_EQ(steps.size(), 8u);
    const Step expected[] = {Step::client, Step::client, Step::client, Step::rejected,
                             Step::rejected, Step::client, Step::client, Step::end};
    int clients = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        EXPECT_EQ(steps[i].step, expected[i]) << i << ": " << issues::one_line_summary(steps[i].sink);
        if (steps[i].step == Step::client) {
            ++clients;
            EXPECT_TRUE(steps[i].sink.empty());
            EXPECT_EQ(steps[i].record.person.local_id, "CN-" + std::to_string(i));
            EXPECT_EQ(steps[i].record.person.nhs_number, testing::test_nhs_number(static_cast<int>(i)));
            ASSERT_EQ(steps[i].record.referrals.size(), 1u);
            EXPECT_EQ(steps[i].record.referrals[0].notes, "Synthetic client " + std::to_string(i));
        }
    }
    EXPECT_EQ(clients, 5);

    const auto& nhs = steps[3].sink.issues();
    ASSERT_EQ(nhs.size(), 1u);
    EXPECT_EQ(nhs[0].severity, issues::Severity::error);
    EXPECT_EQ(nhs[0].type, issues::IssueType::value);
    EXPECT_EQ(nhs[0].path, "CareNotesExport.Client[3].Demographics.NhsNumber");
    EXPECT_EQ(nhs[0].message.find("9990000086"), std::string::npos) << "no patient data in issues";

    const auto& priority = steps[4].sink.issues();
    ASSERT_EQ(priority.size(), 1u);
    EXPECT_EQ(priority[0].severity, issues::Severity::error);
    EXPECT_EQ(priority[0].type, issues::IssueType::value);
    EXPECT_EQ(priority[0].path, "CareNotesExport.Client[4].Referral[0].Priority");
    EXPECT_NE(priority[0].message.find("line "), std::string::npos) << priority[0].message;
    EXPECT_EQ(priority[0].message.find("Purple"), std::string::npos) << priority[0].message;
    EXPECT_NE(priority[0].message.find("The value is not an element of the set"), std::string::npos)
        << priority[0].message;
    EXPECT_TRUE(steps[4].record == model::PersonRecord{});
}

TEST(CarenotesStream, EndAndFatalAreSticky) {
    const std::string xml = testing::carenotes_export("");
    issues::IssueSink sink;
    auto reader = ExportReader::open_memory(xml, ReaderOptions{}, sink);
    ASSERT_TRUE(reader);
    model::PersonRecord record;
    EXPECT_EQ(reader->next(record, sink), Step::end);
    EXPECT_EQ(reader->next(record, sink), Step::end);
    EXPECT_TRUE(sink.empty());
    EXPECT_EQ(reader->bytes_read(), xml.size());
}

TEST(CarenotesStream, EmptyRootElementIsAnEmptyExport) {
    issues::IssueSink sink;
    auto reader = ExportReader::open_memory(
        "<CareNotesExport xmlns='urn:carebridge:carenotes:1' schemaVersion='1' exportedAt='2026-10-05T15:00:00Z'/>",
        ReaderOptions{}, sink);
    model::PersonRecord record;
    EXPECT_EQ(reader->next(record, sink), Step::end);
    EXPECT_TRUE(sink.empty()) << issues::one_line_summary(sink);
}

TEST(CarenotesStream, ReadsFromAFile) {
    const std::string path = ::testing::TempDir() + "carenotes_stream_test.xml";
    {
        std::ofstream out(path, std::ios::binary);
        out << seven_clients();
    }
    issues::IssueSink sink;
    auto reader = ExportReader::open_file(path, ReaderOptions{}, sink);
    ASSERT_TRUE(reader);
    const auto steps = read_all(std::move(reader));
    ASSERT_EQ(steps.size(), 8u);
    EXPECT_EQ(steps.back().step, Step::end);
    std::remove(path.c_str());
}

TEST(CarenotesStream, MissingFileIsFatalAtOpen) {
    issues::IssueSink sink;
    auto reader = ExportReader::open_file("/nonexistent/carenotes.xml", ReaderOptions{}, sink);
    EXPECT_FALSE(reader);
    EXPECT_EQ(sink.count(issues::Severity::fatal), 1u);
}

TEST(CarenotesStream, XsdPathOverridesTheEmbeddedSchema) {
    ReaderOptions options;
    options.xsd_path = std::string(CAREBRIDGE_SOURCE_DIR) + "/schemas/carenotes-export-1.xsd";
    issues::IssueSink sink;
    auto record = decode_single(testing::read_source_file("tests/golden/referral.carenotes.xml"), options, sink);
    ASSERT_TRUE(record) << issues::one_line_summary(sink);

    options.xsd_path = "/nonexistent.xsd";
    issues::IssueSink bad;
    EXPECT_FALSE(ExportReader::open_memory("<x/>", options, bad));
    EXPECT_EQ(bad.count(issues::Severity::fatal), 1u);
}

TEST(CarenotesStream, DecodeSingleWantsExactlyOneClient) {
    issues::IssueSink none;
    EXPECT_FALSE(decode_single(testing::carenotes_export(""), ReaderOptions{}, none));
    EXPECT_EQ(none.issues().at(0).type, issues::IssueType::not_found);

    issues::IssueSink two;
    EXPECT_FALSE(decode_single(testing::carenotes_export(carenotes_client(0, {}) + carenotes_client(1, {})),
                               ReaderOptions{}, two));
    EXPECT_EQ(two.issues().at(0).type, issues::IssueType::invariant);
}

TEST(CarenotesStream, WriterStreamsChunksThatReadBack) {
    std::string out;
    int chunks = 0;
    ExportWriter::Options options;
    options.exported_at = "2026-10-05T15:00:00Z";
    {
        ExportWriter writer(
            [&](std::string_view chunk) {
                ++chunks;
                out.append(chunk);
            },
            options);
        issues::IssueSink sink;
        for (int i = 0; i < 50; ++i) {
            model::PersonRecord record = testing::golden_record();
            record.person.local_id = "CN-" + std::to_string(i);
            writer.write(record, sink);
        }
        writer.finish();
        EXPECT_TRUE(sink.empty());
    }
    EXPECT_GT(chunks, 10) << "the writer hands over output as it goes";
    std::string error;
    EXPECT_TRUE(testing::validates_against_carenotes_xsd(out, &error)) << error;
    EXPECT_NE(out.find("exportedAt=\"2026-10-05T15:00:00Z\""), std::string::npos);

    issues::IssueSink sink;
    auto reader = ExportReader::open_memory(out, ReaderOptions{}, sink);
    model::PersonRecord record;
    int clients = 0;
    while (reader->next(record, sink) == Step::client) {
        model::PersonRecord expected = testing::golden_record();
        expected.person.local_id = "CN-" + std::to_string(clients++);
        EXPECT_EQ(record, expected);
    }
    EXPECT_EQ(clients, 50);
    EXPECT_TRUE(sink.empty());
}

}  // namespace
}  // namespace carebridge::carenotes
