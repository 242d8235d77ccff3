// The Merkle tree against an independent implementation written here from
// RFC 6962 §2.1's recursive definitions (MTH, PATH, PROOF), hashing with
// OpenSSL's one-shot SHA256, and against Certificate Transparency's published
// test vectors.

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <bit>
#include <string>
#include <vector>

#include "audit/hash.hpp"
#include "audit/merkle.hpp"

namespace {

using namespace carebridge::gateway::audit;
using Leaves = std::vector<Hash>;

// ---- the reference, straight from RFC 6962 ------------------------------------

Hash reference_sha256(const std::string& bytes) {
    Hash out{};
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
    return out;
}

std::string bytes_of(const Hash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

Hash reference_leaf(const std::string& data) { return reference_sha256(std::string(1, '\0') + data); }

Hash reference_node(const Hash& l, const Hash& r) { return reference_sha256("\x01" + bytes_of(l) + bytes_of(r)); }

std::size_t largest_power_of_two_below(std::size_t n) {
    std::size_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

Leaves slice(const Leaves& d, std::size_t from, std::size_t to) { return Leaves(d.begin() + from, d.begin() + to); }

Hash mth(const Leaves& d) {
    if (d.empty()) return reference_sha256("");
    if (d.size() == 1) return d[0];
    const std::size_t k = largest_power_of_two_below(d.size());
    return reference_node(mth(slice(d, 0, k)), mth(slice(d, k, d.size())));
}

Leaves reference_path(std::size_t m, const Leaves& d) {
    if (d.size() == 1) return {};
    const std::size_t k = largest_power_of_two_below(d.size());
    Leaves out;
    if (m < k) {
        out = reference_path(m, slice(d, 0, k));
        out.push_back(mth(slice(d, k, d.size())));
    } else {
        out = reference_path(m - k, slice(d, k, d.size()));
        out.push_back(mth(slice(d, 0, k)));
    }
    return out;
}

Leaves reference_subproof(std::size_t m, const Leaves& d, bool b) {
    const std::size_t n = d.size();
    if (m == n) return b ? Leaves{} : Leaves{mth(d)};
    const std::size_t k = largest_power_of_two_below(n);
    Leaves out;
    if (m <= k) {
        out = reference_subproof(m, slice(d, 0, k), b);
        out.push_back(mth(slice(d, k, n)));
    } else {
        out = reference_subproof(m - k, slice(d, k, n), false);
        out.push_back(mth(slice(d, 0, k)));
    }
    return out;
}

Leaves reference_proof(std::size_t m, const Leaves& d) { return reference_subproof(m, d, true); }

// An independent inclusion check: rebuild the root from the leaf and the
// path by walking the same recursion the path was made by.
Hash root_from_path(std::size_t m, std::size_t n, const Hash& leaf, const Leaves& path, std::size_t& used) {
    if (n == 1) return leaf;
    const std::size_t k = largest_power_of_two_below(n);
    if (m < k) {
        const Hash left = root_from_path(m, k, leaf, path, used);
        return reference_node(left, path.at(used++));
    }
    const Hash right = root_from_path(m - k, n - k, leaf, path, used);
    return reference_node(path.at(used++), right);
}

Leaves leaves_of(std::size_t n) {
    Leaves d;
    for (std::size_t i = 0; i < n; ++i) d.push_back(reference_leaf("entry " + std::to_string(i)));
    return d;
}

Hash from_hex(const char* hex) { return hash_from_hex(hex).value(); }

// ---- the tests -----------------------------------------------------------------

TEST(Merkle, RootsMatchTheReferenceForEverySizeFrom0To70) {
    const Leaves all = leaves_of(70);
    for (std::size_t n = 0; n <= 70; ++n) {
        const Leaves d = slice(all, 0, n);
        EXPECT_EQ(merkle_root(d), mth(d)) << "size " << n;
    }
}

TEST(Merkle, TheAccumulatorGivesTheRootAtEverySize) {
    const Leaves all = leaves_of(70);
    MerkleAccumulator accumulator;
    EXPECT_EQ(accumulator.root(), mth({}));
    for (std::size_t n = 1; n <= 70; ++n) {
        accumulator.append(all[n - 1]);
        ASSERT_EQ(accumulator.size(), n);
        EXPECT_EQ(accumulator.root(), mth(slice(all, 0, n))) << "size " << n;
    }
    // Copied, it carries on independently: what the store's rollback relies on.
    MerkleAccumulator copy = accumulator;
    copy.append(reference_leaf("extra"));
    EXPECT_EQ(accumulator.root(), mth(all));
    Leaves more = all;
    more.push_back(reference_leaf("extra"));
    EXPECT_EQ(copy.root(), mth(more));
}

TEST(Merkle, CertificateTransparencyVectors) {
    const std::vector<std::string> inputs{"",
                                          std::string(1, '\0'),
                                          "\x10",
                                          "\x20\x21",
                                          "\x30\x31",
                                          "\x40\x41\x42\x43",
                                          "\x50\x51\x52\x53\x54\x55\x56\x57",
                                          "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"};
    const char* roots[] = {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                           "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                           "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                           "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                           "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                           "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                           "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                           "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                           "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
    Leaves d;
    for (const std::string& input : inputs) d.push_back(sha256(std::string_view("\0", 1), input));
    for (std::size_t n = 0; n <= 8; ++n) EXPECT_EQ(to_hex(merkle_root(slice(d, 0, n))), roots[n]) << "size " << n;

    EXPECT_EQ(inclusion_proof(d, 0),
              (Leaves{from_hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                      from_hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                      from_hex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}));
    EXPECT_EQ(inclusion_proof(d, 5),
              (Leaves{from_hex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                      from_hex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                      from_hex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}));
    EXPECT_EQ(consistency_proof(d, 1),
              (Leaves{from_hex("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                      from_hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                      from_hex("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}));
    EXPECT_EQ(consistency_proof(d, 6),
              (Leaves{from_hex("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                      from_hex("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                      from_hex("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}));
    EXPECT_EQ(consistency_proof(slice(d, 0, 5), 2),
              (Leaves{from_hex("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                      from_hex("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}));
}

TEST(Merkle, InclusionProofsMatchTheReferenceAndVerifyForEverySizeAndIndex) {
    const Leaves all = leaves_of(70);
    for (std::size_t n = 1; n <= 70; ++n) {
        const Leaves d = slice(all, 0, n);
        const Hash root = mth(d);
        for (std::size_t m = 0; m < n; ++m) {
            const Leaves proof = inclusion_proof(d, m);
            ASSERT_EQ(proof, reference_path(m, d)) << "size " << n << " index " << m;
            std::size_t used = 0;
            EXPECT_EQ(root_from_path(m, n, d[m], proof, used), root);
            EXPECT_EQ(used, proof.size());
            EXPECT_TRUE(verify_inclusion(d[m], m, n, proof, root)) << "size " << n << " index " << m;
        }
    }
}

TEST(Merkle, InclusionVerificationRefusesWhatIsNotProven) {
    const Leaves d = leaves_of(45);
    const Hash root = mth(d);
    for (std::size_t m : {0u, 1u, 17u, 31u, 32u, 44u}) {
        const Leaves proof = inclusion_proof(d, m);
        EXPECT_FALSE(verify_inclusion(d[(m + 1) % d.size()], m, d.size(), proof, root)) << m;  // another leaf
        EXPECT_FALSE(verify_inclusion(d[m], (m + 1) % d.size(), d.size(), proof, root)) << m;  // another index
        // (A different size of the same shape proves the same thing: the
        // size a verifier uses comes from the signed checkpoint, not the proof.)
        EXPECT_FALSE(verify_inclusion(d[m], m, 2 * d.size(), proof, root)) << m;              // a size of another shape
        EXPECT_FALSE(verify_inclusion(d[m], m, d.size(), proof, mth(slice(d, 0, 44)))) << m;  // another root
        Leaves bent = proof;
        bent[bent.size() / 2][0] ^= 1;
        EXPECT_FALSE(verify_inclusion(d[m], m, d.size(), bent, root)) << m;
        Leaves shorter(proof.begin(), proof.end() - 1);
        EXPECT_FALSE(verify_inclusion(d[m], m, d.size(), shorter, root)) << m;
        Leaves longer = proof;
        longer.push_back(root);
        EXPECT_FALSE(verify_inclusion(d[m], m, d.size(), longer, root)) << m;
    }
    EXPECT_FALSE(verify_inclusion(d[0], 45, 45, {}, root));  // past the end
    EXPECT_TRUE(verify_inclusion(d[0], 0, 1, {}, d[0]));     // a one-leaf tree's root is its leaf
}

TEST(Merkle, ConsistencyProofsMatchTheReferenceAndVerifyForEveryPairOfSizes) {
    const Leaves all = leaves_of(70);
    for (std::size_t n = 1; n <= 70; ++n) {
        const Leaves d = slice(all, 0, n);
        const Hash new_root = mth(d);
        for (std::size_t m = 1; m <= n; ++m) {
            const Hash old_root = mth(slice(d, 0, m));
            const Leaves proof = consistency_proof(d, m);
            ASSERT_EQ(proof, m == n ? Leaves{} : reference_proof(m, d)) << m << " -> " << n;
            EXPECT_TRUE(verify_consistency(m, n, old_root, new_root, proof)) << m << " -> " << n;
        }
    }
}

TEST(Merkle, ConsistencyVerificationRefusesALogThatDidNotOnlyGrow) {
    const Leaves d = leaves_of(53);
    Leaves forked = d;
    forked[20] = reference_leaf("rewritten");  // the same size, one entry changed
    for (std::size_t m : {1u, 7u, 16u, 21u, 32u, 40u}) {
        const Hash old_root = mth(slice(d, 0, m));
        const Leaves proof = consistency_proof(d, m);
        EXPECT_FALSE(verify_consistency(m, d.size(), old_root, mth(forked), proof)) << m;
        EXPECT_FALSE(verify_consistency(m, d.size(), old_root, mth(d), consistency_proof(d, m == 1 ? 2 : m - 1))) << m;
        Leaves bent = proof;
        bent.back()[31] ^= 0x80;
        EXPECT_FALSE(verify_consistency(m, d.size(), old_root, mth(d), bent)) << m;
        EXPECT_FALSE(verify_consistency(m, d.size(), reference_leaf("other"), mth(d), proof)) << m;
    }
    // A change inside the old tree is caught whichever root is believed.
    const Leaves proof = consistency_proof(forked, 30);
    EXPECT_FALSE(verify_consistency(30, 53, mth(slice(d, 0, 30)), mth(forked), proof));
    EXPECT_FALSE(verify_consistency(0, 53, mth({}), mth(d), {}));
    EXPECT_FALSE(verify_consistency(54, 53, mth(d), mth(d), {}));
    EXPECT_FALSE(verify_consistency(53, 53, mth(d), mth(forked), {}));
    EXPECT_FALSE(verify_consistency(20, 53, mth(slice(d, 0, 20)), mth(d), {}));
}

}  // namespace
