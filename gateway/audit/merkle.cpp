#include "audit/merkle.hpp"

#include <bit>

namespace carebridge::gateway::audit {
namespace {

constexpr std::string_view node_prefix("\x01", 1);

// The largest power of two strictly less than n (n >= 2): RFC 6962's split.
std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

// PATH(m, D[n]) appended to `proof`, deepest sibling first.
void path(std::span<const Hash> leaves, std::uint64_t m, std::vector<Hash>& proof) {
    if (leaves.size() <= 1) return;
    const std::uint64_t k = split_point(leaves.size());
    if (m < k) {
        path(leaves.first(k), m, proof);
        proof.push_back(merkle_root(leaves.subspan(k)));
    } else {
        path(leaves.subspan(k), m - k, proof);
        proof.push_back(merkle_root(leaves.first(k)));
    }
}

// SUBPROOF(m, D[n], b) appended to `proof`.
void subproof(std::span<const Hash> leaves, std::uint64_t m, bool complete_subtree, std::vector<Hash>& proof) {
    const std::uint64_t n = leaves.size();
    if (m == n) {
        if (!complete_subtree) proof.push_back(merkle_root(leaves));
        return;
    }
    const std::uint64_t k = split_point(n);
    if (m <= k) {
        subproof(leaves.first(k), m, complete_subtree, proof);
        proof.push_back(merkle_root(leaves.subspan(k)));
    } else {
        subproof(leaves.subspan(k), m - k, false, proof);
        proof.push_back(merkle_root(leaves.first(k)));
    }
}

// Shifts both right until fn's lowest bit is set or fn is 0 (RFC 9162 wording).
void shift_while_even(std::uint64_t& fn, std::uint64_t& sn) {
    while (fn != 0 && (fn & 1) == 0) {
        fn >>= 1;
        sn >>= 1;
    }
}

}  // namespace

Hash node_hash(const Hash& left, const Hash& right) { return sha256(node_prefix, as_bytes(left), as_bytes(right)); }

Hash empty_tree_root() { return sha256({}); }

void MerkleAccumulator::append(const Hash& leaf) {
    // The subtree sizes are the set bits of size_, smallest last; a new leaf
    // merges with the last subtree once per trailing one bit, like a binary carry.
    Hash carry = leaf;
    for (std::uint64_t size = size_; size & 1; size >>= 1) carry = node_hash(subtrees_[--count_], carry);
    subtrees_[count_++] = carry;
    ++size_;
}

Hash MerkleAccumulator::root() const {
    if (count_ == 0) return empty_tree_root();
    // RFC 6962 splits off the largest perfect subtree on the left at every
    // level, so the root folds the subtrees from the smallest up.
    Hash root = subtrees_[count_ - 1];
    for (int i = count_ - 2; i >= 0; --i) root = node_hash(subtrees_[i], root);
    return root;
}

std::string MerkleAccumulator::frontier() const {
    std::string bytes;
    bytes.reserve(count_ * sizeof(Hash));
    for (std::uint8_t i = 0; i < count_; ++i) bytes.append(as_bytes(subtrees_[i]));
    return bytes;
}

std::optional<MerkleAccumulator> MerkleAccumulator::resume(std::uint64_t size, std::string_view frontier) {
    const auto count = static_cast<std::size_t>(std::popcount(size));
    if (frontier.size() != count * sizeof(Hash)) return std::nullopt;
    MerkleAccumulator accumulator;
    for (std::size_t i = 0; i < count; ++i) {
        const auto root = hash_from_bytes(frontier.substr(i * sizeof(Hash), sizeof(Hash)));
        if (!root) return std::nullopt;
        accumulator.subtrees_[i] = *root;
    }
    accumulator.count_ = static_cast<std::uint8_t>(count);
    accumulator.size_ = size;
    return accumulator;
}

Hash merkle_root(std::span<const Hash> leaves) {
    MerkleAccumulator accumulator;
    for (const Hash& leaf : leaves) accumulator.append(leaf);
    return accumulator.root();
}

std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index) {
    std::vector<Hash> proof;
    if (index >= leaves.size()) return proof;
    path(leaves, index, proof);
    return proof;
}

std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t old_size) {
    std::vector<Hash> proof;
    if (old_size == 0 || old_size >= leaves.size()) return proof;
    subproof(leaves, old_size, true, proof);
    return proof;
}

bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t tree_size, std::span<const Hash> proof,
                      const Hash& root) {
    if (index >= tree_size) return false;
    std::uint64_t fn = index;
    std::uint64_t sn = tree_size - 1;
    Hash r = leaf;
    for (const Hash& p : proof) {
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            r = node_hash(p, r);
            if (!(fn & 1)) shift_while_even(fn, sn);
        } else {
            r = node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        std::span<const Hash> proof) {
    if (old_size == 0 || old_size > new_size) return false;
    if (old_size == new_size) return proof.empty() && old_root == new_root;
    if (proof.empty()) return false;

    // Step 2: when the old tree is a perfect subtree its root is the proof's
    // implicit first element.
    std::vector<Hash> path;
    path.reserve(proof.size() + 1);
    if (std::has_single_bit(old_size)) path.push_back(old_root);
    path.insert(path.end(), proof.begin(), proof.end());

    std::uint64_t fn = old_size - 1;
    std::uint64_t sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    Hash fr = path.front();
    Hash sr = path.front();
    for (std::size_t i = 1; i < path.size(); ++i) {
        const Hash& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1) || fn == sn) {
            fr = node_hash(c, fr);
            sr = node_hash(c, sr);
            if (!(fn & 1)) shift_while_even(fn, sn);
        } else {
            sr = node_hash(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace carebridge::gateway::audit
