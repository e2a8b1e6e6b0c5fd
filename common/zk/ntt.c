/* Iterative radix-2 NTT: bit-reversal permutation, then Cooley-Tukey butterflies with
 * per-stage contiguous twiddle tables. The inverse reuses the forward twiddles through
 * the identity INTT(a)[i] = (1/n) * NTT(a)[-i mod n]. Stages with h >= 8 and the coset
 * and 1/n scalings run eight lanes at a time on AVX-512 CPUs, and stages with h >= 4 and
 * the scalings four lanes at a time on AVX2 CPUs (zk/ntt_simd.c, bit-identical to the
 * scalar loops); apex_ntt_set_simd() turns that off per plan, for tests. */
#include "zk/ntt.h"

#include <string.h>

#include <stdlib.h>

#include "core/core.h"
#include "zk/ntt_simd.h"

struct apex_ntt {
    unsigned log_n; /* log2 of the transform length */
    size_t n;       /* transform length, 2^log_n */
    apex_gl n_inv;  /* 1/n mod p, the inverse transform's scale */
    int simd;       /* vector kernels: APEX_NTT_SIMD_AVX512, _AVX2 or 0 (scalar loops) */
    apex_gl *tw;    /* [n] twiddles: tw[h + k] = w_{2h}^k for h = 1, 2, 4, ..., n/2 and k < h;
                       tw[0] is unused. w_{2h} is the primitive 2h-th root of unity. */
};

apex_ntt *apex_ntt_new(unsigned log_n)
{
    if (log_n > APEX_NTT_MAX_LOG)
        return NULL;
    apex_ntt *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->log_n = log_n;
    p->n = (size_t)1 << log_n;
    p->simd = apex_ntt_simd_level();
    p->tw = apex_calloc_n(p->n, sizeof *p->tw);
    if (!p->tw) {
        free(p);
        return NULL;
    }
    for (unsigned s = 0; s < log_n; s++) {
        size_t h = (size_t)1 << s;
        apex_gl w = apex_gl_root_of_unity(s + 1), x = 1;
        for (size_t k = 0; k < h; k++) {
            p->tw[h + k] = x;
            x = apex_gl_mul(x, w);
        }
    }
    apex_gl n_mod = apex_gl_reduce64((uint64_t)p->n);
    if (apex_gl_inv(n_mod, &p->n_inv) != APEX_OK) {
        apex_ntt_destroy(&p);
        return NULL;
    }
    return p;
}

void apex_ntt_destroy(apex_ntt **plan)
{
    if (!plan || !*plan)
        return;
    free((*plan)->tw);
    free(*plan);
    *plan = NULL;
}

size_t apex_ntt_size(const apex_ntt *plan)
{
    return plan->n;
}

int apex_ntt_simd_level(void)
{
    return apex_ntt_cpu_has_avx512() ? APEX_NTT_SIMD_AVX512
           : apex_ntt_cpu_has_avx2() ? APEX_NTT_SIMD_AVX2
                                     : 0;
}

int apex_ntt_set_simd(apex_ntt *plan, int on)
{
    plan->simd = on ? apex_ntt_simd_level() : 0;
    return plan->simd;
}

/* The bit-reversal permutation, element by element: j runs through the bit-reversed counter
 * of i, updated in amortized O(1) per step. */
static void bit_reverse_plain(apex_gl *a, size_t n)
{
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            apex_gl t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

static size_t rev_bits(size_t x, unsigned bits)
{
    size_t r = 0;
    for (unsigned b = 0; b < bits; b++, x >>= 1)
        r = r << 1 | (x & 1);
    return r;
}

/* Rows and columns of a tile: 8 elements are one 64-byte cache line. */
#define BR_BITS 3u
#define BR_T    (1u << BR_BITS)

/* The same permutation by tiles, for arrays larger than the cache. Write an index as
 * (h, m, l) with h and l of BR_BITS bits each: its reverse is (rev l, rev m, rev h). So the
 * tile of middle part m (BR_T rows of BR_T contiguous elements, one cache line each) goes
 * transposed and reversed into the tile of rev m, and back: whole cache lines move instead
 * of single elements scattered over the array. */
static void bit_reverse(apex_gl *a, size_t n)
{
    unsigned k = 0;
    while (((size_t)1 << k) < n)
        k++;
    if (k < 2 * BR_BITS + 4) {
        bit_reverse_plain(a, n);
        return;
    }
    unsigned mk = k - 2 * BR_BITS;
    size_t row = (size_t)1 << (mk + BR_BITS); /* distance between the rows of a tile */
    size_t rl[BR_T];
    for (size_t l = 0; l < BR_T; l++)
        rl[l] = rev_bits(l, BR_BITS);
    apex_gl ta[BR_T][BR_T], tb[BR_T][BR_T];
    for (size_t m = 0; m < ((size_t)1 << mk); m++) {
        size_t mr = rev_bits(m, mk);
        if (mr < m)
            continue;
        apex_gl *pa = a + (m << BR_BITS), *pb = a + (mr << BR_BITS);
        for (size_t h = 0; h < BR_T; h++) {
            memcpy(ta[h], pa + h * row, sizeof ta[h]);
            memcpy(tb[h], pb + h * row, sizeof tb[h]);
        }
        for (size_t h = 0; h < BR_T; h++)
            for (size_t l = 0; l < BR_T; l++) {
                pb[rl[l] * row + rl[h]] = ta[h][l];
                pa[rl[l] * row + rl[h]] = tb[h][l];
            }
    }
}

/* Elements per tile of the first stages: the stages with h < NTT_TILE only mix elements
 * inside aligned blocks of NTT_TILE, so they run block by block while the block stays in
 * the L1/L2 cache, instead of one pass over the whole array per stage. The butterflies and
 * their order per element are unchanged: the results are identical. */
#define NTT_TILE 16384u

/* The butterfly stages h = h0, 2 h0, ..., < hend on a[0..n) (the input already permuted). */
static void stages_range(const apex_ntt *plan, apex_gl *a, size_t n, size_t h0, size_t hend)
{
    int v512 = plan->simd == APEX_NTT_SIMD_AVX512, v256 = plan->simd == APEX_NTT_SIMD_AVX2;
    if (v512 && n >= 8 && h0 == 1 && hend >= 8) {
        apex_ntt_first3_avx512(a, n, plan->tw);
        h0 = 8;
    } else if (v512 && n >= 8 && h0 == 4 && hend >= 8) {
        apex_ntt_stage4_avx512(a, n, plan->tw);
        h0 = 8;
    } else if (v256 && n >= 4 && h0 == 1 && hend >= 4) {
        apex_ntt_first2_avx2(a, n, plan->tw);
        h0 = 4;
    }
    for (size_t h = h0; h < hend; h <<= 1) {
        const apex_gl *w = plan->tw + h;
        if (v512 && h >= 8) {
            apex_ntt_stage_avx512(a, n, h, w);
            continue;
        }
        if (v256 && h >= 4) {
            apex_ntt_stage_avx2(a, n, h, w);
            continue;
        }
        for (size_t blk = 0; blk < n; blk += 2 * h) {
            apex_gl *x = a + blk, *y = a + blk + h;
            apex_gl t0 = y[0]; /* w^0 = 1: no multiplication (all of stage 1, half of 2...) */
            y[0] = apex_gl_sub(x[0], t0);
            x[0] = apex_gl_add(x[0], t0);
            for (size_t k = 1; k < h; k++) {
                apex_gl t = apex_gl_mul(y[k], w[k]);
                y[k] = apex_gl_sub(x[k], t);
                x[k] = apex_gl_add(x[k], t);
            }
        }
    }
}

/* The butterfly stages h = h0, 2 h0, ..., n/2 (the input already permuted): the ones below
 * NTT_TILE tile by tile, then the rest over the whole array. */
static void stages_from(const apex_ntt *plan, apex_gl *a, size_t h0)
{
    size_t n = plan->n;
    if (n > NTT_TILE && h0 < NTT_TILE) {
        for (size_t base = 0; base < n; base += NTT_TILE)
            stages_range(plan, a + base, NTT_TILE, h0, NTT_TILE);
        h0 = NTT_TILE;
    }
    stages_range(plan, a, n, h0, n);
}

void apex_ntt_forward(const apex_ntt *plan, apex_gl *a)
{
    bit_reverse(a, plan->n);
    stages_from(plan, a, 1);
}

void apex_ntt_inverse(const apex_ntt *plan, apex_gl *a)
{
    size_t n = plan->n;
    apex_ntt_forward(plan, a);
    /* NTT(a)[-i] for i = 1..n-1: reverse the tail */
    for (size_t i = 1, j = n - 1; i < j; i++, j--) {
        apex_gl t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
    if (plan->simd == APEX_NTT_SIMD_AVX512) {
        apex_gl_scale_avx512(a, n, plan->n_inv);
        return;
    }
    if (plan->simd == APEX_NTT_SIMD_AVX2) {
        apex_gl_scale_avx2(a, n, plan->n_inv);
        return;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = apex_gl_mul(a[i], plan->n_inv);
}

/* a[j] *= s^j for j < n */
static void scale_powers(const apex_ntt *plan, apex_gl *a, size_t n, apex_gl s)
{
    if (plan->simd == APEX_NTT_SIMD_AVX512) {
        apex_gl_scale_powers_avx512(a, n, s);
        return;
    }
    if (plan->simd == APEX_NTT_SIMD_AVX2) {
        apex_gl_scale_powers_avx2(a, n, s);
        return;
    }
    apex_gl x = 1;
    for (size_t j = 0; j < n; j++) {
        a[j] = apex_gl_mul(a[j], x);
        x = apex_gl_mul(x, s);
    }
}

int apex_ntt_coset_forward(const apex_ntt *plan, apex_gl *a, apex_gl shift)
{
    if (shift == 0)
        return APEX_ERR_RANGE;
    scale_powers(plan, a, plan->n, shift);
    apex_ntt_forward(plan, a);
    return APEX_OK;
}

int apex_ntt_coset_inverse(const apex_ntt *plan, apex_gl *a, apex_gl shift)
{
    apex_gl sinv;
    if (apex_gl_inv(shift, &sinv) != APEX_OK)
        return APEX_ERR_RANGE;
    apex_ntt_inverse(plan, a);
    scale_powers(plan, a, plan->n, sinv);
    return APEX_OK;
}

/* Zero padding to n = f nb: after the bit-reversal permutation of the padded input,
 * coefficient j sits at f rev_nb(j) with f - 1 zeros after it, and the first log f stages
 * only copy it over its group of f (every partner is zero, so x + 0 = x - 0 = x). So:
 * permute the nb coefficients among themselves, spread each over its group (downwards, so
 * in place), and run the remaining stages: the same values as padding and transforming. */
int apex_ntt_coset_forward_padded(const apex_ntt *plan, apex_gl *a, size_t nb, apex_gl shift)
{
    size_t n = plan->n;
    if (shift == 0 || nb == 0 || nb > n || (nb & (nb - 1)) != 0)
        return APEX_ERR_RANGE;
    size_t f = n / nb;
    if (f < 4) { /* the general path is as good */
        for (size_t j = nb; j < n; j++)
            a[j] = 0;
        return apex_ntt_coset_forward(plan, a, shift);
    }
    scale_powers(plan, a, nb, shift);
    bit_reverse(a, nb);
    for (size_t k = nb; k-- > 0;) {
        apex_gl v = a[k];
        for (size_t t = 0; t < f; t++)
            a[f * k + t] = v;
    }
    stages_from(plan, a, f);
    return APEX_OK;
}
