/* The prover's row-combination pass: out_m[s] = sum_i w_m[i] * row_i[s] on H_B for every
 * combination m at once, in one streaming pass over the rows of the commitments.
 *
 * A proof needs, per commitment, F_p2 combinations of its rows' values on H_B (the LDT
 * response sum_g u_g p_g, the tensor claims' sum_i row_w[i] p_i). Interpolation is F_p-linear,
 * so combining values on H_B and interpolating the result once gives the same field elements
 * as interpolating every row and combining coefficients; the per-row NTTs of the reference
 * path disappear (ligero_prove.c keeps that path for the tests).
 *
 * Arithmetic is lazy: each F_p2 combination is two F_p combinations with 64-bit
 * coefficients c. A general slot (a pad, or a witness slot of a row with a large value)
 * accumulates the 128-bit product c * v into a 128-bit sum plus a carry counter; a witness
 * slot of a row whose values all lie in [-128, 127] (int8 gradients) stores v + 128 in a
 * byte and accumulates (c mod 2^32) * b and (c >> 32) * b into two 64-bit lanes (< 2^40 per
 * product, < 2^56 over APEX_LIGERO_MAX_ROWS rows), which the compiler vectorizes; 128 * the
 * sum of those rows' coefficients is subtracted at the end. Every sum is reduced once per
 * slot per pass, and field arithmetic is exact, so the result equals the reference path
 * bit for bit.
 *
 * Rows are split over APEX_ZK_THREADS threads; each slice keeps its own accumulators and
 * buffers a chunk of rows, then walks the slots in tiles so that the accumulators of a tile
 * stay in cache while the chunk's rows stream through. */
#include "zk/ligero_impl.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define PASS_HAVE_AVX2_ROWS 1
#endif

/* Rows buffered per slice before they are folded into the accumulators. */
#define PASS_CHUNK 16u
/* Slots per tile of the fold. */
#define PASS_TILE 1024u

typedef unsigned __int128 u128;

/* The byte lanes need 32 x 32 -> 64-bit vector multiplies on 64-bit lanes, which baseline
 * x86-64 (SSE2) cannot vectorize from this code: build an AVX2 clone too, picked at load
 * time by the CPU (ifunc); the results are the same integers either way. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PASS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PASS_CLONES
#endif

/* Accumulators of one F_p combination (one coordinate of one F_p2 combination). */
typedef struct pass_acc {
    u128 *gen;     /* [BLOCK + NP] sum of c * v over general slots (pads at BLOCK..) */
    uint64_t *car; /* [BLOCK + NP] carries out of gen (each one is 2^128) */
    uint64_t *lo;  /* [BLOCK] sum of (c mod 2^32) * (v + 128) over small witness slots */
    uint64_t *hi;  /* [BLOCK] sum of (c >> 32) * (v + 128) over small witness slots */
    apex_gl csum;  /* sum of c over the small rows folded into lo and hi */
} pass_acc;

/* Shared context of a pass. */
typedef struct pass_arg {
    apex_ligero_commitment *const *cs; /* commitments */
    const ligero_comb *cb;             /* [ncb] combinations */
    size_t ncb;                        /* their count */
    const size_t *list;                /* [nlist] global rows to visit, increasing */
    size_t nlist;                      /* their count */
    const ligero_layout *lay;          /* row offsets of the commitments */
    const uint8_t *hook_rows;          /* [rows] 1 where the hook wants the row, or NULL */
    ligero_hook hook;                  /* per-row callback, or NULL */
    void *hctx;                        /* its context */
    size_t block;                      /* BLOCK */
    size_t np;                         /* largest npad of the commitments */
    apex_gl2 *part[APEX_ZK_THREADS];   /* [ncb][BLOCK + np] each slice's totals */
} pass_arg;

/* Both coordinates of one F_p2 combination over slots [lo, hi) of the rows rr[0..nr) of a
 * chunk (row r at vals + rr[r] * B, coefficients c0[r], c1[r]): the sums over the chunk's
 * rows stay in registers and each slot's accumulator is touched once per chunk. */
static void fold_general(pass_acc *x0, pass_acc *x1, const apex_gl *restrict vals, size_t B,
                         const size_t *rr, size_t nr, const uint64_t *c0, const uint64_t *c1,
                         size_t lo, size_t hi)
{
    const apex_gl *row[PASS_CHUNK];
    for (size_t r = 0; r < nr; r++)
        row[r] = vals + rr[r] * B;
    for (size_t s = lo; s < hi; s++) {
        u128 a0 = x0->gen[s], a1 = x1->gen[s];
        uint64_t k0 = x0->car[s], k1 = x1->car[s];
        for (size_t r = 0; r < nr; r++) {
            uint64_t v = row[r][s];
            u128 p0 = (u128)c0[r] * v, p1 = (u128)c1[r] * v;
            a0 += p0;
            k0 += a0 < p0;
            a1 += p1;
            k1 += a1 < p1;
        }
        x0->gen[s] = a0;
        x0->car[s] = k0;
        x1->gen[s] = a1;
        x1->car[s] = k1;
    }
}

/* Both coordinates over the small witness slots [0, n) of one int8 row (bytes v + 128):
 * 32-bit halves of the coefficients times bytes, summed in 64-bit lanes (vectorized). */
PASS_CLONES static void fold_small(pass_acc *x0, pass_acc *x1, size_t off,
                                   const uint8_t *restrict b, uint64_t c0, uint64_t c1, size_t n)
{
    uint64_t *restrict l0 = x0->lo + off, *restrict h0 = x0->hi + off;
    uint64_t *restrict l1 = x1->lo + off, *restrict h1 = x1->hi + off;
    /* 32 x 32 -> 64-bit products: the widening multiply the vector units have */
    const uint32_t c0l = (uint32_t)c0, c0h = (uint32_t)(c0 >> 32);
    const uint32_t c1l = (uint32_t)c1, c1h = (uint32_t)(c1 >> 32);
    for (size_t s = 0; s < n; s++) {
        uint32_t v = b[s];
        l0[s] += (uint64_t)c0l * v;
        h0[s] += (uint64_t)c0h * v;
        l1[s] += (uint64_t)c1l * v;
        h1[s] += (uint64_t)c1h * v;
    }
}

#ifdef PASS_HAVE_AVX2_ROWS
/* fold_small for all the small rows rr[0..nr) of a chunk at once over slots [lo, hi): the
 * chunk's sums stay in registers (four 64-bit lanes per coordinate half), so each
 * accumulator is loaded and stored once per chunk instead of once per row. */
__attribute__((target("avx2"))) static void
fold_small_rows_avx2(pass_acc *x0, pass_acc *x1, const uint8_t *bytes, size_t B, const size_t *rr,
                     size_t nr, const uint64_t *c0, const uint64_t *c1, size_t lo, size_t hi)
{
    __m256i k0l[PASS_CHUNK], k0h[PASS_CHUNK], k1l[PASS_CHUNK], k1h[PASS_CHUNK];
    const uint8_t *row[PASS_CHUNK];
    for (size_t r = 0; r < nr; r++) {
        k0l[r] = _mm256_set1_epi64x((long long)(c0[r] & 0xffffffffu));
        k0h[r] = _mm256_set1_epi64x((long long)(c0[r] >> 32));
        k1l[r] = _mm256_set1_epi64x((long long)(c1[r] & 0xffffffffu));
        k1h[r] = _mm256_set1_epi64x((long long)(c1[r] >> 32));
        row[r] = bytes + rr[r] * B;
    }
    size_t s = lo;
    for (; s + 4 <= hi; s += 4) {
        __m256i a0l = _mm256_loadu_si256((const __m256i *)(x0->lo + s));
        __m256i a0h = _mm256_loadu_si256((const __m256i *)(x0->hi + s));
        __m256i a1l = _mm256_loadu_si256((const __m256i *)(x1->lo + s));
        __m256i a1h = _mm256_loadu_si256((const __m256i *)(x1->hi + s));
        for (size_t r = 0; r < nr; r++) {
            int32_t w;
            memcpy(&w, row[r] + s, sizeof w);
            __m256i v = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(w));
            a0l = _mm256_add_epi64(a0l, _mm256_mul_epu32(v, k0l[r]));
            a0h = _mm256_add_epi64(a0h, _mm256_mul_epu32(v, k0h[r]));
            a1l = _mm256_add_epi64(a1l, _mm256_mul_epu32(v, k1l[r]));
            a1h = _mm256_add_epi64(a1h, _mm256_mul_epu32(v, k1h[r]));
        }
        _mm256_storeu_si256((__m256i *)(x0->lo + s), a0l);
        _mm256_storeu_si256((__m256i *)(x0->hi + s), a0h);
        _mm256_storeu_si256((__m256i *)(x1->lo + s), a1l);
        _mm256_storeu_si256((__m256i *)(x1->hi + s), a1h);
    }
    for (size_t r = 0; r < nr && s < hi; r++)
        for (size_t t = s; t < hi; t++) {
            uint64_t v = row[r][t];
            x0->lo[t] += (c0[r] & 0xffffffffu) * v;
            x0->hi[t] += (c0[r] >> 32) * v;
            x1->lo[t] += (c1[r] & 0xffffffffu) * v;
            x1->hi[t] += (c1[r] >> 32) * v;
        }
}
#endif

/* The row's witness values as bytes v + 128 when all of them lie in [-128, 127]. Branch-free
 * so that it vectorizes; out is garbage when it returns 0. */
PASS_CLONES static int to_small(const apex_gl *restrict v, size_t n, uint8_t *restrict out)
{
    uint64_t bad = 0;
    for (size_t s = 0; s < n; s++) {
        uint64_t x = v[s] < 128 ? v[s] + 128 : v[s] - (APEX_GL_P - 128); /* wraps when large */
        bad |= x >> 8;
        out[s] = (uint8_t)x;
    }
    return bad == 0;
}

/* Global row g of the concatenation as (commitment, local row). */
static size_t pass_locate(const ligero_layout *lay, size_t g, size_t *i)
{
    size_t k = 0;
    while (g >= lay->r_off[k + 1])
        k++;
    *i = g - lay->r_off[k];
    return k;
}

static void pass_slice(par_job *j)
{
    pass_arg *a = j->arg;
    size_t B = a->block, ncb = a->ncb, S = B + a->np; /* a row: witness, then its pads */
    pass_acc *acc = apex_calloc_n(2 * (ncb ? ncb : 1), sizeof *acc);
    size_t crow = j->hi - j->lo < PASS_CHUNK ? j->hi - j->lo : PASS_CHUNK; /* buffered rows */
    apex_gl *vals = apex_calloc_n((crow ? crow : 1) * S, sizeof *vals);
    uint8_t *bytes = apex_calloc_n((crow ? crow : 1) * B, 1);
    apex_gl2 *out = apex_calloc_n((ncb ? ncb : 1) * S, sizeof *out);
    size_t rows[PASS_CHUNK];
    int small[PASS_CHUNK];
#ifdef PASS_HAVE_AVX2_ROWS
    const int avx2 = __builtin_cpu_supports("avx2");
#endif
    j->rc = acc && vals && bytes && out ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t m = 0; m < 2 * ncb && j->rc == APEX_OK; m++) {
        acc[m].gen = apex_calloc_n(S, sizeof *acc[m].gen);
        acc[m].car = apex_calloc_n(S, sizeof *acc[m].car);
        acc[m].lo = apex_calloc_n(B, sizeof *acc[m].lo);
        acc[m].hi = apex_calloc_n(B, sizeof *acc[m].hi);
        if (!acc[m].gen || !acc[m].car || !acc[m].lo || !acc[m].hi)
            j->rc = APEX_ERR_NOMEM;
    }
    for (size_t e = j->lo; e < j->hi && j->rc == APEX_OK;) {
        /* a chunk of consecutive list entries in one commitment */
        size_t i0, k = pass_locate(a->lay, a->list[e], &i0), nr = 0;
        const apex_ligero_commitment *c = a->cs[k];
        size_t npad = c->p.npad;
        for (; e < j->hi && nr < PASS_CHUNK && a->list[e] < a->lay->r_off[k + 1]; e++, nr++) {
            size_t g = a->list[e], i = g - a->lay->r_off[k];
            apex_gl *v = vals + nr * S;
            rows[nr] = i;
            int hooked = a->hook && a->hook_rows && a->hook_rows[g];
            if (c->rows_i8 && !hooked) { /* int8 rows: their bytes v + 128 directly */
                uint8_t *bt = bytes + nr * B;
                if ((j->rc = c->rows_i8(c->rows_ctx, i, (int8_t *)bt)) != APEX_OK ||
                    (j->rc = ligero_row_pads(c, i, v + B)) != APEX_OK)
                    break;
                for (size_t s = 0; s < B; s++)
                    bt[s] ^= 0x80;
                small[nr] = 1;
                continue;
            }
            if ((j->rc = ligero_row_values(c, i, v)) != APEX_OK ||
                (j->rc = ligero_row_pads(c, i, v + B)) != APEX_OK)
                break;
            if (hooked && (j->rc = a->hook(a->hctx, j->slice, k, i, v)) != APEX_OK)
                break;
            small[nr] = to_small(v, B, bytes + nr * B);
        }
        if (j->rc != APEX_OK)
            break;
        size_t all[PASS_CHUNK], big[PASS_CHUNK], nbig = 0;
        for (size_t r = 0; r < nr; r++) {
            all[r] = r;
            if (!small[r])
                big[nbig++] = r;
        }
        for (size_t m = 0; m < ncb; m++) {
            if (a->cb[m].k != k)
                continue;
            pass_acc *x0 = &acc[2 * m], *x1 = &acc[2 * m + 1];
            uint64_t c0[PASS_CHUNK], c1[PASS_CHUNK], b0[PASS_CHUNK], b1[PASS_CHUNK];
            for (size_t r = 0; r < nr; r++) {
                c0[r] = a->cb[m].w[rows[r]].c0;
                c1[r] = a->cb[m].w[rows[r]].c1;
            }
            for (size_t q = 0; q < nbig; q++) {
                b0[q] = c0[big[q]];
                b1[q] = c1[big[q]];
            }
            fold_general(x0, x1, vals, S, all, nr, c0, c1, B, B + npad); /* pads: every row */
            fold_general(x0, x1, vals, S, big, nbig, b0, b1, 0, B);
#ifdef PASS_HAVE_AVX2_ROWS
            if (avx2) {
                size_t sm[PASS_CHUNK], nsm = 0;
                uint64_t s0[PASS_CHUNK], s1[PASS_CHUNK];
                for (size_t r = 0; r < nr; r++)
                    if (small[r]) {
                        s0[nsm] = c0[r];
                        s1[nsm] = c1[r];
                        sm[nsm++] = r;
                    }
                if (nsm)
                    fold_small_rows_avx2(x0, x1, bytes, B, sm, nsm, s0, s1, 0, B);
                continue;
            }
#endif
            for (size_t t0 = 0; t0 < B; t0 += PASS_TILE) { /* tiles stay in cache */
                size_t t1 = t0 + PASS_TILE < B ? t0 + PASS_TILE : B;
                for (size_t r = 0; r < nr; r++)
                    if (small[r])
                        fold_small(x0, x1, t0, bytes + r * B + t0, c0[r], c1[r], t1 - t0);
            }
        }
        for (size_t m = 0; m < ncb; m++) /* the byte offset of the small rows, per coordinate */
            for (size_t r = 0; a->cb[m].k == k && r < nr; r++)
                if (small[r]) {
                    apex_gl2 w2 = a->cb[m].w[rows[r]];
                    acc[2 * m].csum = apex_gl_add(acc[2 * m].csum, w2.c0);
                    acc[2 * m + 1].csum = apex_gl_add(acc[2 * m + 1].csum, w2.c1);
                }
    }
    /* 2^128 mod p, for the carries */
    const apex_gl r64 = APEX_GL_EPS, r128 = apex_gl_mul(r64, r64);
    for (size_t m = 0; m < ncb && j->rc == APEX_OK; m++) {
        size_t npad = a->cs[a->cb[m].k]->p.npad;
        for (int co = 0; co < 2; co++) {
            pass_acc *x = &acc[2 * m + (size_t)co];
            apex_gl off = apex_gl_mul(128, x->csum);
            for (size_t s = 0; s < B + npad; s++) {
                apex_gl t = apex_gl_add(apex_gl_reduce128(x->gen[s]), apex_gl_mul(x->car[s], r128));
                if (s < B) {
                    t = apex_gl_add(t, apex_gl_reduce128(x->lo[s] + ((u128)x->hi[s] << 32)));
                    t = apex_gl_sub(t, off);
                }
                if (co)
                    out[m * S + s].c1 = t;
                else
                    out[m * S + s].c0 = t;
            }
        }
    }
    for (size_t m = 0; acc && m < 2 * ncb; m++) {
        free(acc[m].gen);
        free(acc[m].car);
        free(acc[m].lo);
        free(acc[m].hi);
    }
    free(acc);
    if (vals)
        apex_wipe(vals, (crow ? crow : 1) * S * sizeof *vals);
    if (bytes)
        apex_wipe(bytes, (crow ? crow : 1) * B);
    free(vals);
    free(bytes);
    a->part[j->slice] = out;
}

int ligero_comb_pass(apex_ligero_commitment *const *cs, size_t n, const ligero_layout *lay,
                     const ligero_comb *cb, size_t ncb, const uint8_t *hook_rows, ligero_hook hook,
                     void *hctx)
{
    size_t B = cs[0]->d.block, total = lay->r_off[n], nlist = 0, np = 0;
    for (size_t k = 0; k < n; k++)
        np = cs[k]->p.npad > np ? cs[k]->p.npad : np;
    for (size_t m = 0; m < ncb; m++) {
        for (size_t s = 0; s < B; s++)
            cb[m].out[s] = apex_gl2_from_gl(0);
        for (size_t s = 0; cb[m].pout && s < cs[cb[m].k]->p.npad; s++)
            cb[m].pout[s] = apex_gl2_from_gl(0);
    }
    size_t *list = apex_calloc_n(total ? total : 1, sizeof *list);
    if (!list)
        return APEX_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        int all = 0;
        for (size_t m = 0; m < ncb; m++)
            all |= cb[m].k == k;
        for (size_t g = lay->r_off[k]; g < lay->r_off[k + 1]; g++)
            if (all || (hook && hook_rows && hook_rows[g]))
                list[nlist++] = g;
    }
    pass_arg a = {cs, cb, ncb, list, nlist, lay, hook_rows, hook, hctx, B, np, {NULL}};
    int rc = nlist ? ligero_par_run(pass_slice, &a, nlist) : APEX_OK;
    for (size_t t = 0; t < APEX_ZK_THREADS; t++) {
        for (size_t m = 0; rc == APEX_OK && a.part[t] && m < ncb; m++) {
            const apex_gl2 *pt = a.part[t] + m * (B + np);
            for (size_t s = 0; s < B; s++)
                cb[m].out[s] = apex_gl2_add(cb[m].out[s], pt[s]);
            for (size_t s = 0; cb[m].pout && s < cs[cb[m].k]->p.npad; s++)
                cb[m].pout[s] = apex_gl2_add(cb[m].pout[s], pt[B + s]);
        }
        free(a.part[t]);
    }
    free(list);
    return rc;
}
