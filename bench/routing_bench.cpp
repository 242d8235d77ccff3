// The JSON intake path without the store: the golden partnership referral
// decoded, routed through the demo directory (consent, agreements, criteria,
// rules, minimisation for each recipient) and written once for each recipient
// in its format. Run with the demo's terminology table and without it, on the
// golden referral (needs in the partnership's codes, what every referral sent
// before the table carried) and on the same referral with its needs coded
// in SNOMED CT only or written as text only, to an organisation-only target.
// bench/RESULTS.md ("Terminology matching") has the figures. Compiled with
// CAREBRIDGE_BENCH_BEFORE_TERMINOLOGY, the same file builds against the tree
// before the table existed, for the golden referral only.
#include <benchmark/benchmark.h>

#include <string>

#include "config/config.hpp"
#include "fhir/fhir_codec.hpp"
#include "golden_record.hpp"
#include "policy/directory.hpp"
#include "policy/routing.hpp"
#include "referral_json/referral_codec.hpp"

namespace {

using namespace carebridge;
using gateway::policy::Directory;

enum class Needs { partnership, snomed, text };

std::string referral_json(Needs needs) {
    std::string text = testing::read_source_file("tests/golden/referral.json");
    const auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        if (at == std::string::npos) std::abort();  // the golden file changed: the benchmark would measure nothing
        text.replace(at, from.size(), to);
    };
    if (needs == Needs::partnership) return text;
    replace(R"({ "organisation": "DBF01", "service": "befriending" })", R"({ "organisation": "DBF01" })");
    if (needs == Needs::snomed) {
        replace(R"({ "code": "isolation", "text": "Has lost contact with friends since his last admission" })",
                R"({ "code": "other", "coding": { "system": "http://snomed.info/sct", "code": "422650009",
                     "display": "Social isolation" } })");
        replace(R"({ "code": "benefits", "text": "PIP review due in December" })",
                R"({ "code": "other", "coding": { "system": "http://snomed.info/sct", "code": "710913009",
                     "display": "Referral to financial service" } })");
    } else {
        replace(R"({ "code": "isolation", "text": "Has lost contact with friends since his last admission" })",
                R"({ "code": "other", "text": "Lonely: has lost contact with friends since his last admission" })");
        replace(R"({ "code": "benefits", "text": "PIP review due in December" })",
                R"({ "code": "other", "text": "Benefits advice: PIP review due in December" })");
    }
    return text;
}

std::shared_ptr<const Directory> demo_directory(bool with_table) {
    std::string error;
    auto config = gateway::config::load_config(std::string(CAREBRIDGE_SOURCE_DIR) + "/config/demo.json", error);
    if (!config) std::abort();
#ifndef CAREBRIDGE_BENCH_BEFORE_TERMINOLOGY
    if (!with_table) config->terminology = {};
#else
    (void)with_table;
#endif
    auto directory = Directory::create(*config, error);
    if (!directory) std::abort();
    return directory;
}

void BM_JsonIntake(benchmark::State& state, Needs needs, bool with_table) {
    const std::string body = referral_json(needs);
    const auto directory = demo_directory(with_table);
    const auto now = std::chrono::sys_days{std::chrono::year{2026} / 10 / 5} + std::chrono::hours{12};
    std::size_t recipients = 0;
    for (auto _ : state) {
        issues::IssueSink sink;
        auto record = referral_json::decode(body, codec::DecodeOptions{}, sink);
        if (!record) {
            state.SkipWithError("the referral does not decode");
            return;
        }
        const auto outcome = gateway::policy::route(*record, "trust", *directory, now);
        recipients = outcome.recipients.size();
        for (const auto& r : outcome.recipients) {
            issues::IssueSink out;
            const std::string written = r.format == translation::Format::fhir
                                            ? fhir::encode(r.record, fhir::EncodeOptions{}, out)
                                            : referral_json::encode(r.record, {}, out);
            benchmark::DoNotOptimize(written.size());
        }
    }
    if (recipients == 0) state.SkipWithError("nothing was routed: the benchmark measures a refusal");
    state.SetItemsProcessed(state.iterations());
    state.counters["recipients"] = static_cast<double>(recipients);
}

#ifdef CAREBRIDGE_BENCH_BEFORE_TERMINOLOGY
BENCHMARK_CAPTURE(BM_JsonIntake, partnership_codes_before_terminology, Needs::partnership, false);
#else
BENCHMARK_CAPTURE(BM_JsonIntake, partnership_codes_no_table, Needs::partnership, false);
BENCHMARK_CAPTURE(BM_JsonIntake, partnership_codes_demo_table, Needs::partnership, true);
BENCHMARK_CAPTURE(BM_JsonIntake, snomed_to_organisation_demo_table, Needs::snomed, true);
BENCHMARK_CAPTURE(BM_JsonIntake, text_to_organisation_demo_table, Needs::text, true);
#endif

}  // namespace

BENCHMARK_MAIN();
