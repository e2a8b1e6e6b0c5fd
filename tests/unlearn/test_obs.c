/* Tests for the float64 reference Group-OBS (unlearn/obs.c, obs_solve.c).
 *
 * The reference is an independent dense solve of the full KKT system
 *   [[C, E], [Eᵀ, 0]]·[δ; μ] = [0; −w_S]
 * with LAPACKE_dgesv (LU, no structure used). Sizes are small so the ASan build stays fast. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unlearn/unlearn.h"

/* Random problem: g [n][nb] float, w [nb], sel [ns] sorted unique. */
typedef struct problem {
    size_t n, nb, ns; /* samples, block size, masked count */
    float *g;         /* [n][nb] gradients */
    double *w;        /* [nb] weights */
    uint32_t *sel;    /* [ns] sorted local masked indices */
} problem;

static problem make_problem(uint64_t seed, size_t n, size_t nb, size_t ns)
{
    problem p = {n,
                 nb,
                 ns,
                 calloc(n * nb, sizeof(float)),
                 calloc(nb, sizeof(double)),
                 calloc(ns, sizeof(uint32_t))};
    assert_int_equal(apex_obs_synth_gradients(seed, n, nb, n < 4 ? n : 4, 0.3, p.g), APEX_OK);
    apex_rng rng;
    apex_rng_seed(&rng, seed + 1000);
    for (size_t j = 0; j < nb; j++)
        p.w[j] = apex_rng_normal(&rng);
    /* pick ns distinct indices, then sort (selection by a random subset walk) */
    size_t need = ns;
    for (size_t j = 0, k = 0; j < nb && k < ns; j++)
        if (apex_rng_below(&rng, nb - j) < need) {
            p.sel[k++] = (uint32_t)j;
            need--;
        }
    return p;
}

static void free_problem(problem *p)
{
    free(p->g);
    free(p->w);
    free(p->sel);
}

/* Dense C = λI + GᵀG/(mN) : [nb][nb]. */
static double *dense_c(const problem *p, double lambda, double m)
{
    double *c = calloc(p->nb * p->nb, sizeof *c);
    for (size_t a = 0; a < p->nb; a++)
        for (size_t b = 0; b < p->nb; b++) {
            double s = 0;
            for (size_t i = 0; i < p->n; i++)
                s += (double)p->g[i * p->nb + a] * (double)p->g[i * p->nb + b];
            c[a * p->nb + b] = s / (m * (double)p->n) + (a == b ? lambda : 0.0);
        }
    return c;
}

/* Reference δ from the dense KKT system. */
static void kkt_reference(const problem *p, const double *c, double *delta)
{
    size_t dim = p->nb + p->ns;
    double *k = calloc(dim * dim, sizeof *k), *rhs = calloc(dim, sizeof *rhs);
    lapack_int *piv = calloc(dim, sizeof *piv);
    for (size_t a = 0; a < p->nb; a++)
        memcpy(k + a * dim, c + a * p->nb, p->nb * sizeof(double));
    for (size_t s = 0; s < p->ns; s++) {
        k[p->sel[s] * dim + p->nb + s] = 1.0;
        k[(p->nb + s) * dim + p->sel[s]] = 1.0;
        rhs[p->nb + s] = -p->w[p->sel[s]];
    }
    assert_int_equal(LAPACKE_dgesv(LAPACK_ROW_MAJOR, (int)dim, 1, k, (int)dim, piv, rhs, 1), 0);
    memcpy(delta, rhs, p->nb * sizeof(double));
    free(k);
    free(rhs);
    free(piv);
}

static double rel_err(const double *a, const double *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / den);
}

/* One configuration: OBS vs dense KKT, off-mask stationarity, exact zeros on S. */
static void check_against_kkt(uint64_t seed, size_t n, size_t nb, size_t ns, apex_obs_method m,
                              double fixed_lambda)
{
    problem p = make_problem(seed, n, nb, ns);
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = nb;
    prm.method = m;
    prm.lambda = fixed_lambda;
    double *delta = calloc(nb, sizeof *delta), *ref = calloc(nb, sizeof *ref), lambda = 0;
    assert_int_equal(apex_obs_block(&prm, p.g, n, nb, nb, p.w, p.sel, ns, delta, &lambda), APEX_OK);
    if (fixed_lambda > 0)
        assert_true(lambda == fixed_lambda);
    double *c = dense_c(&p, lambda, prm.fisher_m);
    kkt_reference(&p, c, ref);
    double e = rel_err(delta, ref, nb);
    if (e >= 1e-6)
        fail_msg("seed %llu n=%zu nb=%zu ns=%zu method=%d: rel err %.3g vs dense KKT",
                 (unsigned long long)seed, n, nb, ns, (int)m, e);
    /* (Cδ)_j ≈ 0 off S, relative to |C|·|δ| */
    double cn = 0, dn = 0, worst = 0;
    for (size_t j = 0; j < nb * nb; j++)
        cn = fmax(cn, fabs(c[j]));
    for (size_t j = 0; j < nb; j++)
        dn = fmax(dn, fabs(delta[j]));
    for (size_t a = 0, k = 0; a < nb; a++) {
        if (k < ns && p.sel[k] == a) {
            assert_true(delta[a] == -p.w[a]); /* exact */
            k++;
            continue;
        }
        double r = 0;
        for (size_t b = 0; b < nb; b++)
            r += c[a * nb + b] * delta[b];
        worst = fmax(worst, fabs(r));
    }
    if (worst > 1e-9 * cn * dn * (double)nb)
        fail_msg("KKT residual off mask %.3g (|C|=%.3g |δ|=%.3g)", worst, cn, dn);
    free(c);
    free(delta);
    free(ref);
    free_problem(&p);
}

static void test_woodbury_matches_kkt(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        check_against_kkt(seed, 12, 48, 5, APEX_OBS_AUTO, 0.0);      /* N < B: Woodbury */
        check_against_kkt(seed, 16, 64, 1, APEX_OBS_WOODBURY, 0.0);  /* single mask entry */
        check_against_kkt(seed, 8, 40, 20, APEX_OBS_WOODBURY, 0.05); /* half masked, fixed λ */
    }
}

static void test_direct_matches_kkt(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 14; seed++) {
        check_against_kkt(seed, 40, 24, 3, APEX_OBS_AUTO, 0.0); /* N ≥ B: direct */
        check_against_kkt(seed, 12, 48, 7, APEX_OBS_DIRECT, 0.0);
        check_against_kkt(seed, 30, 30, 30, APEX_OBS_DIRECT, 0.0); /* whole block masked */
    }
}

static void test_woodbury_equals_direct(void **state)
{
    (void)state;
    problem p = make_problem(77, 20, 64, 6);
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = 64;
    double dw[64], dd[64], lw, ld;
    prm.method = APEX_OBS_WOODBURY;
    assert_int_equal(apex_obs_block(&prm, p.g, 20, 64, 64, p.w, p.sel, 6, dw, &lw), APEX_OK);
    prm.method = APEX_OBS_DIRECT;
    assert_int_equal(apex_obs_block(&prm, p.g, 20, 64, 64, p.w, p.sel, 6, dd, &ld), APEX_OK);
    assert_true(fabs(lw - ld) <= 1e-12 * lw); /* traces of GGᵀ and GᵀG: same up to rounding */
    double e = rel_err(dw, dd, 64);
    if (e >= 1e-8)
        fail_msg("Woodbury vs direct rel err %.3g", e);
    free_problem(&p);
}

static void test_relative_damping_value(void **state)
{
    (void)state;
    problem p = make_problem(5, 10, 32, 2);
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = 32;
    double delta[32], lambda;
    assert_int_equal(apex_obs_block(&prm, p.g, 10, 32, 32, p.w, p.sel, 2, delta, &lambda), APEX_OK);
    double s = 0;
    for (size_t i = 0; i < 10 * 32; i++)
        s += (double)p.g[i] * (double)p.g[i];
    double want = APEX_OBS_DEFAULT_REL_DAMP * s / 32.0 / (APEX_OBS_DEFAULT_FISHER_M * 10.0);
    assert_true(fabs(lambda - want) <= 1e-12 * want);
    free_problem(&p);
}

static void test_zero_gradients(void **state)
{
    (void)state;
    float g[4 * 8] = {0};
    double w[8] = {1, 2, 3, 4, 5, 6, 7, 8}, delta[8];
    uint32_t sel[2] = {1, 6};
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = 8;
    assert_int_equal(apex_obs_block(&prm, g, 4, 8, 8, w, sel, 2, delta, NULL), APEX_OK);
    for (int j = 0; j < 8; j++)
        assert_true(delta[j] == (j == 1 ? -2.0 : j == 6 ? -7.0 : 0.0));
}

/* Layer driver: short last block, untouched blocks bit-identical, per-block equality. */
static void test_layer(void **state)
{
    (void)state;
    const size_t n = 10, d = 1000, B = 64; /* 15 full blocks and one of 40 */
    float *g = calloc(n * d, sizeof *g), *w = calloc(d, sizeof *w), *w0 = calloc(d, sizeof *w0);
    assert_int_equal(apex_obs_synth_gradients(9, n, d, 4, 0.3, g), APEX_OK);
    apex_rng rng;
    apex_rng_seed(&rng, 3);
    for (size_t j = 0; j < d; j++)
        w[j] = w0[j] = (float)apex_rng_normal(&rng);
    /* blocks 0, 3 (two entries, one at its end), 7 (spans nothing else) and the short last */
    uint64_t mask[] = {5, 200, 255, 450, 961, 999};
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = B;
    size_t done = 0;
    assert_int_equal(apex_obs_layer(&prm, g, n, d, w, d, mask, 6, &done), APEX_OK);
    assert_int_equal(done, 4);
    int touched[16] = {0};
    for (size_t k = 0; k < 6; k++) {
        assert_true(w[mask[k]] == 0.0f);
        touched[mask[k] / B] = 1;
    }
    for (size_t b = 0; b < 16; b++) {
        size_t start = b * B, nb = d - start < B ? d - start : B;
        if (!touched[b]) {
            assert_memory_equal(w + start, w0 + start, nb * sizeof(float));
            continue;
        }
        double wb[64], db[64];
        uint32_t sel[64];
        size_t ns = 0;
        for (size_t k = 0; k < 6; k++)
            if (mask[k] / B == b)
                sel[ns++] = (uint32_t)(mask[k] - start);
        for (size_t j = 0; j < nb; j++)
            wb[j] = w0[start + j];
        assert_int_equal(apex_obs_block(&prm, g + start, n, d, nb, wb, sel, ns, db, NULL), APEX_OK);
        for (size_t j = 0; j < nb; j++)
            assert_true(w[start + j] == (float)(wb[j] + db[j]) || w[start + j] == 0.0f);
    }
    /* worker threads give bit-identical results */
    float *w3 = calloc(d, sizeof *w3);
    memcpy(w3, w0, d * sizeof *w3);
    prm.threads = 3;
    assert_int_equal(apex_obs_layer(&prm, g, n, d, w3, d, mask, 6, &done), APEX_OK);
    assert_int_equal(done, 4);
    assert_memory_equal(w3, w, d * sizeof *w);
    prm.threads = 0;
    assert_int_equal(apex_obs_layer(&prm, g, n, d, w3, d, mask, 6, &done), APEX_ERR_INVALID);
    free(w3);
    free(g);
    free(w);
    free(w0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    float g[2 * 4] = {1, 2, 3, 4, 5, 6, 7, 8};
    double w[4] = {1, 1, 1, 1}, delta[4];
    apex_obs_params prm;
    apex_obs_params_default(&prm);
    prm.block = 4;
    uint32_t unsorted[2] = {2, 1}, dup[2] = {1, 1}, out[1] = {4}, ok[1] = {0};
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, unsorted, 2, delta, NULL),
                     APEX_ERR_INVALID);
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, dup, 2, delta, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, out, 1, delta, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, ok, 0, delta, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_obs_block(&prm, g, 0, 4, 4, w, ok, 1, delta, NULL), APEX_ERR_INVALID);
    prm.fisher_m = 0;
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, ok, 1, delta, NULL), APEX_ERR_INVALID);
    apex_obs_params_default(&prm);
    prm.block = 4;
    prm.lambda = -1;
    assert_int_equal(apex_obs_block(&prm, g, 2, 4, 4, w, ok, 1, delta, NULL), APEX_ERR_INVALID);
    apex_obs_params_default(&prm);
    prm.block = 4;
    float wl[4] = {1, 2, 3, 4};
    uint64_t m_unsorted[2] = {3, 1}, m_out[1] = {4};
    assert_int_equal(apex_obs_layer(&prm, g, 2, 4, wl, 4, m_unsorted, 2, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_obs_layer(&prm, g, 2, 4, wl, 4, m_out, 1, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_obs_layer(&prm, g, 2, 4, wl, 4, NULL, 0, NULL), APEX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_woodbury_matches_kkt),
        cmocka_unit_test(test_direct_matches_kkt),
        cmocka_unit_test(test_woodbury_equals_direct),
        cmocka_unit_test(test_relative_damping_value),
        cmocka_unit_test(test_zero_gradients),
        cmocka_unit_test(test_layer),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
