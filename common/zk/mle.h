/* Multilinear extensions over Goldilocks with F_p2 points.
 *
 * Convention (docs/PROOF.md, "MLE"): a vector f of length 2^k is the table of a multilinear
 * polynomial on {0,1}^k, and index b = sum_i b_i 2^i carries variable i in bit i. So r[0]
 * binds the least significant index bit. A tensor layout G[b][i][j] flattened row-major
 * therefore has j in the low variables and b in the high ones, as PROOF.md 5.1 asks.
 *
 *   eq(r, b)   = prod_i (r_i b_i + (1 - r_i)(1 - b_i))
 *   f~(r)      = sum_b f[b] eq(r, b)
 *   fold(f, c) = the table of f~ with variable 0 fixed to c:
 *                f'[b] = f[2b] + c (f[2b+1] - f[2b]),  length halves.
 * Folding is how a sumcheck prover binds one variable per round (lowest first).
 */
#ifndef APEX_ZK_MLE_H
#define APEX_ZK_MLE_H

#include <stddef.h>

#include "zk/field.h"

/* Largest number of variables accepted (2^30 entries); bounds memory on bad input. */
#define APEX_MLE_MAX_VARS 30u

/* out[0..2^k) = eq(r, b) for every b; out must hold 2^k elements. APEX_ERR_TOO_LARGE when
 * k > APEX_MLE_MAX_VARS. */
int apex_mle_eq(apex_gl2 *out, const apex_gl2 *r, unsigned k);
/* eq(r, s) for two points of k coordinates, in O(k). */
apex_gl2 apex_mle_eq_point(const apex_gl2 *r, const apex_gl2 *s, unsigned k);

/* f~(r) for a base-field table f of length 2^k. Works in O(2^k) time with two eq tables
 * of 2^(k/2) elements (tensor split), so it never allocates a full-size copy. */
int apex_mle_eval_gl(const apex_gl *f, unsigned k, const apex_gl2 *r, apex_gl2 *out);
/* The same for an F_p2 table. */
int apex_mle_eval_gl2(const apex_gl2 *f, unsigned k, const apex_gl2 *r, apex_gl2 *out);

/* Bind variable 0 of an F_p2 table of n = 2^k > 1 entries, in place; the result has n/2
 * entries. APEX_ERR_INVALID when n is odd or 0. */
int apex_mle_fold_gl2(apex_gl2 *f, size_t n, apex_gl2 c);
/* Bind variable 0 of a base table into an F_p2 table out[n/2] (f and out distinct). */
int apex_mle_fold_gl(apex_gl2 *out, const apex_gl *f, size_t n, apex_gl2 c);

#endif /* APEX_ZK_MLE_H */
