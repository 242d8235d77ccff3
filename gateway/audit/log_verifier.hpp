#pragma once
// Checks a whole audit log from its stored rows: every entry's hash and leaf
// hash against its contents, every link to the entry before it, sequence
// numbers from 1 without gaps, and at each signed checkpoint the signature
// and the Merkle root over the leaves recomputed from the contents. It stops
// at the first thing wrong and says which entry, in one line:
//
//   entry 41 altered (its hash does not match its contents)
//   entry 17 missing (sequence jumps from 16 to 18)
//   entry 9 reordered (it links to entry 12, not to entry 8)
//   entry 30 inserted (entry 31 links to entry 29, past it)
//
// An attacker with the file and the (public) algorithm can rewrite every
// hash after an edit so the chain is whole again; the checkpoints catch that,
// since the attacker cannot sign a new root, and the report names the span
// between the last good checkpoint and the first bad one. Entries after the
// last checkpoint are only as good as the chain: the summary line gives both
// counts so the reader sees how many are signed.
//
// The rows come from an EntrySource (store/sqlite_audit.hpp reads them from
// SQLite), one at a time, so a million entries take constant memory.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/checkpoint.hpp"
#include "audit/entry_bytes.hpp"

namespace carebridge::gateway::audit {

// One row as stored; the views are valid until the source's next call.
struct StoredEntry {
    std::uint64_t seq = 0;
    EntryText text;              // the fields, previous_hash included
    std::string_view hash;       // hex, as stored
    std::string_view leaf_hash;  // 32 raw bytes, as stored
};

class EntrySource {
public:
    virtual ~EntrySource() = default;
    // The next entry in sequence order; false at the end or on a read error.
    virtual bool next(StoredEntry& entry) = 0;
    // Set when next() stopped on a read error.
    virtual std::string error() const = 0;
    // The sequence number of the entry whose stored hash is `hash`, if any.
    // Called only once something is wrong, to tell a move from an edit.
    virtual std::optional<std::uint64_t> seq_of_hash(std::string_view hash) = 0;
};

enum class LogStatus {
    intact,
    tampered,    // an entry or a checkpoint does not check out
    unreadable,  // the rows could not be read, or there is no key to check signatures with
};

struct LogVerification {
    LogStatus status = LogStatus::intact;
    std::string line;                           // one line for the operator, without a trailing newline
    std::uint64_t entries = 0;                  // entries that checked out (all of them when intact)
    std::uint64_t first_bad = 0;                // the entry named in `line`; 0 when intact or not about one entry
    std::optional<Checkpoint> last_checkpoint;  // the largest checkpoint that checked out
    std::vector<std::string> signing_keys;      // ids of the keys the good checkpoints name, in first-use order
};

using VerifyProgress = std::function<void(std::uint64_t entries_checked)>;

// A verdict reached before any entry was checked: the log could not be read,
// or it is missing a part (a table) no gateway would remove.
LogVerification unreadable_log(std::string line);
LogVerification tampered_log(std::string line);
// `key` alone as a key list, or none when it is null.
TrustedKeys keys_of(const PublicKey* key);

// `checkpoints` in any order; each is checked with the key of `keys` it
// names. `keys` may be empty only when there are no checkpoints.
LogVerification verify_log(EntrySource& source, std::vector<Checkpoint> checkpoints, const TrustedKeys& keys,
                           const VerifyProgress& progress = {});
// The same with one key; `key` may be null only when there are no checkpoints.
LogVerification verify_log(EntrySource& source, std::vector<Checkpoint> checkpoints, const PublicKey* key,
                           const VerifyProgress& progress = {});

}  // namespace carebridge::gateway::audit
