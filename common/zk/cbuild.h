/* Constraint-system builder: collects the constraints of several protocol pieces (padded
 * sumchecks, range checks, statement constraints) into one system for one joint Ligero
 * proof, as the design wants (one joint proof per compliance proof; shared PROOF.md 5.3
 * step 10). The builder owns copies of everything it is given.
 *
 * Witness indices and row numbers are global: they index the concatenation of the
 * commitments in the order the final proof lists them (apex_cbuild_layout computes the
 * offsets). Values: a linear constraint has a base-field value (Ligero's b), a tensor or
 * sparse F_p2 claim an F_p2 value (Ligero's tval); the prover's Ligero layer recomputes its
 * own values from the witness, the verifier passes these.
 */
#ifndef APEX_ZK_CBUILD_H
#define APEX_ZK_CBUILD_H

#include "zk/ligero.h"

typedef struct apex_cbuild apex_cbuild;

/* Where each commitment's witness and rows start in the concatenation of ps[0..n), and the
 * totals at index n. w_off and r_off hold n + 1 entries. APEX_ERR_INVALID on a bad shape. */
int apex_cbuild_layout(const apex_ligero_params *ps, size_t n, size_t *w_off, size_t *r_off);

apex_cbuild *apex_cbuild_new(void);
void apex_cbuild_destroy(apex_cbuild **b);

/* sum_i coef[i] * W[w[i]] = value over the base field. */
int apex_cbuild_linear(apex_cbuild *b, const size_t *w, const apex_gl *coef, size_t n,
                       apex_gl value);
/* Row z = row x * row y on the witness slots (global rows, one common pad count). */
int apex_cbuild_quad(apex_cbuild *b, size_t x, size_t y, size_t z);
/* sum_i sum_s row_w[i] slot_w[s] W_commit[i][s] + sum xterms = value over F_p2; row_w and
 * slot_w (nrow and nslot entries) may both be NULL for a sparse-only claim. */
int apex_cbuild_tensor(apex_cbuild *b, size_t commit, const apex_gl2 *row_w, size_t nrow,
                       const apex_gl2 *slot_w, size_t nslot, const apex_ligero_xterm *xt,
                       size_t nxt, apex_gl2 value);

/* The collected system and its values; valid until the next add or destroy. */
void apex_cbuild_view(const apex_cbuild *b, apex_ligero_constraints *cons, const apex_gl **lin_b,
                      const apex_gl2 **tval);

#endif /* APEX_ZK_CBUILD_H */
