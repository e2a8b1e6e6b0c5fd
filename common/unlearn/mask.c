/* The public mask file, mask.bin (docs/UNLEARN.md has the byte layout).
 *
 * All integers little-endian:
 *   magic "APEXMASK" (8) | version u32 | index width u8 (4 or 8) | reserved 3 zero bytes |
 *   model id (32, SHA-256 of the model file) | nlayers u32 |
 *   nlayers × { name_len u8 | name | offset u64 | rows u64 | cols u64 } |
 *   count u64 | count × index (width bytes) | SHA-256 of every byte before it (32)
 * The width is canonical: 4 when every layer ends at or below 2^32, else 8, so a mask has
 * exactly one encoding (the proof transcript absorbs it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/unlearn.h"

#define MAGIC_LEN   8u
#define HEADER_LEN  (MAGIC_LEN + 4u + 4u + APEX_SHA256_LEN + 4u) /* up to nlayers */
#define LAYER_FIXED (1u + 3u * 8u)                               /* name_len + 3 u64 */
#define U32_SPACE   ((uint64_t)1 << 32)

static int fail(char *why, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, int err, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, APEX_MASK_WHY_LEN, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ---------------------------------------------------------------- validation */

static int validate_layers(const apex_mask_layer *layers, size_t nlayers, char *why)
{
    if (nlayers == 0)
        return fail(why, APEX_ERR_FORMAT, "layer table is empty");
    if (nlayers > APEX_MASK_MAX_LAYERS)
        return fail(why, APEX_ERR_TOO_LARGE, "%zu layers, limit %u", nlayers, APEX_MASK_MAX_LAYERS);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < nlayers; i++) {
        const apex_mask_layer *l = &layers[i];
        size_t len = strnlen(l->name, sizeof l->name);
        if (len == 0 || len > APEX_MASK_NAME_MAX)
            return fail(why, APEX_ERR_FORMAT, "layer %zu: name length must be 1..%u", i,
                        APEX_MASK_NAME_MAX);
        for (size_t c = 0; c < len; c++)
            if (l->name[c] <= ' ' || l->name[c] > '~')
                return fail(why, APEX_ERR_FORMAT, "layer %zu: name byte %zu is not printable", i,
                            c);
        for (size_t j = 0; j < i; j++)
            if (strcmp(layers[j].name, l->name) == 0)
                return fail(why, APEX_ERR_FORMAT, "layer %zu: duplicate name '%s'", i, l->name);
        uint64_t size, end;
        if (l->rows == 0 || l->cols == 0)
            return fail(why, APEX_ERR_FORMAT, "layer %zu (%s): empty matrix %llux%llu", i, l->name,
                        (unsigned long long)l->rows, (unsigned long long)l->cols);
        if (__builtin_mul_overflow(l->rows, l->cols, &size) ||
            __builtin_add_overflow(l->offset, size, &end) || end > APEX_MASK_MAX_WEIGHTS)
            return fail(why, APEX_ERR_TOO_LARGE, "layer %zu (%s): ends beyond 2^40 weights", i,
                        l->name);
        if (i > 0 && l->offset < prev_end)
            return fail(why, APEX_ERR_FORMAT,
                        "layer %zu (%s): offset %llu overlaps or precedes the previous layer "
                        "(ends at %llu)",
                        i, l->name, (unsigned long long)l->offset, (unsigned long long)prev_end);
        prev_end = end;
    }
    return APEX_OK;
}

static uint64_t layers_end(const apex_mask_layer *layers, size_t nlayers)
{
    return layers[nlayers - 1].offset + layers[nlayers - 1].rows * layers[nlayers - 1].cols;
}

/* Layers are valid; indices must be strictly increasing and each inside a layer. */
static int validate_indices(const apex_mask_layer *layers, size_t nlayers, const uint64_t *idx,
                            size_t count, char *why)
{
    size_t l = 0;
    for (size_t k = 0; k < count; k++) {
        if (k > 0 && idx[k] <= idx[k - 1])
            return fail(why, APEX_ERR_FORMAT, "index %zu (%llu) is %s", k,
                        (unsigned long long)idx[k],
                        idx[k] == idx[k - 1] ? "a duplicate" : "out of order");
        while (l < nlayers && idx[k] >= layers[l].offset + layers[l].rows * layers[l].cols)
            l++;
        if (l == nlayers || idx[k] < layers[l].offset)
            return fail(why, APEX_ERR_RANGE, "index %zu (%llu) is outside every layer", k,
                        (unsigned long long)idx[k]);
    }
    return APEX_OK;
}

int apex_mask_new(const uint8_t model_id[APEX_SHA256_LEN], const apex_mask_layer *layers,
                  size_t nlayers, const uint64_t *idx, size_t count, apex_mask **out, char *why)
{
    if (!model_id || !layers || !out || (count > 0 && !idx))
        return fail(why, APEX_ERR_INVALID, "missing argument");
    *out = NULL;
    int rc = validate_layers(layers, nlayers, why);
    if (rc == APEX_OK)
        rc = validate_indices(layers, nlayers, idx, count, why);
    if (rc != APEX_OK)
        return rc;
    apex_mask *m = calloc(1, sizeof *m);
    if (!m)
        return fail(why, APEX_ERR_NOMEM, "out of memory");
    m->layers = apex_calloc_n(nlayers, sizeof *m->layers);
    m->idx = apex_calloc_n(count ? count : 1, sizeof *m->idx);
    if (!m->layers || !m->idx) {
        apex_mask_destroy(&m);
        return fail(why, APEX_ERR_NOMEM, "out of memory");
    }
    memcpy(m->model_id, model_id, APEX_SHA256_LEN);
    memcpy(m->layers, layers, nlayers * sizeof *layers);
    for (size_t i = 0; i < nlayers; i++) { /* canonical: zero bytes after the name */
        memset(m->layers[i].name, 0, sizeof m->layers[i].name);
        memcpy(m->layers[i].name, layers[i].name, strnlen(layers[i].name, APEX_MASK_NAME_MAX));
    }
    if (count)
        memcpy(m->idx, idx, count * sizeof *idx);
    m->nlayers = nlayers;
    m->count = count;
    *out = m;
    return APEX_OK;
}

void apex_mask_destroy(apex_mask **m)
{
    if (!m || !*m)
        return;
    free((*m)->layers);
    free((*m)->idx);
    free(*m);
    *m = NULL;
}

/* ---------------------------------------------------------------- encoding */

static uint8_t *put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + n;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static size_t layer_table_len(const apex_mask_layer *layers, size_t nlayers)
{
    size_t len = 4;
    for (size_t i = 0; i < nlayers; i++)
        len += LAYER_FIXED + strlen(layers[i].name);
    return len;
}

static uint8_t *put_layer_table(uint8_t *p, const apex_mask_layer *layers, size_t nlayers)
{
    p = put_le(p, nlayers, 4);
    for (size_t i = 0; i < nlayers; i++) {
        size_t len = strlen(layers[i].name);
        *p++ = (uint8_t)len;
        memcpy(p, layers[i].name, len);
        p = put_le(p + len, layers[i].offset, 8);
        p = put_le(p, layers[i].rows, 8);
        p = put_le(p, layers[i].cols, 8);
    }
    return p;
}

int apex_mask_layers_digest(const apex_mask_layer *layers, size_t nlayers,
                            uint8_t out[APEX_SHA256_LEN])
{
    int rc = validate_layers(layers, nlayers, NULL);
    if (rc != APEX_OK)
        return rc;
    size_t len = layer_table_len(layers, nlayers);
    uint8_t *buf = malloc(len);
    if (!buf)
        return APEX_ERR_NOMEM;
    put_layer_table(buf, layers, nlayers);
    rc = apex_sha256(buf, len, out);
    free(buf);
    return rc;
}

int apex_mask_encode(const apex_mask *m, uint8_t **buf, size_t *len)
{
    if (!m || !buf || !len)
        return APEX_ERR_INVALID;
    int rc = validate_layers(m->layers, m->nlayers, NULL);
    if (rc == APEX_OK)
        rc = validate_indices(m->layers, m->nlayers, m->idx, m->count, NULL);
    if (rc != APEX_OK)
        return rc;
    unsigned width = layers_end(m->layers, m->nlayers) <= U32_SPACE ? 4u : 8u;
    size_t n = HEADER_LEN - 4 + layer_table_len(m->layers, m->nlayers) + 8 + m->count * width +
               APEX_SHA256_LEN;
    uint8_t *b = malloc(n), *p = b;
    if (!b)
        return APEX_ERR_NOMEM;
    memcpy(p, APEX_MASK_MAGIC, MAGIC_LEN);
    p = put_le(p + MAGIC_LEN, APEX_MASK_VERSION, 4);
    *p++ = (uint8_t)width;
    memset(p, 0, 3);
    p += 3;
    memcpy(p, m->model_id, APEX_SHA256_LEN);
    p = put_layer_table(p + APEX_SHA256_LEN, m->layers, m->nlayers);
    p = put_le(p, m->count, 8);
    for (size_t k = 0; k < m->count; k++)
        p = put_le(p, m->idx[k], width);
    if ((rc = apex_sha256(b, (size_t)(p - b), p)) != APEX_OK) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return APEX_OK;
}

int apex_mask_decode(const uint8_t *buf, size_t len, apex_mask **out, char *why)
{
    if (!buf || !out)
        return fail(why, APEX_ERR_INVALID, "missing argument");
    *out = NULL;
    if (len < MAGIC_LEN || memcmp(buf, APEX_MASK_MAGIC, MAGIC_LEN) != 0)
        return fail(why, len < MAGIC_LEN ? APEX_ERR_TRUNCATED : APEX_ERR_FORMAT,
                    "bad magic (not a mask.bin)");
    if (len < HEADER_LEN)
        return fail(why, APEX_ERR_TRUNCATED, "truncated header (%zu bytes)", len);
    uint32_t version = (uint32_t)get_le(buf + MAGIC_LEN, 4);
    if (version != APEX_MASK_VERSION)
        return fail(why, APEX_ERR_VERSION, "version %u, this build reads %u", version,
                    APEX_MASK_VERSION);
    unsigned width = buf[MAGIC_LEN + 4];
    if ((width != 4 && width != 8) || buf[MAGIC_LEN + 5] || buf[MAGIC_LEN + 6] ||
        buf[MAGIC_LEN + 7])
        return fail(why, APEX_ERR_FORMAT, "bad index width %u or reserved bytes", width);
    const uint8_t *id = buf + MAGIC_LEN + 8;
    uint64_t nlayers = get_le(buf + HEADER_LEN - 4, 4);
    if (nlayers == 0 || nlayers > APEX_MASK_MAX_LAYERS)
        return fail(why, nlayers ? APEX_ERR_TOO_LARGE : APEX_ERR_FORMAT,
                    "layer count %llu outside 1..%u", (unsigned long long)nlayers,
                    APEX_MASK_MAX_LAYERS);
    apex_mask_layer *layers = calloc(nlayers, sizeof *layers);
    uint64_t *idx = NULL;
    int rc = APEX_OK;
    if (!layers)
        return fail(why, APEX_ERR_NOMEM, "out of memory");
    size_t pos = HEADER_LEN;
    for (size_t i = 0; i < nlayers; i++) {
        if (len - pos < 1 || len - pos - 1 < (size_t)buf[pos] + LAYER_FIXED - 1) {
            rc = fail(why, APEX_ERR_TRUNCATED, "truncated in layer %zu", i);
            goto out;
        }
        size_t nl = buf[pos++];
        if (nl == 0 || nl > APEX_MASK_NAME_MAX) {
            rc = fail(why, APEX_ERR_FORMAT, "layer %zu: name length %zu", i, nl);
            goto out;
        }
        memcpy(layers[i].name, buf + pos, nl);
        if (memchr(layers[i].name, 0, nl)) {
            rc = fail(why, APEX_ERR_FORMAT, "layer %zu: NUL in name", i);
            goto out;
        }
        pos += nl;
        layers[i].offset = get_le(buf + pos, 8);
        layers[i].rows = get_le(buf + pos + 8, 8);
        layers[i].cols = get_le(buf + pos + 16, 8);
        pos += 24;
    }
    if ((rc = validate_layers(layers, nlayers, why)) != APEX_OK)
        goto out;
    if (width != (layers_end(layers, nlayers) <= U32_SPACE ? 4u : 8u)) {
        rc = fail(why, APEX_ERR_FORMAT, "index width %u is not canonical", width);
        goto out;
    }
    if (len - pos < 8) {
        rc = fail(why, APEX_ERR_TRUNCATED, "truncated before the index count");
        goto out;
    }
    uint64_t count = get_le(buf + pos, 8);
    pos += 8;
    if (count > (len - pos) / width) {
        rc = fail(why, APEX_ERR_TRUNCATED, "truncated: %llu indices announced",
                  (unsigned long long)count);
        goto out;
    }
    size_t end = pos + (size_t)count * width;
    if (len - end < APEX_SHA256_LEN) {
        rc = fail(why, APEX_ERR_TRUNCATED, "truncated: missing the trailing SHA-256");
        goto out;
    }
    if (len - end > APEX_SHA256_LEN) {
        rc = fail(why, APEX_ERR_FORMAT, "%zu trailing bytes after the SHA-256",
                  len - end - APEX_SHA256_LEN);
        goto out;
    }
    uint8_t h[APEX_SHA256_LEN];
    if ((rc = apex_sha256(buf, end, h)) != APEX_OK)
        goto out;
    if (memcmp(h, buf + end, APEX_SHA256_LEN) != 0) {
        rc = fail(why, APEX_ERR_HASH, "SHA-256 mismatch (corrupted file)");
        goto out;
    }
    idx = apex_calloc_n(count ? count : 1, sizeof *idx);
    if (!idx) {
        rc = fail(why, APEX_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < count; k++)
        idx[k] = get_le(buf + pos + k * width, width);
    rc = apex_mask_new(id, layers, nlayers, idx, count, out, why);
out:
    free(layers);
    free(idx);
    return rc;
}

int apex_mask_save(const char *path, const apex_mask *m)
{
    uint8_t *buf;
    size_t len;
    if (!path)
        return APEX_ERR_INVALID;
    int rc = apex_mask_encode(m, &buf, &len);
    if (rc != APEX_OK)
        return rc;
    rc = apex_file_write_atomic(path, buf, len, APEX_MASK_FILE_MODE);
    free(buf);
    return rc;
}

int apex_mask_load(const char *path, apex_mask **out, char *why)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!path || !out)
        return fail(why, APEX_ERR_INVALID, "missing argument");
    int rc = apex_file_read_all(path, APEX_MASK_MAX_FILE_BYTES, &buf, &len);
    if (rc != APEX_OK)
        return fail(why, rc, "cannot read %s: %s", path, apex_strerror(rc));
    rc = apex_mask_decode(buf, len, out, why);
    free(buf);
    return rc;
}

int apex_mask_check_model(const apex_mask *m, const uint8_t model_id[APEX_SHA256_LEN],
                          const apex_mask_layer *layers, size_t nlayers, char *why)
{
    if (!m || !model_id || (nlayers > 0 && !layers))
        return fail(why, APEX_ERR_INVALID, "missing argument");
    if (memcmp(m->model_id, model_id, APEX_SHA256_LEN) != 0) {
        char a[2 * APEX_SHA256_LEN + 1], b[2 * APEX_SHA256_LEN + 1];
        apex_hex(m->model_id, 8, a);
        apex_hex(model_id, 8, b);
        return fail(why, APEX_ERR_REJECTED, "mask is for model %s..., this model is %s...", a, b);
    }
    if (nlayers != m->nlayers)
        return fail(why, APEX_ERR_REJECTED, "mask has %zu layers, model has %zu", m->nlayers,
                    nlayers);
    for (size_t i = 0; i < nlayers; i++) {
        const apex_mask_layer *x = &m->layers[i], *y = &layers[i];
        if (strncmp(x->name, y->name, sizeof x->name) != 0)
            return fail(why, APEX_ERR_REJECTED, "layer %zu: mask names '%s', model '%.63s'", i,
                        x->name, y->name);
        if (x->offset != y->offset || x->rows != y->rows || x->cols != y->cols)
            return fail(why, APEX_ERR_REJECTED,
                        "layer %zu (%s): mask has offset %llu %llux%llu, model %llu %llux%llu", i,
                        x->name, (unsigned long long)x->offset, (unsigned long long)x->rows,
                        (unsigned long long)x->cols, (unsigned long long)y->offset,
                        (unsigned long long)y->rows, (unsigned long long)y->cols);
    }
    return APEX_OK;
}

int apex_mask_layer_indices(const apex_mask *m, size_t layer, uint64_t **local, size_t *count)
{
    if (!m || !local || !count || layer >= m->nlayers)
        return APEX_ERR_INVALID;
    const apex_mask_layer *l = &m->layers[layer];
    uint64_t end = l->offset + l->rows * l->cols;
    size_t lo = 0, hi = m->count; /* first index >= offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->idx[mid] < l->offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t first = lo, n = 0;
    while (first + n < m->count && m->idx[first + n] < end)
        n++;
    *local = apex_calloc_n(n ? n : 1, sizeof **local);
    if (!*local)
        return APEX_ERR_NOMEM;
    for (size_t k = 0; k < n; k++)
        (*local)[k] = m->idx[first + k] - l->offset;
    *count = n;
    return APEX_OK;
}

int apex_mask_model_id_file(const char *path, uint8_t out[APEX_SHA256_LEN])
{
    if (!path || !out)
        return APEX_ERR_INVALID;
    FILE *f = fopen(path, "rb");
    if (!f) {
        LOG_ERROR("mask: cannot open model %s: %s", path, strerror(errno));
        return errno == ENOENT ? APEX_ERR_NOT_FOUND : APEX_ERR_IO;
    }
    apex_sha256_ctx *h = apex_sha256_new();
    uint8_t *buf = malloc(APEX_MASK_HASH_CHUNK);
    int rc = h && buf ? APEX_OK : APEX_ERR_NOMEM;
    size_t got;
    while (rc == APEX_OK && (got = fread(buf, 1, APEX_MASK_HASH_CHUNK, f)) > 0)
        rc = apex_sha256_update(h, buf, got);
    if (rc == APEX_OK && ferror(f))
        rc = APEX_ERR_IO;
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, out);
    apex_sha256_destroy(&h);
    free(buf);
    fclose(f);
    return rc;
}
