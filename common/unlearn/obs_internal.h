/* Internal to common/unlearn: the shared Group-OBS linear algebra for one block,
 *   C = λ·I + α·GᵀG   (G: [n][nb] double, row-major),
 * used by the float reference (α = 1/(m·N)) and by the quantized path (G = G̃, λ = Λ̃, α = 1).
 */
#ifndef APEX_UNLEARN_OBS_INTERNAL_H
#define APEX_UNLEARN_OBS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "unlearn/unlearn.h"

/* Scratch for one block solve, sized once for n samples and blocks of at most bmax. */
typedef struct obs_ws {
    size_t n;      /* samples N */
    size_t bmax;   /* largest block size this workspace holds */
    size_t nb;     /* size of the block currently factored */
    int woodbury;  /* 1: f holds chol((λ/α)I + GGᵀ) [n][n]; 0: chol(C) [nb][nb] */
    double lambda; /* λ of the current factorization */
    double alpha;  /* α of the current factorization */
    double *g;     /* [n][nb] double, the block's gradients (filled by the caller) */
    double *f;     /* [max(n,bmax)]^2 Gram matrix, then its Cholesky factor */
    double *z; /* [bmax][max(n,bmax)] right-hand sides, one per row: (K⁻¹G_S)ᵀ or (C⁻¹E)ᵀ */
    double *q;  /* [bmax][bmax] (C⁻¹)_SS and its Cholesky factor */
    double *mu; /* [bmax] Lagrange multipliers μ */
    double *t;  /* [max(n,bmax)] temporary vector */
    double *v;  /* [bmax] caller scratch (values at S); never touched by obs_* */
} obs_ws;

/* NULL on allocation failure or bad sizes. */
obs_ws *apex_obs_ws_new(size_t n, size_t bmax);
void apex_obs_ws_free(obs_ws **ws);

/* Factor C for the block in ws->g ([n][nb]). method AUTO: Woodbury iff n < nb.
 * lambda == 0 selects relative damping λ = rel·mean(diag(αGᵀG)) (APEX_OBS_ZERO_GRAD_LAMBDA
 * for an all-zero block); the λ used is left in ws->lambda.
 * APEX_ERR_RANGE if a Cholesky fails (not numerically positive definite). */
int apex_obs_factor(obs_ws *ws, size_t nb, double lambda, double alpha, apex_obs_method method,
                    double rel);
/* y = C⁻¹x (x, y: [nb]; may alias). */
int apex_obs_apply_inv(obs_ws *ws, const double *x, double *y);
/* The Group-OBS step for the factored block: delta = −C⁻¹E(EᵀC⁻¹E)⁻¹ ws_val, where
 * ws_val: [ns] the values to cancel at sel: [ns] (sorted local indices). On return
 * delta[sel[k]] = −ws_val[k] exactly. */
int apex_obs_constrained(obs_ws *ws, const uint32_t *sel, size_t ns, const double *ws_val,
                         double *delta);

/* Sequential (OBQ/GPTQ-style) rounding of the K coordinates of x ([nb] double, the float
 * optimum with x_S already fixed) for Ĥ = λI + GᵀG over ws->g; writes integers into out
 * ([nb], S entries copied from x). Coordinates are processed by decreasing Ĥ_jj. */
int apex_obsq_round_sequential(obs_ws *ws, size_t nb, double lambda, const uint32_t *sel, size_t ns,
                               const double *x, int32_t *out);

/* One masked block of a layer: weights [start, start + nb), mask entries [k0, k1). */
typedef struct obs_job {
    size_t block; /* block index in the layer */
    size_t start; /* first weight (flat index local to the layer) */
    size_t nb;    /* weights in this block (B, or fewer for the last block) */
    size_t k0;    /* first mask entry of this block */
    size_t k1;    /* one past its last mask entry */
} obs_job;

/* Group sorted, unique mask indices (< d) by block; *jobs malloc'd, in block order.
 * APEX_ERR_INVALID if the mask is unsorted, has duplicates or leaves [0, d). */
int apex_obs_jobs_build(const uint64_t *mask, size_t nmask, size_t d, size_t block, obs_job **jobs,
                        size_t *njobs);
/* Runs job j as fn(ctx, worker, j) for every j < njobs on nthreads workers (worker 0 is the
 * caller). A worker stops at its first error. Returns the error of the lowest failed job and
 * sets *first_fail to its index (njobs when none failed); jobs below it all ran. */
typedef int (*obs_job_fn)(void *ctx, unsigned worker, size_t job);
int apex_obs_jobs_run(size_t njobs, unsigned nthreads, obs_job_fn fn, void *ctx,
                      size_t *first_fail);

#endif /* APEX_UNLEARN_OBS_INTERNAL_H */
