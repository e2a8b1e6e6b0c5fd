/* Public parameters of the compliance statement: the overflow budget check and the
 * parameter digest.
 *
 * Overflow budget (shared PROOF.md 3.3, errata 12): every range-admissible witness must keep
 * the residual rho = G^T (G delta) + Lambda delta inside (-p/2, p/2), so that arithmetic
 * mod p equals integer arithmetic:
 *     |rho| <= (N B 2^(2 (b_G - 1)) + Lambda) (2^b_w - 1) <= (p - 1) / 2,
 * using |G| <= 2^(b_G - 1) and |delta| <= 2^b_w - 1 (delta is a difference of two b_w-bit
 * signed weights). Range checks recompose limbs into at most 63 bits, which stays below p,
 * so the residual check rho + tau in [0, 2^(t+1)) needs t + 1 <= 63 and the weight check
 * w + 2^(b_w - 1) in [0, 2^b_w) needs b_w <= 63. Callers check this when parameters are
 * loaded, prover and verifier alike, and refuse to run otherwise.
 *
 * Digest: SHA-256 over a canonical encoding of these parameters and the commitment shape,
 * under a domain tag and the protocol version. The verifier computes it from its own
 * configuration (decision 7), never from a proof, and absorbs it first.
 */
#ifndef APEX_ZK_STMT_H
#define APEX_ZK_STMT_H

#include <stdint.h>

#include "core/core.h"
#include "zk/ligero.h"

/* Domain tag of the parameter digest. */
#define APEX_STMT_DIGEST_DOMAIN "apex-zk/params"
/* Widest limb recomposition a range check may use (below log2 p). */
#define APEX_STMT_MAX_RANGE_BITS 63u
/* Widest gradient entry (b_G) the budget check accepts; int8 is 8. */
#define APEX_STMT_MAX_BITS_G 16u

/* The statement's public integers (all in the params digest). */
typedef struct apex_stmt_params {
    uint64_t n_samples; /* N: per-sample gradient rows per block */
    uint64_t block;     /* B: coordinates per block */
    uint32_t bits_g;    /* b_G: signed bits of a gradient entry (8 for int8) */
    uint32_t bits_w;    /* b_w: signed bits of a weight (24 after review) */
    uint64_t lambda;    /* Lambda~: damping, a positive integer in quantized units */
    uint32_t tau_log2;  /* t: tau = 2^t, residuals accepted in [-tau, tau - 1] */
    uint32_t limb_bits; /* bits per range-check limb (16: the T16 table) */
} apex_stmt_params;

/* APEX_OK when the budget holds; APEX_ERR_RANGE with *reason naming the failed bound,
 * APEX_ERR_INVALID for nonsensical values (zero sizes, Lambda = 0, widths out of range). */
int apex_stmt_check_budget(const apex_stmt_params *s, const char **reason);

/* Largest |rho| any range-admissible witness can produce, as a 128-bit integer; 0 with
 * *overflow = 1 when it exceeds 2^127 (then the budget fails anyway). */
unsigned __int128 apex_stmt_rho_bound(const apex_stmt_params *s, int *overflow);

/* SHA-256 over the canonical encoding of s and the commitment shape lp. Fails
 * (APEX_ERR_INVALID / APEX_ERR_RANGE) when the parameters do not pass their own checks. */
int apex_stmt_digest(const apex_stmt_params *s, const apex_ligero_params *lp,
                     uint8_t out[APEX_SHA256_LEN]);

#endif /* APEX_ZK_STMT_H */
