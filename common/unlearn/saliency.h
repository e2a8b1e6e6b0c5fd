/* apex unlearn on real models: forget-set specs, the provider's saliency mask (UNLEARNING.md §1)
 * and the client's Group-OBS compensation of a personalized model (§2), on top of the ML
 * engine (common/ml/ml.h) and the model-independent core (unlearn.h).
 *
 * Index space: the targeted matrices m->targets[0..n_targets) concatenated in table order
 * ("target space", n = Σ rows·cols). Target-space index k of target t maps to the flat
 * parameter index targets[t].offset + (k − Σ_{t'<t} rows·cols), which is what mask.bin stores.
 */
#ifndef APEX_UNLEARN_SALIENCY_H
#define APEX_UNLEARN_SALIENCY_H

#include <stddef.h>
#include <stdint.h>

#include "ml/ml.h"
#include "unlearn/unlearn.h"

/* ================================================================ forget specs */

#define APEX_FORGET_SPEC_MAX 4096 /* longest SPEC string accepted */

/* Which training images a deletion request names. */
typedef enum apex_forget_kind {
    APEX_FORGET_CLASSES = 1, /* every training image of the classes in `classes` */
    APEX_FORGET_FIRST = 2,   /* the first `per_class` images (train order) of each class */
    APEX_FORGET_FILE = 3,    /* explicit training-set indices from a file */
} apex_forget_kind;

typedef struct apex_forget_spec {
    int kind;         /* apex_forget_kind */
    unsigned classes; /* bit mask of classes (CLASSES, FIRST) */
    int per_class;    /* FIRST: images taken per class (>= 1) */
    char path[1024];  /* FILE: path of a text file, one decimal index per line */
} apex_forget_spec;

/* Parse "class:9", "classes:7,9", "first:520:class:3,5,7" or "samples:FILE".
 * APEX_ERR_INVALID (why filled, APEX_MASK_WHY_LEN bytes) on anything else. */
int apex_forget_parse(const char *s, apex_forget_spec *out, char *why);
/* The sorted, unique training-set indices the spec names in pool (*idx malloc'd, *n >= 1).
 * FILE: APEX_ERR_NOT_FOUND / APEX_ERR_FORMAT (bad line) / APEX_ERR_RANGE (index >= pool n);
 * an empty selection is APEX_ERR_INVALID. */
int apex_forget_select(const apex_forget_spec *s, const apex_ml_dataset *pool, int **idx, int *n,
                       char *why);
/* The classes any selected image belongs to (bit mask). */
unsigned apex_forget_classes(const apex_ml_dataset *pool, const int *idx, int n);
/* pool minus idx (sorted) as a new dataset: the retain set D_r. NULL on failure. */
apex_ml_dataset *apex_forget_complement(const apex_ml_dataset *pool, const int *idx, int n);

/* ================================================================ saliency (§1) */

#define APEX_SAL_DEFAULT_NF      10000 /* max forget samples in dW (authors: up to 10 000) */
#define APEX_SAL_DEFAULT_NM      480   /* samples in the Fisher sum (authors: 480) */
#define APEX_SAL_DEFAULT_LAMBDA  1e-8  /* λ_m, the Fisher floor (authors, ViT) */
#define APEX_SAL_DEFAULT_H       0.45  /* h at n_m = 480 (authors, ViT); rescaled by 480/n_m */
#define APEX_SAL_REF_NM          480   /* the n_m that h is tuned to */
#define APEX_SAL_DEFAULT_RHO     2.0   /* ρ, retain normalization weight (authors, ViT) */
#define APEX_SAL_DEFAULT_DENSITY 0.04  /* 4% of the targeted weights */
#define APEX_SAL_EPS             1e-12 /* S = score_f / (ρ·score_r + 1e-12) */
#define APEX_SAL_CHUNK           64    /* samples per per-sample-gradient call */

/* Granularity of the mask (a design choice beyond UNLEARNING.md §1; the default is WEIGHT). */
typedef enum apex_sal_unit {
    APEX_SAL_UNIT_WEIGHT = 0, /* per-weight S, global top-k over weights (the authors' rule) */
    APEX_SAL_UNIT_ROW = 1,    /* structured: whole rows (hidden units: every fc1 weight of one
                                 unit), scored by the row's summed scores, U = Σscore_f /
                                 (ρ·Σscore_r + 1e-12) (−Σscore_f without retain normalization);
                                 top round(density·rows) rows with U >= 0, every weight masked */
} apex_sal_unit;

typedef struct apex_sal_params {
    int n_f;         /* dW: mean over the first min(n_f, |D|) samples of a set (>= 1) */
    int n_m;         /* F: sum of g² over the first min(n_m, |D|) samples (>= 1) */
    double lambda_m; /* F floor λ_m >= 0 */
    double h;        /* OBD weight at n_m = 480; the score uses h·480/n_m */
    double rho;      /* ρ > 0 in S = score_f/(ρ·score_r + ε) */
    double density;  /* fraction of targeted weights in the mask, (0, 1] */
    int retain_norm; /* 1: S as above; 0: S = −score_f (no retain normalization, ablation) */
    int unit;        /* apex_sal_unit (default WEIGHT) */
} apex_sal_params;

/* "weight" / "row" -> apex_sal_unit; -1 for anything else (including NULL). */
int apex_sal_unit_parse(const char *s);
/* The unit's name ("weight", "row"; "?" when out of range). */
const char *apex_sal_unit_name(int unit);

/* The defaults above, retain normalization on. */
void apex_sal_params_default(apex_sal_params *p);
/* "fc1", "fc2", "fc1,fc2" (or "fc2,fc1") -> apex_ml_target_set bits; 0 for anything else. The
 * targets are chosen on the model (apex_ml_model_set_targets) before saliency or compensation;
 * fc1 alone is UNLEARNING.md §1, fc1 and fc2 under one top-k is the authors' OPT setting. */
unsigned apex_sal_targets_parse(const char *s);
/* The target set a mask's layer table names (every layer an fc1 or fc2 weight), else 0. */
unsigned apex_sal_targets_of_mask(const apex_mask *mask);
/* Total targeted weights of a model (the target-space size). */
size_t apex_sal_target_size(const apex_ml_model *m);
/* score[k] = dW_k·w_k − h'·F_k·w_k² over target space (score: [n] double) on dataset d at m. */
int apex_sal_score(apex_ml_model *m, const apex_ml_dataset *d, const apex_sal_params *p,
                   double *score);
/* S over target space (S: [n] float): from forget set df and retain set dr. NaN refused. */
int apex_sal_compute(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                     const apex_sal_params *p, float *S);
/* Row scores U over every row of every target, in table order (U: [Σ rows] float), as
 * described at APEX_SAL_UNIT_ROW (p->unit is ignored). NaN refused. */
int apex_sal_compute_rows(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                          const apex_sal_params *p, float *U);
/* The layer table of a model's targets (layers: [m->n_targets]). */
void apex_sal_layers(const apex_ml_model *m, apex_mask_layer *layers);
/* Model id of an in-memory model: SHA-256 of its file encoding (= apex_mask_model_id_file). */
int apex_sal_model_id(const apex_ml_model *m, uint8_t id[APEX_SHA256_LEN]);
/* Saliency + global top-k (of weights, or of rows with p->unit = ROW) + mask object bound to
 * m's id and layer table. */
int apex_sal_mask(apex_ml_model *m, const apex_ml_dataset *df, const apex_ml_dataset *dr,
                  const apex_sal_params *p, apex_mask **out);

/* ================================================================ client compensation (§2) */

typedef struct apex_unl_params {
    int quantized;         /* 1: provable path (int8 G̃, fixed-point w̃, apex_obsq_*); 0: float */
    apex_obs_params obs;   /* float reference path */
    apex_obsq_params obsq; /* quantized path */
    int max_samples;       /* N: use the first min(max_samples, |D_p|) client samples (0: all) */
    int sequential_layers; /* 1: the authors' order, each layer's G taken after the earlier
                              layers are compensated (ablation; not the provable path) */
} apex_unl_params;

/* Quantized path by default, float and quantized defaults of unlearn.h, every sample. */
void apex_unl_params_default(apex_unl_params *p);

/* What a compensation did. */
typedef struct apex_unl_report {
    size_t n;             /* samples in G */
    size_t masked;        /* weights set to exactly zero */
    size_t blocks;        /* compensated (masked) blocks over all layers */
    size_t sequential;    /* quantized: blocks that needed sequential rounding */
    int64_t max_rho;      /* quantized: largest per-block max|ρ̃_K| */
    int frac_bits;        /* quantized: the fixed-point scale 2^f of w̃ */
    size_t grid_overflow; /* quantized: weights with 2^21 <= |w̃'| < 2^23 (file saved unsnapped) */
    double delta_l2;      /* L2 norm of the weight change outside the mask (weight units) */
    double seconds_grads; /* per-sample gradients */
    double seconds_solve; /* Group-OBS (and quantization) */
} apex_unl_report;

/* APEX_OK iff the mask's layer table is m's target table (APEX_ERR_REJECTED + why). */
int apex_unl_check_layers(const apex_ml_model *m, const apex_mask *mask, char *why);
/* Zero the masked weights only (the "mask only" method). */
int apex_unl_mask_only(apex_ml_model *m, const apex_mask *mask, char *why);
/* Group-OBS compensation of m in place on the client's data dp: G taken at m (before any
 * change) for every target, masked weights end exactly zero, untouched blocks and every weight
 * outside the targets unchanged. Quantized: the weights end on the 2^-f grid of m (f chosen
 * and m snapped first when it has none); if some |w̃'| passes the model file's 2^21 magnitude
 * (but not the proof's 2^23), m->frac_bits becomes 0 (exact weights, file unsnapped) and
 * rep->grid_overflow counts them. Float: re-snapped to m's grid when it has one. rep may be
 * NULL. */
int apex_unl_compensate(apex_ml_model *m, const apex_mask *mask, const apex_ml_dataset *dp,
                        const apex_unl_params *p, apex_unl_report *rep, char *why);

/* The provable statement (zk/compliance.h) of a model: its targeted matrices concatenated in
 * target order into d weights, each target a whole number of blocks of B.
 * G~ of m on the first n samples of dp: per-sample gradients at m, quantized per block
 * (apex_obsq_quantize), laid out [d / B][np][B] with rows n..np-1 zero (np >= n, the
 * statement's power of two). *gq is malloc'd. */
int apex_unl_stmt_grads(apex_ml_model *m, const apex_ml_dataset *dp, size_t n, size_t np, size_t B,
                        int8_t **gq, size_t *d, char *why);
/* The targets' fixed-point weights w~ = w 2^f, concatenated (wq: [d]); APEX_ERR_FORMAT when
 * a weight is not on the grid. */
int apex_unl_stmt_weights(const apex_ml_model *m, int f, int32_t *wq, char *why);
/* Quantized Group-OBS with a given G~ (apex_unl_stmt_grads layout, np rows): the committed
 * G~ of registration, not one taken now. m ends at w~' (on the 2^-f grid, or unsnapped as in
 * apex_unl_compensate), and wq1 [d] receives w~'. op->lambda must be the statement's. */
int apex_unl_compensate_stmt(apex_ml_model *m, const apex_mask *mask, const int8_t *gq, size_t np,
                             const apex_obsq_params *op, int f, int32_t *wq1, apex_unl_report *rep,
                             char *why);

/* ================================================================ evaluation (§4–5) */

/* Per-sample cross-entropy of every image of d (loss: [d->n]). */
int apex_unl_losses(apex_ml_model *m, const apex_ml_dataset *d, float *loss);
/* Loss-threshold attack AUC: P(loss of a non-member > loss of a member) + ½·P(tie);
 * 0.5 = the attacker cannot tell, 1 = members have strictly lower losses. */
int apex_unl_auc(const float *member_loss, int n1, const float *nonmember_loss, int n0,
                 double *auc);
/* apex_unl_auc of m's losses on members (D_f) against held-out non-members. */
int apex_unl_mia_auc(apex_ml_model *m, const apex_ml_dataset *members,
                     const apex_ml_dataset *nonmembers, double *auc);
/* The gradient-ascent baseline: one epoch of plain SGD ascent (params += lr·∇ mean CE) over
 * df in seeded random batches. Leaves m off the fixed-point grid (frac_bits = 0). */
int apex_unl_grad_ascent(apex_ml_model *m, const apex_ml_dataset *df, double lr, int batch,
                         uint64_t seed);

#endif /* APEX_UNLEARN_SALIENCY_H */
