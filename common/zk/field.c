/* Goldilocks and F_p2: the non-inline operations (decoding, powers, inverses). */
#include "zk/field.h"

#include "core/core.h"

int apex_gl_from_u64(uint64_t v, apex_gl *out)
{
    if (v >= APEX_GL_P)
        return APEX_ERR_RANGE;
    *out = v;
    return APEX_OK;
}

apex_gl apex_gl_reduce64(uint64_t v)
{
    return v >= APEX_GL_P ? v - APEX_GL_P : v;
}

apex_gl apex_gl_from_i64(int64_t v)
{
    if (v >= 0)
        return (apex_gl)v; /* < 2^63 < p */
    /* -v may be 2^63, still < p; computed in unsigned to avoid overflow on INT64_MIN. */
    uint64_t mag = (uint64_t)0 - (uint64_t)v;
    return APEX_GL_P - mag;
}

apex_gl apex_gl_pow(apex_gl a, uint64_t e)
{
    apex_gl r = 1;
    while (e) {
        if (e & 1)
            r = apex_gl_mul(r, a);
        a = apex_gl_sqr(a);
        e >>= 1;
    }
    return r;
}

int apex_gl_inv(apex_gl a, apex_gl *out)
{
    if (a == 0)
        return APEX_ERR_RANGE;
    *out = apex_gl_pow(a, APEX_GL_P - 2);
    return APEX_OK;
}

static int overlaps(const void *a, const void *b, size_t bytes)
{
    const char *x = a, *y = b;
    return x < y + bytes && y < x + bytes;
}

int apex_gl_batch_inv(apex_gl *out, const apex_gl *in, size_t n)
{
    if (n == 0)
        return APEX_OK;
    if (overlaps(out, in, n * sizeof *in))
        return APEX_ERR_INVALID;
    /* out[i] = in[0] * ... * in[i] (prefix products) */
    apex_gl acc = 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0)
            return APEX_ERR_RANGE;
        acc = apex_gl_mul(acc, in[i]);
        out[i] = acc;
    }
    apex_gl inv;
    int rc = apex_gl_inv(acc, &inv); /* inv = 1 / (in[0] * ... * in[n-1]) */
    if (rc != APEX_OK)
        return APEX_ERR_INTERNAL;
    for (size_t i = n - 1; i > 0; i--) {
        out[i] = apex_gl_mul(inv, out[i - 1]); /* 1 / in[i] */
        inv = apex_gl_mul(inv, in[i]);         /* 1 / (in[0] * ... * in[i-1]) */
    }
    out[0] = inv;
    return APEX_OK;
}

apex_gl apex_gl_root_of_unity(unsigned log_n)
{
    if (log_n > APEX_GL_TWO_ADICITY)
        return 0; /* no such root; 0 is never a root of unity, so misuse is visible */
    /* g^((p-1)/2^32) has order exactly 2^32 because g generates F_p^*. */
    apex_gl w = apex_gl_pow(APEX_GL_GENERATOR, (APEX_GL_P - 1) >> APEX_GL_TWO_ADICITY);
    for (unsigned i = log_n; i < APEX_GL_TWO_ADICITY; i++)
        w = apex_gl_sqr(w);
    return w;
}

apex_gl2 apex_gl2_pow(apex_gl2 a, uint64_t e)
{
    apex_gl2 r = apex_gl2_from_gl(1);
    while (e) {
        if (e & 1)
            r = apex_gl2_mul(r, a);
        a = apex_gl2_sqr(a);
        e >>= 1;
    }
    return r;
}

int apex_gl2_inv(apex_gl2 a, apex_gl2 *out)
{
    if (apex_gl2_is_zero(a))
        return APEX_ERR_RANGE;
    /* norm(a) = a * conj(a) = a0^2 - 7 a1^2, a base-field element, nonzero for a != 0 */
    apex_gl norm =
        apex_gl_sub(apex_gl_sqr(a.c0), apex_gl_mul(APEX_GL2_NONRESIDUE, apex_gl_sqr(a.c1)));
    apex_gl ninv;
    if (apex_gl_inv(norm, &ninv) != APEX_OK)
        return APEX_ERR_INTERNAL; /* would mean 7 is a square: the field is wrong */
    *out = apex_gl2_make(apex_gl_mul(a.c0, ninv), apex_gl_mul(apex_gl_neg(a.c1), ninv));
    return APEX_OK;
}

int apex_gl2_batch_inv(apex_gl2 *out, const apex_gl2 *in, size_t n)
{
    if (n == 0)
        return APEX_OK;
    if (overlaps(out, in, n * sizeof *in))
        return APEX_ERR_INVALID;
    apex_gl2 acc = apex_gl2_from_gl(1);
    for (size_t i = 0; i < n; i++) {
        if (apex_gl2_is_zero(in[i]))
            return APEX_ERR_RANGE;
        acc = apex_gl2_mul(acc, in[i]);
        out[i] = acc;
    }
    apex_gl2 inv;
    if (apex_gl2_inv(acc, &inv) != APEX_OK)
        return APEX_ERR_INTERNAL;
    for (size_t i = n - 1; i > 0; i--) {
        out[i] = apex_gl2_mul(inv, out[i - 1]);
        inv = apex_gl2_mul(inv, in[i]);
    }
    out[0] = inv;
    return APEX_OK;
}

/* 2^128 = (2^32 - 1)^2 = 2^64 - 2^33 + 1 = -2^32 (mod p), so lo + 2^128 hi = lo - 2^32 hi. */
static apex_gl acc_coord(const apex_gl2_acc *s, int k)
{
    return apex_gl_sub(apex_gl_reduce128(s->lo[k]),
                       apex_gl_reduce128((unsigned __int128)s->hi[k] << 32));
}

apex_gl2 apex_gl2_acc_get(const apex_gl2_acc *s)
{
    apex_gl a0 = acc_coord(s, 0), a1 = acc_coord(s, 1);
    return apex_gl2_make(
        apex_gl_add(a0, apex_gl_reduce128((unsigned __int128)a1 * APEX_GL2_NONRESIDUE)),
        acc_coord(s, 2));
}
