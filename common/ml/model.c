/* Model configs, parameter layout, construction, and the float32 entry points. */
#include "ml/ml_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ configs */

int apex_ml_config_preset(const char *name, apex_ml_config *out)
{
    memset(out, 0, sizeof *out);
    out->side = APEX_ML_IMAGE_SIDE;
    out->n_classes = APEX_ML_NUM_CLASSES;
    if (strcmp(name, "mlp") == 0) {
        out->arch = APEX_ML_ARCH_MLP;
        out->hidden = 256;
    } else if (strcmp(name, "vit-tiny") == 0) {
        out->arch = APEX_ML_ARCH_VIT;
        out->patch = 7;
        out->dim = 64;
        out->depth = 4;
        out->heads = 4;
        out->hidden = 256; /* MLP ratio 4 */
    } else if (strcmp(name, "vit-small") == 0) {
        /* 4 fc1 matrices of 1024 x 256: 2^20 targeted weights */
        out->arch = APEX_ML_ARCH_VIT;
        out->patch = 7;
        out->dim = 256;
        out->depth = 4;
        out->heads = 8;
        out->hidden = 1024;
    } else {
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

const char *apex_ml_config_name(const apex_ml_config *cfg)
{
    static const char *names[] = {"mlp", "vit-tiny", "vit-small"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        apex_ml_config p;
        apex_ml_config_preset(names[i], &p);
        if (memcmp(&p, cfg, sizeof p) == 0)
            return names[i];
    }
    return cfg->arch == APEX_ML_ARCH_MLP ? "mlp" : "vit";
}

int apex_ml_config_check(const apex_ml_config *c)
{
    if (c->side < 4 || c->side > 64 || c->n_classes < 2 || c->n_classes > 256 || c->hidden < 1 ||
        c->hidden > 16384)
        return APEX_ERR_RANGE;
    if (c->arch == APEX_ML_ARCH_MLP) {
        if (c->patch || c->dim || c->depth || c->heads)
            return APEX_ERR_RANGE;
    } else if (c->arch == APEX_ML_ARCH_VIT) {
        if (c->patch < 1 || c->side % c->patch || c->dim < 1 || c->dim > 4096 || c->depth < 1 ||
            c->depth > APEX_ML_MAX_DEPTH || c->heads < 1 || c->dim % c->heads)
            return APEX_ERR_RANGE;
        uint32_t per_row = c->side / c->patch, tokens = per_row * per_row + 1;
        /* per-head attention tiles stay small: the engine is built for small ViTs */
        if ((uint64_t)tokens * (c->dim / c->heads) > 8192)
            return APEX_ERR_RANGE;
    } else {
        return APEX_ERR_RANGE;
    }
    ml_layout lay;
    ml_layout_build(c, &lay, NULL, NULL);
    return lay.total <= APEX_ML_MAX_PARAMS ? APEX_OK : APEX_ERR_TOO_LARGE;
}

/* ------------------------------------------------------------ layout */

struct layout_builder {
    size_t next;             /* next free offset */
    apex_ml_tensor *tensors; /* output table or NULL */
    int n;                   /* rows written */
};

static size_t add_tensor(struct layout_builder *lb, const char *name, int rows, int cols)
{
    size_t off = lb->next;
    if (lb->tensors) {
        apex_ml_tensor *t = &lb->tensors[lb->n];
        snprintf(t->name, sizeof t->name, "%s", name);
        t->offset = off;
        t->rows = rows;
        t->cols = cols;
    }
    lb->n++;
    lb->next += (size_t)rows * (size_t)cols;
    return off;
}

void ml_layout_build(const apex_ml_config *c, ml_layout *lay, apex_ml_tensor *tensors,
                     int *n_tensors)
{
    struct layout_builder lb = {0, tensors, 0};
    memset(lay, 0, sizeof *lay);
    int h = (int)c->hidden, nc = (int)c->n_classes;
    if (c->arch == APEX_ML_ARCH_MLP) {
        int in = (int)(c->side * c->side);
        lay->n_tokens = 1;
        lay->fc1_w = add_tensor(&lb, "fc1.weight", h, in);
        lay->fc1_b = add_tensor(&lb, "fc1.bias", 1, h);
        lay->fc2_w = add_tensor(&lb, "fc2.weight", nc, h);
        lay->fc2_b = add_tensor(&lb, "fc2.bias", 1, nc);
    } else {
        int d = (int)c->dim, per_row = (int)(c->side / c->patch);
        lay->n_patches = per_row * per_row;
        lay->n_tokens = lay->n_patches + 1;
        lay->patch_len = (int)(c->patch * c->patch);
        lay->patch_w = add_tensor(&lb, "patch.weight", d, lay->patch_len);
        lay->patch_b = add_tensor(&lb, "patch.bias", 1, d);
        lay->cls = add_tensor(&lb, "cls", 1, d);
        lay->pos = add_tensor(&lb, "pos", lay->n_tokens, d);
        for (uint32_t l = 0; l < c->depth && l < APEX_ML_MAX_DEPTH; l++) {
            ml_block_off *o = &lay->blk[l];
            char nm[32];
#define T(field, suffix, r, cc)                                                                    \
    snprintf(nm, sizeof nm, "blocks.%u.%s", l, suffix);                                            \
    o->field = add_tensor(&lb, nm, r, cc)
            T(ln1_w, "ln1.weight", 1, d);
            T(ln1_b, "ln1.bias", 1, d);
            T(qkv_w, "qkv.weight", 3 * d, d);
            T(qkv_b, "qkv.bias", 1, 3 * d);
            T(proj_w, "proj.weight", d, d);
            T(proj_b, "proj.bias", 1, d);
            T(ln2_w, "ln2.weight", 1, d);
            T(ln2_b, "ln2.bias", 1, d);
            T(fc1_w, "fc1.weight", h, d);
            T(fc1_b, "fc1.bias", 1, h);
            T(fc2_w, "fc2.weight", d, h);
            T(fc2_b, "fc2.bias", 1, d);
#undef T
        }
        lay->lnf_w = add_tensor(&lb, "lnf.weight", 1, d);
        lay->lnf_b = add_tensor(&lb, "lnf.bias", 1, d);
        lay->head_w = add_tensor(&lb, "head.weight", nc, d);
        lay->head_b = add_tensor(&lb, "head.bias", 1, nc);
    }
    lay->total = lb.next;
    if (n_tensors)
        *n_tensors = lb.n;
}

/* ------------------------------------------------------------ lifecycle */

static void init_params(apex_ml_model *m, uint64_t seed)
{
    apex_rng rng;
    apex_rng_seed(&rng, seed);
    for (int i = 0; i < m->n_tensors; i++) {
        const apex_ml_tensor *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = (size_t)t->rows * t->cols;
        const char *dot = strrchr(t->name, '.');
        int is_ln = strstr(t->name, "ln") != NULL;
        float std;
        if (is_ln && dot && strcmp(dot, ".weight") == 0)
            std = -1; /* LayerNorm gain: ones */
        else if (dot && strcmp(dot, ".bias") == 0)
            std = 0;
        else if (m->cfg.arch == APEX_ML_ARCH_MLP)
            std = sqrtf(2.0f / (float)t->cols); /* He init for GELU */
        else
            std = 0.02f; /* ViT: N(0, 0.02) as in the reference ViTs */
        for (size_t j = 0; j < n; j++)
            p[j] = std < 0 ? 1.0f : std == 0 ? 0.0f : std * (float)apex_rng_normal(&rng);
    }
}

static apex_ml_model *model_alloc(const apex_ml_config *cfg)
{
    if (apex_ml_config_check(cfg) != APEX_OK)
        return NULL;
    apex_ml_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = *cfg;
    m->work = calloc(1, sizeof *m->work);
    m->tensors = calloc(ML_MAX_TENSORS, sizeof *m->tensors);
    if (!m->work || !m->tensors)
        goto fail;
    ml_layout_build(cfg, &m->work->lay, m->tensors, &m->n_tensors);
    m->n_params = m->work->lay.total;
    m->params = apex_calloc_n(m->n_params, sizeof(float));
    m->grads = apex_calloc_n(m->n_params, sizeof(float));
    int nt = cfg->arch == APEX_ML_ARCH_MLP ? 1 : (int)cfg->depth;
    m->targets = calloc(2 * (size_t)nt, sizeof *m->targets);
    if (!m->params || !m->grads || !m->targets)
        goto fail;
    apex_ml_model_set_targets(m, APEX_ML_TARGET_FC1);
    return m;
fail:
    apex_ml_model_destroy(&m);
    return NULL;
}

int apex_ml_model_set_targets(apex_ml_model *m, unsigned set)
{
    if (!m || set == 0 || (set & ~(unsigned)(APEX_ML_TARGET_FC1 | APEX_ML_TARGET_FC2)))
        return APEX_ERR_INVALID;
    m->n_targets = 0;
    m->target_set = set;
    for (int i = 0; i < m->n_tensors; i++) { /* tensors are in offset order */
        const char *nm = m->tensors[i].name;
        size_t len = strlen(nm);
        int fc1 = len >= 10 && strcmp(nm + len - 10, "fc1.weight") == 0;
        int fc2 = len >= 10 && strcmp(nm + len - 10, "fc2.weight") == 0;
        if ((fc1 && (set & APEX_ML_TARGET_FC1)) || (fc2 && (set & APEX_ML_TARGET_FC2)))
            m->targets[m->n_targets++] = m->tensors[i];
    }
    return APEX_OK;
}

apex_ml_model *apex_ml_model_new(const apex_ml_config *cfg, uint64_t seed)
{
    apex_ml_model *m = model_alloc(cfg);
    if (m)
        init_params(m, seed);
    return m;
}

apex_ml_model *apex_ml_model_clone(const apex_ml_model *src)
{
    apex_ml_model *m = model_alloc(&src->cfg);
    if (m) {
        memcpy(m->params, src->params, sizeof(float) * m->n_params);
        m->frac_bits = src->frac_bits;
        apex_ml_model_set_targets(m, src->target_set ? src->target_set : APEX_ML_TARGET_FC1);
    }
    return m;
}

void apex_ml_model_destroy(apex_ml_model **pm)
{
    if (!pm || !*pm)
        return;
    apex_ml_model *m = *pm;
    if (m->work) {
        ml_net_destroy_f32(&m->work->net);
        for (int t = 0; t < ML_MAX_PAR; t++) {
            ml_net_destroy_f32(&m->work->pnet[t]);
            free(m->work->pgrads[t]);
        }
    }
    free(m->work);
    free(m->tensors);
    free(m->targets);
    free(m->params);
    free(m->grads);
    free(m);
    *pm = NULL;
}

int ml_model_reserve(apex_ml_model *m, int n)
{
    if (n <= 0)
        return APEX_ERR_INVALID;
    if (m->work->net && m->work->net->cap >= n)
        return APEX_OK;
    ml_net_destroy_f32(&m->work->net);
    m->work->net = ml_net_new_f32(&m->cfg, n);
    return m->work->net ? APEX_OK : APEX_ERR_NOMEM;
}
