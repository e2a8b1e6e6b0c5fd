/* Internals shared by zksumcheck.c (prover, verifier) and zksumcheck_emit.c (composition,
 * encoding). Not a public API. */
#ifndef APEX_ZK_ZKSUMCHECK_IMPL_H
#define APEX_ZK_ZKSUMCHECK_IMPL_H

#include "zk/mle.h"
#include "zk/zksumcheck.h"

/* Slots per two-table product, rows of C_eval used (V row plus X, Y, Z). */
#define PROD_SLOTS 4u
#define EVAL_ROWS  4u

struct apex_zksc_prover {
    apex_zksc_shape sh;                        /* public shape */
    unsigned m;                                /* degree of the sum of products */
    apex_ligero_commitment *c_pad;             /* the pads' commitment */
    apex_hash root_pad;                        /* its root */
    apex_gl2 *pads;                            /* [k][m+1] the pads (secret) */
    apex_gl2 *rounds;                          /* [k][m+1] padded round values */
    apex_gl2 r[APEX_MLE_MAX_VARS];             /* the challenges */
    apex_gl2 finals[APEX_SUMCHECK_MAX_TABLES]; /* f~_t(r) */
    apex_rng *test_rng;                        /* seeded generator for tests, or NULL */
    apex_gl2 claim;                            /* the claimed sum's public part */
    apex_gl2 extras[APEX_ZKSC_MAX_EXTRA];      /* extra hidden values for C_eval row 0 */
    size_t nextra;                             /* how many */
    int need_finals; /* rounds ran over another formulation: the caller sets the finals */
};

/* The constraint system of both sides, with its owned arrays. */
typedef struct zk_cons {
    apex_ligero_xterm *xt;        /* all F_p2 sparse terms, shared out to the claims */
    size_t nxt;                   /* terms used */
    apex_ligero_tensor *tn;       /* [k + 1 + ncommitted] claims */
    apex_gl2 *tval;               /* their values */
    size_t ntn;                   /* claims used */
    apex_ligero_term *copies;     /* [16 per product] X, Y copy constraints (base) */
    apex_ligero_quad quad;        /* Z = X * Y */
    apex_ligero_constraints cons; /* the view handed to Ligero */
} zk_cons;

/* Checks the shape; writes the degree and the two commitments' dims. */
int zksc_shape_check(const apex_zksc_shape *sh, unsigned *m, apex_ligero_dims *dp,
                     apex_ligero_dims *de, const char **reason);
/* The constraints of a padded sumcheck, C_pad's witness at w_pad and C_eval's at w_eval
 * (row r_eval, wr_eval slots per row) in the concatenation. */
int zksc_build(const apex_zksc_shape *sh, unsigned m, apex_gl2 claim, const apex_ligero_xterm *hid,
               size_t nhid, const apex_gl2 *rounds, const apex_gl2 *r, const apex_zksc_view *views,
               const apex_gl2 *pubvals, size_t w_pad, size_t w_eval, size_t r_eval, size_t wr_eval,
               zk_cons *z);
void zksc_cons_free(zk_cons *z);
/* Commit C_eval (hidden evaluations and product rows) for prover p. */
int zksc_commit_eval(const apex_zksc_prover *p, size_t wr_eval, apex_ligero_commitment **c_eval,
                     apex_hash *root, const char **reason);

#endif /* APEX_ZK_ZKSUMCHECK_IMPL_H */
