/* Ligero verifier and the proof's canonical encoding (protocol in ligero.h). */
#include "zk/ligero_impl.h"

#include <stdlib.h>
#include <string.h>

void apex_ligero_proof_free(apex_ligero_proof *pf)
{
    if (pf->open) {
        for (size_t k = 0; k <= pf->ncommit; k++) {
            free(pf->open[k].cols);
            free(pf->open[k].salts);
            free(pf->open[k].sib);
        }
    }
    free(pf->open);
    free(pf->ldt);
    free(pf->dot);
    free(pf->quad);
    memset(pf, 0, sizeof *pf);
}

/* The shapes of a joint proof: the n commitments, then the ephemeral masking one. */
typedef struct joint {
    size_t n;                                           /* commitments */
    size_t np;                                          /* NP: the largest npad of them */
    size_t nld, ndot, nqd;                              /* response lengths for NP */
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS + 1]; /* their shapes, then the masks' */
    apex_ligero_dims dims[APEX_LIGERO_MAX_COMMITS + 1]; /* derived sizes, same order */
    ligero_layout lay;                                  /* witness and row offsets */
} joint;

static int joint_of(const apex_ligero_params *ps, size_t n, joint *j, const char **reason)
{
    if (n < 1 || n > APEX_LIGERO_MAX_COMMITS) {
        *reason = "ligero: commitment count outside [1, APEX_LIGERO_MAX_COMMITS]";
        return APEX_ERR_INVALID;
    }
    j->n = n;
    memcpy(j->ps, ps, n * sizeof *ps);
    if (ligero_joint_shape(ps, n, j->dims, &j->lay, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    apex_ligero_params m = {ps[0].log_block, ps[0].nreq, ps[0].nreq, APEX_LIGERO_NMASK};
    j->ps[n] = m;
    j->np = ligero_max_npad(ps, n);
    ligero_response_lengths(j->dims[0].block, j->np, &j->nld, &j->ndot, &j->nqd);
    return apex_ligero_dims_of(&m, &j->dims[n], reason);
}

/* Verifier scratch, sized from the dimensions. */
typedef struct verify_scratch {
    apex_gl2 *alpha;    /* [nlin] constraint challenges */
    apex_gl2 *u;        /* [rows] LDT row challenges */
    apex_gl2 *v;        /* [nquad] quadratic constraint challenges */
    apex_gl2 *beta;     /* [ntensor] tensor claim challenges */
    ligero_contrib *cb; /* [ncb] sparse contributions, sorted by row */
    size_t ncb;         /* their count */
    apex_gl2 *ext;      /* [4 BLOCK] one F_p2 polynomial on Q */
    apex_gl2 *want;     /* [nreq] check accumulators, one per opened column */
    apex_gl *tmp;       /* [4 BLOCK] transform scratch */
    uint64_t *idx;      /* [nreq] column indices in [DBLOCK, NCOL) */
    size_t *qidx;       /* [nreq] the same as Merkle leaf indices */
    apex_hash *leaves;  /* [nreq] recomputed leaf hashes */
} verify_scratch;

static void vscratch_free(verify_scratch *s)
{
    free(s->alpha);
    free(s->u);
    free(s->v);
    free(s->beta);
    free(s->cb);
    free(s->ext);
    free(s->want);
    free(s->tmp);
    free(s->idx);
    free(s->qidx);
    free(s->leaves);
}

/* The F_p2 masking row (rows m, m+1) of the ephemeral tree at opened column j. */
static apex_gl2 mask_at(const apex_ligero_opening *eph, size_t j, size_t m)
{
    const apex_gl *col = eph->cols + j * APEX_LIGERO_NMASK;
    return apex_gl2_make(col[m], col[m + 1]);
}

/* Column checks of the low-degree test: ldt(x_q) = ILDT(x_q) + sum_i u_i p_i(x_q). */
static int check_ldt(const ligero_plans *pl, const joint *jt, const apex_ligero_proof *pf,
                     verify_scratch *s)
{
    size_t nreq = jt->ps[0].nreq, n = jt->n;
    ligero_extend_q(pl, pf->ldt, jt->nld, s->ext, s->tmp);
    for (size_t j = 0; j < nreq; j++) {
        apex_gl2 got = mask_at(&pf->open[n], j, APEX_LIGERO_ILDT);
        for (size_t k = 0; k < n; k++) {
            size_t nrow = jt->dims[k].nrow;
            const apex_gl *col = pf->open[k].cols + j * nrow;
            for (size_t i = 0; i < nrow; i++)
                got = apex_gl2_add(got, apex_gl2_mul_gl(s->u[jt->lay.r_off[k] + i], col[i]));
        }
        if (!apex_gl2_eq(got, s->ext[s->qidx[j]]))
            return APEX_ERR_REJECTED;
    }
    return APEX_OK;
}

/* The dot check's per-row and per-claim work: one interpolation and one extension to Q for
 * every row that carries sparse weights and every dense tensor claim, split over the threads
 * (each slice sums into its own want; field sums are exact, so the split does not matter). */
typedef struct dot_work {
    const ligero_plans *pl;              /* shared transforms (read only) */
    const joint *jt;                     /* shapes */
    const apex_ligero_constraints *cons; /* the tensor claims */
    const apex_ligero_proof *pf;         /* the opened columns */
    const verify_scratch *s;             /* beta, qidx, sparse contributions */
    const size_t *jobs;                  /* [njob] global rows, then SIZE_MAX - claim index */
    size_t njob;                         /* slice t takes jobs t, t + T, ... (T threads): the
                                            costly ones (claims) are not all in one slice */
    const apex_gl *xq;                   /* [nreq] the opened points 7 w_4B^q */
    const apex_gl *zq;                   /* [nreq] Z_H(x_q) / BLOCK */
    apex_gl2 *want[APEX_ZK_THREADS];     /* [nreq] per slice */
} dot_work;

/* r_g(x_q) for a row whose weights have few nonzero slots (contributions c[0..cnt), possibly
 * several per slot), by the barycentric formula on H_B: the Lagrange basis polynomial of slot
 * s is w^s Z_H(x) / (BLOCK (x - w^s)), so r(x) = Z_H(x) / BLOCK sum_t f_t w^s_t / (x - w^s_t).
 * x is outside H_B, so no denominator vanishes. den and inv hold cnt elements each. Exact:
 * the same field elements as interpolating and extending. */
static int sparse_row_at(const dot_work *a, const ligero_contrib *c, size_t cnt, apex_gl2 *out,
                         apex_gl *ws, apex_gl *den, apex_gl *inv)
{
    size_t nreq = a->jt->ps[0].nreq;
    apex_gl w = apex_gl_root_of_unity(a->jt->ps[0].log_block);
    for (size_t t = 0; t < cnt; t++)
        ws[t] = apex_gl_pow(w, c[t].slot);
    for (size_t q = 0; q < nreq; q++) {
        for (size_t t = 0; t < cnt; t++)
            den[t] = apex_gl_sub(a->xq[q], ws[t]);
        int rc = apex_gl_batch_inv(inv, den, cnt);
        if (rc != APEX_OK)
            return rc;
        apex_gl2 acc = apex_gl2_from_gl(0);
        for (size_t t = 0; t < cnt; t++)
            acc = apex_gl2_add(acc, apex_gl2_mul_gl(c[t].f, apex_gl_mul(ws[t], inv[t])));
        out[q] = apex_gl2_mul_gl(acc, a->zq[q]);
    }
    return APEX_OK;
}

/* A sparse row goes through the barycentric formula when its contributions times the opened
 * points stay below this (about the work of one interpolation and extension at BLOCK 2^15). */
#define DOT_SPARSE_MAX ((size_t)1 << 19)
static size_t dot_sparse_max = DOT_SPARSE_MAX;

void ligero_test_set_dot_sparse_max(size_t max)
{
    dot_sparse_max = max;
}

static void dot_slice(par_job *j)
{
    dot_work *a = j->arg;
    const joint *jt = a->jt;
    const verify_scratch *s = a->s;
    size_t nreq = jt->ps[0].nreq, block = jt->dims[0].block, nq = jt->dims[0].nq;
    apex_gl2 *r = apex_calloc_n(block, sizeof *r), *ext = apex_calloc_n(nq, sizeof *ext);
    apex_gl *tmp = apex_calloc_n(nq, sizeof *tmp);
    apex_gl2 *want = a->want[j->slice];
    j->rc = r && ext && tmp && want ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t q = j->slice; q < a->njob && j->rc == APEX_OK; q += APEX_ZK_THREADS) {
        size_t g = a->jobs[q];
        if (g < jt->lay.r_off[jt->n]) { /* a row with sparse weights: r_g */
            size_t k = 0, lo = 0, hi = s->ncb;
            while (g >= jt->lay.r_off[k + 1])
                k++;
            while (lo < hi) { /* its first contribution */
                size_t mid = lo + (hi - lo) / 2;
                if (s->cb[mid].row < g)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            size_t cnt = 0;
            while (lo + cnt < s->ncb && s->cb[lo + cnt].row == g)
                cnt++;
            size_t nrow = jt->dims[k].nrow, i = g - jt->lay.r_off[k];
            if (cnt <= 2 * block && cnt * nreq <= dot_sparse_max) { /* r_g at the points only */
                j->rc = sparse_row_at(a, s->cb + lo, cnt, ext, (apex_gl *)r, tmp, tmp + nq / 2);
                for (size_t c = 0; c < nreq && j->rc == APEX_OK; c++) {
                    apex_gl p = a->pf->open[k].cols[c * nrow + i];
                    want[c] = apex_gl2_add(want[c], apex_gl2_mul_gl(ext[c], p));
                }
                continue;
            }
            memset(r, 0, block * sizeof *r);
            ligero_row_weights(s->cb, s->ncb, &lo, g, r);
            ligero_interp_b(a->pl, r, block, tmp);
            ligero_extend_q(a->pl, r, block, ext, tmp);
            for (size_t c = 0; c < nreq; c++) {
                apex_gl p = a->pf->open[k].cols[c * nrow + i];
                want[c] = apex_gl2_add(want[c], apex_gl2_mul_gl(ext[s->qidx[c]], p));
            }
            continue;
        }
        /* a dense tensor claim: beta_c r_c(x_q) sum_i row_w[i] p_i(x_q) */
        size_t c = SIZE_MAX - g;
        const apex_ligero_tensor *tn = &a->cons->tensors[c];
        size_t k = tn->commit, nrow = jt->dims[k].nrow;
        memcpy(r, tn->slot_w, block * sizeof *r);
        ligero_interp_b(a->pl, r, block, tmp);
        ligero_extend_q(a->pl, r, block, ext, tmp);
        for (size_t x = 0; x < nreq; x++) {
            const apex_gl *col = a->pf->open[k].cols + x * nrow;
            apex_gl2 rows = apex_gl2_from_gl(0);
            for (size_t i = 0; i < nrow; i++)
                rows = apex_gl2_add(rows, apex_gl2_mul_gl(tn->row_w[i], col[i]));
            apex_gl2 term = apex_gl2_mul(apex_gl2_mul(s->beta[c], ext[s->qidx[x]]), rows);
            want[x] = apex_gl2_add(want[x], term);
        }
    }
    free(r);
    free(ext);
    free(tmp);
}

/* Column checks of the dot test: dot(x_q) = IDOT(x_q) + sum_i r_i(x_q) p_i(x_q). Rows
 * without sparse terms cost nothing; every row with sparse terms and every tensor claim
 * costs one interpolation and one extension, over the threads. */
static int check_dot(const ligero_plans *pl, const joint *jt, const apex_ligero_constraints *cons,
                     const apex_ligero_proof *pf, verify_scratch *s)
{
    size_t nreq = jt->ps[0].nreq, n = jt->n, njob = 0, block = jt->dims[0].block;
    size_t *jobs = apex_calloc_n(s->ncb + cons->ntensor + 1, sizeof *jobs);
    apex_gl *xq = apex_calloc_n(2 * nreq, sizeof *xq), *zq = xq ? xq + nreq : NULL;
    dot_work a = {pl, jt, cons, pf, s, jobs, 0, xq, zq, {NULL}};
    int rc = jobs && xq ? APEX_OK : APEX_ERR_NOMEM;
    apex_gl zh[4], binv = 0, w4 = apex_gl_root_of_unity(jt->ps[0].log_block + 2);
    ligero_zh_on_q(jt->ps[0].log_block, zh);
    if (rc == APEX_OK && apex_gl_inv((apex_gl)block, &binv) != APEX_OK)
        rc = APEX_ERR_INVALID;
    for (size_t q = 0; rc == APEX_OK && q < nreq; q++) { /* x_q = 7 w_4B^qidx */
        xq[q] = apex_gl_mul(APEX_GL_GENERATOR, apex_gl_pow(w4, s->qidx[q]));
        zq[q] = apex_gl_mul(zh[s->qidx[q] % 4], binv);
    }
    for (size_t t = 0; t < APEX_ZK_THREADS && rc == APEX_OK; t++)
        if (!(a.want[t] = apex_calloc_n(nreq, sizeof *a.want[t])))
            rc = APEX_ERR_NOMEM;
    for (size_t q = 0; rc == APEX_OK && q < s->ncb; q++) /* cb is sorted by row */
        if (q == 0 || s->cb[q].row != s->cb[q - 1].row)
            jobs[njob++] = s->cb[q].row;
    for (size_t c = 0; rc == APEX_OK && c < cons->ntensor; c++)
        if (cons->tensors[c].row_w) /* sparse-only claims are all in the sparse weights */
            jobs[njob++] = SIZE_MAX - c;
    a.njob = njob;
    if (rc == APEX_OK && njob)
        rc = ligero_par_run(dot_slice, &a, APEX_ZK_THREADS); /* one slice per thread */
    if (rc == APEX_OK) {
        for (size_t j = 0; j < nreq; j++) {
            s->want[j] = mask_at(&pf->open[n], j, APEX_LIGERO_IDOT);
            for (size_t t = 0; t < APEX_ZK_THREADS; t++)
                s->want[j] = apex_gl2_add(s->want[j], a.want[t][j]);
        }
        ligero_extend_q(pl, pf->dot, jt->ndot, s->ext, s->tmp); /* the response on Q */
        for (size_t j = 0; j < nreq && rc == APEX_OK; j++)
            if (!apex_gl2_eq(s->want[j], s->ext[s->qidx[j]]))
                rc = APEX_ERR_REJECTED;
    }
    for (size_t t = 0; t < APEX_ZK_THREADS; t++)
        free(a.want[t]);
    free(jobs);
    free(xq);
    return rc;
}

/* Entry of global row g at opened column j. */
static apex_gl col_entry(const joint *jt, const apex_ligero_proof *pf, size_t g, size_t j)
{
    size_t k = 0;
    while (g >= jt->lay.r_off[k + 1])
        k++;
    return pf->open[k].cols[j * jt->dims[k].nrow + (g - jt->lay.r_off[k])];
}

/* Column checks of the quadratic test: IQD(x_q) + sum_i v_i (z - x y)(x_q) = Z_H(x_q) quad(x_q),
 * quad being the quotient's coefficients: the left side vanishes on H_B. */
static int check_quad(const ligero_plans *pl, const joint *jt, const apex_ligero_constraints *cons,
                      const apex_ligero_proof *pf, verify_scratch *s)
{
    size_t nreq = jt->ps[0].nreq;
    apex_gl zh[4];
    ligero_zh_on_q(jt->ps[0].log_block, zh);
    ligero_extend_q(pl, pf->quad, jt->nqd, s->ext, s->tmp);
    for (size_t j = 0; j < nreq; j++) {
        apex_gl2 got = mask_at(&pf->open[jt->n], j, APEX_LIGERO_IQD);
        for (size_t i = 0; i < cons->nquad; i++) {
            const apex_ligero_quad *q = &cons->quads[i];
            apex_gl x = col_entry(jt, pf, q->x, j), y = col_entry(jt, pf, q->y, j);
            apex_gl e = apex_gl_sub(col_entry(jt, pf, q->z, j), apex_gl_mul(x, y));
            got = apex_gl2_add(got, apex_gl2_mul_gl(s->v[i], e));
        }
        if (!apex_gl2_eq(got, apex_gl2_mul_gl(s->ext[s->qidx[j]], zh[s->qidx[j] % 4])))
            return APEX_ERR_REJECTED;
    }
    return APEX_OK;
}

/* The opened columns of tree k are the committed ones. */
static int check_tree(const joint *jt, size_t k, const apex_hash *root,
                      const apex_ligero_opening *o, verify_scratch *s, const char **reason)
{
    size_t nreq = jt->ps[0].nreq, nrow = jt->dims[k].nrow;
    if (!o->cols || !o->salts || (o->nsib && !o->sib) ||
        o->nsib > apex_merkle_open_max(jt->dims[k].nq, nreq)) {
        *reason = "ligero: malformed opening";
        return APEX_ERR_REJECTED;
    }
    for (size_t i = 0; i < nreq * nrow; i++) {
        if (o->cols[i] >= APEX_GL_P) {
            *reason = "ligero: non-canonical column element";
            return APEX_ERR_REJECTED;
        }
    }
    for (size_t j = 0; j < nreq; j++) {
        int rc = ligero_leaf(o->salts + j * APEX_MERKLE_SALT_LEN, o->cols + j * nrow, nrow,
                             &s->leaves[j]);
        if (rc != APEX_OK) {
            *reason = "ligero: hashing failed";
            return rc;
        }
    }
    return apex_merkle_verify(root, jt->dims[k].nq, s->qidx, s->leaves, nreq, o->sib, o->nsib,
                              reason);
}

int apex_ligero_verify(const apex_ligero_params *ps, const apex_hash *roots, size_t n,
                       apex_transcript *t, const apex_ligero_constraints *cons, const apex_gl *b,
                       const apex_gl2 *tval, const apex_ligero_proof *pf, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    size_t nlin = cons->nlin, nquad = cons->nquad;
    joint jt;
    if (joint_of(ps, n, &jt, reason) != APEX_OK ||
        ligero_quad_shape(&jt.lay, n, cons->quads, nquad, reason) != APEX_OK ||
        ligero_tensor_shape(jt.dims, n, &jt.lay, cons, reason) != APEX_OK)
        return APEX_ERR_REJECTED;
    size_t nreq = ps[0].nreq, rows = jt.lay.r_off[n], block = jt.dims[0].block;
    size_t db = jt.dims[0].dblock, nq = jt.dims[0].nq;
    size_t nquadv = nquad ? jt.nqd : 0;
    if (pf->ncommit != n || !pf->ldt || !pf->dot || !pf->open || pf->nquadv != nquadv ||
        (nquadv && !pf->quad)) {
        *reason = "ligero: malformed proof";
        return APEX_ERR_REJECTED;
    }
    ligero_plans pl = {0};
    verify_scratch s = {0};
    s.alpha = apex_calloc_n(nlin ? nlin : 1, sizeof *s.alpha);
    s.u = apex_calloc_n(rows, sizeof *s.u);
    s.v = apex_calloc_n(nquad ? nquad : 1, sizeof *s.v);
    s.beta = apex_calloc_n(cons->ntensor ? cons->ntensor : 1, sizeof *s.beta);
    s.ext = apex_calloc_n(nq, sizeof *s.ext);
    s.want = apex_calloc_n(nreq, sizeof *s.want);
    s.tmp = apex_calloc_n(nq, sizeof *s.tmp);
    s.idx = apex_calloc_n(nreq, sizeof *s.idx);
    s.qidx = apex_calloc_n(nreq, sizeof *s.qidx);
    s.leaves = apex_calloc_n(nreq, sizeof *s.leaves);
    int rc = APEX_ERR_NOMEM;
    *reason = "ligero: out of memory";
    if (!s.alpha || !s.u || !s.v || !s.beta || !s.ext || !s.want || !s.tmp || !s.idx || !s.qidx ||
        !s.leaves || ligero_plans_init(&pl, ps[0].log_block) != APEX_OK)
        goto done;

    /* replay the transcript exactly as the prover ran it */
    *reason = "ligero: non-canonical claimed value or response";
    if ((rc = ligero_absorb_header(t, ps, roots, n, &pf->eph_root, cons)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.u, rows)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl(t, "ligero.b", b, nlin)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.tval", tval, cons->ntensor)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.alpha, nlin)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.beta, cons->ntensor)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.v, nquad)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.ldt", pf->ldt, jt.nld)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.dot", pf->dot, jt.ndot)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.quad", pf->quad, nquadv)) != APEX_OK ||
        (rc = apex_transcript_challenge_indices(t, db, jt.dims[0].ncol, nreq, s.idx)) != APEX_OK) {
        rc = rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
        goto done;
    }
    *reason = "ligero: constraint term outside the witness or constraint range";
    rc = ligero_contribs(ps, jt.dims, n, &jt.lay, cons, s.alpha, s.beta, &s.cb, &s.ncb);
    if (rc != APEX_OK)
        goto done;
    for (size_t j = 0; j < nreq; j++)
        s.qidx[j] = (size_t)(s.idx[j] - db);
    for (size_t k = 0; k <= n; k++)
        if ((rc = check_tree(&jt, k, k < n ? &roots[k] : &pf->eph_root, &pf->open[k], &s,
                             reason)) != APEX_OK)
            goto done;

    /* the claimed values: the dot response sums to alpha . b + beta . tval over H_B, because
     * IDOT sums to zero there and Z_H vanishes there; the sum over H_B of x^k is BLOCK when
     * BLOCK divides k and 0 otherwise */
    apex_gl2 sum = apex_gl2_from_gl(0), claim = apex_gl2_from_gl(0);
    for (size_t k = 0; k < jt.ndot; k += block)
        sum = apex_gl2_add(sum, pf->dot[k]);
    sum = apex_gl2_mul_gl(sum, (apex_gl)block);
    for (size_t c = 0; c < nlin; c++)
        claim = apex_gl2_add(claim, apex_gl2_mul_gl(s.alpha[c], b[c]));
    for (size_t c = 0; c < cons->ntensor; c++)
        claim = apex_gl2_add(claim, apex_gl2_mul(s.beta[c], tval[c]));
    if (!apex_gl2_eq(sum, claim)) {
        *reason = "ligero: linear constraints do not hold (dot sum)";
        rc = APEX_ERR_REJECTED;
        goto done;
    }
    if ((rc = check_ldt(&pl, &jt, pf, &s)) != APEX_OK) {
        *reason = "ligero: low-degree test failed at an opened column";
        goto done;
    }
    if ((rc = check_dot(&pl, &jt, cons, pf, &s)) != APEX_OK) {
        *reason = rc == APEX_ERR_REJECTED ? "ligero: dot test failed at an opened column"
                  : rc == APEX_ERR_NOMEM  ? "ligero: out of memory"
                                          : "ligero: dot test could not be computed";
        goto done;
    }
    if (nquad && (rc = check_quad(&pl, &jt, cons, pf, &s)) != APEX_OK) {
        *reason = "ligero: quadratic test failed at an opened column";
        goto done;
    }
    *reason = NULL;
done:
    ligero_plans_free(&pl);
    vscratch_free(&s);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

int apex_ligero_proof_encode(const apex_ligero_params *ps, size_t n, const apex_ligero_proof *pf,
                             apex_enc_writer *w)
{
    joint jt;
    const char *why;
    if (joint_of(ps, n, &jt, &why) != APEX_OK || pf->ncommit != n || !pf->ldt || !pf->dot ||
        !pf->open || (pf->nquadv && !pf->quad))
        return APEX_ERR_INVALID; /* wrong shape, or an empty proof (composition mode) */
    for (size_t k = 0; k <= n; k++)
        if (!pf->open[k].cols || !pf->open[k].salts || (pf->open[k].nsib && !pf->open[k].sib))
            return APEX_ERR_INVALID;
    size_t nreq = ps[0].nreq;
    int rc = apex_enc_put_hash(w, &pf->eph_root);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->ldt, jt.nld);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->dot, jt.ndot);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->quad, pf->nquadv);
    for (size_t k = 0; k <= n && rc == APEX_OK; k++) {
        const apex_ligero_opening *o = &pf->open[k];
        rc = apex_enc_put_gl_vec(w, o->cols, nreq * jt.dims[k].nrow);
        if (rc == APEX_OK)
            rc = apex_enc_put_bytes(w, o->salts, nreq * APEX_MERKLE_SALT_LEN);
        if (rc == APEX_OK)
            rc = apex_enc_put_u64(w, o->nsib);
        for (size_t i = 0; i < o->nsib && rc == APEX_OK; i++)
            rc = apex_enc_put_hash(w, &o->sib[i]);
    }
    return rc;
}

static int decode_opening(apex_enc_reader *r, const apex_ligero_dims *d, size_t nreq,
                          apex_ligero_opening *o)
{
    size_t ncols = nreq * d->nrow, max_sib = apex_merkle_open_max(d->nq, nreq);
    o->cols = apex_calloc_n(ncols, sizeof *o->cols);
    o->salts = apex_calloc_n(nreq, APEX_MERKLE_SALT_LEN);
    if (!o->cols || !o->salts)
        return APEX_ERR_NOMEM;
    uint64_t nsib = 0;
    int rc;
    if ((rc = apex_enc_get_gl_vec_exact(r, o->cols, ncols)) != APEX_OK ||
        (rc = apex_enc_get_bytes(r, o->salts, nreq * APEX_MERKLE_SALT_LEN)) != APEX_OK ||
        (rc = apex_enc_get_u64(r, &nsib)) != APEX_OK)
        return rc;
    /* bound the count by the parameters and by the bytes present before allocating */
    if (nsib > max_sib)
        return APEX_ERR_TOO_LARGE;
    if (nsib > r->left / sizeof(apex_hash))
        return APEX_ERR_TRUNCATED;
    o->nsib = (size_t)nsib;
    o->sib = apex_calloc_n(o->nsib ? o->nsib : 1, sizeof *o->sib);
    if (!o->sib)
        return APEX_ERR_NOMEM;
    for (size_t i = 0; i < o->nsib; i++)
        if ((rc = apex_enc_get_hash(r, &o->sib[i])) != APEX_OK)
            return rc;
    return APEX_OK;
}

int apex_ligero_proof_decode(const apex_ligero_params *ps, size_t n, apex_enc_reader *r,
                             apex_ligero_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    joint jt;
    const char *why;
    if (joint_of(ps, n, &jt, &why) != APEX_OK)
        return APEX_ERR_INVALID;
    pf->ncommit = n;
    pf->ldt = apex_calloc_n(jt.nld, sizeof *pf->ldt);
    pf->dot = apex_calloc_n(jt.ndot, sizeof *pf->dot);
    pf->open = apex_calloc_n(n + 1, sizeof *pf->open);
    int rc = APEX_ERR_NOMEM;
    if (!pf->ldt || !pf->dot || !pf->open)
        goto fail;
    if ((rc = apex_enc_get_hash(r, &pf->eph_root)) != APEX_OK ||
        (rc = apex_enc_get_gl2_vec_exact(r, pf->ldt, jt.nld)) != APEX_OK ||
        (rc = apex_enc_get_gl2_vec_exact(r, pf->dot, jt.ndot)) != APEX_OK ||
        (rc = apex_enc_get_gl2_vec(r, jt.nqd, &pf->quad, &pf->nquadv)) != APEX_OK)
        goto fail;
    for (size_t k = 0; k <= n; k++)
        if ((rc = decode_opening(r, &jt.dims[k], ps[0].nreq, &pf->open[k])) != APEX_OK)
            goto fail;
    return APEX_OK;
fail:
    apex_ligero_proof_free(pf);
    return rc;
}
