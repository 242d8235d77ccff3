#pragma once
// The audit log's Merkle tree, exactly RFC 6962 §2.1 (as restated in RFC 9162
// §2.1): the leaves are the entries' leaf hashes (audit/entry_bytes.hpp),
//
//   MTH({})      = SHA-256("")
//   MTH({d0})    = the leaf hash
//   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n
//
// so any RFC 6962 / Certificate Transparency verifier checks our proofs.
// Inclusion proofs are RFC 6962's PATH(m, D[n]), consistency proofs its
// PROOF(m, D[n]); the verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by
// step. Proofs are built from the leaf hashes of the whole tree (32 bytes per
// entry: 32 MB at a million entries) in time linear in the tree's size.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/hash.hpp"

namespace carebridge::gateway::audit {

Hash node_hash(const Hash& left, const Hash& right);  // SHA-256(0x01 || left || right)
Hash empty_tree_root();                               // SHA-256 of nothing

// The root of a growing tree kept in O(log n) space: the roots of the
// perfect subtrees that make up its leaves (one per set bit of the size),
// largest first. Appending is amortised one node hash; the root of the tree
// so far costs one hash per subtree. Copyable without allocation, so the
// store's writer can keep one and put it back when a transaction rolls back.
class MerkleAccumulator {
public:
    void append(const Hash& leaf);
    Hash root() const;
    std::uint64_t size() const { return size_; }

    // The subtree roots, largest first, 32 bytes each: with size() all it
    // takes to carry the tree on elsewhere (the PostgreSQL store keeps them
    // in its chain head so every instance appends to one tree).
    std::string frontier() const;
    // The accumulator whose size() and frontier() these are; nullopt when
    // the frontier does not hold one root per set bit of `size`.
    static std::optional<MerkleAccumulator> resume(std::uint64_t size, std::string_view frontier);

private:
    std::array<Hash, 64> subtrees_{};  // [0, count_) largest first
    std::uint8_t count_ = 0;
    std::uint64_t size_ = 0;
};

Hash merkle_root(std::span<const Hash> leaves);

// PATH(index, D[n]) with n = leaves.size(); empty when index >= n.
std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index);

// PROOF(old_size, D[n]) with n = leaves.size(); empty when old_size is 0,
// equal to n, or larger than n (nothing to prove or nothing provable).
std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t old_size);

// RFC 9162 §2.1.3.2: does `proof` show `leaf` at `index` in the tree of
// `tree_size` leaves whose root is `root`?
bool verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t tree_size, std::span<const Hash> proof,
                      const Hash& root);

// RFC 9162 §2.1.4.2: does `proof` show the tree of `old_size` leaves with
// `old_root` is a prefix of the tree of `new_size` leaves with `new_root`?
// Equal sizes need an empty proof and equal roots; old_size 0 is refused.
bool verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        std::span<const Hash> proof);

}  // namespace carebridge::gateway::audit
