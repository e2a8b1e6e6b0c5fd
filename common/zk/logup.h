/* LogUp range check: every witness slot of a committed vector lies in T = [0, 2^bits).
 *
 * Plain LogUp (Haboeck 2022) over F_p2, proven with one joint Ligero proof (docs/PROOF.md,
 * "LogUp range checks"): sum_i 1/(X - a_i) = sum_{t in T} m_t/(X - t) for X drawn after the
 * values a (commitment C_a) and the multiplicities m (C_m) are committed, with X never in F_p
 * so no denominator vanishes. The helpers h_i = 1/(X - a_i) = H0 + x H1, the products
 * Z0 = a H0, Z1 = a H1 and g_t = m_t/(X - t) = G0 + x G1 live in C_h, committed after X.
 * The checks, each batched with fresh F_p2 challenges:
 *   Z0 = A * H0, Z1 = A * H1          quadratic constraints across C_a and C_h (same npad)
 *   h (X - a) = 1 on every slot        one tensor claim on C_h, weights sigma (rows) x rho
 *   g_t (X - t) = m_t for t in T       one sparse claim with 3 |T| terms
 *   sum h = sum g                      one tensor claim on C_h plus |T| sparse terms
 * Soundness: (M + |T|)/|F_p2| for M checked slots, plus Ligero's. Zero knowledge: only
 * commitments and a zero-knowledge Ligero proof leave the prover.
 *
 * C_h layout: for each row r of C_a, rows 4r..4r+3 are H0, H1, Z0, Z1; then ceil(|T| / wr)
 * rows of G0 and as many of G1 (entry t at row t / wr, slot t % wr of each block).
 */
#ifndef APEX_ZK_LOGUP_H
#define APEX_ZK_LOGUP_H

#include "zk/cbuild.h"
#include "zk/ligero.h"

/* Widest table this module builds (2^16 entries: the T16 of the design). */
#define APEX_LOGUP_MAX_BITS 16u

/* Public shape of one range check. */
typedef struct apex_logup_shape {
    unsigned bits;               /* table [0, 2^bits), 1..APEX_LOGUP_MAX_BITS */
    apex_ligero_params a_params; /* the checked commitment C_a (all its witness slots) */
    apex_ligero_params m_params; /* C_m: multiplicities, capacity >= 2^bits */
    apex_ligero_params h_params; /* C_h: a_params' BLOCK, npad and nreq, rows >= 4 nrow_a +
                                    2 ceil(2^bits / wr) */
} apex_logup_shape;

/* What the verifier receives besides C_a's stored root. */
typedef struct apex_logup_proof {
    apex_hash root_m;      /* multiplicities, committed before X */
    apex_hash root_h;      /* helpers, committed after X */
    apex_ligero_proof lig; /* the joint proof over (C_a, C_m, C_h) */
} apex_logup_proof;

/* Prove that every witness slot of ca is in [0, 2^bits). Uses one opening of ca. A value
 * out of range yields a proof the verifier rejects (the prover does not refuse). */
int apex_logup_prove(apex_transcript *t, const apex_logup_shape *sh, apex_ligero_commitment *ca,
                     apex_rng *test_rng, apex_logup_proof *out, const char **reason);
/* Verify against the stored root of C_a. APEX_OK or APEX_ERR_REJECTED with *reason. */
int apex_logup_verify(apex_transcript *t, const apex_logup_shape *sh, const apex_hash *root_a,
                      const apex_logup_proof *pf, const char **reason);
void apex_logup_proof_free(apex_logup_proof *pf);

/* Composition into one joint proof (see zk/cbuild.h). Prover: apex_logup_prove_commit
 * commits C_m and C_h, runs the transcript steps and hands both commitments over (list them
 * in the joint proof, destroy them after); pf->lig stays empty. Verifier:
 * apex_logup_verify_draw replays the same steps. Both: apex_logup_emit adds the checks for
 * the commitment list ps[0..n) with C_a, C_m, C_h at ia, im, ih. */
typedef struct apex_logup_state apex_logup_state;
int apex_logup_prove_commit(apex_transcript *t, const apex_logup_shape *sh,
                            apex_ligero_commitment *ca, apex_rng *test_rng,
                            apex_ligero_commitment **cm, apex_ligero_commitment **ch,
                            apex_logup_proof *out, apex_logup_state **st, const char **reason);
int apex_logup_verify_draw(apex_transcript *t, const apex_logup_shape *sh, const apex_hash *root_a,
                           const apex_logup_proof *pf, apex_logup_state **st, const char **reason);
int apex_logup_emit(const apex_logup_state *st, const apex_ligero_params *ps, size_t n, size_t ia,
                    size_t im, size_t ih, apex_cbuild *b, const char **reason);
void apex_logup_state_destroy(apex_logup_state **st);

/* Canonical encoding of a one-shot proof: root_m, root_h, then the Ligero proof over
 * (C_a, C_m, C_h); every length checked against the shape. */
int apex_logup_proof_encode(const apex_logup_shape *sh, const apex_logup_proof *pf,
                            apex_enc_writer *w);
int apex_logup_proof_decode(const apex_logup_shape *sh, apex_enc_reader *r, apex_logup_proof *pf);

#endif /* APEX_ZK_LOGUP_H */
