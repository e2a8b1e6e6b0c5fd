/* LogUp-GKR range check: every witness slot of a committed vector lies in T = [0, 2^bits),
 * with no helper commitment (Papini and Haboeck 2023, "Improving logarithmic derivative
 * lookups using GKR"), made zero-knowledge with Longfellow-style pads.
 *
 * The LogUp identity sum_i 1/(X - a_i) + sum_t (-m_t)/(X - t) = 0 (X in F_p2 \ F_p, drawn
 * after C_a, C_m and the pads are committed) is proven with two fractional-sum trees:
 *   witness tree: 2^K leaves (p, q) = (1, X - a_x) for the M = nrow * wr slots of C_a
 *                 (leaf x = row * wr + slot), (0, 1) on the padding leaves;
 *   table tree:   2^bits leaves (p, q) = (-m_t, X - t).
 * A node combines its children (p0, q0), (p1, q1) (the lowest index bit) into
 * (p0 q1 + p1 q0, q0 q1). With P/Q the roots, the check is P_w Q_t + P_t Q_w = 0.
 * Layer k (2^k nodes) is reduced to layer k - 1 by one sumcheck of degree 3 over k - 1
 * variables, batched with lambda_k: sum_y eq(rho_k, y) [lambda (P0 Q1 + P1 Q0) + Q0 Q1](y)
 * = lambda p_{k-1}(rho_k) + q_{k-1}(rho_k); the prover then sends A, B, C, D = p_k(0, r),
 * p_k(1, r), q_k(0, r), q_k(1, r) and mu_k gives rho_{k+1} = (mu_k, r). The leaves are
 * tied to C_a (tensor claims on a~ at (0, r) and (1, r)) and to C_m; the rest of the leaf
 * tables is public.
 *
 * Several tables (apex_lgkr_shape.tabs): a slot of a row checked against table t is the
 * leaf X - (a + t x), an element of F_p2 whose x coordinate is the table's tag, and the table
 * tree holds the tables one after another (widest first, so each starts at a multiple of its
 * size), entry e of table t being X - (e + t x); the rest up to a power of two repeats entry
 * (0, tag 0). Since a is a base element, a + t x = e + t' x only when a = e and t = t': the
 * tags cost no soundness. A value's top limb of k bits is then checked in its own table of
 * 2^k entries, instead of twice in T16 (as x and 2^(16 - k) x).
 *
 * Zero knowledge: every value the prover sends (the four roots, every round value, every
 * A, B, C, D) is sent as v - pi with a uniform pad pi in F_p2 committed in C_p before X is
 * drawn, each pad used once. The verifier's checks become constraints on the pads: linear,
 * except the products of two hidden values, which need pi_a * pi_b; C_p commits those
 * products with copy rows (X = [a0, a1, a0, a1], Y = [b0, b1, b1, b0], Z = X * Y, so
 * pi_a pi_b = (Z0 + 7 Z1) + (Z2 + Z3) x). One joint Ligero proof proves them all.
 *
 * Soundness: LogUp's (M + |T|)/|F_p2| (errata 9), plus per layer 3 (k - 1)/|F_p2| (the
 * sumcheck), 1/|F_p2| (lambda) and 1/|F_p2| (mu), plus Ligero's. Cost: no helper rows; the
 * prover does O(2^K) F_p2 work and the proof carries 2 + 2 K (K + 1) + 2 + 2 B (B + 1)
 * F_p2 values (B: the table tree's depth, bits for one table) instead of C_h's opened
 * columns.
 *
 * C_p layout (wr slots per row): entries 2e, 2e + 1 hold pad e (rows [0, nv)), then three
 * blocks of nprow rows: X, Y, Z, product q at slots 4q..4q+3 of each block.
 */
#ifndef APEX_ZK_LGKR_H
#define APEX_ZK_LGKR_H

#include "zk/cbuild.h"
#include "zk/ligero.h"

/* Widest table (2^16 entries: T16 of the design). */
#define APEX_LGKR_MAX_BITS 16u
/* Tables and row sections of one check with several tables. */
#define APEX_LGKR_MAX_TABLES 4u
#define APEX_LGKR_MAX_SECS   4u
/* Deepest witness tree accepted (2^30 leaves). */
#define APEX_LGKR_MAX_DEPTH 30u

/* Several tables for one check: ntab tables [0, 2^bits[t]), widths non-increasing, and C_a's
 * rows split in order into nsec sections, the rows[s] rows of section s checked against table
 * tab[s]; the sections cover every row. */
typedef struct apex_lgkr_tables {
    unsigned ntab; /* 0: the shape's one table of 2^bits for every row */
    unsigned bits[APEX_LGKR_MAX_TABLES];
    unsigned nsec;
    size_t rows[APEX_LGKR_MAX_SECS];
    unsigned tab[APEX_LGKR_MAX_SECS];
} apex_lgkr_tables;

/* Public shape of one range check. */
typedef struct apex_lgkr_shape {
    unsigned bits;               /* table [0, 2^bits), 1..APEX_LGKR_MAX_BITS (tabs.ntab == 0) */
    apex_ligero_params a_params; /* C_a: every witness slot (BLOCK per row) is checked */
    apex_ligero_params m_params; /* C_m: multiplicities, capacity >= the table tree's leaves */
    apex_ligero_params p_params; /* C_p: pads and products; nwrow >= apex_lgkr_pad_rows */
    apex_lgkr_tables tabs;       /* several tables ({0}: one, of 2^bits) */
} apex_lgkr_shape;

/* Rows C_p needs for this shape (its a_params, bits or tabs, and p_params' BLOCK and npad);
 * 0 when the shape is not valid. */
size_t apex_lgkr_pad_rows(const apex_lgkr_shape *sh);
/* F_p2 values the proof sends for this shape (0 when not valid). */
size_t apex_lgkr_sent_count(const apex_lgkr_shape *sh);

/* What the verifier receives besides C_a's stored root. */
typedef struct apex_lgkr_proof {
    apex_hash root_m;      /* multiplicities, committed before X */
    apex_hash root_p;      /* pads and their products, committed before X */
    apex_gl2 *sent;        /* [apex_lgkr_sent_count] padded values, in pad order */
    size_t nsent;          /* their number */
    apex_ligero_proof lig; /* the joint proof over (C_a, C_m, C_p) */
} apex_lgkr_proof;

/* Prove that every witness slot of ca is in its section's table ([0, 2^bits) for one table).
 * Uses one opening of ca. A value out of range yields a proof the verifier rejects (the
 * prover does not refuse). */
int apex_lgkr_prove(apex_transcript *t, const apex_lgkr_shape *sh, apex_ligero_commitment *ca,
                    apex_rng *test_rng, apex_lgkr_proof *out, const char **reason);
/* Verify against the stored root of C_a. APEX_OK or APEX_ERR_REJECTED with *reason. */
int apex_lgkr_verify(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                     const apex_lgkr_proof *pf, const char **reason);
void apex_lgkr_proof_free(apex_lgkr_proof *pf);

/* Composition into one joint proof (see zk/cbuild.h), as zk/logup.h: the prover's
 * apex_lgkr_prove_commit commits C_m and C_p, runs the GKR and hands both commitments over
 * (list them in the joint proof, destroy them after); pf->lig stays empty. The verifier's
 * apex_lgkr_verify_draw replays the transcript. Both then call apex_lgkr_emit for the
 * commitment list ps[0..n) with C_a, C_m, C_p at ia, im, ip. */
typedef struct apex_lgkr_state apex_lgkr_state;
int apex_lgkr_prove_commit(apex_transcript *t, const apex_lgkr_shape *sh,
                           apex_ligero_commitment *ca, apex_rng *test_rng,
                           apex_ligero_commitment **cm, apex_ligero_commitment **cp,
                           apex_lgkr_proof *out, apex_lgkr_state **st, const char **reason);
/* The same, with the witness tree's layers and round buffers carved from the caller's
 * scratch arena[0..arena_n) when it holds apex_lgkr_arena_entries(sh) F_p2 entries (else
 * allocated as usual): a prover that reuses that memory afterwards saves touching fresh pages.
 * The arena then holds functions of the witness, and its owner must wipe it. Same proof. */
size_t apex_lgkr_arena_entries(const apex_lgkr_shape *sh);
int apex_lgkr_prove_commit_in(apex_transcript *t, const apex_lgkr_shape *sh,
                              apex_ligero_commitment *ca, apex_rng *test_rng,
                              apex_ligero_commitment **cm, apex_ligero_commitment **cp,
                              apex_lgkr_proof *out, apex_lgkr_state **st, apex_gl2 *arena,
                              size_t arena_n, const char **reason);
int apex_lgkr_verify_draw(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                          const apex_lgkr_proof *pf, apex_lgkr_state **st, const char **reason);
int apex_lgkr_emit(const apex_lgkr_state *st, const apex_ligero_params *ps, size_t n, size_t ia,
                   size_t im, size_t ip, apex_cbuild *b, const char **reason);
void apex_lgkr_state_destroy(apex_lgkr_state **st);

/* Canonical encoding: root_m, root_p, the sent values, then the Ligero proof over
 * (C_a, C_m, C_p); every length checked against the shape. */
int apex_lgkr_proof_encode(const apex_lgkr_shape *sh, const apex_lgkr_proof *pf,
                           apex_enc_writer *w);
int apex_lgkr_proof_decode(const apex_lgkr_shape *sh, apex_enc_reader *r, apex_lgkr_proof *pf);

#endif /* APEX_ZK_LGKR_H */
