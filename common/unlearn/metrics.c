/* Evaluation helpers of UNLEARNING.md §4–5: per-sample losses, the loss-threshold
 * membership-inference AUC, and the gradient-ascent baseline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/saliency.h"

#define LOSS_CHUNK 256 /* images per forward call */

int apex_unl_losses(apex_ml_model *m, const apex_ml_dataset *d, float *loss)
{
    if (!m || !d || !loss)
        return APEX_ERR_INVALID;
    int nc = (int)m->cfg.n_classes;
    float *lg = apex_calloc_n((size_t)LOSS_CHUNK * (size_t)nc, sizeof *lg);
    if (!lg)
        return APEX_ERR_NOMEM;
    int rc = APEX_OK;
    for (int i0 = 0; rc == APEX_OK && i0 < d->n; i0 += LOSS_CHUNK) {
        int c = d->n - i0 < LOSS_CHUNK ? d->n - i0 : LOSS_CHUNK;
        rc = apex_ml_model_forward(m, d->x + (size_t)i0 * (size_t)d->dim, c, lg);
        for (int i = 0; rc == APEX_OK && i < c; i++) {
            const float *z = lg + (size_t)i * (size_t)nc;
            double mx = z[0], s = 0;
            for (int k = 1; k < nc; k++)
                mx = z[k] > mx ? z[k] : mx;
            for (int k = 0; k < nc; k++)
                s += exp((double)z[k] - mx);
            loss[i0 + i] = (float)(mx + log(s) - z[d->y[i0 + i]]);
        }
    }
    free(lg);
    return rc;
}

/* One score with its side (1 = member). */
typedef struct scored {
    float s; /* loss */
    int mem; /* 1 member, 0 non-member */
} scored;

static int cmp_scored(const void *a, const void *b)
{
    float x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

int apex_unl_auc(const float *mem, int n1, const float *non, int n0, double *auc)
{
    if (!mem || !non || n1 < 1 || n0 < 1 || !auc)
        return APEX_ERR_INVALID;
    scored *v = apex_calloc_n((size_t)n1 + (size_t)n0, sizeof *v);
    if (!v)
        return APEX_ERR_NOMEM;
    for (int i = 0; i < n1; i++)
        v[i] = (scored){mem[i], 1};
    for (int i = 0; i < n0; i++)
        v[n1 + i] = (scored){non[i], 0};
    int n = n1 + n0;
    qsort(v, (size_t)n, sizeof *v, cmp_scored);
    /* AUC = P(loss_non > loss_mem) + ½·P(tie): the attacker calls low losses members */
    double wins = 0;
    int mem_below = 0;
    for (int i = 0; i < n;) {
        int j = i, m1 = 0, m0 = 0;
        while (j < n && v[j].s == v[i].s)
            (v[j].mem ? m1++ : m0++), j++;
        wins += (double)m0 * mem_below + 0.5 * (double)m0 * m1;
        mem_below += m1;
        i = j;
    }
    free(v);
    *auc = wins / ((double)n1 * (double)n0);
    return APEX_OK;
}

int apex_unl_mia_auc(apex_ml_model *m, const apex_ml_dataset *members,
                     const apex_ml_dataset *nonmembers, double *auc)
{
    if (!m || !members || !nonmembers || !auc)
        return APEX_ERR_INVALID;
    float *a = apex_calloc_n((size_t)members->n, sizeof *a);
    float *b = apex_calloc_n((size_t)nonmembers->n, sizeof *b);
    int rc = (a && b) ? APEX_OK : APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_unl_losses(m, members, a);
    if (rc == APEX_OK)
        rc = apex_unl_losses(m, nonmembers, b);
    if (rc == APEX_OK)
        rc = apex_unl_auc(a, members->n, b, nonmembers->n, auc);
    free(a);
    free(b);
    return rc;
}

int apex_unl_grad_ascent(apex_ml_model *m, const apex_ml_dataset *df, double lr, int batch,
                         uint64_t seed)
{
    if (!m || !df || df->n < 1 || !(lr > 0) || batch < 1)
        return APEX_ERR_INVALID;
    int *perm = apex_calloc_n((size_t)df->n, sizeof *perm);
    float *x = apex_calloc_n((size_t)batch * (size_t)df->dim, sizeof *x);
    uint8_t *y = apex_calloc_n((size_t)batch, 1);
    int rc = (perm && x && y) ? APEX_OK : APEX_ERR_NOMEM;
    apex_rng r;
    apex_rng_seed(&r, seed);
    for (int i = 0; i < df->n; i++)
        perm[i] = i;
    for (int i = df->n - 1; rc == APEX_OK && i > 0; i--) {
        int j = (int)apex_rng_below(&r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int i0 = 0; rc == APEX_OK && i0 < df->n; i0 += batch) {
        int c = df->n - i0 < batch ? df->n - i0 : batch;
        for (int i = 0; i < c; i++) {
            memcpy(x + (size_t)i * df->dim, df->x + (size_t)perm[i0 + i] * df->dim,
                   sizeof(float) * (size_t)df->dim);
            y[i] = df->y[perm[i0 + i]];
        }
        rc = apex_ml_model_step_grads(m, x, y, c, NULL, NULL);
        for (size_t k = 0; rc == APEX_OK && k < m->n_params; k++)
            m->params[k] += (float)lr * m->grads[k]; /* ascent on the forget loss */
    }
    m->frac_bits = 0; /* off the fixed-point grid now */
    free(perm);
    free(x);
    free(y);
    return rc;
}
