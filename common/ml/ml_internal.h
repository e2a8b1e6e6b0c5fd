/* Internals of common/ml shared between its files and its tests. Not public. */
#ifndef APEX_ML_INTERNAL_H
#define APEX_ML_INTERNAL_H

#include "ml/ml.h"

/* Input normalisation (Fashion-MNIST train mean and std of [0,1] pixels). */
#define ML_PIXEL_MEAN 0.2860f
#define ML_PIXEL_STD  0.3530f

/* Offsets of one ViT block's tensors in the flat parameter vector. */
typedef struct ml_block_off {
    size_t ln1_w, ln1_b;   /* [dim] pre-attention LayerNorm */
    size_t qkv_w, qkv_b;   /* [3*dim][dim], [3*dim] */
    size_t proj_w, proj_b; /* [dim][dim], [dim] */
    size_t ln2_w, ln2_b;   /* [dim] pre-MLP LayerNorm */
    size_t fc1_w, fc1_b;   /* [hidden][dim], [hidden]: the targeted matrix */
    size_t fc2_w, fc2_b;   /* [dim][hidden], [dim] */
} ml_block_off;

/* Where every tensor lives; built from a config by ml_layout_build(). */
typedef struct ml_layout {
    size_t total;                        /* total parameters */
    int n_tokens;                        /* ViT: patches + 1 (CLS); MLP: 1 */
    int n_patches;                       /* ViT: patches per image */
    int patch_len;                       /* ViT: pixels per patch */
    size_t fc1_w, fc1_b, fc2_w, fc2_b;   /* MLP tensors */
    size_t patch_w, patch_b;             /* ViT: [dim][patch_len], [dim] */
    size_t cls, pos;                     /* ViT: [dim], [n_tokens][dim] */
    ml_block_off blk[APEX_ML_MAX_DEPTH]; /* ViT blocks */
    size_t lnf_w, lnf_b;                 /* ViT: final LayerNorm [dim] */
    size_t head_w, head_b;               /* ViT: [classes][dim], [classes] */
} ml_layout;

/* Build the layout; tensors (may be NULL) receives up to 16 + 12*depth rows
 * and *n_tensors their count. Assumes apex_ml_config_check() passed. */
void ml_layout_build(const apex_ml_config *cfg, ml_layout *lay, apex_ml_tensor *tensors,
                     int *n_tensors);
#define ML_MAX_TENSORS (16 + 12 * APEX_ML_MAX_DEPTH)

/* Hot float32 loops are compiled for AVX-512, AVX2+FMA and baseline x86-64,
 * picked at load time (GCC target_clones), so one binary runs everywhere. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ML_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ML_CLONES
#endif

/* Worker threads a training run may use (= openblas_get_num_threads()). */
int ml_par_threads(void);

/* The engine in both precisions (see real.h). */
#define ML_DOUBLE 0
#include "ml/engine_decl.h"
#undef ML_DOUBLE
#define ML_DOUBLE 1
#include "ml/engine_decl.h"
#undef ML_DOUBLE

/* Per-model scratch owned by apex_ml_model. */
#define ML_MAX_PAR 8 /* data-parallel workers per process */

struct apex_ml_work {
    ml_layout lay;                /* tensor offsets */
    ml_net_f32 *net;              /* activations for up to net->cap images */
    ml_net_f32 *pnet[ML_MAX_PAR]; /* per-worker activations (data-parallel steps) */
    float *pgrads[ML_MAX_PAR];    /* per-worker gradients; worker 0 uses m->grads */
};

/* One training step split over `workers` threads, each running a slice of the
 * batch with single-threaded BLAS; gradients are summed in worker order, so
 * the result is deterministic for a given worker count. Call with OpenBLAS
 * set to 1 thread. Same outputs as apex_ml_model_step_grads(). */
int ml_model_step_par(apex_ml_model *m, const float *x, const uint8_t *y, int n, int workers,
                      float *loss, int *correct);

/* Make sure m->work has room for a batch of n; APEX_ERR_NOMEM otherwise. */
int ml_model_reserve(apex_ml_model *m, int n);

#endif
