/* Training determinism and learning on small real subsets; client data and
 * domain shifts; a personalization smoke run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml_internal.h"

static apex_ml_dataset *g_train, *g_test;

static apex_ml_dataset *head(const apex_ml_dataset *d, int n)
{
    int *idx = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    apex_ml_dataset *s = apex_ml_dataset_subset(d, idx, n);
    free(idx);
    return s;
}

static apex_ml_model *train_mlp(const apex_ml_dataset *d, int opt, int sched, uint64_t seed,
                                int epochs)
{
    apex_ml_config cfg;
    apex_ml_config_preset("mlp", &cfg);
    apex_ml_model *m = apex_ml_model_new(&cfg, seed);
    apex_ml_train_opts o;
    apex_ml_train_defaults(&cfg, &o);
    o.epochs = epochs;
    o.batch = 64;
    o.opt = opt;
    o.sched = sched;
    o.seed = seed;
    if (opt == APEX_ML_OPT_SGD)
        o.lr = 0.05f;
    assert_int_equal(apex_ml_train(m, d, &o, NULL, NULL), APEX_OK);
    return m;
}

static void test_deterministic(void **state)
{
    (void)state;
    apex_ml_dataset *d = head(g_train, 640);
    apex_ml_model *a = train_mlp(d, APEX_ML_OPT_ADAMW, APEX_ML_SCHED_COSINE, 5, 1);
    apex_ml_model *b = train_mlp(d, APEX_ML_OPT_ADAMW, APEX_ML_SCHED_COSINE, 5, 1);
    apex_ml_model *c = train_mlp(d, APEX_ML_OPT_ADAMW, APEX_ML_SCHED_COSINE, 6, 1);
    assert_memory_equal(a->params, b->params, sizeof(float) * a->n_params);
    assert_memory_not_equal(a->params, c->params, sizeof(float) * a->n_params);
    apex_ml_model_destroy(&a);
    apex_ml_model_destroy(&b);
    apex_ml_model_destroy(&c);
    apex_ml_dataset_destroy(&d);
}

/* Both optimisers and both schedules learn: well above chance on held-out data. */
static void test_learns(void **state)
{
    (void)state;
    apex_ml_dataset *d = head(g_train, 3000), *t = head(g_test, 1000);
    const int opts[][2] = {{APEX_ML_OPT_ADAMW, APEX_ML_SCHED_COSINE},
                           {APEX_ML_OPT_SGD, APEX_ML_SCHED_STEP}};
    for (int k = 0; k < 2; k++) {
        apex_ml_model *m = train_mlp(d, opts[k][0], opts[k][1], 1, 2);
        apex_ml_eval e;
        assert_int_equal(apex_ml_evaluate(m, t, &e), APEX_OK);
        assert_int_equal(e.n, 1000);
        if (apex_ml_eval_acc(&e) < 0.72)
            fail_msg("optimiser %d: test accuracy %.3f", k, apex_ml_eval_acc(&e));
        int sum = 0;
        for (int c = 0; c < 10; c++)
            sum += e.class_n[c];
        assert_int_equal(sum, 1000);
        apex_ml_model_destroy(&m);
    }
    apex_ml_dataset_destroy(&d);
    apex_ml_dataset_destroy(&t);
}

static void test_vit_few_steps(void **state)
{
    (void)state;
    apex_ml_config cfg;
    apex_ml_config_preset("vit-tiny", &cfg);
    apex_ml_model *m = apex_ml_model_new(&cfg, 2);
    apex_ml_dataset *d = head(g_train, 256);
    float l0, l1;
    assert_int_equal(apex_ml_model_step_grads(m, d->x, d->y, 64, &l0, NULL), APEX_OK);
    apex_ml_train_opts o;
    apex_ml_train_defaults(&cfg, &o);
    o.epochs = 8;
    o.batch = 32;
    o.warmup_frac = 0.1f;
    assert_int_equal(apex_ml_train(m, d, &o, NULL, NULL), APEX_OK);
    assert_int_equal(apex_ml_model_step_grads(m, d->x, d->y, 64, &l1, NULL), APEX_OK);
    if (!(l1 < 0.75f * l0))
        fail_msg("vit-tiny training loss %.3f -> %.3f", l0, l1);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&d);
}

/* The data-parallel step (2 workers, slices of the batch) gives the serial
 * gradient up to summation order, and is itself bit-for-bit repeatable. */
static void test_parallel_step(void **state)
{
    (void)state;
    apex_ml_config cfg;
    apex_ml_config_preset("vit-tiny", &cfg);
    apex_ml_model *m = apex_ml_model_new(&cfg, 4);
    size_t n = m->n_params;
    float *g1 = malloc(sizeof(float) * n), *g2 = malloc(sizeof(float) * n);
    float l1, l2, l3;
    int c1, c2, c3;
    assert_int_equal(apex_ml_model_step_grads(m, g_train->x, g_train->y, 50, &l1, &c1), APEX_OK);
    memcpy(g1, m->grads, sizeof(float) * n);
    assert_int_equal(ml_model_step_par(m, g_train->x, g_train->y, 50, 2, &l2, &c2), APEX_OK);
    memcpy(g2, m->grads, sizeof(float) * n);
    assert_int_equal(ml_model_step_par(m, g_train->x, g_train->y, 50, 2, &l3, &c3), APEX_OK);
    assert_memory_equal(g2, m->grads, sizeof(float) * n);
    assert_true(l2 == l3 && c2 == c3);
    assert_int_equal(c1, c2);
    assert_true(fabsf(l1 - l2) < 1e-5f * l1);
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (double)(g1[i] - g2[i]) * (g1[i] - g2[i]);
        den += (double)g1[i] * g1[i];
    }
    if (!(sqrt(num / den) < 1e-5))
        fail_msg("parallel gradient differs: relative %g", sqrt(num / den));
    free(g1);
    free(g2);
    apex_ml_model_destroy(&m);
}

static void test_client_specs(void **state)
{
    (void)state;
    apex_ml_client_spec a, b;
    int shifts[APEX_ML_SHIFT_COUNT_] = {0};
    for (uint32_t c = 0; c < 32; c++) {
        assert_int_equal(apex_ml_client_spec_make(c, 1, 1u << 9, &a), APEX_OK);
        assert_int_equal(apex_ml_client_spec_make(c, 1, 1u << 9, &b), APEX_OK);
        assert_memory_equal(&a, &b, sizeof a);
        assert_int_equal(__builtin_popcount(a.classes), APEX_ML_CLIENT_CLASSES);
        assert_false(a.classes & (1u << 9)); /* forget class excluded */
        assert_true(a.shift > 0 && a.shift < APEX_ML_SHIFT_COUNT_);
        shifts[a.shift]++;
    }
    for (int s = 1; s < APEX_ML_SHIFT_COUNT_; s++)
        assert_true(shifts[s] > 0);
    assert_int_equal(apex_ml_client_spec_make(0, 1, 0x3ff & ~3u, &a), APEX_ERR_INVALID);
}

static void test_shifts(void **state)
{
    (void)state;
    float img[784], orig[784];
    memcpy(orig, g_test->x, sizeof orig);
    memcpy(img, orig, sizeof img);
    for (int i = 0; i < 4; i++)
        apex_ml_shift_apply(APEX_ML_SHIFT_ROT90, img, 1);
    assert_memory_equal(img, orig, sizeof img);
    apex_ml_shift_apply(APEX_ML_SHIFT_ROT90, img, 1);
    assert_true(img[0 * 28 + 27] == orig[0]); /* top-left goes to top-right */
    memcpy(img, orig, sizeof img);
    apex_ml_shift_apply(APEX_ML_SHIFT_INVERT, img, 1);
    assert_true(img[0] == 1.0f - orig[0]);
    memcpy(img, orig, sizeof img);
    apex_ml_shift_apply(APEX_ML_SHIFT_SKETCH, img, 1);
    float mx = 0, diff = 0;
    for (int i = 0; i < 784; i++) {
        assert_true(img[i] >= 0 && img[i] <= 1);
        mx = img[i] > mx ? img[i] : mx;
        diff += fabsf(img[i] - orig[i]);
    }
    assert_true(mx == 1.0f && diff > 10);
}

static void test_client_data(void **state)
{
    (void)state;
    apex_ml_client_spec s;
    assert_int_equal(apex_ml_client_spec_make(3, 7, 0, &s), APEX_OK);
    apex_ml_dataset *tr, *va, *tr2, *va2;
    assert_int_equal(apex_ml_client_data(&s, g_train, &tr, &va), APEX_OK);
    assert_int_equal(apex_ml_client_data(&s, g_train, &tr2, &va2), APEX_OK);
    assert_int_equal(tr->n, APEX_ML_CLIENT_TRAIN);
    assert_int_equal(va->n, APEX_ML_CLIENT_VAL);
    assert_memory_equal(tr->x, tr2->x, sizeof(float) * tr->n * 784);
    assert_memory_equal(va->y, va2->y, (size_t)va->n);
    for (int i = 0; i < tr->n; i++)
        assert_true(s.classes & (1u << tr->y[i]));
    for (int i = 0; i < va->n; i++) {
        assert_true(s.classes & (1u << va->y[i]));
        for (int j = 0; j < tr->n; j++) /* train and validation do not overlap */
            assert_memory_not_equal(va->x + (size_t)i * 784, tr->x + (size_t)j * 784,
                                    sizeof(float) * 784);
    }
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    apex_ml_dataset_destroy(&tr2);
    apex_ml_dataset_destroy(&va2);
}

/* A short θ0, then the real recipe: the client's shifted validation accuracy
 * must rise. */
static void test_personalize_improves(void **state)
{
    (void)state;
    apex_ml_dataset *d = head(g_train, 6000);
    apex_ml_model *m = train_mlp(d, APEX_ML_OPT_ADAMW, APEX_ML_SCHED_COSINE, 1, 2);
    apex_ml_client_spec s;
    assert_int_equal(apex_ml_client_spec_make(1, 1, 0, &s), APEX_OK);
    apex_ml_dataset *tr, *va;
    assert_int_equal(apex_ml_client_data(&s, g_train, &tr, &va), APEX_OK);
    apex_ml_eval before, after;
    assert_int_equal(apex_ml_evaluate(m, va, &before), APEX_OK);
    assert_int_equal(apex_ml_personalize(m, &s, g_train, NULL, NULL), APEX_OK);
    assert_int_equal(apex_ml_evaluate(m, va, &after), APEX_OK);
    if (!(apex_ml_eval_acc(&after) > apex_ml_eval_acc(&before) + 0.05))
        fail_msg("client val accuracy %.3f -> %.3f", apex_ml_eval_acc(&before),
                 apex_ml_eval_acc(&after));
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&d);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
}

int main(void)
{
    if (apex_ml_dataset_load(NULL, 1, &g_train) != APEX_OK ||
        apex_ml_dataset_load(NULL, 0, &g_test) != APEX_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic), cmocka_unit_test(test_learns),
        cmocka_unit_test(test_vit_few_steps), cmocka_unit_test(test_parallel_step),
        cmocka_unit_test(test_client_specs),  cmocka_unit_test(test_shifts),
        cmocka_unit_test(test_client_data),   cmocka_unit_test(test_personalize_improves),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    apex_ml_dataset_destroy(&g_train);
    apex_ml_dataset_destroy(&g_test);
    return rc;
}
