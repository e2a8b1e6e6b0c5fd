/* Group-OBS linear algebra for one block (shared by the float and quantized paths).
 *
 * C = λI + αGᵀG with G: [n][nb]. Two ways to apply C⁻¹:
 *  - Woodbury (n < nb): C⁻¹ = (1/λ)(I − Gᵀ K⁻¹ G), K = (λ/α)I + GGᵀ ([n][n], dsyrk + dpotrf).
 *    For the float path λ/α = m·N·λ (UNLEARNING.md §2).
 *  - direct: Cholesky of C ([nb][nb], dsyrk + dpotrf).
 * The constrained step needs only C⁻¹E (E = the columns of I at S):
 *    Woodbury: Z = K⁻¹G_S, (C⁻¹)_SS = (1/λ)(I − G_SᵀZ), δ = −(1/λ)(Eμ − Gᵀ(Zμ));
 *    direct:   X = C⁻¹E,  (C⁻¹)_SS = X_S,               δ = −Xμ;
 * with μ = ((C⁻¹)_SS)⁻¹ w_S from an |S|×|S| Cholesky.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/obs_internal.h"

obs_ws *obs_ws_new(size_t n, size_t bmax)
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
        obs_ws_free(&ws);
    return ws;
}

void obs_ws_free(obs_ws **ws)
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

double obs_mean_diag(const obs_ws *ws, size_t nb)
{
    double s = 0.0;
    for (size_t i = 0; i < ws->n * nb; i++)
        s += ws->g[i] * ws->g[i];
    return s / (double)nb;
}

int obs_factor(obs_ws *ws, size_t nb, double lambda, double alpha, apex_obs_method method)
{
    if (nb == 0 || nb > ws->bmax || !(lambda > 0.0) || !(alpha > 0.0) || !isfinite(lambda))
        return APEX_ERR_INVALID;
    int n = (int)ws->n, b = (int)nb;
    ws->nb = nb;
    ws->lambda = lambda;
    ws->alpha = alpha;
    ws->woodbury = method == APEX_OBS_WOODBURY || (method == APEX_OBS_AUTO && ws->n < nb);
    lapack_int info;
    if (ws->woodbury) {
        /* K = (λ/α)I + GGᵀ, lower triangle */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, b, 1.0, ws->g, b, 0.0, ws->f, n);
        for (int i = 0; i < n; i++)
            ws->f[(size_t)i * n + i] += lambda / alpha;
        info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, ws->f, n);
    } else {
        /* C = λI + αGᵀG, lower triangle */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, b, n, alpha, ws->g, b, 0.0, ws->f, b);
        for (int i = 0; i < b; i++)
            ws->f[(size_t)i * b + i] += lambda;
        info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', b, ws->f, b);
    }
    return info == 0 ? APEX_OK : APEX_ERR_RANGE;
}

int obs_apply_inv(obs_ws *ws, const double *x, double *y)
{
    int n = (int)ws->n, b = (int)ws->nb;
    if (y != x)
        memcpy(y, x, ws->nb * sizeof *y);
    if (!ws->woodbury)
        return LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', b, 1, ws->f, b, y, 1) == 0 ? APEX_OK
                                                                                : APEX_ERR_INTERNAL;
    /* y = (1/λ)(x − Gᵀ K⁻¹ G x) */
    cblas_dgemv(CblasRowMajor, CblasNoTrans, n, b, 1.0, ws->g, b, y, 1, 0.0, ws->t, 1);
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, 1, ws->f, n, ws->t, 1) != 0)
        return APEX_ERR_INTERNAL;
    cblas_dgemv(CblasRowMajor, CblasTrans, n, b, -1.0, ws->g, b, ws->t, 1, 1.0, y, 1);
    cblas_dscal(b, 1.0 / ws->lambda, y, 1);
    return APEX_OK;
}

int obs_constrained(obs_ws *ws, const uint32_t *sel, size_t ns, const double *ws_val, double *delta)
{
    if (ns == 0 || ns > ws->nb)
        return APEX_ERR_INVALID;
    int n = (int)ws->n, b = (int)ws->nb, s = (int)ns;
    double inv_l = 1.0 / ws->lambda;
    if (ws->woodbury) {
        /* Z = K⁻¹ G_S : [n][ns] */
        for (int i = 0; i < n; i++)
            for (int k = 0; k < s; k++)
                ws->z[(size_t)i * s + k] = ws->g[(size_t)i * b + sel[k]];
        if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, s, ws->f, n, ws->z, s) != 0)
            return APEX_ERR_INTERNAL;
        /* Q = (1/λ)(I − G_SᵀZ): G_Sᵀ is gathered into q's lower part via t-free loop */
        for (int a = 0; a < s; a++)
            for (int c = 0; c <= a; c++) {
                double acc = 0.0;
                for (int i = 0; i < n; i++)
                    acc += ws->g[(size_t)i * b + sel[a]] * ws->z[(size_t)i * s + c];
                ws->q[(size_t)a * s + c] = ((a == c ? 1.0 : 0.0) - acc) * inv_l;
            }
    } else {
        /* X = C⁻¹E : [nb][ns] */
        memset(ws->z, 0, (size_t)b * s * sizeof(double));
        for (int k = 0; k < s; k++)
            ws->z[(size_t)sel[k] * s + k] = 1.0;
        if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', b, s, ws->f, b, ws->z, s) != 0)
            return APEX_ERR_INTERNAL;
        for (int a = 0; a < s; a++)
            for (int c = 0; c <= a; c++)
                ws->q[(size_t)a * s + c] = ws->z[(size_t)sel[a] * s + c];
    }
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', s, ws->q, s) != 0)
        return APEX_ERR_RANGE;
    memcpy(ws->mu, ws_val, ns * sizeof(double));
    if (LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', s, 1, ws->q, s, ws->mu, 1) != 0)
        return APEX_ERR_INTERNAL;
    if (ws->woodbury) {
        /* v = Zμ : [n]; δ = (1/λ)(Gᵀv − Eμ) */
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, s, 1.0, ws->z, s, ws->mu, 1, 0.0, ws->t, 1);
        cblas_dgemv(CblasRowMajor, CblasTrans, n, b, inv_l, ws->g, b, ws->t, 1, 0.0, delta, 1);
    } else {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, b, s, -1.0, ws->z, s, ws->mu, 1, 0.0, delta, 1);
    }
    for (int k = 0; k < s; k++)
        delta[sel[k]] = -ws_val[k];
    return APEX_OK;
}
