/* Multilinear-extension helpers: eq tables, evaluation by tensor split, folding. */
#include "zk/mle.h"

#include <stdlib.h>

#include "core/core.h"
#include "zk/par.h"

/* out[0..2^k) = s * eq(r, .) by doubling. */
static void eq_scaled(apex_gl2 *out, const apex_gl2 *r, unsigned k, apex_gl2 s)
{
    out[0] = s;
    /* After step i, out[0..2^(i+1)) is eq over variables 0..i; the new variable i is bit i,
     * so the b_i = 1 half goes to the upper half of the table. */
    for (unsigned i = 0; i < k; i++) {
        size_t h = (size_t)1 << i;
        for (size_t b = 0; b < h; b++) {
            apex_gl2 hi = apex_gl2_mul(out[b], r[i]);
            out[b + h] = hi;
            out[b] = apex_gl2_sub(out[b], hi); /* out[b] * (1 - r_i) */
        }
    }
}

/* Tables from 2^EQ_PAR_MIN entries are built in parts, one per value of the top EQ_PAR_TOP
 * variables: part p is eq over the low k - EQ_PAR_TOP variables scaled by the top variables'
 * factor, so it does not depend on the other parts. */
enum { EQ_PAR_MIN = 14, EQ_PAR_TOP = 1 };
_Static_assert((1u << EQ_PAR_TOP) >= APEX_ZK_THREADS, "one part per thread at least");

typedef struct eq_arg {
    apex_gl2 *out;
    const apex_gl2 *r;
    unsigned k;
} eq_arg;

static void eq_parts(par_job *j)
{
    const eq_arg *a = j->arg;
    unsigned lo = a->k - EQ_PAR_TOP;
    const apex_gl2 one = apex_gl2_from_gl(1);
    for (size_t p = j->lo; p < j->hi; p++) {
        apex_gl2 s = one;
        for (unsigned m = 0; m < EQ_PAR_TOP; m++) {
            apex_gl2 ri = a->r[lo + m];
            s = apex_gl2_mul(s, (p >> m) & 1 ? ri : apex_gl2_sub(one, ri));
        }
        eq_scaled(a->out + (p << lo), a->r, lo, s);
    }
}

int apex_mle_eq(apex_gl2 *out, const apex_gl2 *r, unsigned k)
{
    if (k > APEX_MLE_MAX_VARS)
        return APEX_ERR_TOO_LARGE;
    if (k < EQ_PAR_MIN) {
        eq_scaled(out, r, k, apex_gl2_from_gl(1));
        return APEX_OK;
    }
    eq_arg a = {out, r, k};
    return ligero_par_run(eq_parts, &a, (size_t)1 << EQ_PAR_TOP);
}

apex_gl2 apex_mle_eq_point(const apex_gl2 *r, const apex_gl2 *s, unsigned k)
{
    const apex_gl2 one = apex_gl2_from_gl(1);
    apex_gl2 acc = one;
    for (unsigned i = 0; i < k; i++) {
        /* r s + (1 - r)(1 - s) = 1 - r - s + 2 r s */
        apex_gl2 rs = apex_gl2_mul(r[i], s[i]);
        apex_gl2 t =
            apex_gl2_add(apex_gl2_sub(one, apex_gl2_add(r[i], s[i])), apex_gl2_add(rs, rs));
        acc = apex_gl2_mul(acc, t);
    }
    return acc;
}

/* The outer sum of mle_eval over hi in [lo, hi): a slice's part of f~(r). */
typedef struct eval_arg {
    const apex_gl *fb;  /* base table, or NULL */
    const apex_gl2 *fe; /* extension table (when fb is NULL) */
    const apex_gl2 *elo, *ehi;
    size_t nlo;
    apex_gl2 part[APEX_ZK_THREADS];
} eval_arg;

static void eval_slice(par_job *j)
{
    eval_arg *a = j->arg;
    apex_gl2 acc = apex_gl2_from_gl(0);
    for (size_t h = j->lo; h < j->hi; h++) {
        apex_gl2 inner = apex_gl2_from_gl(0);
        size_t base = h * a->nlo;
        if (a->fb) {
            for (size_t l = 0; l < a->nlo; l++)
                inner = apex_gl2_add(inner, apex_gl2_mul_gl(a->elo[l], a->fb[base + l]));
        } else {
            for (size_t l = 0; l < a->nlo; l++)
                inner = apex_gl2_add(inner, apex_gl2_mul(a->elo[l], a->fe[base + l]));
        }
        acc = apex_gl2_add(acc, apex_gl2_mul(inner, a->ehi[h]));
    }
    a->part[j->slice] = acc;
    j->rc = APEX_OK;
}

/* Tables from 2^EVAL_PAR_MIN entries are summed on both threads. */
enum { EVAL_PAR_MIN = 16 };

/* Shared body of the two evaluators: f~(r) = sum_hi eq_hi[hi] * sum_lo f[hi*L + lo] eq_lo[lo]
 * with L = 2^(k/2). Memory: 2^(k/2) + 2^(k - k/2) F_p2 elements. */
static int mle_eval(const apex_gl *fb, const apex_gl2 *fe, unsigned k, const apex_gl2 *r,
                    apex_gl2 *out)
{
    if (k > APEX_MLE_MAX_VARS)
        return APEX_ERR_TOO_LARGE;
    unsigned klo = k / 2, khi = k - klo;
    size_t nlo = (size_t)1 << klo, nhi = (size_t)1 << khi;
    apex_gl2 *elo = apex_calloc_n(nlo, sizeof *elo);
    apex_gl2 *ehi = apex_calloc_n(nhi, sizeof *ehi);
    if (!elo || !ehi) {
        free(elo);
        free(ehi);
        return APEX_ERR_NOMEM;
    }
    apex_mle_eq(elo, r, klo);
    apex_mle_eq(ehi, r + klo, khi);
    eval_arg a = {fb, fe, elo, ehi, nlo, {{0, 0}}};
    int rc = APEX_OK;
    if (k >= EVAL_PAR_MIN) {
        rc = ligero_par_run(eval_slice, &a, nhi);
    } else {
        par_job one = {eval_slice, 0, nhi, &a, APEX_OK, 0};
        eval_slice(&one);
    }
    apex_gl2 acc = apex_gl2_from_gl(0);
    for (size_t t = 0; t < APEX_ZK_THREADS; t++)
        acc = apex_gl2_add(acc, a.part[t]);
    free(elo);
    free(ehi);
    *out = acc;
    return rc;
}

int apex_mle_eval_gl(const apex_gl *f, unsigned k, const apex_gl2 *r, apex_gl2 *out)
{
    return mle_eval(f, NULL, k, r, out);
}

int apex_mle_eval_gl2(const apex_gl2 *f, unsigned k, const apex_gl2 *r, apex_gl2 *out)
{
    return mle_eval(NULL, f, k, r, out);
}

int apex_mle_fold_gl2(apex_gl2 *f, size_t n, apex_gl2 c)
{
    if (n == 0 || n % 2)
        return APEX_ERR_INVALID;
    apex_gl c7 = apex_gl_mul7(c.c1);
    for (size_t b = 0; b < n / 2; b++)
        f[b] = apex_gl2_lerp(f[2 * b], f[2 * b + 1], c, c7);
    return APEX_OK;
}

int apex_mle_fold_gl(apex_gl2 *out, const apex_gl *f, size_t n, apex_gl2 c)
{
    if (n == 0 || n % 2)
        return APEX_ERR_INVALID;
    for (size_t b = 0; b < n / 2; b++) {
        apex_gl d = apex_gl_sub(f[2 * b + 1], f[2 * b]);
        out[b] = apex_gl2_add(apex_gl2_from_gl(f[2 * b]), apex_gl2_mul_gl(c, d));
    }
    return APEX_OK;
}
