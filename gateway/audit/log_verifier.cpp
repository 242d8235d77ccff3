#include "audit/log_verifier.hpp"

#include <algorithm>

#include "audit/merkle.hpp"

namespace carebridge::gateway::audit {
namespace {

constexpr std::uint64_t progress_every = 1 << 16;

std::string entry(std::uint64_t seq) { return "entry " + std::to_string(seq); }

LogVerification tampered(std::uint64_t first_bad, std::string what) {
    LogVerification result;
    result.status = LogStatus::tampered;
    result.first_bad = first_bad;
    result.line = "audit log: " + std::move(what);
    return result;
}

class Verifier {
public:
    Verifier(EntrySource& source, std::vector<Checkpoint> checkpoints, const TrustedKeys& keys,
             const VerifyProgress& progress)
        : source_(source), checkpoints_(std::move(checkpoints)), keys_(keys), progress_(progress) {
        std::sort(checkpoints_.begin(), checkpoints_.end(),
                  [](const Checkpoint& a, const Checkpoint& b) { return a.tree_size < b.tree_size; });
    }

    LogVerification run() {
        if (!checkpoints_.empty() && keys_.empty()) {
            LogVerification result;
            result.status = LogStatus::unreadable;
            result.line = "audit log: there are signed checkpoints but no public key to check them with";
            return result;
        }
        if (auto failed = check_checkpoints_at(0)) return *failed;

        StoredEntry row;
        while (source_.next(row)) {
            const std::uint64_t expected = tree_.size() + 1;
            if (row.seq != expected) return missing(expected, row.seq);

            canonical_entry(row.text, canonical_);
            const Hash hash = entry_hash(canonical_);
            const Hash leaf = leaf_hash(canonical_);
            hash_hex_.clear();
            append_hex(hash_hex_, hash.data(), hash.size());
            const bool hash_ok = row.hash == hash_hex_;
            const bool leaf_ok = row.leaf_hash == as_bytes(leaf);
            const bool link_ok = row.text.previous_hash == previous_hash_;
            if (!hash_ok || !leaf_ok || !link_ok) return diagnose(row, hash_ok, link_ok);

            tree_.append(leaf);
            previous_hash_.assign(row.hash);
            if (progress_ && tree_.size() % progress_every == 0) progress_(tree_.size());
            if (auto failed = check_checkpoints_at(tree_.size())) return *failed;
        }
        if (!source_.error().empty()) {
            LogVerification result;
            result.status = LogStatus::unreadable;
            result.line = "audit log: cannot read entry " + std::to_string(tree_.size() + 1) + ": " + source_.error();
            return result;
        }
        if (progress_) progress_(tree_.size());

        // A checkpoint past the end: entries it covered are gone.
        if (next_checkpoint_ < checkpoints_.size()) {
            const Checkpoint& beyond = checkpoints_[next_checkpoint_];
            if (!signature_holds(beyond)) return bad_signature(beyond);
            const std::uint64_t last = tree_.size();
            return tampered(last + 1, entry(last + 1) + " missing (the log ends at entry " + std::to_string(last) +
                                          " but a checkpoint was signed at size " + std::to_string(beyond.tree_size) +
                                          ")");
        }

        LogVerification result;
        result.line = "audit log intact: " + std::to_string(tree_.size()) + (tree_.size() == 1 ? " entry" : " entries");
        if (last_good_) {
            result.line += ", last checkpoint at size " + std::to_string(last_good_->tree_size) + " signed by key " +
                           last_good_->key_id;
            if (signing_keys_.size() > 1)
                result.line += " (checkpoints signed by " + std::to_string(signing_keys_.size()) + " keys in turn)";
        } else
            result.line += ", no signed checkpoint yet";
        return result;
    }

    std::uint64_t checked() const { return tree_.size(); }
    const std::optional<Checkpoint>& last_good() const { return last_good_; }
    const std::vector<std::string>& signing_keys() const { return signing_keys_; }

private:
    bool signature_holds(const Checkpoint& checkpoint) const {
        const PublicKey* key = keys_.find(checkpoint.key_id);
        return key && key->verify(checkpoint);
    }

    std::optional<LogVerification> check_checkpoints_at(std::uint64_t size) {
        for (; next_checkpoint_ < checkpoints_.size() && checkpoints_[next_checkpoint_].tree_size == size;
             ++next_checkpoint_) {
            const Checkpoint& checkpoint = checkpoints_[next_checkpoint_];
            if (!signature_holds(checkpoint)) return bad_signature(checkpoint);
            if (checkpoint.root_hash != tree_.root()) {
                // Every entry up to here links and hashes: the chain was
                // rebuilt after an edit. The edit lies after the last
                // checkpoint that still matches.
                const std::uint64_t first = last_good_ ? last_good_->tree_size + 1 : 1;
                return tampered(first, "entries " + std::to_string(first) + " to " + std::to_string(size) +
                                           " do not match the checkpoint signed at size " + std::to_string(size) +
                                           " (one of them was altered, removed, reordered or inserted and the "
                                           "chain rebuilt)");
            }
            last_good_ = checkpoint;
            if (std::find(signing_keys_.begin(), signing_keys_.end(), checkpoint.key_id) == signing_keys_.end())
                signing_keys_.push_back(checkpoint.key_id);
        }
        return std::nullopt;
    }

    LogVerification bad_signature(const Checkpoint& checkpoint) {
        const std::string size = std::to_string(checkpoint.tree_size);
        if (!keys_.find(checkpoint.key_id))
            return tampered(0, "the checkpoint at size " + size + " names key " + checkpoint.key_id + ", not " +
                                   (keys_.size() == 1 ? "the public key given (" : "one of the public keys given (") +
                                   keys_.ids() + ")");
        return tampered(
            0, "the checkpoint at size " + size + " has a signature that does not verify with key " + checkpoint.key_id);
    }

    LogVerification missing(std::uint64_t expected, std::uint64_t found) {
        const std::string range = found == expected + 1
                                      ? entry(expected)
                                      : "entries " + std::to_string(expected) + " to " + std::to_string(found - 1);
        if (expected == 1)
            return tampered(1, range + " missing (the log starts at entry " + std::to_string(found) + ")");
        return tampered(expected, range + " missing (sequence jumps from " + std::to_string(expected - 1) + " to " +
                                      std::to_string(found) + ")");
    }

    // Row r does not check out. Its neighbours tell an edit from a move.
    LogVerification diagnose(const StoredEntry& row, bool hash_ok, bool link_ok) {
        const std::uint64_t r = row.seq;
        const std::string links_to(row.text.previous_hash);
        const std::string own_hash(row.hash);
        const std::string before = r == 1 ? std::string("the start of the log") : entry(r - 1);

        // The next entry links past this one to its predecessor: this one
        // was put in between, unless it is intact and merely out of place.
        StoredEntry next;
        const bool next_links_past = source_.next(next) && next.seq == r + 1 &&
                                     next.text.previous_hash == previous_hash_ && next.text.previous_hash != own_hash;
        const auto inserted = [&] {
            return tampered(r, entry(r) + " inserted (" + entry(r + 1) + " links to " + before + ", past it)");
        };

        if (!hash_ok)
            return next_links_past ? inserted()
                                   : tampered(r, entry(r) + " altered (its hash does not match its contents)");
        if (link_ok) return tampered(r, entry(r) + " altered (its leaf hash does not match its contents)");

        // Intact contents, wrong link: where does it point?
        const std::optional<std::uint64_t> target =
            links_to == genesis_hash ? std::optional<std::uint64_t>(0) : source_.seq_of_hash(links_to);
        if (!target) {
            if (next_links_past) return inserted();
            return r == 1 ? tampered(1, entry(1) +
                                            " altered (it does not start the chain: entries before it were "
                                            "removed, or it was rewritten)")
                          : tampered(r - 1, entry(r - 1) + " rewritten, or an entry after it removed (" + entry(r) +
                                                " links to a hash no entry has)");
        }
        const std::string target_name = *target == 0 ? "the start of the log" : entry(*target);
        if (*target == 0 || *target > r)
            return tampered(r, entry(r) + " reordered (it links to " + target_name + ", not to " + before + ")");
        if (*target + 2 == r)
            return tampered(r - 1, entry(r - 1) + " inserted (" + entry(r) + " links to " + target_name + ", past it)");
        if (*target + 2 < r)
            return tampered(*target + 1, "entries " + std::to_string(*target + 1) + " to " + std::to_string(r - 1) +
                                             " inserted or moved (" + entry(r) + " links to " + target_name + ")");
        return tampered(r, entry(r) + " altered (it links to a copy of an entry)");
    }

    EntrySource& source_;
    std::vector<Checkpoint> checkpoints_;
    const TrustedKeys& keys_;
    const VerifyProgress& progress_;

    MerkleAccumulator tree_;
    std::string previous_hash_{genesis_hash};
    std::string canonical_;
    std::string hash_hex_;
    std::size_t next_checkpoint_ = 0;
    std::optional<Checkpoint> last_good_;
    std::vector<std::string> signing_keys_;
};

}  // namespace

LogVerification verify_log(EntrySource& source, std::vector<Checkpoint> checkpoints, const TrustedKeys& keys,
                           const VerifyProgress& progress) {
    Verifier verifier(source, std::move(checkpoints), keys, progress);
    LogVerification result = verifier.run();
    result.entries = verifier.checked();
    result.last_checkpoint = verifier.last_good();
    result.signing_keys = verifier.signing_keys();
    return result;
}

LogVerification verify_log(EntrySource& source, std::vector<Checkpoint> checkpoints, const PublicKey* key,
                           const VerifyProgress& progress) {
    return verify_log(source, std::move(checkpoints), keys_of(key), progress);
}

TrustedKeys keys_of(const PublicKey* key) {
    TrustedKeys keys;
    if (key) keys.add(*key);
    return keys;
}

LogVerification unreadable_log(std::string line) {
    LogVerification result;
    result.status = LogStatus::unreadable;
    result.line = std::move(line);
    return result;
}

LogVerification tampered_log(std::string line) {
    LogVerification result;
    result.status = LogStatus::tampered;
    result.line = std::move(line);
    return result;
}

}  // namespace carebridge::gateway::audit
