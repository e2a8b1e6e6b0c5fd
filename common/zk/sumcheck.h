/* Sumcheck for products of multilinear F_p2 tables (degree up to APEX_SUMCHECK_MAX_DEG).
 *
 * Claim: S = sum over b in {0,1}^k of prod_{t<m} f_t(b), each f_t a table of 2^k F_p2
 * entries (variable i = bit i of the index, as in zk/mle.h).
 *
 * Round j (variables bound lowest first): the prover sends h_j(X), the sum over the
 * remaining variables with variable j set to X, as its m+1 values h_j(0), ..., h_j(m).
 * The verifier checks h_j(0) + h_j(1) = claim, absorbs h_j, draws r_j in F_p2 and sets
 * claim = h_j(r_j) (Lagrange interpolation through 0..m). At the end it holds the point
 * r = (r_0, ..., r_{k-1}) and a final claim that must equal prod_t f~_t(r): checking that
 * against commitments is the caller's job (apex_sumcheck_verify returns the value).
 *
 * Transcript: absorbs m, k and S first ("sumcheck.shape", "sumcheck.claim"), then each
 * round's values before drawing its challenge. Soundness error <= k*m/|F_p2| = k*m*2^-128.
 * This layer sends round values in the clear: zero knowledge comes from the padding layer
 * above it (zk/zksumcheck.h, Longfellow style), which sends h_j - pad_j instead.
 */
#ifndef APEX_ZK_SUMCHECK_H
#define APEX_ZK_SUMCHECK_H

#include <stddef.h>

#include "zk/field.h"
#include "zk/transcript.h"

/* Largest number of multiplied tables (the protocol needs degree 4, errata item 11). */
#define APEX_SUMCHECK_MAX_DEG 4u
/* Largest number of distinct tables in a sum of products. */
#define APEX_SUMCHECK_MAX_TABLES 16u
/* Most terms in one sum of products. */
#define APEX_SUMCHECK_MAX_TERMS 32u

/* One term of a sum of products: coef * prod_s f[s](b). */
typedef struct apex_sumcheck_term {
    apex_gl2 coef;                     /* public coefficient (batching powers, signs) */
    unsigned nf;                       /* factors, 1..APEX_SUMCHECK_MAX_DEG */
    unsigned f[APEX_SUMCHECK_MAX_DEG]; /* table indices of the factors */
} apex_sumcheck_term;

/* Prove. f[0..m) are tables of 2^k entries each; they are folded in place (destroyed).
 * rounds receives k*(m+1) values (round j at rounds[j*(m+1)]), r the k challenges and
 * finals[t] = f~_t(r). APEX_ERR_INVALID for m outside [1, MAX_DEG] or k > APEX_MLE_MAX_VARS. */
int apex_sumcheck_prove(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                        apex_gl2 claim, apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *finals);

/* Verify the rounds of a claim S; writes r (k challenges) and the final claim the caller
 * must compare with prod_t f~_t(r). APEX_OK or APEX_ERR_REJECTED with *reason. */
int apex_sumcheck_verify(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *final_claim,
                         const char **reason);

/* The same with pads: round j sends h_j(x) - pads[j*(m+1) + x] (pads committed before the
 * first challenge; the padded-sumcheck layer turns the verifier's checks into constraints on
 * them). finals are the true f~_t(r). pads NULL is apex_sumcheck_prove. */
int apex_sumcheck_prove_padded(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                               apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                               apex_gl2 *finals);

/* Absorb a claim and padded rounds exactly as the prover did and draw r, checking nothing:
 * the checks are constraints in the padded layer. APEX_ERR_RANGE for non-canonical values. */
int apex_sumcheck_replay(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r);

/* Sum of products: S = sum_b sum_i coef_i prod_s f[terms[i].f[s]](b) over ntab <=
 * APEX_SUMCHECK_MAX_TABLES tables (folded in place). The degree m is the largest term's
 * factor count; rounds holds k (m+1) values; finals[s] = f~_s(r) for every table. The
 * verifier side is apex_sumcheck_verify with m = apex_sumcheck_terms_degree(...), and the
 * final claim must equal apex_sumcheck_terms_eval(terms, finals-at-r). pads as in
 * apex_sumcheck_prove_padded (NULL: none). A single term with coefficient 1 gives exactly
 * the rounds of apex_sumcheck_prove. */
int apex_sumcheck_prove_terms(apex_transcript *t, apex_gl2 *const *f, size_t ntab,
                              const apex_sumcheck_term *terms, size_t nterms, unsigned k,
                              apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                              apex_gl2 *finals);
/* The same, where table s does not depend on its flat[s] lowest variables (flat NULL: none;
 * the caller vouches for it, a table that does depend gives rounds the verifier rejects).
 * Such a table is read at stride and folded only from round flat[s] on, and a round whose
 * terms have fewer varying factors is evaluated at fewer points and extended to m + 1
 * values by interpolation: the same rounds as without flat. From round 1 on h(1) is taken
 * as the running claim minus h(0) (the same value, the previous round being computed from
 * the same tables). */
int apex_sumcheck_prove_terms_flat(apex_transcript *t, apex_gl2 *const *f, size_t ntab,
                                   const apex_sumcheck_term *terms, size_t nterms,
                                   const unsigned *flat, unsigned k, apex_gl2 claim,
                                   const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                                   apex_gl2 *finals);
/* Degree of a term list over ntab tables; 0 when a term is malformed, nothing is given or
 * there are more than APEX_SUMCHECK_MAX_TERMS terms. */
unsigned apex_sumcheck_terms_degree(const apex_sumcheck_term *terms, size_t nterms, size_t ntab);
/* sum_i coef_i prod_s vals[f_s]: the final claim from the tables' values at r. */
apex_gl2 apex_sumcheck_terms_eval(const apex_sumcheck_term *terms, size_t nterms,
                                  const apex_gl2 *vals);

/* Tests only: 1 makes every prover round evaluate h at 0..deg by walking the tables, instead
 * of at 0, 1, -1 and the leading coefficient (rounds of degree 2 and 3); the rounds must not
 * change. */
void sumcheck_test_set_no_lead(int on);

/* Value at x of the polynomial of degree <= m through (i, v[i]) for i = 0..m. */
apex_gl2 apex_sumcheck_interp(const apex_gl2 *v, unsigned m, apex_gl2 x);

#endif /* APEX_ZK_SUMCHECK_H */
