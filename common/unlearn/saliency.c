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
    p->unit = APEX_SAL_UNIT_WEIGHT;
}

int apex_sal_unit_parse(const char *s)
{
    if (s && strcmp(s, "weight") == 0)
        return APEX_SAL_UNIT_WEIGHT;
    if (s && strcmp(s, "row") == 0)
        return APEX_SAL_UNIT_ROW;
    return -1;
}

const char *apex_sal_unit_name(int unit)
{
    return unit == APEX_SAL_UNIT_WEIGHT ? "weight" : unit == APEX_SAL_UNIT_ROW ? "row" : "?";
}

unsigned apex_sal_targets_parse(const char *s)
{
    if (!s)
        return 0;
    if (strcmp(s, "fc1") == 0)
        return APEX_ML_TARGET_FC1;
    if (strcmp(s, "fc2") == 0)
        return APEX_ML_TARGET_FC2;
    if (strcmp(s, "fc1,fc2") == 0 || strcmp(s, "fc2,fc1") == 0)
        return APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2;
    return 0;
}

unsigned apex_sal_targets_of_mask(const apex_mask *mask)
{
    unsigned set = 0;
    for (size_t i = 0; mask && i < mask->nlayers; i++) {
        const char *nm = mask->layers[i].name;
        size_t len = strlen(nm);
        if (len >= 10 && strcmp(nm + len - 10, "fc1.weight") == 0)
            set |= APEX_ML_TARGET_FC1;
        else if (len >= 10 && strcmp(nm + len - 10, "fc2.weight") == 0)
            set |= APEX_ML_TARGET_FC2;
        else
            return 0;
    }
    return set;
}

static int params_ok(const apex_sal_params *p)
{
    return p && p->n_f >= 1 && p->n_m >= 1 && p->lambda_m >= 0.0 && isfinite(p->lambda_m) &&
           isfinite(p->h) && p->rho > 0.0 && isfinite(p->rho) && p->density > 0.0 &&
           p->density <= 1.0 && (p->unit == APEX_SAL_UNIT_WEIGHT || p->unit == APEX_SAL_UNIT_ROW);
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
    float *buf[APEX_ML_MAX_TARGETS] = {0};
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

/* score_f (and score_r when retain-normalized) over target space into *sf, *sr (malloc'd). */
static int sal_scores(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                      const apex_sal_params *p, double **sf, double **sr)
{
    *sf = *sr = NULL;
    if (!m || !df || !params_ok(p) || (p->retain_norm && !dr))
        return APEX_ERR_INVALID;
    size_t n = apex_sal_target_size(m);
    *sf = apex_calloc_n(n, sizeof **sf);
    int rc = *sf ? apex_sal_score(m, df, p, *sf) : APEX_ERR_NOMEM;
    if (rc == APEX_OK && p->retain_norm) {
        *sr = apex_calloc_n(n, sizeof **sr);
        rc = *sr ? apex_sal_score(m, dr, p, *sr) : APEX_ERR_NOMEM;
    }
    return rc;
}

/* S (or U) from summed forget / retain scores; NaN refused (what names the index kind). */
static int sal_ratio(const apex_sal_params *p, double f, double r, const char *what, size_t k,
                     float *out)
{
    double s = p->retain_norm ? f / (p->rho * r + APEX_SAL_EPS) : -f;
    *out = (float)s;
    if (isnan(s)) {
        LOG_WARN("saliency: NaN score at %s %zu", what, k);
        return APEX_ERR_RANGE;
    }
    return APEX_OK;
}

int apex_sal_compute(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                     const apex_sal_params *p, float *S)
{
    if (!S)
        return APEX_ERR_INVALID;
    double *sf, *sr;
    int rc = sal_scores(m, df, dr, p, &sf, &sr);
    size_t n = rc == APEX_OK ? apex_sal_target_size(m) : 0;
    for (size_t k = 0; rc == APEX_OK && k < n; k++)
        rc = sal_ratio(p, sf[k], sr ? sr[k] : 0.0, "target index", k, &S[k]);
    free(sf);
    free(sr);
    return rc;
}

/* Rows over every target (the row-unit space size). */
static size_t sal_rows(const apex_ml_model *m)
{
    size_t r = 0;
    for (int t = 0; t < m->n_targets; t++)
        r += (size_t)m->targets[t].rows;
    return r;
}

int apex_sal_compute_rows(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                          const apex_sal_params *p, float *U)
{
    if (!U)
        return APEX_ERR_INVALID;
    double *sf, *sr;
    int rc = sal_scores(m, df, dr, p, &sf, &sr);
    size_t k = 0, row = 0;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
        size_t cols = (size_t)m->targets[t].cols;
        for (int i = 0; rc == APEX_OK && i < m->targets[t].rows; i++, row++) {
            double f = 0.0, r = 0.0;
            for (size_t j = 0; j < cols; j++, k++) {
                f += sf[k];
                r += sr ? sr[k] : 0.0;
            }
            rc = sal_ratio(p, f, r, "row", row, &U[row]);
        }
    }
    free(sf);
    free(sr);
    return rc;
}

/* Top-k rows of U -> every target-space index of those rows, sorted (*idx malloc'd). */
static int rows_to_indices(const apex_ml_model *m, const float *U, double density, uint64_t **idx,
                           size_t *count)
{
    uint64_t *rows = NULL;
    size_t nr = 0, total = 0;
    int rc = apex_mask_from_scores(U, sal_rows(m), density, &rows, &nr);
    for (size_t j = 0; rc == APEX_OK && j < nr; j++) {
        size_t row = rows[j];
        for (int t = 0; t < m->n_targets; t++) {
            if (row < (size_t)m->targets[t].rows) {
                total += (size_t)m->targets[t].cols;
                break;
            }
            row -= (size_t)m->targets[t].rows;
        }
    }
    uint64_t *out = rc == APEX_OK ? apex_calloc_n(total ? total : 1, sizeof *out) : NULL;
    if (rc == APEX_OK && !out)
        rc = APEX_ERR_NOMEM;
    size_t c = 0;
    for (size_t j = 0; rc == APEX_OK && j < nr; j++) {
        size_t row = rows[j], base = 0; /* base: target-space start of the row's target */
        int t = 0;
        while (row >= (size_t)m->targets[t].rows) {
            row -= (size_t)m->targets[t].rows;
            base += (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
            t++;
        }
        size_t cols = (size_t)m->targets[t].cols;
        for (size_t q = 0; q < cols; q++)
            out[c++] = base + row * cols + q;
    }
    free(rows);
    if (rc != APEX_OK) {
        free(out);
        return rc;
    }
    *idx = out;
    *count = c;
    return APEX_OK;
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
    if (!m || !out || m->n_targets < 1 || m->n_targets > APEX_ML_MAX_TARGETS)
        return APEX_ERR_INVALID;
    *out = NULL;
    int rows = p && p->unit == APEX_SAL_UNIT_ROW;
    size_t n = rows ? sal_rows(m) : apex_sal_target_size(m), count = 0;
    float *S = apex_calloc_n(n, sizeof *S);
    uint64_t *idx = NULL;
    apex_mask_layer layers[APEX_ML_MAX_TARGETS];
    uint8_t id[APEX_SHA256_LEN];
    char why[APEX_MASK_WHY_LEN] = "";
    int rc = !S     ? APEX_ERR_NOMEM
             : rows ? apex_sal_compute_rows(m, df, dr, p, S)
                    : apex_sal_compute(m, df, dr, p, S);
    if (rc == APEX_OK)
        rc = rows ? rows_to_indices(m, S, p->density, &idx, &count)
                  : apex_mask_from_scores(S, n, p->density, &idx, &count);
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
