/* apex ml: Fashion-MNIST data, MLP and ViT models with backprop on OpenBLAS,
 * training, per-sample gradients of the targeted fc1 matrices, model files and
 * the fixed-point export the proof system commits to (docs/ML.md).
 *
 * Conventions: every buffer is plain float32, row-major. A linear layer's weight
 * is [out][in] (y = x W^T + b). Functions return APEX_OK or a negative apex_err.
 *
 * Threads: matrix work goes through cblas_sgemm. apex_ml_set_threads() calls
 * openblas_set_num_threads(); clients in a fleet run with 1 thread (the test
 * harness also sets OPENBLAS_NUM_THREADS=1). Nothing here starts threads itself.
 */
#ifndef APEX_ML_H
#define APEX_ML_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* ---------------------------------------------------------------- data */

#define APEX_ML_DEFAULT_DATA_DIR "/usr/share/datasets/fashion-mnist"
#define APEX_ML_NUM_CLASSES      10
#define APEX_ML_IMAGE_SIDE       28
#define APEX_ML_IMAGE_PIXELS     (APEX_ML_IMAGE_SIDE * APEX_ML_IMAGE_SIDE)

/* A labelled image set held in memory. */
typedef struct apex_ml_dataset {
    int n;      /* number of images */
    int dim;    /* pixels per image (784) */
    float *x;   /* [n][dim] pixel intensities in [0, 1] */
    uint8_t *y; /* [n] class labels in [0, APEX_ML_NUM_CLASSES) */
} apex_ml_dataset;

/* An empty (zeroed) dataset of n images of dim pixels; NULL on failure. */
apex_ml_dataset *apex_ml_dataset_new(int n, int dim);
void apex_ml_dataset_destroy(apex_ml_dataset **d);
/* Load the gzip IDX pair of Fashion-MNIST from dir (NULL: the Debian path).
 * train selects train-* (60k) or t10k-* (10k). Missing files give
 * APEX_ERR_NOT_FOUND, a bad magic or shape APEX_ERR_FORMAT, short data
 * APEX_ERR_TRUNCATED; the reason is logged with the file name. */
int apex_ml_dataset_load(const char *dir, int train, apex_ml_dataset **out);
/* Read one gzip (or plain) IDX file: ubyte, 1 or 3 dims. *data is malloc'd
 * [dims product] bytes; dims[0..ndim) are the sizes. Used by the loader. */
int apex_ml_idx_read(const char *path, int want_ndim, uint8_t **data, uint32_t dims[3]);
/* Copy images idx[0..n) of src into a new dataset. */
apex_ml_dataset *apex_ml_dataset_subset(const apex_ml_dataset *src, const int *idx, int n);

/* ---------------------------------------------------------------- models */

typedef enum apex_ml_arch {
    APEX_ML_ARCH_MLP = 1, /* 784 -> hidden (GELU) -> 10 */
    APEX_ML_ARCH_VIT = 2, /* patch embedding, pre-norm transformer blocks, CLS head */
} apex_ml_arch;

#define APEX_ML_MAX_DEPTH   16
#define APEX_ML_MAX_TARGETS (2 * APEX_ML_MAX_DEPTH) /* fc1 and fc2 of every block */

/* Which matrices are the unlearning targets (bit set; default FC1 only). */
typedef enum apex_ml_target_set {
    APEX_ML_TARGET_FC1 = 1, /* every fc1 weight ([hidden][in]) */
    APEX_ML_TARGET_FC2 = 2, /* every fc2 weight (ViT [dim][hidden]; MLP: the output layer) */
} apex_ml_target_set;
#define APEX_ML_MAX_PARAMS (64u * 1024u * 1024u) /* refuse models above 64 Mi weights */

/* Shape of a model; everything else follows from it. */
typedef struct apex_ml_config {
    uint32_t arch;      /* apex_ml_arch */
    uint32_t side;      /* input image side in pixels (28) */
    uint32_t n_classes; /* output classes (10) */
    uint32_t hidden;    /* MLP: hidden width; ViT: MLP block width (dim * ratio) */
    uint32_t patch;     /* ViT: patch side in pixels (7); MLP: 0 */
    uint32_t dim;       /* ViT: embedding width; MLP: 0 */
    uint32_t depth;     /* ViT: number of blocks; MLP: 0 */
    uint32_t heads;     /* ViT: attention heads (dim % heads == 0); MLP: 0 */
} apex_ml_config;

/* Presets: "mlp", "vit-tiny", "vit-small". APEX_ERR_INVALID for other names. */
int apex_ml_config_preset(const char *name, apex_ml_config *out);
/* Check a config for sane, bounded shapes (APEX_ERR_RANGE otherwise). */
int apex_ml_config_check(const apex_ml_config *cfg);
/* Human name of a config ("vit-tiny" when it matches a preset, else "vit"). */
const char *apex_ml_config_name(const apex_ml_config *cfg);

/* One parameter tensor inside the flat parameter vector. */
typedef struct apex_ml_tensor {
    char name[32]; /* "blocks.2.fc1.weight" */
    size_t offset; /* first element in the flat parameter vector */
    int rows;      /* rows (out features for a weight; 1 for a vector) */
    int cols;      /* columns (in features) */
} apex_ml_tensor;

typedef struct apex_ml_work apex_ml_work; /* activations and scratch, internal */

/* A model: config, flat parameters and their gradients. */
typedef struct apex_ml_model {
    apex_ml_config cfg;      /* shapes */
    size_t n_params;         /* total weights */
    float *params;           /* [n_params] all tensors, in table order */
    float *grads;            /* [n_params] gradient of the last backward */
    int n_tensors;           /* entries in tensors */
    apex_ml_tensor *tensors; /* [n_tensors] parameter table */
    int n_targets;           /* targeted matrices (default: the fc1 weights) */
    apex_ml_tensor *targets; /* [n_targets] the layer table for unlearning and proofs, in
                                increasing offset order */
    unsigned target_set;     /* apex_ml_target_set bits (not stored in model files) */
    int frac_bits;           /* 0, or f when every weight is k * 2^-f (fixed-point snapped) */
    apex_ml_work *work;      /* activation buffers, grown on demand */
} apex_ml_model;

/* A model with weights initialised from seed (deterministic). NULL on bad cfg. */
apex_ml_model *apex_ml_model_new(const apex_ml_config *cfg, uint64_t seed);
void apex_ml_model_destroy(apex_ml_model **m);
/* Choose the targeted matrices (bits of apex_ml_target_set, at least one, no others) and
 * rebuild m->targets in table order. APEX_ERR_INVALID otherwise. Models start with FC1. */
int apex_ml_model_set_targets(apex_ml_model *m, unsigned set);
/* A deep copy (params and target set; grads zero). */
apex_ml_model *apex_ml_model_clone(const apex_ml_model *m);
/* Forward pass on n images x [n][784]; logits [n][n_classes] if non-NULL. */
int apex_ml_model_forward(apex_ml_model *m, const float *x, int n, float *logits);
/* Forward + backward for a batch: grads = gradient of the mean cross-entropy.
 * Returns the mean loss in *loss and the number of correct predictions. */
int apex_ml_model_step_grads(apex_ml_model *m, const float *x, const uint8_t *y, int n, float *loss,
                             int *correct);
/* Per-sample gradients of the targeted weights (fc1, and fc2 if targeted) for n samples (batch size
 * 1 semantics: the gradient of sample i's own cross-entropy). out[t] is NULL or [n][rows*cols] for
 * target t, row-major [out][in]. Computed in batches of 64 from one forward/backward each; m->grads
 * is clobbered (left zero). */
int apex_ml_model_persample_grads(apex_ml_model *m, const float *x, const uint8_t *y, int n,
                                  float *const *out);
/* Predicted classes for n images into pred[n]. */
int apex_ml_model_predict(apex_ml_model *m, const float *x, int n, uint8_t *pred);
/* Forward floating-point operations per image (multiply-add = 2). */
double apex_ml_model_flops_forward(const apex_ml_config *cfg);
/* Forward + backward floating-point operations per image (~3x forward). */
double apex_ml_model_flops_train(const apex_ml_config *cfg);

/* Accuracy summary of a model on a dataset. */
typedef struct apex_ml_eval {
    int n;                                  /* images evaluated */
    int correct;                            /* correctly classified */
    double loss;                            /* mean cross-entropy */
    int class_n[APEX_ML_NUM_CLASSES];       /* images per true class */
    int class_correct[APEX_ML_NUM_CLASSES]; /* correct per true class */
} apex_ml_eval;
int apex_ml_evaluate(apex_ml_model *m, const apex_ml_dataset *d, apex_ml_eval *out);
/* correct/n as a fraction (0 when n is 0). */
double apex_ml_eval_acc(const apex_ml_eval *e);
/* Accuracy over the classes whose bit is set in class_mask. */
double apex_ml_eval_acc_classes(const apex_ml_eval *e, unsigned class_mask);

/* ---------------------------------------------------------------- model files */

#define APEX_ML_FILE_VERSION   1
#define APEX_ML_FILE_MAX_BYTES (512u * 1024u * 1024u)

/* Versioned header, config, tensors, SHA-256 over everything before it.
 * Written atomically. */
int apex_ml_model_save(const apex_ml_model *m, const char *path);
int apex_ml_model_encode(const apex_ml_model *m, uint8_t **buf, size_t *len);
/* Load and validate: magic, version, shapes, sizes, digest, fixed-point grid.
 * Each failure has its own error (FORMAT, VERSION, RANGE, TRUNCATED, HASH). */
int apex_ml_model_load(const char *path, apex_ml_model **out);
int apex_ml_model_decode(const uint8_t *buf, size_t len, apex_ml_model **out);
/* SHA-256 of the encoded model (the model id). */
int apex_ml_model_digest(const apex_ml_model *m, uint8_t out[APEX_SHA256_LEN]);

/* ---------------------------------------------------------------- fixed point */

#define APEX_ML_FIXED_BITS     24 /* b_w: the proof's weight width */
#define APEX_ML_FIXED_MAG_BITS 21 /* every |w~| < 2^21 */
#define APEX_ML_FIXED_MAX_FRAC 24 /* never scale by more than 2^24 */

/* Fixed-point weights: w = w~ * 2^-frac_bits, exactly. */
typedef struct apex_ml_fixed {
    int frac_bits; /* the declared power-of-two scale */
    size_t n;      /* = model n_params */
    int32_t *w;    /* [n] all parameters in table order, |w~| < 2^21 */
} apex_ml_fixed;

/* The largest frac_bits with max|w| * 2^f < 2^21 (capped at 24). */
int apex_ml_fixed_choose_bits(const apex_ml_model *m);
/* Quantise (round to nearest) every parameter with frac_bits (<0: choose). */
int apex_ml_fixed_export(const apex_ml_model *m, int frac_bits, apex_ml_fixed *out);
/* Set the model's float weights to exactly w~ * 2^-f (lossless in float32). */
int apex_ml_fixed_load(apex_ml_model *m, const apex_ml_fixed *fx);
/* Quantise then load: afterwards export/load round-trips bit for bit. */
int apex_ml_fixed_snap(apex_ml_model *m, int frac_bits);
void apex_ml_fixed_free(apex_ml_fixed *fx);

/* ---------------------------------------------------------------- training */

typedef enum apex_ml_opt { APEX_ML_OPT_ADAMW = 0, APEX_ML_OPT_SGD = 1 } apex_ml_opt;
typedef enum apex_ml_sched {
    APEX_ML_SCHED_COSINE = 0, /* linear warm-up then cosine to lr_min */
    APEX_ML_SCHED_STEP = 1,   /* warm-up then x step_gamma every step_epochs */
    APEX_ML_SCHED_CONST = 2,  /* warm-up then constant */
} apex_ml_sched;

/* A training recipe. apex_ml_train_defaults() fills a good one per arch. */
typedef struct apex_ml_train_opts {
    int epochs;         /* passes over the data */
    int batch;          /* images per step */
    int opt;            /* apex_ml_opt */
    int sched;          /* apex_ml_sched */
    float lr;           /* peak learning rate */
    float lr_min;       /* cosine floor */
    float weight_decay; /* AdamW decoupled decay (matrices only); SGD L2 */
    float momentum;     /* SGD momentum */
    float beta1, beta2; /* AdamW moments */
    float warmup_frac;  /* fraction of all steps spent warming up */
    float step_gamma;   /* step schedule factor */
    int step_epochs;    /* step schedule period in epochs */
    float layer_decay;  /* ViT layer-wise lr decay (1 = none; head gets lr) */
    float grad_clip;    /* clip global grad norm (0 = off) */
    uint64_t seed;      /* shuffling seed */
    int max_steps;      /* stop after this many steps (0 = no limit) */
} apex_ml_train_opts;

void apex_ml_train_defaults(const apex_ml_config *cfg, apex_ml_train_opts *o);

/* Progress report after each step. Return non-zero to stop early. */
typedef struct apex_ml_progress {
    int epoch;       /* 0-based epoch */
    int step;        /* steps done so far */
    int total_steps; /* planned steps */
    float loss;      /* this batch's mean loss */
    float acc;       /* running training accuracy of this epoch */
    float lr;        /* learning rate of this step */
    double elapsed;  /* seconds since the start */
    int epoch_end;   /* 1 on the last step of an epoch */
} apex_ml_progress;
typedef int (*apex_ml_progress_fn)(const apex_ml_progress *p, void *user);

/* Train m on d in place. Deterministic for (model seed, opts.seed) on a given
 * machine and thread count. Clears m->frac_bits (weights leave the grid).
 * cb (may be NULL) runs after every step; a non-zero return stops training
 * with APEX_ERR_INTERRUPTED. */
int apex_ml_train(apex_ml_model *m, const apex_ml_dataset *d, const apex_ml_train_opts *o,
                  apex_ml_progress_fn cb, void *user);

/* ---------------------------------------------------------------- clients */

typedef enum apex_ml_shift {
    APEX_ML_SHIFT_NONE = 0,   /* plain images */
    APEX_ML_SHIFT_SKETCH = 1, /* Sobel edge magnitude: the ImageNet-Sketch analog */
    APEX_ML_SHIFT_INVERT = 2, /* 1 - x */
    APEX_ML_SHIFT_ROT90 = 3,  /* rotated 90 degrees clockwise */
    APEX_ML_SHIFT_COUNT_ = 4
} apex_ml_shift;

/* What a client holds, derived from (client id, seed) alone. */
typedef struct apex_ml_client_spec {
    uint32_t client;  /* client id */
    uint64_t seed;    /* fleet seed */
    unsigned classes; /* bit mask of the shard's classes */
    int shift;        /* apex_ml_shift */
    int n_train;      /* private training images */
    int n_val;        /* private validation images */
} apex_ml_client_spec;

#define APEX_ML_CLIENT_CLASSES 3   /* classes per shard */
#define APEX_ML_CLIENT_TRAIN   384 /* default private training images */
#define APEX_ML_CLIENT_VAL     192 /* default private validation images */

/* Fill spec for a client. exclude_classes: bits never given to clients (the
 * forget classes of an experiment; 0 for none). */
int apex_ml_client_spec_make(uint32_t client, uint64_t seed, unsigned exclude_classes,
                             apex_ml_client_spec *out);
/* Apply a domain shift to n images in place. */
void apex_ml_shift_apply(int shift, float *x, int n);
const char *apex_ml_shift_name(int shift);
/* The client's private train and validation splits (shifted), drawn without
 * overlap from the given pool (the Fashion-MNIST train set). */
int apex_ml_client_data(const apex_ml_client_spec *s, const apex_ml_dataset *pool,
                        apex_ml_dataset **train, apex_ml_dataset **val);
/* Mild personalization (docs/ML.md): few epochs, small lr, layer-wise decay,
 * a replay share of plain pool images. Modifies m in place. */
int apex_ml_personalize(apex_ml_model *m, const apex_ml_client_spec *s, const apex_ml_dataset *pool,
                        apex_ml_progress_fn cb, void *user);

/* ---------------------------------------------------------------- performance */

/* openblas_set_num_threads(n); n <= 0 leaves it unchanged. */
void apex_ml_set_threads(int n);
int apex_ml_get_threads(void);
/* Measured single-precision GEMM throughput (GFLOP/s) with the current thread
 * count: a square n x n sgemm repeated for about seconds. */
double apex_ml_sgemm_peak_gflops(int n, double seconds);

#endif /* APEX_ML_H */
