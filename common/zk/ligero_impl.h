/* Internals shared by ligero.c (helpers), ligero_commit.c (commitments), ligero_prove.c,
 * ligero_verify.c (verifier, encoding) and the tests (which play cheating provers). Not a
 * public API. */
#ifndef APEX_ZK_LIGERO_IMPL_H
#define APEX_ZK_LIGERO_IMPL_H

#include <string.h>

#include "zk/ligero.h"
#include "zk/ntt.h"
#include "zk/par.h"

/* NTT plans for the three domain sizes. */
typedef struct ligero_plans {
    apex_ntt *b; /* |H_B| = BLOCK */
    apex_ntt *d; /* |H_D| = 2 BLOCK */
    apex_ntt *q; /* |Q| = 4 BLOCK (used as a coset transform with shift 7) */
} ligero_plans;

/* Randomness for pads, masks and salts: the secure generator (apex_secure_random), or a seeded
 * test generator. */
typedef struct ligero_rand {
    apex_rng *test;    /* seeded generator for golden tests, or NULL: apex_secure_random */
    uint8_t buf[4096]; /* buffered secure bytes */
    size_t pos;        /* next unread byte of buf; sizeof buf when empty */
} ligero_rand;

struct apex_ligero_commitment {
    apex_ligero_params p;          /* public shape */
    apex_ligero_dims d;            /* derived sizes */
    ligero_plans plans;            /* transforms for BLOCK, DBLOCK and 4 BLOCK */
    apex_ligero_row_fn rows;       /* source of witness rows (NULL for masking commitments) */
    void *rows_ctx;                /* its context */
    apex_ligero_row_i8_fn rows_i8; /* the same rows as int8, or NULL */
    apex_gl *owned;                /* [nw] witness copy behind apex_ligero_commit, else NULL */
    uint8_t seed[32];              /* secret AES-256 key of the pads (IV = row index) */
    apex_gl *coef;                 /* [nrow][4 BLOCK] coefficients kept in memory: masking
                                      commitments only (degrees up to 3 BLOCK - 2), else NULL */
    uint8_t *salts;                /* [nq][APEX_MERKLE_SALT_LEN] leaf salts */
    apex_merkle *tree;             /* Merkle tree over the nq columns */
    apex_hash root;                /* its root */
    size_t opened;                 /* openings used so far; never more than d.budget */
    size_t noise_row;              /* tests only: this row's encoding gets noise (SIZE_MAX: none) */
    char *cache_path;              /* tableau cache file, or NULL */
    uint8_t *mtab;                 /* [nrow * nq * 8] the tableau in memory, in the cache file's
                                      group layout (APEX_LIGERO_TABLEAU_MEM), or NULL */
    const char *cache_note;        /* why the last opening did not use the cache (NULL: it did) */
};

/* Rows per group of the tableau cache file (columns are contiguous within a group). */
#define LIGERO_CACHE_GROUP 32u
/* Size of the cache file header. */
#define LIGERO_CACHE_HDR 128u

/* Columns qidx[0..nreq) of every row from c's tableau in memory (c->mtab): cols[k * nrow +
 * row]. */
void ligero_mem_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                        apex_gl *cols);
/* Little-endian 64-bit words: the cache file, the in-memory tableau and saved commitments. */
static inline void ligero_put64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, 8);
#else
    for (int b = 0; b < 8; b++)
        p[b] = (uint8_t)(v >> (8 * b));
#endif
}

static inline uint64_t ligero_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int b = 7; b >= 0; b--)
        v = (v << 8) | p[b];
    return v;
}

/* The 128-byte cache header of commitment c (shape and root). */
void ligero_cache_header(const apex_ligero_commitment *c, uint8_t hdr[LIGERO_CACHE_HDR]);
/* Columns qidx[0..nreq) of every row from c's cache file, each re-hashed against its Merkle
 * leaf: cols[k * nrow + row]. APEX_ERR_NOT_FOUND when the file does not exist (the caller
 * re-encodes), other errors with *why naming the problem. */
int ligero_cache_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                         apex_gl *cols, const char **why);

void ligero_rand_init(ligero_rand *r, apex_rng *test);
/* Uniform field elements by rejection (no bias). */
int ligero_rand_gl(ligero_rand *r, apex_gl *out, size_t n);
int ligero_rand_bytes(ligero_rand *r, void *out, size_t n);

int ligero_plans_init(ligero_plans *pl, unsigned log_block);
void ligero_plans_free(ligero_plans *pl);

/* Evaluate an F_p2 polynomial with n <= 4 BLOCK coefficients on Q: out[q] for q < 4 BLOCK.
 * tmp holds 4 BLOCK base elements. */
void ligero_extend_q(const ligero_plans *pl, const apex_gl2 *coef, size_t n, apex_gl2 *out,
                     apex_gl *tmp);
/* Interpolate an F_p2 row given by its values on H_B into BLOCK coefficients, in place.
 * tmp holds BLOCK base elements. */
void ligero_interp_b(const ligero_plans *pl, apex_gl2 *row, size_t block, apex_gl *tmp);

/* Where commitment k's witness starts in the concatenated witness, and its first row in
 * the concatenated row list; filled for k = 0..n (the last entry holds the totals). */
typedef struct ligero_layout {
    size_t w_off[APEX_LIGERO_MAX_COMMITS + 1]; /* witness offsets */
    size_t r_off[APEX_LIGERO_MAX_COMMITS + 1]; /* row offsets */
} ligero_layout;

/* Check that n commitments can share one proof (same BLOCK and nreq, valid shapes) and
 * fill their dims and layout. APEX_ERR_INVALID with *reason otherwise. */
int ligero_joint_shape(const apex_ligero_params *ps, size_t n, apex_ligero_dims *dims,
                       ligero_layout *lay, const char **reason);

/* One sparse contribution to the constraint weights: weights[row][slot] += f. */
typedef struct ligero_contrib {
    size_t row;  /* row among the concatenated rows */
    size_t slot; /* slot on H_B (every slot is a witness slot) */
    apex_gl2 f;  /* alpha_c * coef for a linear term, beta_c * coef for a tensor's term */
} ligero_contrib;

/* Every sparse contribution (the linear terms scaled by alpha, the tensor claims' sparse
 * terms scaled by beta), sorted by row, in *out (free() it). Memory O(terms), never
 * O(rows * BLOCK): weights are built one row at a time. APEX_ERR_RANGE for a linear term
 * outside the witness or constraint range. */
int ligero_contribs(const apex_ligero_params *ps, const apex_ligero_dims *dims, size_t n,
                    const ligero_layout *lay, const apex_ligero_constraints *cons,
                    const apex_gl2 *alpha, const apex_gl2 *beta, ligero_contrib **out,
                    size_t *count);
/* Add the contributions of row g (those at c[*pos..] with row == g; *pos advances) into
 * out[BLOCK]. Returns 1 when row g had any. */
int ligero_row_weights(const ligero_contrib *c, size_t count, size_t *pos, size_t g, apex_gl2 *out);
/* Check the tensor claims against the shapes (commitment index, canonical weights, sparse
 * terms inside the concatenated witness). */
int ligero_tensor_shape(const apex_ligero_dims *dims, size_t n, const ligero_layout *lay,
                        const apex_ligero_constraints *cons, const char **reason);
/* leaf = H(0x00 || salt || le64(col[0]) || ... || le64(col[nrow-1])). */
int ligero_leaf(const uint8_t *salt, const apex_gl *col, size_t nrow, apex_hash *out);

/* Absorb every commitment's shape and root, the ephemeral root, then a SHA-256 digest of the
 * whole constraint system (terms, quadratic triples, tensor weights and terms). */
int ligero_absorb_header(apex_transcript *t, const apex_ligero_params *ps, const apex_hash *roots,
                         size_t n, const apex_hash *eph_root, const apex_ligero_constraints *cons);

/* Values of row i on H_B, all witness (the row source's values): out[BLOCK].
 * APEX_ERR_RANGE when the source hands out a non-canonical element. */
int ligero_row_values(const apex_ligero_commitment *c, size_t i, apex_gl *out);
/* Pads of row i (the coefficients of R_i, regenerated): out[npad]. */
int ligero_row_pads(const apex_ligero_commitment *c, size_t i, apex_gl *out);
/* Coefficients of row i: out[4 BLOCK], zero above the degree (< BLOCK + npad for witness
 * rows: p = W + Z_H R; < 3 BLOCK for masking rows). */
int ligero_row_coef(const apex_ligero_commitment *c, size_t i, apex_gl *out);
/* coef += Z_H r = (X^BLOCK - 1) r for r of nr coefficients (coef holds BLOCK + nr; r may
 * overlap nothing of coef). */
void ligero_add_zh(apex_gl *coef, size_t block, const apex_gl *r, size_t nr);
void ligero_add_zh2(apex_gl2 *coef, size_t block, const apex_gl2 *r, size_t nr);
/* Coefficient counts of the three responses for BLOCK and NP = the largest npad of a proof:
 * ldt BLOCK + NP, dot 2 BLOCK + NP - 1, quad (the quotient by Z_H) BLOCK + 2 NP - 1. */
void ligero_response_lengths(size_t block, size_t np, size_t *nld, size_t *ndot, size_t *nqd);
/* Z_H(x) = x^BLOCK - 1 at the points of Q: it depends only on the index mod 4 (x^BLOCK =
 * 7^BLOCK i^(index mod 4), i a primitive 4th root of unity). zh[t] for t < 4, never zero. */
void ligero_zh_on_q(unsigned log_block, apex_gl zh[4]);
/* The largest npad of ps[0..n). */
size_t ligero_max_npad(const apex_ligero_params *ps, size_t n);
/* Row i on Q: out[4 BLOCK]. */
int ligero_row_on_q(const apex_ligero_commitment *c, size_t i, apex_gl *out);
/* The columns qidx[0..nreq) of every row, re-encoded: cols[k * nrow + row]. */
int ligero_open_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                        apex_gl *cols);
/* Commit from a row source (fn) or a witness array (fn NULL); noise_row != SIZE_MAX plays a
 * cheating prover whose row is no codeword (tests only). */
apex_ligero_commitment *ligero_commit_impl(const apex_ligero_params *p, apex_ligero_row_fn fn,
                                           void *ctx, const apex_gl *w, size_t nw,
                                           apex_rng *test_rng, size_t noise_row, apex_hash *root,
                                           const char **reason);
/* ligero_commit_impl writing the tableau cache to cache_path (NULL: none). */
apex_ligero_commitment *ligero_commit_impl_cached(const apex_ligero_params *p,
                                                  apex_ligero_row_fn fn, void *ctx,
                                                  const apex_gl *w, size_t nw, apex_rng *test_rng,
                                                  size_t noise_row, const char *cache_path,
                                                  unsigned flags, apex_hash *root,
                                                  const char **reason);
/* Tests only: from now on the noise row of a commitment is a codeword with one more pad,
 * p + Z_H X^k (same values on H_B, degree BLOCK + k), instead of a noisy row; SIZE_MAX turns
 * that off. Used with the reference pass (which builds everything from the coefficients) to
 * pin the degree bound: k = NP - 1 must be accepted, k = NP rejected. Not thread-safe. */
void ligero_test_set_extra_pad(size_t k);
/* Tests only: the verifier evaluates a row's sparse weights at the opened points by the
 * barycentric formula when contributions x NREQ <= max (default 2^19), else by interpolating
 * and extending to Q; 0 forces the second path. Both give the same field elements. */
void ligero_test_set_dot_sparse_max(size_t max);
/* Tests only: perturb the noise row at about 1/mod of the columns instead of all of them, so
 * that a verifier checking only some opened columns is caught (review finding 2). Not
 * thread-safe against concurrent commits; set it, commit and prove, reset it to 1. */
void ligero_test_set_noise_mod(size_t mod);
/* Tests only: in-memory tableaux cannot be allocated (the commit falls back to streaming). */
void ligero_test_set_no_mtab(int on);
/* Allocate a commitment object of the given shape (rows zeroed). */
apex_ligero_commitment *ligero_alloc(const apex_ligero_params *p, const apex_ligero_dims *d);
/* The ephemeral masking commitment of one proof (APEX_LIGERO_NMASK rows) for NP = np, the
 * largest npad of the proof's commitments (coefficients kept in memory, [nrow][4 BLOCK]). */
apex_ligero_commitment *ligero_commit_masks(unsigned log_block, size_t nreq, size_t np,
                                            ligero_rand *rs);

/* Check that the quadratic triples name rows of the layout. APEX_ERR_INVALID otherwise. */
int ligero_quad_shape(const ligero_layout *lay, size_t n, const apex_ligero_quad *quads,
                      size_t nquad, const char **reason);

/* One F_p2 combination of one commitment's rows: out[s] = sum_i w[i] * (row i on H_B)[s]
 * and pout[s] = sum_i w[i] * R_i[s], so that sum_i w[i] p_i = interp(out) + Z_H pout. */
typedef struct ligero_comb {
    size_t k;          /* index of the commitment in the pass's list */
    const apex_gl2 *w; /* [nrow of that commitment] row coefficients (canonical) */
    apex_gl2 *out;     /* [BLOCK] the combination's values on H_B */
    apex_gl2 *pout;    /* [npad of that commitment] the pads' combination, or NULL */
} ligero_comb;

/* Called by ligero_comb_pass for each flagged row with its values on H_B followed by its
 * npad pads (vals[BLOCK + npad]), from the thread of slice `slice` (< APEX_ZK_THREADS); it
 * must only write that slice's outputs. */
typedef int (*ligero_hook)(void *ctx, size_t slice, size_t k, size_t i, const apex_gl *vals);

/* One streaming pass over the rows of cs[0..n) (ligero_pass.c): every combination at once,
 * lazily reduced, int8 rows on a vectorized path, split over the threads; also calls hook
 * on the rows with hook_rows[g] set (g indexes the concatenated rows of lay). Rows of a
 * commitment without a combination are generated only when flagged. Results are exact. */
int ligero_comb_pass(apex_ligero_commitment *const *cs, size_t n, const ligero_layout *lay,
                     const ligero_comb *cb, size_t ncb, const uint8_t *hook_rows, ligero_hook hook,
                     void *hctx);
/* Tests only: 1 makes the prover use the reference per-row path (NTT per row) instead of
 * ligero_comb_pass; proofs must be identical either way. */
void ligero_test_set_reference_pass(int on);

/* apex_ligero_prove with the claimed right-hand sides taken from claim instead of computed
 * from the witness when claim != NULL: lets tests play a prover that lies about b. */
int ligero_prove_claiming(apex_ligero_commitment *const *cs, size_t n, apex_transcript *t,
                          const apex_ligero_constraints *cons, const apex_gl *claim,
                          apex_rng *test_rng, apex_ligero_proof *out, const char **reason);

#endif /* APEX_ZK_LIGERO_IMPL_H */
