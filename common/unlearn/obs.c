/* Float64 reference Group-OBS (UNLEARNING.md §2): per block and over a whole layer.
 *
 *   C_b = λ_b·I + G_bᵀG_b/(m·N),   δ = −C_b⁻¹E(EᵀC_b⁻¹E)⁻¹ w_S,   w_S := 0 exactly.
 * λ_b is relative by default: rel · mean(diag(G_bᵀG_b)/(m·N)), a fixed λ is an option.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/obs_internal.h"

void apex_obs_params_default(apex_obs_params *p)
{
    memset(p, 0, sizeof *p);
    p->block = APEX_OBS_DEFAULT_BLOCK;
    p->rel_damp = APEX_OBS_DEFAULT_REL_DAMP;
    p->lambda = 0.0;
    p->fisher_m = APEX_OBS_DEFAULT_FISHER_M;
    p->method = APEX_OBS_AUTO;
}

static int params_ok(const apex_obs_params *p)
{
    return p && p->block >= 1 && p->block <= APEX_OBS_MAX_BLOCK && p->fisher_m > 0.0 &&
           isfinite(p->fisher_m) && p->lambda >= 0.0 && isfinite(p->lambda) &&
           (p->lambda > 0.0 || (p->rel_damp > 0.0 && isfinite(p->rel_damp))) &&
           p->method >= APEX_OBS_AUTO && p->method <= APEX_OBS_DIRECT;
}

static int sel_ok(const uint32_t *sel, size_t ns, size_t nb)
{
    if (!sel || ns == 0 || ns > nb)
        return 0;
    for (size_t k = 0; k < ns; k++)
        if (sel[k] >= nb || (k > 0 && sel[k] <= sel[k - 1]))
            return 0;
    return 1;
}

/* Solve one block whose gradients are already in ws->g ([n][nb] double). */
static int block_solve(obs_ws *ws, const apex_obs_params *p, size_t nb, const double *w,
                       const uint32_t *sel, size_t ns, double *delta, double *lambda_out)
{
    double alpha = 1.0 / (p->fisher_m * (double)ws->n);
    double lambda = p->lambda;
    if (lambda == 0.0) {
        double md = obs_mean_diag(ws, nb) * alpha;
        lambda = md > 0.0 ? p->rel_damp * md : APEX_OBS_ZERO_GRAD_LAMBDA;
    }
    if (lambda_out)
        *lambda_out = lambda;
    int rc = obs_factor(ws, nb, lambda, alpha, p->method);
    if (rc != APEX_OK)
        return rc;
    for (size_t k = 0; k < ns; k++)
        ws->v[k] = w[sel[k]];
    rc = obs_constrained(ws, sel, ns, ws->v, delta);
    return rc;
}

static void load_block(obs_ws *ws, const float *g, size_t ldg, size_t nb)
{
    for (size_t i = 0; i < ws->n; i++)
        for (size_t j = 0; j < nb; j++)
            ws->g[i * nb + j] = (double)g[i * ldg + j];
}

int apex_obs_block(const apex_obs_params *p, const float *g, size_t n, size_t ldg, size_t nb,
                   const double *w, const uint32_t *sel, size_t ns, double *delta,
                   double *lambda_out)
{
    if (!params_ok(p) || !g || !w || !delta || nb == 0 || nb > APEX_OBS_MAX_BLOCK || ldg < nb ||
        !sel_ok(sel, ns, nb))
        return APEX_ERR_INVALID;
    obs_ws *ws = obs_ws_new(n, nb);
    if (!ws)
        return n == 0 || n > APEX_OBS_MAX_SAMPLES ? APEX_ERR_INVALID : APEX_ERR_NOMEM;
    load_block(ws, g, ldg, nb);
    int rc = block_solve(ws, p, nb, w, sel, ns, delta, lambda_out);
    obs_ws_free(&ws);
    return rc;
}

int apex_obs_layer(const apex_obs_params *p, const float *g, size_t n, size_t ldg, float *w,
                   size_t d, const uint64_t *mask, size_t nmask, size_t *nblocks_done)
{
    if (nblocks_done)
        *nblocks_done = 0;
    if (!params_ok(p) || !g || !w || d == 0 || ldg < d || (nmask > 0 && !mask))
        return APEX_ERR_INVALID;
    for (size_t k = 0; k < nmask; k++)
        if (mask[k] >= d || (k > 0 && mask[k] <= mask[k - 1]))
            return APEX_ERR_INVALID;
    if (nmask == 0)
        return APEX_OK;
    size_t B = p->block;
    obs_ws *ws = obs_ws_new(n, B);
    double *wb = apex_calloc_n(B, sizeof *wb), *db = apex_calloc_n(B, sizeof *db);
    uint32_t *sel = apex_calloc_n(B, sizeof *sel);
    int rc = APEX_OK;
    if (!ws || !wb || !db || !sel) {
        rc = n == 0 || n > APEX_OBS_MAX_SAMPLES ? APEX_ERR_INVALID : APEX_ERR_NOMEM;
        goto out;
    }
    size_t done = 0;
    for (size_t k = 0; k < nmask;) {
        size_t blk = (size_t)(mask[k] / B), start = blk * B;
        size_t nb = d - start < B ? d - start : B, ns = 0;
        while (k < nmask && mask[k] < start + nb)
            sel[ns++] = (uint32_t)(mask[k++] - start);
        load_block(ws, g + start, ldg, nb);
        for (size_t j = 0; j < nb; j++)
            wb[j] = (double)w[start + j];
        rc = block_solve(ws, p, nb, wb, sel, ns, db, NULL);
        if (rc != APEX_OK) {
            LOG_ERROR("obs: block %zu (weights %zu..%zu) failed: %s", blk, start, start + nb - 1,
                      apex_strerror(rc));
            goto out;
        }
        for (size_t j = 0; j < nb; j++)
            w[start + j] = (float)(wb[j] + db[j]);
        for (size_t s = 0; s < ns; s++)
            w[start + sel[s]] = 0.0f;
        done++;
    }
    if (nblocks_done)
        *nblocks_done = done;
out:
    obs_ws_free(&ws);
    free(wb);
    free(db);
    free(sel);
    return rc;
}
