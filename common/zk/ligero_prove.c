/* Ligero joint prover over several commitments plus a fresh masking commitment. */
#include "zk/ligero_impl.h"

#include <stdlib.h>
#include <string.h>

/* Scratch buffers of the prover, sized from the dimensions. */
typedef struct prove_scratch {
    apex_gl *b;              /* [nlin] claimed values */
    apex_gl2 *u;             /* [rows] LDT challenges, one per witness row of all commitments */
    apex_gl2 *alpha;         /* [nlin] constraint challenges */
    apex_gl2 *tval;          /* [ntensor] tensor claim values */
    apex_gl2 *beta;          /* [ntensor] tensor claim challenges */
    apex_gl2 *v;             /* [nquad] quadratic constraint challenges */
    apex_gl2 *acc;           /* [4 BLOCK] the quadratic response on Q */
    apex_gl *z;              /* [4 BLOCK] third base row */
    apex_gl2 *row;           /* [BLOCK] one row of A^T alpha on H_B slots, then its r_i */
    ligero_contrib *cb;      /* [ncb] sparse contributions, sorted by row */
    size_t ncb;              /* their count */
    apex_gl *x;              /* [4 BLOCK] one base row */
    apex_gl *y;              /* [4 BLOCK] second coordinate buffer */
    apex_gl *tmp;            /* [4 BLOCK] transform scratch */
    uint64_t *idx;           /* [nreq] column indices in [DBLOCK, NCOL) */
    size_t *qidx;            /* [nreq] the same as Merkle leaf indices */
    size_t *tix;             /* [ntensor] fast pass: index of a claim with row weights among those
                                with them (ntr of them), SIZE_MAX for the others */
    size_t ntr;              /* tensor claims with row weights */
    apex_gl2 *tcomb;         /* [ntr][BLOCK] fast pass: sum_i row_w[i] row_i per such claim */
    apex_gl2 *tpad;          /* [ntr][NP] fast pass: sum_i row_w[i] R_i per such claim */
    apex_gl2 *vl;            /* [n][BLOCK] fast pass: sum_i u_i row_i per commitment, on H_B */
    apex_gl2 *pl;            /* [n][NP] fast pass: sum_i u_i R_i per commitment */
    size_t nq, block, np, n; /* sizes of the buffers above, for wiping them */
} prove_scratch;

/* Free a buffer after wiping it: it holds functions of the witness. */
static void wipe_free(void *p, size_t bytes)
{
    if (p)
        apex_wipe(p, bytes);
    free(p);
}

static void scratch_free(prove_scratch *s)
{
    wipe_free(s->acc, s->nq * sizeof *s->acc);
    wipe_free(s->z, s->nq * sizeof *s->z);
    wipe_free(s->x, s->nq * sizeof *s->x);
    wipe_free(s->y, s->nq * sizeof *s->y);
    wipe_free(s->tmp, s->nq * sizeof *s->tmp);
    wipe_free(s->tcomb, (s->ntr + 1) * s->block * sizeof *s->tcomb);
    wipe_free(s->tpad, (s->ntr + 1) * s->np * sizeof *s->tpad);
    free(s->tix);
    wipe_free(s->vl, s->n * s->block * sizeof *s->vl);
    wipe_free(s->pl, s->n * s->np * sizeof *s->pl);
    free(s->b);
    free(s->u);
    free(s->alpha);
    free(s->tval);
    free(s->beta);
    free(s->v);
    free(s->row);
    free(s->cb);
    free(s->idx);
    free(s->qidx);
}

/* Values on Q of the polynomial with coefficients coef[0..4 BLOCK) (copied to out). */
static void coef_on_q(const apex_ligero_commitment *c, const apex_gl *coef, apex_gl *out)
{
    memcpy(out, coef, c->d.nq * sizeof *out);
    apex_ntt_coset_forward(c->plans.q, out, APEX_GL_GENERATOR);
}

/* A sparse term located by its witness index: kind 0 is a linear term (index t), kind 1
 * term q of tensor claim x. */
typedef struct term_ref {
    size_t w; /* witness index */
    size_t x; /* tensor claim (kind 1) */
    size_t q; /* term index */
    int kind; /* 0 linear, 1 tensor sparse */
} term_ref;

static int term_ref_cmp(const void *a, const void *b)
{
    const term_ref *x = a, *y = b;
    return (x->w > y->w) - (x->w < y->w);
}

/* refs[0..nref) = every linear term, then every tensor claim's terms, sorted by witness. */
static void term_refs_sorted(const apex_ligero_term *terms, size_t nterms,
                             const apex_ligero_constraints *cons, term_ref *refs, size_t nref)
{
    size_t o = 0;
    for (size_t t = 0; t < nterms; t++)
        refs[o++] = (term_ref){terms[t].w, 0, t, 0};
    for (size_t x = 0; x < cons->ntensor; x++)
        for (size_t q = 0; q < cons->tensors[x].nterms; q++)
            refs[o++] = (term_ref){cons->tensors[x].terms[q].w, x, q, 1};
    qsort(refs, nref, sizeof *refs, term_ref_cmp);
}

/* b[c] = sum of coef * W[w] over the sparse terms and tval[c] = the tensor claims' values,
 * W read back from the rows on H_B one row at a time. Sparse terms are sorted by witness
 * index once, so the pass costs O(rows BLOCK + terms log terms). */
/* Zero the claimed values, count the term references (sparse terms plus tensor terms) and
 * check every sparse term's indices and coefficient. */
static int claims_reset(size_t n, const ligero_layout *lay, const apex_ligero_constraints *cons,
                        apex_gl *b, apex_gl2 *tval, size_t *nref)
{
    const apex_ligero_term *terms = cons->terms;
    size_t nterms = cons->nterms, nlin = cons->nlin;
    *nref = nterms;
    memset(b, 0, nlin * sizeof *b);
    for (size_t c = 0; c < cons->ntensor; c++) {
        tval[c] = apex_gl2_from_gl(0);
        *nref += cons->tensors[c].nterms;
    }
    for (size_t t = 0; t < nterms; t++)
        if (terms[t].c >= nlin || terms[t].w >= lay->w_off[n] || terms[t].coef >= APEX_GL_P)
            return APEX_ERR_RANGE;
    return APEX_OK;
}

static int claimed_values(apex_ligero_commitment *const *cs, size_t n, const ligero_layout *lay,
                          const apex_ligero_constraints *cons, apex_gl *b, apex_gl2 *tval,
                          apex_gl *tmp)
{
    const apex_ligero_term *terms = cons->terms;
    size_t nterms = cons->nterms, nref = 0;
    int rc0 = claims_reset(n, lay, cons, b, tval, &nref);
    if (rc0 != APEX_OK)
        return rc0;
    term_ref *refs = apex_calloc_n(nref + 1, sizeof *refs);
    if (!refs)
        return APEX_ERR_NOMEM;
    term_refs_sorted(terms, nterms, cons, refs, nref);
    size_t pos = 0;
    int rc = APEX_OK;
    for (size_t k = 0; k < n && rc == APEX_OK; k++) {
        const apex_ligero_commitment *c = cs[k];
        for (size_t i = 0; i < c->d.nrow && rc == APEX_OK; i++) {
            rc = ligero_row_values(c, i, tmp); /* one row of values live at a time */
            if (rc != APEX_OK)
                break;
            size_t lo = lay->w_off[k] + i * c->d.wr, hi = lo + c->d.wr;
            for (; pos < nref && refs[pos].w < hi; pos++) {
                const term_ref *f = &refs[pos];
                if (f->w < lo)
                    continue;
                apex_gl v = tmp[f->w - lo];
                if (f->kind == 0)
                    b[terms[f->q].c] =
                        apex_gl_add(b[terms[f->q].c], apex_gl_mul(terms[f->q].coef, v));
                else
                    tval[f->x] = apex_gl2_add(
                        tval[f->x], apex_gl2_mul_gl(cons->tensors[f->x].terms[f->q].coef, v));
            }
            for (size_t x = 0; x < cons->ntensor; x++) {
                const apex_ligero_tensor *tn = &cons->tensors[x];
                if (tn->commit != k || !tn->row_w)
                    continue;
                apex_gl2 row = apex_gl2_from_gl(0);
                for (size_t j = 0; j < c->d.wr; j++)
                    row = apex_gl2_add(row, apex_gl2_mul_gl(tn->slot_w[j], tmp[j]));
                tval[x] = apex_gl2_add(tval[x], apex_gl2_mul(tn->row_w[i], row));
            }
        }
    }
    free(refs);
    return rc;
}

/* Row i of commitment k's tensor weights: row[s] += beta_c row_w[i] slot_w[s]. */
static int tensor_row(const apex_ligero_commitment *ck, size_t k, size_t i,
                      const apex_ligero_constraints *cons, const apex_gl2 *beta, apex_gl2 *row)
{
    int any = 0;
    for (size_t c = 0; c < cons->ntensor; c++) {
        const apex_ligero_tensor *tn = &cons->tensors[c];
        if (!tn->row_w || tn->commit != k)
            continue; /* sparse-only claim, or another commitment */
        apex_gl2 f = apex_gl2_mul(beta[c], tn->row_w[i]);
        for (size_t j = 0; j < ck->d.wr; j++)
            row[j] = apex_gl2_add(row[j], apex_gl2_mul(f, tn->slot_w[j]));
        any = 1;
    }
    return any;
}

/* Shared context of the reference LDT/dot pass. */
typedef struct ld_arg {
    apex_ligero_commitment *const *cs;   /* the commitments */
    const ligero_layout *lay;            /* their row offsets */
    const apex_ligero_commitment *eph;   /* the masking commitment (plans, sizes) */
    const apex_ligero_constraints *cons; /* tensor claims */
    const apex_gl2 *u;                   /* [rows] LDT challenges */
    const apex_gl2 *beta;                /* [ntensor] tensor challenges */
    const ligero_contrib *cb;            /* sparse contributions sorted by row */
    size_t ncb;                          /* their count */
    apex_gl2 *ldt_part[APEX_ZK_THREADS]; /* [4 BLOCK] per-slice LDT coefficient sums */
    apex_gl2 *dot_part[APEX_ZK_THREADS]; /* [4 BLOCK] per-slice dot sums on <w_4B> */
} ld_arg;

/* Rows [lo, hi) of the concatenation: ldt += u_g p_g (coefficients) and dot += r_g p_g
 * (values on the subgroup of order 4 BLOCK, which holds the product's degree < 2 BLOCK + NP),
 * each r_g built when its row comes up and skipped when the row carries no constraint
 * weight. Partial sums per slice; field addition makes the total exact. This is the plain
 * per-row path the tests compare the fast one with. */
static void ld_slice(par_job *j)
{
    ld_arg *a = j->arg;
    size_t nq = a->eph->d.nq, block = a->eph->d.block, pos = 0, k = 0;
    apex_gl *tmp = apex_calloc_n(nq, sizeof *tmp), *x = apex_calloc_n(nq, sizeof *x);
    apex_gl *y = apex_calloc_n(nq, sizeof *y), *zz = apex_calloc_n(block, sizeof *zz);
    apex_gl2 *r = apex_calloc_n(block, sizeof *r);
    apex_gl2 *ldt = apex_calloc_n(nq, sizeof *ldt), *dot = apex_calloc_n(nq, sizeof *dot);
    j->rc = tmp && x && y && zz && r && ldt && dot ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t g = j->lo; g < j->hi && j->rc == APEX_OK; g++) {
        while (g >= a->lay->r_off[k + 1])
            k++;
        size_t i = g - a->lay->r_off[k];
        if ((j->rc = ligero_row_coef(a->cs[k], i, tmp)) != APEX_OK) /* p_g's coefficients */
            break;
        for (size_t q = 0; q < nq; q++)
            ldt[q] = apex_gl2_add(ldt[q], apex_gl2_mul_gl(a->u[g], tmp[q]));
        memset(r, 0, block * sizeof *r);
        int any = ligero_row_weights(a->cb, a->ncb, &pos, g, r);
        any |= tensor_row(a->cs[k], k, i, a->cons, a->beta, r);
        if (!any)
            continue;                           /* r_g = 0 */
        apex_ntt_forward(a->eph->plans.q, tmp); /* p_g on <w_4B> */
        ligero_interp_b(&a->eph->plans, r, block, zz);
        for (int c = 0; c < 2; c++) {
            apex_gl *v = c ? y : x; /* coordinate c of r_g on <w_4B> */
            memset(v, 0, nq * sizeof *v);
            for (size_t q = 0; q < block; q++)
                v[q] = c ? r[q].c1 : r[q].c0;
            apex_ntt_forward(a->eph->plans.q, v);
        }
        for (size_t h = 0; h < nq; h++)
            dot[h] = apex_gl2_add(dot[h], apex_gl2_mul_gl(apex_gl2_make(x[h], y[h]), tmp[h]));
    }
    if (tmp)
        apex_wipe(tmp, nq * sizeof *tmp);
    free(tmp);
    free(x);
    free(y);
    free(zz);
    free(r);
    a->ldt_part[j->slice] = ldt;
    a->dot_part[j->slice] = dot;
}

/* In-place inverse transform of an F_p2 vector of n = plan size entries (tmp[n] scratch). */
static void inverse2(const apex_ntt *plan, apex_gl2 *v, apex_gl *tmp)
{
    size_t n = apex_ntt_size(plan);
    for (int c = 0; c < 2; c++) {
        for (size_t h = 0; h < n; h++)
            tmp[h] = c ? v[h].c1 : v[h].c0;
        apex_ntt_inverse(plan, tmp);
        for (size_t h = 0; h < n; h++) {
            if (c)
                v[h].c1 = tmp[h];
            else
                v[h].c0 = tmp[h];
        }
    }
}

/* dotw and dotr back to coefficients on H_D, one per thread (each with its own scratch). */
typedef struct inv_arg {
    const apex_ligero_commitment *eph; /* the transform on H_D */
    apex_gl2 *v[2];                    /* dotw, dotr */
    apex_gl *tmp[2];                   /* [DBLOCK] scratch for each */
} inv_arg;

static void inverse_pair(par_job *j)
{
    const inv_arg *a = j->arg;
    for (size_t k = j->lo; k < j->hi; k++)
        inverse2(a->eph->plans.d, a->v[k], a->tmp[k]);
    j->rc = APEX_OK;
}

/* The responses' masks: ldt[0..nld) = ILDT, dot[0..ndot) = IDOT (coefficients). */
static void mask_responses(const apex_ligero_commitment *eph, size_t nld, size_t ndot,
                           apex_gl2 *ldt, apex_gl2 *dot)
{
    size_t nq = eph->d.nq;
    const apex_gl *l0 = eph->coef + APEX_LIGERO_ILDT * nq, *l1 = l0 + nq;
    const apex_gl *d0 = eph->coef + APEX_LIGERO_IDOT * nq, *d1 = d0 + nq;
    for (size_t q = 0; q < nld; q++)
        ldt[q] = apex_gl2_make(l0[q], l1[q]);
    for (size_t q = 0; q < ndot; q++)
        dot[q] = apex_gl2_make(d0[q], d1[q]);
}

/* ldt = ILDT + sum_g u_g p_g and dot = IDOT + sum_g r_g p_g over every row of every
 * commitment, the rows split over the threads (the reference path). */
static int ldt_dot_pass(apex_ligero_commitment *const *cs, const ligero_layout *lay, size_t n,
                        const apex_ligero_commitment *eph, const apex_ligero_constraints *cons,
                        const apex_gl2 *u, const apex_gl2 *beta, const ligero_contrib *cb,
                        size_t ncb, size_t nld, size_t ndot, prove_scratch *s, apex_gl2 *ldt,
                        apex_gl2 *dot)
{
    size_t nq = eph->d.nq;
    ld_arg a = {cs, lay, eph, cons, u, beta, cb, ncb, {NULL}, {NULL}};
    apex_gl2 *sum = apex_calloc_n(nq, sizeof *sum);
    int rc = sum ? ligero_par_run(ld_slice, &a, lay->r_off[n]) : APEX_ERR_NOMEM;
    mask_responses(eph, nld, ndot, ldt, dot);
    for (size_t t = 0; t < APEX_ZK_THREADS; t++) {
        for (size_t q = 0; rc == APEX_OK && a.ldt_part[t] && q < nld; q++)
            ldt[q] = apex_gl2_add(ldt[q], a.ldt_part[t][q]);
        for (size_t h = 0; rc == APEX_OK && a.dot_part[t] && h < nq; h++)
            sum[h] = apex_gl2_add(sum[h], a.dot_part[t][h]);
        free(a.ldt_part[t]);
        free(a.dot_part[t]);
    }
    if (rc == APEX_OK) {
        inverse2(eph->plans.q, sum, s->tmp);
        for (size_t q = 0; q < ndot; q++)
            dot[q] = apex_gl2_add(dot[q], sum[q]);
    }
    free(sum);
    return rc;
}

/* ---------------------------------------------------------------- fast pass */

static int reference_pass = 0;

void ligero_test_set_reference_pass(int on)
{
    reference_pass = on;
}

/* Context of the fast passes' per-row hooks; every output is per slice. */
typedef struct fast_arg {
    apex_ligero_commitment *const *cs;   /* the commitments */
    const ligero_layout *lay;            /* their layout */
    const apex_ligero_constraints *cons; /* the constraints */
    const term_ref *refs;                /* pass 1: sparse terms sorted by witness index */
    size_t nref;                         /* their count */
    const ligero_contrib *cb;            /* pass 2: sparse contributions sorted by row */
    size_t ncb;                          /* their count */
    const apex_ligero_commitment *eph;   /* plans and sizes */
    apex_gl *b[APEX_ZK_THREADS];         /* pass 1: [nlin] partial b */
    apex_gl2 *tv[APEX_ZK_THREADS];       /* pass 1: [ntensor] partial tval */
    apex_gl2 *dotw[APEX_ZK_THREADS];     /* pass 2: [DBLOCK] partial sum of r_g W_g on H_D */
    apex_gl2 *dotr[APEX_ZK_THREADS];     /* pass 2: [DBLOCK] partial sum of r_g R_g on H_D */
    apex_gl *buf[APEX_ZK_THREADS][5];    /* pass 2: [DBLOCK] scratch per slice */
    apex_gl2 *r[APEX_ZK_THREADS];        /* pass 2: [BLOCK] weights per slice */
} fast_arg;

/* Pass 1: the sparse terms that fall in row i of commitment k. */
static int sparse_hook(void *ctx, size_t slice, size_t k, size_t i, const apex_gl *v)
{
    fast_arg *a = ctx;
    const apex_ligero_commitment *c = a->cs[k];
    size_t lo = a->lay->w_off[k] + i * c->d.wr, hi = lo + c->d.wr, l = 0, h = a->nref;
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (a->refs[mid].w < lo)
            l = mid + 1;
        else
            h = mid;
    }
    for (size_t pos = l; pos < a->nref && a->refs[pos].w < hi; pos++) {
        const term_ref *f = &a->refs[pos];
        apex_gl x = v[f->w - lo];
        if (f->kind == 0) {
            const apex_ligero_term *t = &a->cons->terms[f->q];
            a->b[slice][t->c] = apex_gl_add(a->b[slice][t->c], apex_gl_mul(t->coef, x));
        } else {
            apex_gl2 cf = a->cons->tensors[f->x].terms[f->q].coef;
            a->tv[slice][f->x] = apex_gl2_add(a->tv[slice][f->x], apex_gl2_mul_gl(cf, x));
        }
    }
    return APEX_OK;
}

/* Global row of witness index w. */
static size_t row_of_w(apex_ligero_commitment *const *cs, const ligero_layout *lay, size_t w)
{
    size_t k = 0;
    while (w >= lay->w_off[k + 1])
        k++;
    return lay->r_off[k] + (w - lay->w_off[k]) / cs[k]->d.wr;
}

/* claimed_values by one pass: tensor claims as tval = slot_w . (sum_i row_w[i] row_i) with
 * the combinations kept in tcomb[tix[x]][BLOCK] for the dot response; sparse terms read
 * from the rows that hold them. */
static int fast_claimed_values(apex_ligero_commitment *const *cs, size_t n,
                               const ligero_layout *lay, const apex_ligero_constraints *cons,
                               const apex_gl2 *u, apex_gl2 *vl, apex_gl2 *pl, apex_gl *b,
                               apex_gl2 *tval, const size_t *tix, apex_gl2 *tcomb, apex_gl2 *tpad,
                               size_t np)
{
    const apex_ligero_term *terms = cons->terms;
    size_t nterms = cons->nterms, nlin = cons->nlin, nref = 0, B = cs[0]->d.block;
    int rc0 = claims_reset(n, lay, cons, b, tval, &nref);
    if (rc0 != APEX_OK)
        return rc0;
    fast_arg a = {.cs = cs, .lay = lay, .cons = cons, .nref = nref};
    term_ref *refs = apex_calloc_n(nref + 1, sizeof *refs);
    uint8_t *flag = apex_calloc_n(lay->r_off[n], 1);
    ligero_comb *cb = apex_calloc_n(cons->ntensor + n, sizeof *cb);
    int rc = refs && flag && cb ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t t = 0; t < APEX_ZK_THREADS && rc == APEX_OK; t++) {
        a.b[t] = apex_calloc_n(nlin + 1, sizeof *a.b[t]);
        a.tv[t] = apex_calloc_n(cons->ntensor + 1, sizeof *a.tv[t]);
        if (!a.b[t] || !a.tv[t])
            rc = APEX_ERR_NOMEM;
    }
    size_t ncomb = 0;
    if (rc == APEX_OK) {
        term_refs_sorted(terms, nterms, cons, refs, nref);
        for (size_t q = 0; q < nref; q++)
            flag[row_of_w(cs, lay, refs[q].w)] = 1;
        a.refs = refs;
        for (size_t x = 0; x < cons->ntensor; x++)
            if (cons->tensors[x].row_w)
                cb[ncomb++] = (ligero_comb){cons->tensors[x].commit, cons->tensors[x].row_w,
                                            tcomb + tix[x] * B, tpad + tix[x] * np};
        for (size_t k = 0; k < n; k++) /* the LDT's combination, in the same pass */
            cb[ncomb++] = (ligero_comb){k, u + lay->r_off[k], vl + k * B, pl + k * np};
        rc = ligero_comb_pass(cs, n, lay, cb, ncomb, flag, sparse_hook, &a);
    }
    for (size_t t = 0; t < APEX_ZK_THREADS && rc == APEX_OK; t++) {
        for (size_t c = 0; c < nlin; c++)
            b[c] = apex_gl_add(b[c], a.b[t][c]);
        for (size_t x = 0; x < cons->ntensor; x++)
            tval[x] = apex_gl2_add(tval[x], a.tv[t][x]);
    }
    for (size_t x = 0; x < cons->ntensor && rc == APEX_OK; x++) {
        const apex_ligero_tensor *tn = &cons->tensors[x];
        if (!tn->row_w)
            continue;
        const apex_ligero_commitment *c = cs[tn->commit];
        for (size_t j = 0; j < c->d.wr; j++)
            tval[x] = apex_gl2_add(tval[x], apex_gl2_mul(tn->slot_w[j], tcomb[tix[x] * B + j]));
    }
    for (size_t t = 0; t < APEX_ZK_THREADS; t++) {
        free(a.b[t]);
        free(a.tv[t]);
    }
    free(refs);
    free(flag);
    free(cb);
    return rc;
}

/* F_p2 coefficients c[0..n) (n <= BLOCK, zero above) to values on H_D in x (c0), y (c1). */
static void coef2_on_d(const apex_ligero_commitment *eph, const apex_gl2 *c, size_t n, apex_gl *x,
                       apex_gl *y)
{
    size_t db = eph->d.dblock;
    for (int co = 0; co < 2; co++) {
        apex_gl *w = co ? y : x;
        memset(w, 0, db * sizeof *w);
        for (size_t q = 0; q < n; q++)
            w[q] = co ? c[q].c1 : c[q].c0;
        apex_ntt_forward(eph->plans.d, w);
    }
}

/* A polynomial of degree < BLOCK given by its values v on H_B (v[k] at w_B^k) to its values
 * on H_D in x: x[2k] = v[k] (w_2B^(2k) = w_B^k) and x[2k + 1] its value at w_2B w_B^k, from
 * the coset transform of its coefficients: an inverse and a coset transform of BLOCK instead
 * of an inverse of BLOCK and a transform of 2 BLOCK, with the same values. tmp[BLOCK]
 * scratch, distinct from v and x. */
static void vals_b_on_d(const apex_ligero_commitment *eph, const apex_gl *v, apex_gl *tmp,
                        apex_gl *x)
{
    size_t block = eph->d.block;
    unsigned ld = 0;
    while (((size_t)1 << ld) < eph->d.dblock)
        ld++;
    memcpy(tmp, v, block * sizeof *tmp);
    apex_ntt_inverse(eph->plans.b, tmp);
    apex_ntt_coset_forward(eph->plans.b, tmp, apex_gl_root_of_unity(ld)); /* w_2B */
    for (size_t k = 0; k < block; k++) {
        x[2 * k] = v[k];
        x[2 * k + 1] = tmp[k];
    }
}

/* vals_b_on_d for each coordinate of F_p2 values v on H_B, into x (c0) and y (c1);
 * tmp[DBLOCK] scratch. */
static void vals2_b_on_d(const apex_ligero_commitment *eph, const apex_gl2 *v, apex_gl *tmp,
                         apex_gl *x, apex_gl *y)
{
    size_t block = eph->d.block;
    for (int c = 0; c < 2; c++) {
        for (size_t k = 0; k < block; k++)
            tmp[k] = c ? v[k].c1 : v[k].c0;
        vals_b_on_d(eph, tmp, tmp + block, c ? y : x);
    }
}

/* Pass 2 for a row carrying sparse weights (the reference path's per-row work, restricted
 * to the sparse part of r_g): with p_g = W_g + Z_H R_g, dotw += r_g W_g and dotr += r_g R_g
 * on H_D (degrees < 2 BLOCK - 1 and < BLOCK + npad - 1: both fit). */
static int dot_hook(void *ctx, size_t slice, size_t k, size_t i, const apex_gl *v)
{
    fast_arg *a = ctx;
    const apex_ligero_commitment *eph = a->eph;
    size_t db = eph->d.dblock, block = eph->d.block, g = a->lay->r_off[k] + i, l = 0, h = a->ncb;
    size_t npad = a->cs[k]->p.npad;
    apex_gl *p = a->buf[slice][0], *x = a->buf[slice][1], *y = a->buf[slice][2];
    apex_gl *zz = a->buf[slice][3], *pr = a->buf[slice][4];
    apex_gl2 *r = a->r[slice];
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        if (a->cb[mid].row < g)
            l = mid + 1;
        else
            h = mid;
    }
    memset(r, 0, block * sizeof *r);
    if (!ligero_row_weights(a->cb, a->ncb, &l, g, r))
        return APEX_OK;
    vals_b_on_d(eph, v, x, p); /* W_g on H_D (x is free until r's values) */
    memcpy(pr, v + block, npad * sizeof *pr);
    memset(pr + npad, 0, (db - npad) * sizeof *pr);
    apex_ntt_forward(eph->plans.d, pr);
    vals2_b_on_d(eph, r, zz, x, y);
    apex_gl2 *dw = a->dotw[slice], *dr = a->dotr[slice];
    for (size_t q = 0; q < db; q++) {
        apex_gl2 rq = apex_gl2_make(x[q], y[q]);
        dw[q] = apex_gl2_add(dw[q], apex_gl2_mul_gl(rq, p[q]));
        dr[q] = apex_gl2_add(dr[q], apex_gl2_mul_gl(rq, pr[q]));
    }
    apex_wipe(p, db * sizeof *p);
    apex_wipe(pr, db * sizeof *pr);
    return APEX_OK;
}

/* A slice of the tensor claims with row weights in the dot response. */
typedef struct tens_arg {
    fast_arg *a;                   /* dimensions, and per-slice dotw, dotr and buffers */
    const apex_gl2 *beta;          /* [ntensor] tensor challenges */
    const size_t *tix;             /* [ntensor] index among the claims with row weights */
    const apex_gl2 *tcomb;         /* [ntr][BLOCK] their row combinations */
    const apex_gl2 *tpad;          /* [ntr][NP] their pads */
    size_t np;                     /* NP */
    const size_t *xs;              /* [ntr] the claims with row weights */
    apex_gl2 *sw[APEX_ZK_THREADS]; /* [DBLOCK] per slice */
} tens_arg;

/* Claims [lo, hi) of xs: dotw += (beta S) * P_W and dotr += (beta S) * P_R on H_D. */
static void tens_dot(par_job *j)
{
    const tens_arg *ta = j->arg;
    const fast_arg *a = ta->a;
    const apex_ligero_commitment *eph = a->eph;
    size_t db = eph->d.dblock, block = eph->d.block;
    apex_gl2 *dw = a->dotw[j->slice], *dr = a->dotr[j->slice], *sw = ta->sw[j->slice];
    apex_gl *sx = a->buf[j->slice][0], *sy = a->buf[j->slice][1], *px = a->buf[j->slice][2];
    apex_gl *py = a->buf[j->slice][3], *tmp = a->buf[j->slice][4];
    for (size_t m = j->lo; m < j->hi; m++) {
        size_t x = ta->xs[m];
        const apex_ligero_tensor *tn = &a->cons->tensors[x];
        const apex_ligero_commitment *c = a->cs[tn->commit];
        for (size_t q = 0; q < block; q++) /* the beta-scaled slot weights on H_B */
            sw[q] = apex_gl2_mul(ta->beta[x], tn->slot_w[q]);
        vals2_b_on_d(eph, sw, tmp, sx, sy);
        vals2_b_on_d(eph, ta->tcomb + ta->tix[x] * block, tmp, px, py); /* P_W */
        for (size_t h = 0; h < db; h++)
            dw[h] = apex_gl2_add(
                dw[h], apex_gl2_mul(apex_gl2_make(sx[h], sy[h]), apex_gl2_make(px[h], py[h])));
        coef2_on_d(eph, ta->tpad + ta->tix[x] * ta->np, c->p.npad, px, py); /* P_R */
        for (size_t h = 0; h < db; h++)
            dr[h] = apex_gl2_add(
                dr[h], apex_gl2_mul(apex_gl2_make(sx[h], sy[h]), apex_gl2_make(px[h], py[h])));
    }
    j->rc = APEX_OK;
}

/* ldt_dot_pass from the first pass's combinations: ldt = ILDT + interp(sum_g u_g row_g) + Z_H
 * sum_g u_g R_g (vl, pl: per commitment), dot = IDOT + (sum over the sparse rows' and the
 * tensor claims' r W) + Z_H (the same with R); the rows with sparse weights are read again
 * (only they), and a tensor claim contributes (beta S) * P_W and (beta S) * P_R with S its
 * slot weights and P_W, P_R its row combination's values (tcomb) and pads (tpad), on H_D. */
static int fast_ldt_dot(apex_ligero_commitment *const *cs, const ligero_layout *lay, size_t n,
                        const apex_ligero_commitment *eph, const apex_ligero_constraints *cons,
                        apex_gl2 *vl, const apex_gl2 *pl, const apex_gl2 *beta,
                        const ligero_contrib *cbs, size_t ncbs, const size_t *tix,
                        const apex_gl2 *tcomb, const apex_gl2 *tpad, size_t np, size_t nld,
                        size_t ndot, prove_scratch *s, apex_gl2 *ldt, apex_gl2 *dot)
{
    size_t db = eph->d.dblock, block = eph->d.block;
    fast_arg a = {.cs = cs, .lay = lay, .cons = cons, .cb = cbs, .ncb = ncbs, .eph = eph};
    size_t *xs = apex_calloc_n(s->ntr + 1, sizeof *xs);
    uint8_t *flag = apex_calloc_n(lay->r_off[n], 1);
    int rc = xs && flag ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t x = 0; xs && x < cons->ntensor; x++)
        if (tix[x] != SIZE_MAX)
            xs[tix[x]] = x;
    for (size_t t = 0; t < APEX_ZK_THREADS && rc == APEX_OK; t++) {
        a.dotw[t] = apex_calloc_n(db, sizeof *a.dotw[t]);
        a.dotr[t] = apex_calloc_n(db, sizeof *a.dotr[t]);
        a.r[t] = apex_calloc_n(block, sizeof *a.r[t]);
        if (!a.dotw[t] || !a.dotr[t] || !a.r[t])
            rc = APEX_ERR_NOMEM;
        for (int q = 0; q < 5 && rc == APEX_OK; q++)
            if (!(a.buf[t][q] = apex_calloc_n(db, sizeof *a.buf[t][q])))
                rc = APEX_ERR_NOMEM;
    }
    if (rc == APEX_OK) {
        for (size_t q = 0; q < ncbs; q++)
            flag[cbs[q].row] = 1;
        rc = ligero_comb_pass(cs, n, lay, NULL, 0, flag, dot_hook, &a); /* flagged rows only */
    }
    if (rc == APEX_OK) {
        mask_responses(eph, nld, ndot, ldt, dot);
        for (size_t k = 1; k < n; k++)
            for (size_t q = 0; q < block; q++)
                vl[q] = apex_gl2_add(vl[q], vl[k * block + q]);
        ligero_interp_b(&eph->plans, vl, block, s->tmp);
        for (size_t q = 0; q < block; q++)
            ldt[q] = apex_gl2_add(ldt[q], vl[q]);
        for (size_t k = 0; k < n; k++)
            ligero_add_zh2(ldt, block, pl + k * np, cs[k]->p.npad);
        /* the claims with row weights, split over both threads: each slice adds into its own
         * dotw, dotr and uses its own buffers */
        tens_arg ta = {&a, beta, tix, tcomb, tpad, np, xs, {NULL}};
        for (size_t t = 0; t < APEX_ZK_THREADS && rc == APEX_OK; t++)
            if (!(ta.sw[t] = apex_calloc_n(db, sizeof *ta.sw[t])))
                rc = APEX_ERR_NOMEM;
        if (rc == APEX_OK)
            rc = ligero_par_run(tens_dot, &ta, s->ntr);
        for (size_t t = 0; t < APEX_ZK_THREADS; t++) {
            if (ta.sw[t])
                apex_wipe(ta.sw[t], db * sizeof *ta.sw[t]);
            free(ta.sw[t]);
        }
        if (rc != APEX_OK)
            goto done;
        apex_gl2 *dw = a.dotw[0], *dr = a.dotr[0];
        for (size_t t = 1; t < APEX_ZK_THREADS; t++)
            for (size_t h = 0; h < db; h++) {
                dw[h] = apex_gl2_add(dw[h], a.dotw[t][h]);
                dr[h] = apex_gl2_add(dr[h], a.dotr[t][h]);
            }
        inv_arg ia = {eph, {dw, dr}, {a.buf[0][4], a.buf[1 % APEX_ZK_THREADS][4]}};
        if ((rc = ligero_par_run(inverse_pair, &ia, 2)) != APEX_OK)
            goto done;
        for (size_t q = 0; q < db; q++) /* r W: degree < 2 BLOCK - 1 */
            dot[q] = apex_gl2_add(dot[q], dw[q]);
        ligero_add_zh2(dot, block, dr, block + np - 1); /* r R: degree < BLOCK + NP - 1 */
    }
done:
    for (size_t t = 0; t < APEX_ZK_THREADS; t++) {
        wipe_free(a.dotw[t], a.dotw[t] ? db * sizeof *a.dotw[t] : 0); /* r W, r R terms */
        wipe_free(a.dotr[t], a.dotr[t] ? db * sizeof *a.dotr[t] : 0);
        free(a.r[t]);
        for (int q = 0; q < 5; q++) {
            if (a.buf[t][q])
                apex_wipe(a.buf[t][q], db * sizeof *a.buf[t][q]);
            free(a.buf[t][q]);
        }
    }
    free(xs);
    free(flag);
    return rc;
}

/* Values on Q of global row g of the concatenation (its true polynomial), into out[4 BLOCK]. */
static int row_on_q_global(apex_ligero_commitment *const *cs, const ligero_layout *lay, size_t g,
                           apex_gl *out)
{
    size_t k = 0;
    while (g >= lay->r_off[k + 1])
        k++;
    int rc = ligero_row_coef(cs[k], g - lay->r_off[k], out);
    if (rc == APEX_OK)
        apex_ntt_coset_forward(cs[k]->plans.q, out, APEX_GL_GENERATOR);
    return rc;
}

/* The quadratic terms of quads [q0, q1): acc[h] += v_i (z - x y)[h] on Q. */
typedef struct quad_arg {
    apex_ligero_commitment *const *cs;
    const ligero_layout *lay;
    const apex_ligero_constraints *cons;
    const apex_gl2 *v; /* [nquad] challenges */
    size_t nq;         /* 4 BLOCK */
    size_t split;      /* slice 0 takes quads [0, split), slice 1 [split, nquad) */
    apex_gl2 *acc[2];  /* [4 BLOCK] per slice, zeroed */
} quad_arg;

static void quad_slice(par_job *j)
{
    quad_arg *a = j->arg;
    j->rc = APEX_OK;
    if (j->lo >= j->hi) /* an empty slice (more threads than halves) */
        return;
    size_t q0 = j->lo ? a->split : 0, q1 = j->lo ? a->cons->nquad : a->split, nq = a->nq;
    apex_gl *x = apex_calloc_n(3 * nq, sizeof *x);
    if (!x) {
        j->rc = APEX_ERR_NOMEM;
        return;
    }
    apex_gl *y = x + nq, *z = y + nq;
    apex_gl2 *acc = a->acc[j->lo];
    for (size_t i = q0; i < q1 && j->rc == APEX_OK; i++) {
        const apex_ligero_quad *q = &a->cons->quads[i];
        /* LogUp's quads come in pairs sharing x: encode it once for both */
        if (i == q0 || q->x != a->cons->quads[i - 1].x)
            j->rc = row_on_q_global(a->cs, a->lay, q->x, x);
        if (j->rc == APEX_OK)
            j->rc = row_on_q_global(a->cs, a->lay, q->y, y);
        if (j->rc == APEX_OK)
            j->rc = row_on_q_global(a->cs, a->lay, q->z, z);
        for (size_t h = 0; h < nq && j->rc == APEX_OK; h++) {
            apex_gl e = apex_gl_sub(z[h], apex_gl_mul(x[h], y[h]));
            acc[h] = apex_gl2_add(acc[h], apex_gl2_mul_gl(a->v[i], e));
        }
    }
    apex_wipe(x, 3 * nq * sizeof *x);
    free(x);
}

/* Split the quads in two halves that touch disjoint rows (row sources may be called from
 * two threads at once only for different rows); nquad (no split) when there is none. */
static size_t quad_split(const apex_ligero_constraints *cons, size_t nrows)
{
    size_t n = cons->nquad, m = n / 2;
    while (m > 0 && m < n && cons->quads[m].x == cons->quads[m - 1].x)
        m++;
    uint8_t *used = n >= 4 && m < n ? apex_calloc_n(nrows ? nrows : 1, 1) : NULL;
    if (!used)
        return n;
    int clash = 0;
    for (size_t i = 0; i < n && !clash; i++)
        clash = cons->quads[i].x >= nrows || cons->quads[i].y >= nrows ||
                cons->quads[i].z >= nrows; /* left to the serial path to report */
    for (size_t i = 0; i < m && !clash; i++)
        used[cons->quads[i].x] = used[cons->quads[i].y] = used[cons->quads[i].z] = 1;
    for (size_t i = m; i < n && !clash; i++)
        clash = used[cons->quads[i].x] | used[cons->quads[i].y] | used[cons->quads[i].z];
    free(used);
    return clash ? n : m;
}

/* q = IQD + sum_i v_i (p_z - p_x p_y) on Q, which vanishes on H_B when every constraint
 * holds; writes the first nqd coefficients of q / Z_H (the division on Q, where Z_H has
 * four values and none is zero) to out. The quads run in two threads when they split into
 * halves with disjoint rows; field sums are exact, so the response does not depend on the
 * split. */
static int quad_response(apex_ligero_commitment *const *cs, const ligero_layout *lay,
                         size_t ncommit, const apex_ligero_commitment *eph,
                         const apex_ligero_constraints *cons, size_t nqd, prove_scratch *s,
                         apex_gl2 *out)
{
    size_t nq = eph->d.nq;
    coef_on_q(eph, eph->coef + APEX_LIGERO_IQD * nq, s->x);
    coef_on_q(eph, eph->coef + (APEX_LIGERO_IQD + 1) * nq, s->y);
    quad_arg a = {cs, lay, cons, s->v, nq, quad_split(cons, lay->r_off[ncommit]), {NULL, NULL}};
    a.acc[0] = apex_calloc_n(2 * nq, sizeof *a.acc[0]);
    if (!a.acc[0])
        return APEX_ERR_NOMEM;
    a.acc[1] = a.acc[0] + nq;
    int rc;
    if (a.split < cons->nquad) {
        rc = ligero_par_run(quad_slice, &a, 2);
    } else {
        par_job one = {quad_slice, 0, 1, &a, APEX_OK, 0};
        quad_slice(&one);
        rc = one.rc;
    }
    apex_gl zh[4], zi[4];
    ligero_zh_on_q(eph->p.log_block, zh);
    for (int t = 0; t < 4 && rc == APEX_OK; t++)
        rc = apex_gl_inv(zh[t], &zi[t]) == APEX_OK ? APEX_OK : APEX_ERR_INVALID;
    for (size_t h = 0; h < nq && rc == APEX_OK; h++) {
        apex_gl2 q =
            apex_gl2_add(apex_gl2_make(s->x[h], s->y[h]), apex_gl2_add(a.acc[0][h], a.acc[1][h]));
        s->acc[h] = apex_gl2_mul_gl(q, zi[h % 4]);
    }
    free(a.acc[0]);
    if (rc != APEX_OK)
        return rc;
    for (int c = 0; c < 2; c++) { /* values on Q -> coefficients of q / Z_H */
        for (size_t h = 0; h < nq; h++)
            s->tmp[h] = c ? s->acc[h].c1 : s->acc[h].c0;
        apex_ntt_coset_inverse(eph->plans.q, s->tmp, APEX_GL_GENERATOR);
        for (size_t h = 0; h < nqd; h++) {
            if (c)
                out[h].c1 = s->tmp[h];
            else
                out[h].c0 = s->tmp[h];
        }
    }
    return APEX_OK;
}

/* Copy the queried columns of one commitment into an opening, with its Merkle proof: read
 * from the tableau cache when there is one (checked against the leaves), else re-encoded. */
static int open_tree(apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                     apex_ligero_opening *o, const char **reason)
{
    size_t nrow = c->d.nrow, cap = apex_merkle_open_max(c->d.nq, nreq);
    o->cols = apex_calloc_n(nreq * nrow, sizeof *o->cols);
    o->salts = apex_calloc_n(nreq, APEX_MERKLE_SALT_LEN);
    o->sib = apex_calloc_n(cap ? cap : 1, sizeof *o->sib);
    if (!o->cols || !o->salts || !o->sib)
        return APEX_ERR_NOMEM;
    for (size_t j = 0; j < nreq; j++)
        memcpy(o->salts + j * APEX_MERKLE_SALT_LEN, c->salts + qidx[j] * APEX_MERKLE_SALT_LEN,
               APEX_MERKLE_SALT_LEN);
    int rc = APEX_ERR_NOT_FOUND;
    c->cache_note = "ligero: no cache file configured";
    if (c->mtab) {
        ligero_mem_columns(c, qidx, nreq, o->cols);
        c->cache_note = NULL;
        rc = APEX_OK;
    } else if (c->cache_path && !c->coef) {
        const char *why = NULL;
        rc = ligero_cache_columns(c, qidx, nreq, o->cols, &why);
        c->cache_note = rc == APEX_OK ? NULL : why;
        if (rc == APEX_ERR_NOT_FOUND)
            LOG_WARN("%s (%s)", why, c->cache_path);
        else if (rc != APEX_OK) {
            *reason = why;
            return rc;
        }
    }
    if (rc == APEX_ERR_NOT_FOUND)
        rc = ligero_open_columns(c, qidx, nreq, o->cols); /* re-encodes every row */
    return rc == APEX_OK ? apex_merkle_open(c->tree, qidx, nreq, o->sib, cap, &o->nsib) : rc;
}

int apex_ligero_prove(apex_ligero_commitment *const *cs, size_t n, apex_transcript *t,
                      const apex_ligero_constraints *cons, apex_rng *test_rng,
                      apex_ligero_proof *out, const char **reason)
{
    return ligero_prove_claiming(cs, n, t, cons, NULL, test_rng, out, reason);
}

int ligero_prove_claiming(apex_ligero_commitment *const *cs, size_t n, apex_transcript *t,
                          const apex_ligero_constraints *cons, const apex_gl *claim,
                          apex_rng *test_rng, apex_ligero_proof *out, const char **reason)
{
    size_t nlin = cons->nlin, nquad = cons->nquad;
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS];
    apex_ligero_dims dims[APEX_LIGERO_MAX_COMMITS];
    apex_hash roots[APEX_LIGERO_MAX_COMMITS];
    ligero_layout lay;
    if (n < 1 || n > APEX_LIGERO_MAX_COMMITS) {
        *reason = "ligero: commitment count outside [1, APEX_LIGERO_MAX_COMMITS]";
        return APEX_ERR_INVALID;
    }
    for (size_t k = 0; k < n; k++) {
        ps[k] = cs[k]->p;
        roots[k] = cs[k]->root;
        for (size_t j = 0; j < k; j++) {
            if (cs[j] == cs[k]) {
                *reason = "ligero: a commitment is listed twice";
                return APEX_ERR_INVALID;
            }
        }
    }
    if (ligero_joint_shape(ps, n, dims, &lay, reason) != APEX_OK ||
        ligero_quad_shape(&lay, n, cons->quads, nquad, reason) != APEX_OK ||
        ligero_tensor_shape(dims, n, &lay, cons, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    for (size_t k = 0; k < n; k++) {
        if (apex_ligero_openings_left(cs[k]) == 0) {
            *reason = "ligero: opening budget of a commitment exhausted";
            return APEX_ERR_STATE;
        }
    }
    size_t block = dims[0].block, db = dims[0].dblock, nq = dims[0].nq, nreq = ps[0].nreq;
    size_t rows = lay.r_off[n], np = ligero_max_npad(ps, n), nld, ndot, nqd;
    ligero_response_lengths(block, np, &nld, &ndot, &nqd);
    prove_scratch s = {0};
    ligero_rand *rs = calloc(1, sizeof *rs);
    apex_ligero_commitment *eph = NULL;
    s.b = apex_calloc_n(nlin ? nlin : 1, sizeof *s.b);
    s.u = apex_calloc_n(rows, sizeof *s.u);
    s.alpha = apex_calloc_n(nlin ? nlin : 1, sizeof *s.alpha);
    s.tval = apex_calloc_n(cons->ntensor ? cons->ntensor : 1, sizeof *s.tval);
    s.beta = apex_calloc_n(cons->ntensor ? cons->ntensor : 1, sizeof *s.beta);
    s.v = apex_calloc_n(nquad ? nquad : 1, sizeof *s.v);
    s.nq = nq, s.block = block, s.np = np, s.n = n;
    s.acc = apex_calloc_n(nq, sizeof *s.acc);
    s.z = apex_calloc_n(nq, sizeof *s.z);
    s.row = apex_calloc_n(block, sizeof *s.row);
    s.x = apex_calloc_n(nq, sizeof *s.x);
    s.y = apex_calloc_n(nq, sizeof *s.y);
    s.tmp = apex_calloc_n(nq, sizeof *s.tmp);
    s.idx = apex_calloc_n(nreq, sizeof *s.idx);
    s.qidx = apex_calloc_n(nreq, sizeof *s.qidx);
    out->ldt = apex_calloc_n(nld, sizeof *out->ldt);
    out->dot = apex_calloc_n(ndot, sizeof *out->dot);
    out->open = apex_calloc_n(n + 1, sizeof *out->open);
    out->ncommit = n;
    out->nquadv = nquad ? nqd : 0;
    out->quad = apex_calloc_n(out->nquadv ? out->nquadv : 1, sizeof *out->quad);
    int rc = APEX_ERR_NOMEM;
    *reason = "ligero: out of memory";
    if (!rs || !s.b || !s.u || !s.alpha || !s.tval || !s.beta || !s.v || !s.acc || !s.z || !s.row ||
        !s.x || !s.y || !s.tmp || !s.idx || !s.qidx || !out->ldt || !out->dot || !out->open ||
        !out->quad)
        goto done;
    ligero_rand_init(rs, test_rng);
    *reason = "ligero: masking commitment failed";
    zk_phase ph;
    zk_phase_start(&ph);
    if (!(eph = ligero_commit_masks(ps[0].log_block, nreq, np, rs)))
        goto done;
    out->eph_root = eph->root;
    zk_phase_done(&ph, "ligero prove", "masking rows committed");

    *reason = "ligero: constraint term outside the witness or constraint range";
    /* only the claims with row weights have combinations: the others are sparse */
    s.tix = apex_calloc_n(cons->ntensor + 1, sizeof *s.tix);
    for (size_t x = 0; s.tix && x < cons->ntensor; x++)
        s.tix[x] = cons->tensors[x].row_w ? s.ntr++ : SIZE_MAX;
    LOG_DEBUG("ligero prove: %zu commitments, %zu rows, %zu linear and %zu quadratic "
              "constraints, %zu tensor claims (%zu with row weights)",
              n, rows, nlin, nquad, cons->ntensor, s.ntr);
    s.tcomb = apex_calloc_n((s.ntr + 1) * block, sizeof *s.tcomb);
    s.tpad = apex_calloc_n((s.ntr + 1) * np, sizeof *s.tpad);
    s.vl = apex_calloc_n(n * block, sizeof *s.vl);
    s.pl = apex_calloc_n(n * np, sizeof *s.pl);
    if (!s.tix || !s.tcomb || !s.tpad || !s.vl || !s.pl) {
        rc = APEX_ERR_NOMEM;
        *reason = "ligero: out of memory";
        goto done;
    }
    /* u first: it only needs the commitments (roots, masks) fixed; then one pass over the
     * rows gives the claimed values and the LDT's combination at once */
    *reason = "ligero: transcript failure";
    if ((rc = ligero_absorb_header(t, ps, roots, n, &eph->root, cons)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.u, rows)) != APEX_OK)
        goto done;
    zk_phase_done(&ph, "ligero prove", "header and u");
    *reason = "ligero: constraint term outside the witness or constraint range";
    rc = reference_pass ? claimed_values(cs, n, &lay, cons, s.b, s.tval, s.tmp)
                        : fast_claimed_values(cs, n, &lay, cons, s.u, s.vl, s.pl, s.b, s.tval,
                                              s.tix, s.tcomb, s.tpad, np);
    if (rc != APEX_OK)
        goto done;
    if (claim) /* a cheating prover in the tests: claim values the witness does not give */
        memcpy(s.b, claim, nlin * sizeof *s.b);
    *reason = "ligero: transcript failure";
    if ((rc = apex_transcript_absorb_gl(t, "ligero.b", s.b, nlin)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.tval", s.tval, cons->ntensor)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.alpha, nlin)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.beta, cons->ntensor)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.v, nquad)) != APEX_OK)
        goto done;

    zk_phase_done(&ph, "ligero prove", "claimed values");
    rc = ligero_contribs(ps, dims, n, &lay, cons, s.alpha, s.beta, &s.cb, &s.ncb);
    *reason = "ligero: row source failed";
    if (rc != APEX_OK ||
        (rc = reference_pass ? ldt_dot_pass(cs, &lay, n, eph, cons, s.u, s.beta, s.cb, s.ncb, nld,
                                            ndot, &s, out->ldt, out->dot)
                             : fast_ldt_dot(cs, &lay, n, eph, cons, s.vl, s.pl, s.beta, s.cb, s.ncb,
                                            s.tix, s.tcomb, s.tpad, np, nld, ndot, &s, out->ldt,
                                            out->dot)) != APEX_OK ||
        (nquad && (rc = quad_response(cs, &lay, n, eph, cons, nqd, &s, out->quad)) != APEX_OK))
        goto done;
    zk_phase_done(&ph, "ligero prove", "responses");
    *reason = "ligero: transcript failure";
    if ((rc = apex_transcript_absorb_gl2(t, "ligero.ldt", out->ldt, nld)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.dot", out->dot, ndot)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.quad", out->quad, out->nquadv)) != APEX_OK ||
        (rc = apex_transcript_challenge_indices(t, db, dims[0].ncol, nreq, s.idx)) != APEX_OK)
        goto done;
    /* write-ahead: the openings count before any column leaves this function */
    for (size_t k = 0; k < n; k++)
        cs[k]->opened++;
    eph->opened++;
    for (size_t j = 0; j < nreq; j++)
        s.qidx[j] = (size_t)(s.idx[j] - db);
    *reason = "ligero: Merkle opening failed";
    for (size_t k = 0; k <= n && rc == APEX_OK; k++)
        rc = open_tree(k < n ? cs[k] : eph, s.qidx, nreq, &out->open[k], reason);
    zk_phase_done(&ph, "ligero prove", "columns opened");
    if (rc == APEX_OK)
        *reason = NULL;
done:
    if (rc != APEX_OK)
        apex_ligero_proof_free(out);
    if (rs)
        apex_wipe(rs, sizeof *rs);
    free(rs);
    apex_ligero_commitment_destroy(&eph);
    scratch_free(&s);
    return rc;
}
