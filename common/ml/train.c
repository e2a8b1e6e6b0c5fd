/* Training: AdamW or SGD, cosine/step schedules, seeded shuffling, layer-wise
 * learning-rate decay, gradient clipping. Deterministic for a seed. */
#include "ml/ml_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void apex_ml_train_defaults(const apex_ml_config *cfg, apex_ml_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 128;
    o->opt = APEX_ML_OPT_ADAMW;
    o->sched = APEX_ML_SCHED_COSINE;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->momentum = 0.9f;
    o->step_gamma = 0.1f;
    o->step_epochs = 1;
    o->layer_decay = 1.0f;
    o->seed = 1;
    if (cfg->arch == APEX_ML_ARCH_MLP) {
        o->epochs = 12;
        o->lr = 1e-3f;
        o->lr_min = 1e-5f;
        o->weight_decay = 0.01f;
        o->warmup_frac = 0.02f;
    } else {
        o->epochs = 10;
        o->lr = 2e-3f;
        o->lr_min = 1e-5f;
        o->weight_decay = 0.05f;
        o->warmup_frac = 0.05f;
        o->grad_clip = 1.0f;
    }
}

/* Per-tensor multipliers: learning rate (layer-wise decay) and whether the
 * tensor is weight-decayed (matrices only, never LayerNorm, biases or tokens). */
static void tensor_policy(const apex_ml_model *m, const apex_ml_tensor *t, float layer_decay,
                          float *lr_mult, int *decay)
{
    const char *nm = t->name;
    int depth = m->cfg.arch == APEX_ML_ARCH_MLP ? 1 : (int)m->cfg.depth;
    int level; /* distance from the output: 0 for the head */
    if (m->cfg.arch == APEX_ML_ARCH_MLP) {
        level = strncmp(nm, "fc1", 3) == 0 ? 1 : 0;
    } else if (strncmp(nm, "blocks.", 7) == 0) {
        level = depth - atoi(nm + 7);
    } else if (strncmp(nm, "head", 4) == 0 || strncmp(nm, "lnf", 3) == 0) {
        level = 0;
    } else {
        level = depth + 1; /* patch embedding, cls, pos */
    }
    *lr_mult = powf(layer_decay, (float)level);
    *decay = t->rows > 1 && strstr(nm, ".weight") && !strstr(nm, "ln") ? 1 : 0;
}

static float schedule_lr(const apex_ml_train_opts *o, int step, int total, int epoch)
{
    int warm = (int)(o->warmup_frac * (float)total);
    if (step < warm)
        return o->lr * (float)(step + 1) / (float)warm;
    switch (o->sched) {
    case APEX_ML_SCHED_STEP:
        return o->lr *
               powf(o->step_gamma, (float)(epoch / (o->step_epochs > 0 ? o->step_epochs : 1)));
    case APEX_ML_SCHED_CONST:
        return o->lr;
    default: {
        double frac = total > warm ? (double)(step - warm) / (double)(total - warm) : 1.0;
        return o->lr_min + 0.5f * (o->lr - o->lr_min) * (float)(1.0 + cos(M_PI * frac));
    }
    }
}

/* Optimiser state for one run. */
struct opt_state {
    float *m1;      /* [n] first moment (AdamW) or velocity (SGD) */
    float *m2;      /* [n] second moment (AdamW) */
    float *lr_mult; /* [n_tensors] layer-wise multipliers */
    int *decay;     /* [n_tensors] 1 when weight decay applies */
};

/* Hyper-parameters of one update, shared by every parameter range. */
struct opt_step {
    float gscale;   /* clipping factor for the gradients */
    float lr;       /* scheduled learning rate */
    float bc1, bc2; /* AdamW bias corrections */
};

/* Update parameters [lo, hi) of m, elementwise. Compiled for AVX-512, AVX2
 * and baseline (ML_CLONES) and with -fno-math-errno so that sqrtf vectorises;
 * vector sqrt and division round exactly as the scalar ones. */
ML_CLONES static void opt_update_range(apex_ml_model *m, const apex_ml_train_opts *o,
                                       const struct opt_state *s, const struct opt_step *st,
                                       size_t lo, size_t hi)
{
    for (int k = 0; k < m->n_tensors; k++) {
        const apex_ml_tensor *ts = &m->tensors[k];
        size_t a = ts->offset, b = a + (size_t)ts->rows * ts->cols;
        a = a > lo ? a : lo;
        b = b < hi ? b : hi;
        float tlr = st->lr * s->lr_mult[k], wd = s->decay[k] ? o->weight_decay : 0.0f;
        float *p = m->params, *m1 = s->m1, *m2 = s->m2;
        const float *g = m->grads;
        float gs = st->gscale, bc1 = st->bc1, bc2 = st->bc2;
        if (o->opt == APEX_ML_OPT_SGD) {
            for (size_t i = a; i < b; i++) {
                float gi = g[i] * gs + wd * p[i];
                m1[i] = o->momentum * m1[i] + gi;
                p[i] -= tlr * m1[i];
            }
        } else {
            float b1 = o->beta1, b2 = o->beta2;
            for (size_t i = a; i < b; i++) {
                float gi = g[i] * gs;
                m1[i] = b1 * m1[i] + (1 - b1) * gi;
                m2[i] = b2 * m2[i] + (1 - b2) * gi * gi;
                float upd = (m1[i] / bc1) / (sqrtf(m2[i] / bc2) + 1e-8f);
                p[i] -= tlr * (upd + wd * p[i]);
            }
        }
    }
}

/* One optimiser step over all parameters. It stays on one thread: vectorised,
 * it is a fraction of a percent of a step, less than a fork/join would cost. */
static void opt_update(apex_ml_model *m, const apex_ml_train_opts *o, struct opt_state *s, float lr,
                       int t)
{
    struct opt_step st = {1.0f, lr, 1.0f - powf(o->beta1, (float)t),
                          1.0f - powf(o->beta2, (float)t)};
    if (o->grad_clip > 0) {
        float norm = cblas_snrm2((int)m->n_params, m->grads, 1);
        if (norm > o->grad_clip)
            st.gscale = o->grad_clip / norm;
    }
    opt_update_range(m, o, s, &st, 0, m->n_params);
}

static void shuffle(int *perm, int n, apex_rng *rng)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)apex_rng_below(rng, (uint64_t)i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

int apex_ml_train(apex_ml_model *m, const apex_ml_dataset *d, const apex_ml_train_opts *o,
                  apex_ml_progress_fn cb, void *user)
{
    if (o->epochs <= 0 || o->batch <= 0 || d->n <= 0 || d->dim != (int)(m->cfg.side * m->cfg.side))
        return APEX_ERR_INVALID;
    int batch = o->batch < d->n ? o->batch : d->n;
    int per_epoch = (d->n + batch - 1) / batch;
    int total = per_epoch * o->epochs;
    if (o->max_steps > 0 && o->max_steps < total)
        total = o->max_steps;
    int workers = 1; /* data-parallel workers (see below) */
    struct opt_state s = {0};
    s.m1 = apex_calloc_n(m->n_params, sizeof(float));
    s.m2 = apex_calloc_n(m->n_params, sizeof(float));
    s.lr_mult = calloc((size_t)m->n_tensors, sizeof(float));
    s.decay = calloc((size_t)m->n_tensors, sizeof(int));
    int *perm = calloc((size_t)d->n, sizeof(int));
    float *xb = apex_calloc_n((size_t)batch * d->dim, sizeof(float));
    uint8_t *yb = calloc((size_t)batch, 1);
    int rc = APEX_OK;
    if (!s.m1 || !s.m2 || !s.lr_mult || !s.decay || !perm || !xb || !yb) {
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    for (int k = 0; k < m->n_tensors; k++)
        tensor_policy(m, &m->tensors[k], o->layer_decay, &s.lr_mult[k], &s.decay[k]);
    for (int i = 0; i < d->n; i++)
        perm[i] = i;
    apex_rng rng;
    apex_rng_seed(&rng, o->seed);
    m->frac_bits = 0; /* weights leave the fixed-point grid */
    /* Data parallelism: with T > 1 BLAS threads, run T workers on slices of
     * each batch with single-threaded BLAS (threaded BLAS on these small
     * matrices leaves the second core idle during everything that is not a
     * GEMM). Restored below. */
    workers = ml_par_threads();
    if (workers > 1)
        openblas_set_num_threads(1);
    double t0 = apex_now_s();
    int step = 0;
    for (int ep = 0; ep < o->epochs && step < total; ep++) {
        shuffle(perm, d->n, &rng);
        int seen = 0, correct = 0;
        for (int bi = 0; bi < per_epoch && step < total; bi++) {
            int start = bi * batch, nb = d->n - start < batch ? d->n - start : batch;
            for (int i = 0; i < nb; i++) {
                memcpy(xb + (size_t)i * d->dim, d->x + (size_t)perm[start + i] * d->dim,
                       sizeof(float) * d->dim);
                yb[i] = d->y[perm[start + i]];
            }
            float loss;
            int c;
            rc = workers > 1 ? ml_model_step_par(m, xb, yb, nb, workers, &loss, &c)
                             : apex_ml_model_step_grads(m, xb, yb, nb, &loss, &c);
            if (rc != APEX_OK)
                goto out;
            if (!isfinite(loss)) {
                LOG_ERROR("train: loss diverged at step %d", step);
                rc = APEX_ERR_RANGE;
                goto out;
            }
            float lr = schedule_lr(o, step, total, ep);
            opt_update(m, o, &s, lr, step + 1);
            step++;
            seen += nb;
            correct += c;
            if (cb) {
                apex_ml_progress pr = {ep,
                                       step,
                                       total,
                                       loss,
                                       (float)correct / (float)seen,
                                       lr,
                                       apex_now_s() - t0,
                                       bi == per_epoch - 1 || step == total};
                if (cb(&pr, user) != 0) {
                    rc = APEX_ERR_INTERRUPTED;
                    goto out;
                }
            }
        }
    }
out:
    if (workers > 1)
        openblas_set_num_threads(workers);
    free(s.m1);
    free(s.m2);
    free(s.lr_mult);
    free(s.decay);
    free(perm);
    free(xb);
    free(yb);
    return rc;
}

/* ------------------------------------------------------------ threads and peak */

void apex_ml_set_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
}

int ml_par_threads(void)
{
    int n = openblas_get_num_threads();
    return n > 0 ? n : 1;
}

int apex_ml_get_threads(void)
{
    return openblas_get_num_threads();
}

double apex_ml_sgemm_peak_gflops(int n, double seconds)
{
    float *a = apex_calloc_n((size_t)n * n, sizeof(float));
    float *b = apex_calloc_n((size_t)n * n, sizeof(float));
    float *c = apex_calloc_n((size_t)n * n, sizeof(float));
    double best = 0;
    if (a && b && c) {
        for (size_t i = 0; i < (size_t)n * n; i++) {
            a[i] = (float)(i % 7) * 0.01f;
            b[i] = (float)(i % 5) * 0.01f;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double start = apex_now_s();
        while (apex_now_s() - start < seconds) {
            double t0 = apex_now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
            double dt = apex_now_s() - t0;
            double g = 2.0 * n * (double)n * n / dt / 1e9;
            if (g > best)
                best = g;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}
