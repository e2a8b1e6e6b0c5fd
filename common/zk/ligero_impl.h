/* Internals shared by ligero.c (commit, prove), ligero_verify.c (verify, encoding) and the
 * tests (which corrupt a tableau on purpose). Not a public API. */
#ifndef APEX_ZK_LIGERO_IMPL_H
#define APEX_ZK_LIGERO_IMPL_H

#include "zk/ligero.h"
#include "zk/ntt.h"

/* NTT plans for the three domain sizes. */
typedef struct ligero_plans {
    apex_ntt *b; /* |H_B| = BLOCK */
    apex_ntt *d; /* |H_D| = 2 BLOCK */
    apex_ntt *q; /* |Q| = 4 BLOCK (used as a coset transform with shift 7) */
} ligero_plans;

struct apex_ligero_prover {
    apex_ligero_params p; /* public shape */
    apex_ligero_dims d;   /* derived sizes */
    ligero_plans plans;   /* transforms for BLOCK, DBLOCK and 4 BLOCK */
    apex_gl *coef;        /* [nrow][dblock] row coefficients (degree < BLOCK, except the
                             IDOT rows: degree < DBLOCK) */
    apex_gl *tab;         /* [nq][nrow] the tableau on Q, column-major so a column (one
                             Merkle leaf) is contiguous */
    uint8_t *salts;       /* [nq][APEX_MERKLE_SALT_LEN] leaf salts */
    apex_merkle *tree;    /* Merkle tree over the nq columns */
    apex_hash root;       /* its root */
    int opened;           /* 1 once a proof has opened columns: the pads allow one opening */
};

int ligero_plans_init(ligero_plans *pl, unsigned log_block);
void ligero_plans_free(ligero_plans *pl);

/* Evaluate an F_p2 polynomial with n <= 4 BLOCK coefficients on Q: out[q] for q < 4 BLOCK.
 * tmp holds 4 BLOCK base elements. */
void ligero_extend_q(const ligero_plans *pl, const apex_gl2 *coef, size_t n, apex_gl2 *out,
                     apex_gl *tmp);

/* The combined constraint vector A^T alpha, laid out per witness row on H_B slots:
 * out[i * BLOCK + k] (zero on pad slots). APEX_ERR_RANGE for a term outside the witness or
 * constraint range. */
int ligero_weights(const apex_ligero_dims *d, size_t npad, const apex_ligero_term *terms,
                   size_t nterms, size_t nlin, const apex_gl2 *alpha, apex_gl2 *out);

/* Interpolate an F_p2 row given by its values on H_B into BLOCK coefficients, in place.
 * tmp holds BLOCK base elements. */
void ligero_interp_b(const ligero_plans *pl, apex_gl2 *row, size_t block, apex_gl *tmp);

/* leaf = H(0x00 || salt || le64(col[0]) || ... || le64(col[nrow-1])). */
int ligero_leaf(const uint8_t *salt, const apex_gl *col, size_t nrow, apex_hash *out);

/* Absorb the shape and root that begin every Ligero transcript segment. */
int ligero_absorb_header(apex_transcript *t, const apex_ligero_params *p, const apex_hash *root);

/* apex_ligero_prove with the claimed right-hand sides taken from claim instead of computed
 * from the witness when claim != NULL: lets tests play a prover that lies about b. */
int ligero_prove_claiming(apex_ligero_prover *pr, apex_transcript *t, const apex_ligero_term *terms,
                          size_t nterms, size_t nlin, const apex_gl *claim, apex_ligero_proof *out,
                          const char **reason);

/* Rebuild the Merkle tree after a test changed tab (tests only). */
int ligero_rebuild_tree(apex_ligero_prover *pr);

#endif /* APEX_ZK_LIGERO_IMPL_H */
