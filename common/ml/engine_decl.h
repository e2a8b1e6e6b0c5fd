/* Declarations of the generic engine; included twice by ml_internal.h (float
 * and double). No include guard on purpose. */
#include "ml/real.h"

/* Activations of one ViT block for a batch; all [cap][tokens][...] row-major. */
typedef struct ML_T(ml_blk) {
    REAL *ln1;                 /* [cap][T][dim] LayerNorm 1 output */
    REAL *ln1_mean, *ln1_rstd; /* [cap*T] LayerNorm 1 statistics */
    REAL *qkv;                 /* [cap][T][3*dim] */
    REAL *att;                 /* [cap][heads][T][T] attention probabilities, key-major */
    REAL *atty;                /* [cap][T][dim] attention output before proj */
    REAL *res1;                /* [cap][T][dim] input + proj(atty) */
    REAL *ln2;                 /* [cap][T][dim] LayerNorm 2 output (fc1 input) */
    REAL *ln2_mean, *ln2_rstd; /* [cap*T] LayerNorm 2 statistics */
    REAL *fc1;                 /* [cap][T][hidden] fc1 output, then GELU's slope there */
    REAL *gelu;                /* [cap][T][hidden] */
    REAL *res2;                /* [cap][T][dim] res1 + fc2(gelu): the block output */
} ML_T(ml_blk);

/* A network's activation and scratch buffers for batches of up to cap. */
typedef struct ML_T(ml_net) {
    apex_ml_config cfg;             /* shapes */
    ml_layout lay;                  /* tensor offsets */
    int cap;                        /* batch capacity */
    REAL *mem;                      /* one allocation holding every buffer below */
    REAL *inp;                      /* MLP [cap][784] / ViT [cap][patches][patch_len], normalised */
    REAL *logits, *probs, *dlogits; /* [cap][classes] */
    REAL *losses;                   /* [cap] per-sample cross-entropy */
    REAL *h_pre, *h, *dh_pre, *dh;  /* MLP: [cap][hidden] */
    REAL *pe;                       /* ViT: [cap][patches][dim] patch embeddings */
    REAL *x0;                       /* ViT: [cap][T][dim] embeddings + positions */
    ML_T(ml_blk) blk[APEX_ML_MAX_DEPTH]; /* ViT blocks */
    REAL *cls_out;                       /* ViT: [cap][dim] CLS row of the last block */
    REAL *lnf, *lnf_mean, *lnf_rstd;     /* ViT: [cap][dim], [cap], [cap] */
    REAL *dres_a, *dres_b;               /* ViT backward: [cap][T][dim] residual grads */
    REAL *dln, *datty;                   /* ViT backward: [cap][T][dim] */
    REAL *dqkv;                          /* ViT backward: [cap][T][3*dim] */
    REAL *dfc1; /* ViT backward: [cap][T][hidden] GELU output gradient, then fc1's (in place) */
    REAL *datt; /* ViT backward: [T][T] */
    REAL *dcls; /* ViT backward: [cap][dim] */
} ML_T(ml_net);

void ML_F(ml_linear_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b, int n,
                             int ic, int oc);
void ML_F(ml_linear_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                              const REAL *w, int n, int ic, int oc);
void ML_F(ml_linear_residual_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b,
                                      const REAL *res, int n, int ic, int oc);
void ML_F(ml_linear_backward_beta)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                                   const REAL *inp, const REAL *w, int n, int ic, int oc,
                                   REAL beta);
void ML_F(ml_layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp, const REAL *w,
                                const REAL *b, int n, int c);
void ML_F(ml_layernorm_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                                 const REAL *w, const REAL *mean, const REAL *rstd, int n, int c);
void ML_F(ml_layernorm_backward_res)(REAL *dinp, const REAL *dres, REAL *dw, REAL *db,
                                     const REAL *dout, const REAL *inp, const REAL *w,
                                     const REAL *mean, const REAL *rstd, int n, int c);
void ML_F(ml_gelu_forward)(REAL *out, const REAL *inp, size_t n);
void ML_F(ml_gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t n);
void ML_F(ml_gelu_forward_slope)(REAL *out, REAL *slope, const REAL *inp, size_t n);
void ML_F(ml_gelu_backward_slope)(REAL *dinp, REAL *db, const REAL *slope, const REAL *dout, int n,
                                  int h);
void ML_F(ml_attention_forward)(REAL *out, REAL *att, const REAL *qkv, int nb, int nt, int d,
                                int nh);
void ML_F(ml_attention_backward)(REAL *dqkv, REAL *datt, const REAL *dout, const REAL *qkv,
                                 const REAL *att, int nb, int nt, int d, int nh);
int ML_F(ml_xent_forward)(REAL *probs, REAL *losses, const REAL *logits, const uint8_t *y, int n,
                          int c);
void ML_F(ml_xent_backward)(REAL *dlogits, const REAL *probs, const uint8_t *y, int n, int c,
                            REAL scale);
void ML_F(ml_embed_forward)(REAL *x0, REAL *pe, REAL *patches, const float *x, const REAL *params,
                            const apex_ml_config *cfg, const ml_layout *lay, int nb);
void ML_F(ml_embed_backward)(REAL *grads, const REAL *dx0, const REAL *patches, REAL *dpe,
                             const apex_ml_config *cfg, const ml_layout *lay, int nb);

/* Allocate buffers for batches of up to cap; NULL on failure. */
ML_T(ml_net) * ML_F(ml_net_new)(const apex_ml_config *cfg, int cap);
void ML_F(ml_net_destroy)(ML_T(ml_net) * *net);
/* Forward pass of nb <= cap raw images x [nb][784] in [0,1]: fills logits and
 * probs; with labels y also losses. Returns the number of correct argmaxes. */
int ML_F(ml_net_forward)(ML_T(ml_net) * net, const REAL *params, const float *x, const uint8_t *y,
                         int nb);
/* Backward after a forward with labels: grads += d(scale * sum of losses).
 * ps[2l] / ps[2l+1] (ps and entries may be NULL) receive per-sample gradients of block l's
 * fc1 / fc2 weights (MLP: l = 0)
 * ([nb][rows*cols]) of the unscaled per-sample losses. */
void ML_F(ml_net_backward)(ML_T(ml_net) * net, const REAL *params, REAL *grads, const uint8_t *y,
                           int nb, REAL scale, REAL *const *ps);
