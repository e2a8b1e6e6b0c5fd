/* Canonical little-endian proof encoding (rules in encode.h). */
#include "zk/encode.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Encoded sizes, in bytes. */
#define GL_BYTES  8
#define GL2_BYTES 16

void apex_enc_writer_init(apex_enc_writer *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
}

void apex_enc_writer_free(apex_enc_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

int apex_enc_writer_take(apex_enc_writer *w, uint8_t **out, size_t *len)
{
    if (w->err != APEX_OK)
        return w->err;
    *out = w->buf;
    *len = w->len;
    memset(w, 0, sizeof *w);
    return APEX_OK;
}

/* Reserve n bytes at the end; returns a pointer to them or NULL with w->err set. */
static uint8_t *reserve(apex_enc_writer *w, size_t n)
{
    if (w->err != APEX_OK)
        return NULL;
    if (n > w->cap - w->len) {
        w->err = APEX_ERR_TOO_LARGE;
        return NULL;
    }
    if (w->len + n > w->alloc) {
        size_t want = w->alloc ? w->alloc : 256;
        while (want < w->len + n)
            want = want > w->cap / 2 ? w->cap : want * 2;
        uint8_t *nb = realloc(w->buf, want);
        if (!nb) {
            w->err = APEX_ERR_NOMEM;
            return NULL;
        }
        w->buf = nb;
        w->alloc = want;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void store_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t load_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int put_le(apex_enc_writer *w, uint64_t v, int bytes)
{
    uint8_t *p = reserve(w, (size_t)bytes);
    if (!p)
        return w->err;
    store_le(p, v, bytes);
    return APEX_OK;
}

int apex_enc_put_u8(apex_enc_writer *w, uint8_t v)
{
    return put_le(w, v, 1);
}

int apex_enc_put_u32(apex_enc_writer *w, uint32_t v)
{
    return put_le(w, v, 4);
}

int apex_enc_put_u64(apex_enc_writer *w, uint64_t v)
{
    return put_le(w, v, 8);
}

int apex_enc_put_bytes(apex_enc_writer *w, const void *p, size_t n)
{
    uint8_t *d = reserve(w, n);
    if (!d)
        return w->err;
    if (n)
        memcpy(d, p, n);
    return APEX_OK;
}

int apex_enc_put_hash(apex_enc_writer *w, const apex_hash *h)
{
    return apex_enc_put_bytes(w, h->b, sizeof h->b);
}

int apex_enc_put_gl(apex_enc_writer *w, apex_gl v)
{
    if (w->err != APEX_OK)
        return w->err;
    if (v >= APEX_GL_P) {
        w->err = APEX_ERR_RANGE;
        return w->err;
    }
    return put_le(w, v, GL_BYTES);
}

int apex_enc_put_gl2(apex_enc_writer *w, apex_gl2 v)
{
    int rc = apex_enc_put_gl(w, v.c0);
    return rc == APEX_OK ? apex_enc_put_gl(w, v.c1) : rc;
}

int apex_enc_put_gl_vec(apex_enc_writer *w, const apex_gl *v, size_t n)
{
    int rc = apex_enc_put_u64(w, n);
    for (size_t i = 0; i < n && rc == APEX_OK; i++)
        rc = apex_enc_put_gl(w, v[i]);
    return rc;
}

int apex_enc_put_gl2_vec(apex_enc_writer *w, const apex_gl2 *v, size_t n)
{
    int rc = apex_enc_put_u64(w, n);
    for (size_t i = 0; i < n && rc == APEX_OK; i++)
        rc = apex_enc_put_gl2(w, v[i]);
    return rc;
}

/* ---------------------------------------------------------------- reader */

void apex_enc_reader_init(apex_enc_reader *r, const void *buf, size_t len)
{
    r->p = buf;
    r->left = len;
}

static int get_le(apex_enc_reader *r, uint64_t *v, int bytes)
{
    if (r->left < (size_t)bytes)
        return APEX_ERR_TRUNCATED;
    *v = load_le(r->p, bytes);
    r->p += bytes;
    r->left -= (size_t)bytes;
    return APEX_OK;
}

int apex_enc_get_u8(apex_enc_reader *r, uint8_t *v)
{
    uint64_t x;
    int rc = get_le(r, &x, 1);
    if (rc == APEX_OK)
        *v = (uint8_t)x;
    return rc;
}

int apex_enc_get_u32(apex_enc_reader *r, uint32_t *v)
{
    uint64_t x;
    int rc = get_le(r, &x, 4);
    if (rc == APEX_OK)
        *v = (uint32_t)x;
    return rc;
}

int apex_enc_get_u64(apex_enc_reader *r, uint64_t *v)
{
    return get_le(r, v, 8);
}

int apex_enc_get_bytes(apex_enc_reader *r, void *p, size_t n)
{
    if (r->left < n)
        return APEX_ERR_TRUNCATED;
    if (n)
        memcpy(p, r->p, n);
    r->p += n;
    r->left -= n;
    return APEX_OK;
}

int apex_enc_get_hash(apex_enc_reader *r, apex_hash *h)
{
    return apex_enc_get_bytes(r, h->b, sizeof h->b);
}

int apex_enc_get_gl(apex_enc_reader *r, apex_gl *v)
{
    if (r->left < GL_BYTES)
        return APEX_ERR_TRUNCATED;
    uint64_t x = load_le(r->p, GL_BYTES);
    int rc = apex_gl_from_u64(x, v); /* rejects x >= p */
    if (rc != APEX_OK)
        return rc;
    r->p += GL_BYTES;
    r->left -= GL_BYTES;
    return APEX_OK;
}

int apex_enc_get_gl2(apex_enc_reader *r, apex_gl2 *v)
{
    apex_enc_reader save = *r;
    int rc = apex_enc_get_gl(r, &v->c0);
    if (rc == APEX_OK)
        rc = apex_enc_get_gl(r, &v->c1);
    if (rc != APEX_OK)
        *r = save;
    return rc;
}

/* Reads and checks a vector length prefix against max_n and the bytes left. */
static int get_count(apex_enc_reader *r, size_t max_n, size_t elem, size_t *n)
{
    apex_enc_reader save = *r;
    uint64_t c;
    int rc = apex_enc_get_u64(r, &c);
    if (rc != APEX_OK)
        return rc;
    if (c > max_n || c > APEX_ENC_MAX_ELEMS) {
        *r = save;
        return APEX_ERR_TOO_LARGE;
    }
    if (c > r->left / elem) {
        *r = save;
        return APEX_ERR_TRUNCATED;
    }
    *n = (size_t)c;
    return APEX_OK;
}

int apex_enc_get_gl_vec(apex_enc_reader *r, size_t max_n, apex_gl **out, size_t *n)
{
    size_t c;
    apex_enc_reader save = *r;
    int rc = get_count(r, max_n, GL_BYTES, &c);
    if (rc != APEX_OK)
        return rc;
    apex_gl *v = NULL;
    if (c > 0 && !(v = apex_calloc_n(c, sizeof *v))) {
        *r = save;
        return APEX_ERR_NOMEM;
    }
    for (size_t i = 0; i < c; i++) {
        rc = apex_enc_get_gl(r, &v[i]);
        if (rc != APEX_OK) {
            free(v);
            *r = save;
            return rc;
        }
    }
    *out = v;
    *n = c;
    return APEX_OK;
}

int apex_enc_get_gl2_vec(apex_enc_reader *r, size_t max_n, apex_gl2 **out, size_t *n)
{
    size_t c;
    apex_enc_reader save = *r;
    int rc = get_count(r, max_n, GL2_BYTES, &c);
    if (rc != APEX_OK)
        return rc;
    apex_gl2 *v = NULL;
    if (c > 0 && !(v = apex_calloc_n(c, sizeof *v))) {
        *r = save;
        return APEX_ERR_NOMEM;
    }
    for (size_t i = 0; i < c; i++) {
        rc = apex_enc_get_gl2(r, &v[i]);
        if (rc != APEX_OK) {
            free(v);
            *r = save;
            return rc;
        }
    }
    *out = v;
    *n = c;
    return APEX_OK;
}

int apex_enc_get_gl_vec_exact(apex_enc_reader *r, apex_gl *out, size_t want)
{
    apex_enc_reader save = *r;
    uint64_t c;
    int rc = apex_enc_get_u64(r, &c);
    if (rc != APEX_OK)
        return rc;
    if (c != want) {
        *r = save;
        return APEX_ERR_FORMAT;
    }
    for (size_t i = 0; i < want && rc == APEX_OK; i++)
        rc = apex_enc_get_gl(r, &out[i]);
    if (rc != APEX_OK)
        *r = save;
    return rc;
}

int apex_enc_get_gl2_vec_exact(apex_enc_reader *r, apex_gl2 *out, size_t want)
{
    apex_enc_reader save = *r;
    uint64_t c;
    int rc = apex_enc_get_u64(r, &c);
    if (rc != APEX_OK)
        return rc;
    if (c != want) {
        *r = save;
        return APEX_ERR_FORMAT;
    }
    for (size_t i = 0; i < want && rc == APEX_OK; i++)
        rc = apex_enc_get_gl2(r, &out[i]);
    if (rc != APEX_OK)
        *r = save;
    return rc;
}

int apex_enc_reader_finish(const apex_enc_reader *r)
{
    return r->left == 0 ? APEX_OK : APEX_ERR_FORMAT;
}
