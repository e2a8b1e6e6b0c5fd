/* AVX-512 kernels for the NTT (zk/ntt.c): eight Goldilocks lanes per 512-bit register; and
 * AVX2 kernels with four lanes for CPUs without AVX-512 (unsigned compares emulated with a
 * sign flip, masks as all-ones lanes).
 *
 * Each lane operation mirrors the scalar code of zk/field.h step for step (the same
 * carries, borrows and final conditional subtraction, with compare masks in place of the
 * flag arithmetic), so a vector result is bit-identical to the scalar one and canonical
 * whenever the inputs are; test_field compares the two paths on random and edge values.
 * Stages with half-width h >= 8 take eight contiguous butterflies per step; the first
 * three stages (h = 1, 2, 4) run inside each register with permutations.
 *
 * Compiled with per-function target attributes, so the rest of the build stays portable;
 * ntt.c calls in only when the CPU reports AVX-512F (or AVX2 for the four-lane kernels). */
#include "zk/ntt_simd.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define SIMD __attribute__((target("avx512f")))

SIMD static inline __m512i v_add(__m512i a, __m512i b)
{
    const __m512i eps = _mm512_set1_epi64((long long)APEX_GL_EPS);
    const __m512i p = _mm512_set1_epi64((long long)APEX_GL_P);
    __m512i s = _mm512_add_epi64(a, b);
    __mmask8 carry = _mm512_cmplt_epu64_mask(s, a); /* 2^64 = eps (mod p) */
    s = _mm512_mask_add_epi64(s, carry, s, eps);
    __mmask8 ge = _mm512_cmpge_epu64_mask(s, p);
    return _mm512_mask_sub_epi64(s, ge, s, p);
}

SIMD static inline __m512i v_sub(__m512i a, __m512i b)
{
    const __m512i eps = _mm512_set1_epi64((long long)APEX_GL_EPS);
    __m512i d = _mm512_sub_epi64(a, b);
    __mmask8 borrow = _mm512_cmplt_epu64_mask(a, b); /* a - b + p = d - eps (mod 2^64) */
    return _mm512_mask_sub_epi64(d, borrow, d, eps);
}

/* a * b: the 128-bit product from four 32x32 products, then apex_gl_reduce128's steps. */
SIMD static inline __m512i v_mul(__m512i a, __m512i b)
{
    const __m512i eps = _mm512_set1_epi64((long long)APEX_GL_EPS);
    const __m512i p = _mm512_set1_epi64((long long)APEX_GL_P);
    const __m512i one = _mm512_set1_epi64(1);
    const __m512i two32 = _mm512_set1_epi64(1LL << 32);
    __m512i ah = _mm512_srli_epi64(a, 32), bh = _mm512_srli_epi64(b, 32);
    __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, bh);
    __m512i hl = _mm512_mul_epu32(ah, b), hh = _mm512_mul_epu32(ah, bh);
    __m512i mid = _mm512_add_epi64(lh, hl);
    __mmask8 cmid = _mm512_cmplt_epu64_mask(mid, lh); /* worth 2^96 = 2^32 in hi */
    __m512i lo = _mm512_add_epi64(ll, _mm512_slli_epi64(mid, 32));
    __mmask8 clo = _mm512_cmplt_epu64_mask(lo, ll);
    __m512i hi = _mm512_add_epi64(hh, _mm512_srli_epi64(mid, 32));
    hi = _mm512_mask_add_epi64(hi, clo, hi, one);
    hi = _mm512_mask_add_epi64(hi, cmid, hi, two32);
    /* reduce lo + 2^64 hi exactly as apex_gl_reduce128 */
    __m512i hhi = _mm512_srli_epi64(hi, 32), hlo = _mm512_and_si512(hi, eps);
    __m512i t0 = _mm512_sub_epi64(lo, hhi);
    __mmask8 b0 = _mm512_cmplt_epu64_mask(lo, hhi);
    t0 = _mm512_mask_sub_epi64(t0, b0, t0, eps);
    __m512i t1 = _mm512_sub_epi64(_mm512_slli_epi64(hlo, 32), hlo); /* hlo * eps */
    __m512i t2 = _mm512_add_epi64(t0, t1);
    __mmask8 c2 = _mm512_cmplt_epu64_mask(t2, t1);
    t2 = _mm512_mask_add_epi64(t2, c2, t2, eps);
    __mmask8 ge = _mm512_cmpge_epu64_mask(t2, p);
    return _mm512_mask_sub_epi64(t2, ge, t2, p);
}

SIMD void apex_ntt_stage_avx512(apex_gl *a, size_t n, size_t h, const apex_gl *w)
{
    for (size_t blk = 0; blk < n; blk += 2 * h) {
        apex_gl *x = a + blk, *y = a + blk + h;
        for (size_t k = 0; k < h; k += 8) {
            __m512i vx = _mm512_loadu_si512(x + k), vy = _mm512_loadu_si512(y + k);
            __m512i t = v_mul(vy, _mm512_loadu_si512(w + k));
            _mm512_storeu_si512(y + k, v_sub(vx, t));
            _mm512_storeu_si512(x + k, v_add(vx, t));
        }
    }
}

/* Stages h = 1, 2, 4 inside each register of eight: the y lanes are multiplied by their
 * twiddle (and the x lanes by 1, so every lane runs the same v_mul), a permutation brings
 * each lane's partner over, and a blend keeps x + t on x lanes and x - t on y lanes. */
SIMD void apex_ntt_first3_avx512(apex_gl *a, size_t n, const apex_gl *tw)
{
    const __m512i sw1 = _mm512_set_epi64(6, 7, 4, 5, 2, 3, 0, 1);
    const __m512i sw2 = _mm512_set_epi64(5, 4, 7, 6, 1, 0, 3, 2);
    const __m512i sw4 = _mm512_set_epi64(3, 2, 1, 0, 7, 6, 5, 4);
    const __m512i w2 = _mm512_set_epi64((long long)tw[3], (long long)tw[2], 1, 1, (long long)tw[3],
                                        (long long)tw[2], 1, 1);
    const __m512i w4 = _mm512_set_epi64((long long)tw[7], (long long)tw[6], (long long)tw[5],
                                        (long long)tw[4], 1, 1, 1, 1);
    for (size_t k = 0; k < n; k += 8) {
        __m512i v = _mm512_loadu_si512(a + k);
        __m512i s = _mm512_permutexvar_epi64(sw1, v); /* h = 1: twiddle 1 */
        v = _mm512_mask_blend_epi64(0xAA, v_add(v, s), v_sub(s, v));
        __m512i t = v_mul(v, w2);
        s = _mm512_permutexvar_epi64(sw2, t);
        v = _mm512_mask_blend_epi64(0xCC, v_add(t, s), v_sub(s, t));
        t = v_mul(v, w4);
        s = _mm512_permutexvar_epi64(sw4, t);
        v = _mm512_mask_blend_epi64(0xF0, v_add(t, s), v_sub(s, t));
        _mm512_storeu_si512(a + k, v);
    }
}

SIMD void apex_gl_scale_avx512(apex_gl *a, size_t n, apex_gl c)
{
    const __m512i vc = _mm512_set1_epi64((long long)c);
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        _mm512_storeu_si512(a + k, v_mul(_mm512_loadu_si512(a + k), vc));
    for (; k < n; k++)
        a[k] = apex_gl_mul(a[k], c);
}

/* Stage h = 4 alone, inside each register of eight (the last step of first3). */
SIMD void apex_ntt_stage4_avx512(apex_gl *a, size_t n, const apex_gl *tw)
{
    const __m512i sw4 = _mm512_set_epi64(3, 2, 1, 0, 7, 6, 5, 4);
    const __m512i w4 = _mm512_set_epi64((long long)tw[7], (long long)tw[6], (long long)tw[5],
                                        (long long)tw[4], 1, 1, 1, 1);
    for (size_t k = 0; k < n; k += 8) {
        __m512i t = v_mul(_mm512_loadu_si512(a + k), w4);
        __m512i s = _mm512_permutexvar_epi64(sw4, t);
        _mm512_storeu_si512(a + k, _mm512_mask_blend_epi64(0xF0, v_add(t, s), v_sub(s, t)));
    }
}

/* Four independent chains of lane powers (s^k .. s^(k+31) per step of 32) hide the
 * multiply's latency, which a single chain would wait on. */
SIMD void apex_gl_scale_powers_avx512(apex_gl *a, size_t n, apex_gl s)
{
    apex_gl pw[32], x = 1;
    for (int i = 0; i < 32; i++, x = apex_gl_mul(x, s))
        pw[i] = x;
    /* x = s^32 now */
    __m512i vp[4], step = _mm512_set1_epi64((long long)x);
    for (int c = 0; c < 4; c++)
        vp[c] = _mm512_loadu_si512(pw + 8 * c);
    size_t k = 0;
    for (; k + 32 <= n; k += 32)
        for (int c = 0; c < 4; c++) {
            apex_gl *q = a + k + 8 * c;
            _mm512_storeu_si512(q, v_mul(_mm512_loadu_si512(q), vp[c]));
            vp[c] = v_mul(vp[c], step);
        }
    if (k < n) {
        for (int c = 0; c < 4; c++)
            _mm512_storeu_si512(pw + 8 * c, vp[c]);
        for (size_t i = 0; k < n; k++, i++)
            a[k] = apex_gl_mul(a[k], pw[i]);
    }
}

/* ---------------------------------------------------------------- AVX2 (four lanes) */

#define SIMD2 __attribute__((target("avx2")))

/* All ones in the lanes where a < b as unsigned 64-bit integers (AVX2 compares signed). */
SIMD2 static inline __m256i u_lt(__m256i a, __m256i b)
{
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    return _mm256_cmpgt_epi64(_mm256_xor_si256(b, sign), _mm256_xor_si256(a, sign));
}

SIMD2 static inline __m256i w_add(__m256i a, __m256i b)
{
    const __m256i eps = _mm256_set1_epi64x((long long)APEX_GL_EPS);
    const __m256i p = _mm256_set1_epi64x((long long)APEX_GL_P);
    __m256i s = _mm256_add_epi64(a, b);
    s = _mm256_add_epi64(s, _mm256_and_si256(u_lt(s, a), eps)); /* 2^64 = eps (mod p) */
    return _mm256_sub_epi64(s, _mm256_andnot_si256(u_lt(s, p), p));
}

SIMD2 static inline __m256i w_sub(__m256i a, __m256i b)
{
    const __m256i eps = _mm256_set1_epi64x((long long)APEX_GL_EPS);
    __m256i d = _mm256_sub_epi64(a, b); /* a - b + p = d - eps (mod 2^64) on a borrow */
    return _mm256_sub_epi64(d, _mm256_and_si256(u_lt(a, b), eps));
}

/* a * b as v_mul: four 32x32 products, then apex_gl_reduce128's steps with compare masks. */
SIMD2 static inline __m256i w_mul(__m256i a, __m256i b)
{
    const __m256i eps = _mm256_set1_epi64x((long long)APEX_GL_EPS);
    const __m256i p = _mm256_set1_epi64x((long long)APEX_GL_P);
    const __m256i two32 = _mm256_set1_epi64x(1LL << 32);
    __m256i ah = _mm256_srli_epi64(a, 32), bh = _mm256_srli_epi64(b, 32);
    __m256i ll = _mm256_mul_epu32(a, b), lh = _mm256_mul_epu32(a, bh);
    __m256i hl = _mm256_mul_epu32(ah, b), hh = _mm256_mul_epu32(ah, bh);
    __m256i mid = _mm256_add_epi64(lh, hl);
    __m256i cmid = u_lt(mid, lh); /* worth 2^96 = 2^32 in hi */
    __m256i lo = _mm256_add_epi64(ll, _mm256_slli_epi64(mid, 32));
    __m256i clo = u_lt(lo, ll); /* all ones: subtracting it adds 1 */
    __m256i hi = _mm256_add_epi64(hh, _mm256_srli_epi64(mid, 32));
    hi = _mm256_sub_epi64(hi, clo);
    hi = _mm256_add_epi64(hi, _mm256_and_si256(cmid, two32));
    /* reduce lo + 2^64 hi exactly as apex_gl_reduce128 */
    __m256i hhi = _mm256_srli_epi64(hi, 32), hlo = _mm256_and_si256(hi, eps);
    __m256i t0 = _mm256_sub_epi64(lo, hhi);
    t0 = _mm256_sub_epi64(t0, _mm256_and_si256(u_lt(lo, hhi), eps));
    __m256i t1 = _mm256_sub_epi64(_mm256_slli_epi64(hlo, 32), hlo); /* hlo * eps */
    __m256i t2 = _mm256_add_epi64(t0, t1);
    t2 = _mm256_add_epi64(t2, _mm256_and_si256(u_lt(t2, t1), eps));
    return _mm256_sub_epi64(t2, _mm256_andnot_si256(u_lt(t2, p), p));
}

SIMD2 void apex_ntt_stage_avx2(apex_gl *a, size_t n, size_t h, const apex_gl *w)
{
    for (size_t blk = 0; blk < n; blk += 2 * h) {
        apex_gl *x = a + blk, *y = a + blk + h;
        for (size_t k = 0; k < h; k += 4) {
            __m256i vx = _mm256_loadu_si256((const __m256i *)(x + k));
            __m256i vy = _mm256_loadu_si256((const __m256i *)(y + k));
            __m256i t = w_mul(vy, _mm256_loadu_si256((const __m256i *)(w + k)));
            _mm256_storeu_si256((__m256i *)(y + k), w_sub(vx, t));
            _mm256_storeu_si256((__m256i *)(x + k), w_add(vx, t));
        }
    }
}

/* Stages h = 1, 2 inside each register of four, as apex_ntt_first3_avx512: the y lanes times
 * their twiddle (x lanes times 1), the partner brought over by a permutation, a blend keeping
 * x + t on x lanes and x - t on y lanes. */
SIMD2 void apex_ntt_first2_avx2(apex_gl *a, size_t n, const apex_gl *tw)
{
    const __m256i w2 = _mm256_set_epi64x((long long)tw[3], (long long)tw[2], 1, 1);
    for (size_t k = 0; k < n; k += 4) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(a + k));
        __m256i s = _mm256_permute4x64_epi64(v, _MM_SHUFFLE(2, 3, 0, 1)); /* h = 1: twiddle 1 */
        v = _mm256_blend_epi32(w_add(v, s), w_sub(s, v), 0xCC);
        __m256i t = w_mul(v, w2);
        s = _mm256_permute4x64_epi64(t, _MM_SHUFFLE(1, 0, 3, 2));
        v = _mm256_blend_epi32(w_add(t, s), w_sub(s, t), 0xF0);
        _mm256_storeu_si256((__m256i *)(a + k), v);
    }
}

SIMD2 void apex_gl_scale_avx2(apex_gl *a, size_t n, apex_gl c)
{
    const __m256i vc = _mm256_set1_epi64x((long long)c);
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        __m256i *q = (__m256i *)(a + k);
        _mm256_storeu_si256(q, w_mul(_mm256_loadu_si256(q), vc));
    }
    for (; k < n; k++)
        a[k] = apex_gl_mul(a[k], c);
}

/* Four independent chains of lane powers (s^k .. s^(k+15) per step of 16). */
SIMD2 void apex_gl_scale_powers_avx2(apex_gl *a, size_t n, apex_gl s)
{
    apex_gl pw[16], x = 1;
    for (int i = 0; i < 16; i++, x = apex_gl_mul(x, s))
        pw[i] = x;
    /* x = s^16 now */
    __m256i vp[4], step = _mm256_set1_epi64x((long long)x);
    for (int c = 0; c < 4; c++)
        vp[c] = _mm256_loadu_si256((const __m256i *)(pw + 4 * c));
    size_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (int c = 0; c < 4; c++) {
            __m256i *q = (__m256i *)(a + k + 4 * c);
            _mm256_storeu_si256(q, w_mul(_mm256_loadu_si256(q), vp[c]));
            vp[c] = w_mul(vp[c], step);
        }
    if (k < n) {
        for (int c = 0; c < 4; c++)
            _mm256_storeu_si256((__m256i *)(pw + 4 * c), vp[c]);
        for (size_t i = 0; k < n; k++, i++)
            a[k] = apex_gl_mul(a[k], pw[i]);
    }
}

int apex_ntt_cpu_has_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}

int apex_ntt_cpu_has_avx512(void)
{
    return __builtin_cpu_supports("avx512f");
}

#else

void apex_ntt_stage_avx512(apex_gl *a, size_t n, size_t h, const apex_gl *w)
{
    (void)a, (void)n, (void)h, (void)w;
}

void apex_ntt_first3_avx512(apex_gl *a, size_t n, const apex_gl *tw)
{
    (void)a, (void)n, (void)tw;
}

void apex_ntt_stage4_avx512(apex_gl *a, size_t n, const apex_gl *tw)
{
    (void)a, (void)n, (void)tw;
}

void apex_gl_scale_avx512(apex_gl *a, size_t n, apex_gl c)
{
    (void)a, (void)n, (void)c;
}

void apex_gl_scale_powers_avx512(apex_gl *a, size_t n, apex_gl s)
{
    (void)a, (void)n, (void)s;
}

void apex_ntt_stage_avx2(apex_gl *a, size_t n, size_t h, const apex_gl *w)
{
    (void)a, (void)n, (void)h, (void)w;
}

void apex_ntt_first2_avx2(apex_gl *a, size_t n, const apex_gl *tw)
{
    (void)a, (void)n, (void)tw;
}

void apex_gl_scale_avx2(apex_gl *a, size_t n, apex_gl c)
{
    (void)a, (void)n, (void)c;
}

void apex_gl_scale_powers_avx2(apex_gl *a, size_t n, apex_gl s)
{
    (void)a, (void)n, (void)s;
}

int apex_ntt_cpu_has_avx2(void)
{
    return 0;
}

int apex_ntt_cpu_has_avx512(void)
{
    return 0;
}

#endif
