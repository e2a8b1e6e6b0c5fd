/* Vector kernels behind zk/ntt.c (internal). Call the *_avx512 ones only when
 * apex_ntt_cpu_has_avx512() is true and the *_avx2 ones only when apex_ntt_cpu_has_avx2()
 * is; elsewhere they are empty stubs. */
#ifndef APEX_ZK_NTT_SIMD_H
#define APEX_ZK_NTT_SIMD_H

#include <stddef.h>

#include "zk/field.h"

/* 1 when this CPU runs AVX-512F (checked at run time). */
int apex_ntt_cpu_has_avx512(void);
/* One radix-2 stage of half-width h (a multiple of 8) over a[0..n) with twiddles w[0..h). */
void apex_ntt_stage_avx512(apex_gl *a, size_t n, size_t h, const apex_gl *w);
/* Stages h = 1, 2, 4 over a[0..n), n a multiple of 8, twiddles tw as in ntt.c. */
void apex_ntt_first3_avx512(apex_gl *a, size_t n, const apex_gl *tw);
/* Stage h = 4 alone over a[0..n), n a multiple of 8. */
void apex_ntt_stage4_avx512(apex_gl *a, size_t n, const apex_gl *tw);
/* a[k] = a[k] * c for k < n. */
void apex_gl_scale_avx512(apex_gl *a, size_t n, apex_gl c);
/* a[k] = a[k] * s^k for k < n. */
void apex_gl_scale_powers_avx512(apex_gl *a, size_t n, apex_gl s);

/* 1 when this CPU runs AVX2 (checked at run time). */
int apex_ntt_cpu_has_avx2(void);
/* One radix-2 stage of half-width h (a multiple of 4) over a[0..n), four lanes. */
void apex_ntt_stage_avx2(apex_gl *a, size_t n, size_t h, const apex_gl *w);
/* Stages h = 1 and 2 (n a multiple of 4), tw the plan's twiddle table. */
void apex_ntt_first2_avx2(apex_gl *a, size_t n, const apex_gl *tw);
/* a[k] = a[k] * c for k < n, four lanes. */
void apex_gl_scale_avx2(apex_gl *a, size_t n, apex_gl c);
/* a[k] = a[k] * s^k for k < n, four lanes. */
void apex_gl_scale_powers_avx2(apex_gl *a, size_t n, apex_gl s);

#endif /* APEX_ZK_NTT_SIMD_H */
