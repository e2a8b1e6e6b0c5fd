/* Group-OBS linear algebra for one block (shared by the float and quantized paths).
 *
 * C = λI + αGᵀG with G: [n][nb]. Two ways to apply C⁻¹:
 *  - Woodbury (n < nb): C⁻¹ = (1/λ)(I − Gᵀ K⁻¹ G), K = (λ/α)I + GGᵀ = UᵀU ([n][n], dsyrk +
 *    dpotrf).
 *    For the float path λ/α = m·N·λ (UNLEARNING.md §2).
 *  - direct: Cholesky of C ([nb][nb], dsyrk + dpotrf).
 * The constrained step needs only C⁻¹E (E = the columns of I at S):
 *    Woodbury: Y = U⁻ᵀG_S (dtrsm), (C⁻¹)_SS = (1/λ)(I − YᵀY) (dsyrk),
 *              δ = −(1/λ)(Eμ − GᵀK⁻¹(G_Sμ));
 *    direct:   X = C⁻¹E,  (C⁻¹)_SS = X_S,               δ = −Xμ;
 * with μ = ((C⁻¹)_SS)⁻¹ w_S from an |S|×|S| Cholesky.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/obs_internal.h"

obs_ws *apex_obs_ws_new(size_t n, size_t bmax)
{
    if (n == 0 || n > APEX_OBS_MAX_SAMPLES || bmax == 0 || bmax > APEX_OBS_MAX_BLOCK)
        return NULL;
    obs_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    size_t big = n > bmax ? n : bmax;
    ws->n = n;
    ws->bmax = bmax;
    ws->g = apex_calloc_n(n * bmax, sizeof(double));
    ws->f = apex_calloc_n(big * big, sizeof(double));
    ws->z = apex_calloc_n(big * bmax, sizeof(double));
    ws->q = apex_calloc_n(bmax * bmax, sizeof(double));
    ws->mu = apex_calloc_n(bmax, sizeof(double));
    ws->t = apex_calloc_n(big, sizeof(double));
    ws->v = apex_calloc_n(bmax, sizeof(double));
    if (!ws->g || !ws->f || !ws->z || !ws->q || !ws->mu || !ws->t || !ws->v)
        apex_obs_ws_free(&ws);
    return ws;
}

void apex_obs_ws_free(obs_ws **ws)
{
    if (!ws || !*ws)
        return;
    free((*ws)->g);
    free((*ws)->f);
    free((*ws)->z);
    free((*ws)->q);
    free((*ws)->mu);
    free((*ws)->t);
    free((*ws)->v);
    free(*ws);
    *ws = NULL;
}

/* LAPACK calls use the column-major `_work` entry points on our row-major buffers: a
 * row-major lower triangle is a column-major upper one, and right-hand sides are stored one
 * per row ([nrhs][dim] row-major = [dim][nrhs] column-major). That avoids the transposes and
 * NaN scans of the row-major LAPACKE wrappers; non-finite results are caught at the end. */
static int chol(double *a, size_t dim)
{
    return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)dim, a, (lapack_int)dim) == 0
               ? APEX_OK
               : APEX_ERR_RANGE;
}

static int chol_solve(const double *f, size_t dim, double *b, size_t nrhs)
{
    return LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', (lapack_int)dim, (lapack_int)nrhs, f,
                               (lapack_int)dim, b, (lapack_int)dim) == 0
               ? APEX_OK
               : APEX_ERR_INTERNAL;
}

int apex_obs_factor(obs_ws *ws, size_t nb, double lambda, double alpha, apex_obs_method method,
                    double rel)
{
    if (nb == 0 || nb > ws->bmax || !(lambda >= 0.0) || !(alpha > 0.0) || !isfinite(lambda) ||
        (lambda == 0.0 && !(rel > 0.0)))
        return APEX_ERR_INVALID;
    int n = (int)ws->n, b = (int)nb;
    ws->nb = nb;
    ws->alpha = alpha;
    ws->woodbury = method == APEX_OBS_WOODBURY || (method == APEX_OBS_AUTO && ws->n < nb);
    size_t dim = ws->woodbury ? ws->n : nb;
    if (ws->woodbury) /* K = GGᵀ (lower), (λ/α)I added below */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, b, 1.0, ws->g, b, 0.0, ws->f, n);
    else /* C = αGᵀG (lower), λI added below */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, b, n, alpha, ws->g, b, 0.0, ws->f, b);
    if (lambda == 0.0) {
        /* relative damping: mean(diag(αGᵀG)) = α·trace(GGᵀ)/nb = trace(C − λI)/nb */
        double tr = 0.0;
        for (size_t i = 0; i < dim; i++)
            tr += ws->f[i * dim + i];
        double md = (ws->woodbury ? alpha * tr : tr) / (double)nb;
        lambda = md > 0.0 ? rel * md : APEX_OBS_ZERO_GRAD_LAMBDA;
    }
    ws->lambda = lambda;
    double add = ws->woodbury ? lambda / alpha : lambda;
    for (size_t i = 0; i < dim; i++)
        ws->f[i * dim + i] += add;
    return chol(ws->f, dim);
}

int apex_obs_apply_inv(obs_ws *ws, const double *x, double *y)
{
    int n = (int)ws->n, b = (int)ws->nb;
    if (y != x)
        memcpy(y, x, ws->nb * sizeof *y);
    if (!ws->woodbury)
        return chol_solve(ws->f, ws->nb, y, 1);
    /* y = (1/λ)(x − Gᵀ K⁻¹ G x) */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, b, 1.0, ws->g, b, y, 1, 0.0, ws->t, 1);
    int rc = chol_solve(ws->f, ws->n, ws->t, 1);
    if (rc != APEX_OK)
        return rc;
    cblas_dgemv(CblasRowMajor, CblasTrans, n, b, -1.0, ws->g, b, ws->t, 1, 1.0, y, 1);
    cblas_dscal(b, 1.0 / ws->lambda, y, 1);
    return APEX_OK;
}

int apex_obs_constrained(obs_ws *ws, const uint32_t *sel, size_t ns, const double *ws_val,
                         double *delta)
{
    if (ns == 0 || ns > ws->nb)
        return APEX_ERR_INVALID;
    size_t n = ws->n, b = ws->nb;
    double inv_l = 1.0 / ws->lambda;
    int rc;
    if (ws->woodbury) {
        /* Yᵀ = (U⁻ᵀG_S)ᵀ : [ns][n] with K = UᵀU, so G_SᵀK⁻¹G_S = YᵀY */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < ns; k++)
                ws->z[k * n + i] = ws->g[i * b + sel[k]];
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, (int)n, (int)ns,
                    1.0, ws->f, (int)n, ws->z, (int)n);
        /* Q = (1/λ)(I − YᵀY): column-major upper = row-major lower */
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)ns, (int)n, -inv_l, ws->z, (int)n,
                    0.0, ws->q, (int)ns);
        for (size_t a = 0; a < ns; a++)
            ws->q[a * ns + a] += inv_l;
    } else {
        /* Xᵀ = (C⁻¹E)ᵀ : [ns][nb] */
        memset(ws->z, 0, ns * b * sizeof(double));
        for (size_t k = 0; k < ns; k++)
            ws->z[k * b + sel[k]] = 1.0;
        if ((rc = chol_solve(ws->f, b, ws->z, ns)) != APEX_OK)
            return rc;
        for (size_t a = 0; a < ns; a++)
            for (size_t c = 0; c <= a; c++)
                ws->q[a * ns + c] = ws->z[c * b + sel[a]];
    }
    if ((rc = chol(ws->q, ns)) != APEX_OK)
        return rc;
    memcpy(ws->mu, ws_val, ns * sizeof(double));
    if ((rc = chol_solve(ws->q, ns, ws->mu, 1)) != APEX_OK)
        return rc;
    if (ws->woodbury) {
        /* t = K⁻¹(G_S μ) : [n]; δ = (1/λ)(Gᵀt − Eμ) (the E part is overwritten below) */
        for (size_t i = 0; i < n; i++) {
            double acc = 0.0;
            for (size_t k = 0; k < ns; k++)
                acc += ws->g[i * b + sel[k]] * ws->mu[k];
            ws->t[i] = acc;
        }
        if ((rc = chol_solve(ws->f, n, ws->t, 1)) != APEX_OK)
            return rc;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)b, inv_l, ws->g, (int)b, ws->t, 1, 0.0,
                    delta, 1);
    } else {
        /* δ = −Xμ */
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)ns, (int)b, -1.0, ws->z, (int)b, ws->mu, 1, 0.0,
                    delta, 1);
    }
    for (size_t j = 0; j < b; j++)
        if (!isfinite(delta[j]))
            return APEX_ERR_RANGE;
    for (size_t k = 0; k < ns; k++)
        delta[sel[k]] = -ws_val[k];
    return APEX_OK;
}
