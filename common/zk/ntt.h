/* Radix-2 number-theoretic transform over Goldilocks.
 *
 * Conventions (docs/PROOF.md, "NTT"):
 *   - a plan is for one length n = 2^log_n and holds the twiddles, n words;
 *   - forward:  coefficients a[0..n) in natural order  ->  A[i] = sum_j a[j] w^(ij),
 *               w = apex_gl_root_of_unity(log_n), evaluations in natural order;
 *   - inverse:  the exact inverse of forward (scales by 1/n);
 *   - coset forward with shift s: A[i] = sum_j a[j] (s w^i)^j, i.e. evaluations on the
 *     coset s*<w>; the coset inverse undoes it. The Reed-Solomon code uses the shift
 *     APEX_GL_GENERATOR, which lies outside every power-of-two subgroup, so the coset is
 *     disjoint from the subgroup that carries message points.
 * Every transform works in place and allocates nothing; a plan is read-only once built, so
 * threads may share one.
 */
#ifndef APEX_ZK_NTT_H
#define APEX_ZK_NTT_H

#include <stddef.h>

#include "zk/field.h"

typedef struct apex_ntt apex_ntt;

/* Plan for length 2^log_n, 1 <= log_n <= APEX_NTT_MAX_LOG (log_n = 0 is also accepted: the
 * identity). NULL on a bad size or out of memory. */
apex_ntt *apex_ntt_new(unsigned log_n);
void apex_ntt_destroy(apex_ntt **plan);
/* Length n of the plan. */
size_t apex_ntt_size(const apex_ntt *plan);
/* Vector kernel levels. */
#define APEX_NTT_SIMD_AVX2   1
#define APEX_NTT_SIMD_AVX512 2
/* The best level this CPU runs (0: scalar loops only). */
int apex_ntt_simd_level(void);
/* Use the widest vector kernels the CPU has (the default) or the scalar loops; the results
 * are identical either way. Returns the level the plan now uses (0 when off or when the CPU
 * has none). Not thread-safe against transforms running on the same plan. */
int apex_ntt_set_simd(apex_ntt *plan, int on);

/* In-place transforms of a[0..n); a must hold canonical elements. */
void apex_ntt_forward(const apex_ntt *plan, apex_gl *a);
void apex_ntt_inverse(const apex_ntt *plan, apex_gl *a);
/* Coset transforms with shift s != 0 (APEX_ERR_RANGE for s == 0, a untouched). */
int apex_ntt_coset_forward(const apex_ntt *plan, apex_gl *a, apex_gl shift);
int apex_ntt_coset_inverse(const apex_ntt *plan, apex_gl *a, apex_gl shift);
/* The coset forward transform of a[0..nb) padded with zeros to n (a[nb..n) is ignored and
 * overwritten): the Reed-Solomon encoding of a row, without the work the zeros would cost.
 * nb a power of two <= n; APEX_ERR_RANGE otherwise or for s == 0. Identical results to
 * zeroing the tail and calling apex_ntt_coset_forward. */
int apex_ntt_coset_forward_padded(const apex_ntt *plan, apex_gl *a, size_t nb, apex_gl shift);

#endif /* APEX_ZK_NTT_H */
