// The audit log at scale: append throughput through the durable SQLite store,
// the store's open (it reloads the chain head from every leaf), `audit verify`
// over the file, at each of a growing log's sizes; then the Merkle root over
// all its leaves in memory and one inclusion proof. Figures printed as a
// Markdown table (bench/results/audit_verify.md) and, with --tsv, one row per size.
//
// Usage: audit_verify [--sizes N,N,...] [--runs R] [--tsv FILE] [ENTRIES] [DIRECTORY]
//   --sizes  the log sizes at which to stop and measure (default: ENTRIES, 1000000)
//   --runs   how many times `audit verify` runs at each size (median and range)
// The append rate of each stretch is given with the range of its five parts.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "audit/merkle.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_audit.hpp"
#include "store/store.hpp"

namespace {

namespace fs = std::filesystem;
using namespace carebridge::gateway;
using Clock = std::chrono::steady_clock;

constexpr int events_per_write_set = 5;  // received, translated, policy, disclosed, delivered
constexpr std::size_t in_flight = 4096;  // write sets queued before waiting: keeps the writer's batches full

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

audit::AuditEvent event_for(std::uint64_t n) {
    static const audit::AuditAction actions[] = {audit::AuditAction::received, audit::AuditAction::translated,
                                                 audit::AuditAction::policy_decision, audit::AuditAction::disclosed,
                                                 audit::AuditAction::delivered};
    static const char* patients[] = {"9990000085", "9990000018", "9990000026"};
    audit::AuditEvent e;
    e.action = actions[n % 5];
    e.actor_organisation = "RZZ";
    e.actor_client = "trust-epr";
    e.actor_role = "submitter";
    e.patient = patients[n % 3];
    e.message_id = "0b7c9a52-5a7e-4e59-9d8e-" + std::to_string(100000000000 + n / 5);
    e.referral_id = "REF-" + std::to_string(n / 5);
    e.recipient = "DBF01";
    e.purpose = "direct-care";
    e.lawful_basis = "6(1)(e); 9(2)(h)";
    e.consent_reference = "Consent/c-" + std::to_string(n / 5);
    e.outcome = "success";
    e.detail = R"({"rule":"befriending-isolation","version":3,"fields_withheld":["diagnoses","admissions"]})";
    return e;  // time left empty: the writer stamps it
}

struct SizeFigures {
    std::uint64_t entries = 0;
    double append_rate = 0, append_rate_min = 0, append_rate_max = 0;
    double reopen_seconds = 0;
    double verify_seconds = 0, verify_min = 0, verify_max = 0;
    double file_mb = 0;
    bool intact = false;
};

double median_of(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::uint64_t> sizes;
    int runs = 1;
    std::FILE* tsv = nullptr;
    std::vector<const char*> positional;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            for (const char* p = argv[++i]; *p;) {
                char* end = nullptr;
                sizes.push_back(std::strtoull(p, &end, 10));
                p = *end == ',' ? end + 1 : end;
            }
        } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--tsv") == 0 && i + 1 < argc) {
            tsv = std::fopen(argv[++i], "w");
            if (!tsv) return 1;
        } else {
            positional.push_back(argv[i]);
        }
    }
    if (sizes.empty()) sizes.push_back(!positional.empty() ? std::stoull(positional[0]) : 1000000);
    std::sort(sizes.begin(), sizes.end());
    const std::uint64_t entries = sizes.back();
    fs::path directory;
    bool remove_after = false;
    if (positional.size() > 1) {
        directory = positional[1];
    } else {
        std::string pattern = (fs::temp_directory_path() / "carebridge-audit-bench-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return 1;
        directory = pattern;
        remove_after = true;
    }

    store::SqliteOptions options;
    options.directory = (directory / "data").string();
    const fs::path database = directory / "data" / "carebridge.sqlite";
    std::error_code error;
    std::string message;
    auto store = store::open_sqlite_store(options, error, message);
    if (!store) {
        std::fprintf(stderr, "audit_verify: %s\n", message.c_str());
        return 1;
    }

    std::vector<std::future<store::CommitResult>> pending;
    std::uint64_t failed = 0;
    const auto drain = [&] {
        for (auto& f : pending) failed += f.get().error ? 1 : 0;
        pending.clear();
    };
    std::vector<SizeFigures> figures;
    audit::PublicKey key = store->audit_public_key();
    std::uint64_t n = 0;
    for (const std::uint64_t size : sizes) {
        // Append up to this size in five parts, each timed: write sets of five
        // events, many in flight, a checkpoint signed every 100 000 entries.
        SizeFigures f;
        f.entries = size;
        const std::uint64_t from = n;
        std::vector<double> part_rates;
        const auto stretch_start = Clock::now();
        for (int part = 1; part <= 5; ++part) {
            const std::uint64_t part_end = from + (size - from) * part / 5;
            const auto part_start = Clock::now();
            const std::uint64_t part_from = n;
            for (; n < part_end; n += events_per_write_set) {
                store::WriteSet writes;
                for (std::uint64_t k = n; k < std::min(part_end, n + events_per_write_set); ++k)
                    writes.audit.push_back(event_for(k));
                writes.sign_audit_checkpoint = (n / events_per_write_set + 1) % 20000 == 0;
                auto promise = std::make_shared<std::promise<store::CommitResult>>();
                pending.push_back(promise->get_future());
                store->commit(std::move(writes), [promise](store::CommitResult r) { promise->set_value(std::move(r)); });
                if (pending.size() >= in_flight) drain();
            }
            n = std::max(n, part_end);
            drain();
            if (n > part_from) part_rates.push_back(static_cast<double>(n - part_from) / seconds_since(part_start));
        }
        std::promise<store::CommitResult> last;
        store->sign_audit_checkpoint([&](store::CommitResult r) { last.set_value(std::move(r)); });
        last.get_future().get();
        f.append_rate = static_cast<double>(size - from) / seconds_since(stretch_start);
        if (!part_rates.empty()) {
            f.append_rate_min = *std::min_element(part_rates.begin(), part_rates.end());
            f.append_rate_max = *std::max_element(part_rates.begin(), part_rates.end());
        }
        key = store->audit_public_key();
        store->close();
        store.reset();
        if (failed) {
            std::fprintf(stderr, "audit_verify: %llu write sets failed\n", static_cast<unsigned long long>(failed));
            return 1;
        }

        // `audit verify` over the closed file, RUNS times.
        std::vector<double> verify_times;
        f.intact = true;
        for (int r = 0; r < runs; ++r) {
            const auto verify_start = Clock::now();
            const auto verdict = store::verify_audit_file(database.string(), audit::keys_of(&key));
            verify_times.push_back(seconds_since(verify_start));
            f.intact = f.intact && verdict.status == audit::LogStatus::intact;
            if (verdict.status != audit::LogStatus::intact)
                std::fprintf(stderr, "audit_verify: at %llu entries: %s\n", static_cast<unsigned long long>(size),
                             verdict.line.c_str());
        }
        f.verify_seconds = median_of(verify_times);
        f.verify_min = *std::min_element(verify_times.begin(), verify_times.end());
        f.verify_max = *std::max_element(verify_times.begin(), verify_times.end());
        f.file_mb = static_cast<double>(fs::file_size(database)) / 1e6;

        // Reopen: the writer reloads the chain head from every stored leaf.
        const auto open_start = Clock::now();
        store = store::open_sqlite_store(options, error, message);
        f.reopen_seconds = seconds_since(open_start);
        if (!store) {
            std::fprintf(stderr, "audit_verify: reopen: %s\n", message.c_str());
            return 1;
        }
        figures.push_back(f);
        std::fprintf(stderr, "audit_verify: %llu entries: append %.0f/s, verify %.2f s\n",
                     static_cast<unsigned long long>(size), f.append_rate, f.verify_seconds);
    }

    std::vector<audit::Hash> leaves = store->audit_leaf_hashes(1, entries, error);
    store->close();
    const auto root_start = Clock::now();
    const audit::Hash root = audit::merkle_root(leaves);
    const double root_seconds = seconds_since(root_start);
    const auto proof_start = Clock::now();
    const auto proof = audit::inclusion_proof(leaves, leaves.size() / 3);
    const bool proof_ok =
        audit::verify_inclusion(leaves[leaves.size() / 3], leaves.size() / 3, leaves.size(), proof, root);
    const double proof_seconds = seconds_since(proof_start);

    std::printf("| entries | file MB | append (write sets of %d, durable commits), entries/s (range of 5 parts) | "
                "reopen (reload the chain head) | `audit verify`, median of %d (range) | verified entries/s | intact |\n"
                "|---:|---:|---:|---:|---:|---:|---|\n",
                events_per_write_set, runs);
    if (tsv) std::fprintf(tsv, "entries\tfile_mb\tappend_per_s\tappend_min\tappend_max\treopen_s\tverify_s\tverify_min\tverify_max\n");
    bool all_intact = true;
    for (const auto& f : figures) {
        std::printf("| %llu | %.0f | %.0f (%.0f–%.0f) | %.2f s | %.2f s (%.2f–%.2f) | %.0f | %s |\n",
                    static_cast<unsigned long long>(f.entries), f.file_mb, f.append_rate, f.append_rate_min,
                    f.append_rate_max, f.reopen_seconds, f.verify_seconds, f.verify_min, f.verify_max,
                    static_cast<double>(f.entries) / f.verify_seconds, f.intact ? "yes" : "NO");
        if (tsv)
            std::fprintf(tsv, "%llu\t%.1f\t%.0f\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\t%.3f\n",
                         static_cast<unsigned long long>(f.entries), f.file_mb, f.append_rate, f.append_rate_min,
                         f.append_rate_max, f.reopen_seconds, f.verify_seconds, f.verify_min, f.verify_max);
        all_intact = all_intact && f.intact;
    }
    if (tsv) std::fclose(tsv);
    std::printf("\nOver all %llu leaves: Merkle root in memory %.3f s (%.0f leaves/s); one inclusion proof built and "
                "checked in %.3f s (%s).\n",
                static_cast<unsigned long long>(leaves.size()), root_seconds,
                static_cast<double>(leaves.size()) / root_seconds, proof_seconds, proof_ok ? "verifies" : "FAILS");
    if (remove_after) fs::remove_all(directory, error);
    return all_intact && proof_ok ? 0 : 1;
}
