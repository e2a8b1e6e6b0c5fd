/* Synthetic per-sample gradients for tests and benches (the errata's synthetic study):
 * a rank-r signal plus heavy-tailed noise, deterministic in the seed. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "unlearn/unlearn.h"

int apex_obs_synth_gradients(uint64_t seed, size_t n, size_t d, size_t rank, double noise, float *g)
{
    if (!g || n == 0 || d == 0 || rank == 0 || rank > n || !(noise >= 0.0) ||
        n > APEX_OBS_MAX_SAMPLES)
        return APEX_ERR_INVALID;
    float *u = apex_calloc_n(n * rank, sizeof *u), *v = apex_calloc_n(rank * d, sizeof *v);
    if (!u || !v) {
        free(u);
        free(v);
        return APEX_ERR_NOMEM;
    }
    apex_rng rng;
    apex_rng_seed(&rng, seed);
    for (size_t i = 0; i < n * rank; i++)
        u[i] = (float)apex_rng_normal(&rng);
    for (size_t i = 0; i < rank * d; i++)
        v[i] = (float)apex_rng_normal(&rng);
    /* g = U·V / sqrt(r): [n][d] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d, (int)rank,
                (float)(1.0 / sqrt((double)rank)), u, (int)rank, v, (int)d, 0.0f, g, (int)d);
    /* heavy tails: normal times a log-normal scale; both Box-Muller outputs are used */
    for (size_t i = 0; i < n * d; i++) {
        double u1 = apex_rng_unit(&rng), u2 = apex_rng_unit(&rng);
        double r = sqrt(-2.0 * log(u1 > 0.0 ? u1 : DBL_MIN)), a = 2.0 * M_PI * u2;
        g[i] += (float)(noise * r * cos(a) * exp(APEX_OBS_SYNTH_TAIL * r * sin(a)));
    }
    free(u);
    free(v);
    return APEX_OK;
}
