/* Goldilocks field F_p, p = 2^64 - 2^32 + 1, and its quadratic extension F_p[x]/(x^2 - 7).
 *
 * Every apex_gl value held in memory is canonical (0 <= v < p): the hot operations below
 * take canonical inputs and return canonical outputs, so equality is ==, hashing sees one
 * encoding per element, and no caller ever has to remember to reduce. Values that come
 * from outside (bytes, u64) enter only through apex_gl_from_u64(), which rejects v >= p.
 *
 * The extension F_p2 holds every verifier challenge (docs/PROOF.md "Decisions" item 3):
 * a base-field challenge gives only ~2^-46 soundness per proximity test. x^2 - 7 is
 * irreducible because 7 is a quadratic non-residue mod p (tested). An element is
 * c0 + c1*x with both coordinates canonical.
 *
 * The multiply, add and subtract are static inline here because they sit in the inner
 * loops of the NTT, the MLE folds and the sumcheck; everything else is in field.c.
 */
#ifndef APEX_ZK_FIELD_H
#define APEX_ZK_FIELD_H

#include <stddef.h>
#include <stdint.h>

#include "zk/params.h"

/* A canonical Goldilocks element, 0 <= v < APEX_GL_P. */
typedef uint64_t apex_gl;

/* An element c0 + c1*x of F_p[x]/(x^2 - APEX_GL2_NONRESIDUE); both coordinates canonical. */
typedef struct apex_gl2 {
    apex_gl c0; /* constant coordinate */
    apex_gl c1; /* coordinate of x */
} apex_gl2;

/* 2^64 mod p = 2^32 - 1: the folding constant of the fast reduction. */
#define APEX_GL_EPS 0xffffffffULL

/* ---------------------------------------------------------------- base field, inline */

/* Reduce a 128-bit integer mod p. Uses 2^64 = 2^32 - 1 and 2^96 = -1 (mod p):
 * x = lo + 2^64*(hl + 2^32*hh) = lo - hh + hl*(2^32 - 1). The two wrap corrections cannot
 * overflow again (see docs/PROOF.md, "Field"), and one final conditional subtraction makes
 * the result canonical. Add and subtract take canonical inputs and give canonical outputs. */
static inline __attribute__((always_inline)) apex_gl apex_gl_reduce128(unsigned __int128 x)
{
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    uint64_t hh = hi >> 32, hl = hi & APEX_GL_EPS;
    /* Branch-free: the carry and borrow below are data-dependent and unpredictable, and a
     * mispredicted branch costs more than the multiplication. mask = all ones iff cond. */
    uint64_t t0 = lo - hh;
    t0 -= APEX_GL_EPS & -(uint64_t)(lo < hh); /* borrow: the value wrapped by 2^64 = eps */
    uint64_t t1 = hl * APEX_GL_EPS;           /* < 2^64: (2^32-1)^2 */
    uint64_t t2 = t0 + t1;
    t2 += APEX_GL_EPS & -(uint64_t)(t2 < t1); /* carry: 2^64 = eps */
    t2 -= APEX_GL_P & -(uint64_t)(t2 >= APEX_GL_P);
    return t2;
}

/* a + b = a - (p - b): one subtraction with a borrow fix-up, branch-free. */
static inline apex_gl apex_gl_add(apex_gl a, apex_gl b)
{
    uint64_t nb = APEX_GL_P - b; /* in [1, p] */
    uint64_t d = a - nb;
    return d + (APEX_GL_P & -(uint64_t)(a < nb)); /* borrow: a - nb + p (mod 2^64) */
}

static inline apex_gl apex_gl_sub(apex_gl a, apex_gl b)
{
    uint64_t d = a - b;
    return d + (APEX_GL_P & -(uint64_t)(a < b)); /* borrow: a - b + p (mod 2^64) */
}

static inline apex_gl apex_gl_neg(apex_gl a)
{
    return a == 0 ? 0 : APEX_GL_P - a;
}

static inline __attribute__((always_inline)) apex_gl apex_gl_mul(apex_gl a, apex_gl b)
{
    return apex_gl_reduce128((unsigned __int128)a * b);
}

static inline apex_gl apex_gl_sqr(apex_gl a)
{
    return apex_gl_mul(a, a);
}

/* ---------------------------------------------------------------- extension, inline */

static inline apex_gl2 apex_gl2_make(apex_gl c0, apex_gl c1)
{
    apex_gl2 r = {c0, c1};
    return r;
}

/* Embed a base element as c0 + 0*x. */
static inline apex_gl2 apex_gl2_from_gl(apex_gl a)
{
    return apex_gl2_make(a, 0);
}

static inline int apex_gl2_eq(apex_gl2 a, apex_gl2 b)
{
    return a.c0 == b.c0 && a.c1 == b.c1;
}

static inline int apex_gl2_is_zero(apex_gl2 a)
{
    return a.c0 == 0 && a.c1 == 0;
}

static inline apex_gl2 apex_gl2_add(apex_gl2 a, apex_gl2 b)
{
    return apex_gl2_make(apex_gl_add(a.c0, b.c0), apex_gl_add(a.c1, b.c1));
}

static inline apex_gl2 apex_gl2_sub(apex_gl2 a, apex_gl2 b)
{
    return apex_gl2_make(apex_gl_sub(a.c0, b.c0), apex_gl_sub(a.c1, b.c1));
}

static inline apex_gl2 apex_gl2_neg(apex_gl2 a)
{
    return apex_gl2_make(apex_gl_neg(a.c0), apex_gl_neg(a.c1));
}

/* 7 b mod p for a canonical b: 7 b = lo + 2^64 hi with hi <= 6, and 2^64 = eps. */
static inline __attribute__((always_inline)) apex_gl apex_gl_mul7(apex_gl b)
{
    unsigned __int128 t = (unsigned __int128)b * APEX_GL2_NONRESIDUE;
    uint64_t lo = (uint64_t)t, hi = (uint64_t)(t >> 64);
    uint64_t r = lo + hi * APEX_GL_EPS;     /* hi eps < 2^35 */
    r += APEX_GL_EPS & -(uint64_t)(r < lo); /* a wrap is worth eps; no second wrap */
    r -= APEX_GL_P & -(uint64_t)(r >= APEX_GL_P);
    return r;
}

/* s + 2^128 c mod p for c in {0, 1} (a sum of two 128-bit products and its carry), using
 * 2^128 = (2^32 - 1)^2 = -2^32 (mod p). */
static inline __attribute__((always_inline)) apex_gl apex_gl_reduce129(unsigned __int128 s,
                                                                       uint64_t c)
{
    return apex_gl_sub(apex_gl_reduce128(s), c << 32);
}

/* (a0 + a1 x)(b0 + b1 x) = a0 b0 + 7 a1 b1 + (a0 b1 + a1 b0) x: each coordinate a sum of two
 * 128-bit products (a1 times 7 b1 for the first) reduced once, so two reductions and a cheap
 * 7 b1 instead of Karatsuba's three products and four reductions. */
static inline __attribute__((always_inline)) apex_gl2 apex_gl2_mul(apex_gl2 a, apex_gl2 b)
{
    unsigned __int128 p0 = (unsigned __int128)a.c0 * b.c0;
    unsigned __int128 s0 = p0 + (unsigned __int128)a.c1 * apex_gl_mul7(b.c1);
    unsigned __int128 q0 = (unsigned __int128)a.c0 * b.c1;
    unsigned __int128 s1 = q0 + (unsigned __int128)a.c1 * b.c0;
    return apex_gl2_make(apex_gl_reduce129(s0, s0 < p0), apex_gl_reduce129(s1, s1 < q0));
}

/* v0 + r (v1 - v0), the fold of a multilinear table at r, with r7 = apex_gl_mul7(r.c1) given
 * once for the whole table: each coordinate is v0's plus a sum of two 128-bit products,
 * reduced once (the total is below 2 (p - 1)^2 + 2^64 < 2^129, so at most one carry, worth
 * 2^128 = -2^32; the code would take two). Equals apex_gl2_add(v0,
 * apex_gl2_mul(r, apex_gl2_sub(v1, v0))). */
static inline __attribute__((always_inline)) apex_gl2 apex_gl2_lerp(apex_gl2 v0, apex_gl2 v1,
                                                                    apex_gl2 r, apex_gl r7)
{
    apex_gl d0 = apex_gl_sub(v1.c0, v0.c0), d1 = apex_gl_sub(v1.c1, v0.c1);
    unsigned __int128 p = (unsigned __int128)d0 * r.c0, s = p + (unsigned __int128)d1 * r7;
    uint64_t k = s < p;
    unsigned __int128 t = s + v0.c0;
    k += t < s;
    unsigned __int128 q = (unsigned __int128)d0 * r.c1, u = q + (unsigned __int128)d1 * r.c0;
    uint64_t m = u < q;
    unsigned __int128 w = u + v0.c1;
    m += w < u;
    return apex_gl2_make(apex_gl_sub(apex_gl_reduce128(t), k << 32),
                         apex_gl_sub(apex_gl_reduce128(w), m << 32));
}

/* Extension element times base element: coordinate-wise. */
static inline apex_gl2 apex_gl2_mul_gl(apex_gl2 a, apex_gl b)
{
    return apex_gl2_make(apex_gl_mul(a.c0, b), apex_gl_mul(a.c1, b));
}

static inline apex_gl2 apex_gl2_sqr(apex_gl2 a)
{
    return apex_gl2_mul(a, a);
}

/* ---------------------------------------------------------------- delayed reduction */

/* A sum of F_p2 products kept as integers, reduced once at the end (apex_gl2_acc_get): the
 * inner loops of the sumcheck rounds add millions of products and need only their total.
 * lo[0] sums a0 b0, lo[1] sums a1 b1 (times 7 at the end), lo[2] sums a0 b1 + a1 b0; each is
 * a 128-bit low part and hi[k] counts its carries (each worth 2^128). A product of canonical
 * elements is below 2^128, so up to 2^63 products fit. Exact: the total equals the sum of
 * the apex_gl2_mul products. */
typedef struct apex_gl2_acc {
    unsigned __int128 lo[3];
    uint64_t hi[3];
} apex_gl2_acc;

static inline void apex_gl2_acc_zero(apex_gl2_acc *s)
{
    for (int k = 0; k < 3; k++)
        s->lo[k] = 0, s->hi[k] = 0;
}

static inline __attribute__((always_inline)) void apex_acc_add128(apex_gl2_acc *s, int k,
                                                                  unsigned __int128 v)
{
    s->lo[k] += v;
    s->hi[k] += s->lo[k] < v;
}

/* s += a b: four base products, no reduction. */
static inline __attribute__((always_inline)) void apex_gl2_acc_mul(apex_gl2_acc *s, apex_gl2 a,
                                                                   apex_gl2 b)
{
    apex_acc_add128(s, 0, (unsigned __int128)a.c0 * b.c0);
    apex_acc_add128(s, 1, (unsigned __int128)a.c1 * b.c1);
    apex_acc_add128(s, 2, (unsigned __int128)a.c0 * b.c1);
    apex_acc_add128(s, 2, (unsigned __int128)a.c1 * b.c0);
}

/* s += a b for a base element b. */
static inline __attribute__((always_inline)) void apex_gl2_acc_mul_gl(apex_gl2_acc *s, apex_gl2 a,
                                                                      apex_gl b)
{
    apex_acc_add128(s, 0, (unsigned __int128)a.c0 * b);
    apex_acc_add128(s, 2, (unsigned __int128)a.c1 * b);
}

/* s += a. */
static inline __attribute__((always_inline)) void apex_gl2_acc_add(apex_gl2_acc *s, apex_gl2 a)
{
    apex_acc_add128(s, 0, a.c0);
    apex_acc_add128(s, 2, a.c1);
}

/* ---------------------------------------------------------------- field.c */

/* Canonical decoder for untrusted input: APEX_ERR_RANGE when v >= p (never reduces,
 * so one element has exactly one accepted encoding). */
int apex_gl_from_u64(uint64_t v, apex_gl *out);
/* Reduce any 64-bit integer mod p (for trusted, internally produced integers only). */
apex_gl apex_gl_reduce64(uint64_t v);
/* Signed integer to its field image (x mod p, negative values map to p - |x|). */
apex_gl apex_gl_from_i64(int64_t v);
/* a^e by square-and-multiply. */
apex_gl apex_gl_pow(apex_gl a, uint64_t e);
/* a^(p-2); APEX_ERR_RANGE for a == 0 (no inverse), *out untouched then. */
int apex_gl_inv(apex_gl a, apex_gl *out);
/* out[i] = 1/in[i] for i < n with one inversion (Montgomery's trick). in and out must not
 * overlap. APEX_ERR_RANGE if any in[i] == 0 (out is then unspecified), APEX_ERR_INVALID on
 * overlap. */
int apex_gl_batch_inv(apex_gl *out, const apex_gl *in, size_t n);
/* Generator of the subgroup of order 2^log_n (log_n <= APEX_GL_TWO_ADICITY): a primitive
 * 2^log_n-th root of unity, g^((p-1)/2^32) raised to 2^(32-log_n) with g = 7. */
apex_gl apex_gl_root_of_unity(unsigned log_n);

/* a^e in F_p2. */
apex_gl2 apex_gl2_pow(apex_gl2 a, uint64_t e);
/* 1/a = (a0 - a1 x) / (a0^2 - 7 a1^2); the norm is nonzero for a != 0 because 7 is a
 * non-residue. APEX_ERR_RANGE for a == 0. */
int apex_gl2_inv(apex_gl2 a, apex_gl2 *out);
/* Batch inversion in F_p2, same contract as apex_gl_batch_inv. */
int apex_gl2_batch_inv(apex_gl2 *out, const apex_gl2 *in, size_t n);
/* The field element an accumulator holds. */
apex_gl2 apex_gl2_acc_get(const apex_gl2_acc *s);

#endif /* APEX_ZK_FIELD_H */
