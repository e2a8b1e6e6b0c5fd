/* Saliency masks and client compensation on real models (unlearn/forget.c, saliency.c,
 * compensate.c): forget specs, the §1 scores against an independent batch-of-1 backward, top-k
 * in flat index space, and Group-OBS of a real model (float stationarity; the quantized
 * certificate recomputed from scratch, and a lazy mask-only answer failing it). Small sizes:
 * untrained mlp / vit-tiny on a few dozen Fashion-MNIST test images. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unlearn/saliency.h"

static apex_ml_dataset *g_pool; /* Fashion-MNIST test set (10k), the tests' "training pool" */

static apex_ml_model *new_model(const char *preset, uint64_t seed)
{
    apex_ml_config cfg;
    assert_int_equal(apex_ml_config_preset(preset, &cfg), APEX_OK);
    apex_ml_model *m = apex_ml_model_new(&cfg, seed);
    assert_non_null(m);
    return m;
}

static apex_ml_dataset *first_n(int n, int from)
{
    int *idx = malloc((size_t)n * sizeof *idx);
    for (int i = 0; i < n; i++)
        idx[i] = from + i;
    apex_ml_dataset *d = apex_ml_dataset_subset(g_pool, idx, n);
    free(idx);
    assert_non_null(d);
    return d;
}

/* ------------------------------------------------------------ forget specs */

static void test_forget_parse(void **state)
{
    (void)state;
    apex_forget_spec s;
    char why[APEX_MASK_WHY_LEN];
    assert_int_equal(apex_forget_parse("class:9", &s, why), APEX_OK);
    assert_int_equal(s.kind, APEX_FORGET_CLASSES);
    assert_int_equal(s.classes, 1u << 9);
    assert_int_equal(apex_forget_parse("classes:7,9", &s, why), APEX_OK);
    assert_int_equal(s.classes, (1u << 7) | (1u << 9));
    assert_int_equal(apex_forget_parse("first:600:class:3,5,7", &s, why), APEX_OK);
    assert_int_equal(s.kind, APEX_FORGET_FIRST);
    assert_int_equal(s.per_class, 600);
    assert_int_equal(s.classes, (1u << 3) | (1u << 5) | (1u << 7));
    assert_int_equal(apex_forget_parse("samples:/tmp/x", &s, why), APEX_OK);
    assert_string_equal(s.path, "/tmp/x");
    const char *bad[] = {"class:10",        "class:7,9",
                         "classes:",        "classes:7,,9",
                         "classes:7,7",     "classes:7,",
                         "first:0:class:3", "first:5:clas:3",
                         "first::class:3",  "samples:",
                         "forget:9",        "class:-1",
                         "class: 9",        ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = 0;
        if (apex_forget_parse(bad[i], &s, why) != APEX_ERR_INVALID)
            fail_msg("spec '%s' was accepted", bad[i]);
        assert_true(strlen(why) > 0);
    }
}

static void test_forget_select(void **state)
{
    (void)state;
    apex_forget_spec s;
    char why[APEX_MASK_WHY_LEN];
    int *idx = NULL, n = 0;
    assert_int_equal(apex_forget_parse("classes:3,9", &s, why), APEX_OK);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_OK);
    assert_int_equal(n, 2000); /* 1000 test images per class */
    for (int i = 0; i < n; i++) {
        assert_true(g_pool->y[idx[i]] == 3 || g_pool->y[idx[i]] == 9);
        assert_true(i == 0 || idx[i] > idx[i - 1]);
    }
    assert_int_equal(apex_forget_classes(g_pool, idx, n), (1u << 3) | (1u << 9));
    apex_ml_dataset *r = apex_forget_complement(g_pool, idx, n);
    assert_non_null(r);
    assert_int_equal(r->n, g_pool->n - n);
    for (int i = 0; i < r->n; i++)
        assert_true(r->y[i] != 3 && r->y[i] != 9);
    apex_ml_dataset_destroy(&r);
    free(idx);

    assert_int_equal(apex_forget_parse("first:5:class:1,2", &s, why), APEX_OK);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_OK);
    assert_int_equal(n, 10);
    int c1 = 0, last1 = -1;
    for (int i = 0; i < g_pool->n && c1 < 5; i++)
        if (g_pool->y[i] == 1)
            c1++, last1 = i;
    int found = 0;
    for (int i = 0; i < n; i++)
        found += idx[i] == last1; /* the 5th image of class 1 is in, the 6th is not */
    assert_int_equal(found, 1);
    free(idx);

    char path[] = "/tmp/apex_forget_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# three samples, one repeated\n17\n3\n\n17\r\n9999\n");
    fclose(f);
    snprintf(s.path, sizeof s.path, "%s", path);
    s.kind = APEX_FORGET_FILE;
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_OK);
    assert_int_equal(n, 3);
    assert_int_equal(idx[0], 3);
    assert_int_equal(idx[1], 17);
    assert_int_equal(idx[2], 9999);
    free(idx);
    f = fopen(path, "w");
    fprintf(f, "17\n10000\n");
    fclose(f);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_ERR_RANGE);
    assert_non_null(strstr(why, "line 2"));
    f = fopen(path, "w");
    fprintf(f, "17\n1x\n");
    fclose(f);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_ERR_FORMAT);
    f = fopen(path, "w");
    fprintf(f, "# nothing\n");
    fclose(f);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_ERR_INVALID);
    unlink(path);
    assert_int_equal(apex_forget_select(&s, g_pool, &idx, &n, why), APEX_ERR_NOT_FOUND);
    assert_null(idx);
}

/* ------------------------------------------------------------ saliency scores */

/* Independent reference: per-sample gradients from a batch-of-1 backward (step_grads). */
static void ref_score(apex_ml_model *m, const apex_ml_dataset *d, const apex_sal_params *p,
                      const size_t *probe, int np, double *out)
{
    int nf = d->n < p->n_f ? d->n : p->n_f, nm = d->n < p->n_m ? d->n : p->n_m;
    double *dw = calloc((size_t)np, sizeof *dw), *fi = calloc((size_t)np, sizeof *fi);
    for (int i = 0; i < (nf > nm ? nf : nm); i++) {
        assert_int_equal(
            apex_ml_model_step_grads(m, d->x + (size_t)i * d->dim, d->y + i, 1, NULL, NULL),
            APEX_OK);
        for (int k = 0; k < np; k++) {
            size_t base = 0;
            int t = 0;
            while (probe[k] >= base + (size_t)m->targets[t].rows * m->targets[t].cols)
                base += (size_t)m->targets[t].rows * m->targets[t].cols, t++;
            double g = m->grads[m->targets[t].offset + probe[k] - base];
            if (i < nf)
                dw[k] += g / nf;
            if (i < nm)
                fi[k] += g * g;
        }
    }
    for (int k = 0; k < np; k++) {
        size_t base = 0;
        int t = 0;
        while (probe[k] >= base + (size_t)m->targets[t].rows * m->targets[t].cols)
            base += (size_t)m->targets[t].rows * m->targets[t].cols, t++;
        double w = m->params[m->targets[t].offset + probe[k] - base];
        out[k] = dw[k] * w - p->h * 480.0 / nm * (p->lambda_m + fi[k]) * w * w;
    }
    free(dw);
    free(fi);
}

static void check_scores(const char *preset)
{
    apex_ml_model *m = new_model(preset, 5);
    apex_ml_dataset *df = first_n(23, 0), *dr = first_n(19, 100);
    apex_sal_params p;
    apex_sal_params_default(&p);
    p.n_f = 17; /* separate n_f and n_m, both below and above the set sizes */
    p.n_m = 11;
    p.lambda_m = 1e-6;
    size_t n = apex_sal_target_size(m);
    double *sc = calloc(n, sizeof *sc), *sr = calloc(n, sizeof *sr);
    float *S = calloc(n, sizeof *S);
    assert_int_equal(apex_sal_score(m, df, &p, sc), APEX_OK);
    assert_int_equal(apex_sal_score(m, dr, &p, sr), APEX_OK);
    size_t probe[8];
    for (int k = 0; k < 8; k++)
        probe[k] = (size_t)k * (n / 8) + 37 * (size_t)k + 1;
    /* the largest-|score| weights are informative probes: add the argmax */
    size_t am = 0;
    for (size_t k = 1; k < n; k++)
        if (fabs(sc[k]) > fabs(sc[am]))
            am = k;
    probe[7] = am;
    double ref[8];
    ref_score(m, df, &p, probe, 8, ref);
    for (int k = 0; k < 8; k++) {
        double err = fabs(sc[probe[k]] - ref[k]), scale = fabs(ref[k]) + 1e-3 * fabs(sc[am]);
        if (err > 1e-4 * scale)
            fail_msg("%s: score[%zu] = %.9g, reference %.9g", preset, probe[k], sc[probe[k]],
                     ref[k]);
    }
    assert_int_equal(apex_sal_compute(m, df, dr, &p, S), APEX_OK);
    for (int k = 0; k < 8; k++) {
        double want = sc[probe[k]] / (p.rho * sr[probe[k]] + APEX_SAL_EPS);
        assert_true(fabs(S[probe[k]] - want) <= 1e-6 * fabs(want) + 1e-30);
    }
    p.retain_norm = 0;
    assert_int_equal(apex_sal_compute(m, df, NULL, &p, S), APEX_OK);
    assert_true(S[am] == (float)-sc[am]);
    free(sc);
    free(sr);
    free(S);
    apex_ml_dataset_destroy(&df);
    apex_ml_dataset_destroy(&dr);
    apex_ml_model_destroy(&m);
}

static void test_scores_mlp(void **state)
{
    (void)state;
    check_scores("mlp");
}

static void test_scores_vit(void **state)
{
    (void)state;
    check_scores("vit-tiny");
}

/* The mask is the top-k of S in target space, mapped to flat indices of the right layers, and
 * bound to the id of the model's file. */
static void test_mask_topk_vit(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("vit-tiny", 9);
    apex_ml_dataset *df = first_n(12, 0), *dr = first_n(12, 50);
    apex_sal_params p;
    apex_sal_params_default(&p);
    p.density = 0.02;
    size_t n = apex_sal_target_size(m);
    float *S = calloc(n, sizeof *S);
    assert_int_equal(apex_sal_compute(m, df, dr, &p, S), APEX_OK);
    apex_mask *mask = NULL;
    assert_int_equal(apex_sal_mask(m, df, dr, &p, &mask), APEX_OK);
    size_t npos = 0;
    for (size_t k = 0; k < n; k++)
        npos += S[k] >= 0;
    size_t k_want = (size_t)llround(0.02 * (double)n);
    assert_int_equal(mask->count, npos < k_want ? npos : k_want);
    assert_true(mask->count > 0);
    /* back to target space; every masked S >= every unmasked non-negative S */
    unsigned char *in = calloc(n, 1);
    float lo = INFINITY;
    for (size_t j = 0; j < mask->count; j++) {
        size_t base = 0;
        int t = 0;
        while (t < m->n_targets &&
               !(mask->idx[j] >= m->targets[t].offset &&
                 mask->idx[j] < m->targets[t].offset +
                                    (size_t)m->targets[t].rows * (size_t)m->targets[t].cols))
            base += (size_t)m->targets[t].rows * m->targets[t].cols, t++;
        assert_true(t < m->n_targets);
        size_t k = base + (mask->idx[j] - m->targets[t].offset);
        in[k] = 1;
        lo = S[k] < lo ? S[k] : lo;
    }
    for (size_t k = 0; k < n; k++)
        if (!in[k])
            assert_true(S[k] <= lo);
    int layers_hit = 0;
    for (int t = 0; t < m->n_targets; t++) {
        uint64_t *loc = NULL;
        size_t nl = 0;
        assert_int_equal(apex_mask_layer_indices(mask, (size_t)t, &loc, &nl), APEX_OK);
        layers_hit += nl > 0;
        free(loc);
    }
    assert_true(layers_hit >= 2); /* global top-k spreads over the blocks */
    char path[] = "/tmp/apex_salmodel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(apex_ml_model_save(m, path), APEX_OK);
    uint8_t id[APEX_SHA256_LEN];
    assert_int_equal(apex_mask_model_id_file(path, id), APEX_OK);
    assert_memory_equal(id, mask->model_id, APEX_SHA256_LEN);
    unlink(path);
    free(in);
    free(S);
    apex_mask_destroy(&mask);
    apex_ml_dataset_destroy(&df);
    apex_ml_dataset_destroy(&dr);
    apex_ml_model_destroy(&m);
}

/* Structured masks (unit = row): U over rows equals Σscore_f/(ρ·Σscore_r + ε) from the per-weight
 * scores; the mask holds whole rows only, the top round(density·rows) rows with U >= 0, every
 * weight of each; without retain normalization U = −Σscore_f. */
static void test_mask_rows_vit(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("vit-tiny", 9);
    apex_ml_dataset *df = first_n(12, 0), *dr = first_n(12, 50);
    apex_sal_params p;
    apex_sal_params_default(&p);
    p.density = 0.05;
    p.unit = APEX_SAL_UNIT_ROW;
    size_t n = apex_sal_target_size(m), nrows = 0;
    for (int t = 0; t < m->n_targets; t++)
        nrows += (size_t)m->targets[t].rows;
    double *sf = calloc(n, sizeof *sf), *sr = calloc(n, sizeof *sr);
    float *U = calloc(nrows, sizeof *U);
    assert_int_equal(apex_sal_score(m, df, &p, sf), APEX_OK);
    assert_int_equal(apex_sal_score(m, dr, &p, sr), APEX_OK);
    assert_int_equal(apex_sal_compute_rows(m, df, dr, &p, U), APEX_OK);
    /* reference U, row owner and start of every row in flat space */
    double *want = calloc(nrows, sizeof *want);
    size_t *start = calloc(nrows, sizeof *start), *cols = calloc(nrows, sizeof *cols);
    size_t k = 0, r = 0;
    for (int t = 0; t < m->n_targets; t++)
        for (int i = 0; i < m->targets[t].rows; i++, r++) {
            double f = 0, q = 0;
            start[r] = m->targets[t].offset + (size_t)i * (size_t)m->targets[t].cols;
            cols[r] = (size_t)m->targets[t].cols;
            for (int j = 0; j < m->targets[t].cols; j++, k++)
                f += sf[k], q += sr[k];
            want[r] = f / (p.rho * q + APEX_SAL_EPS);
            assert_true(fabs(U[r] - want[r]) <= 1e-5 * fabs(want[r]) + 1e-30);
        }
    assert_int_equal(k, n);
    apex_mask *mask = NULL;
    assert_int_equal(apex_sal_mask(m, df, dr, &p, &mask), APEX_OK);
    size_t npos = 0, k_want = (size_t)llround(0.05 * (double)nrows);
    for (r = 0; r < nrows; r++)
        npos += U[r] >= 0;
    size_t rows_want = npos < k_want ? npos : k_want;
    assert_true(rows_want > 0);
    /* every masked index lies in a fully masked row; masked rows outrank the others */
    unsigned char *in = calloc(nrows, 1);
    size_t j = 0, taken = 0, masked_w = 0;
    float lo = INFINITY;
    for (r = 0; r < nrows && j < mask->count; r++) {
        if (mask->idx[j] != start[r])
            continue;
        for (size_t q = 0; q < cols[r]; q++, j++)
            assert_true(j < mask->count && mask->idx[j] == start[r] + q);
        in[r] = 1;
        taken++;
        masked_w += cols[r];
        lo = U[r] < lo ? U[r] : lo;
    }
    assert_int_equal(j, mask->count); /* nothing outside whole rows */
    assert_int_equal(taken, rows_want);
    assert_int_equal(masked_w, mask->count);
    for (r = 0; r < nrows; r++)
        if (!in[r])
            assert_true(U[r] <= lo);
    /* no retain normalization: U = −Σscore_f */
    p.retain_norm = 0;
    assert_int_equal(apex_sal_compute_rows(m, df, NULL, &p, U), APEX_OK);
    k = 0;
    for (r = 0; r < nrows; r++) {
        double f = 0;
        for (size_t q = 0; q < cols[r]; q++)
            f += sf[k++];
        assert_true(fabs(U[r] + f) <= 1e-5 * fabs(f) + 1e-30);
    }
    free(in);
    free(want);
    free(start);
    free(cols);
    free(sf);
    free(sr);
    free(U);
    apex_mask_destroy(&mask);
    apex_ml_dataset_destroy(&df);
    apex_ml_dataset_destroy(&dr);
    apex_ml_model_destroy(&m);
}

static void test_unit_names(void **state)
{
    (void)state;
    assert_int_equal(apex_sal_unit_parse("weight"), APEX_SAL_UNIT_WEIGHT);
    assert_int_equal(apex_sal_unit_parse("row"), APEX_SAL_UNIT_ROW);
    assert_int_equal(apex_sal_unit_parse("rows"), -1);
    assert_int_equal(apex_sal_unit_parse(""), -1);
    assert_int_equal(apex_sal_unit_parse(NULL), -1);
    assert_string_equal(apex_sal_unit_name(APEX_SAL_UNIT_ROW), "row");
    assert_string_equal(apex_sal_unit_name(APEX_SAL_UNIT_WEIGHT), "weight");
    assert_string_equal(apex_sal_unit_name(5), "?");
}

static void test_mask_bad_params(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("mlp", 1);
    apex_ml_dataset *df = first_n(4, 0);
    apex_sal_params p;
    apex_sal_params_default(&p);
    apex_mask *mask = NULL;
    p.density = 0;
    assert_int_equal(apex_sal_mask(m, df, df, &p, &mask), APEX_ERR_INVALID);
    apex_sal_params_default(&p);
    p.rho = -1;
    assert_int_equal(apex_sal_mask(m, df, df, &p, &mask), APEX_ERR_INVALID);
    apex_sal_params_default(&p);
    p.unit = 2; /* no such unit */
    assert_int_equal(apex_sal_mask(m, df, df, &p, &mask), APEX_ERR_INVALID);
    float u[1];
    assert_int_equal(apex_sal_compute_rows(m, df, df, &p, u), APEX_ERR_INVALID);
    p.unit = APEX_SAL_UNIT_ROW;
    assert_int_equal(apex_sal_compute_rows(m, df, df, &p, NULL), APEX_ERR_INVALID);
    assert_int_equal(apex_sal_compute_rows(m, df, NULL, &p, u), APEX_ERR_INVALID);
    apex_sal_params_default(&p);
    assert_int_equal(apex_sal_mask(m, df, NULL, &p, &mask), APEX_ERR_INVALID);
    assert_null(mask);
    apex_ml_dataset_destroy(&df);
    apex_ml_model_destroy(&m);
}

static int setup(void **state)
{
    (void)state;
    return apex_ml_dataset_load(NULL, 0, &g_pool) == APEX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    apex_ml_dataset_destroy(&g_pool);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forget_parse),  cmocka_unit_test(test_forget_select),
        cmocka_unit_test(test_scores_mlp),    cmocka_unit_test(test_scores_vit),
        cmocka_unit_test(test_mask_topk_vit), cmocka_unit_test(test_mask_rows_vit),
        cmocka_unit_test(test_unit_names),    cmocka_unit_test(test_mask_bad_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
