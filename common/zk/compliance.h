/* The compliance statement: the unlearning proof of shared PROOF.md section 1 (version 4:
 * two-stage sumcheck of errata 11, LogUp-GKR, Ligero rows with their pads outside H_B;
 * docs/PROOF.md, "Compliance statement").
 *
 * Public: the configuration (apex_comp_config, digested by each side from its own copy), the
 * binding fields (apex_comp_public: fleet, model, layer table, client, epoch, request, nonce,
 * the canonical cumulative mask M) and the roots C_G, C_w(e), C_w(e+1).
 * Private: G~ (int8, [nb][N][B]), w~ = w(e), w~' = w(e+1) (b_w-bit signed).
 * Proven, with D = nb B coordinates (j low, b high) and z = M u [d, D) (mask and padding):
 *   w~'_z = 0;  w~ = 0 on the padding [d, D);  w~' = w~ on blocks with no mask coordinate;
 *   rho~ = G~^T u + Lambda delta with u = G~ delta, delta = w~' - w~, and
 *   -tau <= rho~_j <= tau - 1 for every j not in z;  w~' in [-2^(b_w-1), 2^(b_w-1)).
 * How: the prover commits u (C_u) and the 16-bit limbs of w~' + 2^(b_w-1) and rho~ + tau
 * with the top-limb rule (C_l, six sections of D), range-checks C_l with LogUp-GKR over T16
 * (zk/lgkr.h: multiplicities C_m, pads C_p, no helper columns),
 * then proves two padded sumchecks: stage A over (b, i) of gamma (u - G~ delta) and
 * alpha u (sum_j c G~), whose G~-derived factors are left "free" and tied by stage B, a
 * degree-3 sumcheck over (b, j) that batches the (b, j) checks with the ties
 * eq(b2, b) G~(b, i2, j) (delta + alpha2 c). One joint Ligero proof covers (C_G, C_w(e),
 * C_w(e+1), C_u, C_l, C_m, C_p, C_pad/C_eval of both stages). The prover's memory is
 * O(D) F_p2 tables plus G~ itself: it streams over G~ twice (sum_j c G~, then G~ folded at
 * i2) and never builds a table of nb N B field elements.
 *
 * Errors: prover and verifier return an APEX_* code and set *reason; they never exit.
 */
#ifndef APEX_ZK_COMPLIANCE_H
#define APEX_ZK_COMPLIANCE_H

#include <stddef.h>
#include <stdint.h>

#include "zk/ligero.h"
#include "zk/lgkr.h"
#include "zk/logup.h"
#include "zk/stmt.h"
#include "zk/zksumcheck.h"

/* Sub-domain of the unlearning proof's transcript. */
#define APEX_COMP_DOMAIN "apex-zk/compliance/unlearn"
/* Bytes of every opaque identifier in the public inputs. */
#define APEX_COMP_ID_LEN 32u
/* Narrowest range-check limb (L): b_w and t + 1 must lie in (L, 2L]. Production uses 16
 * (T16); tests use 12 to keep the table small. */
#define APEX_COMP_MIN_LIMB 8u
/* Largest mask one statement may carry (bounds the verifier's work and the decoder). */
#define APEX_COMP_MAX_MASK (1u << 24)

/* The shared configuration; both sides hold their own copy (never from the proof). */
typedef struct apex_comp_config {
    apex_stmt_params sp; /* N, B, b_G, b_w, Lambda~, t, limb bits (N and B powers of two) */
    uint64_t d;          /* targeted weights; padded to D = nb B with nb a power of two */
    unsigned log_block;  /* Ligero BLOCK = 2^log_block witness slots per row; (kmax + 1) *
                            nreq pads outside H_B */
    size_t nreq;         /* Ligero columns opened per proof */
    uint32_t kmax;       /* openings of C_G allowed after registration (decision 5) */
} apex_comp_config;

/* Public binding fields of one unlearning request. */
typedef struct apex_comp_public {
    uint8_t fleet_id[APEX_COMP_ID_LEN];   /* fleet */
    uint8_t model_id[APEX_COMP_ID_LEN];   /* model */
    uint8_t layer_hash[APEX_COMP_ID_LEN]; /* hash of the layer table */
    uint8_t client_id[APEX_COMP_ID_LEN];  /* client */
    uint8_t request_id[APEX_COMP_ID_LEN]; /* unlearning request */
    uint8_t nonce[APEX_COMP_ID_LEN];      /* the coordinator's fresh nonce */
    uint64_t epoch;                       /* e: proves the step e -> e + 1 */
    const uint64_t *mask;                 /* [nmask] cumulative mask, strictly increasing, < d */
    size_t nmask;                         /* |M| */
    apex_hash root_g;                     /* C_G (registration) */
    apex_hash root_w0;                    /* C_w(e) */
    apex_hash root_w1;                    /* C_w(e+1) */
} apex_comp_public;

/* Shapes derived from the configuration. */
typedef struct apex_comp_dims {
    unsigned log_n;                  /* N = 2^log_n */
    unsigned log_b;                  /* B = 2^log_b */
    unsigned log_nb;                 /* nb = 2^log_nb blocks */
    unsigned k;                      /* variables of C_G: log_b + log_n + log_nb */
    uint64_t nblk_real;              /* ceil(d / B): blocks the caller's G~ holds */
    apex_ligero_params pg;           /* C_G: ceil(d/B) N B values (the padded blocks
                                        up to nb are zero and not committed) */
    apex_ligero_params pw;           /* C_w(e), C_w(e+1): D values */
    apex_ligero_params pu;           /* C_u: nb N values */
    apex_lgkr_shape lg;              /* C_l (4 sections of limbs), C_m, C_p: LogUp-GKR of the
                                        unlearning proof, the top limbs in their own tables */
    apex_logup_shape lu;             /* plain LogUp's C_l, C_m, C_h: the base shape of
                                        registration's range check (still v1) */
    apex_zksc_shape zs;              /* base shape of a padded sumcheck over k variables
                                        (registration; terms filled in by the proof) */
    apex_zksc_shape za;              /* stage A over (b, i): log_n + log_nb variables */
    apex_zksc_shape zb;              /* stage B over (b, j): log_b + log_nb variables */
    uint8_t digest[APEX_SHA256_LEN]; /* params digest of the whole configuration */
} apex_comp_dims;

/* Validate the configuration and derive the shapes and the params digest. */
int apex_comp_dims_of(const apex_comp_config *cfg, apex_comp_dims *dm, const char **reason);

/* Commit a weight vector w[0..d) (padding zero) with the shape of C_w. */
apex_ligero_commitment *apex_comp_commit_w(const apex_comp_config *cfg, const int32_t *w,
                                           apex_hash *root, const char **reason);
/* Commit G~ [ceil(d/B)][N][B] int8 (padded blocks zero) with the shape of C_G. */
apex_ligero_commitment *apex_comp_commit_g(const apex_comp_config *cfg, const int8_t *g,
                                           apex_hash *root, const char **reason);

/* A row source over the caller's G~ or w~ (it must outlive every commitment made from it):
 * commitments that keep nothing of size O(witness), can cache their tableau, and can be saved
 * and loaded (the compliance CLI's client.key). Fill with apex_comp_src_g / apex_comp_src_w. */
typedef struct apex_comp_src {
    const int8_t *g;      /* G~ [ceil(d/B)][N][B], or NULL */
    const int32_t *w;     /* w~ [d], or NULL */
    size_t n;             /* real entries; the rest of the capacity reads as zero */
    size_t wr;            /* witness slots per row */
    apex_ligero_params p; /* the commitment's shape */
} apex_comp_src;

int apex_comp_src_g(const apex_comp_config *cfg, const int8_t *g, apex_comp_src *s,
                    const char **reason);
int apex_comp_src_w(const apex_comp_config *cfg, const int32_t *w, apex_comp_src *s,
                    const char **reason);
/* Commit through the source; cache_path (may be NULL) also writes the tableau cache. */
apex_ligero_commitment *apex_comp_commit_src(apex_comp_src *s, const char *cache_path,
                                             apex_hash *root, const char **reason);
/* Commit through the source keeping the tableau in memory (APEX_LIGERO_TABLEAU_MEM): for
 * C_w(e+1), committed just before the proof that opens it (32 MB at d = 10^6). cache_path
 * (may be NULL) also writes the tableau there, for the next round, where this commitment is
 * C_w(e) and is loaded from its saved state. */
apex_ligero_commitment *apex_comp_commit_src_mem(apex_comp_src *s, const char *cache_path,
                                                 apex_hash *root, const char **reason);
/* Restore a commitment saved with apex_ligero_commitment_save for this source and root. */
apex_ligero_commitment *apex_comp_load_src(apex_comp_src *s, const char *path,
                                           const apex_hash *root, const char **reason);

/* The proof (owned arrays; apex_comp_proof_free). */
typedef struct apex_comp_proof {
    apex_hash root_u;      /* C_u */
    apex_hash root_l;      /* C_l */
    apex_lgkr_proof lg;    /* root_m, root_p, the padded GKR values (its lig stays empty) */
    apex_zksc_proof zs;    /* stage A: root_pad, root_eval, padded rounds (lig stays empty) */
    apex_zksc_proof zsb;   /* stage B: likewise */
    apex_ligero_proof lig; /* the one joint proof */
} apex_comp_proof;

/* Prove the step w0 -> w1 (both [d]) under G~ ([ceil(d/B)][N][B]). cg, cw0 are the stored
 * commitments of G~ and w0, cw1 the new one of w1 (apex_comp_commit_w); each loses one
 * opening. *g_openings is the caller's persistent count of proofs already made against C_G
 * since registration: the prover refuses (APEX_ERR_STATE, "opening budget exhausted") when
 * it has reached cfg->kmax, and otherwise increments it BEFORE anything is revealed, so a
 * caller that writes the new count to disk before sending the proof never exceeds the
 * budget (decision 5: a retry resends the cached proof and never proves again).
 * The prover checks the witness first and refuses with APEX_ERR_REJECTED and a reason
 * naming the failed condition ("mask constraint failed", "range check failed on w'",
 * "residual out of tolerance", "untouched block changed"). test_rng: seeded randomness for
 * tests, NULL in a product. */
int apex_comp_prove(const apex_comp_config *cfg, const apex_comp_public *pub, const int8_t *g,
                    const int32_t *w0, const int32_t *w1, apex_ligero_commitment *cg,
                    apex_ligero_commitment *cw0, apex_ligero_commitment *cw1, uint32_t *g_openings,
                    apex_rng *test_rng, apex_comp_proof *out, const char **reason);

/* Bits of Ligero proximity soundness of the configuration: NREQ queries on rows of degree
 * < BLOCK + (K_max + 1) NREQ (apex_ligero_soundness_bits). */
double apex_comp_ligero_bits(const apex_comp_config *cfg);

/* Verify with the verifier's own configuration and stored roots (in pub). APEX_OK, or
 * APEX_ERR_REJECTED with *reason ("compliance: ..."). */
int apex_comp_verify(const apex_comp_config *cfg, const apex_comp_public *pub,
                     const apex_comp_proof *pf, const char **reason);

void apex_comp_proof_free(apex_comp_proof *pf);

/* Registration proof: C_G and C_w(0) are well formed (G~ entries in [-2^(b_G-1), 2^(b_G-1)),
 * w~ in [-2^(b_w-1), 2^(b_w-1)), w~ = 0 on the padding). The verifier checks it before it
 * stores the roots (pub->root_g, pub->root_w0; mask and epoch are absorbed as given, use
 * an empty mask and epoch 0). Uses one opening of C_G: registration plus K_max proofs. */
typedef struct apex_comp_reg_proof {
    apex_hash root_r;      /* C_r: the limbs of G~ and w~ */
    apex_logup_proof lu;   /* root_m, root_h */
    apex_zksc_proof zs;    /* the tie sumcheck (its lig stays empty) */
    apex_ligero_proof lig; /* the one joint proof */
} apex_comp_reg_proof;

int apex_comp_register_prove(const apex_comp_config *cfg, const apex_comp_public *pub,
                             const int8_t *g, const int32_t *w0, apex_ligero_commitment *cg,
                             apex_ligero_commitment *cw0, apex_rng *test_rng,
                             apex_comp_reg_proof *out, const char **reason);
int apex_comp_register_verify(const apex_comp_config *cfg, const apex_comp_public *pub,
                              const apex_comp_reg_proof *pf, const char **reason);
void apex_comp_reg_proof_free(apex_comp_reg_proof *pf);
/* Peak memory the registration prover needs for cfg, in bytes (0 for a configuration
 * apex_comp_dims_of refuses): an upper estimate, 384 bytes per G~ entry of the padded
 * F = nb N B plus 64 MB, from peaks of 349-357 bytes per entry measured at N = 64, B = 256,
 * F = 2^22..2^25 (1.5-11.7 GB), since registration is still the flat v1 proof over F-sized
 * tables. Callers refuse early rather than be killed by the kernel partway (about 25 GB at
 * d = 10^6, N = 64). */
size_t apex_comp_register_mem_estimate(const apex_comp_config *cfg);
/* Canonical encoding of a registration proof: version, the five proof-time roots, the k * 3
 * padded round values, the joint Ligero proof (same decoder rules as below). */
int apex_comp_reg_proof_encode(const apex_comp_config *cfg, const apex_comp_reg_proof *pf,
                               apex_enc_writer *w);
int apex_comp_reg_proof_decode(const apex_comp_config *cfg, apex_enc_reader *r,
                               apex_comp_reg_proof *pf);

/* Canonical encoding: u32 APEX_COMP_PROOF_VERSION, the eight proof-time roots (C_u, C_l, C_m,
 * C_p, C_pad and C_eval of stage A, then of stage B), stage A's (log_n + log_nb) * 3 and
 * stage B's (log_b + log_nb) * 4 padded round values, the LogUp-GKR's padded values
 * (apex_lgkr_sent_count), then the joint Ligero proof. Every
 * length follows from the configuration; the decoder rejects another version, non-canonical
 * field elements and short input before allocating, and the caller checks that nothing
 * trails (apex_enc_reader_finish). */
int apex_comp_proof_encode(const apex_comp_config *cfg, const apex_comp_proof *pf,
                           apex_enc_writer *w);
int apex_comp_proof_decode(const apex_comp_config *cfg, apex_enc_reader *r, apex_comp_proof *pf);

#endif /* APEX_ZK_COMPLIANCE_H */
