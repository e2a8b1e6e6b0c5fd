/* The two networks (MLP and ViT) wired from the layers in layers_impl.h.
 * Included by engine_f32.c / engine_f64.c after real.h and layers_impl.h. */
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ patch embedding */

/* patches[nb][np][plen] = normalised pixels of each patch; pe = patches W^T + b;
 * x0[b][0] = cls + pos[0]; x0[b][1+p] = pe[b][p] + pos[1+p]. */
void ML_F(ml_embed_forward)(REAL *x0, REAL *pe, REAL *patches, const float *x, const REAL *params,
                            const apex_ml_config *cfg, const ml_layout *lay, int nb)
{
    int side = (int)cfg->side, ps = (int)cfg->patch, per_row = side / ps;
    int np = lay->n_patches, plen = lay->patch_len, d = (int)cfg->dim, nt = lay->n_tokens;
    for (int b = 0; b < nb; b++) {
        const float *img = x + (size_t)b * side * side;
        for (int p = 0; p < np; p++) {
            REAL *dst = patches + ((size_t)b * np + p) * plen;
            int r0 = (p / per_row) * ps, c0 = (p % per_row) * ps;
            for (int r = 0; r < ps; r++)
                for (int c = 0; c < ps; c++)
                    dst[r * ps + c] = ((REAL)img[(r0 + r) * side + c0 + c] - (REAL)ML_PIXEL_MEAN) /
                                      (REAL)ML_PIXEL_STD;
        }
    }
    ML_F(ml_linear_forward)
    (pe, patches, params + lay->patch_w, params + lay->patch_b, nb * np, plen, d);
    const REAL *cls = params + lay->cls, *pos = params + lay->pos;
    for (int b = 0; b < nb; b++) {
        REAL *xb = x0 + (size_t)b * nt * d;
        for (int i = 0; i < d; i++)
            xb[i] = cls[i] + pos[i];
        for (int t = 1; t < nt; t++) {
            const REAL *e = pe + ((size_t)b * np + t - 1) * d;
            for (int i = 0; i < d; i++)
                xb[t * d + i] = e[i] + pos[t * d + i];
        }
    }
}

/* grads of cls, pos, patch_w, patch_b += from dx0 [nb][T][dim]; dpe: scratch [nb][np][dim]. */
void ML_F(ml_embed_backward)(REAL *grads, const REAL *dx0, const REAL *patches, REAL *dpe,
                             const apex_ml_config *cfg, const ml_layout *lay, int nb)
{
    int np = lay->n_patches, d = (int)cfg->dim, nt = lay->n_tokens;
    REAL *gcls = grads + lay->cls, *gpos = grads + lay->pos;
    for (int b = 0; b < nb; b++) {
        const REAL *db = dx0 + (size_t)b * nt * d;
        for (int i = 0; i < d; i++)
            gcls[i] += db[i];
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < d; i++)
                gpos[t * d + i] += db[t * d + i];
        memcpy(dpe + (size_t)b * np * d, db + d, sizeof(REAL) * np * d);
    }
    ML_F(ml_linear_backward)
    (NULL, grads + lay->patch_w, grads + lay->patch_b, dpe, patches, NULL, nb * np, lay->patch_len,
     d);
}

/* ------------------------------------------------------------ buffers */

static REAL *ML_F(carve)(REAL **cur, size_t n, size_t *total)
{
    REAL *p = *cur;
    *total += n;
    if (p)
        *cur = p + n;
    return p;
}

/* Lay out (or, with base NULL, only count) every buffer of net. */
static size_t ML_F(net_carve)(ML_T(ml_net) * net, REAL *base)
{
    const apex_ml_config *c = &net->cfg;
    size_t cap = (size_t)net->cap, total = 0, nc = c->n_classes;
    REAL *cur = base;
#define CARVE(n) ML_F(carve)(&cur, (n), &total)
    net->logits = CARVE(cap * nc);
    net->probs = CARVE(cap * nc);
    net->dlogits = CARVE(cap * nc);
    net->losses = CARVE(cap);
    if (c->arch == APEX_ML_ARCH_MLP) {
        size_t h = c->hidden;
        net->inp = CARVE(cap * c->side * c->side);
        net->h_pre = CARVE(cap * h);
        net->h = CARVE(cap * h);
        net->dh_pre = CARVE(cap * h);
        net->dh = CARVE(cap * h);
    } else {
        size_t t = (size_t)net->lay.n_tokens, d = c->dim, h = c->hidden;
        size_t np = (size_t)net->lay.n_patches, ntd = cap * t * d;
        net->inp = CARVE(cap * np * (size_t)net->lay.patch_len);
        net->pe = CARVE(cap * np * d);
        net->x0 = CARVE(ntd);
        for (uint32_t l = 0; l < c->depth; l++) {
            ML_T(ml_blk) *b = &net->blk[l];
            b->ln1 = CARVE(ntd);
            b->ln1_mean = CARVE(cap * t);
            b->ln1_rstd = CARVE(cap * t);
            b->qkv = CARVE(3 * ntd);
            b->att = CARVE(cap * c->heads * t * t);
            b->atty = CARVE(ntd);
            b->res1 = CARVE(ntd);
            b->ln2 = CARVE(ntd);
            b->ln2_mean = CARVE(cap * t);
            b->ln2_rstd = CARVE(cap * t);
            b->fc1 = CARVE(cap * t * h);
            b->gelu = CARVE(cap * t * h);
            b->res2 = CARVE(ntd);
        }
        net->cls_out = CARVE(cap * d);
        net->lnf = CARVE(cap * d);
        net->lnf_mean = CARVE(cap);
        net->lnf_rstd = CARVE(cap);
        net->dres_a = CARVE(ntd);
        net->dres_b = CARVE(ntd);
        net->dln = CARVE(ntd);
        net->datty = CARVE(ntd);
        net->dqkv = CARVE(3 * ntd);
        net->dfc1 = CARVE(cap * t * h);
        net->datt = CARVE(t * t);
        net->dcls = CARVE(cap * d);
    }
#undef CARVE
    return total;
}

ML_T(ml_net) * ML_F(ml_net_new)(const apex_ml_config *cfg, int cap)
{
    if (cap <= 0 || apex_ml_config_check(cfg) != APEX_OK)
        return NULL;
    ML_T(ml_net) *net = calloc(1, sizeof *net);
    if (!net)
        return NULL;
    net->cfg = *cfg;
    net->cap = cap;
    ml_layout_build(cfg, &net->lay, NULL, NULL);
    size_t n = ML_F(net_carve)(net, NULL);
    net->mem = apex_calloc_n(n, sizeof(REAL));
    if (!net->mem) {
        free(net);
        return NULL;
    }
    ML_F(net_carve)(net, net->mem);
    return net;
}

void ML_F(ml_net_destroy)(ML_T(ml_net) * *net)
{
    if (!net || !*net)
        return;
    free((*net)->mem);
    free(*net);
    *net = NULL;
}

/* ------------------------------------------------------------ forward */

int ML_F(ml_net_forward)(ML_T(ml_net) * net, const REAL *params, const float *x, const uint8_t *y,
                         int nb)
{
    const apex_ml_config *c = &net->cfg;
    const ml_layout *L = &net->lay;
    int nc = (int)c->n_classes;
    if (c->arch == APEX_ML_ARCH_MLP) {
        int in = (int)(c->side * c->side), h = (int)c->hidden;
        for (size_t i = 0; i < (size_t)nb * in; i++)
            net->inp[i] = ((REAL)x[i] - (REAL)ML_PIXEL_MEAN) / (REAL)ML_PIXEL_STD;
        ML_F(ml_linear_forward)
        (net->h_pre, net->inp, params + L->fc1_w, params + L->fc1_b, nb, in, h);
        ML_F(ml_gelu_forward)(net->h, net->h_pre, (size_t)nb * h);
        ML_F(ml_linear_forward)
        (net->logits, net->h, params + L->fc2_w, params + L->fc2_b, nb, h, nc);
    } else {
        int t = L->n_tokens, d = (int)c->dim, h = (int)c->hidden, n = nb * t;
        ML_F(ml_embed_forward)(net->x0, net->pe, net->inp, x, params, c, L, nb);
        const REAL *xin = net->x0;
        for (uint32_t l = 0; l < c->depth; l++) {
            ML_T(ml_blk) *b = &net->blk[l];
            const ml_block_off *o = &L->blk[l];
            ML_F(ml_layernorm_forward)
            (b->ln1, b->ln1_mean, b->ln1_rstd, xin, params + o->ln1_w, params + o->ln1_b, n, d);
            ML_F(ml_linear_forward)
            (b->qkv, b->ln1, params + o->qkv_w, params + o->qkv_b, n, d, 3 * d);
            ML_F(ml_attention_forward)(b->atty, b->att, b->qkv, nb, t, d, (int)c->heads);
            ML_F(ml_linear_residual_forward)
            (b->res1, b->atty, params + o->proj_w, params + o->proj_b, xin, n, d, d);
            ML_F(ml_layernorm_forward)
            (b->ln2, b->ln2_mean, b->ln2_rstd, b->res1, params + o->ln2_w, params + o->ln2_b, n, d);
            ML_F(ml_linear_forward)(b->fc1, b->ln2, params + o->fc1_w, params + o->fc1_b, n, d, h);
            ML_F(ml_gelu_forward_slope)(b->gelu, b->fc1, b->fc1, (size_t)n * h);
            ML_F(ml_linear_residual_forward)
            (b->res2, b->gelu, params + o->fc2_w, params + o->fc2_b, b->res1, n, h, d);
            xin = b->res2;
        }
        for (int b = 0; b < nb; b++)
            memcpy(net->cls_out + (size_t)b * d, xin + (size_t)b * t * d, sizeof(REAL) * d);
        ML_F(ml_layernorm_forward)
        (net->lnf, net->lnf_mean, net->lnf_rstd, net->cls_out, params + L->lnf_w, params + L->lnf_b,
         nb, d);
        ML_F(ml_linear_forward)
        (net->logits, net->lnf, params + L->head_w, params + L->head_b, nb, d, nc);
    }
    return ML_F(ml_xent_forward)(net->probs, net->losses, net->logits, y, nb, nc);
}

/* ------------------------------------------------------------ backward */

/* out[b] ([rows][cols]) = alpha * dpre[b]^T . xin[b] for tokens t: per-sample
 * weight gradients of a linear layer whose input is xin [nb][t][cols] and whose
 * output gradient is dpre [nb][t][rows]. */
static void ML_F(persample)(REAL *out, const REAL *dpre, const REAL *xin, int nb, int t, int rows,
                            int cols, REAL alpha)
{
    for (int b = 0; b < nb; b++)
        ML_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, rows, cols, t, alpha,
                dpre + (size_t)b * t * rows, rows, xin + (size_t)b * t * cols, cols, 0,
                out + (size_t)b * rows * cols, cols);
}

static void ML_F(mlp_backward)(ML_T(ml_net) * net, const REAL *params, REAL *grads, int nb,
                               REAL scale, REAL *const *ps)
{
    const ml_layout *L = &net->lay;
    int in = (int)(net->cfg.side * net->cfg.side), h = (int)net->cfg.hidden;
    int nc = (int)net->cfg.n_classes;
    memset(net->dh, 0, sizeof(REAL) * nb * h);
    ML_F(ml_linear_backward)
    (net->dh, grads + L->fc2_w, grads + L->fc2_b, net->dlogits, net->h, params + L->fc2_w, nb, h,
     nc);
    if (ps && ps[1])
        ML_F(persample)(ps[1], net->dlogits, net->h, nb, 1, nc, h, 1 / scale);
    memset(net->dh_pre, 0, sizeof(REAL) * nb * h);
    ML_F(ml_gelu_backward)(net->dh_pre, net->h_pre, net->dh, (size_t)nb * h);
    if (ps && ps[0])
        ML_F(persample)(ps[0], net->dh_pre, net->inp, nb, 1, h, in, 1 / scale);
    ML_F(ml_linear_backward)
    (NULL, grads + L->fc1_w, grads + L->fc1_b, net->dh_pre, net->inp, params + L->fc1_w, nb, in, h);
}

static void ML_F(vit_backward)(ML_T(ml_net) * net, const REAL *params, REAL *grads, int nb,
                               REAL scale, REAL *const *ps)
{
    const apex_ml_config *c = &net->cfg;
    const ml_layout *L = &net->lay;
    int t = L->n_tokens, d = (int)c->dim, h = (int)c->hidden, n = nb * t, nc = (int)c->n_classes;
    size_t ntd = (size_t)n * d;
    REAL *dlnf = net->datty; /* scratch, [nb][d] */
    memset(dlnf, 0, sizeof(REAL) * nb * d);
    ML_F(ml_linear_backward)
    (dlnf, grads + L->head_w, grads + L->head_b, net->dlogits, net->lnf, params + L->head_w, nb, d,
     nc);
    memset(net->dcls, 0, sizeof(REAL) * nb * d);
    ML_F(ml_layernorm_backward)
    (net->dcls, grads + L->lnf_w, grads + L->lnf_b, dlnf, net->cls_out, params + L->lnf_w,
     net->lnf_mean, net->lnf_rstd, nb, d);
    memset(net->dres_a, 0, sizeof(REAL) * ntd);
    for (int b = 0; b < nb; b++)
        memcpy(net->dres_a + (size_t)b * t * d, net->dcls + (size_t)b * d, sizeof(REAL) * d);
    for (int l = (int)c->depth - 1; l >= 0; l--) {
        ML_T(ml_blk) *b = &net->blk[l];
        const ml_block_off *o = &L->blk[l];
        const REAL *xin = l > 0 ? net->blk[l - 1].res2 : net->x0;
        /* MLP branch: res2 = res1 + fc2(gelu(fc1(ln2(res1)))); dres_a is the
         * gradient of res2, dres_b becomes that of res1 */
        ML_F(ml_linear_backward_beta)
        (net->dfc1, grads + o->fc2_w, grads + o->fc2_b, net->dres_a, b->gelu, params + o->fc2_w, n,
         h, d, 0);
        if (ps && ps[2 * l + 1])
            ML_F(persample)(ps[2 * l + 1], net->dres_a, b->gelu, nb, t, d, h, 1 / scale);
        ML_F(ml_gelu_backward_slope)(net->dfc1, grads + o->fc1_b, b->fc1, net->dfc1, n, h);
        if (ps && ps[2 * l])
            ML_F(persample)(ps[2 * l], net->dfc1, b->ln2, nb, t, h, d, 1 / scale);
        ML_F(ml_linear_backward_beta)
        (net->dln, grads + o->fc1_w, NULL, net->dfc1, b->ln2, params + o->fc1_w, n, d, h, 0);
        ML_F(ml_layernorm_backward_res)
        (net->dres_b, net->dres_a, grads + o->ln2_w, grads + o->ln2_b, net->dln, b->res1,
         params + o->ln2_w, b->ln2_mean, b->ln2_rstd, n, d);
        /* attention branch: res1 = x + proj(attn(qkv(ln1(x)))); dres_a becomes
         * the gradient of x */
        ML_F(ml_linear_backward_beta)
        (net->datty, grads + o->proj_w, grads + o->proj_b, net->dres_b, b->atty, params + o->proj_w,
         n, d, d, 0);
        ML_F(ml_attention_backward)
        (net->dqkv, net->datt, net->datty, b->qkv, b->att, nb, t, d, (int)c->heads);
        ML_F(ml_linear_backward_beta)
        (net->dln, grads + o->qkv_w, grads + o->qkv_b, net->dqkv, b->ln1, params + o->qkv_w, n, d,
         3 * d, 0);
        ML_F(ml_layernorm_backward_res)
        (net->dres_a, net->dres_b, grads + o->ln1_w, grads + o->ln1_b, net->dln, xin,
         params + o->ln1_w, b->ln1_mean, b->ln1_rstd, n, d);
    }
    ML_F(ml_embed_backward)(grads, net->dres_a, net->inp, net->dln, c, L, nb);
}

void ML_F(ml_net_backward)(ML_T(ml_net) * net, const REAL *params, REAL *grads, const uint8_t *y,
                           int nb, REAL scale, REAL *const *ps)
{
    ML_F(ml_xent_backward)(net->dlogits, net->probs, y, nb, (int)net->cfg.n_classes, scale);
    if (net->cfg.arch == APEX_ML_ARCH_MLP)
        ML_F(mlp_backward)(net, params, grads, nb, scale, ps);
    else
        ML_F(vit_backward)(net, params, grads, nb, scale, ps);
}
