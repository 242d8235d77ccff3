// The audit log at scale: append throughput through the durable SQLite store,
// the store's open (it reloads the chain head from every leaf), the Merkle
// root over a million leaves in memory, and `audit verify` over the file.
// One run, figures printed as a Markdown table (bench/results/audit_verify.md).
//
// Usage: audit_verify [ENTRIES] [DIRECTORY]   (default 1000000, a new temp dir)

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "audit/merkle.hpp"
#include "store/sqlite_audit.hpp"
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

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t entries = argc > 1 ? std::stoull(argv[1]) : 1000000;
    fs::path directory;
    bool remove_after = false;
    if (argc > 2) {
        directory = argv[2];
    } else {
        std::string pattern = (fs::temp_directory_path() / "carebridge-audit-bench-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) return 1;
        directory = pattern;
        remove_after = true;
    }

    store::SqliteOptions options;
    options.directory = (directory / "data").string();
    std::error_code error;
    std::string message;
    auto store = store::open_sqlite_store(options, error, message);
    if (!store) {
        std::fprintf(stderr, "audit_verify: %s\n", message.c_str());
        return 1;
    }

    // Append: write sets of five events, many in flight, checkpoints every 100 000.
    const auto append_start = Clock::now();
    std::vector<std::future<store::CommitResult>> pending;
    std::uint64_t failed = 0;
    const auto drain = [&] {
        for (auto& f : pending) failed += f.get().error ? 1 : 0;
        pending.clear();
    };
    for (std::uint64_t n = 0; n < entries; n += events_per_write_set) {
        store::WriteSet writes;
        for (std::uint64_t k = n; k < std::min(entries, n + events_per_write_set); ++k)
            writes.audit.push_back(event_for(k));
        writes.sign_audit_checkpoint = (n / events_per_write_set + 1) % 20000 == 0;
        auto promise = std::make_shared<std::promise<store::CommitResult>>();
        pending.push_back(promise->get_future());
        store->commit(std::move(writes), [promise](store::CommitResult r) { promise->set_value(std::move(r)); });
        if (pending.size() >= in_flight) drain();
    }
    drain();
    std::promise<store::CommitResult> last;
    store->sign_audit_checkpoint([&](store::CommitResult r) { last.set_value(std::move(r)); });
    last.get_future().get();
    const double append_seconds = seconds_since(append_start);
    const audit::PublicKey key = store->audit_public_key();
    store->close();
    store.reset();
    if (failed) {
        std::fprintf(stderr, "audit_verify: %llu write sets failed\n", static_cast<unsigned long long>(failed));
        return 1;
    }

    // Reopen: the writer reloads the chain head from every stored leaf.
    const auto open_start = Clock::now();
    store = store::open_sqlite_store(options, error, message);
    const double open_seconds = seconds_since(open_start);
    std::vector<audit::Hash> leaves = store ? store->audit_leaf_hashes(1, entries, error) : std::vector<audit::Hash>{};
    if (store) store->close();

    const auto root_start = Clock::now();
    const audit::Hash root = audit::merkle_root(leaves);
    const double root_seconds = seconds_since(root_start);

    const auto proof_start = Clock::now();
    const auto proof = audit::inclusion_proof(leaves, leaves.size() / 3);
    const bool proof_ok =
        audit::verify_inclusion(leaves[leaves.size() / 3], leaves.size() / 3, leaves.size(), proof, root);
    const double proof_seconds = seconds_since(proof_start);

    const auto verify_start = Clock::now();
    const auto verdict = store::verify_audit_file((directory / "data" / "carebridge.sqlite").string(), &key);
    const double verify_seconds = seconds_since(verify_start);
    const auto file_size = fs::file_size(directory / "data" / "carebridge.sqlite");

    std::printf("| step | %llu entries | per second |\n|---|---:|---:|\n", static_cast<unsigned long long>(entries));
    std::printf("| append (write sets of %d, durable commits) | %.2f s | %.0f entries/s |\n", events_per_write_set,
                append_seconds, static_cast<double>(entries) / append_seconds);
    std::printf("| reopen the store (reload the chain head) | %.2f s | |\n", open_seconds);
    std::printf("| Merkle root over the leaves, in memory | %.3f s | %.0f leaves/s |\n", root_seconds,
                static_cast<double>(leaves.size()) / root_seconds);
    std::printf("| one inclusion proof, built and checked | %.3f s | |\n", proof_seconds);
    std::printf("| `audit verify` over the file | %.2f s | %.0f entries/s |\n", verify_seconds,
                static_cast<double>(entries) / verify_seconds);
    std::printf("\nfile: %.0f MB; proof %s; verify: %s\n", static_cast<double>(file_size) / 1e6,
                proof_ok ? "verifies" : "FAILS", verdict.line.c_str());
    if (remove_after) fs::remove_all(directory, error);
    return verdict.status == audit::LogStatus::intact && proof_ok ? 0 : 1;
}
