#pragma once
// A care-notes export through the three intake stages: each client is decoded
// from the stream (export_stream.hpp), planned like one FHIR referral
// (plan.hpp) and committed (commit.hpp) in groups, so memory stays flat and
// each group is durable before the next is read.
//
// A client the directory refuses (no route, a closed or unknown service, no
// consent or agreement for anyone) is not stored: its policy decisions and its
// rejection go on the record in its group's commit, it is counted and reported
// with its reason in the summary, and the export's other clients are stored
// and routed as usual.

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "intake/export_stream.hpp"
#include "intake/plan.hpp"
#include "issues/issue.hpp"
#include "store/store.hpp"

namespace carebridge::gateway::intake {

struct ExportOptions {
    std::size_t group = 256;              // clients per commit
    std::size_t max_listed = 100'000;     // stored clients listed in the summary (all are counted)
    std::size_t max_refusals_listed = 1'000;  // refused clients listed with their reason (all are counted)
    // After each commit that queued outbox rows: the delivery worker's wake-up.
    std::function<void()> queued;
};

// One client the directory refused.
struct ClientRefusal {
    std::size_t client = 0;  // ordinal in the export
    unsigned status = 422;   // what a FHIR POST of it would have been answered (403: unknown sender)
    std::string message;     // the refusal's reason, as the submitter of a single referral is told
};

enum class ExportStatus {
    // The export was read to its end or to a fatal issue (`fatal`); every
    // client read was stored, triaged, repeated, rejected (decode) or refused (policy).
    read,
    // The file is not an export that can be opened: nothing was read or stored; `issues` says why.
    unreadable,
    // The store failed (or no random id could be drawn) part-way: the groups
    // before were kept (`accepted`), the rest not. A resend with the same
    // Idempotency-Key skips the clients kept and takes in the rest.
    store_failed,
};

struct ExportSummary {
    ExportStatus status = ExportStatus::read;
    std::size_t accepted = 0, duplicates = 0, rejected = 0, refused = 0;
    // Clients the directory could not route, held in the triage queue
    // (PlanStatus::triaged); listed in `stored` with the accepted ones.
    std::size_t triaged = 0;
    bool fatal = false;                                       // reading stopped before the end
    std::vector<std::pair<std::size_t, std::string>> stored;  // client ordinal → message id
    std::vector<ClientRefusal> refusals;
    issues::IssueSink issues;  // the decode issues of every client, bounded (the first thousand)
};

// Reads `stream` to its end through decode, plan and commit. Each client's
// idempotency key is the export's (`arrival.idempotency_key`) with "#<ordinal>"
// appended, none when the export has none.
ExportSummary take_in_export(ExportStream& stream, const Arrival& arrival, const Partnership& partnership,
                             store::Store& store, const ExportOptions& options = {});

}  // namespace carebridge::gateway::intake
