/* Zero-knowledge sumcheck: Longfellow-style padding proven with one joint Ligero proof.
 *
 * Claim S = sum_b sum_i coef_i prod_s f[terms[i].f[s]](b) (zk/sumcheck.h's sum of products).
 * The first ncommitted tables are committed (a tensor view of a data commitment gives
 * f~_t(r)); the others are public and the verifier evaluates them at r itself (pubvals).
 * Each term may multiply at most two committed tables.
 *
 *   1. The prover commits C_pad with uniform pads P_{j,x} in F_p2 (entries 2e, 2e+1 for
 *      e = j (m+1) + x) and absorbs its root before any sumcheck challenge.
 *   2. Round j sends h~_{j,x} = h_{j,x} - P_{j,x} (uniform), the transcript draws r_j.
 *   3. The prover commits C_eval: row 0 holds V_t = f~_t(r) of the committed tables
 *      (entries 2t, 2t+1); for the p-th term with two committed factors V = a + b x and
 *      W = c + d x, slots 4p..4p+3 of rows 1..3 hold X = [a,b,a,b], Y = [c,d,d,c] and
 *      Z = X * Y, so V W = (Z0 + 7 Z1) + (Z2 + Z3) x.
 *   4. One joint Ligero proof over (data..., C_pad, C_eval) proves the verifier's checks:
 *        round 0:  P_00 + P_01 = S - h~_00 - h~_01
 *        round j:  P_j0 + P_j1 - sum_x L_x(r_{j-1}) P_{j-1,x}
 *                    = sum_x L_x(r_{j-1}) h~_{j-1,x} - h~_j0 - h~_j1
 *        final:    sum_x L_x(r_{k-1}) P_{k-1,x} - sum_i coef_i pub_i(r) [committed part]_i
 *                    = - sum_x L_x h~_{k-1,x} + sum_{i without committed} coef_i pub_i(r)
 *        evals:    <row_w x slot_w, W> - V_t = 0 for each committed table
 *      plus the copy constraints of X, Y and the quadratic constraint Z = X * Y.
 * Nothing but uniform padded rounds and a zero-knowledge Ligero proof leaves the prover;
 * soundness is the plain sumcheck's (k m / |F_p2|) plus Ligero's, since the constraints are
 * exactly the verifier's checks. See docs/PROOF.md, "Padded sumcheck".
 */
#ifndef APEX_ZK_ZKSUMCHECK_H
#define APEX_ZK_ZKSUMCHECK_H

#include "zk/cbuild.h"
#include "zk/ligero.h"
#include "zk/sumcheck.h"

/* Committed tables one padded sumcheck may refer to. */
#define APEX_ZKSC_MAX_COMMITTED 12u
/* Data commitments one padded sumcheck may refer to (C_pad and C_eval come on top). */
#define APEX_ZKSC_MAX_DATA (APEX_LIGERO_MAX_COMMITS - 2u)

/* Public shape, the same on both sides. */
typedef struct apex_zksc_shape {
    unsigned k;                      /* variables (rounds), >= 1 */
    size_t ntab;                     /* tables, <= APEX_SUMCHECK_MAX_TABLES */
    unsigned ncommitted;             /* the first ncommitted tables are committed */
    const apex_sumcheck_term *terms; /* [nterms] the sum of products */
    size_t nterms;                   /* number of terms */
    apex_ligero_params pad_params;   /* C_pad: capacity >= 2 k (m+1), m the degree */
    apex_ligero_params eval_params;  /* C_eval: nwrow >= 4, witness slots per row >=
                                        max(2 ncommitted, 4 * terms with two committed) */
} apex_zksc_shape;

/* View commit value of a "free" committed factor: a table the prover derives from other
 * witness data (no commitment of its own). Its value V_t = f~_t(r) is committed in C_eval
 * like every committed factor's, but no evaluation claim ties it here: the caller must tie it
 * elsewhere (e.g. in a later sumcheck's hidden claim), or the statement proves nothing
 * about that table. */
#define APEX_ZKSC_FREE ((size_t)-1)
/* Extra hidden values one padded sumcheck may commit in C_eval (row 0, after the V_t). */
#define APEX_ZKSC_MAX_EXTRA 4u

/* A committed factor's extension at r: sum_i sum_s row_w[i] slot_w[s] W_commit[i][s]. */
typedef struct apex_zksc_view {
    size_t commit;          /* index among the data commitments */
    const apex_gl2 *row_w;  /* [nrow of that commitment] */
    const apex_gl2 *slot_w; /* [witness slots per row of that commitment] */
} apex_zksc_view;

/* What the verifier receives. */
typedef struct apex_zksc_proof {
    apex_hash root_pad;    /* C_pad, absorbed before the first challenge */
    apex_hash root_eval;   /* C_eval, absorbed after the last round */
    apex_gl2 *rounds;      /* [k][m+1] padded round values */
    apex_ligero_proof lig; /* the joint proof of all checks */
} apex_zksc_proof;

typedef struct apex_zksc_prover apex_zksc_prover;

/* Phase 1: commit the pads, absorb their root, run the padded rounds over f[0..ntab)
 * (folded in place; committed tables first). Writes r[0..k) for the caller to build the
 * views and the public tables' values. */
int apex_zksc_prove_rounds(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 *const *f,
                           apex_gl2 claim, apex_rng *test_rng, apex_zksc_prover **out, apex_gl2 *r,
                           const char **reason);
/* Phase 2: commit C_eval, absorb its root, prove everything jointly with the data
 * commitments. views[ncommitted] describe the committed tables, pubvals[ntab - ncommitted]
 * are the public tables' extensions at r. Fills out (free with apex_zksc_proof_free) and
 * destroys the prover. */
int apex_zksc_prove_finish(apex_zksc_prover **p, apex_transcript *t,
                           apex_ligero_commitment *const *data, size_t ndata,
                           const apex_zksc_view *views, const apex_gl2 *pubvals,
                           apex_zksc_proof *out, const char **reason);
void apex_zksc_prover_destroy(apex_zksc_prover **p);

/* Phase 1 over an equivalent formulation of the same sum: tables f[0..ntab) and terms whose
 * sum of products is, as a polynomial, the shape's (e.g. linear combinations of the shape's
 * tables merged into one table, which the folding respects), of the same degree. The round
 * values are identical; the prover is then faster. The formulation's folded values mean
 * nothing to C_eval: the caller must give the shape's committed tables' values at r with
 * apex_zksc_prover_set_finals before apex_zksc_prove_eval_ex (which refuses otherwise).
 * flat (NULL: none) as in apex_sumcheck_prove_terms_flat: tables that do not depend on their
 * lowest variables. */
int apex_zksc_prove_rounds_alt(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 *const *f,
                               size_t ntab, const apex_sumcheck_term *terms, size_t nterms,
                               const unsigned *flat, apex_gl2 claim, apex_rng *test_rng,
                               apex_zksc_prover **out, apex_gl2 *r, const char **reason);
/* v[0..ncommitted): f~_t(r) of the shape's committed tables. */
void apex_zksc_prover_set_finals(apex_zksc_prover *p, const apex_gl2 *v);
/* Verifier phase 1: absorb as the prover did and recover r. */
int apex_zksc_verify_rounds(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 claim,
                            const apex_zksc_proof *pf, apex_gl2 *r, const char **reason);
/* Verifier phase 2, with its own data params and stored roots, the views at r and the
 * public tables' values at r (computed by the verifier). APEX_OK or APEX_ERR_REJECTED with
 * *reason. */
int apex_zksc_verify_finish(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 claim,
                            const apex_ligero_params *data_ps, const apex_hash *data_roots,
                            size_t ndata, const apex_zksc_view *views, const apex_gl2 *pubvals,
                            const apex_gl2 *r, const apex_zksc_proof *pf, const char **reason);
void apex_zksc_proof_free(apex_zksc_proof *pf);

/* Composition into a larger joint proof (one Ligero proof for the whole statement). The
 * prover runs apex_zksc_prove_rounds, then apex_zksc_prove_eval, which commits C_eval,
 * absorbs its root and hands C_pad and C_eval over (the caller lists them in the joint
 * proof and destroys them); both sides then add the checks with apex_zksc_emit. pf->lig is
 * left empty: the caller's joint proof replaces it. The verifier calls
 * apex_zksc_verify_rounds, then apex_zksc_verify_eval, then apex_zksc_emit. */
int apex_zksc_prove_eval(apex_zksc_prover **p, apex_transcript *t, apex_ligero_commitment **c_pad,
                         apex_ligero_commitment **c_eval, apex_zksc_proof *out,
                         const char **reason);
int apex_zksc_verify_eval(apex_transcript *t, const apex_zksc_proof *pf);
/* Hidden claims and extra values (sumchecks chained inside one statement):
 * - the claimed sum may be S = claim + sum_q hid[q].coef * W[hid[q].w], with W the
 *   concatenated witness of the joint proof (e.g. values another sumcheck committed in its
 *   C_eval); only the public part `claim` is absorbed, and the round-0 check becomes
 *   P_00 + P_01 - sum_q coef_q W[w_q] = claim - h~_00 - h~_01;
 * - apex_zksc_prover_sum gives the prover the true S (h_0(0) + h_0(1));
 * - apex_zksc_prove_eval_ex also commits extras[0..nextra) in row 0 of C_eval at entries
 *   2 (ncommitted + e) and 2 (ncommitted + e) + 1 (C_eval needs the slots), for the caller
 *   to refer to in hidden claims. */
apex_gl2 apex_zksc_prover_sum(const apex_zksc_prover *p);
int apex_zksc_prove_eval_ex(apex_zksc_prover **p, apex_transcript *t, const apex_gl2 *extras,
                            size_t nextra, apex_ligero_commitment **c_pad,
                            apex_ligero_commitment **c_eval, apex_zksc_proof *out,
                            const char **reason);
int apex_zksc_emit_ex(const apex_zksc_shape *sh, apex_gl2 claim, const apex_ligero_xterm *hid,
                      size_t nhid, const apex_gl2 *rounds, const apex_gl2 *r,
                      const apex_zksc_view *views, const apex_gl2 *pubvals,
                      const apex_ligero_params *ps, size_t n, size_t ipad, size_t ieval,
                      apex_cbuild *b, const char **reason);
/* ps[0..n) is the joint proof's commitment list, with C_pad at ipad and C_eval at ieval;
 * views name commitments of that list. Adds the constraints and their values to b. */
int apex_zksc_emit(const apex_zksc_shape *sh, apex_gl2 claim, const apex_gl2 *rounds,
                   const apex_gl2 *r, const apex_zksc_view *views, const apex_gl2 *pubvals,
                   const apex_ligero_params *ps, size_t n, size_t ipad, size_t ieval,
                   apex_cbuild *b, const char **reason);

/* Canonical encoding: root_pad, root_eval, the k (m+1) rounds, then the Ligero proof over
 * (data..., C_pad, C_eval). Decoding checks every length against the shapes. */
int apex_zksc_proof_encode(const apex_zksc_shape *sh, const apex_ligero_params *data_ps,
                           size_t ndata, const apex_zksc_proof *pf, apex_enc_writer *w);
int apex_zksc_proof_decode(const apex_zksc_shape *sh, const apex_ligero_params *data_ps,
                           size_t ndata, apex_enc_reader *r, apex_zksc_proof *pf);

#endif /* APEX_ZK_ZKSUMCHECK_H */
