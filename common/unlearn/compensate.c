/* Client-side Group-OBS compensation of a personalized model (UNLEARNING.md §2).
 *
 * G is every targeted matrix's per-sample gradient on the client's own data, taken at θ_p
 * before anything changes (PROOF.md: G is committed at registration, before any mask exists).
 * Quantized path: G̃ = per-block int8 max-scale quantization, w̃ = the model's fixed-point
 * integers (w = w̃·2^-f), δ̃ from apex_obsq_layer, w̃' = w̃ + δ̃ written back on the same grid.
 * Float path: apex_obs_layer on the float weights (reference and ablation).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/saliency.h"

#define WHY(...)                                                                                   \
    do {                                                                                           \
        if (why)                                                                                   \
            snprintf(why, APEX_MASK_WHY_LEN, __VA_ARGS__);                                         \
    } while (0)

/* The ML engine's fixed-point grid holds |w̃| < 2^21 (APEX_ML_FIXED_MAG_BITS). */
#define ML_GRID_LIMIT (INT64_C(1) << APEX_ML_FIXED_MAG_BITS)

void apex_unl_params_default(apex_unl_params *p)
{
    memset(p, 0, sizeof *p);
    p->quantized = 1;
    apex_obs_params_default(&p->obs);
    apex_obsq_params_default(&p->obsq);
    p->max_samples = 0;
}

int apex_unl_check_layers(const apex_ml_model *m, const apex_mask *mask, char *why)
{
    if (!m || !mask)
        return APEX_ERR_INVALID;
    if ((size_t)m->n_targets != mask->nlayers) {
        WHY("the mask has %zu targeted layers, the model (%s) has %d", mask->nlayers,
            apex_ml_config_name(&m->cfg), m->n_targets);
        return APEX_ERR_REJECTED;
    }
    for (int t = 0; t < m->n_targets; t++) {
        const apex_ml_tensor *a = &m->targets[t];
        const apex_mask_layer *b = &mask->layers[t];
        if (strcmp(a->name, b->name) != 0) {
            WHY("layer %d: mask has '%s', model has '%s'", t, b->name, a->name);
            return APEX_ERR_REJECTED;
        }
        if (a->offset != b->offset || (uint64_t)a->rows != b->rows ||
            (uint64_t)a->cols != b->cols) {
            WHY("layer %s: mask has offset %llu shape %llux%llu, model has offset %zu shape %dx%d",
                a->name, (unsigned long long)b->offset, (unsigned long long)b->rows,
                (unsigned long long)b->cols, a->offset, a->rows, a->cols);
            return APEX_ERR_REJECTED;
        }
    }
    return APEX_OK;
}

int apex_unl_mask_only(apex_ml_model *m, const apex_mask *mask, char *why)
{
    int rc = apex_unl_check_layers(m, mask, why);
    if (rc != APEX_OK)
        return rc;
    for (size_t j = 0; j < mask->count; j++)
        m->params[mask->idx[j]] = 0.0f; /* indices lie inside the checked layers */
    return APEX_OK;
}

/* Per-sample gradients on the first n samples: g[t] is [n][rows·cols]; only = −1 for every
 * target, else just that one. */
static int take_grads(apex_ml_model *m, const apex_ml_dataset *dp, size_t n, float **g, int only)
{
    for (size_t i0 = 0; i0 < n; i0 += APEX_SAL_CHUNK) {
        size_t c = n - i0 < APEX_SAL_CHUNK ? n - i0 : APEX_SAL_CHUNK;
        float *out[APEX_ML_MAX_TARGETS] = {0};
        for (int t = 0; t < m->n_targets; t++)
            if (only < 0 || t == only)
                out[t] = g[t] + i0 * (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
        int rc =
            apex_ml_model_persample_grads(m, dp->x + i0 * (size_t)dp->dim, dp->y + i0, (int)c, out);
        if (rc != APEX_OK)
            return rc;
    }
    return APEX_OK;
}

/* Quantized compensation of one layer (w: [d] float on the 2^-f grid, in place). */
static int layer_quantized(const apex_unl_params *p, const float *g, size_t n, float *w, size_t d,
                           int f, const uint64_t *local, size_t nl, apex_unl_report *rep,
                           const char *name, char *why)
{
    size_t B = p->obsq.block, nblk = (d + B - 1) / B, nst = 0;
    int8_t *gq = apex_calloc_n(nblk * n * B, 1);
    double *sc = apex_calloc_n(nblk, sizeof *sc);
    int32_t *wq = apex_calloc_n(d, sizeof *wq), *dq = apex_calloc_n(d, sizeof *dq);
    apex_obsq_block_stat *st = apex_calloc_n(nblk, sizeof *st);
    uint64_t failed = 0;
    int rc = (gq && sc && wq && dq && st) ? APEX_OK : APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_obsq_quantize(g, n, d, d, B, gq, sc);
    if (rc == APEX_OK && (rc = apex_obsq_weights_fixed(w, d, (unsigned)f, wq)) == APEX_OK) {
        for (size_t i = 0; i < d; i++)
            if (ldexpf((float)wq[i], -f) != w[i]) { /* the model must already be on its grid */
                WHY("layer %s: weight %zu is not on the 2^-%d grid", name, i, f);
                rc = APEX_ERR_FORMAT;
                break;
            }
    }
    if (rc == APEX_OK) {
        rc = apex_obsq_layer(&p->obsq, gq, n, d, wq, local, nl, dq, st, &nst, &failed);
        if (rc != APEX_OK)
            WHY("layer %s: quantized Group-OBS failed in block %llu (%s)", name,
                (unsigned long long)failed, apex_strerror(rc));
    }
    for (size_t i = 0; rc == APEX_OK && i < d; i++) {
        int64_t v = (int64_t)wq[i] + dq[i]; /* |v| < 2^23: apex_obsq_layer checks b_w */
        if (v <= -ML_GRID_LIMIT || v >= ML_GRID_LIMIT)
            rep->grid_overflow++;
    }
    if (rc == APEX_OK) {
        for (size_t i = 0; i < d; i++)
            w[i] = ldexpf((float)((int64_t)wq[i] + dq[i]), -f);
        for (size_t k = 0; k < nst; k++) {
            rep->sequential += st[k].sequential;
            if (st[k].max_rho > rep->max_rho)
                rep->max_rho = st[k].max_rho;
        }
        rep->blocks += nst;
    }
    free(gq);
    free(sc);
    free(wq);
    free(dq);
    free(st);
    return rc;
}

int apex_unl_compensate(apex_ml_model *m, const apex_mask *mask, const apex_ml_dataset *dp,
                        const apex_unl_params *p, apex_unl_report *rep_out, char *why)
{
    if (!m || !mask || !dp || !p || dp->n < 1 || m->n_targets > APEX_ML_MAX_TARGETS)
        return APEX_ERR_INVALID;
    int rc = apex_unl_check_layers(m, mask, why);
    if (rc != APEX_OK)
        return rc;
    size_t n = (size_t)dp->n;
    if (p->max_samples > 0 && (size_t)p->max_samples < n)
        n = (size_t)p->max_samples;
    if (n > APEX_OBS_MAX_SAMPLES) {
        WHY("%zu samples, at most %u", n, APEX_OBS_MAX_SAMPLES);
        return APEX_ERR_RANGE;
    }
    apex_unl_report rep;
    memset(&rep, 0, sizeof rep);
    rep.n = n;
    int f = 0;
    if (p->quantized) {
        f = m->frac_bits > 0 ? m->frac_bits : apex_ml_fixed_choose_bits(m);
        if (f <= 0 || (unsigned)f > APEX_OBSQ_MAX_FRAC_BITS)
            return APEX_ERR_RANGE;
        if (m->frac_bits != f && (rc = apex_ml_fixed_snap(m, f)) != APEX_OK)
            return rc;
        rep.frac_bits = f;
    }
    float *g[APEX_ML_MAX_TARGETS] = {0};
    size_t total = apex_sal_target_size(m);
    float *w0 = apex_calloc_n(total, sizeof *w0);
    rc = w0 ? APEX_OK : APEX_ERR_NOMEM;
    for (int t = 0, base = 0; rc == APEX_OK && t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
        memcpy(w0 + base, m->params + m->targets[t].offset, sz * sizeof *w0);
        base += (int)sz;
        if (!(g[t] = apex_calloc_n(n * sz, sizeof(float))))
            rc = APEX_ERR_NOMEM;
    }
    double t0 = apex_now_s();
    if (rc == APEX_OK && !p->sequential_layers)
        rc = take_grads(m, dp, n, g, -1);
    double t1 = apex_now_s(), tg = 0;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
        if (p->sequential_layers) {
            /* the authors' order: this layer's G at the model with earlier layers done */
            double ts = apex_now_s();
            if ((rc = take_grads(m, dp, n, g, t)) != APEX_OK)
                break;
            tg += apex_now_s() - ts;
        }
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols, nl = 0, nb = 0;
        uint64_t *local = NULL;
        float *w = m->params + m->targets[t].offset;
        if ((rc = apex_mask_layer_indices(mask, (size_t)t, &local, &nl)) != APEX_OK)
            break;
        rep.masked += nl;
        if (nl > 0) {
            if (p->quantized) {
                rc =
                    layer_quantized(p, g[t], n, w, sz, f, local, nl, &rep, m->targets[t].name, why);
            } else {
                rc = apex_obs_layer(&p->obs, g[t], n, sz, w, sz, local, nl, &nb);
                if (rc != APEX_OK)
                    WHY("layer %s: Group-OBS failed (%s)", m->targets[t].name, apex_strerror(rc));
                rep.blocks += nb;
            }
        }
        free(local);
    }
    if (rc == APEX_OK && p->quantized && rep.grid_overflow) {
        /* w̃' fits the proof's b_w = 24 but not the model file's 2^21 grid: keep the exact
         * weights w̃'·2^-f (exact in float32) and declare the file unsnapped */
        LOG_WARN("unlearn: %zu compensated weights exceed the model file's fixed-point "
                 "magnitude 2^%d; the output is saved unsnapped (frac_bits 0)",
                 rep.grid_overflow, APEX_ML_FIXED_MAG_BITS);
        m->frac_bits = 0;
    }
    if (rc == APEX_OK && !p->quantized && m->frac_bits > 0) {
        /* back on the model's grid (zeros stay zero); a weight past the grid's magnitude leaves
         * the float result unsnapped (export fails before changing anything) */
        if ((rc = apex_ml_fixed_snap(m, m->frac_bits)) == APEX_ERR_RANGE) {
            LOG_WARN("unlearn: compensated weights exceed the 2^-%d grid; saved unsnapped",
                     m->frac_bits);
            rep.grid_overflow = 1;
            m->frac_bits = 0;
            rc = APEX_OK;
        }
    }
    rep.seconds_grads = t1 - t0 + tg;
    rep.seconds_solve = apex_now_s() - t1 - tg;
    if (rc == APEX_OK) {
        /* L2 of the change off the mask: masked weights are exactly zero, excluded */
        double s = 0;
        size_t j = 0;
        for (int t = 0, base = 0; t < m->n_targets; t++) {
            size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
            const float *w = m->params + m->targets[t].offset;
            for (size_t k = 0; k < sz; k++) {
                uint64_t flat = m->targets[t].offset + k;
                while (j < mask->count && mask->idx[j] < flat)
                    j++;
                if (j < mask->count && mask->idx[j] == flat)
                    continue;
                double dlt = (double)w[k] - w0[base + k];
                s += dlt * dlt;
            }
            base += (int)sz;
        }
        rep.delta_l2 = sqrt(s);
    }
    for (int t = 0; t < m->n_targets; t++)
        free(g[t]);
    free(w0);
    if (rep_out)
        *rep_out = rep;
    return rc;
}

/* ================================================================ the provable statement */

static int stmt_layers_ok(const apex_ml_model *m, size_t B, size_t *d, char *why)
{
    *d = 0;
    for (int t = 0; t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
        if (B == 0 || sz % B != 0) {
            WHY("layer %s: %zu weights is not a multiple of the block size %zu", m->targets[t].name,
                sz, B);
            return APEX_ERR_INVALID;
        }
        *d += sz;
    }
    if (*d == 0) {
        WHY("the model has no targeted matrices");
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

int apex_unl_stmt_grads(apex_ml_model *m, const apex_ml_dataset *dp, size_t n, size_t np, size_t B,
                        int8_t **gq_out, size_t *d_out, char *why)
{
    *gq_out = NULL;
    size_t d;
    int rc = stmt_layers_ok(m, B, &d, why);
    if (rc != APEX_OK)
        return rc;
    if (n < 1 || n > np || (size_t)dp->n < n || np > APEX_OBS_MAX_SAMPLES ||
        m->n_targets > APEX_ML_MAX_DEPTH) {
        WHY("%zu samples requested (padded to %zu), the client has %d", n, np, dp->n);
        return APEX_ERR_INVALID;
    }
    float *g[APEX_ML_MAX_DEPTH] = {0};
    int8_t *gq = apex_calloc_n(d / B * np * B, 1), *tmp = NULL;
    double *sc = NULL;
    rc = gq ? APEX_OK : APEX_ERR_NOMEM;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++)
        if (!(g[t] = apex_calloc_n(n * (size_t)m->targets[t].rows * (size_t)m->targets[t].cols,
                                   sizeof(float))))
            rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = take_grads(m, dp, n, g, -1);
    size_t blk0 = 0;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols, nblk = sz / B;
        free(tmp);
        free(sc);
        tmp = apex_calloc_n(nblk * n * B, 1);
        sc = apex_calloc_n(nblk, sizeof *sc);
        if (!tmp || !sc) {
            rc = APEX_ERR_NOMEM;
            break;
        }
        if ((rc = apex_obsq_quantize(g[t], n, sz, sz, B, tmp, sc)) != APEX_OK)
            break;
        for (size_t b = 0; b < nblk; b++) /* rows n..np-1 stay zero */
            memcpy(gq + (blk0 + b) * np * B, tmp + b * n * B, n * B);
        blk0 += nblk;
    }
    for (int t = 0; t < m->n_targets; t++)
        free(g[t]);
    free(tmp);
    free(sc);
    if (rc != APEX_OK) {
        free(gq);
        return rc;
    }
    *gq_out = gq;
    *d_out = d;
    return APEX_OK;
}

int apex_unl_stmt_weights(const apex_ml_model *m, int f, int32_t *wq, char *why)
{
    size_t base = 0;
    for (int t = 0; t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols;
        const float *w = m->params + m->targets[t].offset;
        int rc = apex_obsq_weights_fixed(w, sz, (unsigned)f, wq + base);
        if (rc != APEX_OK) {
            WHY("layer %s: weights do not fit the 2^-%d fixed-point grid", m->targets[t].name, f);
            return rc;
        }
        for (size_t i = 0; i < sz; i++)
            if (ldexpf((float)wq[base + i], -f) != w[i]) {
                WHY("layer %s: weight %zu is not on the 2^-%d grid", m->targets[t].name, i, f);
                return APEX_ERR_FORMAT;
            }
        base += sz;
    }
    return APEX_OK;
}

int apex_unl_compensate_stmt(apex_ml_model *m, const apex_mask *mask, const int8_t *gq, size_t np,
                             const apex_obsq_params *op, int f, int32_t *wq1, apex_unl_report *rep,
                             char *why)
{
    size_t d, B = op->block;
    int rc = apex_unl_check_layers(m, mask, why);
    if (rc == APEX_OK)
        rc = stmt_layers_ok(m, B, &d, why);
    if (rc != APEX_OK)
        return rc;
    if ((rc = apex_unl_stmt_weights(m, f, wq1, why)) != APEX_OK)
        return rc;
    apex_unl_report r;
    memset(&r, 0, sizeof r);
    r.n = np;
    r.frac_bits = f;
    double t0 = apex_now_s();
    size_t base = 0;
    for (int t = 0; rc == APEX_OK && t < m->n_targets; t++) {
        size_t sz = (size_t)m->targets[t].rows * (size_t)m->targets[t].cols, nl = 0, nst = 0;
        uint64_t *local = NULL, failed = 0;
        if ((rc = apex_mask_layer_indices(mask, (size_t)t, &local, &nl)) != APEX_OK)
            break;
        r.masked += nl;
        int32_t *dq = nl ? apex_calloc_n(sz, sizeof *dq) : NULL;
        apex_obsq_block_stat *st = nl ? apex_calloc_n(sz / B, sizeof *st) : NULL;
        if (nl && (!dq || !st))
            rc = APEX_ERR_NOMEM;
        if (rc == APEX_OK && nl) {
            rc = apex_obsq_layer(op, gq + base / B * np * B, np, sz, wq1 + base, local, nl, dq, st,
                                 &nst, &failed);
            if (rc != APEX_OK)
                WHY("layer %s: quantized Group-OBS failed in block %llu (%s)", m->targets[t].name,
                    (unsigned long long)failed, apex_strerror(rc));
        }
        if (rc == APEX_OK && nl) {
            float *w = m->params + m->targets[t].offset;
            size_t j = 0;
            for (size_t i = 0; i < sz; i++) {
                int64_t v = (int64_t)wq1[base + i] + dq[i];
                while (j < nl && local[j] < i)
                    j++;
                if (j == nl || local[j] != i) /* off the mask */
                    r.delta_l2 += ldexp((double)dq[i], -f) * ldexp((double)dq[i], -f);
                if (v <= -ML_GRID_LIMIT || v >= ML_GRID_LIMIT)
                    r.grid_overflow++;
                wq1[base + i] = (int32_t)v; /* |v| < 2^23: apex_obsq_layer checks b_w */
                w[i] = ldexpf((float)v, -f);
            }
            for (size_t k = 0; k < nst; k++) {
                r.sequential += st[k].sequential;
                if (st[k].max_rho > r.max_rho)
                    r.max_rho = st[k].max_rho;
            }
            r.blocks += nst;
        }
        free(local);
        free(dq);
        free(st);
        base += sz;
    }
    if (rc == APEX_OK && r.grid_overflow)
        m->frac_bits = 0; /* as apex_unl_compensate: exact weights, file unsnapped */
    r.delta_l2 = sqrt(r.delta_l2);
    r.seconds_solve = apex_now_s() - t0;
    if (rep)
        *rep = r;
    return rc;
}
