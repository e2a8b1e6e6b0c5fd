/* Tests for the quantized certificate path (unlearn/obsq.c, obsq_round.c): the §3.3 budget,
 * the two-sided τ, the exact int64 residual against an independent __int128 reference,
 * quantization, honest vs lazy answers on realistic synthetic blocks, the refinement step and
 * the sequential-rounding fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unlearn/unlearn.h"

/* Realistic block size of the design (N = 64, B = 256, 4% mask). */
#define TN    64
#define TB    256
#define TNS   10
#define TNBLK 6

static void test_budget(void **state)
{
    (void)state;
    assert_int_equal(apex_obsq_check_budget(64, 256, 64, 24), APEX_OK);
    assert_int_equal(apex_obsq_check_budget(1024, 1024, 1024, 24), APEX_OK); /* 2^58 */
    assert_int_equal(apex_obsq_check_budget(4096, 8192, 4096, 24), APEX_ERR_RANGE);
    /* boundary: (N·B·2^14 + Λ̃) = 2^39 − 1 passes at b_w = 24, 2^39 fails */
    size_t b = ((size_t)1 << 25) - 1;
    assert_int_equal(apex_obsq_check_budget(1, b, (1 << 14) - 1, 24), APEX_OK);
    assert_int_equal(apex_obsq_check_budget(1, b, 1 << 14, 24), APEX_ERR_RANGE);
    assert_int_equal(apex_obsq_check_budget(SIZE_MAX, 2, 64, 24), APEX_ERR_RANGE); /* overflow */
    assert_int_equal(apex_obsq_check_budget(0, 256, 64, 24), APEX_ERR_INVALID);
    assert_int_equal(apex_obsq_check_budget(64, 256, 0, 24), APEX_ERR_INVALID);
    assert_int_equal(apex_obsq_lambda_for(10), 64);
    assert_int_equal(apex_obsq_lambda_for(480), 480);
}

static void test_tau_two_sided(void **state)
{
    (void)state;
    for (unsigned t = 0; t <= 30; t += 10) {
        int64_t tau = (int64_t)1 << t;
        assert_true(apex_obsq_rho_ok(tau - 1, t));
        assert_true(apex_obsq_rho_ok(-tau, t));
        assert_true(apex_obsq_rho_ok(0, t));
        assert_false(apex_obsq_rho_ok(tau, t));
        assert_false(apex_obsq_rho_ok(-tau - 1, t));
    }
    /* Hand-built residuals through the real residual function: G̃ = 0, Λ̃ = 1 gives ρ̃ = δ̃. */
    int8_t gq[2 * 4] = {0};
    const unsigned t = 20;
    const int32_t tau = 1 << t;
    int32_t delta[4] = {tau - 1, -tau, tau, -tau - 1};
    int64_t rho[4];
    assert_int_equal(apex_obsq_residual(gq, 2, 4, 4, 1, delta, rho), APEX_OK);
    assert_true(apex_obsq_rho_ok(rho[0], t));
    assert_true(apex_obsq_rho_ok(rho[1], t));
    assert_false(apex_obsq_rho_ok(rho[2], t));
    assert_false(apex_obsq_rho_ok(rho[3], t));
}

/* Independent reference: explicit Ĥ = G̃ᵀG̃ + Λ̃I, then Ĥδ in __int128. */
static void residual_reference(const int8_t *gq, size_t n, size_t nb, int64_t lambda,
                               const int32_t *delta, __int128 *out)
{
    for (size_t a = 0; a < nb; a++) {
        __int128 s = 0;
        for (size_t b = 0; b < nb; b++) {
            __int128 h = a == b ? lambda : 0;
            for (size_t i = 0; i < n; i++)
                h += (__int128)gq[i * nb + a] * gq[i * nb + b];
            s += h * delta[b];
        }
        out[a] = s;
    }
}

static void test_residual_exact(void **state)
{
    (void)state;
    /* hand-computed: G̃ = [[1,2,3],[-1,0,127]], δ = [1,-2,3], Λ̃ = 64.
     * u = G̃δ = [6, 380]; G̃ᵀu = [6-380, 12, 18+48260] = [-374, 12, 48278]; + 64δ. */
    int8_t g1[6] = {1, 2, 3, -1, 0, 127};
    int32_t d1[3] = {1, -2, 3};
    int64_t r1[3];
    assert_int_equal(apex_obsq_residual(g1, 2, 3, 3, 64, d1, r1), APEX_OK);
    assert_int_equal(r1[0], -374 + 64);
    assert_int_equal(r1[1], 12 - 128);
    assert_int_equal(r1[2], 48278 + 192);
    /* extreme values at the edge of the budget: all entries ±127, |δ| = 2^24 − 1 */
    enum { N = 32, B = 64 };
    int8_t *g = calloc(N * B, 1);
    int32_t delta[B];
    int64_t rho[B];
    __int128 ref[B];
    apex_rng rng;
    apex_rng_seed(&rng, 42);
    for (int rep = 0; rep < 3; rep++) {
        for (size_t i = 0; i < N * B; i++)
            g[i] = rep == 0 ? 127 : (int8_t)((int)apex_rng_below(&rng, 255) - 127);
        for (size_t j = 0; j < B; j++)
            delta[j] = rep == 0 ? (1 << 24) - 1
                                : (int32_t)apex_rng_below(&rng, (1u << 25) - 1) - ((1 << 24) - 1);
        assert_int_equal(apex_obsq_residual(g, N, B, B, 4096, delta, rho), APEX_OK);
        residual_reference(g, N, B, 4096, delta, ref);
        for (size_t j = 0; j < B; j++)
            assert_true((__int128)rho[j] == ref[j]);
    }
    /* |δ| ≥ 2^b_w is refused */
    delta[3] = 1 << 24;
    assert_int_equal(apex_obsq_residual(g, N, B, B, 64, delta, rho), APEX_ERR_RANGE);
    free(g);
}

static void test_quantize(void **state)
{
    (void)state;
    /* d = 5, B = 4: block 0 full, block 1 short (1 column, zero-padded to 4) */
    float g[2 * 5] = {0.5f,  -1.0f, 0.25f, 0.0f,   3.0f, /* sample 0 */
                      -0.5f, 0.75f, 0.0f,  0.004f, -3.0f};
    int8_t gq[2 * 2 * 4];
    double sc[2];
    assert_int_equal(apex_obsq_quantize(g, 2, 5, 5, 4, gq, sc), APEX_OK);
    assert_true(fabs(sc[0] - 1.0 / 127) < 1e-15);
    const int8_t want0[8] = {64, -127, 32, 0, -64, 95, 0, 1};
    assert_memory_equal(gq, want0, 8);
    const int8_t want1[8] = {127, 0, 0, 0, -127, 0, 0, 0};
    assert_memory_equal(gq + 8, want1, 8);
    float z[4] = {0};
    assert_int_equal(apex_obsq_quantize(z, 1, 4, 4, 4, gq, sc), APEX_OK);
    assert_true(sc[0] == 0.0);
    float bad[2] = {1.0f, NAN};
    assert_int_equal(apex_obsq_quantize(bad, 1, 2, 2, 2, gq, sc), APEX_ERR_INVALID);
    /* fixed point */
    float w[3] = {0.5f, -0.25f, 1.0f};
    int32_t wq[3];
    assert_int_equal(apex_obsq_weights_fixed(w, 3, 20, wq), APEX_OK);
    assert_int_equal(wq[0], 1 << 19);
    assert_int_equal(wq[1], -(1 << 18));
    assert_int_equal(apex_obsq_weights_fixed(w, 3, 23, wq), APEX_ERR_RANGE); /* 1.0·2^23 */
}

/* A realistic synthetic layer: TNBLK blocks of TB, N = TN, 4% mask, w̃ ~ N(0, 2^18.5). */
typedef struct layer {
    int8_t *gq;     /* [TNBLK][TN][TB] */
    int32_t *wq;    /* [TNBLK·TB] */
    uint64_t *mask; /* sorted, TNS per block */
    size_t nmask;   /* TNS·TNBLK */
} layer;

static layer make_layer(uint64_t seed)
{
    size_t d = TNBLK * TB;
    layer L = {calloc(TNBLK * TN * TB, 1), calloc(d, sizeof(int32_t)),
               calloc(TNS * TNBLK, sizeof(uint64_t)), TNS * TNBLK};
    float *g = calloc(TN * d, sizeof *g);
    double sc[TNBLK];
    assert_int_equal(apex_obs_synth_gradients(seed, TN, d, 8, 0.3, g), APEX_OK);
    assert_int_equal(apex_obsq_quantize(g, TN, d, d, TB, L.gq, sc), APEX_OK);
    apex_rng rng;
    apex_rng_seed(&rng, seed + 7);
    for (size_t j = 0; j < d; j++)
        L.wq[j] = (int32_t)lround(apex_rng_normal(&rng) * ldexp(1.0, 18) * 1.41);
    for (size_t b = 0; b < TNBLK; b++) /* TNS indices per block, spread out */
        for (size_t k = 0; k < TNS; k++)
            L.mask[b * TNS + k] = b * TB + k * (TB / TNS) + apex_rng_below(&rng, TB / TNS);
    free(g);
    return L;
}

static void free_layer(layer *L)
{
    free(L->gq);
    free(L->wq);
    free(L->mask);
}

static int64_t max_abs_k(const int64_t *rho, const uint32_t *sel, size_t ns, size_t nb)
{
    int64_t m = 0;
    for (size_t j = 0, k = 0; j < nb; j++) {
        if (k < ns && sel[k] == j) {
            k++;
            continue;
        }
        m = llabs(rho[j]) > m ? llabs(rho[j]) : m;
    }
    return m;
}

static void block_sel(const layer *L, size_t b, uint32_t *sel)
{
    for (size_t k = 0; k < TNS; k++)
        sel[k] = (uint32_t)(L->mask[b * TNS + k] - b * TB);
}

/* Honest naive answer passes τ = 2^20 and the reported statistic is the exact residual;
 * the lazy mask-only answer has residuals far above τ. */
static void test_honest_and_lazy(void **state)
{
    (void)state;
    layer L = make_layer(1);
    apex_obsq_params p;
    apex_obsq_params_default(&p);
    p.rounding = APEX_OBSQ_ROUND_NAIVE;
    int64_t lambda = apex_obsq_lambda_for(TN);
    int32_t delta[TB], lazy[TB];
    int64_t rho[TB];
    uint32_t sel[TNS];
    for (size_t b = 0; b < TNBLK; b++) {
        block_sel(&L, b, sel);
        const int8_t *gb = L.gq + b * TN * TB;
        const int32_t *wb = L.wq + b * TB;
        apex_obsq_block_stat st;
        assert_int_equal(apex_obsq_block(&p, gb, TN, TB, TB, wb, sel, TNS, delta, &st), APEX_OK);
        for (size_t k = 0; k < TNS; k++)
            assert_int_equal(delta[sel[k]], -wb[sel[k]]);
        assert_int_equal(apex_obsq_residual(gb, TN, TB, TB, lambda, delta, rho), APEX_OK);
        assert_int_equal(max_abs_k(rho, sel, TNS, TB), st.max_rho);
        assert_true(st.max_rho < ((int64_t)1 << APEX_OBSQ_DEFAULT_TAU_LOG2));
        assert_true(st.max_rho <= st.max_rho_naive);
        /* lazy: δ_K = 0, δ_S = −w_S */
        memset(lazy, 0, sizeof lazy);
        for (size_t k = 0; k < TNS; k++)
            lazy[sel[k]] = -wb[sel[k]];
        assert_int_equal(apex_obsq_residual(gb, TN, TB, TB, lambda, lazy, rho), APEX_OK);
        int64_t lz = max_abs_k(rho, sel, TNS, TB);
        if (lz < ((int64_t)1 << 26))
            fail_msg("block %zu: lazy max|rho| = 2^%.1f, not >> tau", b, log2((double)lz));
        print_message("block %zu: honest 2^%.1f (naive 2^%.1f), lazy 2^%.1f\n", b,
                      log2((double)st.max_rho + 1), log2((double)st.max_rho_naive + 1),
                      log2((double)lz));
    }
    free_layer(&L);
}

/* Sequential rounding lowers max|ρ̃_K| against naive rounding (+ refinement). */
static void test_sequential_reduces(void **state)
{
    (void)state;
    layer L = make_layer(2);
    apex_obsq_params pn, ps;
    apex_obsq_params_default(&pn);
    pn.rounding = APEX_OBSQ_ROUND_NAIVE;
    ps = pn;
    ps.rounding = APEX_OBSQ_ROUND_SEQUENTIAL;
    int32_t dn[TB], ds[TB];
    uint32_t sel[TNS];
    double sum_n = 0, sum_s = 0;
    for (size_t b = 0; b < TNBLK; b++) {
        block_sel(&L, b, sel);
        const int8_t *gb = L.gq + b * TN * TB;
        apex_obsq_block_stat sn, ss;
        assert_int_equal(apex_obsq_block(&pn, gb, TN, TB, TB, L.wq + b * TB, sel, TNS, dn, &sn),
                         APEX_OK);
        assert_int_equal(apex_obsq_block(&ps, gb, TN, TB, TB, L.wq + b * TB, sel, TNS, ds, &ss),
                         APEX_OK);
        assert_int_equal(ss.sequential, 1);
        for (size_t k = 0; k < TNS; k++)
            assert_int_equal(ds[sel[k]], -L.wq[b * TB + sel[k]]);
        print_message("block %zu: naive+refine 2^%.1f, sequential 2^%.1f\n", b,
                      log2((double)sn.max_rho + 1), log2((double)ss.max_rho + 1));
        sum_n += log2((double)sn.max_rho + 1);
        sum_s += log2((double)ss.max_rho + 1);
    }
    if (!(sum_s < sum_n - 1.0 * TNBLK))
        fail_msg("sequential rounding did not gain a bit on average: %.2f vs %.2f", sum_s / TNBLK,
                 sum_n / TNBLK);
    free_layer(&L);
}

/* AUTO falls back to sequential rounding when naive misses τ; a τ nothing meets is refused
 * with the block named. */
static void test_fallback_and_failure(void **state)
{
    (void)state;
    layer L = make_layer(3);
    apex_obsq_params p;
    apex_obsq_params_default(&p);
    size_t d = TNBLK * TB, nst = 0;
    int32_t *delta = calloc(d, sizeof *delta);
    apex_obsq_block_stat st[TNBLK];
    /* find a τ between the two roundings on block 0 */
    uint32_t sel[TNS];
    block_sel(&L, 0, sel);
    apex_obsq_block_stat sn, ss;
    apex_obsq_params pn = p, ps = p;
    pn.rounding = APEX_OBSQ_ROUND_NAIVE;
    ps.rounding = APEX_OBSQ_ROUND_SEQUENTIAL;
    assert_int_equal(apex_obsq_block(&pn, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, &sn), APEX_OK);
    assert_int_equal(apex_obsq_block(&ps, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, &ss), APEX_OK);
    unsigned t = (unsigned)ceil(log2((double)ss.max_rho + 1)) + 1;
    if ((int64_t)1 << t > sn.max_rho)
        skip(); /* no gap on this block; test_sequential_reduces covers the average */
    p.tau_log2 = t;
    pn.tau_log2 = t;
    assert_int_equal(apex_obsq_block(&pn, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, NULL),
                     APEX_ERR_REJECTED);
    apex_obsq_block_stat sa;
    assert_int_equal(apex_obsq_block(&p, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, &sa), APEX_OK);
    assert_int_equal(sa.sequential, 1);
    assert_true(sa.max_rho < ((int64_t)1 << t));
    /* τ = 2^2: nothing passes, the layer names block 0 */
    p.tau_log2 = 2;
    uint64_t failed = 99;
    assert_int_equal(
        apex_obsq_layer(&p, L.gq, TN, d, L.wq, L.mask, L.nmask, delta, st, &nst, &failed),
        APEX_ERR_REJECTED);
    assert_int_equal(failed, 0);
    assert_int_equal(nst, 1);
    free(delta);
    free_layer(&L);
}

/* Layer driver: untouched blocks get δ̃ = 0, stats per masked block, residuals re-verified. */
static void test_layer(void **state)
{
    (void)state;
    layer L = make_layer(4);
    size_t d = TNBLK * TB, nst = 0;
    /* keep blocks 0, 2 and 5 only */
    uint64_t mask[3 * TNS];
    size_t nm = 0;
    for (size_t k = 0; k < L.nmask; k++) {
        size_t b = L.mask[k] / TB;
        if (b == 0 || b == 2 || b == 5)
            mask[nm++] = L.mask[k];
    }
    apex_obsq_params p;
    apex_obsq_params_default(&p);
    int32_t *delta = calloc(d, sizeof *delta);
    apex_obsq_block_stat st[TNBLK];
    int64_t rho[TB];
    assert_int_equal(apex_obsq_layer(&p, L.gq, TN, d, L.wq, mask, nm, delta, st, &nst, NULL),
                     APEX_OK);
    assert_int_equal(nst, 3);
    assert_int_equal(st[1].block, 2);
    for (size_t b = 0; b < TNBLK; b++) {
        int masked = b == 0 || b == 2 || b == 5;
        int nonzero = 0;
        for (size_t j = 0; j < TB; j++)
            nonzero |= delta[b * TB + j] != 0;
        assert_int_equal(nonzero, masked);
        if (!masked)
            continue;
        assert_int_equal(apex_obsq_residual(L.gq + b * TN * TB, TN, TB, TB,
                                            apex_obsq_lambda_for(TN), delta + b * TB, rho),
                         APEX_OK);
        for (size_t j = 0; j < TB; j++) {
            int on_mask = 0;
            for (size_t k = 0; k < nm; k++)
                on_mask |= mask[k] == b * TB + j;
            if (on_mask)
                assert_int_equal(L.wq[b * TB + j] + delta[b * TB + j], 0);
            else
                assert_true(apex_obsq_rho_ok(rho[j], p.tau_log2));
        }
    }
    /* the layer residual (with u = G̃δ̃) agrees with the per-block one; ρ̃ = 0 off the mask */
    int64_t *rl = calloc(d, sizeof *rl), *ul = calloc(TNBLK * TN, sizeof *ul);
    assert_int_equal(
        apex_obsq_layer_residual(L.gq, TN, d, TB, apex_obsq_lambda_for(TN), delta, ul, rl),
        APEX_OK);
    for (size_t b = 0; b < TNBLK; b++) {
        assert_int_equal(apex_obsq_residual(L.gq + b * TN * TB, TN, TB, TB,
                                            apex_obsq_lambda_for(TN), delta + b * TB, rho),
                         APEX_OK);
        assert_memory_equal(rl + b * TB, rho, TB * sizeof *rho);
        for (size_t i = 0; i < TN; i++) {
            int64_t want = 0;
            for (size_t j = 0; j < TB; j++)
                want += (int64_t)L.gq[b * TN * TB + i * TB + j] * delta[b * TB + j];
            assert_int_equal(ul[b * TN + i], want);
        }
    }
    free(rl);
    free(ul);
    /* three worker threads: identical δ̃ and statistics */
    int32_t *d3 = calloc(d, sizeof *d3);
    apex_obsq_block_stat st3[TNBLK];
    size_t nst3 = 0;
    p.threads = 3;
    assert_int_equal(apex_obsq_layer(&p, L.gq, TN, d, L.wq, mask, nm, d3, st3, &nst3, NULL),
                     APEX_OK);
    assert_int_equal(nst3, 3);
    assert_memory_equal(d3, delta, d * sizeof *d3);
    assert_memory_equal(st3, st, 3 * sizeof st[0]);
    /* with threads, a failure still names the lowest failing block */
    p.tau_log2 = 2;
    uint64_t failed = 99;
    assert_int_equal(apex_obsq_layer(&p, L.gq, TN, d, L.wq, mask, nm, d3, st3, &nst3, &failed),
                     APEX_ERR_REJECTED);
    assert_int_equal(failed, 0);
    assert_int_equal(nst3, 1);
    free(d3);
    free(delta);
    free_layer(&L);
}

/* δ* of the quantized path is the float Group-OBS of Ĥ: with α = 1 (m = 1/N) and λ = Λ̃ the
 * float driver on G̃ gives δ_f, and naive rounding without refinement is round(δ_f). */
static void test_matches_float_solver(void **state)
{
    (void)state;
    layer L = make_layer(5);
    apex_obsq_params p;
    apex_obsq_params_default(&p);
    p.rounding = APEX_OBSQ_ROUND_NAIVE;
    p.refine = 0;
    apex_obs_params fp;
    apex_obs_params_default(&fp);
    fp.block = TB;
    fp.fisher_m = 1.0 / TN;
    fp.lambda = (double)apex_obsq_lambda_for(TN);
    float *gf = calloc(TN * TB, sizeof *gf);
    double w[TB], df[TB];
    int32_t dq[TB];
    uint32_t sel[TNS];
    for (size_t b = 0; b < 2; b++) {
        block_sel(&L, b, sel);
        for (size_t i = 0; i < TN * TB; i++)
            gf[i] = (float)L.gq[b * TN * TB + i];
        for (size_t j = 0; j < TB; j++)
            w[j] = (double)L.wq[b * TB + j];
        assert_int_equal(apex_obs_block(&fp, gf, TN, TB, TB, w, sel, TNS, df, NULL), APEX_OK);
        int rc =
            apex_obsq_block(&p, L.gq + b * TN * TB, TN, TB, TB, L.wq + b * TB, sel, TNS, dq, NULL);
        assert_int_equal(rc, APEX_OK);
        for (size_t j = 0; j < TB; j++)
            if (fabs((double)dq[j] - df[j]) > 0.5 + 1e-6)
                fail_msg("block %zu coord %zu: integer %d vs float %.6f", b, j, dq[j], df[j]);
    }
    free(gf);
    free_layer(&L);
}

/* w̃ + δ̃ must stay inside [−2^23, 2^23): weights at the top of the range are refused. */
static void test_weight_range(void **state)
{
    (void)state;
    layer L = make_layer(6);
    apex_obsq_params p;
    apex_obsq_params_default(&p);
    uint32_t sel[TNS];
    block_sel(&L, 0, sel);
    int32_t delta[TB];
    for (size_t j = 0; j < TB; j++)
        L.wq[j] = (1 << 23) - 1;
    for (size_t k = 0; k < TNS; k++) /* masked weights of both signs: δ_K has both signs */
        L.wq[sel[k]] = k % 2 ? -(1 << 22) : (1 << 22);
    assert_int_equal(apex_obsq_block(&p, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, NULL),
                     APEX_ERR_RANGE);
    /* an input weight outside the b_w range is refused too */
    for (size_t j = 0; j < TB; j++)
        L.wq[j] = 0;
    L.wq[sel[0]] = 1 << 23;
    assert_int_equal(apex_obsq_block(&p, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, NULL),
                     APEX_ERR_RANGE);
    L.wq[sel[0]] = -(1 << 23); /* the lowest value is inside [−2^23, 2^23) */
    assert_int_equal(apex_obsq_block(&p, L.gq, TN, TB, TB, L.wq, sel, TNS, delta, NULL), APEX_OK);
    free_layer(&L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_tau_two_sided),
        cmocka_unit_test(test_residual_exact),
        cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_honest_and_lazy),
        cmocka_unit_test(test_sequential_reduces),
        cmocka_unit_test(test_fallback_and_failure),
        cmocka_unit_test(test_layer),
        cmocka_unit_test(test_matches_float_solver),
        cmocka_unit_test(test_weight_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
