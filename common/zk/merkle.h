/* SHA-256 Merkle tree over salted leaves, with batched multi-openings.
 *
 * Layout (docs/PROOF.md, "Merkle"): for n leaves the tree is an array of 2n nodes in heap
 * order; leaf j sits at node n + j, internal node i (1 <= i < n) has children 2i and 2i+1,
 * and node 1 is the root. This works for any n >= 1, not only powers of two (NCOL =
 * DBLOCK + 4*BLOCK need not be one); the shape is a function of n alone, and n is fixed by
 * the public parameters, never read from a proof.
 *
 *   leaf hash = SHA-256(0x00 || salt_j || column_j)   salt_j: APEX_MERKLE_SALT_LEN bytes
 *   node hash = SHA-256(0x01 || left || right)
 *
 * The distinct prefixes keep a leaf from being reinterpreted as a node; the salt keeps an
 * opened leaf hash from revealing anything about unopened columns' contents.
 *
 * A multi-opening for a set of leaf indices is the list of sibling hashes the verifier
 * cannot compute itself, in the order the verifier consumes them: walking node indices
 * from high to low, whenever a node's sibling is not already known. So shared path
 * segments are sent once.
 */
#ifndef APEX_ZK_MERKLE_H
#define APEX_ZK_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "zk/params.h"

/* One SHA-256 digest. */
typedef struct apex_hash {
    uint8_t b[APEX_SHA256_LEN]; /* digest bytes */
} apex_hash;

typedef struct apex_merkle apex_merkle;

/* leaf = SHA-256(0x00 || salt || data[0..len)). */
int apex_merkle_leaf_hash(const uint8_t salt[APEX_MERKLE_SALT_LEN], const void *data, size_t len,
                          apex_hash *out);
/* node = SHA-256(0x01 || left || right). */
int apex_merkle_node_hash(const apex_hash *left, const apex_hash *right, apex_hash *out);

/* A prover-side tree for n_leaves leaves, 1 <= n_leaves <= 2^APEX_MERKLE_MAX_LOG; NULL on a
 * bad size or out of memory. Holds 2n hashes. */
apex_merkle *apex_merkle_new(size_t n_leaves);
void apex_merkle_destroy(apex_merkle **t);
size_t apex_merkle_leaves(const apex_merkle *t);
/* Set leaf j's hash (from apex_merkle_leaf_hash). */
int apex_merkle_set_leaf(apex_merkle *t, size_t j, const apex_hash *leaf);
/* Leaf j's hash as set (APEX_ERR_RANGE for j outside the tree). */
int apex_merkle_get_leaf(const apex_merkle *t, size_t j, apex_hash *leaf);
/* Compute every internal node once all leaves are set; writes the root. */
int apex_merkle_build(apex_merkle *t, apex_hash *root);

/* Largest number of sibling hashes an opening of k leaves can hold: k * depth. */
size_t apex_merkle_open_max(size_t n_leaves, size_t k);
/* Multi-opening of the k leaves idx[0..k) (any order, distinct, < n). Writes the sibling
 * hashes to sib (capacity cap hashes) and their count to *n_sib. APEX_ERR_RANGE for an
 * out-of-range index, APEX_ERR_INVALID for a duplicate, APEX_ERR_TOO_LARGE when cap is
 * too small. The tree must be built. */
int apex_merkle_open(const apex_merkle *t, const size_t *idx, size_t k, apex_hash *sib, size_t cap,
                     size_t *n_sib);

/* Check that leaves leaf[0..k) sit at idx[0..k) of the n_leaves-leaf tree with this root,
 * using exactly n_sib sibling hashes. Returns APEX_OK, or APEX_ERR_REJECTED with *reason set
 * (out-of-range or duplicate index, missing or surplus siblings, root mismatch); other
 * negative codes for allocation or hashing failures. Memory: O(k) hashes. */
int apex_merkle_verify(const apex_hash *root, size_t n_leaves, const size_t *idx,
                       const apex_hash *leaf, size_t k, const apex_hash *sib, size_t n_sib,
                       const char **reason);

#endif /* APEX_ZK_MERKLE_H */
