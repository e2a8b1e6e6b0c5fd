/* The exact integer residual of the certificate, ρ̃ = G̃ᵀ(G̃δ̃) + Λ̃δ̃ (PROOF.md §1, §3.3).
 * The client, the proof and the tests all use these functions. Under the §3.3 budget
 * (checked here) every partial sum fits in int64, so the result is exact. */
#include <stdlib.h>
#include <string.h>

#include "unlearn/unlearn.h"

int apex_obsq_residual_u(const int8_t *gq, size_t n, size_t ldq, size_t nb, int64_t lambda,
                         const int32_t *delta, int64_t *u, int64_t *rho)
{
    if (!gq || !delta || !rho || ldq < nb)
        return APEX_ERR_INVALID;
    int rc = apex_obsq_check_budget(n, nb, lambda, APEX_OBSQ_BW);
    if (rc != APEX_OK)
        return rc;
    const int32_t lim = (int32_t)1 << APEX_OBSQ_BW;
    for (size_t j = 0; j < nb; j++) {
        if (delta[j] >= lim || delta[j] <= -lim)
            return APEX_ERR_RANGE;
        rho[j] = lambda * (int64_t)delta[j];
    }
    for (size_t i = 0; i < n; i++) {
        const int8_t *row = gq + i * ldq;
        int64_t ui = 0; /* |u_i| ≤ B·2^7·2^24: exact in int64 */
        for (size_t j = 0; j < nb; j++)
            ui += (int64_t)row[j] * delta[j];
        for (size_t j = 0; j < nb; j++)
            rho[j] += (int64_t)row[j] * ui;
        if (u)
            u[i] = ui;
    }
    return APEX_OK;
}

int apex_obsq_residual(const int8_t *gq, size_t n, size_t ldq, size_t nb, int64_t lambda,
                       const int32_t *delta, int64_t *rho)
{
    return apex_obsq_residual_u(gq, n, ldq, nb, lambda, delta, NULL, rho);
}

int apex_obsq_layer_residual(const int8_t *gq, size_t n, size_t d, size_t block, int64_t lambda,
                             const int32_t *delta, int64_t *u, int64_t *rho)
{
    if (!gq || !delta || !rho || d == 0 || block == 0 || block > APEX_OBS_MAX_BLOCK)
        return APEX_ERR_INVALID;
    size_t nblk = (d + block - 1) / block;
    for (size_t b = 0; b < nblk; b++) {
        size_t start = b * block, nb = d - start < block ? d - start : block;
        int rc = apex_obsq_residual_u(gq + b * n * block, n, block, nb, lambda, delta + start,
                                      u ? u + b * n : NULL, rho + start);
        if (rc != APEX_OK)
            return rc;
    }
    return APEX_OK;
}
