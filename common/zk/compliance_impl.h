/* Internals of the compliance statement shared by its files and its tests. */
#ifndef APEX_ZK_COMPLIANCE_IMPL_H
#define APEX_ZK_COMPLIANCE_IMPL_H

#include "zk/compliance.h"

/* The joint proof's commitment list. */
enum {
    COMP_CG = 0,    /* C_G */
    COMP_CW0 = 1,   /* C_w(e) */
    COMP_CW1 = 2,   /* C_w(e+1) */
    COMP_CU = 3,    /* C_u */
    COMP_CL = 4,    /* C_l: limbs, checked by LogUp */
    COMP_CM = 5,    /* LogUp multiplicities */
    COMP_CH = 6,    /* LogUp helpers */
    COMP_CPAD = 7,  /* sumcheck pads */
    COMP_CEVAL = 8, /* sumcheck evaluations */
    COMP_NCOMMIT = 9
};

/* Sections of C_l, D values each. */
enum {
    COMP_L_WLO = 0,  /* low 16 bits of w' + 2^(b_w-1) */
    COMP_L_WHI = 1,  /* its top limb */
    COMP_L_WHI2 = 2, /* the top limb times 2^(16 - (b_w - 16)) (top-limb rule) */
    COMP_L_RLO = 3,  /* low 16 bits of rho + tau */
    COMP_L_RHI = 4,  /* its top limb */
    COMP_L_RHI2 = 5, /* the top limb times 2^(16 - (t + 1 - 16)) */
    COMP_L_NSEC = 6
};

/* A dishonest prover for the attack tests (never used by a product). */
typedef struct comp_cheat {
    int skip_checks;  /* prove whatever the witness is, without the prover's own checks */
    int forge_rho;    /* override the rho limbs of coordinate rho_j */
    uint64_t rho_j;   /* the coordinate */
    apex_gl limbs[3]; /* lo, hi, hi2 as field elements */
} comp_cheat;

/* Sumcheck tables: the committed ones first (views of the commitments), then the public. */
enum {
    COMP_T_G = 0,
    COMP_T_W1,
    COMP_T_W0,
    COMP_T_U,
    COMP_T_WLO,
    COMP_T_WHI,
    COMP_T_WHI2,
    COMP_T_RLO,
    COMP_T_RHI,
    COMP_T_RHI2,
    COMP_T_NCOMMITTED,             /* = 10 */
    COMP_T_E1 = COMP_T_NCOMMITTED, /* eq(gamma, (i, b)) */
    COMP_T_C,                      /* eq(beta, (j, b)) (1 - z): the residual rows */
    COMP_T_D,                      /* eq(zeta, (j, b)) [block untouched] */
    COMP_T_Z,                      /* eq(zeta', (j, b)) [(j, b) in z] */
    COMP_T_P,                      /* eq(zeta', (j, b)) [(j, b) padding] */
    COMP_T_T,                      /* eq(eta, (j, b)): limb ties */
    COMP_T_N
};
/* Terms of the batched sumcheck. */
#define COMP_NTERMS 19u

/* Challenges drawn after the limbs, LogUp and C_u are committed. */
typedef struct comp_chal {
    apex_gl2 *gamma; /* [log_n + log_nb] */
    apex_gl2 *beta;  /* [log_b + log_nb] */
    apex_gl2 *zeta;  /* [log_b + log_nb] */
    apex_gl2 *zeta2; /* [log_b + log_nb] */
    apex_gl2 *eta;   /* [log_b + log_nb] */
    apex_gl2 alpha;  /* batching */
} comp_chal;

int comp_chal_draw(apex_transcript *t, const apex_comp_dims *dm, comp_chal *c);
void comp_chal_free(comp_chal *c);
/* Transcript with the configuration digest and every public input absorbed. */
apex_transcript *comp_transcript(const apex_comp_dims *dm, const apex_comp_public *pub);
apex_transcript *comp_transcript_for(const char *domain, const apex_comp_dims *dm,
                                     const apex_comp_public *pub);
/* Tensor weights of a vector of 2^n values at witness offset off (a multiple of 2^n) of a
 * commitment with nrow rows of wr slots, at point pt[n] (row_w, slot_w zeroed before). */
int comp_view_fill(size_t off, const apex_gl2 *pt, unsigned n, size_t wr, size_t nrow,
                   apex_gl2 *row_w, apex_gl2 *slot_w);
/* The mask is strictly increasing and below d. */
int comp_mask_ok(const apex_comp_config *cfg, const apex_comp_public *pub, const char **reason);
/* Term list and public claimed sum for the challenges. */
void comp_terms(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                apex_sumcheck_term *terms, apex_gl2 *claim, const apex_comp_public *pub);
/* Public tables' values at r (COMP_T_N - COMP_T_NCOMMITTED values). */
void comp_pubvals(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                  const apex_comp_public *pub, const apex_gl2 *r, apex_gl2 *vals);
/* Views of the committed tables at r; weights live in *store (free it). */
int comp_views(const apex_comp_dims *dm, const apex_gl2 *r, apex_zksc_view *views,
               apex_gl2 **store);
/* The joint list's shapes. */
void comp_joint_params(const apex_comp_dims *dm, apex_ligero_params *ps);
/* eq(pt, x) for an integer x of n bits. */
apex_gl2 comp_eq_at(const apex_gl2 *pt, unsigned n, uint64_t x);

int comp_prove_impl(const apex_comp_config *cfg, const apex_comp_public *pub, const int8_t *g,
                    const int32_t *w0, const int32_t *w1, apex_ligero_commitment *cg,
                    apex_ligero_commitment *cw0, apex_ligero_commitment *cw1, uint32_t *g_openings,
                    apex_rng *test_rng, const comp_cheat *cheat, apex_comp_proof *out,
                    const char **reason);

/* Registration with G~ given as wider integers, so tests can commit out-of-range entries;
 * skip_checks plays a prover that proves anyway (2: also forges the top-limb copies of G~
 * into the table, which only the copy tie catches). */
int comp_register_impl(const apex_comp_config *cfg, const apex_comp_public *pub, const int32_t *g,
                       const int32_t *w0, apex_ligero_commitment *cg, apex_ligero_commitment *cw0,
                       apex_rng *test_rng, int skip_checks, apex_comp_reg_proof *out,
                       const char **reason);

#endif /* APEX_ZK_COMPLIANCE_IMPL_H */
