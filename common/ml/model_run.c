/* Float32 entry points over the engine: forward, gradients, per-sample
 * gradients, prediction, evaluation and FLOP counts. */
#include "ml/ml_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#define ML_EVAL_CHUNK      256 /* images per forward when evaluating */
#define ML_PERSAMPLE_CHUNK 64  /* images per forward/backward for per-sample gradients */

int apex_ml_model_forward(apex_ml_model *m, const float *x, int n, float *logits)
{
    int rc = ml_model_reserve(m, n);
    if (rc != APEX_OK)
        return rc;
    ml_net_forward_f32(m->work->net, m->params, x, NULL, n);
    if (logits)
        memcpy(logits, m->work->net->logits, sizeof(float) * n * m->cfg.n_classes);
    return APEX_OK;
}

int apex_ml_model_step_grads(apex_ml_model *m, const float *x, const uint8_t *y, int n, float *loss,
                             int *correct)
{
    int rc = ml_model_reserve(m, n);
    if (rc != APEX_OK)
        return rc;
    ml_net_f32 *net = m->work->net;
    int c = ml_net_forward_f32(net, m->params, x, y, n);
    memset(m->grads, 0, sizeof(float) * m->n_params);
    ml_net_backward_f32(net, m->params, m->grads, y, n, 1.0f / (float)n, NULL);
    if (loss) {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += net->losses[i];
        *loss = (float)(s / n);
    }
    if (correct)
        *correct = c;
    return APEX_OK;
}

int ml_model_step_par(apex_ml_model *m, const float *x, const uint8_t *y, int n, int workers,
                      float *loss, int *correct)
{
    apex_ml_work *w = m->work;
    if (workers > ML_MAX_PAR)
        workers = ML_MAX_PAR;
    if (workers > n / 8)
        workers = n / 8; /* tiny batches are not worth splitting */
    if (workers <= 1)
        return apex_ml_model_step_grads(m, x, y, n, loss, correct);
    int slice = (n + workers - 1) / workers;
    for (int t = 0; t < workers; t++) {
        if (!w->pnet[t] || w->pnet[t]->cap < slice) {
            ml_net_destroy_f32(&w->pnet[t]);
            w->pnet[t] = ml_net_new_f32(&m->cfg, slice);
            if (!w->pnet[t])
                return APEX_ERR_NOMEM;
        }
        if (t > 0 && !w->pgrads[t]) {
            w->pgrads[t] = apex_calloc_n(m->n_params, sizeof(float));
            if (!w->pgrads[t])
                return APEX_ERR_NOMEM;
        }
    }
    double losses[ML_MAX_PAR];
    int corrects[ML_MAX_PAR];
    size_t in = m->cfg.side * m->cfg.side;
#pragma omp parallel for num_threads(workers) schedule(static, 1)
    for (int t = 0; t < workers; t++) {
        int a = (int)((long)n * t / workers), e = (int)((long)n * (t + 1) / workers);
        float *g = t ? w->pgrads[t] : m->grads;
        memset(g, 0, sizeof(float) * m->n_params);
        corrects[t] = ml_net_forward_f32(w->pnet[t], m->params, x + (size_t)a * in, y + a, e - a);
        ml_net_backward_f32(w->pnet[t], m->params, g, y + a, e - a, 1.0f / (float)n, NULL);
        double s = 0;
        for (int i = 0; i < e - a; i++)
            s += w->pnet[t]->losses[i];
        losses[t] = s;
    }
    double total = 0;
    int c = 0;
    for (int t = 0; t < workers; t++) {
        if (t > 0)
            cblas_saxpy((int)m->n_params, 1.0f, w->pgrads[t], 1, m->grads, 1);
        total += losses[t];
        c += corrects[t];
    }
    if (loss)
        *loss = (float)(total / n);
    if (correct)
        *correct = c;
    return APEX_OK;
}

int apex_ml_model_persample_grads(apex_ml_model *m, const float *x, const uint8_t *y, int n,
                                  float *const *out)
{
    if (n <= 0 || !out)
        return APEX_ERR_INVALID;
    int chunk = n < ML_PERSAMPLE_CHUNK ? n : ML_PERSAMPLE_CHUNK;
    int rc = ml_model_reserve(m, chunk);
    if (rc != APEX_OK)
        return rc;
    /* the backward's slots: [2l] fc1 and [2l+1] fc2 of block l (MLP: block 0) */
    float *ps[APEX_ML_MAX_TARGETS];
    int slot[APEX_ML_MAX_TARGETS];
    const ml_layout *L = &m->work->lay;
    for (int t = 0; t < m->n_targets; t++) {
        size_t off = m->targets[t].offset;
        slot[t] = -1;
        if (m->cfg.arch == APEX_ML_ARCH_MLP)
            slot[t] = off == L->fc1_w ? 0 : off == L->fc2_w ? 1 : -1;
        for (uint32_t l = 0; m->cfg.arch != APEX_ML_ARCH_MLP && l < m->cfg.depth; l++)
            if (off == L->blk[l].fc1_w || off == L->blk[l].fc2_w)
                slot[t] = 2 * (int)l + (off == L->blk[l].fc2_w);
        if (slot[t] < 0)
            return APEX_ERR_INVALID;
    }
    size_t in = m->cfg.side * m->cfg.side;
    for (int s = 0; s < n; s += chunk) {
        int nb = n - s < chunk ? n - s : chunk;
        memset(ps, 0, sizeof ps);
        for (int t = 0; t < m->n_targets; t++) {
            size_t sz = (size_t)m->targets[t].rows * m->targets[t].cols;
            ps[slot[t]] = out[t] ? out[t] + (size_t)s * sz : NULL;
        }
        ml_net_forward_f32(m->work->net, m->params, x + (size_t)s * in, y + s, nb);
        memset(m->grads, 0, sizeof(float) * m->n_params);
        ml_net_backward_f32(m->work->net, m->params, m->grads, y + s, nb, 1.0f, ps);
    }
    memset(m->grads, 0, sizeof(float) * m->n_params);
    return APEX_OK;
}

int apex_ml_model_predict(apex_ml_model *m, const float *x, int n, uint8_t *pred)
{
    size_t in = m->cfg.side * m->cfg.side;
    int nc = (int)m->cfg.n_classes;
    for (int s = 0; s < n; s += ML_EVAL_CHUNK) {
        int nb = n - s < ML_EVAL_CHUNK ? n - s : ML_EVAL_CHUNK;
        int rc = apex_ml_model_forward(m, x + (size_t)s * in, nb, NULL);
        if (rc != APEX_OK)
            return rc;
        const float *lg = m->work->net->logits;
        for (int i = 0; i < nb; i++) {
            int arg = 0;
            for (int j = 1; j < nc; j++)
                if (lg[(size_t)i * nc + j] > lg[(size_t)i * nc + arg])
                    arg = j;
            pred[s + i] = (uint8_t)arg;
        }
    }
    return APEX_OK;
}

int apex_ml_evaluate(apex_ml_model *m, const apex_ml_dataset *d, apex_ml_eval *out)
{
    memset(out, 0, sizeof *out);
    int rc = ml_model_reserve(m, d->n < ML_EVAL_CHUNK ? (d->n > 0 ? d->n : 1) : ML_EVAL_CHUNK);
    if (rc != APEX_OK)
        return rc;
    ml_net_f32 *net = m->work->net;
    int nc = (int)m->cfg.n_classes;
    double loss = 0;
    for (int s = 0; s < d->n; s += ML_EVAL_CHUNK) {
        int nb = d->n - s < ML_EVAL_CHUNK ? d->n - s : ML_EVAL_CHUNK;
        const uint8_t *y = d->y + s;
        for (int i = 0; i < nb; i++)
            if (y[i] >= nc)
                return APEX_ERR_RANGE;
        ml_net_forward_f32(net, m->params, d->x + (size_t)s * d->dim, y, nb);
        for (int i = 0; i < nb; i++) {
            const float *lg = net->logits + (size_t)i * nc;
            int arg = 0;
            for (int j = 1; j < nc; j++)
                if (lg[j] > lg[arg])
                    arg = j;
            loss += net->losses[i];
            if (y[i] < APEX_ML_NUM_CLASSES) {
                out->class_n[y[i]]++;
                out->class_correct[y[i]] += arg == y[i];
            }
            out->correct += arg == y[i];
        }
    }
    out->n = d->n;
    out->loss = d->n ? loss / d->n : 0;
    return APEX_OK;
}

double apex_ml_eval_acc(const apex_ml_eval *e)
{
    return e->n ? (double)e->correct / e->n : 0;
}

double apex_ml_eval_acc_classes(const apex_ml_eval *e, unsigned mask)
{
    int n = 0, c = 0;
    for (int k = 0; k < APEX_ML_NUM_CLASSES; k++) {
        if (mask & (1u << k)) {
            n += e->class_n[k];
            c += e->class_correct[k];
        }
    }
    return n ? (double)c / n : 0;
}

double apex_ml_model_flops_forward(const apex_ml_config *c)
{
    double nc = c->n_classes, h = c->hidden;
    if (c->arch == APEX_ML_ARCH_MLP) {
        double in = (double)c->side * c->side;
        return 2 * (in * h + h * nc);
    }
    double per_row = c->side / c->patch, np = per_row * per_row, t = np + 1, d = c->dim;
    double plen = (double)c->patch * c->patch;
    double blk = 2 * t * d * 3 * d /* qkv */ + 2 * 2 * t * t * d /* scores, att.v */ +
                 2 * t * d * d /* proj */ + 2 * 2 * t * d * h /* fc1, fc2 */;
    return 2 * np * plen * d + c->depth * blk + 2 * d * nc;
}

double apex_ml_model_flops_train(const apex_ml_config *c)
{
    return 3 * apex_ml_model_flops_forward(c);
}
