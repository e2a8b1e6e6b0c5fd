/* The provider's saliency mask on θ0 (UNLEARNING.md §1).
 *
 *   dW_k = mean over the first n_f samples of g_{n,k}
 *   F_k  = λ_m + Σ over the first n_m samples of g_{n,k}²
 *   score_k = dW_k·w_k − h'·F_k·w_k²,   h' = h·480/n_m
 *   S_k = score_f,k / (ρ·score_r,k + 1e−12)   (signed; no abs, no clamp)
 * then a global top-k over every targeted weight (apex_mask_from_scores).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/saliency.h"

void apex_sal_params_default(apex_sal_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_f = APEX_SAL_DEFAULT_NF;
    p->n_m = APEX_SAL_DEFAULT_NM;
    p->lambda_m = APEX_SAL_DEFAULT_LAMBDA;
    p->h = APEX_SAL_DEFAULT_H;
    p->rho = APEX_SAL_DEFAULT_RHO;
    p->density = APEX_SAL_DEFAULT_DENSITY;
    p->retain_norm = 1;
}

static int params_ok(const apex_sal_params *p)
{
    return p && p->n_f >= 1 && p->n_m >= 1 && p->lambda_m >= 0.0 && isfinite(p->lambda_m) &&
           isfinite(p->h) && p->rho > 0.0 && isfinite(p->rho) && p->density > 0.0 &&
           p->density <= 1.0;
}

size_t apex_sal_target_size(const apex_ml_model *m)
{
    size_t n = 0;
    for (int t = 0; t < m->n_targets; t++)
        n += (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
    return n;
}

int apex_sal_score(apex_ml_model *m, const apex_ml_dataset *d, const apex_sal_params *p,
                   double *score)
{
    if (!m || !d || !score || !params_ok(p) || d->n < 1 || m->n_targets < 1)
        return APEX_ERR_INVALID;
    size_t n = apex_sal_target_size(m);
    int nf = d->n < p->n_f ? d->n : p->n_f, nm = d->n < p->n_m ? d->n : p->n_m;
    int ns = nf > nm ? nf : nm;
    double *sum = apex_calloc_n(n, sizeof *sum), *sq = apex_calloc_n(n, sizeof *sq);
    float *buf[APEX_ML_MAX_DEPTH] = {0};
    int rc = (sum && sq) ? APEX_OK : APEX_ERR_NOMEM;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
        if (!(buf[t] = apex_calloc_n(APEX_SAL_CHUNK * sz, sizeof(float))))
            rc = APEX_ERR_NOMEM;
    }
    for (int i0 = 0; rc == APEX_OK && i0 < ns; i0 += APEX_SAL_CHUNK) {
        int c = ns - i0 < APEX_SAL_CHUNK ? ns - i0 : APEX_SAL_CHUNK;
        rc =
            apex_ml_model_persample_grads(m, d->x + (size_t)i0 * (size_t)d->dim, d->y + i0, c, buf);
        size_t base = 0;
        for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
            size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
            for (int i = 0; i < c; i++) {
                const float *g = buf[t] + (size_t)i * sz;
                int in_f = i0 + i < nf, in_m = i0 + i < nm;
                for (size_t k = 0; k < sz; k++) {
                    double v = g[k];
                    if (in_f)
                        sum[base + k] += v;
                    if (in_m)
                        sq[base + k] += v * v;
                }
            }
            base += sz;
        }
    }
    if (rc == APEX_OK) {
        double hh = p->h * (double)APEX_SAL_REF_NM / (double)nm;
        size_t base = 0;
        for (int t = 0; t < m->n_targets; t++) {
            size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
            const float *w = m->params + m->targets[t].offset;
            for (size_t k = 0; k < sz; k++) {
                double wk = w[k], dw = sum[base + k] / nf, f = p->lambda_m + sq[base + k];
                score[base + k] = dw * wk - hh * f * wk * wk;
            }
            base += sz;
        }
    }
    for (int t = 0; t < m->n_targets; t++)
        free(buf[t]);
    free(sum);
    free(sq);
    return rc;
}

int apex_sal_compute(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                     const apex_sal_params *p, float *S)
{
    if (!m || !df || !S || !params_ok(p) || (p->retain_norm && !dr))
        return APEX_ERR_INVALID;
    size_t n = apex_sal_target_size(m);
    double *sf = apex_calloc_n(n, sizeof *sf), *sr = NULL;
    int rc = sf ? apex_sal_score(m, df, p, sf) : APEX_ERR_NOMEM;
    if (rc == APEX_OK && p->retain_norm) {
        sr = apex_calloc_n(n, sizeof *sr);
        rc = sr ? apex_sal_score(m, dr, p, sr) : APEX_ERR_NOMEM;
    }
    for (size_t k = 0; rc == APEX_OK && k < n; k++) {
        double s = p->retain_norm ? sf[k] / (p->rho * sr[k] + APEX_SAL_EPS) : -sf[k];
        if (isnan(s)) {
            LOG_WARN("saliency: NaN score at target index %zu", k);
            rc = APEX_ERR_RANGE;
        }
        S[k] = (float)s;
    }
    free(sf);
    free(sr);
    return rc;
}

void apex_sal_layers(const apex_ml_model *m, apex_mask_layer *layers)
{
    for (int t = 0; t < m->n_targets; t++) {
        memset(&layers[t], 0, sizeof layers[t]);
        snprintf(layers[t].name, sizeof layers[t].name, "%s", m->targets[t].name);
        layers[t].offset = m->targets[t].offset;
        layers[t].rows = (uint64_t)m->targets[t].rows;
        layers[t].cols = (uint64_t)m->targets[t].cols;
    }
}

int apex_sal_model_id(const apex_ml_model *m, uint8_t id[APEX_SHA256_LEN])
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = apex_ml_model_encode(m, &buf, &len);
    if (rc == APEX_OK)
        rc = apex_sha256(buf, len, id);
    free(buf);
    return rc;
}

int apex_sal_mask(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                  const apex_sal_params *p, apex_mask **out)
{
    if (!m || !out || m->n_targets < 1 || m->n_targets > APEX_ML_MAX_DEPTH)
        return APEX_ERR_INVALID;
    *out = NULL;
    size_t n = apex_sal_target_size(m), count = 0;
    float *S = apex_calloc_n(n, sizeof *S);
    uint64_t *idx = NULL;
    apex_mask_layer layers[APEX_ML_MAX_DEPTH];
    uint8_t id[APEX_SHA256_LEN];
    char why[APEX_MASK_WHY_LEN] = "";
    int rc = S ? apex_sal_compute(m, df, dr, p, S) : APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_mask_from_scores(S, n, p->density, &idx, &count);
    if (rc == APEX_OK) {
        /* target space -> flat parameter indices; targets are in increasing offset order */
        size_t base = 0;
        int t = 0;
        for (size_t j = 0; j < count; j++) {
            while (idx[j] >= base + (size_t)m->targets[t].rows * (size_t)m->targets[t].cols) {
                base += (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
                t++;
            }
            idx[j] = m->targets[t].offset + (idx[j] - base);
        }
        apex_sal_layers(m, layers);
        rc = apex_sal_model_id(m, id);
    }
    if (rc == APEX_OK &&
        (rc = apex_mask_new(id, layers, (size_t)m->n_targets, idx, count, out, why)) != APEX_OK)
        LOG_WARN("saliency: mask rejected: %s", why);
    free(S);
    free(idx);
    return rc;
}
