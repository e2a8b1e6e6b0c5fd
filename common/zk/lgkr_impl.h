/* Internals of zk/lgkr for the tests. Not a public API. */
#ifndef APEX_ZK_LGKR_IMPL_H
#define APEX_ZK_LGKR_IMPL_H

#include "zk/cbuild.h"
#include "zk/lgkr.h"

/* Cheating provers (tests only). Each one breaks exactly one family of the verifier's
 * checks, named here; a verifier without that family accepts it. Five hide an out-of-range
 * entry of C_a while balancing the LogUp sums:
 *   ROOT:    honest trees, P_w sent so that the root check balances   -> layer 1's check
 *   LEAF:    trees and C_m over a copy with the bad entries set to 0  -> the ties to C_a
 *   FREE_M:  the table's m_e chosen after X to balance, C_m honest    -> the ties to C_m
 *   DROP:    the bad leaves get p = 0 (left out of the sum)           -> the p-leaf ties
 *   TABLE_Q: table entry e stands for the bad value (q_e = X - a_bad,
 *            m_e counts it; needs a vector without the value e)        -> the table q ties
 * (e is set with lgkr_test_set_cheat_entry, default 0); one forges the table side:
 *   ROOT_T:  honest witness tree, P_t sent to balance                 -> table layer 1
 * two replace a vector of pairs (a0, a1) with a0 + a1 = 1 (e.g. (5, -4), out of range) by
 * the pairs (0, 1): with delta = -a0 a1, (X - a0)(X - a1) + delta = X (X - 1), so a constant
 * delta added to every gate above the leaves gives the in-range tree; C_m counts (0, 1):
 *   PROD:    the leaf layer's C D pad product committed off by delta  -> Z = X * Y
 *   COPY:    the same through the X copy row, with Z = X * Y kept     -> the copy rows
 * and six forge the GKR itself on any vector (in either tree):
 *   MID, MID_T:     layer 1's A, B changed with A D + B C kept        -> layer 2's round 0
 *   ROUND, ROUND_T: leaf layer, round 0 sent as h + x (x - 1)         -> round 1's check
 *   LAST, LAST_T:   leaf layer, last round likewise                   -> the final check
 * Two hide a value outside its section's table that another table holds (several tables):
 *   OTHER_M: counted in the narrowest table holding it, its leaf keeps its own tag
 *            -> the sums do not balance (the leaf's pole is in no table)
 *   RETAG:   counted in the widest table holding it, its leaf tagged with that table: the
 *            sums balance and the GKR is consistent  -> the witness tag tie (g~) alone */
enum {
    LGKR_HONEST = 0,
    LGKR_CHEAT_ROOT,
    LGKR_CHEAT_LEAF,
    LGKR_CHEAT_FREE_M,
    LGKR_CHEAT_DROP,
    LGKR_CHEAT_TABLE_Q,
    LGKR_CHEAT_ROOT_T,
    LGKR_CHEAT_PROD,
    LGKR_CHEAT_COPY,
    LGKR_CHEAT_MID,
    LGKR_CHEAT_ROUND,
    LGKR_CHEAT_LAST,
    LGKR_CHEAT_MID_T,
    LGKR_CHEAT_ROUND_T,
    LGKR_CHEAT_LAST_T,
    LGKR_CHEAT_OTHER_M, /* a value outside its section's table counted in one that holds it */
    LGKR_CHEAT_RETAG,   /* and its leaf tagged with that table: only the tag ties see it */
};

/* The table entry FREE_M and TABLE_Q forge (tests only). */
void lgkr_test_set_cheat_entry(size_t t);
/* Tests only: the LogUp-GKR rounds sum G(1) too (1) instead of deriving it from the claim;
 * and the cheat apex_lgkr_prove_commit runs (LGKR_HONEST to restore). */
void lgkr_test_set_full_sums(int on);
void lgkr_test_set_commit_cheat(int cheat);
/* Tests only: the leaf layer's rounds after the first take the general path (1), not the one
 * for P = 1; the proof must not change. */
void lgkr_test_set_no_ones(int off);

int lgkr_prove_impl(apex_transcript *t, const apex_lgkr_shape *sh, apex_ligero_commitment *ca,
                    apex_rng *test_rng, int cheat, apex_lgkr_proof *out, const char **reason);

/* ---------------------------------------------------------------- shared internals */

/* One fractional-sum tree's place in the pad, product and challenge arrays. Layer k of a tree
 * owns pads lay_pad(k) + 4 j + x (round j, point x) and lay_pad(k) + 4 (k - 1) + {0..3}
 * (A, B, C, D); challenges lay_ch(k) (lambda), + 1 + j (round j), + k (mu); products
 * q0 + 3 (k - 1) + {0, 1, 2} (A D, B C, C D). */
typedef struct lg_tree {
    unsigned K; /* depth: 2^K leaves */
    size_t e0;  /* first pad: root P at e0, Q at e0 + 1 */
    size_t q0;  /* first product */
    size_t c0;  /* first challenge */
} lg_tree;

/* Shapes and challenges shared by the prover and the verifier. */
typedef struct lg_ctx {
    apex_lgkr_shape sh;                   /* the shape these were derived from */
    apex_ligero_dims da, dm, dp;          /* C_a, C_m, C_p */
    unsigned wa, wm;                      /* log2 of C_a's and C_m's witness slots per row */
    size_t M;                             /* checked slots */
    size_t T;                             /* the table tree's leaves, a power of two */
    unsigned ntab;                        /* tables (1 for a one-table shape) */
    unsigned tbits[APEX_LGKR_MAX_TABLES]; /* table t is [0, 2^tbits[t]) */
    size_t tstart[APEX_LGKR_MAX_TABLES];  /* and starts at this table-tree leaf */
    unsigned nsec;                        /* row sections of C_a (1 for ntab == 0) */
    size_t sec_end[APEX_LGKR_MAX_SECS];   /* section s is rows [sec_end[s-1], sec_end[s]) */
    unsigned sec_tab[APEX_LGKR_MAX_SECS]; /* checked against this table (its tag) */
    lg_tree tr[2];                        /* 0: witness tree, 1: table tree */
    size_t npads, nprod, nchal;           /* pads (= sent values), products, challenges */
    size_t nv, nprow;                     /* C_p: value rows, rows per product block */
    apex_gl2 X;                           /* the LogUp point, never in F_p */
    apex_gl2 *ch;                         /* [nchal] */
    apex_gl2 *sent;                       /* [npads] padded values */
} lg_ctx;

static inline size_t lay_pad(const lg_tree *t, unsigned k)
{
    return t->e0 + 2 + 2 * (size_t)k * (k - 1);
}

static inline size_t lay_ch(const lg_tree *t, unsigned k)
{
    return t->c0 + (size_t)(k - 1) * (k + 2) / 2;
}

struct apex_lgkr_state {
    lg_ctx c; /* shapes, challenges and sent values of one range check */
};

/* The table (= tag) row `row` of C_a is checked against. */
static inline unsigned lgkr_row_tab(const lg_ctx *c, size_t row)
{
    for (unsigned s = 0; s + 1 < c->nsec; s++)
        if (row < c->sec_end[s])
            return c->sec_tab[s];
    return c->sec_tab[c->nsec - 1];
}

/* Table-tree leaf e: its value and tag ((0, 0) past the last table). */
static inline void lgkr_entry(const lg_ctx *c, size_t e, apex_gl *val, unsigned *tag)
{
    for (unsigned t = 0; t < c->ntab; t++)
        if (e >= c->tstart[t] && e - c->tstart[t] < ((size_t)1 << c->tbits[t])) {
            *val = e - c->tstart[t];
            *tag = t;
            return;
        }
    *val = 0;
    *tag = 0;
}

/* Shapes; with need_rows == 0 C_p's row count is not checked (only its block matters). */
int lgkr_shape_chk(const apex_lgkr_shape *sh, lg_ctx *c, int need_rows, const char **reason);
void lgkr_ctx_free(lg_ctx *c);
/* Transcript: absorb the shape and the three roots, draw X (redrawn while X.c1 is 0 or a
 * tag, so that no leaf's or entry's q can vanish); then the four padded roots. */
int lgkr_draw_x(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                const apex_hash *root_m, const apex_hash *root_p, lg_ctx *c);
int lgkr_absorb_roots(apex_transcript *t, const lg_ctx *c);
/* Copy slots of a product (X = [a0, a1, a0, a1], Y = [b0, b1, b1, b0]) and its two pads. */
extern const unsigned LGKR_SX[4], LGKR_SY[4];
void lgkr_product_pads(const lg_ctx *c, size_t q, size_t *ea, size_t *eb);
/* All checks for the commitment list ps[0..n) with C_a, C_m, C_p at ia, im, ip. */
int lgkr_emit_all(const lg_ctx *c, const apex_ligero_params *ps, size_t n, size_t ia, size_t im,
                  size_t ip, apex_cbuild *b, const char **reason);
/* The same for (C_a, C_m, C_p) alone, into a fresh builder. */
int lgkr_standalone_system(const lg_ctx *c, const apex_lgkr_shape *sh, apex_cbuild **b,
                           const char **reason);

#endif /* APEX_ZK_LGKR_IMPL_H */
