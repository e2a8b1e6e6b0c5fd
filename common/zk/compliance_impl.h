/* Internals of the compliance statement shared by its files and its tests. */
#ifndef APEX_ZK_COMPLIANCE_IMPL_H
#define APEX_ZK_COMPLIANCE_IMPL_H

#include "zk/compliance.h"

/* The joint proof's commitment list. */
enum {
    COMP_CG = 0,      /* C_G */
    COMP_CW0 = 1,     /* C_w(e) */
    COMP_CW1 = 2,     /* C_w(e+1) */
    COMP_CU = 3,      /* C_u */
    COMP_CL = 4,      /* C_l: limbs, checked by LogUp-GKR */
    COMP_CM = 5,      /* LogUp multiplicities */
    COMP_CP = 6,      /* LogUp-GKR pads and their products */
    COMP_CPADA = 7,   /* stage A sumcheck pads */
    COMP_CEVALA = 8,  /* stage A evaluations (and S_A) */
    COMP_CPADB = 9,   /* stage B sumcheck pads */
    COMP_CEVALB = 10, /* stage B evaluations */
    COMP_NCOMMIT = 11
};

/* Sections of C_l, D values each. */
enum {
    COMP_L_WLO = 0, /* low 16 bits of w' + 2^(b_w-1): T16 */
    COMP_L_WHI = 1, /* its top limb, b_w - 16 bits: its own table */
    COMP_L_RLO = 2, /* low 16 bits of rho + tau: T16 */
    COMP_L_RHI = 3, /* its top limb, t + 1 - 16 bits: its own table */
    COMP_L_NSEC = 4
};

/* C_l's section stride: D, or one row when D is shorter (each section starts a row, so the
 * range check can give each its own table). */
static inline size_t comp_l_stride(const apex_comp_dims *dm)
{
    size_t dd = (size_t)1 << (dm->log_b + dm->log_nb), wr = (size_t)1 << dm->lg.a_params.log_block;
    return dd > wr ? dd : wr;
}

/* A dishonest prover for the attack tests (never used by a product). */
typedef struct comp_cheat {
    int skip_checks;  /* prove whatever the witness is, without the prover's own checks */
    int forge_rho;    /* override the rho limbs of coordinate rho_j */
    uint64_t rho_j;   /* the coordinate */
    apex_gl limbs[2]; /* lo, hi as field elements */
    int perturb_u;    /* commit u + 1 at (b, i) = (0, 0) (and rho, limbs consistent with it) */
    int perturb_gc;   /* stage A's derived table sum_j c G~ off by one at (0, 0) */
    int perturb_gd;   /* stage A's derived table G~ delta off by one at (0, 0) */
} comp_cheat;

/* Stage A tables over (b, i) (i low): committed first, then public. U is a view of C_u; GD
 * (= G~ delta) and GC (= sum_j c G~) are derived from G~ ("free": stage B ties them). */
enum {
    COMP_A_U = 0,
    COMP_A_GD,
    COMP_A_GC,
    COMP_A_NCOM,             /* = 3 */
    COMP_A_E1 = COMP_A_NCOM, /* eq(gamma, (b, i)) */
    COMP_A_N
};
/* Terms of stage A: E1 U - E1 GD - alpha U GC, claimed sum S_A (hidden, C_eval_A). */
#define COMP_A_NTERMS 3u
/* Stage B tables over (b, j) (j low). */
enum {
    COMP_B_G = 0, /* G~(b, i2, j): a view of C_G with i fixed at stage A's point */
    COMP_B_W1,
    COMP_B_W0,
    COMP_B_WLO,
    COMP_B_WHI,
    COMP_B_RLO,
    COMP_B_RHI,
    COMP_B_NCOM,            /* = 7 */
    COMP_B_C = COMP_B_NCOM, /* eq(beta, (b, j)) (1 - z): the residual rows */
    COMP_B_D,               /* eq(zeta, (b, j)) [block untouched] */
    COMP_B_Z,               /* eq(zeta', (b, j)) [(b, j) in z] */
    COMP_B_P,               /* eq(zeta', (b, j)) [(b, j) padding] */
    COMP_B_T,               /* eq(eta, (b, j)): limb ties */
    COMP_B_EB,              /* eq(b2, b): stage A's block point */
    COMP_B_N
};
#define COMP_B_NTERMS 14u
/* Degrees of the two stages. */
#define COMP_A_DEG 2u
#define COMP_B_DEG 3u

/* Challenges: gamma..alpha after the limbs, LogUp and C_u are committed; alpha2 after
 * stage A's evaluations are committed. */
typedef struct comp_chal {
    apex_gl2 *gamma; /* [log_n + log_nb] */
    apex_gl2 *beta;  /* [log_b + log_nb] */
    apex_gl2 *zeta;  /* [log_b + log_nb] */
    apex_gl2 *zeta2; /* [log_b + log_nb] */
    apex_gl2 *eta;   /* [log_b + log_nb] */
    apex_gl2 alpha;  /* batching of the statement's checks */
    apex_gl2 alpha2; /* batching of stage B's ties to stage A */
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
/* The same for C_G's table of 2^n values at offset 0, of which C_G commits only the rows
 * of real blocks (nrow): the row weights past nrow are dropped, which is exact because the
 * padded blocks of G~ are zero by definition (they are not committed, so nothing else can
 * be there). */
int comp_view_fill_g(const apex_gl2 *pt, unsigned n, size_t wr, size_t nrow, apex_gl2 *row_w,
                     apex_gl2 *slot_w);
/* The mask is strictly increasing and below d. */
int comp_mask_ok(const apex_comp_config *cfg, const apex_comp_public *pub, const char **reason);
/* Stage A's terms (claimed sum: S_A, hidden in C_eval_A after the V_t). */
void comp_terms_a(const comp_chal *c, apex_sumcheck_term *terms);
/* Stage B's coefficients: a[i] = alpha^i, the limb factor 2^L, Lambda, and alpha2,
 * alpha2^2 (comp_terms_b's terms use them; so does the prover's faster formulation). */
typedef struct comp_b_coef {
    apex_gl2 a[8];
    apex_gl two16, lam;
    apex_gl2 a2, a22;
} comp_b_coef;
void comp_b_coefs(const apex_comp_config *cfg, const comp_chal *c, comp_b_coef *k);
/* Stage B's terms and the public part of its claimed sum. */
void comp_terms_b(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                  apex_sumcheck_term *terms, apex_gl2 *claim, const apex_comp_public *pub);
/* Hidden parts of the two claims: stage A's S_A and stage B's - S_A + alpha2 V_GD +
 * alpha2^2 V_GC (entries of C_eval_A in the joint list ps). */
int comp_hidden(const apex_comp_dims *dm, const comp_chal *c, apex_ligero_xterm *hid_a,
                apex_ligero_xterm *hid_b);
#define COMP_NHID_A 2u
#define COMP_NHID_B 6u
/* Public tables' values: stage A at ra (one value), stage B at rb (COMP_B_N - COMP_B_NCOM). */
apex_gl2 comp_pubval_a(const apex_comp_dims *dm, const comp_chal *c, const apex_gl2 *ra);
void comp_pubvals_b(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                    const apex_comp_public *pub, const apex_gl2 *ra, const apex_gl2 *rb,
                    apex_gl2 *vals);
/* Views of the committed tables; weights live in *store (free it). */
int comp_views_a(const apex_comp_dims *dm, const apex_gl2 *ra, apex_zksc_view *views,
                 apex_gl2 **store);
int comp_views_b(const apex_comp_dims *dm, const apex_gl2 *ra, const apex_gl2 *rb,
                 apex_zksc_view *views, apex_gl2 **store);
/* The joint list's shapes. */
void comp_joint_params(const apex_comp_dims *dm, apex_ligero_params *ps);
/* eq(pt, x) for an integer x of n bits. */
apex_gl2 comp_eq_at(const apex_gl2 *pt, unsigned n, uint64_t x);
/* sum over x in [d, 2^n) of eq(a, x) eq(b, x) (b NULL: eq(a, x)), in O(n); 0 when d >= 2^n
 * or n >= 64. */
apex_gl2 comp_sum_eq_from(const apex_gl2 *a, const apex_gl2 *b, unsigned n, uint64_t d);

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
