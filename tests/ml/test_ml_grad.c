/* Gradient checks: every layer's backward and both whole networks, in the
 * float64 check mode, against central differences (relative error < 1e-4);
 * and the float32 path against the float64 one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/ml_internal.h"

#define GC_H       1e-5 /* central-difference step */
#define GC_MAX_REL 1e-4 /* acceptance: relative error below 1e-4 */

static apex_rng g_rng;

static double *randn(size_t n, double scale)
{
    double *p = calloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = scale * apex_rng_normal(&g_rng);
    return p;
}

/* Relative error of one analytic/numeric pair, with an absolute floor for
 * entries that are (correctly) almost zero. */
static double rel_err(double a, double n)
{
    double den = fmax(fabs(a), fabs(n));
    if (den < 1e-7)
        return fabs(a - n) < 1e-9 ? 0 : 1;
    return fabs(a - n) / den;
}

typedef double (*loss_fn)(void *ctx);

/* Largest relative error over every stride-th entry of x. */
static double check_array(loss_fn f, void *ctx, double *x, size_t n, const double *analytic,
                          size_t stride)
{
    double worst = 0;
    for (size_t i = 0; i < n; i += stride) {
        double save = x[i];
        x[i] = save + GC_H;
        double lp = f(ctx);
        x[i] = save - GC_H;
        double lm = f(ctx);
        x[i] = save;
        double e = rel_err(analytic[i], (lp - lm) / (2 * GC_H));
        if (e > worst)
            worst = e;
    }
    return worst;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* ------------------------------------------------------------ linear */

struct lin_ctx {
    int n, ic, oc;           /* rows, in, out */
    double *x, *w, *b, *out; /* [n][ic], [oc][ic], [oc], [n][oc] */
    double *r;               /* [n][oc] random projection: loss = sum(out * r) */
};

static double lin_loss(void *p)
{
    struct lin_ctx *c = p;
    ml_linear_forward_f64(c->out, c->x, c->w, c->b, c->n, c->ic, c->oc);
    return dot(c->out, c->r, (size_t)c->n * c->oc);
}

static void test_linear_grad(void **state)
{
    (void)state;
    struct lin_ctx c = {.n = 5, .ic = 7, .oc = 4};
    c.x = randn(35, 1);
    c.w = randn(28, 0.5);
    c.b = randn(4, 0.5);
    c.out = randn(20, 0);
    c.r = randn(20, 1);
    double *dx = randn(35, 0), *dw = randn(28, 0), *db = randn(4, 0);
    ml_linear_backward_f64(dx, dw, db, c.r, c.x, c.w, c.n, c.ic, c.oc);
    assert_true(check_array(lin_loss, &c, c.x, 35, dx, 1) < GC_MAX_REL);
    assert_true(check_array(lin_loss, &c, c.w, 28, dw, 1) < GC_MAX_REL);
    assert_true(check_array(lin_loss, &c, c.b, 4, db, 1) < GC_MAX_REL);
    /* backward accumulates: a second call doubles the gradient */
    ml_linear_backward_f64(dx, dw, db, c.r, c.x, c.w, c.n, c.ic, c.oc);
    double *dw1 = randn(28, 0);
    ml_linear_backward_f64(NULL, dw1, NULL, c.r, c.x, c.w, c.n, c.ic, c.oc);
    for (int i = 0; i < 28; i++)
        assert_true(fabs(dw[i] - 2 * dw1[i]) < 1e-12);
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.r), free(dx), free(dw), free(db),
        free(dw1);
}

/* ------------------------------------------------------------ layernorm */

struct ln_ctx {
    int n, c;                          /* rows, channels */
    double *x, *w, *b, *out, *mu, *rs; /* inputs, params, output, statistics */
    double *r;                         /* projection */
};

static double ln_loss(void *p)
{
    struct ln_ctx *c = p;
    ml_layernorm_forward_f64(c->out, c->mu, c->rs, c->x, c->w, c->b, c->n, c->c);
    return dot(c->out, c->r, (size_t)c->n * c->c);
}

static void test_layernorm_grad(void **state)
{
    (void)state;
    struct ln_ctx c = {.n = 4, .c = 9};
    c.x = randn(36, 2);
    c.w = randn(9, 1);
    c.b = randn(9, 1);
    c.out = randn(36, 0);
    c.mu = randn(4, 0);
    c.rs = randn(4, 0);
    c.r = randn(36, 1);
    double *dx = randn(36, 0), *dw = randn(9, 0), *db = randn(9, 0);
    ln_loss(&c);
    ml_layernorm_backward_f64(dx, dw, db, c.r, c.x, c.w, c.mu, c.rs, c.n, c.c);
    assert_true(check_array(ln_loss, &c, c.x, 36, dx, 1) < GC_MAX_REL);
    assert_true(check_array(ln_loss, &c, c.w, 9, dw, 1) < GC_MAX_REL);
    assert_true(check_array(ln_loss, &c, c.b, 9, db, 1) < GC_MAX_REL);
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.mu), free(c.rs), free(c.r);
    free(dx), free(dw), free(db);
}

/* ------------------------------------------------------------ GELU */

struct gelu_ctx {
    size_t n;            /* elements */
    double *x, *out, *r; /* input, output, projection */
};

static double gelu_loss(void *p)
{
    struct gelu_ctx *c = p;
    ml_gelu_forward_f64(c->out, c->x, c->n);
    return dot(c->out, c->r, c->n);
}

static void test_gelu_grad(void **state)
{
    (void)state;
    struct gelu_ctx c = {.n = 50};
    c.x = randn(50, 2);
    c.out = randn(50, 0);
    c.r = randn(50, 1);
    double *dx = randn(50, 0);
    ml_gelu_backward_f64(dx, c.x, c.r, c.n);
    assert_true(check_array(gelu_loss, &c, c.x, 50, dx, 1) < GC_MAX_REL);
    /* the slope form: the same output, the same gradient, and bias sums */
    double *out2 = randn(50, 0), *slope = randn(50, 0), *dx2 = randn(50, 0), *db = randn(10, 0);
    ml_gelu_forward_f64(c.out, c.x, 50);
    ml_gelu_forward_slope_f64(out2, slope, c.x, 50);
    ml_gelu_backward_slope_f64(dx2, db, slope, c.r, 5, 10);
    for (int i = 0; i < 50; i++) {
        assert_true(fabs(out2[i] - c.out[i]) < 1e-12);
        assert_true(fabs(dx2[i] - dx[i]) < 1e-12);
    }
    for (int j = 0; j < 10; j++)
        assert_true(fabs(db[j] - (dx[j] + dx[10 + j] + dx[20 + j] + dx[30 + j] + dx[40 + j])) <
                    1e-12);
    free(out2), free(slope), free(dx2), free(db);
    /* the float32 fast tanh stays within float rounding of the exact GELU */
    float xf[50], of[50];
    for (int i = 0; i < 50; i++)
        xf[i] = (float)c.x[i];
    ml_gelu_forward_f32(of, xf, 50);
    ml_gelu_forward_f64(c.out, c.x, 50);
    for (int i = 0; i < 50; i++)
        assert_true(fabs(of[i] - c.out[i]) < 1e-5 * (1 + fabs(c.out[i])));
    free(c.x), free(c.out), free(c.r), free(dx);
}

/* ------------------------------------------------------------ attention */

struct att_ctx {
    int nb, nt, d, nh;       /* batch, tokens, width, heads */
    double *qkv, *out, *att; /* [nb][nt][3d], [nb][nt][d], [nb][nh][nt][nt] */
    double *r;               /* projection of out */
};

static double att_loss(void *p)
{
    struct att_ctx *c = p;
    ml_attention_forward_f64(c->out, c->att, c->qkv, c->nb, c->nt, c->d, c->nh);
    return dot(c->out, c->r, (size_t)c->nb * c->nt * c->d);
}

static void test_attention_grad(void **state)
{
    (void)state;
    struct att_ctx c = {.nb = 2, .nt = 5, .d = 8, .nh = 2};
    size_t nq = 2 * 5 * 24, no = 2 * 5 * 8;
    c.qkv = randn(nq, 1);
    c.out = randn(no, 0);
    c.att = randn(2 * 2 * 25, 0);
    c.r = randn(no, 1);
    double *dqkv = randn(nq, 0), *datt = randn(25, 0);
    att_loss(&c);
    /* att is stored key-major: its columns are probability distributions */
    for (int col = 0; col < 2 * 2 * 5; col++) {
        double s = 0;
        for (int j = 0; j < 5; j++)
            s += c.att[(col / 5) * 25 + j * 5 + col % 5];
        assert_true(fabs(s - 1) < 1e-12);
    }
    ml_attention_backward_f64(dqkv, datt, c.r, c.qkv, c.att, c.nb, c.nt, c.d, c.nh);
    assert_true(check_array(att_loss, &c, c.qkv, nq, dqkv, 1) < GC_MAX_REL);
    free(c.qkv), free(c.out), free(c.att), free(c.r), free(dqkv), free(datt);
}

/* ------------------------------------------------------------ cross-entropy */

struct xent_ctx {
    int n, c;                      /* rows, classes */
    double *logits, *probs, *loss; /* [n][c], [n][c], [n] */
    uint8_t *y;                    /* [n] labels */
};

static double xent_loss(void *p)
{
    struct xent_ctx *c = p;
    ml_xent_forward_f64(c->probs, c->loss, c->logits, c->y, c->n, c->c);
    double s = 0;
    for (int i = 0; i < c->n; i++)
        s += c->loss[i];
    return s;
}

static void test_xent_grad(void **state)
{
    (void)state;
    uint8_t y[3] = {0, 4, 2};
    struct xent_ctx c = {3, 5, randn(15, 2), randn(15, 0), randn(3, 0), y};
    double *dl = randn(15, 0);
    xent_loss(&c);
    ml_xent_backward_f64(dl, c.probs, y, 3, 5, 1.0);
    assert_true(check_array(xent_loss, &c, c.logits, 15, dl, 1) < GC_MAX_REL);
    free(c.logits), free(c.probs), free(c.loss), free(dl);
}

/* ------------------------------------------------------------ whole networks */

struct net_ctx {
    ml_net_f64 *net;  /* check-mode network */
    double *params;   /* [n] float64 copy of the model's weights */
    const float *x;   /* [nb][784] images */
    const uint8_t *y; /* [nb] labels */
    int nb;           /* batch */
};

static double net_loss(void *p)
{
    struct net_ctx *c = p;
    ml_net_forward_f64(c->net, c->params, c->x, c->y, c->nb);
    double s = 0;
    for (int i = 0; i < c->nb; i++)
        s += c->net->losses[i];
    return s;
}

/* Checks the full backward of cfg (float64) on nb real images and returns the
 * worst relative error over every stride-th parameter; also compares the
 * float32 gradient to the float64 one. */
static double check_network(const apex_ml_config *cfg, int nb, size_t stride)
{
    apex_ml_dataset *d;
    assert_int_equal(apex_ml_dataset_load(NULL, 0, &d), APEX_OK);
    apex_ml_model *m = apex_ml_model_new(cfg, 7);
    assert_non_null(m);
    /* perturb LayerNorm gains and biases away from 1/0 so their paths are exercised */
    for (size_t i = 0; i < m->n_params; i++)
        m->params[i] += 0.05f * (float)apex_rng_normal(&g_rng);
    struct net_ctx c = {ml_net_new_f64(cfg, nb), calloc(m->n_params, sizeof(double)), d->x, d->y,
                        nb};
    assert_non_null(c.net);
    for (size_t i = 0; i < m->n_params; i++)
        c.params[i] = m->params[i];
    double *g = calloc(m->n_params, sizeof(double));
    net_loss(&c);
    ml_net_backward_f64(c.net, c.params, g, d->y, nb, 1.0, NULL);
    double worst = check_array(net_loss, &c, c.params, m->n_params, g, stride);
    /* float32 path agrees with the float64 one (mean loss => scale 1/nb) */
    assert_int_equal(apex_ml_model_step_grads(m, d->x, d->y, nb, NULL, NULL), APEX_OK);
    double num = 0, den = 0;
    for (size_t i = 0; i < m->n_params; i++) {
        double a = g[i] / nb;
        num += (a - m->grads[i]) * (a - m->grads[i]);
        den += a * a;
    }
    assert_true(sqrt(num / den) < 1e-4);
    free(g);
    free(c.params);
    ml_net_destroy_f64(&c.net);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&d);
    return worst;
}

static void test_mlp_network_grad(void **state)
{
    (void)state;
    apex_ml_config cfg = {APEX_ML_ARCH_MLP, 28, 10, 12, 0, 0, 0, 0};
    assert_true(check_network(&cfg, 3, 7) < GC_MAX_REL);
}

static void test_vit_network_grad(void **state)
{
    (void)state;
    apex_ml_config cfg = {APEX_ML_ARCH_VIT, 28, 10, 16, 7, 8, 2, 2};
    assert_true(check_network(&cfg, 2, 1) < GC_MAX_REL);
}

int main(void)
{
    apex_rng_seed(&g_rng, 42);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_grad),      cmocka_unit_test(test_layernorm_grad),
        cmocka_unit_test(test_gelu_grad),        cmocka_unit_test(test_attention_grad),
        cmocka_unit_test(test_xent_grad),        cmocka_unit_test(test_mlp_network_grad),
        cmocka_unit_test(test_vit_network_grad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
