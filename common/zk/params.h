/* Proof-system constants: the one place where numbers that affect soundness, zero
 * knowledge or the wire format live (docs/STYLE.md: no magic numbers).
 *
 * Anything here that changes what a proof means must also go into the parameter digest
 * that the transcript absorbs first (docs/PROOF.md, "Transcript"). Changing a value here
 * is a protocol version change: bump APEX_ZK_VERSION.
 */
#ifndef APEX_ZK_PARAMS_H
#define APEX_ZK_PARAMS_H

/* ---------------------------------------------------------------- field */

/* Goldilocks prime 2^64 - 2^32 + 1. */
#define APEX_GL_P 0xffffffff00000001ULL
/* p - 1 = 2^32 * (2^32 - 1): the largest power-of-two subgroup has order 2^32. */
#define APEX_GL_TWO_ADICITY 32u
/* A generator of the multiplicative group F_p^* (tested: 7^((p-1)/q) != 1 for every prime
 * q | p-1). Also the coset shift of the Reed-Solomon evaluation domain. */
#define APEX_GL_GENERATOR 7u
/* Quadratic non-residue defining F_p2 = F_p[x]/(x^2 - 7) (tested: 7^((p-1)/2) = p-1). */
#define APEX_GL2_NONRESIDUE 7u

/* Largest NTT this build accepts, as log2 of the length. 2^26 elements = 512 MiB, beyond
 * any row this protocol builds (rows are BLOCK-sized); it bounds memory on bad input. */
#define APEX_NTT_MAX_LOG 26u

/* ---------------------------------------------------------------- protocol identity */

/* Domain tag absorbed first by every transcript; binds proofs to this protocol. */
#define APEX_ZK_DOMAIN "apex-zk/compliance"
/* Protocol version absorbed right after the domain tag. */
#define APEX_ZK_VERSION 1u

/* ---------------------------------------------------------------- Merkle */

/* Leaf and node prefixes (second-preimage separation between the two hash kinds). */
#define APEX_MERKLE_LEAF_PREFIX 0x00u
#define APEX_MERKLE_NODE_PREFIX 0x01u
/* Bytes of the per-leaf salt: 32 random bytes keep an opened leaf hash from being a
 * dictionary-checkable function of the column (hiding). */
#define APEX_MERKLE_SALT_LEN 32u
/* Largest tree, as log2 of the leaf count (NCOL for BLOCK = 2^16 is below 2^19). */
#define APEX_MERKLE_MAX_LOG 24u

/* ---------------------------------------------------------------- Ligero */

/* Reed-Solomon inverse rate: a row of BLOCK message coefficients is encoded to
 * APEX_LIGERO_RATE_INV * BLOCK query points, disjoint from the message points. */
#define APEX_LIGERO_RATE_INV 4u
/* Column queries for ~128-bit proximity soundness under the joint-query argument. A row has
 * degree < BLOCK + NP (NP pads outside H_B), so the code's rate is rho = (BLOCK + NP) /
 * (4 BLOCK) and the per-query error max((1 + rho) / 2, 2 rho): the figure depends on BLOCK
 * (apex_ligero_soundness_bits, apex_ligero_nreq_for_bits). With NP = (K_max + 1) NREQ at
 * BLOCK 2^15: 194 queries give 128.6 bits (rho = 0.2633). */
#define APEX_LIGERO_NREQ 194u
/* The same for about 100 bits at BLOCK 2^15 (152 queries: 101.2 bits; 99.4 at 2^14 and 95.9
 * at 2^13). The compliance CLI and bench choose NREQ per BLOCK instead (below). */
#define APEX_LIGERO_NREQ_100 152u
/* Ligero proximity bits the compliance CLI and bench aim at when they choose NREQ for their
 * BLOCK (the other error terms of docs/PROOF.md cost about 0.05 bits at d = 10^6). */
#define APEX_COMP_LIGERO_BITS_TARGET 100.5
/* apex verify refuses a commitment whose configuration gives fewer Ligero bits than this. */
#define APEX_COMP_LIGERO_BITS_MIN 100.0
/* Default number of proofs a commitment may be opened in after registration (errata 5). */
#define APEX_LIGERO_KMAX 8u

/* Largest row length accepted, as log2 of BLOCK (the design uses 2^15 or 2^16). */
#define APEX_LIGERO_MAX_LOG_BLOCK 20u
/* Largest number of witness rows in one commitment; bounds memory on bad parameters. */
#define APEX_LIGERO_MAX_ROWS (1u << 16)

/* Threads used to encode rows and hash columns of a commitment (the target machines have
 * 2 cores). 1 disables threading; results never depend on it. */
#define APEX_ZK_THREADS 2u

/* ---------------------------------------------------------------- encodings */

/* Wire version of an encoded compliance proof (zk/compliance.h); bump on any change. */
#define APEX_COMP_PROOF_VERSION 5u

/* Upper bound on the element count of any vector in a proof; checked before allocating. */
#define APEX_ENC_MAX_ELEMS (1u << 26)

#endif /* APEX_ZK_PARAMS_H */
