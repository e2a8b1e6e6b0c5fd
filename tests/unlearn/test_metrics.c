/* Evaluation helpers (unlearn/metrics.c): the MIA AUC against hand cases and a brute-force
 * pair count, per-sample losses against a batch-of-1 forward/backward, gradient ascent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "unlearn/saliency.h"

static void test_auc_hand(void **state)
{
    (void)state;
    double auc;
    const float a[] = {1, 2}, b[] = {3, 4};
    assert_int_equal(apex_unl_auc(a, 2, b, 2, &auc), APEX_OK);
    assert_true(auc == 1.0); /* members have lower losses: perfectly separable */
    assert_int_equal(apex_unl_auc(b, 2, a, 2, &auc), APEX_OK);
    assert_true(auc == 0.0);
    const float one[] = {1};
    assert_int_equal(apex_unl_auc(one, 1, one, 1, &auc), APEX_OK);
    assert_true(auc == 0.5);
    const float m[] = {1, 3}, n[] = {2, 4};
    assert_int_equal(apex_unl_auc(m, 2, n, 2, &auc), APEX_OK);
    assert_true(auc == 0.75);
    assert_int_equal(apex_unl_auc(m, 0, n, 2, &auc), APEX_ERR_INVALID);
}

static void test_auc_bruteforce(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 7);
    enum { N1 = 301, N0 = 177 };
    float a[N1], b[N0];
    for (int i = 0; i < N1; i++)
        a[i] = (float)apex_rng_below(&r, 40); /* many ties */
    for (int i = 0; i < N0; i++)
        b[i] = (float)apex_rng_below(&r, 50);
    double want = 0, got;
    for (int i = 0; i < N1; i++)
        for (int j = 0; j < N0; j++)
            want += b[j] > a[i] ? 1.0 : b[j] == a[i] ? 0.5 : 0.0;
    want /= (double)N1 * N0;
    assert_int_equal(apex_unl_auc(a, N1, b, N0, &got), APEX_OK);
    if (fabs(got - want) > 1e-12)
        fail_msg("AUC %.15f, brute force %.15f", got, want);
}

static void test_losses_and_ascent(void **state)
{
    (void)state;
    apex_ml_dataset *pool = NULL;
    assert_int_equal(apex_ml_dataset_load(NULL, 0, &pool), APEX_OK);
    int idx[300];
    for (int i = 0; i < 300; i++)
        idx[i] = i;
    apex_ml_dataset *d = apex_ml_dataset_subset(pool, idx, 300);
    apex_ml_config cfg;
    assert_int_equal(apex_ml_config_preset("mlp", &cfg), APEX_OK);
    apex_ml_model *m = apex_ml_model_new(&cfg, 3);
    assert_int_equal(apex_ml_fixed_snap(m, -1), APEX_OK);
    float *loss = calloc(300, sizeof *loss);
    assert_int_equal(apex_unl_losses(m, d, loss), APEX_OK);
    const int probe[] = {0, 255, 256, 299};
    for (int k = 0; k < 4; k++) {
        float ref;
        int i = probe[k];
        assert_int_equal(
            apex_ml_model_step_grads(m, d->x + (size_t)i * d->dim, d->y + i, 1, &ref, NULL),
            APEX_OK);
        if (fabsf(ref - loss[i]) > 1e-5f * (1 + ref))
            fail_msg("loss[%d] = %g, batch-of-1 %g", i, loss[i], ref);
    }
    double before = 0, after = 0;
    for (int i = 0; i < 300; i++)
        before += loss[i];
    assert_int_equal(apex_unl_grad_ascent(m, d, 1e-2, 32, 1), APEX_OK);
    assert_int_equal(m->frac_bits, 0);
    assert_int_equal(apex_unl_losses(m, d, loss), APEX_OK);
    for (int i = 0; i < 300; i++)
        after += loss[i];
    if (!(after > before * 1.05))
        fail_msg("ascent: mean forget loss %g -> %g", before / 300, after / 300);
    assert_int_equal(apex_unl_grad_ascent(m, d, 0, 32, 1), APEX_ERR_INVALID);
    free(loss);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&d);
    apex_ml_dataset_destroy(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auc_hand),
        cmocka_unit_test(test_auc_bruteforce),
        cmocka_unit_test(test_losses_and_ascent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
