/* Model files and the fixed-point export.
 *
 * File layout (all integers little-endian):
 *   "APEXMODL"            8 bytes magic
 *   version               u32 (APEX_ML_FILE_VERSION)
 *   config                8 x u32 (apex_ml_config field order)
 *   frac_bits             i32 (0, or the fixed-point grid every weight sits on)
 *   n_params              u64
 *   n_tensors             u32
 *   tensor table          n_tensors x { name[32], offset u64, rows u32, cols u32 }
 *   parameters            n_params x f32
 *   sha256                32 bytes over everything above
 * The loader rebuilds the layout from the config and requires the stored
 * table to match it exactly, so a file can never describe shapes the code
 * would index out of bounds. */
#include "ml/ml_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_MAGIC      "APEXMODL"
#define MODEL_MAGIC_LEN  8
#define MODEL_FIXED_HDR  (MODEL_MAGIC_LEN + 4 + 8 * 4 + 4 + 8 + 4)
#define MODEL_TENSOR_REC (32 + 8 + 4 + 4)

static void put_u32(uint8_t **p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t **p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t **p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(*p)[i] << (8 * i);
    *p += 4;
    return v;
}

static uint64_t get_u64(const uint8_t **p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)(*p)[i] << (8 * i);
    *p += 8;
    return v;
}

static size_t encoded_size(size_t n_tensors, size_t n_params)
{
    return MODEL_FIXED_HDR + n_tensors * MODEL_TENSOR_REC + n_params * 4 + APEX_SHA256_LEN;
}

int apex_ml_model_encode(const apex_ml_model *m, uint8_t **buf, size_t *len)
{
    size_t n = encoded_size((size_t)m->n_tensors, m->n_params);
    uint8_t *b = malloc(n), *p = b;
    if (!b)
        return APEX_ERR_NOMEM;
    memcpy(p, MODEL_MAGIC, MODEL_MAGIC_LEN);
    p += MODEL_MAGIC_LEN;
    put_u32(&p, APEX_ML_FILE_VERSION);
    const uint32_t *cf = &m->cfg.arch;
    for (int i = 0; i < 8; i++)
        put_u32(&p, cf[i]);
    put_u32(&p, (uint32_t)m->frac_bits);
    put_u64(&p, m->n_params);
    put_u32(&p, (uint32_t)m->n_tensors);
    for (int i = 0; i < m->n_tensors; i++) {
        const apex_ml_tensor *t = &m->tensors[i];
        memset(p, 0, 32);
        memcpy(p, t->name, strnlen(t->name, 31));
        p += 32;
        put_u64(&p, t->offset);
        put_u32(&p, (uint32_t)t->rows);
        put_u32(&p, (uint32_t)t->cols);
    }
    for (size_t i = 0; i < m->n_params; i++) {
        uint32_t u;
        memcpy(&u, &m->params[i], 4);
        put_u32(&p, u);
    }
    int rc = apex_sha256(b, (size_t)(p - b), p);
    if (rc != APEX_OK) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return APEX_OK;
}

int apex_ml_model_save(const apex_ml_model *m, const char *path)
{
    uint8_t *b;
    size_t n;
    int rc = apex_ml_model_encode(m, &b, &n);
    if (rc != APEX_OK)
        return rc;
    rc = apex_file_write_atomic(path, b, n, 0644);
    free(b);
    return rc;
}

int apex_ml_model_digest(const apex_ml_model *m, uint8_t out[APEX_SHA256_LEN])
{
    uint8_t *b;
    size_t n;
    int rc = apex_ml_model_encode(m, &b, &n);
    if (rc != APEX_OK)
        return rc;
    memcpy(out, b + n - APEX_SHA256_LEN, APEX_SHA256_LEN);
    free(b);
    return APEX_OK;
}

/* Is every weight k * 2^-f with |k| < 2^21? */
static int on_fixed_grid(const float *w, size_t n, int f)
{
    for (size_t i = 0; i < n; i++) {
        double k = ldexp((double)w[i], f);
        if (k != floor(k) || fabs(k) >= (double)(1u << APEX_ML_FIXED_MAG_BITS))
            return 0;
    }
    return 1;
}

int apex_ml_model_decode(const uint8_t *buf, size_t len, apex_ml_model **out)
{
    *out = NULL;
    if (len < MODEL_FIXED_HDR + APEX_SHA256_LEN) {
        LOG_ERROR("model: %zu bytes is shorter than any model file", len);
        return APEX_ERR_TRUNCATED;
    }
    const uint8_t *p = buf;
    if (memcmp(p, MODEL_MAGIC, MODEL_MAGIC_LEN) != 0) {
        LOG_ERROR("model: bad magic (not an apex model file)");
        return APEX_ERR_FORMAT;
    }
    p += MODEL_MAGIC_LEN;
    uint32_t version = get_u32(&p);
    if (version != APEX_ML_FILE_VERSION) {
        LOG_ERROR("model: version %u, this build reads version %u", version, APEX_ML_FILE_VERSION);
        return APEX_ERR_VERSION;
    }
    apex_ml_config cfg;
    uint32_t *cf = &cfg.arch;
    for (int i = 0; i < 8; i++)
        cf[i] = get_u32(&p);
    int rc = apex_ml_config_check(&cfg);
    if (rc != APEX_OK) {
        LOG_ERROR("model: absurd shapes in config (arch %u side %u hidden %u dim %u depth %u "
                  "heads %u)",
                  cfg.arch, cfg.side, cfg.hidden, cfg.dim, cfg.depth, cfg.heads);
        return rc;
    }
    int32_t frac = (int32_t)get_u32(&p);
    uint64_t n_params = get_u64(&p);
    uint32_t n_tensors = get_u32(&p);
    ml_layout lay;
    apex_ml_tensor tab[ML_MAX_TENSORS];
    int nt;
    ml_layout_build(&cfg, &lay, tab, &nt);
    if (n_params != lay.total || n_tensors != (uint32_t)nt) {
        LOG_ERROR("model: header says %llu params in %u tensors, config implies %zu in %d",
                  (unsigned long long)n_params, n_tensors, lay.total, nt);
        return APEX_ERR_FORMAT;
    }
    if (frac < 0 || frac > APEX_ML_FIXED_MAX_FRAC) {
        LOG_ERROR("model: fixed-point scale 2^-%d out of range", frac);
        return APEX_ERR_RANGE;
    }
    size_t want = encoded_size(n_tensors, (size_t)n_params);
    if (len != want) {
        LOG_ERROR("model: %zu bytes, expected %zu", len, want);
        return len < want ? APEX_ERR_TRUNCATED : APEX_ERR_FORMAT;
    }
    uint8_t digest[APEX_SHA256_LEN];
    if ((rc = apex_sha256(buf, len - APEX_SHA256_LEN, digest)) != APEX_OK)
        return rc;
    if (apex_memeq_ct(digest, buf + len - APEX_SHA256_LEN, APEX_SHA256_LEN) != 0) {
        LOG_ERROR("model: SHA-256 mismatch (file altered or corrupted)");
        return APEX_ERR_HASH;
    }
    for (int i = 0; i < nt; i++) {
        char name[33] = {0};
        memcpy(name, p, 32);
        p += 32;
        uint64_t off = get_u64(&p);
        uint32_t rows = get_u32(&p), cols = get_u32(&p);
        if (strcmp(name, tab[i].name) != 0 || off != tab[i].offset ||
            rows != (uint32_t)tab[i].rows || cols != (uint32_t)tab[i].cols) {
            LOG_ERROR("model: tensor %d (%s) does not match the config's layout", i, name);
            return APEX_ERR_FORMAT;
        }
    }
    apex_ml_model *m = apex_ml_model_new(&cfg, 0);
    if (!m)
        return APEX_ERR_NOMEM;
    for (size_t i = 0; i < m->n_params; i++) {
        uint32_t u = get_u32(&p);
        memcpy(&m->params[i], &u, 4);
        if (!isfinite(m->params[i])) {
            LOG_ERROR("model: parameter %zu is not finite", i);
            apex_ml_model_destroy(&m);
            return APEX_ERR_FORMAT;
        }
    }
    if (frac > 0 && !on_fixed_grid(m->params, m->n_params, frac)) {
        LOG_ERROR("model: weights are not on the declared 2^-%d fixed-point grid", frac);
        apex_ml_model_destroy(&m);
        return APEX_ERR_FORMAT;
    }
    m->frac_bits = frac;
    *out = m;
    return APEX_OK;
}

int apex_ml_model_load(const char *path, apex_ml_model **out)
{
    *out = NULL;
    uint8_t *b;
    size_t n;
    int rc = apex_file_read_all(path, APEX_ML_FILE_MAX_BYTES, &b, &n);
    if (rc != APEX_OK) {
        LOG_ERROR("model %s: %s", path, apex_strerror(rc));
        return rc;
    }
    rc = apex_ml_model_decode(b, n, out);
    if (rc != APEX_OK)
        LOG_ERROR("model %s rejected: %s", path, apex_strerror(rc));
    free(b);
    return rc;
}

/* ------------------------------------------------------------ fixed point */

int apex_ml_fixed_choose_bits(const apex_ml_model *m)
{
    float mx = 0;
    for (size_t i = 0; i < m->n_params; i++)
        if (fabsf(m->params[i]) > mx)
            mx = fabsf(m->params[i]);
    /* keep round(max * 2^f) <= 2^21 - 1 */
    double lim = (double)(1u << APEX_ML_FIXED_MAG_BITS) - 1;
    int f = APEX_ML_FIXED_MAX_FRAC;
    while (f >= 0 && ldexp((double)mx, f) > lim - 0.5)
        f--;
    return f;
}

int apex_ml_fixed_export(const apex_ml_model *m, int frac_bits, apex_ml_fixed *out)
{
    memset(out, 0, sizeof *out);
    if (frac_bits < 0)
        frac_bits = apex_ml_fixed_choose_bits(m);
    if (frac_bits < 0 || frac_bits > APEX_ML_FIXED_MAX_FRAC)
        return APEX_ERR_RANGE;
    out->w = apex_calloc_n(m->n_params, sizeof(int32_t));
    if (!out->w)
        return APEX_ERR_NOMEM;
    const double lim = (double)(1u << APEX_ML_FIXED_MAG_BITS);
    for (size_t i = 0; i < m->n_params; i++) {
        double k = nearbyint(ldexp((double)m->params[i], frac_bits));
        if (!(fabs(k) < lim)) {
            apex_ml_fixed_free(out);
            return APEX_ERR_RANGE;
        }
        out->w[i] = (int32_t)k;
    }
    out->frac_bits = frac_bits;
    out->n = m->n_params;
    return APEX_OK;
}

int apex_ml_fixed_load(apex_ml_model *m, const apex_ml_fixed *fx)
{
    if (fx->n != m->n_params || fx->frac_bits < 0 || fx->frac_bits > APEX_ML_FIXED_MAX_FRAC)
        return APEX_ERR_INVALID;
    const int32_t lim = 1 << APEX_ML_FIXED_MAG_BITS;
    for (size_t i = 0; i < fx->n; i++)
        if (fx->w[i] >= lim || fx->w[i] <= -lim)
            return APEX_ERR_RANGE;
    /* |k| < 2^21 fits the 24-bit float mantissa, so this is exact */
    for (size_t i = 0; i < fx->n; i++)
        m->params[i] = ldexpf((float)fx->w[i], -fx->frac_bits);
    m->frac_bits = fx->frac_bits;
    return APEX_OK;
}

int apex_ml_fixed_snap(apex_ml_model *m, int frac_bits)
{
    apex_ml_fixed fx;
    int rc = apex_ml_fixed_export(m, frac_bits, &fx);
    if (rc == APEX_OK)
        rc = apex_ml_fixed_load(m, &fx);
    apex_ml_fixed_free(&fx);
    return rc;
}

void apex_ml_fixed_free(apex_ml_fixed *fx)
{
    free(fx->w);
    fx->w = NULL;
    fx->n = 0;
}
