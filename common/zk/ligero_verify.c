/* Ligero verifier and the proof's canonical encoding (protocol in ligero.h). */
#include "zk/ligero_impl.h"

#include <stdlib.h>
#include <string.h>

void apex_ligero_proof_free(apex_ligero_proof *pf)
{
    free(pf->ldt);
    free(pf->dot);
    free(pf->cols);
    free(pf->salts);
    free(pf->sib);
    memset(pf, 0, sizeof *pf);
}

/* Verifier scratch, sized from the dimensions. */
typedef struct verify_scratch {
    apex_gl2 *alpha;   /* [nlin] constraint challenges */
    apex_gl2 *u;       /* [nwrow] LDT row challenges */
    apex_gl2 *weights; /* [nwrow][BLOCK] A^T alpha on H_B slots */
    apex_gl2 *ext;     /* [4 BLOCK] one F_p2 polynomial on Q */
    apex_gl2 *want;    /* [nreq] dot check accumulators, one per opened column */
    apex_gl2 *coef;    /* [DBLOCK] the dot response's coefficients */
    apex_gl *tmp;      /* [4 BLOCK] transform scratch */
    uint64_t *idx;     /* [nreq] column indices in [DBLOCK, NCOL) */
    size_t *qidx;      /* [nreq] the same as Merkle leaf indices */
    apex_hash *leaves; /* [nreq] recomputed leaf hashes */
} verify_scratch;

static void vscratch_free(verify_scratch *s)
{
    free(s->alpha);
    free(s->u);
    free(s->weights);
    free(s->ext);
    free(s->want);
    free(s->coef);
    free(s->tmp);
    free(s->idx);
    free(s->qidx);
    free(s->leaves);
}

/* The F_p2 masking row (rows m, m+1) read from an opened column. */
static apex_gl2 mask_at(const apex_gl *col, size_t m)
{
    return apex_gl2_make(col[m], col[m + 1]);
}

/* Column checks of the low-degree test: ldt(x_q) = ILDT(x_q) + sum_i u_i p_i(x_q). */
static int check_ldt(const ligero_plans *pl, const apex_ligero_dims *d, size_t nreq,
                     const apex_ligero_proof *pf, verify_scratch *s)
{
    ligero_extend_q(pl, pf->ldt, d->block, s->ext, s->tmp);
    for (size_t j = 0; j < nreq; j++) {
        const apex_gl *col = pf->cols + j * d->nrow;
        apex_gl2 got = mask_at(col, APEX_LIGERO_ILDT);
        for (size_t i = 0; i < d->nrow - APEX_LIGERO_IW; i++)
            got = apex_gl2_add(got, apex_gl2_mul_gl(s->u[i], col[APEX_LIGERO_IW + i]));
        if (!apex_gl2_eq(got, s->ext[s->qidx[j]]))
            return APEX_ERR_REJECTED;
    }
    return APEX_OK;
}

/* Column checks of the dot test: dot(x_q) = IDOT(x_q) + sum_i r_i(x_q) p_i(x_q). */
static int check_dot(const ligero_plans *pl, const apex_ligero_dims *d, size_t nreq,
                     const apex_ligero_proof *pf, verify_scratch *s)
{
    size_t nwrow = d->nrow - APEX_LIGERO_IW;
    for (size_t j = 0; j < nreq; j++)
        s->want[j] = mask_at(pf->cols + j * d->nrow, APEX_LIGERO_IDOT);
    for (size_t i = 0; i < nwrow; i++) {
        apex_gl2 *r = s->weights + i * d->block;
        ligero_interp_b(pl, r, d->block, s->tmp);
        ligero_extend_q(pl, r, d->block, s->ext, s->tmp);
        for (size_t j = 0; j < nreq; j++) {
            apex_gl p = pf->cols[j * d->nrow + APEX_LIGERO_IW + i];
            s->want[j] = apex_gl2_add(s->want[j], apex_gl2_mul_gl(s->ext[s->qidx[j]], p));
        }
    }
    /* the response: values on H_D -> coefficients -> values on Q */
    for (int c = 0; c < 2; c++) {
        for (size_t h = 0; h < d->dblock; h++)
            s->tmp[h] = c ? pf->dot[h].c1 : pf->dot[h].c0;
        apex_ntt_inverse(pl->d, s->tmp);
        for (size_t h = 0; h < d->dblock; h++) {
            if (c)
                s->coef[h].c1 = s->tmp[h];
            else
                s->coef[h].c0 = s->tmp[h];
        }
    }
    ligero_extend_q(pl, s->coef, d->dblock, s->ext, s->tmp);
    for (size_t j = 0; j < nreq; j++)
        if (!apex_gl2_eq(s->want[j], s->ext[s->qidx[j]]))
            return APEX_ERR_REJECTED;
    return APEX_OK;
}

int apex_ligero_verify(const apex_ligero_params *p, const apex_hash *root, apex_transcript *t,
                       const apex_ligero_term *terms, size_t nterms, const apex_gl *b, size_t nlin,
                       const apex_ligero_proof *pf, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, reason) != APEX_OK)
        return APEX_ERR_REJECTED;
    size_t nreq = p->nreq, nwrow = p->nwrow;
    if (!pf->ldt || !pf->dot || !pf->cols || !pf->salts || (pf->nsib && !pf->sib) ||
        pf->nsib > apex_merkle_open_max(d.nq, nreq)) {
        *reason = "ligero: malformed proof";
        return APEX_ERR_REJECTED;
    }
    for (size_t i = 0; i < nreq * d.nrow; i++) {
        if (pf->cols[i] >= APEX_GL_P) {
            *reason = "ligero: non-canonical column element";
            return APEX_ERR_REJECTED;
        }
    }
    ligero_plans pl = {0};
    verify_scratch s = {0};
    s.alpha = apex_calloc_n(nlin ? nlin : 1, sizeof *s.alpha);
    s.u = apex_calloc_n(nwrow, sizeof *s.u);
    s.weights = apex_calloc_n(nwrow * d.block, sizeof *s.weights);
    s.ext = apex_calloc_n(d.nq, sizeof *s.ext);
    s.want = apex_calloc_n(nreq, sizeof *s.want);
    s.coef = apex_calloc_n(d.dblock, sizeof *s.coef);
    s.tmp = apex_calloc_n(d.nq, sizeof *s.tmp);
    s.idx = apex_calloc_n(nreq, sizeof *s.idx);
    s.qidx = apex_calloc_n(nreq, sizeof *s.qidx);
    s.leaves = apex_calloc_n(nreq, sizeof *s.leaves);
    int rc = APEX_ERR_NOMEM;
    *reason = "ligero: out of memory";
    if (!s.alpha || !s.u || !s.weights || !s.ext || !s.want || !s.coef || !s.tmp || !s.idx ||
        !s.qidx || !s.leaves || ligero_plans_init(&pl, p->log_block) != APEX_OK)
        goto done;

    /* replay the transcript exactly as the prover ran it */
    *reason = "ligero: non-canonical claimed value or response";
    if ((rc = ligero_absorb_header(t, p, root)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl(t, "ligero.b", b, nlin)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.u, nwrow)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, s.alpha, nlin)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.ldt", pf->ldt, d.block)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.dot", pf->dot, d.dblock)) != APEX_OK ||
        (rc = apex_transcript_challenge_indices(t, d.dblock, d.ncol, nreq, s.idx)) != APEX_OK) {
        rc = rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
        goto done;
    }
    *reason = "ligero: constraint term outside the witness or constraint range";
    if ((rc = ligero_weights(&d, p->npad, terms, nterms, nlin, s.alpha, s.weights)) != APEX_OK)
        goto done;

    /* the opened columns are the committed ones */
    for (size_t j = 0; j < nreq; j++) {
        s.qidx[j] = (size_t)(s.idx[j] - d.dblock);
        *reason = "ligero: hashing failed";
        rc = ligero_leaf(pf->salts + j * APEX_MERKLE_SALT_LEN, pf->cols + j * d.nrow, d.nrow,
                         &s.leaves[j]);
        if (rc != APEX_OK)
            goto done;
    }
    rc = apex_merkle_verify(root, d.nq, s.qidx, s.leaves, nreq, pf->sib, pf->nsib, reason);
    if (rc != APEX_OK)
        goto done;

    /* the claimed values: the dot response sums to alpha . b over the witness slots of H_B
     * (even slots of H_D), because IDOT sums to zero there */
    apex_gl2 sum = apex_gl2_from_gl(0), claim = apex_gl2_from_gl(0);
    for (size_t k = p->npad; k < d.block; k++)
        sum = apex_gl2_add(sum, pf->dot[2 * k]);
    for (size_t c = 0; c < nlin; c++)
        claim = apex_gl2_add(claim, apex_gl2_mul_gl(s.alpha[c], b[c]));
    if (!apex_gl2_eq(sum, claim)) {
        *reason = "ligero: linear constraints do not hold (dot sum)";
        rc = APEX_ERR_REJECTED;
        goto done;
    }
    if ((rc = check_ldt(&pl, &d, nreq, pf, &s)) != APEX_OK) {
        *reason = "ligero: low-degree test failed at an opened column";
        goto done;
    }
    if ((rc = check_dot(&pl, &d, nreq, pf, &s)) != APEX_OK) {
        *reason = "ligero: dot test failed at an opened column";
        goto done;
    }
    *reason = NULL;
done:
    ligero_plans_free(&pl);
    vscratch_free(&s);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

int apex_ligero_proof_encode(const apex_ligero_params *p, const apex_ligero_proof *pf,
                             apex_enc_writer *w)
{
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, NULL) != APEX_OK)
        return APEX_ERR_INVALID;
    int rc = apex_enc_put_gl2_vec(w, pf->ldt, d.block);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->dot, d.dblock);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl_vec(w, pf->cols, p->nreq * d.nrow);
    if (rc == APEX_OK)
        rc = apex_enc_put_bytes(w, pf->salts, p->nreq * APEX_MERKLE_SALT_LEN);
    if (rc == APEX_OK)
        rc = apex_enc_put_u64(w, pf->nsib);
    for (size_t i = 0; i < pf->nsib && rc == APEX_OK; i++)
        rc = apex_enc_put_hash(w, &pf->sib[i]);
    return rc;
}

int apex_ligero_proof_decode(const apex_ligero_params *p, apex_enc_reader *r, apex_ligero_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, NULL) != APEX_OK)
        return APEX_ERR_INVALID;
    size_t ncols = p->nreq * d.nrow, max_sib = apex_merkle_open_max(d.nq, p->nreq);
    pf->ldt = apex_calloc_n(d.block, sizeof *pf->ldt);
    pf->dot = apex_calloc_n(d.dblock, sizeof *pf->dot);
    pf->cols = apex_calloc_n(ncols, sizeof *pf->cols);
    pf->salts = apex_calloc_n(p->nreq, APEX_MERKLE_SALT_LEN);
    int rc = APEX_ERR_NOMEM;
    if (!pf->ldt || !pf->dot || !pf->cols || !pf->salts)
        goto fail;
    uint64_t nsib = 0;
    if ((rc = apex_enc_get_gl2_vec_exact(r, pf->ldt, d.block)) != APEX_OK ||
        (rc = apex_enc_get_gl2_vec_exact(r, pf->dot, d.dblock)) != APEX_OK ||
        (rc = apex_enc_get_gl_vec_exact(r, pf->cols, ncols)) != APEX_OK ||
        (rc = apex_enc_get_bytes(r, pf->salts, p->nreq * APEX_MERKLE_SALT_LEN)) != APEX_OK ||
        (rc = apex_enc_get_u64(r, &nsib)) != APEX_OK)
        goto fail;
    /* bound the count by the parameters and by the bytes present before allocating */
    rc = APEX_ERR_TOO_LARGE;
    if (nsib > max_sib)
        goto fail;
    rc = APEX_ERR_TRUNCATED;
    if (nsib > r->left / sizeof(apex_hash))
        goto fail;
    rc = APEX_ERR_NOMEM;
    pf->nsib = (size_t)nsib;
    pf->sib = apex_calloc_n(pf->nsib ? pf->nsib : 1, sizeof *pf->sib);
    if (!pf->sib)
        goto fail;
    for (size_t i = 0; i < pf->nsib; i++)
        if ((rc = apex_enc_get_hash(r, &pf->sib[i])) != APEX_OK)
            goto fail;
    return APEX_OK;
fail:
    apex_ligero_proof_free(pf);
    return rc;
}
