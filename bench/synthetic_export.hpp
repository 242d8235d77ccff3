#pragma once
// Synthetic care-notes exports for the benchmarks: N clients modelled on the
// golden referral, each with its own valid test-range NHS number and ids.

#include <cstdint>
#include <cstdio>
#include <string>

#include "carenotes/carenotes_codec.hpp"
#include "golden_record.hpp"
#include "model/validate.hpp"

namespace carebridge::bench {

// A valid NHS number in 999 000 0000 – 999 999 9999 near the n-th ten.
inline std::string test_nhs_number(std::size_t n) {
    for (std::size_t candidate = 9990000000 + n * 10;; ++candidate) {
        std::string s = std::to_string(candidate);
        if (model::is_valid_nhs_number(s)) return s;
    }
}

inline model::PersonRecord synthetic_client(std::size_t n) {
    model::PersonRecord r = testing::golden_record();
    r.person.nhs_number = test_nhs_number(n % 900000);
    r.person.local_id = "CN-" + std::to_string(100000 + n);
    r.referrals[0].id = "REF-SYN-" + std::to_string(n);
    r.care_plans[0].id = "CP-SYN-" + std::to_string(n);
    return r;
}

// Writes an export of `clients` clients to `path`; returns its size in bytes.
inline std::size_t write_synthetic_export(const std::string& path, std::size_t clients) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) return 0;
    std::size_t bytes = 0;
    {
        carenotes::ExportWriter writer(
            [&](std::string_view chunk) { bytes += std::fwrite(chunk.data(), 1, chunk.size(), file); },
            carenotes::ExportWriter::Options{true, "2026-11-01T02:00:00Z"});
        issues::IssueSink sink;
        for (std::size_t i = 0; i < clients; ++i) {
            writer.write(synthetic_client(i), sink);
            sink.clear();
        }
        writer.finish();
    }
    std::fclose(file);
    return bytes;
}

// Reads an export client by client as the gateway does; returns how many
// clients were read, or SIZE_MAX when it could not be read to the end.
inline std::size_t stream_export(const std::string& path) {
    issues::IssueSink sink;
    auto reader = carenotes::ExportReader::open_file(path, {}, sink);
    if (!reader) return SIZE_MAX;
    model::PersonRecord record;
    std::size_t read = 0;
    for (;;) {
        const auto step = reader->next(record, sink);
        if (step == carenotes::ExportReader::Step::end) return read;
        if (step == carenotes::ExportReader::Step::fatal) return SIZE_MAX;
        ++read;
        sink.clear();
    }
}

}  // namespace carebridge::bench
