/* Unlearning parameters: Group-OBS damping, the quantized certificate and the mask file.
 *
 * Values that change what the integer certificate means (b_w, Λ̃, τ, b_G) must match
 * docs/PROOF.md ("Decisions after review") and go into the proof's parameter digest.
 * docs/UNLEARN.md explains each of them.
 */
#ifndef APEX_UNLEARN_PARAMS_H
#define APEX_UNLEARN_PARAMS_H

/* ---------------------------------------------------------------- float Group-OBS */

/* Default block size B (weights per contiguous block of the flattened [out][in] matrix). */
#define APEX_OBS_DEFAULT_BLOCK 256u
/* Largest block accepted (bounds the B x B scratch of the direct path: 8 MiB of doubles). */
#define APEX_OBS_MAX_BLOCK 1024u
/* Largest sample count N accepted (bounds the N x N Woodbury scratch). */
#define APEX_OBS_MAX_SAMPLES 4096u
/* Relative damping: λ_b = rel · mean(diag(G_bᵀG_b)/(m·N)). 1% matches Λ̃ = max(N,64) on
 * max-scaled int8 gradients (UNLEARNING.md §3). */
#define APEX_OBS_DEFAULT_REL_DAMP 0.01
/* Fisher divisor m in C_b = λI + G_bᵀG_b/(m·N) (the authors' ViT run used m = 10). */
#define APEX_OBS_DEFAULT_FISHER_M 10.0
/* λ used by relative damping when a block's gradients are all zero: C_b = λI, and any λ > 0
 * gives the same δ = −E·w_S there. */
#define APEX_OBS_ZERO_GRAD_LAMBDA 1.0

/* Most worker threads a layer driver accepts (each owns an O(N·B + B²) workspace). */
#define APEX_OBS_MAX_THREADS 64u
/* σ of the log-normal scale that gives synthetic gradient noise its heavy tails. */
#define APEX_OBS_SYNTH_TAIL 0.75

/* ---------------------------------------------------------------- quantized certificate */

/* b_G: gradients are int8 in [-127, 127] (symmetric, so -128 never occurs). */
#define APEX_OBSQ_G_MAX 127
/* b_w: weights are int32 fixed point with |w̃| < 2^(b_w - 1). */
#define APEX_OBSQ_BW 24u
/* Λ̃ = max(N, APEX_OBSQ_LAMBDA_MIN): one public fleet-wide integer in quantized units. */
#define APEX_OBSQ_LAMBDA_MIN 64
/* Default t of the two-sided tolerance τ = 2^t (naive rounding; PROOF.md decision 2). */
#define APEX_OBSQ_DEFAULT_TAU_LOG2 20u
/* Largest t accepted: τ must stay far below the 2^63 arithmetic budget. */
#define APEX_OBSQ_MAX_TAU_LOG2 40u
/* Largest declared weight scale 2^f accepted by apex_obsq_weights_fixed. */
#define APEX_OBSQ_MAX_FRAC_BITS 40u
/* log2 of the square of the largest |G̃| entry bound used by PROOF.md §3.3 (2^7 squared). */
#define APEX_OBSQ_G_SQ_LOG2 14u
/* The budget (N·B·2^14 + Λ̃)·2^{b_w} must stay below 2^63 (centered Goldilocks, int64). */
#define APEX_OBSQ_BUDGET_LOG2 63u
/* Refinement steps driven by the exact int64 residual (errata 14). */
#define APEX_OBSQ_DEFAULT_REFINE 1u

/* ---------------------------------------------------------------- mask file */

/* File magic (8 bytes) and format version. */
#define APEX_MASK_MAGIC   "APEXMASK"
#define APEX_MASK_VERSION 1u
/* Longest layer name, in bytes, without the NUL. */
#define APEX_MASK_NAME_MAX 63u
/* Most layers in one table. */
#define APEX_MASK_MAX_LAYERS 4096u
/* Largest total number of targeted weights (flat index space), 2^40. */
#define APEX_MASK_MAX_WEIGHTS (1ull << 40)
/* Largest mask.bin accepted by apex_mask_load (bytes): 2^28 u64 indices plus tables. */
#define APEX_MASK_MAX_FILE_BYTES ((size_t)1 << 31)
/* File mode of a saved mask: the mask is public. */
#define APEX_MASK_FILE_MODE 0644u
/* Read size when hashing a model file for its id (bytes). */
#define APEX_MASK_HASH_CHUNK ((size_t)1 << 20)
/* Size of a reason string buffer that always holds a full reason. */
#define APEX_MASK_WHY_LEN 160u

#endif /* APEX_UNLEARN_PARAMS_H */
