// Decode, encode and translate for each format on the golden referral, beside
// the bare cost of the parsers underneath (RapidJSON parse + write, one
// libxml2 reader pass) so the ratio to the parser's own cost can be read off.
#include <benchmark/benchmark.h>
#include <libxml/xmlreader.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "carenotes/carenotes_codec.hpp"
#include "fhir/fhir_codec.hpp"
#include "golden_record.hpp"
#include "referral_json/referral_codec.hpp"
#include "synthetic_export.hpp"
#include "translation/translator.hpp"

namespace {

using namespace carebridge;

const std::string& golden(const char* name) {
    static std::string fhir = testing::read_source_file("tests/golden/referral.fhir.json");
    static std::string referral = testing::read_source_file("tests/golden/referral.json");
    static std::string carenotes = testing::read_source_file("tests/golden/referral.carenotes.xml");
    const std::string_view n(name);
    return n == "fhir" ? fhir : n == "referral" ? referral : carenotes;
}

void set_throughput(benchmark::State& state, std::size_t bytes_per_item) {
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_item));
}

// The bare parser cost: RapidJSON's DOM parse and compact write of the same bytes.
void parse_and_write(benchmark::State& state, const std::string& text) {
    for (auto _ : state) {
        rapidjson::Document doc;
        doc.Parse(text.data(), text.size());
        rapidjson::StringBuffer out;
        rapidjson::Writer<rapidjson::StringBuffer> writer(out);
        doc.Accept(writer);
        benchmark::DoNotOptimize(out.GetSize());
    }
    set_throughput(state, text.size());
}

void BM_RapidJsonParseWrite(benchmark::State& state, const char* format) { parse_and_write(state, golden(format)); }
BENCHMARK_CAPTURE(BM_RapidJsonParseWrite, fhir, "fhir");
BENCHMARK_CAPTURE(BM_RapidJsonParseWrite, referral, "referral");

void BM_Libxml2ReaderPass(benchmark::State& state) {
    const std::string& text = golden("carenotes");
    for (auto _ : state) {
        xmlTextReaderPtr reader = xmlReaderForMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                                                     XML_PARSE_NONET);
        int nodes = 0;
        while (xmlTextReaderRead(reader) == 1) ++nodes;
        xmlFreeTextReader(reader);
        benchmark::DoNotOptimize(nodes);
    }
    set_throughput(state, text.size());
}
BENCHMARK(BM_Libxml2ReaderPass);

// The bare cost of each translation's output: the same parser pass over what
// the encoder writes for the golden record (compact, as translate writes it),
// so a translation can be set against parse(input) + pass(output).
void BM_BareOutput(benchmark::State& state, translation::Format format) {
    issues::IssueSink sink;
    const std::string text = translation::encode_document(format, testing::golden_record(), false, sink);
    if (format != translation::Format::carenotes) {
        parse_and_write(state, text);
        return;
    }
    for (auto _ : state) {
        xmlTextReaderPtr reader = xmlReaderForMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                                                     XML_PARSE_NONET);
        int nodes = 0;
        while (xmlTextReaderRead(reader) == 1) ++nodes;
        xmlFreeTextReader(reader);
        benchmark::DoNotOptimize(nodes);
    }
    set_throughput(state, text.size());
}
BENCHMARK_CAPTURE(BM_BareOutput, fhir, translation::Format::fhir);
BENCHMARK_CAPTURE(BM_BareOutput, referral, translation::Format::referral);
BENCHMARK_CAPTURE(BM_BareOutput, carenotes, translation::Format::carenotes);

void BM_Decode(benchmark::State& state, translation::Format format, const char* name) {
    const std::string& text = golden(name);
    codec::DecodeOptions options;
    for (auto _ : state) {
        issues::IssueSink sink;
        auto record = translation::decode_document(format, text, options, sink);
        if (!record) state.SkipWithError("golden did not decode");
        benchmark::DoNotOptimize(record);
    }
    set_throughput(state, text.size());
}
BENCHMARK_CAPTURE(BM_Decode, fhir, translation::Format::fhir, "fhir");
BENCHMARK_CAPTURE(BM_Decode, referral, translation::Format::referral, "referral");
BENCHMARK_CAPTURE(BM_Decode, carenotes, translation::Format::carenotes, "carenotes");

void BM_Encode(benchmark::State& state, translation::Format format) {
    const model::PersonRecord record = testing::golden_record();
    std::size_t bytes = 0;
    for (auto _ : state) {
        issues::IssueSink sink;
        std::string out = translation::encode_document(format, record, false, sink);
        bytes = out.size();
        benchmark::DoNotOptimize(out);
    }
    set_throughput(state, bytes);
}
BENCHMARK_CAPTURE(BM_Encode, fhir, translation::Format::fhir);
BENCHMARK_CAPTURE(BM_Encode, referral, translation::Format::referral);
BENCHMARK_CAPTURE(BM_Encode, carenotes, translation::Format::carenotes);

// Translates `text` once per iteration as the command line and the gateway do.
void translate_loop(benchmark::State& state, translation::Format from, translation::Format to,
                    const std::string& text) {
    translation::TranslateRequest request;
    request.from = from;
    request.to = to;
    request.pretty = false;
    std::size_t out_bytes = 0;
    for (auto _ : state) {
        issues::IssueSink sink;
        auto summary = translation::translate_text(
            request, text, [&](std::string_view chunk) { out_bytes += chunk.size(); }, sink);
        if (summary.translated != 1) state.SkipWithError("translation failed");
    }
    set_throughput(state, text.size());
    benchmark::DoNotOptimize(out_bytes);
}

void BM_Translate(benchmark::State& state, translation::Format from, translation::Format to, const char* name) {
    translate_loop(state, from, to, golden(name));
}
#define CB_TRANSLATE(from, to)                                                                             \
    BENCHMARK_CAPTURE(BM_Translate, from##_to_##to, translation::Format::from, translation::Format::to, #from)
CB_TRANSLATE(fhir, referral);
CB_TRANSLATE(fhir, carenotes);
CB_TRANSLATE(referral, fhir);
CB_TRANSLATE(referral, carenotes);
CB_TRANSLATE(carenotes, fhir);
CB_TRANSLATE(carenotes, referral);

// The same FHIR referral as systems send it on the wire (no indentation), and a
// slim referral Bundle (person, referral, consent, risk; no care plan,
// encounters or history), to show per-referral rates across realistic sizes.
std::string fhir_wire(bool slim) {
    model::PersonRecord record = testing::golden_record();
    if (slim) {
        record.care_plans.clear();
        record.contacts.clear();
        record.admissions.clear();
        record.referrals[0].history.clear();
        record.referrals[0].care_team.clear();
    }
    issues::IssueSink sink;
    return fhir::encode(record, fhir::EncodeOptions{}, sink);
}

// The gateway's common path: a FHIR Bundle in, partnership JSON out.
void BM_TranslateFhirWire(benchmark::State& state, bool slim) {
    const std::string text = fhir_wire(slim);
    translate_loop(state, translation::Format::fhir, translation::Format::referral, text);
    state.counters["bundle_bytes"] = static_cast<double>(text.size());
}
BENCHMARK_CAPTURE(BM_TranslateFhirWire, full_compact_fhir_to_referral, false);
BENCHMARK_CAPTURE(BM_TranslateFhirWire, slim_compact_fhir_to_referral, true);

void BM_RapidJsonParseWriteWire(benchmark::State& state, bool slim) { parse_and_write(state, fhir_wire(slim)); }
BENCHMARK_CAPTURE(BM_RapidJsonParseWriteWire, full_compact, false);
BENCHMARK_CAPTURE(BM_RapidJsonParseWriteWire, slim_compact, true);

// Streaming a generated export of 100k clients (about 0.4 GB) client by client.
// The generated export is written once and shared by the streaming benchmarks.
const std::string& generated_export(std::size_t clients, std::size_t& bytes) {
    static std::string path;
    static std::size_t size = 0;
    if (path.empty()) {
        path = (std::filesystem::temp_directory_path() / ("carebridge-bench-" + std::to_string(clients) + ".xml")).string();
        size = bench::write_synthetic_export(path, clients);
        std::atexit([] { std::remove(path.c_str()); });
    }
    bytes = size;
    return path;
}

void BM_CarenotesStream(benchmark::State& state) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    std::size_t bytes = 0;
    const std::string& path = generated_export(clients, bytes);
    for (auto _ : state)
        if (bench::stream_export(path) != clients) state.SkipWithError("not every client was read");
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * clients));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_CarenotesStream)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

// libxml2's reader alone over the same export: no expansion, validation or mapping.
void BM_Libxml2ReaderPassExport(benchmark::State& state) {
    const auto clients = static_cast<std::size_t>(state.range(0));
    std::size_t bytes = 0;
    const std::string& path = generated_export(clients, bytes);
    for (auto _ : state) {
        xmlTextReaderPtr reader = xmlReaderForFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_COMPACT);
        std::size_t nodes = 0;
        while (xmlTextReaderRead(reader) == 1) ++nodes;
        xmlFreeTextReader(reader);
        benchmark::DoNotOptimize(nodes);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * clients));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Libxml2ReaderPassExport)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
