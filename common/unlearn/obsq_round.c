/* Sequential (OBQ / GPTQ-style, equivalently Babai nearest-plane) rounding of the free
 * coordinates K of one block, the fallback when naive rounding misses τ.
 *
 * With δ_S fixed, the objective over δ_K is (δ_K − x_K)ᵀĤ_KK(δ_K − x_K) + const. Round one
 * coordinate at a time and let the still-free ones take their optimum given the rounded
 * ones (OBQ). With the coordinates ordered so that the first one processed is the last
 * index, and Ĥ_KK = RᵀR (R upper triangular, Cholesky), that is Babai's nearest plane from
 * the last index down: x_i = round(x*_i − Σ_{j>i} R_ij (x_j − x*_j) / R_ii), since the rows
 * of R above i can always be zeroed by the free coordinates. Each coordinate's residual is
 * then set by its Schur complement given the later ones, which is about Λ̃ while more than
 * N coordinates remain; coordinates are processed by decreasing Ĥ_jj so that the last
 * (least correctable) ones are the cheapest. Cost: one |K|×|K| Gram and Cholesky per
 * block (about |K|²N + |K|³/3 flops), so it is a fallback, not the default.
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
    double *u = apex_calloc_n(nk * nk, sizeof *u);  /* [nk][nk] Ĥ_KK, then its factor R */
    double *xk = apex_calloc_n(nk, sizeof *xk);     /* [nk] e = x − x*, by matrix index */
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
    /* matrix index m holds coordinate key[nk − 1 − m]: the first processed is the last */
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < nk; m++)
            gk[i * nk + m] = ws->g[i * nb + key[nk - 1 - m].j];
    int k_ = (int)nk;
    /* Ĥ_KK = λI + G_KᵀG_K: row-major lower = column-major upper; R(i,j) = u[j·nk + i] */
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, k_, (int)n, 1.0, gk, k_, 0.0, u, k_);
    for (size_t m = 0; m < nk; m++)
        u[m * nk + m] += lambda;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', k_, u, k_) != 0) {
        rc = APEX_ERR_RANGE;
        goto out;
    }
    for (size_t m = 0; m < nk; m++)
        xk[m] = 0.0; /* e = x − x*, filled as coordinates get fixed */
    for (size_t i = nk; i-- > 0;) {
        double acc = 0.0; /* Σ_{j>i} R(i, j)·e_j with R(i, j) = u[j·nk + i] */
        for (size_t j = i + 1; j < nk; j++)
            acc += u[j * nk + i] * xk[j];
        double xs = x[key[nk - 1 - i].j], r = nearbyint(xs - acc / u[i * nk + i]);
        if (!(fabs(r) < lim)) {
            rc = APEX_ERR_RANGE;
            goto out;
        }
        xk[i] = r - xs;
        out[key[nk - 1 - i].j] = (int32_t)r;
    }
out:
    free(key);
    free(gk);
    free(u);
    free(xk);
    return rc;
}
