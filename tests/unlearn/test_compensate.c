/* Client-side compensation of a real model (unlearn/compensate.c) and the `apex unlearn` CLI's
 * rejections: masked weights exactly zero, everything else outside masked blocks bit-identical,
 * the quantized answer re-checked from scratch against the proof's certificate (and a lazy
 * mask-only answer failing it), float-path stationarity, model/mask mismatches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unlearn/saliency.h"

#define N_CLIENT 40 /* client samples: N < B, the Woodbury path */

static apex_ml_dataset *g_pool; /* Fashion-MNIST test set */

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

static apex_mask *make_mask(apex_ml_model *m, double density)
{
    apex_ml_dataset *df = first_n(16, 0), *dr = first_n(16, 200);
    apex_sal_params p;
    apex_sal_params_default(&p);
    p.density = density;
    apex_mask *mask = NULL;
    assert_int_equal(apex_sal_mask(m, df, dr, &p, &mask), APEX_OK);
    assert_true(mask->count > 10);
    apex_ml_dataset_destroy(&df);
    apex_ml_dataset_destroy(&dr);
    return mask;
}

static int is_masked(const apex_mask *mask, uint64_t flat)
{
    size_t lo = 0, hi = mask->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mask->idx[mid] < flat)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < mask->count && mask->idx[lo] == flat;
}

/* Masked weights zero; weights outside masked blocks (and outside targets) bit-identical.
 * Returns the number of masked blocks. */
static size_t check_shape_of_change(const apex_ml_model *a, const apex_ml_model *b,
                                    const apex_mask *mask, size_t B)
{
    size_t masked_blocks = 0;
    unsigned char *touch = calloc(a->n_params, 1);
    for (int t = 0; t < a->n_targets; t++) {
        size_t sz = (size_t)a->targets[t].rows * a->targets[t].cols, off = a->targets[t].offset;
        for (size_t b0 = 0; b0 < sz; b0 += B) {
            size_t nb = sz - b0 < B ? sz - b0 : B, hit = 0;
            for (size_t j = 0; j < nb; j++)
                hit += is_masked(mask, off + b0 + j);
            if (hit) {
                masked_blocks++;
                memset(touch + off + b0, 1, nb);
            }
        }
    }
    for (size_t i = 0; i < a->n_params; i++) {
        if (is_masked(mask, i)) {
            if (b->params[i] != 0.0f)
                fail_msg("masked weight %zu is %g, not 0", i, b->params[i]);
        } else if (!touch[i] && memcmp(&a->params[i], &b->params[i], sizeof(float)) != 0) {
            fail_msg("weight %zu outside every masked block changed", i);
        }
    }
    free(touch);
    return masked_blocks;
}

static void test_quantized_certificate(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("mlp", 2);
    assert_int_equal(apex_ml_fixed_snap(m, -1), APEX_OK);
    int f = m->frac_bits;
    assert_true(f > 0);
    apex_mask *mask = make_mask(m, 0.01);
    apex_ml_model *orig = apex_ml_model_clone(m);
    apex_ml_dataset *dp = first_n(N_CLIENT, 1000);
    apex_unl_params up;
    apex_unl_params_default(&up);
    assert_int_equal(up.quantized, 1);
    apex_unl_report rep;
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_unl_compensate(m, mask, dp, &up, &rep, why), APEX_OK);
    assert_int_equal(rep.n, N_CLIENT);
    assert_int_equal(rep.masked, mask->count);
    assert_int_equal(m->frac_bits, f);
    size_t B = up.obsq.block, mb = check_shape_of_change(orig, m, mask, B);
    assert_int_equal(rep.blocks, mb);
    assert_true(rep.delta_l2 > 0);
    /* every weight on the 2^-f grid: the file round trip accepts it */
    uint8_t *buf = NULL;
    size_t len = 0;
    apex_ml_model *back = NULL;
    assert_int_equal(apex_ml_model_encode(m, &buf, &len), APEX_OK);
    assert_int_equal(apex_ml_model_decode(buf, len, &back), APEX_OK);
    free(buf);
    apex_ml_model_destroy(&back);

    /* The certificate from scratch: G at the original model, G̃, w̃, δ̃ = w̃' − w̃. */
    const apex_ml_tensor *t0 = &orig->targets[0];
    size_t d = (size_t)t0->rows * t0->cols, nblk = (d + B - 1) / B;
    float *g = calloc(N_CLIENT * d, sizeof *g);
    float *out[APEX_ML_MAX_DEPTH] = {g};
    assert_int_equal(apex_ml_model_persample_grads(orig, dp->x, dp->y, N_CLIENT, out), APEX_OK);
    int8_t *gq = calloc(nblk * N_CLIENT * B, 1);
    double *sc = calloc(nblk, sizeof *sc);
    int32_t *w0 = calloc(d, sizeof *w0), *w1 = calloc(d, sizeof *w1), *dl = calloc(d, 4);
    int64_t *rho = calloc(d, sizeof *rho);
    assert_int_equal(apex_obsq_quantize(g, N_CLIENT, d, d, B, gq, sc), APEX_OK);
    assert_int_equal(apex_obsq_weights_fixed(orig->params + t0->offset, d, (unsigned)f, w0),
                     APEX_OK);
    assert_int_equal(apex_obsq_weights_fixed(m->params + t0->offset, d, (unsigned)f, w1), APEX_OK);
    for (size_t i = 0; i < d; i++)
        dl[i] = w1[i] - w0[i];
    int64_t lam = apex_obsq_lambda_for(N_CLIENT);
    assert_int_equal(apex_obsq_layer_residual(gq, N_CLIENT, d, B, lam, dl, NULL, rho), APEX_OK);
    int64_t worst = 0;
    for (size_t i = 0; i < d; i++) {
        if (is_masked(mask, t0->offset + i)) {
            assert_int_equal(dl[i], -w0[i]);
        } else {
            int64_t a = rho[i] < 0 ? -rho[i] : rho[i];
            worst = a > worst ? a : worst;
            if (!apex_obsq_rho_ok(rho[i], up.obsq.tau_log2))
                fail_msg("honest residual %lld at %zu fails tau", (long long)rho[i], i);
        }
    }
    assert_true(worst <= rep.max_rho);
    /* a lazy mask-only answer fails the same check in most masked blocks */
    for (size_t i = 0; i < d; i++)
        dl[i] = is_masked(mask, t0->offset + i) ? -w0[i] : 0;
    assert_int_equal(apex_obsq_layer_residual(gq, N_CLIENT, d, B, lam, dl, NULL, rho), APEX_OK);
    size_t failing = 0;
    for (size_t b = 0; b < nblk; b++) {
        int bad = 0;
        for (size_t j = b * B; j < d && j < (b + 1) * B; j++)
            bad |= !is_masked(mask, t0->offset + j) && !apex_obsq_rho_ok(rho[j], 20);
        failing += bad;
    }
    if (failing * 2 <= mb)
        fail_msg("lazy answer fails only %zu of %zu masked blocks", failing, mb);
    free(g);
    free(gq);
    free(sc);
    free(w0);
    free(w1);
    free(dl);
    free(rho);
    apex_mask_destroy(&mask);
    apex_ml_dataset_destroy(&dp);
    apex_ml_model_destroy(&orig);
    apex_ml_model_destroy(&m);
}

/* Float path on an unsnapped vit-tiny (several targets): the KKT stationarity
 * (Cδ)_j = 0 off the mask in every masked block, with C = λI + GᵀG/(m·N) and the relative λ. */
static void test_float_stationarity(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("vit-tiny", 4);
    apex_mask *mask = make_mask(m, 0.03);
    apex_ml_model *orig = apex_ml_model_clone(m);
    apex_ml_dataset *dp = first_n(N_CLIENT, 2000);
    apex_unl_params up;
    apex_unl_params_default(&up);
    up.quantized = 0;
    char why[APEX_MASK_WHY_LEN] = "";
    apex_unl_report rep;
    assert_int_equal(apex_unl_compensate(m, mask, dp, &up, &rep, why), APEX_OK);
    assert_int_equal(m->frac_bits, 0);
    size_t B = up.obs.block;
    assert_int_equal(rep.blocks, check_shape_of_change(orig, m, mask, B));
    float *out[APEX_ML_MAX_DEPTH] = {0};
    for (int t = 0; t < m->n_targets; t++)
        out[t] = calloc((size_t)N_CLIENT * m->targets[t].rows * m->targets[t].cols, 4);
    assert_int_equal(apex_ml_model_persample_grads(orig, dp->x, dp->y, N_CLIENT, out), APEX_OK);
    double alpha = 1.0 / (up.obs.fisher_m * N_CLIENT);
    size_t checked = 0;
    for (int t = 0; t < m->n_targets; t++) {
        size_t d = (size_t)m->targets[t].rows * m->targets[t].cols, off = m->targets[t].offset;
        for (size_t b0 = 0; b0 < d; b0 += B) {
            size_t nb = d - b0 < B ? d - b0 : B, hit = 0;
            for (size_t j = 0; j < nb; j++)
                hit += is_masked(mask, off + b0 + j);
            if (!hit)
                continue;
            /* δ is read back from float32 weights: each δ_k carries up to r_k = ulp/2 of
             * w_k and w'_k, so (Cδ)_j may be off by e_j = λr_j + αΣ_i|g_ij|Σ_k|g_ik|r_k. */
            double dg = 0, u[N_CLIENT] = {0}, ua[N_CLIENT] = {0}, cmax = 0;
            double *dl = calloc(nb, sizeof *dl), *r = calloc(nb, sizeof *r);
            double *res = calloc(nb, sizeof *res);
            for (size_t j = 0; j < nb; j++) {
                dl[j] = (double)m->params[off + b0 + j] - orig->params[off + b0 + j];
                r[j] = (fabs((double)m->params[off + b0 + j]) +
                        fabs((double)orig->params[off + b0 + j])) *
                       0x1p-24;
            }
            for (int i = 0; i < N_CLIENT; i++)
                for (size_t j = 0; j < nb; j++) {
                    double gij = out[t][(size_t)i * d + b0 + j];
                    dg += gij * gij;
                    u[i] += gij * dl[j];
                    ua[i] += fabs(gij) * r[j];
                }
            double lam = up.obs.rel_damp * alpha * dg / (double)nb;
            for (size_t j = 0; j < nb; j++) {
                double c = lam * dl[j], e = lam * r[j];
                for (int i = 0; i < N_CLIENT; i++) {
                    double gij = out[t][(size_t)i * d + b0 + j];
                    c += alpha * gij * u[i];
                    e += alpha * fabs(gij) * ua[i];
                }
                if (is_masked(mask, off + b0 + j))
                    cmax = fmax(cmax, fabs(c));
                res[j] = fabs(c) - 2.0 * e; /* excess over the float32 read-back bound */
            }
            for (size_t j = 0; j < nb; j++)
                if (!is_masked(mask, off + b0 + j) && res[j] > 1e-6 * cmax)
                    fail_msg("target %d block at %zu: |(C delta)_%zu| exceeds its rounding "
                             "bound by %g (masked scale %g)",
                             t, b0, j, res[j], cmax);
            free(r);
            free(res);
            free(dl);
            checked++;
        }
    }
    assert_int_equal(checked, rep.blocks);
    for (int t = 0; t < m->n_targets; t++)
        free(out[t]);
    apex_mask_destroy(&mask);
    apex_ml_dataset_destroy(&dp);
    apex_ml_model_destroy(&orig);
    apex_ml_model_destroy(&m);
}

/* The authors' sequential order: layer 0 sees the same G (nothing changed yet), so it ends
 * bit-identical to the provable order; a later layer's G is taken after earlier layers moved,
 * so its result differs. Masked weights are zero either way. */
static void test_sequential_layers(void **state)
{
    (void)state;
    apex_ml_model *a = new_model("vit-tiny", 6);
    apex_mask *mask = make_mask(a, 0.03);
    apex_ml_model *b = apex_ml_model_clone(a);
    apex_ml_dataset *dp = first_n(N_CLIENT, 3000);
    apex_unl_params up;
    apex_unl_params_default(&up);
    up.quantized = 0;
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_unl_compensate(a, mask, dp, &up, NULL, why), APEX_OK);
    up.sequential_layers = 1;
    assert_int_equal(apex_unl_compensate(b, mask, dp, &up, NULL, why), APEX_OK);
    const apex_ml_tensor *t0 = &a->targets[0], *t3 = &a->targets[3];
    size_t d = (size_t)t0->rows * t0->cols;
    assert_memory_equal(a->params + t0->offset, b->params + t0->offset, d * sizeof(float));
    assert_true(memcmp(a->params + t3->offset, b->params + t3->offset, d * sizeof(float)) != 0);
    for (size_t j = 0; j < mask->count; j++)
        assert_true(b->params[mask->idx[j]] == 0.0f);
    apex_mask_destroy(&mask);
    apex_ml_dataset_destroy(&dp);
    apex_ml_model_destroy(&a);
    apex_ml_model_destroy(&b);
}

/* fc1 and fc2 under one top-k (the authors' OPT setting): the mask spans both kinds of matrix,
 * the quantized path compensates every masked block of both, the shape of the change holds,
 * and a model still targeting fc1 only is refused. */
static void test_fc1_fc2_targets(void **state)
{
    (void)state;
    apex_ml_model *m = new_model("vit-tiny", 4);
    assert_int_equal(apex_ml_model_set_targets(m, APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2),
                     APEX_OK);
    assert_int_equal(apex_ml_fixed_snap(m, -1), APEX_OK);
    apex_mask *mask = make_mask(m, 0.02);
    assert_int_equal(mask->nlayers, 8);
    assert_int_equal(apex_sal_targets_of_mask(mask), APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2);
    size_t in_fc2 = 0;
    for (size_t l = 1; l < mask->nlayers; l += 2) {
        uint64_t *loc = NULL;
        size_t nl = 0;
        assert_int_equal(apex_mask_layer_indices(mask, l, &loc, &nl), APEX_OK);
        in_fc2 += nl;
        free(loc);
    }
    assert_true(in_fc2 > 0 && in_fc2 < mask->count); /* one top-k over both kinds */
    apex_ml_model *orig = apex_ml_model_clone(m), *fc1only = apex_ml_model_clone(m);
    assert_int_equal(apex_ml_model_set_targets(fc1only, APEX_ML_TARGET_FC1), APEX_OK);
    apex_ml_dataset *dp = first_n(N_CLIENT, 1000);
    apex_unl_params up;
    apex_unl_params_default(&up);
    apex_unl_report rep;
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_unl_compensate(fc1only, mask, dp, &up, &rep, why), APEX_ERR_REJECTED);
    assert_int_equal(apex_unl_compensate(m, mask, dp, &up, &rep, why), APEX_OK);
    assert_int_equal(rep.masked, mask->count);
    size_t mb = check_shape_of_change(orig, m, mask, up.obsq.block);
    assert_int_equal(rep.blocks, mb);
    assert_true(rep.delta_l2 > 0);
    assert_true(rep.max_rho < ((int64_t)1 << up.obsq.tau_log2));
    assert_int_equal(apex_sal_targets_parse("fc1,fc2"), APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2);
    assert_int_equal(apex_sal_targets_parse("fc2,fc1"), APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2);
    assert_int_equal(apex_sal_targets_parse("fc1"), APEX_ML_TARGET_FC1);
    assert_int_equal(apex_sal_targets_parse("fc2"), APEX_ML_TARGET_FC2);
    assert_int_equal(apex_sal_targets_parse("fc1,"), 0);
    assert_int_equal(apex_sal_targets_parse("qkv"), 0);
    assert_int_equal(apex_sal_targets_parse(NULL), 0);
    apex_ml_dataset_destroy(&dp);
    apex_mask_destroy(&mask);
    apex_ml_model_destroy(&orig);
    apex_ml_model_destroy(&fc1only);
    apex_ml_model_destroy(&m);
}

static void test_mismatch(void **state)
{
    (void)state;
    apex_ml_model *vit = new_model("vit-tiny", 1), *mlp = new_model("mlp", 1);
    apex_mask *mv = make_mask(vit, 0.01);
    apex_ml_dataset *dp = first_n(8, 0);
    apex_unl_params up;
    apex_unl_params_default(&up);
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_unl_check_layers(mlp, mv, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "layers"));
    assert_int_equal(apex_unl_compensate(mlp, mv, dp, &up, NULL, why), APEX_ERR_REJECTED);
    assert_int_equal(apex_unl_mask_only(mlp, mv, why), APEX_ERR_REJECTED);
    /* same count, another name / shape */
    apex_mask *bad = NULL;
    apex_mask_layer l[APEX_ML_MAX_DEPTH];
    memcpy(l, mv->layers, mv->nlayers * sizeof *l);
    snprintf(l[2].name, sizeof l[2].name, "blocks.2.fc2.weight");
    assert_int_equal(apex_mask_new(mv->model_id, l, mv->nlayers, NULL, 0, &bad, why), APEX_OK);
    assert_int_equal(apex_unl_check_layers(vit, bad, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "fc2"));
    apex_mask_destroy(&bad);
    memcpy(l, mv->layers, mv->nlayers * sizeof *l);
    l[3].cols = 32;
    assert_int_equal(apex_mask_new(mv->model_id, l, mv->nlayers, NULL, 0, &bad, why), APEX_OK);
    assert_int_equal(apex_unl_check_layers(vit, bad, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "shape"));
    apex_mask_destroy(&bad);
    /* mask only: exactly the masked weights change */
    apex_ml_model *c = apex_ml_model_clone(vit);
    assert_int_equal(apex_unl_mask_only(c, mv, why), APEX_OK);
    for (size_t i = 0; i < c->n_params; i++)
        assert_true(is_masked(mv, i) ? c->params[i] == 0.0f : c->params[i] == vit->params[i]);
    apex_ml_model_destroy(&c);
    apex_mask_destroy(&mv);
    apex_ml_dataset_destroy(&dp);
    apex_ml_model_destroy(&vit);
    apex_ml_model_destroy(&mlp);
}

/* `apex unlearn` exit codes: 3 for a malformed mask or a mask of another model, 2 for usage. */
static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_rejections(void **state)
{
    (void)state;
    const char *bin = getenv("APEX_BIN_DIR");
    if (!bin)
        skip();
    char dir[] = "/tmp/apex_unlcli_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char vp[256], mp[256], mk[256], bad[256], outp[256];
    snprintf(vp, sizeof vp, "%s/vit.model", dir);
    snprintf(mp, sizeof mp, "%s/mlp.model", dir);
    snprintf(mk, sizeof mk, "%s/mask.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    snprintf(outp, sizeof outp, "%s/out.model", dir);
    apex_ml_model *vit = new_model("vit-tiny", 1), *mlp = new_model("mlp", 1);
    assert_int_equal(apex_ml_model_save(vit, vp), APEX_OK);
    assert_int_equal(apex_ml_model_save(mlp, mp), APEX_OK);
    apex_mask *mv = make_mask(vit, 0.01);
    assert_int_equal(apex_mask_save(mk, mv), APEX_OK);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(apex_mask_encode(mv, &buf, &len), APEX_OK);
    buf[len / 2] ^= 1;
    assert_int_equal(apex_file_write_atomic(bad, buf, len, 0644), APEX_OK);
    free(buf);
    const char *q = "2>/dev/null >/dev/null";
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --out %s %s", bin,
                         vp, mk, outp, q),
                     0);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --out %s %s", bin,
                         mp, mk, outp, q),
                     3);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --out %s %s", bin,
                         vp, bad, outp, q),
                     3);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --global %s "
                         "--out %s %s",
                         bin, vp, mk, mp, outp, q),
                     3);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --global %s "
                         "--out %s %s",
                         bin, vp, mk, vp, outp, q),
                     0);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --out %s %s", bin, vp, mk, outp, q),
                     2); /* compensation needs --client */
    assert_int_equal(run("%s/apex mask --model %s --forget class:12 --out %s %s", bin, vp, bad, q),
                     2);
    assert_int_equal(
        run("%s/apex mask --model %s --forget class:9 --unit column --out %s %s", bin, vp, bad, q),
        2);
    assert_int_equal(run("%s/apex eval unlearning --model vit-tiny --unit neuron %s", bin, q), 2);
    assert_int_equal(run("%s/apex eval unlearning --model vit-tiny --targets fc3 %s", bin, q), 2);
    /* a mask over fc1 and fc2: apex unlearn takes the target set from the mask's layer table */
    assert_int_equal(apex_ml_model_set_targets(vit, APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2),
                     APEX_OK);
    apex_mask *m12 = make_mask(vit, 0.01);
    assert_int_equal(apex_mask_save(mk, m12), APEX_OK);
    assert_int_equal(run("%s/apex unlearn --model %s --mask %s --path mask-only --out %s %s", bin,
                         vp, mk, outp, q),
                     0);
    apex_mask_destroy(&m12);
    assert_int_equal(run("%s/apex mask --model %s --forget class:9 --targets fc1,qkv --out %s %s",
                         bin, vp, bad, q),
                     2);
    run("rm -rf %s", dir);
    apex_mask_destroy(&mv);
    apex_ml_model_destroy(&vit);
    apex_ml_model_destroy(&mlp);
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
        cmocka_unit_test(test_quantized_certificate), cmocka_unit_test(test_float_stationarity),
        cmocka_unit_test(test_sequential_layers),     cmocka_unit_test(test_mismatch),
        cmocka_unit_test(test_cli_rejections),        cmocka_unit_test(test_fc1_fc2_targets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
