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
    p->threads = 1;
}

static int params_ok(const apex_obs_params *p)
{
    return p && p->block >= 1 && p->block <= APEX_OBS_MAX_BLOCK && p->fisher_m > 0.0 &&
           isfinite(p->fisher_m) && p->lambda >= 0.0 && isfinite(p->lambda) &&
           (p->lambda > 0.0 || (p->rel_damp > 0.0 && isfinite(p->rel_damp))) &&
           p->method >= APEX_OBS_AUTO && p->method <= APEX_OBS_DIRECT && p->threads >= 1 &&
           p->threads <= APEX_OBS_MAX_THREADS;
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
    int rc = apex_obs_factor(ws, nb, p->lambda, alpha, p->method, p->rel_damp);
    if (lambda_out)
        *lambda_out = ws->lambda;
    if (rc != APEX_OK)
        return rc;
    for (size_t k = 0; k < ns; k++)
        ws->v[k] = w[sel[k]];
    rc = apex_obs_constrained(ws, sel, ns, ws->v, delta);
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
    obs_ws *ws = apex_obs_ws_new(n, nb);
    if (!ws)
        return n == 0 || n > APEX_OBS_MAX_SAMPLES ? APEX_ERR_INVALID : APEX_ERR_NOMEM;
    load_block(ws, g, ldg, nb);
    int rc = block_solve(ws, p, nb, w, sel, ns, delta, lambda_out);
    apex_obs_ws_free(&ws);
    return rc;
}

/* Per-worker buffers of the float layer driver. */
typedef struct layer_worker {
    obs_ws *ws;    /* factorization scratch */
    double *wb;    /* [B] the block's weights in double */
    double *db;    /* [B] its δ */
    uint32_t *sel; /* [B] its masked local indices */
} layer_worker;

/* Everything one float layer run shares with its workers. */
typedef struct layer_ctx {
    const apex_obs_params *p; /* parameters */
    const float *g;           /* [n][ldg] gradients */
    size_t ldg;               /* row stride of g */
    float *w;                 /* [d] weights, updated in place (disjoint blocks) */
    const uint64_t *mask;     /* sorted mask */
    const obs_job *jobs;      /* masked blocks */
    layer_worker *wk;         /* [threads] worker buffers */
} layer_ctx;

static int layer_job(void *ctxp, unsigned worker, size_t j)
{
    layer_ctx *c = ctxp;
    layer_worker *wk = &c->wk[worker];
    const obs_job *jb = &c->jobs[j];
    size_t ns = jb->k1 - jb->k0, nb = jb->nb, start = jb->start;
    for (size_t k = 0; k < ns; k++)
        wk->sel[k] = (uint32_t)(c->mask[jb->k0 + k] - start);
    load_block(wk->ws, c->g + start, c->ldg, nb);
    for (size_t i = 0; i < nb; i++)
        wk->wb[i] = (double)c->w[start + i];
    int rc = block_solve(wk->ws, c->p, nb, wk->wb, wk->sel, ns, wk->db, NULL);
    if (rc != APEX_OK) {
        LOG_ERROR("obs: block %zu (weights %zu..%zu) failed: %s", jb->block, start, start + nb - 1,
                  apex_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < nb; i++)
        c->w[start + i] = (float)(wk->wb[i] + wk->db[i]);
    for (size_t k = 0; k < ns; k++)
        c->w[start + wk->sel[k]] = 0.0f;
    return APEX_OK;
}

int apex_obs_layer(const apex_obs_params *p, const float *g, size_t n, size_t ldg, float *w,
                   size_t d, const uint64_t *mask, size_t nmask, size_t *nblocks_done)
{
    if (nblocks_done)
        *nblocks_done = 0;
    if (!params_ok(p) || !g || !w || d == 0 || ldg < d || (nmask > 0 && !mask) || n == 0 ||
        n > APEX_OBS_MAX_SAMPLES)
        return APEX_ERR_INVALID;
    obs_job *jobs = NULL;
    size_t njobs = 0, first_fail = 0;
    int rc = apex_obs_jobs_build(mask, nmask, d, p->block, &jobs, &njobs);
    if (rc != APEX_OK || njobs == 0) {
        free(jobs);
        return rc;
    }
    unsigned nt = p->threads < njobs ? p->threads : (unsigned)njobs;
    layer_worker *wk = apex_calloc_n(nt, sizeof *wk);
    layer_ctx c = {p, g, ldg, w, mask, jobs, wk};
    for (unsigned t = 0; wk && t < nt; t++) {
        wk[t].ws = apex_obs_ws_new(n, p->block);
        wk[t].wb = apex_calloc_n(p->block, sizeof(double));
        wk[t].db = apex_calloc_n(p->block, sizeof(double));
        wk[t].sel = apex_calloc_n(p->block, sizeof(uint32_t));
        if (!wk[t].ws || !wk[t].wb || !wk[t].db || !wk[t].sel)
            rc = APEX_ERR_NOMEM;
    }
    if (!wk)
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_obs_jobs_run(njobs, nt, layer_job, &c, &first_fail);
    if (nblocks_done)
        *nblocks_done = first_fail;
    for (unsigned t = 0; wk && t < nt; t++) {
        apex_obs_ws_free(&wk[t].ws);
        free(wk[t].wb);
        free(wk[t].db);
        free(wk[t].sel);
    }
    free(wk);
    free(jobs);
    return rc;
}
