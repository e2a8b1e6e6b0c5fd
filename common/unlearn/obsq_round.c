/* Sequential (OBQ / GPTQ-style, equivalently Babai nearest-plane) rounding of the free
 * coordinates K of one block, the fallback when naive rounding misses τ.
 *
 * With δ_S fixed, the objective over δ_K is ½(δ_K − x_K)ᵀĤ_KK(δ_K − x_K) + const. Round one
 * coordinate q at a time and move the still-free coordinates F to their optimum given the
 * rounded ones: δ_F −= ε_q·[Ĥ_F⁻¹]_{F,q}/[Ĥ_F⁻¹]_{qq}. With the upper Cholesky factor
 * Ĥ_KK⁻¹ = UᵀU (rows in processing order), row q of U gives exactly that update:
 * δ_F −= (ε_q/U_qq)·U_{q,F}. Each coordinate's residual is then set by its Schur complement
 * given the later ones, which is about Λ̃ while more than N coordinates remain; coordinates
 * are processed by decreasing Ĥ_jj so that the last (least correctable) ones are the cheapest.
 * Cost O(|K|³) per block: a fallback, not the default.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/obs_internal.h"

/* Sort key: larger diagonal first, then lower index. */
typedef struct diag_key {
    double h;   /* Ĥ_jj */
    uint32_t j; /* local index in the block */
} diag_key;

static int cmp_key(const void *a, const void *b)
{
    const diag_key *x = a, *y = b;
    if (x->h != y->h)
        return x->h > y->h ? -1 : 1;
    return x->j < y->j ? -1 : x->j > y->j;
}

int apex_obsq_round_sequential(obs_ws *ws, size_t nb, double lambda, const uint32_t *sel, size_t ns,
                               const double *x, int32_t *out)
{
    size_t n = ws->n, nk = nb - ns;
    const double lim = ldexp(1.0, APEX_OBSQ_BW);
    for (size_t k = 0; k < ns; k++)
        out[sel[k]] = (int32_t)x[sel[k]];
    if (nk == 0)
        return APEX_OK;
    diag_key *key = apex_calloc_n(nk, sizeof *key);
    double *gk = apex_calloc_n(n * nk, sizeof *gk); /* [n][nk] G̃ columns in order */
    double *u = apex_calloc_n(nk * nk, sizeof *u);  /* [nk][nk] Ĥ_KK, then factors */
    double *xk = apex_calloc_n(nk, sizeof *xk);     /* [nk] working values */
    int rc = APEX_OK;
    if (!key || !gk || !u || !xk) {
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    for (size_t j = 0, k = 0, m = 0; j < nb; j++) {
        if (k < ns && sel[k] == j) {
            k++;
            continue;
        }
        double h = lambda;
        for (size_t i = 0; i < n; i++)
            h += ws->g[i * nb + j] * ws->g[i * nb + j];
        key[m].h = h;
        key[m++].j = (uint32_t)j;
    }
    qsort(key, nk, sizeof *key, cmp_key);
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < nk; m++)
            gk[i * nk + m] = ws->g[i * nb + key[m].j];
    int k_ = (int)nk;
    /* Ĥ_KK = λI + G_KᵀG_K (lower), then Ĥ_KK⁻¹ (lower), then its upper Cholesky factor. */
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, k_, (int)n, 1.0, gk, k_, 0.0, u, k_);
    for (size_t m = 0; m < nk; m++)
        u[m * nk + m] += lambda;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', k_, u, k_) != 0 ||
        LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', k_, u, k_) != 0) {
        rc = APEX_ERR_RANGE;
        goto out;
    }
    for (size_t a = 0; a < nk; a++)
        for (size_t b = a + 1; b < nk; b++)
            u[a * nk + b] = u[b * nk + a];
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', k_, u, k_) != 0) {
        rc = APEX_ERR_RANGE;
        goto out;
    }
    for (size_t m = 0; m < nk; m++)
        xk[m] = x[key[m].j];
    for (size_t q = 0; q < nk; q++) {
        double r = nearbyint(xk[q]);
        if (!(fabs(r) < lim)) {
            rc = APEX_ERR_RANGE;
            goto out;
        }
        double err = (xk[q] - r) / u[q * nk + q];
        for (size_t m = q + 1; m < nk; m++)
            xk[m] -= err * u[q * nk + m];
        out[key[q].j] = (int32_t)r;
    }
out:
    free(key);
    free(gk);
    free(u);
    free(xk);
    return rc;
}
