/* Ligero commitment and prover (protocol in ligero.h). */
#include "zk/ligero_impl.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Randomness for pads, masks and salts: getrandom in bulk, or a seeded test generator. */
typedef struct rand_src {
    apex_rng *test;    /* seeded generator for golden tests, or NULL for OS randomness */
    uint8_t buf[4096]; /* buffered OS bytes */
    size_t pos;        /* next unread byte of buf; sizeof buf when empty */
} rand_src;

static int rand_bytes(rand_src *s, void *out, size_t n)
{
    if (s->test) {
        apex_rng_bytes(s->test, out, n);
        return APEX_OK;
    }
    uint8_t *o = out;
    while (n > 0) {
        if (s->pos == sizeof s->buf) {
            int rc = apex_os_random(s->buf, sizeof s->buf);
            if (rc != APEX_OK)
                return rc;
            s->pos = 0;
        }
        size_t k = sizeof s->buf - s->pos < n ? sizeof s->buf - s->pos : n;
        memcpy(o, s->buf + s->pos, k);
        s->pos += k;
        o += k;
        n -= k;
    }
    return APEX_OK;
}

/* Uniform field elements by rejection (no bias). */
static int rand_gl(rand_src *s, apex_gl *out, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t b[8];
        int rc = rand_bytes(s, b, 8);
        if (rc != APEX_OK)
            return rc;
        uint64_t x = 0;
        for (int j = 7; j >= 0; j--)
            x = (x << 8) | b[j];
        if (x < APEX_GL_P)
            out[i++] = x;
    }
    return APEX_OK;
}

/* ---------------------------------------------------------------- shared helpers */

int ligero_plans_init(ligero_plans *pl, unsigned log_block)
{
    pl->b = apex_ntt_new(log_block);
    pl->d = apex_ntt_new(log_block + 1);
    pl->q = apex_ntt_new(log_block + 2);
    if (!pl->b || !pl->d || !pl->q) {
        ligero_plans_free(pl);
        return APEX_ERR_NOMEM;
    }
    return APEX_OK;
}

void ligero_plans_free(ligero_plans *pl)
{
    apex_ntt_destroy(&pl->b);
    apex_ntt_destroy(&pl->d);
    apex_ntt_destroy(&pl->q);
}

void ligero_extend_q(const ligero_plans *pl, const apex_gl2 *coef, size_t n, apex_gl2 *out,
                     apex_gl *tmp)
{
    size_t nq = apex_ntt_size(pl->q);
    for (int c = 0; c < 2; c++) { /* the NTT is F_p-linear: transform each coordinate */
        memset(tmp, 0, nq * sizeof *tmp);
        for (size_t j = 0; j < n; j++)
            tmp[j] = c ? coef[j].c1 : coef[j].c0;
        apex_ntt_coset_forward(pl->q, tmp, APEX_GL_GENERATOR);
        for (size_t q = 0; q < nq; q++) {
            if (c)
                out[q].c1 = tmp[q];
            else
                out[q].c0 = tmp[q];
        }
    }
}

int ligero_weights(const apex_ligero_dims *d, size_t npad, const apex_ligero_term *terms,
                   size_t nterms, size_t nlin, const apex_gl2 *alpha, apex_gl2 *out)
{
    memset(out, 0, d->nw / d->wr * d->block * sizeof *out);
    for (size_t t = 0; t < nterms; t++) {
        const apex_ligero_term *x = &terms[t];
        if (x->c >= nlin || x->w >= d->nw || x->coef >= APEX_GL_P)
            return APEX_ERR_RANGE;
        size_t row = x->w / d->wr, slot = npad + x->w % d->wr;
        apex_gl2 *o = &out[row * d->block + slot];
        *o = apex_gl2_add(*o, apex_gl2_mul_gl(alpha[x->c], x->coef));
    }
    return APEX_OK;
}

void ligero_interp_b(const ligero_plans *pl, apex_gl2 *row, size_t block, apex_gl *tmp)
{
    for (int c = 0; c < 2; c++) {
        for (size_t k = 0; k < block; k++)
            tmp[k] = c ? row[k].c1 : row[k].c0;
        apex_ntt_inverse(pl->b, tmp);
        for (size_t k = 0; k < block; k++) {
            if (c)
                row[k].c1 = tmp[k];
            else
                row[k].c0 = tmp[k];
        }
    }
}

int ligero_leaf(const uint8_t *salt, const apex_gl *col, size_t nrow, apex_hash *out)
{
    uint8_t *buf = apex_calloc_n(nrow, 8);
    if (!buf)
        return APEX_ERR_NOMEM;
    for (size_t r = 0; r < nrow; r++)
        for (int b = 0; b < 8; b++)
            buf[8 * r + (size_t)b] = (uint8_t)(col[r] >> (8 * b));
    int rc = apex_merkle_leaf_hash(salt, buf, 8 * nrow, out);
    free(buf);
    return rc;
}

int ligero_absorb_header(apex_transcript *t, const apex_ligero_params *p, const apex_hash *root)
{
    int rc = apex_transcript_absorb_u64(t, "ligero.log_block", p->log_block);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "ligero.npad", p->npad);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "ligero.nreq", p->nreq);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "ligero.nwrow", p->nwrow);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "ligero.root", root->b, sizeof root->b);
    return rc;
}

int apex_ligero_dims_of(const apex_ligero_params *p, apex_ligero_dims *d, const char **reason)
{
    const char *why = NULL;
    if (p->log_block < 1 || p->log_block > APEX_LIGERO_MAX_LOG_BLOCK)
        why = "ligero: BLOCK outside [2, 2^APEX_LIGERO_MAX_LOG_BLOCK]";
    else if (p->nreq < 1)
        why = "ligero: no column queries";
    else if (p->npad < p->nreq)
        why = "ligero: fewer pads than opened columns (not zero knowledge)";
    else if (p->npad >= ((size_t)1 << p->log_block))
        why = "ligero: pads leave no witness slot";
    else if (p->nreq > ((size_t)4 << p->log_block))
        why = "ligero: more queries than columns";
    else if (p->nwrow < 1 || p->nwrow > APEX_LIGERO_MAX_ROWS)
        why = "ligero: witness row count outside [1, APEX_LIGERO_MAX_ROWS]";
    if (why) {
        if (reason)
            *reason = why;
        return APEX_ERR_INVALID;
    }
    d->block = (size_t)1 << p->log_block;
    d->wr = d->block - p->npad;
    d->dblock = 2 * d->block;
    d->nq = 4 * d->block;
    d->ncol = d->dblock + d->nq;
    d->nrow = APEX_LIGERO_IW + p->nwrow;
    d->nw = p->nwrow * d->wr;
    return APEX_OK;
}

/* ---------------------------------------------------------------- commit */

void apex_ligero_prover_destroy(apex_ligero_prover **pr)
{
    if (!pr || !*pr)
        return;
    apex_ligero_prover *x = *pr;
    ligero_plans_free(&x->plans);
    if (x->coef) /* the coefficients determine the witness: wipe before freeing */
        OPENSSL_cleanse(x->coef, x->d.nrow * x->d.dblock * sizeof *x->coef);
    if (x->tab)
        OPENSSL_cleanse(x->tab, x->d.nq * x->d.nrow * sizeof *x->tab);
    free(x->coef);
    free(x->tab);
    free(x->salts);
    apex_merkle_destroy(&x->tree);
    free(x);
    *pr = NULL;
}

/* Encode row r (coefficients already in coef) onto Q and scatter it into the tableau. */
static void encode_row(apex_ligero_prover *pr, size_t r, apex_gl *tmp)
{
    const apex_ligero_dims *d = &pr->d;
    memset(tmp, 0, d->nq * sizeof *tmp);
    memcpy(tmp, pr->coef + r * d->dblock, d->dblock * sizeof *tmp);
    apex_ntt_coset_forward(pr->plans.q, tmp, APEX_GL_GENERATOR);
    for (size_t q = 0; q < d->nq; q++)
        pr->tab[q * d->nrow + r] = tmp[q];
}

int ligero_rebuild_tree(apex_ligero_prover *pr)
{
    for (size_t q = 0; q < pr->d.nq; q++) {
        apex_hash leaf;
        int rc = ligero_leaf(pr->salts + q * APEX_MERKLE_SALT_LEN, pr->tab + q * pr->d.nrow,
                             pr->d.nrow, &leaf);
        if (rc == APEX_OK)
            rc = apex_merkle_set_leaf(pr->tree, q, &leaf);
        if (rc != APEX_OK)
            return rc;
    }
    return apex_merkle_build(pr->tree, &pr->root);
}

/* Fill the rows' values (pads, masks, witness) and turn them into coefficients. */
static int layout_rows(apex_ligero_prover *pr, const apex_gl *w, size_t nw, rand_src *rs)
{
    const apex_ligero_dims *d = &pr->d;
    size_t block = d->block, db = d->dblock, npad = pr->p.npad;
    int rc = APEX_OK;
    for (size_t r = 0; r < d->nrow && rc == APEX_OK; r++) {
        apex_gl *c = pr->coef + r * db;
        if (r < APEX_LIGERO_IDOT) { /* ILDT: BLOCK uniform coefficients */
            rc = rand_gl(rs, c, block);
            continue;
        }
        if (r < APEX_LIGERO_IW) { /* IDOT: values on H_D summing to 0 on witness slots */
            rc = rand_gl(rs, c, db);
            apex_gl s = 0;
            for (size_t k = npad; k + 1 < block; k++)
                s = apex_gl_add(s, c[2 * k]);
            c[2 * (block - 1)] = apex_gl_neg(s);
            apex_ntt_inverse(pr->plans.d, c);
            continue;
        }
        /* witness row: pads then witness values on H_B, interpolated */
        size_t i = r - APEX_LIGERO_IW;
        rc = rand_gl(rs, c, npad);
        for (size_t k = 0; k < d->wr; k++) {
            size_t wi = i * d->wr + k;
            c[npad + k] = wi < nw ? w[wi] : 0;
        }
        apex_ntt_inverse(pr->plans.b, c);
    }
    return rc;
}

apex_ligero_prover *apex_ligero_commit(const apex_ligero_params *p, const apex_gl *w, size_t nw,
                                       apex_rng *test_rng, apex_hash *root, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, reason) != APEX_OK)
        return NULL;
    if (nw > d.nw) {
        *reason = "ligero: witness larger than the commitment's capacity";
        return NULL;
    }
    for (size_t i = 0; i < nw; i++) {
        if (w[i] >= APEX_GL_P) {
            *reason = "ligero: non-canonical witness element";
            return NULL;
        }
    }
    apex_ligero_prover *pr = calloc(1, sizeof *pr);
    rand_src *rs = calloc(1, sizeof *rs);
    apex_gl *tmp = NULL;
    *reason = "ligero: out of memory";
    if (!pr || !rs)
        goto fail;
    rs->test = test_rng;
    rs->pos = sizeof rs->buf;
    pr->p = *p;
    pr->d = d;
    size_t tab_n;
    if (apex_mul_size(d.nq, d.nrow, &tab_n) != 0)
        goto fail;
    pr->coef = apex_calloc_n(d.nrow * d.dblock, sizeof *pr->coef);
    pr->tab = apex_calloc_n(tab_n, sizeof *pr->tab);
    pr->salts = apex_calloc_n(d.nq, APEX_MERKLE_SALT_LEN);
    pr->tree = apex_merkle_new(d.nq);
    tmp = apex_calloc_n(d.nq, sizeof *tmp);
    if (!pr->coef || !pr->tab || !pr->salts || !pr->tree || !tmp ||
        ligero_plans_init(&pr->plans, p->log_block) != APEX_OK)
        goto fail;
    *reason = "ligero: randomness or hashing failed";
    if (layout_rows(pr, w, nw, rs) != APEX_OK)
        goto fail;
    for (size_t r = 0; r < d.nrow; r++)
        encode_row(pr, r, tmp);
    if (rand_bytes(rs, pr->salts, d.nq * APEX_MERKLE_SALT_LEN) != APEX_OK ||
        ligero_rebuild_tree(pr) != APEX_OK)
        goto fail;
    *root = pr->root;
    *reason = NULL;
    OPENSSL_cleanse(rs, sizeof *rs);
    free(rs);
    free(tmp);
    return pr;
fail:
    if (rs)
        OPENSSL_cleanse(rs, sizeof *rs);
    free(rs);
    free(tmp);
    apex_ligero_prover_destroy(&pr);
    return NULL;
}

/* ---------------------------------------------------------------- prove */

/* Scratch buffers of the prover, sized from the dimensions. */
typedef struct prove_scratch {
    apex_gl2 *weights; /* [nwrow][BLOCK] A^T alpha on H_B slots, then r_i coefficients */
    apex_gl2 *acc;     /* [DBLOCK] dot response on H_D */
    apex_gl *x;        /* [DBLOCK] one base row on H_D */
    apex_gl *y;        /* [DBLOCK] second coordinate buffer */
    apex_gl *tmp;      /* [DBLOCK] transform scratch */
} prove_scratch;

static void scratch_free(prove_scratch *s)
{
    free(s->weights);
    free(s->acc);
    free(s->x);
    free(s->y);
    free(s->tmp);
}

/* Values on H_D of a row given by up to DBLOCK coefficients. */
static void row_on_d(const apex_ligero_prover *pr, const apex_gl *coef, apex_gl *out)
{
    memcpy(out, coef, pr->d.dblock * sizeof *out);
    apex_ntt_forward(pr->plans.d, out);
}

/* b[c] = sum of coef * W[w] over the terms, W read back from the rows on H_B. */
static int claimed_values(const apex_ligero_prover *pr, const apex_ligero_term *terms,
                          size_t nterms, size_t nlin, apex_gl *b, apex_gl *tmp)
{
    const apex_ligero_dims *d = &pr->d;
    memset(b, 0, nlin * sizeof *b);
    for (size_t t = 0; t < nterms; t++)
        if (terms[t].c >= nlin || terms[t].w >= d->nw || terms[t].coef >= APEX_GL_P)
            return APEX_ERR_RANGE;
    /* row by row so only one row of values is live */
    for (size_t i = 0; i < pr->p.nwrow; i++) {
        memcpy(tmp, pr->coef + (APEX_LIGERO_IW + i) * d->dblock, d->block * sizeof *tmp);
        apex_ntt_forward(pr->plans.b, tmp);
        for (size_t t = 0; t < nterms; t++) {
            if (terms[t].w / d->wr != i)
                continue;
            apex_gl v = tmp[pr->p.npad + terms[t].w % d->wr];
            b[terms[t].c] = apex_gl_add(b[terms[t].c], apex_gl_mul(terms[t].coef, v));
        }
    }
    return APEX_OK;
}

/* dot = IDOT + sum_i r_i p_i, as values on H_D. */
static void dot_response(const apex_ligero_prover *pr, prove_scratch *s)
{
    const apex_ligero_dims *d = &pr->d;
    size_t db = d->dblock, block = d->block;
    row_on_d(pr, pr->coef + APEX_LIGERO_IDOT * db, s->x);
    row_on_d(pr, pr->coef + (APEX_LIGERO_IDOT + 1) * db, s->y);
    for (size_t h = 0; h < db; h++)
        s->acc[h] = apex_gl2_make(s->x[h], s->y[h]);
    for (size_t i = 0; i < pr->p.nwrow; i++) {
        apex_gl2 *r = s->weights + i * block;
        ligero_interp_b(&pr->plans, r, block, s->tmp);
        row_on_d(pr, pr->coef + (APEX_LIGERO_IW + i) * db, s->tmp); /* p_i on H_D */
        for (int c = 0; c < 2; c++) {
            apex_gl *v = c ? s->y : s->x; /* coordinate c of r_i on H_D */
            memset(v, 0, db * sizeof *v);
            for (size_t k = 0; k < block; k++)
                v[k] = c ? r[k].c1 : r[k].c0;
            apex_ntt_forward(pr->plans.d, v);
        }
        for (size_t h = 0; h < db; h++) {
            apex_gl2 rp = apex_gl2_mul_gl(apex_gl2_make(s->x[h], s->y[h]), s->tmp[h]);
            s->acc[h] = apex_gl2_add(s->acc[h], rp);
        }
    }
}

int apex_ligero_prove(apex_ligero_prover *pr, apex_transcript *t, const apex_ligero_term *terms,
                      size_t nterms, size_t nlin, apex_ligero_proof *out, const char **reason)
{
    return ligero_prove_claiming(pr, t, terms, nterms, nlin, NULL, out, reason);
}

int ligero_prove_claiming(apex_ligero_prover *pr, apex_transcript *t, const apex_ligero_term *terms,
                          size_t nterms, size_t nlin, const apex_gl *claim, apex_ligero_proof *out,
                          const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    if (pr->opened) {
        *reason = "ligero: commitment already opened (pads hide one opening)";
        return APEX_ERR_STATE;
    }
    const apex_ligero_dims *d = &pr->d;
    size_t nwrow = pr->p.nwrow, nreq = pr->p.nreq;
    prove_scratch s = {0};
    apex_gl *b = apex_calloc_n(nlin ? nlin : 1, sizeof *b);
    apex_gl2 *u = apex_calloc_n(nwrow, sizeof *u);
    apex_gl2 *alpha = apex_calloc_n(nlin ? nlin : 1, sizeof *alpha);
    uint64_t *idx = apex_calloc_n(nreq, sizeof *idx);
    size_t *qidx = apex_calloc_n(nreq, sizeof *qidx);
    size_t sib_cap = apex_merkle_open_max(d->nq, nreq);
    s.weights = apex_calloc_n(nwrow * d->block, sizeof *s.weights);
    s.acc = apex_calloc_n(d->dblock, sizeof *s.acc);
    s.x = apex_calloc_n(d->dblock, sizeof *s.x);
    s.y = apex_calloc_n(d->dblock, sizeof *s.y);
    s.tmp = apex_calloc_n(d->dblock, sizeof *s.tmp);
    out->ldt = apex_calloc_n(d->block, sizeof *out->ldt);
    out->cols = apex_calloc_n(nreq * d->nrow, sizeof *out->cols);
    out->salts = apex_calloc_n(nreq, APEX_MERKLE_SALT_LEN);
    out->sib = apex_calloc_n(sib_cap ? sib_cap : 1, sizeof *out->sib);
    int rc = APEX_ERR_NOMEM;
    *reason = "ligero: out of memory";
    if (!b || !u || !alpha || !idx || !qidx || !s.weights || !s.acc || !s.x || !s.y || !s.tmp ||
        !out->ldt || !out->cols || !out->salts || !out->sib)
        goto done;

    *reason = "ligero: constraint term outside the witness or constraint range";
    rc = claimed_values(pr, terms, nterms, nlin, b, s.tmp);
    if (rc != APEX_OK)
        goto done;
    if (claim) /* a cheating prover in the tests: claim values the witness does not give */
        memcpy(b, claim, nlin * sizeof *b);
    *reason = "ligero: transcript failure";
    if ((rc = ligero_absorb_header(t, &pr->p, &pr->root)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl(t, "ligero.b", b, nlin)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, u, nwrow)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, alpha, nlin)) != APEX_OK)
        goto done;

    /* LDT response: coefficients of ILDT + sum_i u_i p_i */
    const apex_gl *l0 = pr->coef + APEX_LIGERO_ILDT * d->dblock, *l1 = l0 + d->dblock;
    for (size_t k = 0; k < d->block; k++)
        out->ldt[k] = apex_gl2_make(l0[k], l1[k]);
    for (size_t i = 0; i < nwrow; i++) {
        const apex_gl *c = pr->coef + (APEX_LIGERO_IW + i) * d->dblock;
        for (size_t k = 0; k < d->block; k++)
            out->ldt[k] = apex_gl2_add(out->ldt[k], apex_gl2_mul_gl(u[i], c[k]));
    }
    rc = ligero_weights(d, pr->p.npad, terms, nterms, nlin, alpha, s.weights);
    if (rc != APEX_OK)
        goto done;
    dot_response(pr, &s);
    out->dot = s.acc;
    s.acc = NULL;

    if ((rc = apex_transcript_absorb_gl2(t, "ligero.ldt", out->ldt, d->block)) != APEX_OK ||
        (rc = apex_transcript_absorb_gl2(t, "ligero.dot", out->dot, d->dblock)) != APEX_OK ||
        (rc = apex_transcript_challenge_indices(t, d->dblock, d->ncol, nreq, idx)) != APEX_OK)
        goto done;

    /* open the queried columns; the pads are now spent */
    pr->opened = 1;
    for (size_t j = 0; j < nreq; j++) {
        size_t q = (size_t)(idx[j] - d->dblock);
        qidx[j] = q;
        memcpy(out->cols + j * d->nrow, pr->tab + q * d->nrow, d->nrow * sizeof *out->cols);
        memcpy(out->salts + j * APEX_MERKLE_SALT_LEN, pr->salts + q * APEX_MERKLE_SALT_LEN,
               APEX_MERKLE_SALT_LEN);
    }
    *reason = "ligero: Merkle opening failed";
    rc = apex_merkle_open(pr->tree, qidx, nreq, out->sib, sib_cap, &out->nsib);
    if (rc == APEX_OK)
        *reason = NULL;
done:
    if (rc != APEX_OK)
        apex_ligero_proof_free(out);
    scratch_free(&s);
    free(b);
    free(u);
    free(alpha);
    free(idx);
    free(qidx);
    return rc;
}
