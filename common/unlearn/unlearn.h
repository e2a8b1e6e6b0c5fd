/* apex unlearn: the model-independent core of zero-shot unlearning (issue 4).
 *
 *  - Group-OBS compensation per block, float64 reference (UNLEARNING.md §2):
 *      C_b = λ_b·I + G_bᵀG_b/(m·N),  δ = −C_b⁻¹E(EᵀC_b⁻¹E)⁻¹ w_S,  then w_S = 0 exactly.
 *  - The quantized path the proof certifies (PROOF.md, decisions at the top):
 *      Ĥ_b = G̃ᵀG̃ + Λ̃·I over int8 G̃ and int32 fixed-point w̃ (b_w = 24), integer δ̃ with
 *      δ̃_S = −w̃_S, exact int64 residual ρ̃ = G̃ᵀ(G̃δ̃) + Λ̃δ̃ and the two-sided check
 *      −τ ≤ ρ̃_j ≤ τ−1 on K = block \ S.
 *  - The public mask file (mask.bin) and global top-k selection from saliency scores.
 *
 * Layout: a targeted weight matrix is flattened row-major ([out][in]) and cut into
 * contiguous blocks of B weights; a short last block is a smaller block. Per-sample
 * gradients of a layer are float [N][ldg] row-major (sample i's gradient at g + i·ldg),
 * so block b is the column range [b·B, b·B + B_b) of that matrix.
 * Functions return APEX_OK or a negative apex_err and never exit. docs/UNLEARN.md has the
 * formulas as implemented and the measured numbers.
 */
#ifndef APEX_UNLEARN_H
#define APEX_UNLEARN_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "unlearn/params.h"

/* ================================================================ float Group-OBS */

/* How C_b⁻¹ is applied. */
typedef enum apex_obs_method {
    APEX_OBS_AUTO = 0,     /* Woodbury when N < B_b, direct Cholesky otherwise */
    APEX_OBS_WOODBURY = 1, /* N×N Cholesky of (λ/α)·I + G_bG_bᵀ */
    APEX_OBS_DIRECT = 2    /* B×B Cholesky of C_b */
} apex_obs_method;

typedef struct apex_obs_params {
    size_t block;    /* B: weights per block (1..APEX_OBS_MAX_BLOCK) */
    double rel_damp; /* λ_b = rel_damp · mean(diag(G_bᵀG_b)/(m·N)); used when lambda == 0 */
    double lambda;   /* fixed damping λ > 0; 0 selects relative damping */
    double fisher_m; /* m in G_bᵀG_b/(m·N), > 0 */
    apex_obs_method method; /* solver choice; AUTO by default */
    unsigned threads;       /* layer driver: worker threads over blocks (1..64, default 1) */
} apex_obs_params;

/* Defaults: B = 256, relative damping 1%, m = 10, AUTO, 1 thread.
 * Threads: the layer drivers run blocks in parallel; every worker calls OpenBLAS/LAPACKE on
 * small matrices, so set OpenBLAS itself to one thread (openblas_set_num_threads(1) or
 * OPENBLAS_NUM_THREADS=1) when threads > 1. Results do not depend on the thread count. */
void apex_obs_params_default(apex_obs_params *p);

/* One block. g: [n][ldg] float, the block's gradients are columns [0, nb) of it.
 * w: [nb] weights; sel: [ns] sorted unique local indices in [0, nb), ns >= 1.
 * Writes delta: [nb] with delta[sel[k]] = -w[sel[k]] exactly; *lambda_out (may be NULL)
 * receives the λ_b used. APEX_ERR_INVALID on bad arguments, APEX_ERR_RANGE if a matrix is
 * not numerically positive definite. */
int apex_obs_block(const apex_obs_params *p, const float *g, size_t n, size_t ldg, size_t nb,
                   const double *w, const uint32_t *sel, size_t ns, double *delta,
                   double *lambda_out);

/* Whole layer of d weights, in place: w: [d] float, g: [n][ldg] float (ldg >= d),
 * mask: [nmask] sorted unique indices in [0, d) local to this layer. Blocks with a masked
 * index get w += δ and w_S = 0 exactly; the others are not touched. *nblocks_done (may be
 * NULL) receives the number of compensated blocks. */
int apex_obs_layer(const apex_obs_params *p, const float *g, size_t n, size_t ldg, float *w,
                   size_t d, const uint64_t *mask, size_t nmask, size_t *nblocks_done);

/* Synthetic per-sample gradients for tests and benches: g = U·V/√r + noise·z·e^{0.75·z'}
 * (U: [n][r], V: [r][d], z, z' standard normal; heavy-tailed noise), g: [n][d] float.
 * Deterministic in seed. */
int apex_obs_synth_gradients(uint64_t seed, size_t n, size_t d, size_t rank, double noise,
                             float *g);

/* ================================================================ quantized certificate */

/* How δ* is rounded to the integer grid. */
typedef enum apex_obsq_rounding {
    APEX_OBSQ_ROUND_AUTO = 0,      /* naive (+ refinement); sequential if the check fails */
    APEX_OBSQ_ROUND_NAIVE = 1,     /* naive (+ refinement) only: fail if the check fails */
    APEX_OBSQ_ROUND_SEQUENTIAL = 2 /* always sequential (OBQ) rounding of K */
} apex_obsq_rounding;

typedef struct apex_obsq_params {
    size_t block;      /* B: weights per block (1..APEX_OBS_MAX_BLOCK) */
    int64_t lambda;    /* Λ̃ > 0 in quantized units; 0 selects max(N, 64) */
    unsigned tau_log2; /* t of τ = 2^t; accepted residuals are −τ ≤ ρ̃ ≤ τ−1 */
    unsigned refine;   /* refinement steps driven by the exact residual */
    apex_obsq_rounding rounding; /* rounding strategy */
    unsigned threads;            /* layer driver: worker threads over blocks (1..64, default 1) */
} apex_obsq_params;

/* Per masked block statistics (to calibrate τ). */
typedef struct apex_obsq_block_stat {
    uint64_t block;        /* block index within the layer */
    uint32_t nmask;        /* |S_b| */
    uint32_t sequential;   /* 1 if the final δ̃ came from sequential rounding */
    int64_t max_rho_naive; /* max|ρ̃_K| after naive rounding, before refinement */
    int64_t max_rho;       /* max|ρ̃_K| of the returned δ̃ */
} apex_obsq_block_stat;

/* Defaults: B = 256, Λ̃ = max(N, 64), t = 20, one refinement step, AUTO rounding. */
void apex_obsq_params_default(apex_obsq_params *p);
/* The public damping integer Λ̃ = max(n, APEX_OBSQ_LAMBDA_MIN). */
int64_t apex_obsq_lambda_for(size_t n);
/* PROOF.md §3.3: APEX_OK iff (n·b·2^14 + lambda)·2^bw < 2^63 (APEX_ERR_RANGE otherwise,
 * APEX_ERR_INVALID for zero sizes or lambda <= 0). */
int apex_obsq_check_budget(size_t n, size_t b, int64_t lambda, unsigned bw);
/* Two-sided tolerance: 1 iff −2^t ≤ rho ≤ 2^t − 1. */
int apex_obsq_rho_ok(int64_t rho, unsigned tau_log2);

/* Quantize a layer's gradients per block with a private max-scale s_b = max|G_b|/127:
 * gq[b][i][j] = clamp(round(g[i][b·B+j]/s_b), −127, 127), zero-padded to B columns
 * (gq: [ceil(d/B)][n][B] int8; scales: [ceil(d/B)] double, 0 for an all-zero block).
 * APEX_ERR_INVALID on a non-finite gradient. */
int apex_obsq_quantize(const float *g, size_t n, size_t ldg, size_t d, size_t block, int8_t *gq,
                       double *scales);

/* Fixed point: wq[i] = round(w[i]·2^frac_bits); APEX_ERR_RANGE if |wq| ≥ 2^(b_w−1) or w is not
 * finite. frac_bits in [0, APEX_OBSQ_MAX_FRAC_BITS] (the declared power-of-two scale). */
int apex_obsq_weights_fixed(const float *w, size_t d, unsigned frac_bits, int32_t *wq);

/* Exact residual of one block: rho = G̃ᵀ(G̃·delta) + lambda·delta in int64.
 * gq: [n][ldq] int8 (columns [0, nb) used), delta: [nb], rho: [nb]. APEX_ERR_RANGE if a
 * |delta| ≥ 2^b_w or the budget of apex_obsq_check_budget does not hold. */
int apex_obsq_residual(const int8_t *gq, size_t n, size_t ldq, size_t nb, int64_t lambda,
                       const int32_t *delta, int64_t *rho);

/* The same, also writing u = G̃·delta ([n] int64, may be NULL): the proof's intermediate. */
int apex_obsq_residual_u(const int8_t *gq, size_t n, size_t ldq, size_t nb, int64_t lambda,
                         const int32_t *delta, int64_t *u, int64_t *rho);
/* Every block of a layer: gq [ceil(d/B)][n][B] (apex_obsq_quantize layout), delta [d],
 * u [ceil(d/B)][n] (may be NULL), rho [d]. Untouched blocks (δ̃ = 0) get ρ̃ = 0. */
int apex_obsq_layer_residual(const int8_t *gq, size_t n, size_t d, size_t block, int64_t lambda,
                             const int32_t *delta, int64_t *u, int64_t *rho);

/* One block of the provable path. gq: [n][ldq] int8, wq: [nb] int32, sel: [ns] sorted local
 * indices (ns >= 1). Writes delta [nb] with delta[sel] = −wq[sel] exactly and st (may be
 * NULL). APEX_ERR_REJECTED if max|ρ̃_K| still fails τ after the allowed rounding,
 * APEX_ERR_RANGE if w̃ or w̃ + δ̃ leaves [−2^(b_w−1), 2^(b_w−1)). */
int apex_obsq_block(const apex_obsq_params *p, const int8_t *gq, size_t n, size_t ldq, size_t nb,
                    const int32_t *wq, const uint32_t *sel, size_t ns, int32_t *delta,
                    apex_obsq_block_stat *st);

/* Whole layer: gq: [ceil(d/B)][n][B] from apex_obsq_quantize, wq: [d], mask: [nmask]
 * sorted unique in [0, d). Writes delta: [d] (zero on untouched blocks). stats: capacity
 * ceil(d/B) entries or NULL, one per masked block in block order; *nstats = entries written.
 * On failure the error of the lowest failing block is returned, *failed_block (may be NULL)
 * names it, stats end with its entry, and the error is logged with its index. */
int apex_obsq_layer(const apex_obsq_params *p, const int8_t *gq, size_t n, size_t d,
                    const int32_t *wq, const uint64_t *mask, size_t nmask, int32_t *delta,
                    apex_obsq_block_stat *stats, size_t *nstats, uint64_t *failed_block);

/* ================================================================ mask file */

/* One targeted matrix in the flat index space. */
typedef struct apex_mask_layer {
    char name[APEX_MASK_NAME_MAX + 1]; /* NUL-terminated, 1..63 printable bytes */
    uint64_t offset;                   /* flat index of element [0][0] */
    uint64_t rows;                     /* out features */
    uint64_t cols;                     /* in features; element [r][c] is offset + r·cols + c */
} apex_mask_layer;

/* A public mask: sorted unique flat indices over a layer table, bound to one model. */
typedef struct apex_mask {
    uint8_t model_id[APEX_SHA256_LEN]; /* SHA-256 of the model file */
    size_t nlayers;                    /* entries in layers */
    apex_mask_layer *layers;           /* [nlayers], strictly increasing offsets */
    size_t count;                      /* number of masked weights */
    uint64_t *idx;                     /* [count] sorted unique flat indices */
} apex_mask;

/* Validate and copy into a new mask (*out owned by the caller, apex_mask_destroy).
 * why: reason string buffer (APEX_MASK_WHY_LEN bytes) or NULL. */
int apex_mask_new(const uint8_t model_id[APEX_SHA256_LEN], const apex_mask_layer *layers,
                  size_t nlayers, const uint64_t *idx, size_t count, apex_mask **out, char *why);
void apex_mask_destroy(apex_mask **m);
/* Canonical bytes of a valid mask (*buf malloc'd). */
int apex_mask_encode(const apex_mask *m, uint8_t **buf, size_t *len);
/* Parse and fully validate; each rejection has its APEX_ERR_* and a reason in why. */
int apex_mask_decode(const uint8_t *buf, size_t len, apex_mask **out, char *why);
/* mask.bin on disk (atomic write) / read + decode. */
int apex_mask_save(const char *path, const apex_mask *m);
int apex_mask_load(const char *path, apex_mask **out, char *why);
/* APEX_OK iff m refers to exactly this model id and layer table (APEX_ERR_REJECTED + why
 * otherwise). */
int apex_mask_check_model(const apex_mask *m, const uint8_t model_id[APEX_SHA256_LEN],
                          const apex_mask_layer *layers, size_t nlayers, char *why);
/* Global top-k over scores [n]: k = max(1, round(density·n)), highest score first, lower index
 * wins ties, negative scores never picked (so fewer than k may come back), NaN rejected.
 * *idx: malloc'd sorted indices, *count entries. density in (0, 1]. */
int apex_mask_from_scores(const float *scores, size_t n, double density, uint64_t **idx,
                          size_t *count);
/* SHA-256 of the canonical encoding of a layer table (nlayers u32 + entries, as in mask.bin):
 * the "layer-table hash" the proof transcript absorbs. */
int apex_mask_layers_digest(const apex_mask_layer *layers, size_t nlayers,
                            uint8_t out[APEX_SHA256_LEN]);
/* The model id a mask is bound to: SHA-256 of the model file, streamed. APEX_ERR_NOT_FOUND /
 * APEX_ERR_IO when the file cannot be read. */
int apex_mask_model_id_file(const char *path, uint8_t out[APEX_SHA256_LEN]);
/* Indices of one layer, local to it (flat − offset), for the OBS drivers: *local malloc'd. */
int apex_mask_layer_indices(const apex_mask *m, size_t layer, uint64_t **local, size_t *count);

#endif /* APEX_UNLEARN_H */
