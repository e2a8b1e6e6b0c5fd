/* Models: per-sample gradients against per-example backward, the layer table,
 * model files (round trip and every malformed case) and the fixed-point export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml/ml.h"

static apex_ml_dataset *g_test;

/* ------------------------------------------------------------ per-sample gradients */

static void check_persample(const char *preset, unsigned set, int n, const int *probe, int n_probe)
{
    apex_ml_config cfg;
    assert_int_equal(apex_ml_config_preset(preset, &cfg), APEX_OK);
    apex_ml_model *m = apex_ml_model_new(&cfg, 3);
    assert_non_null(m);
    assert_int_equal(apex_ml_model_set_targets(m, set), APEX_OK);
    float *out[APEX_ML_MAX_TARGETS] = {0};
    for (int t = 0; t < m->n_targets; t++) {
        out[t] = calloc((size_t)n * m->targets[t].rows * m->targets[t].cols, sizeof(float));
        assert_non_null(out[t]);
    }
    assert_int_equal(apex_ml_model_persample_grads(m, g_test->x, g_test->y, n, out), APEX_OK);
    for (int p = 0; p < n_probe; p++) {
        int i = probe[p];
        assert_int_equal(
            apex_ml_model_step_grads(m, g_test->x + (size_t)i * 784, g_test->y + i, 1, NULL, NULL),
            APEX_OK);
        for (int t = 0; t < m->n_targets; t++) {
            size_t sz = (size_t)m->targets[t].rows * m->targets[t].cols;
            const float *ref = m->grads + m->targets[t].offset, *got = out[t] + (size_t)i * sz;
            double num = 0, den = 0;
            for (size_t j = 0; j < sz; j++) {
                num += (double)(ref[j] - got[j]) * (ref[j] - got[j]);
                den += (double)ref[j] * ref[j];
            }
            assert_true(den > 0);
            if (sqrt(num / den) >= 1e-5)
                fail_msg("%s target %d sample %d: relative error %g", preset, t, i,
                         sqrt(num / den));
        }
    }
    for (int t = 0; t < m->n_targets; t++)
        free(out[t]);
    apex_ml_model_destroy(&m);
}

static void test_persample_mlp(void **state)
{
    (void)state;
    int probe[] = {0, 5, 63, 64, 69};
    check_persample("mlp", APEX_ML_TARGET_FC1, 70, probe, 5);
    check_persample("mlp", APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2, 70, probe, 5);
}

static void test_persample_vit(void **state)
{
    (void)state;
    int probe[] = {0, 17, 64, 69};
    check_persample("vit-tiny", APEX_ML_TARGET_FC1, 70, probe, 4);
    check_persample("vit-tiny", APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2, 70, probe, 4);
    check_persample("vit-tiny", APEX_ML_TARGET_FC2, 70, probe, 4);
}

/* Target sets: fc1 and fc2 of every block in offset order; bad sets refused; clones keep the
 * set. */
static void test_target_sets(void **state)
{
    (void)state;
    apex_ml_config cfg;
    assert_int_equal(apex_ml_config_preset("vit-tiny", &cfg), APEX_OK);
    apex_ml_model *m = apex_ml_model_new(&cfg, 1);
    assert_int_equal(m->n_targets, (int)cfg.depth);
    assert_int_equal(m->target_set, APEX_ML_TARGET_FC1);
    assert_int_equal(apex_ml_model_set_targets(m, APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2),
                     APEX_OK);
    assert_int_equal(m->n_targets, 2 * (int)cfg.depth);
    for (int t = 0; t < m->n_targets; t++) {
        assert_non_null(strstr(m->targets[t].name, t % 2 ? "fc2.weight" : "fc1.weight"));
        assert_int_equal(m->targets[t].rows, t % 2 ? (int)cfg.dim : (int)cfg.hidden);
        if (t > 0)
            assert_true(m->targets[t].offset > m->targets[t - 1].offset);
    }
    apex_ml_model *c = apex_ml_model_clone(m);
    assert_int_equal(c->n_targets, m->n_targets);
    assert_int_equal(c->target_set, m->target_set);
    assert_int_equal(apex_ml_model_set_targets(m, 0), APEX_ERR_INVALID);
    assert_int_equal(apex_ml_model_set_targets(m, 4), APEX_ERR_INVALID);
    assert_int_equal(apex_ml_model_set_targets(NULL, 1), APEX_ERR_INVALID);
    assert_int_equal(m->n_targets, 2 * (int)cfg.depth); /* unchanged by a refused set */
    assert_int_equal(apex_ml_model_set_targets(m, APEX_ML_TARGET_FC2), APEX_OK);
    assert_int_equal(m->n_targets, (int)cfg.depth);
    assert_non_null(strstr(m->targets[0].name, "fc2.weight"));
    apex_ml_model_destroy(&c);
    apex_ml_model_destroy(&m);
}

static void test_layer_table(void **state)
{
    (void)state;
    const char *names[] = {"mlp", "vit-tiny", "vit-small"};
    const int targets[] = {1, 4, 4};
    for (int k = 0; k < 3; k++) {
        apex_ml_config cfg;
        assert_int_equal(apex_ml_config_preset(names[k], &cfg), APEX_OK);
        assert_string_equal(apex_ml_config_name(&cfg), names[k]);
        apex_ml_model *m = apex_ml_model_new(&cfg, 1);
        assert_int_equal(m->n_targets, targets[k]);
        size_t total = 0;
        for (int t = 0; t < m->n_targets; t++) {
            const apex_ml_tensor *tt = &m->targets[t];
            assert_non_null(strstr(tt->name, "fc1.weight"));
            assert_int_equal(tt->rows, (int)cfg.hidden); /* [out][in] */
            assert_int_equal(tt->cols, cfg.arch == APEX_ML_ARCH_MLP ? 784 : (int)cfg.dim);
            assert_true(tt->offset + (size_t)tt->rows * tt->cols <= m->n_params);
            total += (size_t)tt->rows * tt->cols;
        }
        if (k == 2)
            assert_int_equal(total, 1u << 20); /* vit-small: ~10^6 fc1 weights */
        /* tensors tile the parameter vector exactly */
        size_t next = 0;
        for (int i = 0; i < m->n_tensors; i++) {
            assert_int_equal(m->tensors[i].offset, next);
            next += (size_t)m->tensors[i].rows * m->tensors[i].cols;
        }
        assert_int_equal(next, m->n_params);
        apex_ml_model_destroy(&m);
    }
    apex_ml_config bad;
    assert_int_equal(apex_ml_config_preset("resnet", &bad), APEX_ERR_INVALID);
    /* 785 tokens x head size 64 exceeds the attention tile bound: refused */
    apex_ml_config big = {APEX_ML_ARCH_VIT, 28, 10, 64, 1, 64, 1, 1};
    assert_int_equal(apex_ml_config_check(&big), APEX_ERR_RANGE);
    assert_null(apex_ml_model_new(&big, 1));
}

/* ------------------------------------------------------------ model files */

static apex_ml_model *small_vit(void)
{
    apex_ml_config cfg = {APEX_ML_ARCH_VIT, 28, 10, 32, 7, 16, 2, 2};
    return apex_ml_model_new(&cfg, 11);
}

static void test_file_roundtrip(void **state)
{
    (void)state;
    apex_ml_model *m = small_vit();
    char path[] = "/tmp/apex-test-model-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(apex_ml_model_save(m, path), APEX_OK);
    apex_ml_model *r = NULL;
    assert_int_equal(apex_ml_model_load(path, &r), APEX_OK);
    assert_memory_equal(&r->cfg, &m->cfg, sizeof m->cfg);
    assert_int_equal(r->n_params, m->n_params);
    assert_memory_equal(r->params, m->params, sizeof(float) * m->n_params);
    uint8_t d1[32], d2[32];
    apex_ml_model_digest(m, d1);
    apex_ml_model_digest(r, d2);
    assert_memory_equal(d1, d2, 32);
    /* same predictions */
    float l1[20], l2[20];
    apex_ml_model_forward(m, g_test->x, 2, l1);
    apex_ml_model_forward(r, g_test->x, 2, l2);
    assert_memory_equal(l1, l2, sizeof l1);
    unlink(path);
    apex_ml_model_destroy(&r);
    assert_int_equal(apex_ml_model_load(path, &r), APEX_ERR_NOT_FOUND);
    assert_null(r);
    apex_ml_model_destroy(&m);
}

/* Re-seal buf after an edit, as a forger with the format would. */
static void reseal(uint8_t *buf, size_t len)
{
    apex_sha256(buf, len - 32, buf + len - 32);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_file_malformed(void **state)
{
    (void)state;
    apex_ml_model *m = small_vit(), *r = NULL;
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_ml_model_encode(m, &buf, &len), APEX_OK);
    uint8_t *b = malloc(len);
    /* truncated: every cut, sampled */
    for (size_t cut = 0; cut < len; cut += len / 37 + 1) {
        assert_int_equal(apex_ml_model_decode(buf, cut, &r), APEX_ERR_TRUNCATED);
        assert_null(r);
    }
    /* trailing garbage */
    uint8_t *longer = calloc(len + 4, 1);
    memcpy(longer, buf, len);
    assert_int_equal(apex_ml_model_decode(longer, len + 4, &r), APEX_ERR_FORMAT);
    free(longer);
    /* flipped byte in the weights, in the table, in the digest */
    size_t spots[] = {len / 2, 80, len - 1};
    for (int i = 0; i < 3; i++) {
        memcpy(b, buf, len);
        b[spots[i]] ^= 0x10;
        assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_HASH);
    }
    /* bad magic */
    memcpy(b, buf, len);
    b[0] = 'X';
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_FORMAT);
    /* wrong version, even when resealed */
    memcpy(b, buf, len);
    put32(b + 8, APEX_ML_FILE_VERSION + 1);
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_VERSION);
    /* absurd shapes: hidden 2^30, depth 1000, heads not dividing dim, unknown arch */
    const struct {
        int field;      /* index into the 8 config words */
        uint32_t value; /* absurd value */
    } bad[] = {{3, 1u << 30}, {6, 1000}, {7, 3}, {0, 7}, {1, 0}, {4, 5}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(b, buf, len);
        put32(b + 12 + 4 * bad[i].field, bad[i].value);
        reseal(b, len);
        int rc = apex_ml_model_decode(b, len, &r);
        assert_true(rc == APEX_ERR_RANGE || rc == APEX_ERR_TOO_LARGE);
        assert_null(r);
    }
    /* shapes that are sane but disagree with the stored size */
    memcpy(b, buf, len);
    put32(b + 12 + 4 * 3, 64); /* hidden 32 -> 64 */
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_FORMAT);
    /* a renamed tensor */
    memcpy(b, buf, len);
    b[8 + 4 + 32 + 4 + 8 + 4] ^= 0x01; /* first byte of the first tensor name */
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_FORMAT);
    /* a NaN weight */
    memcpy(b, buf, len);
    uint32_t nan_bits = 0x7fc00000u;
    put32(b + len - 32 - 4, nan_bits);
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_FORMAT);
    /* declared fixed-point grid that the weights are not on */
    memcpy(b, buf, len);
    put32(b + 12 + 32, 8);
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_FORMAT);
    memcpy(b, buf, len);
    put32(b + 12 + 32, 99);
    reseal(b, len);
    assert_int_equal(apex_ml_model_decode(b, len, &r), APEX_ERR_RANGE);
    assert_null(r);
    free(b);
    free(buf);
    apex_ml_model_destroy(&m);
}

/* ------------------------------------------------------------ fixed point */

static void test_fixed_point(void **state)
{
    (void)state;
    apex_ml_model *m = small_vit();
    int f = apex_ml_fixed_choose_bits(m);
    assert_true(f > 0 && f <= APEX_ML_FIXED_MAX_FRAC);
    apex_ml_fixed fx;
    assert_int_equal(apex_ml_fixed_export(m, -1, &fx), APEX_OK);
    assert_int_equal(fx.frac_bits, f);
    int32_t mx = 0;
    for (size_t i = 0; i < fx.n; i++) {
        assert_true(fx.w[i] < (1 << 21) && fx.w[i] > -(1 << 21));
        mx = abs(fx.w[i]) > mx ? abs(fx.w[i]) : mx;
        assert_true(fabs(ldexp(fx.w[i], -f) - m->params[i]) <= ldexp(0.5, -f));
    }
    assert_true(mx >= (1 << 19)); /* the scale uses the range */
    /* load: the float weights are exactly w~ 2^-f, and export/load round-trips */
    apex_ml_model *q = apex_ml_model_clone(m);
    assert_int_equal(apex_ml_fixed_load(q, &fx), APEX_OK);
    assert_int_equal(q->frac_bits, f);
    apex_ml_fixed fx2;
    assert_int_equal(apex_ml_fixed_export(q, f, &fx2), APEX_OK);
    assert_memory_equal(fx.w, fx2.w, sizeof(int32_t) * fx.n);
    for (size_t i = 0; i < fx.n; i++)
        assert_true((double)q->params[i] == ldexp((double)fx.w[i], -f));
    /* a snapped model survives save/load with its grid, bit for bit */
    uint8_t *buf;
    size_t len;
    apex_ml_model *r = NULL;
    assert_int_equal(apex_ml_model_encode(q, &buf, &len), APEX_OK);
    assert_int_equal(apex_ml_model_decode(buf, len, &r), APEX_OK);
    assert_int_equal(r->frac_bits, f);
    assert_memory_equal(r->params, q->params, sizeof(float) * q->n_params);
    free(buf);
    /* out-of-range fixed weights are refused */
    fx2.w[3] = 1 << 21;
    assert_int_equal(apex_ml_fixed_load(r, &fx2), APEX_ERR_RANGE);
    /* a weight too large for 2^21 at this scale */
    m->params[0] = 1e6f;
    apex_ml_fixed fx3;
    assert_int_equal(apex_ml_fixed_export(m, f, &fx3), APEX_ERR_RANGE);
    apex_ml_fixed_free(&fx);
    apex_ml_fixed_free(&fx2);
    apex_ml_model_destroy(&m);
    apex_ml_model_destroy(&q);
    apex_ml_model_destroy(&r);
}

int main(void)
{
    if (apex_ml_dataset_load(NULL, 0, &g_test) != APEX_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_persample_mlp),  cmocka_unit_test(test_persample_vit),
        cmocka_unit_test(test_target_sets),    cmocka_unit_test(test_layer_table),
        cmocka_unit_test(test_file_roundtrip), cmocka_unit_test(test_file_malformed),
        cmocka_unit_test(test_fixed_point),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    apex_ml_dataset_destroy(&g_test);
    return rc;
}
