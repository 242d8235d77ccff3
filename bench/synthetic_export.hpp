#pragma once
// Synthetic care-notes exports for the benchmarks: N clients modelled on the
// golden referral, each with its own valid test-range NHS number and ids.

#include <cstdio>
#include <string>

#include "carenotes/carenotes_codec.hpp"
#include "golden_record.hpp"

namespace carebridge::bench {

// The n-th NHS number in 999 000 0000 – 999 999 9999 that passes mod 11.
inline std::string test_nhs_number(std::size_t n) {
    for (std::size_t candidate = 9990000000 + n * 10;; ++candidate) {
        const std::string s = std::to_string(candidate);
        int sum = 0;
        for (int i = 0; i < 9; ++i) sum += (s[i] - '0') * (10 - i);
        int check = 11 - sum % 11;
        if (check == 11) check = 0;
        if (check != 10 && check == s[9] - '0') return s;
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

}  // namespace carebridge::bench
