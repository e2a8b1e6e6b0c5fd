/* Ligero commitments and the helpers the prover and verifier share (protocol in ligero.h). */
#include "zk/ligero_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- randomness */

void ligero_rand_init(ligero_rand *r, apex_rng *test)
{
    r->test = test;
    r->pos = sizeof r->buf;
}

int ligero_rand_bytes(ligero_rand *s, void *out, size_t n)
{
    if (s->test) {
        apex_rng_bytes(s->test, out, n);
        return APEX_OK;
    }
    uint8_t *o = out;
    if (n >= sizeof s->buf) /* a bulk request (salts, rows): no buffering */
        return apex_secure_random(out, n);
    while (n > 0) {
        if (s->pos == sizeof s->buf) {
            int rc = apex_secure_random(s->buf, sizeof s->buf);
            if (rc != APEX_OK)
                return rc;
            s->pos = 0;
        }
        size_t k = sizeof s->buf - s->pos < n ? sizeof s->buf - s->pos : n;
        memcpy(o, s->buf + s->pos, k);
        apex_wipe(s->buf + s->pos, k); /* each random byte is used once */
        s->pos += k;
        o += k;
        n -= k;
    }
    return APEX_OK;
}

/* Candidates are 8-byte little-endian words drawn in bulk into out itself; the accepted ones
 * (below p) are kept in order and the rest drawn again, so the byte stream is consumed exactly
 * as one word at a time would consume it. */
int ligero_rand_gl(ligero_rand *s, apex_gl *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int rc = ligero_rand_bytes(s, out + i, (n - i) * sizeof *out);
        if (rc != APEX_OK)
            return rc;
        size_t k = i;
        for (size_t j = i; j < n; j++) {
            uint8_t b[8];
            memcpy(b, &out[j], 8);
            uint64_t x = 0;
            for (int t = 7; t >= 0; t--)
                x = (x << 8) | b[t];
            if (x < APEX_GL_P)
                out[k++] = x;
        }
        i = k;
    }
    return APEX_OK;
}

/* ---------------------------------------------------------------- transforms */

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
        for (size_t j = 0; j < n; j++)
            tmp[j] = c ? coef[j].c1 : coef[j].c0;
        /* n coefficients padded with zeros (a power of two: the padded transform) */
        if (apex_ntt_coset_forward_padded(pl->q, tmp, n, APEX_GL_GENERATOR) != APEX_OK) {
            if (n < nq)
                memset(tmp + n, 0, (nq - n) * sizeof *tmp);
            apex_ntt_coset_forward(pl->q, tmp, APEX_GL_GENERATOR);
        }
        for (size_t q = 0; q < nq; q++) {
            if (c)
                out[q].c1 = tmp[q];
            else
                out[q].c0 = tmp[q];
        }
    }
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

void ligero_response_lengths(size_t block, size_t np, size_t *nld, size_t *ndot, size_t *nqd)
{
    *nld = block + np;          /* sum u_i p_i: degree < BLOCK + NP */
    *ndot = 2 * block + np - 1; /* r_i (degree < BLOCK) times p_i */
    *nqd = block + 2 * np - 1;  /* (degree < 2 BLOCK + 2 NP - 1) / Z_H */
}

void ligero_zh_on_q(unsigned log_block, apex_gl zh[4])
{
    size_t block = (size_t)1 << log_block;
    apex_gl s = apex_gl_pow(APEX_GL_GENERATOR, block); /* 7^BLOCK */
    apex_gl i4 = apex_gl_root_of_unity(2);             /* a primitive 4th root of unity */
    for (int t = 0; t < 4; t++, s = apex_gl_mul(s, i4))
        zh[t] = apex_gl_sub(s, 1);
}

double apex_ligero_soundness_bits(unsigned log_block, size_t np, size_t nreq)
{
    double block = ldexp(1.0, (int)log_block), rho = (block + (double)np) / (4.0 * block);
    double e = (1.0 + rho) / 2.0 > 2.0 * rho ? (1.0 + rho) / 2.0 : 2.0 * rho;
    return e < 1.0 ? (double)nreq * -log2(e) : 0.0;
}

size_t apex_ligero_nreq_for_bits(unsigned log_block, size_t pads_per_query, double bits)
{
    size_t half = ((size_t)1 << log_block) / 2;
    for (size_t q = 1; pads_per_query && q * pads_per_query <= half; q++)
        if (apex_ligero_soundness_bits(log_block, q * pads_per_query, q) >= bits)
            return q;
    return 0;
}

/* ---------------------------------------------------------------- shapes */

int apex_ligero_dims_of(const apex_ligero_params *p, apex_ligero_dims *d, const char **reason)
{
    const char *why = NULL;
    if (p->log_block < 1 || p->log_block > APEX_LIGERO_MAX_LOG_BLOCK)
        why = "ligero: BLOCK outside [2, 2^APEX_LIGERO_MAX_LOG_BLOCK]";
    else if (p->nreq < 1)
        why = "ligero: no column queries";
    else if (p->npad < p->nreq)
        why = "ligero: fewer pads than opened columns (not zero knowledge)";
    else if (p->npad > ((size_t)1 << p->log_block) / 2)
        why = "ligero: more pads than BLOCK / 2 (the code's rate would exceed 3/8)";
    else if (p->nwrow < 1 || p->nwrow > APEX_LIGERO_MAX_ROWS)
        why = "ligero: row count outside [1, APEX_LIGERO_MAX_ROWS]";
    if (why) {
        if (reason)
            *reason = why;
        return APEX_ERR_INVALID;
    }
    d->block = (size_t)1 << p->log_block;
    d->wr = d->block; /* every slot of H_B is witness: the pads live outside H_B */
    d->dblock = 2 * d->block;
    d->nq = 4 * d->block;
    d->ncol = d->dblock + d->nq;
    d->nrow = p->nwrow;
    d->nw = p->nwrow * d->wr;
    d->budget = p->npad / p->nreq;
    return APEX_OK;
}

int ligero_joint_shape(const apex_ligero_params *ps, size_t n, apex_ligero_dims *dims,
                       ligero_layout *lay, const char **reason)
{
    if (n < 1 || n > APEX_LIGERO_MAX_COMMITS) {
        *reason = "ligero: commitment count outside [1, APEX_LIGERO_MAX_COMMITS]";
        return APEX_ERR_INVALID;
    }
    lay->w_off[0] = lay->r_off[0] = 0;
    for (size_t k = 0; k < n; k++) {
        if (apex_ligero_dims_of(&ps[k], &dims[k], reason) != APEX_OK)
            return APEX_ERR_INVALID;
        if (ps[k].log_block != ps[0].log_block || ps[k].nreq != ps[0].nreq) {
            *reason = "ligero: commitments in one proof must share BLOCK and nreq";
            return APEX_ERR_INVALID;
        }
        lay->w_off[k + 1] = lay->w_off[k] + dims[k].nw;
        lay->r_off[k + 1] = lay->r_off[k] + dims[k].nrow;
    }
    return APEX_OK;
}

int ligero_tensor_shape(const apex_ligero_dims *dims, size_t n, const ligero_layout *lay,
                        const apex_ligero_constraints *cons, const char **reason)
{
    for (size_t c = 0; c < cons->ntensor; c++) {
        const apex_ligero_tensor *x = &cons->tensors[c];
        int sparse_only = !x->row_w && !x->slot_w; /* a pure F_p2 sparse claim */
        if ((!sparse_only && (x->commit >= n || !x->row_w || !x->slot_w)) ||
            (x->nterms && !x->terms)) {
            *reason = "ligero: tensor claim names no commitment of the proof";
            return APEX_ERR_INVALID;
        }
        const apex_ligero_dims *d = &dims[sparse_only ? 0 : x->commit];
        for (size_t i = 0; !sparse_only && i < d->nrow + d->wr; i++) {
            apex_gl2 v = i < d->nrow ? x->row_w[i] : x->slot_w[i - d->nrow];
            if (v.c0 >= APEX_GL_P || v.c1 >= APEX_GL_P) {
                *reason = "ligero: non-canonical tensor weight";
                return APEX_ERR_INVALID;
            }
        }
        for (size_t t = 0; t < x->nterms; t++) {
            apex_gl2 f = x->terms[t].coef;
            if (x->terms[t].w >= lay->w_off[n] || f.c0 >= APEX_GL_P || f.c1 >= APEX_GL_P) {
                *reason = "ligero: tensor claim term outside the witness or non-canonical";
                return APEX_ERR_INVALID;
            }
        }
    }
    return APEX_OK;
}

static int contrib_cmp(const void *a, const void *b)
{
    const ligero_contrib *x = a, *y = b;
    return x->row < y->row ? -1 : x->row > y->row ? 1 : 0;
}

/* Row and slot of witness index w of the concatenation. */
static void locate(const apex_ligero_params *ps, const apex_ligero_dims *dims,
                   const ligero_layout *lay, size_t w, size_t *row, size_t *slot)
{
    size_t k = 0;
    while (w >= lay->w_off[k + 1])
        k++;
    size_t local = w - lay->w_off[k];
    *row = lay->r_off[k] + local / dims[k].wr;
    *slot = local % dims[k].wr;
    (void)ps;
}

int ligero_contribs(const apex_ligero_params *ps, const apex_ligero_dims *dims, size_t n,
                    const ligero_layout *lay, const apex_ligero_constraints *cons,
                    const apex_gl2 *alpha, const apex_gl2 *beta, ligero_contrib **out,
                    size_t *count)
{
    size_t total = cons->nterms;
    for (size_t c = 0; c < cons->ntensor; c++)
        total += cons->tensors[c].nterms;
    ligero_contrib *v = apex_calloc_n(total ? total : 1, sizeof *v);
    if (!v)
        return APEX_ERR_NOMEM;
    size_t o = 0;
    for (size_t t = 0; t < cons->nterms; t++) {
        const apex_ligero_term *x = &cons->terms[t];
        if (x->c >= cons->nlin || x->w >= lay->w_off[n] || x->coef >= APEX_GL_P) {
            free(v);
            return APEX_ERR_RANGE;
        }
        locate(ps, dims, lay, x->w, &v[o].row, &v[o].slot);
        v[o++].f = apex_gl2_mul_gl(alpha[x->c], x->coef);
    }
    for (size_t c = 0; c < cons->ntensor; c++) { /* ranges checked by ligero_tensor_shape */
        const apex_ligero_tensor *tn = &cons->tensors[c];
        for (size_t t = 0; t < tn->nterms; t++) {
            locate(ps, dims, lay, tn->terms[t].w, &v[o].row, &v[o].slot);
            v[o++].f = apex_gl2_mul(beta[c], tn->terms[t].coef);
        }
    }
    /* by row: a counting sort over the rows (the order inside a row does not matter, the
     * weights are summed); qsort when the count table cannot be had */
    size_t nrows = lay->r_off[n];
    size_t *start = apex_calloc_n(nrows + 1, sizeof *start);
    ligero_contrib *sorted = start ? apex_calloc_n(o ? o : 1, sizeof *sorted) : NULL;
    if (!sorted) {
        free(start);
        qsort(v, o, sizeof *v, contrib_cmp);
    } else {
        for (size_t i = 0; i < o; i++)
            start[v[i].row + 1]++;
        for (size_t r = 0; r < nrows; r++)
            start[r + 1] += start[r];
        for (size_t i = 0; i < o; i++)
            sorted[start[v[i].row]++] = v[i];
        free(start);
        free(v);
        v = sorted;
    }
    *out = v;
    *count = o;
    return APEX_OK;
}

int ligero_row_weights(const ligero_contrib *c, size_t count, size_t *pos, size_t g, apex_gl2 *out)
{
    int any = 0;
    while (*pos < count && c[*pos].row < g) /* rows the caller skipped */
        (*pos)++;
    for (; *pos < count && c[*pos].row == g; (*pos)++, any = 1)
        out[c[*pos].slot] = apex_gl2_add(out[c[*pos].slot], c[*pos].f);
    return any;
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

static int digest_u64(apex_sha256_ctx *h, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return apex_sha256_update(h, b, sizeof b);
}

static int digest_gl2(apex_sha256_ctx *h, const apex_gl2 *v, size_t n)
{
    int rc = APEX_OK;
    for (size_t i = 0; i < n && rc == APEX_OK; i++)
        if ((rc = digest_u64(h, v[i].c0)) == APEX_OK)
            rc = digest_u64(h, v[i].c1);
    return rc;
}

/* SHA-256 over the whole constraint system (review finding 1): counts, every sparse term,
 * every quadratic triple, every tensor claim's commitment, weights and sparse terms. Both
 * sides absorb it before the first challenge, so a prover cannot pick A after alpha. */
static int cons_digest(const apex_ligero_params *ps, size_t n, const apex_ligero_constraints *cons,
                       uint8_t out[APEX_SHA256_LEN])
{
    apex_sha256_ctx *h = apex_sha256_new();
    if (!h)
        return APEX_ERR_NOMEM;
    int rc = apex_sha256_update(h, "ligero.cons", 11);
    if (rc == APEX_OK)
        rc = digest_u64(h, cons->nlin);
    if (rc == APEX_OK)
        rc = digest_u64(h, cons->nterms);
    for (size_t i = 0; i < cons->nterms && rc == APEX_OK; i++)
        if ((rc = digest_u64(h, cons->terms[i].c)) == APEX_OK &&
            (rc = digest_u64(h, cons->terms[i].w)) == APEX_OK)
            rc = digest_u64(h, cons->terms[i].coef);
    if (rc == APEX_OK)
        rc = digest_u64(h, cons->nquad);
    for (size_t i = 0; i < cons->nquad && rc == APEX_OK; i++)
        if ((rc = digest_u64(h, cons->quads[i].x)) == APEX_OK &&
            (rc = digest_u64(h, cons->quads[i].y)) == APEX_OK)
            rc = digest_u64(h, cons->quads[i].z);
    if (rc == APEX_OK)
        rc = digest_u64(h, cons->ntensor);
    for (size_t i = 0; i < cons->ntensor && rc == APEX_OK; i++) {
        const apex_ligero_tensor *tc = &cons->tensors[i];
        int dense = tc->row_w != NULL && tc->slot_w != NULL;
        rc = digest_u64(h, dense ? tc->commit : UINT64_MAX);
        if (rc == APEX_OK && dense) {
            apex_ligero_dims d;
            const char *why;
            if (tc->commit >= n || apex_ligero_dims_of(&ps[tc->commit], &d, &why) != APEX_OK)
                rc = APEX_ERR_INVALID;
            else if ((rc = digest_gl2(h, tc->row_w, d.nrow)) == APEX_OK)
                rc = digest_gl2(h, tc->slot_w, d.wr);
        }
        if (rc == APEX_OK)
            rc = digest_u64(h, tc->nterms);
        for (size_t k = 0; k < tc->nterms && rc == APEX_OK; k++)
            if ((rc = digest_u64(h, tc->terms[k].w)) == APEX_OK)
                rc = digest_gl2(h, &tc->terms[k].coef, 1);
    }
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, out);
    apex_sha256_destroy(&h);
    return rc;
}

int ligero_absorb_header(apex_transcript *t, const apex_ligero_params *ps, const apex_hash *roots,
                         size_t n, const apex_hash *eph_root, const apex_ligero_constraints *cons)
{
    int rc = apex_transcript_absorb_u64(t, "ligero.commitments", n);
    for (size_t k = 0; k < n && rc == APEX_OK; k++) {
        rc = apex_transcript_absorb_u64(t, "ligero.log_block", ps[k].log_block);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_u64(t, "ligero.npad", ps[k].npad);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_u64(t, "ligero.nreq", ps[k].nreq);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_u64(t, "ligero.nwrow", ps[k].nwrow);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_bytes(t, "ligero.root", roots[k].b, sizeof roots[k].b);
    }
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "ligero.eph_root", eph_root->b, sizeof eph_root->b);
    uint8_t dg[APEX_SHA256_LEN];
    if (rc == APEX_OK)
        rc = cons_digest(ps, n, cons, dg);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "ligero.constraints", dg, sizeof dg);
    return rc;
}

int ligero_quad_shape(const ligero_layout *lay, size_t n, const apex_ligero_quad *quads,
                      size_t nquad, const char **reason)
{
    for (size_t i = 0; i < nquad; i++) {
        if (quads[i].x >= lay->r_off[n] || quads[i].y >= lay->r_off[n] ||
            quads[i].z >= lay->r_off[n]) {
            *reason = "ligero: quadratic constraint row out of range";
            return APEX_ERR_INVALID;
        }
    }
    return APEX_OK;
}

size_t ligero_max_npad(const apex_ligero_params *ps, size_t n)
{
    size_t np = 0;
    for (size_t k = 0; k < n; k++)
        np = ps[k].npad > np ? ps[k].npad : np;
    return np;
}
