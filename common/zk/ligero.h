/* Ligero polynomial commitments and a joint proof of linear constraints over several of them,
 * with zero-knowledge masking; every challenge is an F_p2 element.
 *
 * Domains (docs/PROOF.md, "Ligero"), all inside Goldilocks' 2-adic subgroups:
 *   H_B = <w_B>,  |H_B| = BLOCK = 2^log_block   witness points; slot k is w_B^k
 *   Q   = 7 <w_4B>, |Q| = 4 BLOCK               the Reed-Solomon query domain; disjoint from
 *                                               H_B because 7 is no 2^k-th root, so
 *                                               Z_H(x) = x^BLOCK - 1 is never 0 on Q
 * Column indices follow the one convention of the decisions: NCOL = DBLOCK + 4 BLOCK
 * (DBLOCK = 2 BLOCK), and index c in [DBLOCK, NCOL) names the point 7 w_4B^(c - DBLOCK).
 * Only those columns are committed (Merkle leaf c - DBLOCK); queries are drawn from
 * [DBLOCK, NCOL) without replacement, and one proof opens the same columns in every tree.
 *
 * A commitment holds witness rows only: row i is p_i = W_i + Z_H R_i, with W_i the
 * interpolation on H_B of BLOCK witness values (every slot of H_B is witness) and R_i a
 * uniform polynomial of degree < npad (the pads, outside H_B). p_i has degree < BLOCK + npad
 * and equals the witness on H_B. Each opening reveals nreq evaluations outside H_B, where
 * R_i's are uniform, so npad pads hide floor(npad / nreq) openings: the commitment counts
 * them and refuses more (the budget; decision 5). npad <= BLOCK / 2.
 *
 * With NP the largest npad of a proof's commitments, each proof makes a fresh ephemeral
 * commitment of masking rows, F_p2 rows stored as two base rows (decision 3):
 *   0, 1  ILDT.c0, ILDT.c1  uniform, degree < BLOCK + NP: masks the LDT response
 *   2, 3  IDOT.c0, IDOT.c1  uniform, degree < 2 BLOCK + NP - 1, summing to 0 over H_B
 *   4, 5  IQD.c0, IQD.c1    Z_H S with S uniform of degree < BLOCK + 2 NP - 1 (zero on H_B)
 * Fresh masks per proof are what allow a commitment to be opened again: two responses
 * with the same mask would reveal a combination of witness rows.
 *
 * Protocol (Fiat-Shamir, transcript t, after the caller absorbed the statement):
 *   absorb every commitment's shape and root, the ephemeral root and a digest of the
 *   constraint system; u = one F_p2 per witness row (all commitments): it only needs the
 *   rows fixed, so the prover computes the claims and sum u_i p_i in one pass; absorb the
 *   claims b and the tensor claims' values; alpha = one F_p2 per sparse constraint, beta =
 *   one F_p2 per tensor claim, v = one F_p2 per quadratic triple;
 *   prover sends ldt  = coefficients of ILDT + sum_i u_i p_i          (BLOCK + NP F_p2)
 *               dot  = coefficients of IDOT + sum_i r_i p_i          (2 BLOCK + NP - 1)
 *               quad = coefficients of (IQD + sum_i v_i (p_z - p_x p_y)) / Z_H
 *                                                                    (BLOCK + 2 NP - 1)
 *     where r_i interpolates, on H_B, row i's slice of A^T alpha + (tensors)^T beta;
 *   absorb ldt, dot, quad; draw nreq column indices; open them in every tree.
 * Verifier: batched Merkle checks per tree; the sum of dot over H_B, BLOCK times the sum of
 * its coefficients at multiples of BLOCK, equals alpha . b + beta . tval; at every opened
 * column x, ldt(x), dot(x) and Z_H(x) quad(x) match the column combinations. The response
 * lengths are the degree bounds. Quadratic constraints say row z = row x * row y on every
 * slot of H_B (any commitments); a caller proves W[a] * W[b] = W[c] by committing copy rows
 * and tying them to W with linear constraints (Longfellow's layout).
 */
#ifndef APEX_ZK_LIGERO_H
#define APEX_ZK_LIGERO_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "zk/encode.h"
#include "zk/field.h"
#include "zk/merkle.h"
#include "zk/transcript.h"

/* Rows of the ephemeral masking commitment. */
enum {
    APEX_LIGERO_ILDT = 0,  /* rows 0, 1: c0 and c1 of the F_p2 LDT mask */
    APEX_LIGERO_IDOT = 2,  /* rows 2, 3: c0 and c1 of the F_p2 dot mask */
    APEX_LIGERO_IQD = 4,   /* rows 4, 5: c0 and c1 of the F_p2 quadratic mask */
    APEX_LIGERO_NMASK = 6, /* rows in the ephemeral commitment */
};

/* Largest number of commitments one proof opens (C_G, C_w^e, C_w^(e+1), C_eph, spare). */
#define APEX_LIGERO_MAX_COMMITS 12u

/* Public shape of one commitment; both sides take it from their own configuration. All
 * commitments in one proof share log_block and nreq (shared columns). */
typedef struct apex_ligero_params {
    unsigned log_block; /* BLOCK = 2^log_block slots per row */
    size_t npad;        /* pads per row (R's degree bound, <= BLOCK / 2): hide floor(npad /
                           nreq) openings */
    size_t nreq;        /* columns opened per proof */
    size_t nwrow;       /* witness rows; witness capacity nwrow * BLOCK */
} apex_ligero_params;

/* Sizes derived from the parameters. */
typedef struct apex_ligero_dims {
    size_t block;  /* BLOCK */
    size_t wr;     /* witness slots per row: BLOCK (the pads are outside H_B) */
    size_t dblock; /* DBLOCK = 2 BLOCK */
    size_t nq;     /* committed columns, 4 BLOCK (rate 1/4) */
    size_t ncol;   /* DBLOCK + 4 BLOCK */
    size_t nrow;   /* rows in the commitment, nwrow */
    size_t nw;     /* witness capacity, nwrow * wr */
    size_t budget; /* openings the pads hide, npad / nreq */
} apex_ligero_dims;

/* One term of a linear constraint: coef * W[w] contributes to constraint c. W is the
 * concatenation of the witnesses of the commitments in the order the proof lists them. */
typedef struct apex_ligero_term {
    size_t c;     /* constraint index, < nlin */
    size_t w;     /* witness index into the concatenated witness */
    apex_gl coef; /* canonical coefficient */
} apex_ligero_term;

/* A quadratic constraint: on every slot of H_B, row z = row x * row y. Rows are indices
 * into the concatenated rows of the commitments (in proof order), of any commitments. */
typedef struct apex_ligero_quad {
    size_t x; /* first factor row */
    size_t y; /* second factor row */
    size_t z; /* product row */
} apex_ligero_quad;

/* A sparse term with an F_p2 coefficient: coef * W[w] (W the concatenated witness). */
typedef struct apex_ligero_xterm {
    size_t w;      /* witness index into the concatenated witness */
    apex_gl2 coef; /* canonical F_p2 coefficient */
} apex_ligero_xterm;

/* A tensor-structured linear claim on one commitment, with an F_p2 value:
 *     sum_{i < nrow} sum_{s < wr} row_w[i] * slot_w[s] * W[i][s] + sum_terms coef * W[w]
 *       = value,
 * W[i][s] being witness slot s of row i, and the optional sparse terms ranging over the
 * whole concatenated witness. With row_w = slot_w = NULL (commit ignored) it is a pure
 * sparse linear claim with F_p2 coefficients and value, e.g. a padded-sumcheck round
 * consistency check. The sparse part lets a claim tie
 * an evaluation to a committed, hidden value: <eq(pt), W> - V = 0 with V in another
 * commitment, which is how the padding layer keeps evaluations secret. An evaluation claim <eq(pt),
 * W> of a multilinear table laid out as rows x slots has this form (row_w = eq of the high
 * coordinates, slot_w = eq of the low ones). The verifier pays one interpolation and one extension
 * per tensor claim instead of one per row: this is how evaluation claims stay cheap. */
typedef struct apex_ligero_tensor {
    size_t commit;                  /* index of the commitment in the proof's list */
    const apex_gl2 *row_w;          /* [nrow of that commitment] row weights */
    const apex_gl2 *slot_w;         /* [wr of that commitment] witness-slot weights */
    const apex_ligero_xterm *terms; /* [nterms] extra sparse terms, or NULL */
    size_t nterms;                  /* number of extra sparse terms */
} apex_ligero_tensor;

/* The constraint system of a proof (public; the caller binds it, e.g. in params_digest). */
typedef struct apex_ligero_constraints {
    const apex_ligero_term *terms;     /* [nterms] sparse linear terms */
    size_t nterms;                     /* number of sparse linear terms */
    size_t nlin;                       /* number of sparse linear constraints (values b) */
    const apex_ligero_quad *quads;     /* [nquad] quadratic row triples */
    size_t nquad;                      /* number of quadratic constraints */
    const apex_ligero_tensor *tensors; /* [ntensor] tensor claims (values tval) */
    size_t ntensor;                    /* number of tensor claims */
} apex_ligero_constraints;

/* The opened columns of one tree. */
typedef struct apex_ligero_opening {
    apex_gl *cols;  /* [nreq][nrow] column values, in query draw order */
    uint8_t *salts; /* [nreq][APEX_MERKLE_SALT_LEN] the opened leaves' salts */
    apex_hash *sib; /* [nsib] Merkle multi-opening siblings */
    size_t nsib;    /* number of sibling hashes */
} apex_ligero_opening;

/* A proof over ncommit commitments; arrays are owned (apex_ligero_proof_free). */
typedef struct apex_ligero_proof {
    size_t ncommit;            /* commitments opened (not counting the ephemeral one) */
    apex_hash eph_root;        /* root of the ephemeral masking commitment */
    apex_gl2 *ldt;             /* [BLOCK + NP] coefficients of the LDT response */
    apex_gl2 *dot;             /* [2 BLOCK + NP - 1] coefficients of the dot response */
    apex_gl2 *quad;            /* [nquadv] coefficients of the quadratic quotient */
    size_t nquadv;             /* BLOCK + 2 NP - 1 with quadratic constraints, else 0 */
    apex_ligero_opening *open; /* [ncommit + 1] openings; the last is the ephemeral tree */
} apex_ligero_proof;

typedef struct apex_ligero_commitment apex_ligero_commitment;

/* Bits of proximity soundness of NREQ column queries when the proof's largest npad is np:
 * nreq * -log2(max((1 + rho) / 2, 2 rho)) with rho = (BLOCK + np) / (4 BLOCK), the rate of
 * the rows' code (docs/PROOF.md, "Soundness"). 0 for rho >= 1/2. */
double apex_ligero_soundness_bits(unsigned log_block, size_t np, size_t nreq);
/* The smallest NREQ that reaches `bits` when every commitment has pads_per_query * NREQ pads
 * (e.g. K_max + 1 openings), or 0 when none does with npad <= BLOCK / 2: v4's rate grows with
 * the pads, so a short BLOCK cannot reach 100 bits with 9 openings (2^12 tops out near 95,
 * at NREQ 209). */
size_t apex_ligero_nreq_for_bits(unsigned log_block, size_t pads_per_query, double bits);

/* Validates the parameters (APEX_ERR_INVALID with *reason) and fills dims. */
int apex_ligero_dims_of(const apex_ligero_params *p, apex_ligero_dims *d, const char **reason);

/* Source of witness rows: writes the BLOCK witness values (canonical) of row i to out.
 * It is called again for every proof and must return the same values each time, and it may
 * be called from APEX_ZK_THREADS threads at once (for different rows). */
typedef int (*apex_ligero_row_fn)(void *ctx, size_t row, apex_gl *out);

/* Optional second view of the same rows for sources whose values are all int8 (G~): writes
 * row i's BLOCK values as int8, each equal to what the field source gives (v in [-128, 127]
 * as p + v when negative). The prover's row pass then reads bytes instead of converting
 * field elements back; the proof does not change. Same threading rules as the row source. */
typedef int (*apex_ligero_row_i8_fn)(void *ctx, size_t row, int8_t *out);
void apex_ligero_set_rows_i8(apex_ligero_commitment *c, apex_ligero_row_i8_fn fn);

/* Commit to rows produced on demand. Nothing of size O(witness) is kept: pads are
 * regenerated from a per-commitment secret, columns are hashed as rows stream by, and
 * proofs re-encode the rows. fn and ctx must stay valid for the commitment's lifetime. */
apex_ligero_commitment *apex_ligero_commit_rows(const apex_ligero_params *p, apex_ligero_row_fn fn,
                                                void *ctx, apex_rng *test_rng, apex_hash *root,
                                                const char **reason);

/* A commitment to a row source that also writes its encoded tableau to cache_path, so that
 * a proof opens its queried columns with a few reads instead of re-encoding every row. The
 * file (docs/PROOF.md, "Tableau cache") holds nrow * 4 BLOCK * 8 bytes after a 128-byte
 * header naming the shape and root, in groups of APEX_LIGERO_CACHE_GROUP rows stored column
 * by column; it is written to cache_path.tmp, fsynced and renamed into place. Columns read
 * back are re-hashed against the Merkle leaves before use: a corrupt, truncated or foreign
 * cache fails the proof with a reason naming the problem; a missing one makes the proof
 * re-encode the rows (apex_ligero_cache_status says why). NULL with *reason when the file
 * cannot be written. */
apex_ligero_commitment *apex_ligero_commit_rows_cached(const apex_ligero_params *p,
                                                       apex_ligero_row_fn fn, void *ctx,
                                                       const char *cache_path, apex_rng *test_rng,
                                                       apex_hash *root, const char **reason);
/* Skip the fsyncs of the cache file (benchmarks, tests, a cache on scratch storage). */
#define APEX_LIGERO_CACHE_NOSYNC 1u
/* apex_ligero_commit_rows_cached with flags (APEX_LIGERO_CACHE_*). */
apex_ligero_commitment *apex_ligero_commit_rows_cached_flags(const apex_ligero_params *p,
                                                             apex_ligero_row_fn fn, void *ctx,
                                                             const char *cache_path, unsigned flags,
                                                             apex_rng *test_rng, apex_hash *root,
                                                             const char **reason);
/* Keep the encoded tableau in memory (nrow * 4 BLOCK * 8 bytes, the cache file's layout) so
 * that a proof opens its queried columns without re-encoding the rows or reading a file; it is
 * wiped when the commitment is destroyed. For a proof-time commitment of moderate size. Set by
 * apex_ligero_commit_rows_mem, or with a cache path by apex_ligero_commit_rows_cached_flags:
 * then the file is written from the memory, for later proofs by a loaded commitment (a C_w(e+1)
 * that becomes the next round's C_w(e)). When the memory cannot be had, the commitment is made
 * without it (same root) and re-encodes its rows, or reads its file. */
#define APEX_LIGERO_TABLEAU_MEM 2u
/* A row-source commitment with its tableau in memory (APEX_LIGERO_TABLEAU_MEM). */
apex_ligero_commitment *apex_ligero_commit_rows_mem(const apex_ligero_params *p,
                                                    apex_ligero_row_fn fn, void *ctx,
                                                    apex_rng *test_rng, apex_hash *root,
                                                    const char **reason);
/* Use (path) or stop using (NULL) a tableau cache file for this commitment's openings. The
 * file is only opened by a proof, and checked there. APEX_ERR_INVALID for a commitment with
 * its tableau in memory (it needs no file). */
int apex_ligero_commitment_set_cache(apex_ligero_commitment *c, const char *path,
                                     const char **reason);
/* The tableau cache file this commitment uses, or NULL. */
const char *apex_ligero_cache_path(const apex_ligero_commitment *c);
/* NULL when the last proof opened this commitment's columns from its cache file or from its
 * tableau in memory, else why it re-encoded the rows instead ("no cache file configured",
 * "cache file missing: ..."). */
const char *apex_ligero_cache_status(const apex_ligero_commitment *c);

/* Save the prover's private state of a row-source commitment to path (atomically, mode
 * 0600: it holds the pad secret): shape, root, openings used, pad seed, leaf salts, leaf
 * hashes (the tree is rebuilt from them) and the cache path, under a SHA-256 checksum.
 * The witness itself is not saved: the loader supplies the same row source. */
int apex_ligero_commitment_save(const apex_ligero_commitment *c, const char *path,
                                const char **reason);
/* Restore a saved commitment for the row source fn/ctx: the file must match the shape p and
 * the expected root (the tree rebuilt from the stored leaves must give it too). NULL with a
 * reason for a missing, truncated, corrupted or foreign file. */
apex_ligero_commitment *apex_ligero_commitment_load(const apex_ligero_params *p,
                                                    apex_ligero_row_fn fn, void *ctx,
                                                    const char *path, const apex_hash *root,
                                                    const char **reason);
/* Openings used so far by this object (restored by apex_ligero_commitment_load). */
size_t apex_ligero_openings_used(const apex_ligero_commitment *c);

/* Commit to w[0..nw) (nw <= capacity; the rest is zero); keeps a copy of the array, and with
 * at most 16 rows also its tableau (4 times the array; openings then need no re-encoding). Pads
 * and salts come from apex_secure_random unless test_rng is non-NULL (golden tests only, never
 * in a product). Writes the root; NULL with *reason on bad input or out of memory. */
apex_ligero_commitment *apex_ligero_commit(const apex_ligero_params *p, const apex_gl *w, size_t nw,
                                           apex_rng *test_rng, apex_hash *root,
                                           const char **reason);
void apex_ligero_commitment_destroy(apex_ligero_commitment **c);
/* Openings this in-memory object still allows. The persistent, write-ahead count across
 * restarts is the client's job (decision 5); this one only guards one process. */
size_t apex_ligero_openings_left(const apex_ligero_commitment *c);

/* Prove the linear constraints sum_terms coef * W[w] = b[c] (b computed from the witness)
 * and the quadratic ones over the concatenated witness of cs[0..n). Uses one opening of
 * every commitment (APEX_ERR_STATE when one has none left; the count is taken before
 * anything is revealed). The prover does not check that the constraints hold: a false
 * statement yields a proof the verifier rejects. test_rng as in apex_ligero_commit. */
int apex_ligero_prove(apex_ligero_commitment *const *cs, size_t n, apex_transcript *t,
                      const apex_ligero_constraints *cons, apex_rng *test_rng,
                      apex_ligero_proof *out, const char **reason);

/* Verify against the verifier's own params, stored roots of the n commitments, constraint
 * system, claimed b[0..cons->nlin) and tensor values tval[0..cons->ntensor). APEX_OK, or
 * APEX_ERR_REJECTED with *reason; other codes for resource failures. */
int apex_ligero_verify(const apex_ligero_params *ps, const apex_hash *roots, size_t n,
                       apex_transcript *t, const apex_ligero_constraints *cons, const apex_gl *b,
                       const apex_gl2 *tval, const apex_ligero_proof *pf, const char **reason);

void apex_ligero_proof_free(apex_ligero_proof *pf);
/* Canonical encoding; decode checks every length against the parameters. */
int apex_ligero_proof_encode(const apex_ligero_params *ps, size_t n, const apex_ligero_proof *pf,
                             apex_enc_writer *w);
int apex_ligero_proof_decode(const apex_ligero_params *ps, size_t n, apex_enc_reader *r,
                             apex_ligero_proof *pf);

#endif /* APEX_ZK_LIGERO_H */
