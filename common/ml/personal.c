/* Per-client personalization data and the mild personalization recipe.
 *
 * A client is fully determined by (client id, fleet seed): its shard classes,
 * its domain shift and its private train/validation images. The recipe is
 * deliberately mild (UNLEARNING.md section 3): few epochs at a small learning
 * rate with layer-wise decay, and half of every epoch is a replay of plain,
 * all-class images, so θ_p keeps θ0's plain-test competence. */
#include "ml/ml_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_SEED_SALT 0x617065782d636c69ULL /* "apex-cli" */
#define REPLAY_SALT      0x7265706c6179ULL     /* "replay" */

/* The recipe (measured in docs/ML.md). */
#define PERS_EPOCHS       4
#define PERS_BATCH        32
#define PERS_LR_MLP       3e-4f
#define PERS_LR_VIT       2e-4f
#define PERS_LAYER_DECAY  0.7f
#define PERS_REPLAY_RATIO 1 /* plain replay images per private image */

static uint64_t client_seed(uint32_t client, uint64_t seed, uint64_t salt)
{
    uint8_t buf[20], d[APEX_SHA256_LEN];
    memcpy(buf, &seed, 8);
    memcpy(buf + 8, &client, 4);
    memcpy(buf + 12, &salt, 8);
    apex_sha256(buf, sizeof buf, d);
    uint64_t s;
    memcpy(&s, d, 8);
    return s;
}

int apex_ml_client_spec_make(uint32_t client, uint64_t seed, unsigned exclude,
                             apex_ml_client_spec *out)
{
    memset(out, 0, sizeof *out);
    int allowed[APEX_ML_NUM_CLASSES], na = 0;
    for (int k = 0; k < APEX_ML_NUM_CLASSES; k++)
        if (!(exclude & (1u << k)))
            allowed[na++] = k;
    if (na < APEX_ML_CLIENT_CLASSES)
        return APEX_ERR_INVALID;
    apex_rng rng;
    apex_rng_seed(&rng, client_seed(client, seed, CLIENT_SEED_SALT));
    for (int i = 0; i < APEX_ML_CLIENT_CLASSES; i++) {
        int j = i + (int)apex_rng_below(&rng, (uint64_t)(na - i));
        int t = allowed[i];
        allowed[i] = allowed[j];
        allowed[j] = t;
        out->classes |= 1u << allowed[i];
    }
    out->client = client;
    out->seed = seed;
    /* shifts rotate with the id so every fleet has all three in equal shares */
    out->shift = 1 + (int)(client % (APEX_ML_SHIFT_COUNT_ - 1));
    out->n_train = APEX_ML_CLIENT_TRAIN;
    out->n_val = APEX_ML_CLIENT_VAL;
    return APEX_OK;
}

const char *apex_ml_shift_name(int shift)
{
    switch (shift) {
    case APEX_ML_SHIFT_NONE:
        return "none";
    case APEX_ML_SHIFT_SKETCH:
        return "sketch";
    case APEX_ML_SHIFT_INVERT:
        return "invert";
    case APEX_ML_SHIFT_ROT90:
        return "rot90";
    default:
        return "unknown";
    }
}

static void sketch_one(float *img)
{
    const int s = APEX_ML_IMAGE_SIDE;
    float out[APEX_ML_IMAGE_PIXELS], mx = 0;
#define PX(r, c) ((r) < 0 || (r) >= s || (c) < 0 || (c) >= s ? 0.0f : img[(r)*s + (c)])
    for (int r = 0; r < s; r++) {
        for (int c = 0; c < s; c++) {
            float gx = PX(r - 1, c + 1) + 2 * PX(r, c + 1) + PX(r + 1, c + 1) - PX(r - 1, c - 1) -
                       2 * PX(r, c - 1) - PX(r + 1, c - 1);
            float gy = PX(r + 1, c - 1) + 2 * PX(r + 1, c) + PX(r + 1, c + 1) - PX(r - 1, c - 1) -
                       2 * PX(r - 1, c) - PX(r - 1, c + 1);
            out[r * s + c] = sqrtf(gx * gx + gy * gy);
            if (out[r * s + c] > mx)
                mx = out[r * s + c];
        }
    }
#undef PX
    for (int i = 0; i < s * s; i++)
        img[i] = mx > 0 ? out[i] / mx : 0;
}

void apex_ml_shift_apply(int shift, float *x, int n)
{
    const int s = APEX_ML_IMAGE_SIDE;
    for (int i = 0; i < n; i++) {
        float *img = x + (size_t)i * APEX_ML_IMAGE_PIXELS;
        if (shift == APEX_ML_SHIFT_SKETCH) {
            sketch_one(img);
        } else if (shift == APEX_ML_SHIFT_INVERT) {
            for (int j = 0; j < s * s; j++)
                img[j] = 1.0f - img[j];
        } else if (shift == APEX_ML_SHIFT_ROT90) {
            float tmp[APEX_ML_IMAGE_PIXELS];
            for (int r = 0; r < s; r++)
                for (int c = 0; c < s; c++)
                    tmp[c * s + (s - 1 - r)] = img[r * s + c]; /* clockwise */
            memcpy(img, tmp, sizeof tmp);
        }
    }
}

int apex_ml_client_data(const apex_ml_client_spec *s, const apex_ml_dataset *pool,
                        apex_ml_dataset **train, apex_ml_dataset **val)
{
    *train = *val = NULL;
    int *idx = calloc((size_t)pool->n, sizeof(int)), n = 0;
    if (!idx)
        return APEX_ERR_NOMEM;
    for (int i = 0; i < pool->n; i++)
        if (s->classes & (1u << pool->y[i]))
            idx[n++] = i;
    if (n < s->n_train + s->n_val) {
        free(idx);
        return APEX_ERR_INVALID;
    }
    apex_rng rng;
    apex_rng_seed(&rng, client_seed(s->client, s->seed, CLIENT_SEED_SALT + 1));
    for (int i = 0; i < s->n_train + s->n_val; i++) { /* partial Fisher-Yates */
        int j = i + (int)apex_rng_below(&rng, (uint64_t)(n - i));
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    *train = apex_ml_dataset_subset(pool, idx, s->n_train);
    *val = apex_ml_dataset_subset(pool, idx + s->n_train, s->n_val);
    free(idx);
    if (!*train || !*val) {
        apex_ml_dataset_destroy(train);
        apex_ml_dataset_destroy(val);
        return APEX_ERR_NOMEM;
    }
    apex_ml_shift_apply(s->shift, (*train)->x, (*train)->n);
    apex_ml_shift_apply(s->shift, (*val)->x, (*val)->n);
    return APEX_OK;
}

int apex_ml_personalize(apex_ml_model *m, const apex_ml_client_spec *s, const apex_ml_dataset *pool,
                        apex_ml_progress_fn cb, void *user)
{
    apex_ml_dataset *tr, *va;
    int rc = apex_ml_client_data(s, pool, &tr, &va);
    if (rc != APEX_OK)
        return rc;
    int n_rep = s->n_train * PERS_REPLAY_RATIO, n = s->n_train + n_rep;
    apex_ml_dataset *mix = apex_ml_dataset_new(n, pool->dim);
    if (!mix) {
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    memcpy(mix->x, tr->x, sizeof(float) * tr->n * tr->dim);
    memcpy(mix->y, tr->y, (size_t)tr->n);
    apex_rng rng;
    apex_rng_seed(&rng, client_seed(s->client, s->seed, REPLAY_SALT));
    for (int i = 0; i < n_rep; i++) {
        int j = (int)apex_rng_below(&rng, (uint64_t)pool->n);
        memcpy(mix->x + (size_t)(tr->n + i) * mix->dim, pool->x + (size_t)j * pool->dim,
               sizeof(float) * pool->dim);
        mix->y[tr->n + i] = pool->y[j];
    }
    apex_ml_train_opts o;
    apex_ml_train_defaults(&m->cfg, &o);
    o.epochs = PERS_EPOCHS;
    o.batch = PERS_BATCH;
    o.lr = m->cfg.arch == APEX_ML_ARCH_MLP ? PERS_LR_MLP : PERS_LR_VIT;
    o.lr_min = o.lr * 0.1f;
    o.weight_decay = 0;
    o.warmup_frac = 0.1f;
    o.layer_decay = PERS_LAYER_DECAY;
    o.seed = client_seed(s->client, s->seed, REPLAY_SALT + 1);
    rc = apex_ml_train(m, mix, &o, cb, user);
out:
    apex_ml_dataset_destroy(&mix);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return rc;
}
