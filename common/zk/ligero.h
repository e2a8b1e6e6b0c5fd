/* Ligero polynomial commitment with zero-knowledge rows, a low-degree test and a linear
 * ("dot") test; every challenge is an F_p2 element.
 *
 * Domains (docs/PROOF.md, "Ligero"), all inside Goldilocks' 2-adic subgroups:
 *   H_B = <w_B>,  |H_B| = BLOCK = 2^log_block   message points; slot k is w_B^k
 *   H_D = <w_2B>, |H_D| = DBLOCK = 2 BLOCK      products and dot responses (H_B = even slots)
 *   Q   = 7 <w_4B>, |Q| = 4 BLOCK               the Reed-Solomon query domain (rate 1/4);
 *                                               disjoint from H_D because 7 is no 2^k-th root
 * Column indices follow the one convention of the decisions: NCOL = DBLOCK + 4 BLOCK, and
 * index c in [DBLOCK, NCOL) names the point 7 w_4B^(c - DBLOCK). Only those columns are
 * committed (Merkle leaf c - DBLOCK) and queries are drawn from [DBLOCK, NCOL) without
 * replacement.
 *
 * Rows (all base-field rows; an F_p2 masking row is two base rows, decisions item 3):
 *   0, 1  ILDT.c0, ILDT.c1  uniformly random, degree < BLOCK: masks the LDT response
 *   2, 3  IDOT.c0, IDOT.c1  random, degree < DBLOCK, each summing to 0 over the witness
 *                           slots of H_B: masks the dot response
 *   4..   witness rows      slots [0, npad) random pads, [npad, BLOCK) witness values
 * A witness row is one polynomial of degree < BLOCK; with npad >= nreq pads, nreq opened
 * evaluations outside H_B are uniformly random whatever the witness (npad must cover every
 * opening of the commitment: the caller sizes it by its opening budget).
 *
 * Protocol (Fiat-Shamir, transcript t, after the caller absorbed the statement):
 *   absorb root; u = nwrow F_p2; alpha = nlin F_p2;
 *   prover sends ldt = coefficients of ILDT + sum_i u_i p_i        (BLOCK F_p2)
 *               dot = values on H_D of IDOT + sum_i r_i p_i        (DBLOCK F_p2)
 *     where r_i interpolates, on H_B, the row-i slice of A^T alpha (zero on pad slots);
 *   absorb ldt, dot; draw nreq column indices; prover opens those columns.
 * Verifier: Merkle batch check; sum of dot over the witness slots equals alpha . b;
 * at every opened column, ldt and dot (extended to Q) match the column combinations.
 */
#ifndef APEX_ZK_LIGERO_H
#define APEX_ZK_LIGERO_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "zk/encode.h"
#include "zk/field.h"
#include "zk/merkle.h"
#include "zk/transcript.h"

/* Masking rows that precede the witness rows. */
enum {
    APEX_LIGERO_ILDT = 0, /* rows 0, 1: c0 and c1 of the F_p2 LDT mask */
    APEX_LIGERO_IDOT = 2, /* rows 2, 3: c0 and c1 of the F_p2 dot mask */
    APEX_LIGERO_IW = 4,   /* first witness row */
};

/* Public shape of one commitment; both sides take it from their own configuration. */
typedef struct apex_ligero_params {
    unsigned log_block; /* BLOCK = 2^log_block slots per row */
    size_t npad;        /* random pad slots per witness row (>= nreq times the openings) */
    size_t nreq;        /* columns opened per proof */
    size_t nwrow;       /* witness rows; witness capacity nwrow * (BLOCK - npad) */
} apex_ligero_params;

/* Sizes derived from the parameters. */
typedef struct apex_ligero_dims {
    size_t block;  /* BLOCK */
    size_t wr;     /* witness slots per row, BLOCK - npad */
    size_t dblock; /* DBLOCK = 2 BLOCK */
    size_t nq;     /* committed columns, 4 BLOCK (rate 1/4) */
    size_t ncol;   /* DBLOCK + 4 BLOCK */
    size_t nrow;   /* APEX_LIGERO_IW + nwrow */
    size_t nw;     /* witness capacity, nwrow * wr */
} apex_ligero_dims;

/* One term of a linear constraint: coef * W[w] contributes to constraint c. */
typedef struct apex_ligero_term {
    size_t c;     /* constraint index, < nlin */
    size_t w;     /* witness index, < nw */
    apex_gl coef; /* canonical coefficient */
} apex_ligero_term;

/* A proof; arrays are owned (apex_ligero_proof_free). */
typedef struct apex_ligero_proof {
    apex_gl2 *ldt;  /* [BLOCK] coefficients of the LDT response polynomial */
    apex_gl2 *dot;  /* [DBLOCK] values on H_D of the dot response polynomial */
    apex_gl *cols;  /* [nreq][nrow] opened columns, in query draw order */
    uint8_t *salts; /* [nreq][APEX_MERKLE_SALT_LEN] the opened leaves' salts */
    apex_hash *sib; /* [nsib] Merkle multi-opening siblings */
    size_t nsib;    /* number of sibling hashes */
} apex_ligero_proof;

typedef struct apex_ligero_prover apex_ligero_prover;

/* Validates the parameters (APEX_ERR_INVALID with *reason) and fills dims. */
int apex_ligero_dims_of(const apex_ligero_params *p, apex_ligero_dims *d, const char **reason);

/* Commit to w[0..nw) (nw <= capacity; the rest is zero). Pads, masks and salts come from
 * the OS (getrandom) unless test_rng is non-NULL (golden tests only, never in a product).
 * Writes the root; returns NULL with *reason on bad input or out of memory. */
apex_ligero_prover *apex_ligero_commit(const apex_ligero_params *p, const apex_gl *w, size_t nw,
                                       apex_rng *test_rng, apex_hash *root, const char **reason);
void apex_ligero_prover_destroy(apex_ligero_prover **pr);

/* Prove linear constraints sum_terms coef * W[w] = b[c] for c < nlin. A prover opens its
 * commitment once: a second call returns APEX_ERR_STATE (the pads hide nreq openings). */
int apex_ligero_prove(apex_ligero_prover *pr, apex_transcript *t, const apex_ligero_term *terms,
                      size_t nterms, size_t nlin, apex_ligero_proof *out, const char **reason);

/* APEX_OK, or APEX_ERR_REJECTED with *reason; other codes for resource failures. */
int apex_ligero_verify(const apex_ligero_params *p, const apex_hash *root, apex_transcript *t,
                       const apex_ligero_term *terms, size_t nterms, const apex_gl *b, size_t nlin,
                       const apex_ligero_proof *pf, const char **reason);

void apex_ligero_proof_free(apex_ligero_proof *pf);
/* Canonical encoding; decode checks every length against the parameters. */
int apex_ligero_proof_encode(const apex_ligero_params *p, const apex_ligero_proof *pf,
                             apex_enc_writer *w);
int apex_ligero_proof_decode(const apex_ligero_params *p, apex_enc_reader *r,
                             apex_ligero_proof *pf);

#endif /* APEX_ZK_LIGERO_H */
