/* Zero-knowledge (padded) sumcheck proven with a joint Ligero proof (protocol in
 * zksumcheck.h). */
#include "zk/zksumcheck.h"

#include <stdlib.h>
#include <string.h>

#include "zk/ligero_impl.h"
#include "zk/mle.h"
#include "zk/zksumcheck_impl.h"

/* Patterns of the product rows: X[4p + s] = V[2 f1 + sx[s]], Y[4p + s] = V[2 f2 + sy[s]]
 * give Z = [ac, bd, ad, bc] for V_f1 = a + b x, V_f2 = c + d x. */
static const size_t sx[4] = {0, 1, 0, 1}, sy[4] = {0, 1, 1, 0};

/* Committed factors of term i (at most two are allowed) and how many there are. */
static unsigned committed_of(const apex_zksc_shape *sh, size_t i, unsigned com[2])
{
    unsigned n = 0;
    for (unsigned s = 0; s < sh->terms[i].nf; s++) {
        if (sh->terms[i].f[s] >= sh->ncommitted)
            continue;
        if (n < 2)
            com[n] = sh->terms[i].f[s];
        n++;
    }
    return n;
}

/* Terms with two committed factors (each gets PROD_SLOTS product slots). */
static size_t pair_count(const apex_zksc_shape *sh)
{
    size_t np = 0;
    unsigned com[2];
    for (size_t i = 0; i < sh->nterms; i++)
        np += committed_of(sh, i, com) == 2;
    return np;
}

/* coef_i times the public factors of term i at r. */
static apex_gl2 public_part(const apex_zksc_shape *sh, size_t i, const apex_gl2 *pubvals)
{
    apex_gl2 v = sh->terms[i].coef;
    for (unsigned s = 0; s < sh->terms[i].nf; s++)
        if (sh->terms[i].f[s] >= sh->ncommitted)
            v = apex_gl2_mul(v, pubvals[sh->terms[i].f[s] - sh->ncommitted]);
    return v;
}

/* Checks the shape; writes the degree and the two commitments' dims. */
int zksc_shape_check(const apex_zksc_shape *sh, unsigned *m, apex_ligero_dims *dp,
                     apex_ligero_dims *de, const char **reason)
{
    *m = sh->terms ? apex_sumcheck_terms_degree(sh->terms, sh->nterms, sh->ntab) : 0;
    if (*m < 1 || sh->k < 1 || sh->k > APEX_MLE_MAX_VARS ||
        sh->ncommitted > APEX_ZKSC_MAX_COMMITTED || sh->ncommitted > sh->ntab) {
        *reason = "zksc: terms, variables or committed tables outside the parameters";
        return APEX_ERR_INVALID;
    }
    unsigned com[2];
    for (size_t i = 0; i < sh->nterms; i++) {
        if (committed_of(sh, i, com) > 2) {
            *reason = "zksc: a term multiplies more than two committed tables";
            return APEX_ERR_INVALID;
        }
    }
    if (apex_ligero_dims_of(&sh->pad_params, dp, reason) != APEX_OK ||
        apex_ligero_dims_of(&sh->eval_params, de, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    size_t need = PROD_SLOTS * pair_count(sh);
    need = need > 2 * (size_t)sh->ncommitted ? need : 2 * (size_t)sh->ncommitted;
    if (dp->nw < 2 * (size_t)sh->k * (*m + 1) || de->nrow < EVAL_ROWS || de->wr < need ||
        de->wr < PROD_SLOTS) {
        *reason = "zksc: pad or evaluation commitment too small";
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

/* ---------------------------------------------------------------- constraints */

void zksc_cons_free(zk_cons *z)
{
    free(z->xt);
    free(z->tn);
    free(z->tval);
    free(z->copies);
    memset(z, 0, sizeof *z); /* safe to free twice */
}

/* coef * Y for an F_p2 value Y stored at base witness entries (w, w + 1). */
static void add_value(zk_cons *z, size_t w, apex_gl2 coef)
{
    z->xt[z->nxt++] = (apex_ligero_xterm){w, coef};
    z->xt[z->nxt++] = (apex_ligero_xterm){w + 1, apex_gl2_mul(coef, apex_gl2_make(0, 1))};
}

/* L_x(at) for x = 0..m (Lagrange basis on the nodes 0..m). */
static void lagrange(unsigned m, apex_gl2 at, apex_gl2 *out)
{
    for (unsigned x = 0; x <= m; x++) {
        apex_gl2 unit[APEX_SUMCHECK_MAX_DEG + 1] = {{0, 0}};
        unit[x] = apex_gl2_from_gl(1);
        out[x] = apex_sumcheck_interp(unit, m, at);
    }
}

/* The final claim's committed side: - sum_i public_i * [V_f | V_f1 V_f2] (the latter via the
 * product slots of Z), and the value's share of terms without committed factors. */
static apex_gl2 final_terms(const apex_zksc_shape *sh, const apex_gl2 *pubvals, size_t w_eval,
                            size_t wr_eval, zk_cons *z)
{
    apex_gl2 value = apex_gl2_from_gl(0);
    size_t p = 0;
    unsigned com[2];
    for (size_t i = 0; i < sh->nterms; i++) {
        apex_gl2 pp = public_part(sh, i, pubvals), np = apex_gl2_neg(pp);
        unsigned nc = committed_of(sh, i, com);
        if (nc == 0) {
            value = apex_gl2_add(value, pp);
        } else if (nc == 1) {
            add_value(z, w_eval + 2 * com[0], np);
        } else { /* (Z0 + 7 Z1) + (Z2 + Z3) x in this term's product slots */
            size_t zb = w_eval + 3 * wr_eval + PROD_SLOTS * p++;
            apex_gl2 npx = apex_gl2_mul(np, apex_gl2_make(0, 1));
            z->xt[z->nxt++] = (apex_ligero_xterm){zb + 0, np};
            z->xt[z->nxt++] = (apex_ligero_xterm){zb + 1, apex_gl2_mul_gl(np, 7)};
            z->xt[z->nxt++] = (apex_ligero_xterm){zb + 2, npx};
            z->xt[z->nxt++] = (apex_ligero_xterm){zb + 3, npx};
        }
    }
    return value;
}

/* w_pad, w_eval: where C_pad and C_eval start in the concatenated witness; r_eval: C_eval's
 * first row among the concatenated rows; wr_eval: its witness slots per row. */
int zksc_build(const apex_zksc_shape *sh, unsigned m, apex_gl2 claim, const apex_ligero_xterm *hid,
               size_t nhid, const apex_gl2 *rounds, const apex_gl2 *r, const apex_zksc_view *views,
               const apex_gl2 *pubvals, size_t w_pad, size_t w_eval, size_t r_eval, size_t wr_eval,
               zk_cons *z)
{
    unsigned k = sh->k, nc = sh->ncommitted;
    size_t npairs = pair_count(sh);
    memset(z, 0, sizeof *z);
    size_t max_xt = (size_t)k * 2 * (m + 3) + 2 * (m + 1) + 4 * sh->nterms + 2 * nc + nhid;
    z->xt = apex_calloc_n(max_xt, sizeof *z->xt);
    z->tn = apex_calloc_n(k + 1 + nc, sizeof *z->tn);
    z->tval = apex_calloc_n(k + 1 + nc, sizeof *z->tval);
    z->copies = apex_calloc_n(npairs ? 4 * PROD_SLOTS * npairs : 1, sizeof *z->copies);
    if (!z->xt || !z->tn || !z->tval || !z->copies) {
        zksc_cons_free(z);
        return APEX_ERR_NOMEM;
    }
    const apex_gl2 one = apex_gl2_from_gl(1);
    apex_gl2 L[APEX_SUMCHECK_MAX_DEG + 1];
#define PAD(j, x) (w_pad + 2 * ((size_t)(j) * (m + 1) + (x)))
#define HT(j, x)  (rounds[(size_t)(j) * (m + 1) + (x)])
    for (unsigned j = 0; j <= k; j++) { /* round claims j < k, then the final claim */
        size_t first = z->nxt;
        apex_gl2 value;
        if (j < k) { /* P_j0 + P_j1 (- sum_x L_x P_{j-1,x}) = ... */
            add_value(z, PAD(j, 0), one);
            add_value(z, PAD(j, 1), one);
            value = apex_gl2_neg(apex_gl2_add(HT(j, 0), HT(j, 1)));
        } else {
            value = apex_gl2_from_gl(0);
        }
        if (j == 0) {
            value = apex_gl2_add(value, claim);
            for (size_t q = 0; q < nhid; q++) /* the claim's hidden part moves left */
                z->xt[z->nxt++] = (apex_ligero_xterm){hid[q].w, apex_gl2_neg(hid[q].coef)};
        } else { /* the previous round's polynomial at r_{j-1}, pads and sent parts */
            lagrange(m, r[j - 1], L);
            for (unsigned x = 0; x <= m; x++) {
                add_value(z, PAD(j - 1, x), j < k ? apex_gl2_neg(L[x]) : L[x]);
                apex_gl2 lh = apex_gl2_mul(L[x], HT(j - 1, x));
                value = j < k ? apex_gl2_add(value, lh) : apex_gl2_sub(value, lh);
            }
        }
        if (j == k)
            value = apex_gl2_add(value, final_terms(sh, pubvals, w_eval, wr_eval, z));
        z->tn[z->ntn] = (apex_ligero_tensor){0, NULL, NULL, z->xt + first, z->nxt - first};
        z->tval[z->ntn++] = value;
    }
    for (unsigned t = 0; t < nc; t++) { /* <row_w x slot_w, W> - V_t = 0 */
        if (views[t].commit == APEX_ZKSC_FREE)
            continue; /* tied by the caller */
        size_t first = z->nxt;
        add_value(z, w_eval + 2 * t, apex_gl2_neg(one));
        z->tn[z->ntn] = (apex_ligero_tensor){views[t].commit, views[t].row_w, views[t].slot_w,
                                             z->xt + first, z->nxt - first};
        z->tval[z->ntn++] = apex_gl2_from_gl(0);
    }
#undef PAD
#undef HT
    /* X[4p + s] - V[2 f1 + sx[s]] = 0, Y[4p + s] - V[2 f2 + sy[s]] = 0; Z = X * Y */
    size_t nlin = 0, nterms = 0, p = 0;
    unsigned com[2];
    for (size_t i = 0; i < sh->nterms; i++) {
        if (committed_of(sh, i, com) != 2)
            continue;
        for (size_t s = 0; s < PROD_SLOTS; s++) {
            for (size_t row = 1; row <= 2; row++, nlin++) {
                size_t src = row == 1 ? 2 * com[0] + sx[s] : 2 * com[1] + sy[s];
                size_t dst = w_eval + row * wr_eval + PROD_SLOTS * p + s;
                z->copies[nterms++] = (apex_ligero_term){nlin, dst, 1};
                z->copies[nterms++] = (apex_ligero_term){nlin, w_eval + src, APEX_GL_P - 1};
            }
        }
        p++;
    }
    z->quad = (apex_ligero_quad){r_eval + 1, r_eval + 2, r_eval + 3};
    z->cons =
        (apex_ligero_constraints){z->copies, nterms, nlin, &z->quad, npairs ? 1 : 0, z->tn, z->ntn};
    return APEX_OK;
}

/* Offsets of C_pad and C_eval in the concatenation (data..., C_pad, C_eval). */
static int offsets(const apex_ligero_params *data_ps, size_t ndata, const apex_zksc_shape *sh,
                   size_t *w_pad, size_t *w_eval, size_t *r_eval, size_t *wr_eval,
                   const char **reason)
{
    if (ndata > APEX_ZKSC_MAX_DATA) {
        *reason = "zksc: too many data commitments";
        return APEX_ERR_INVALID;
    }
    size_t w = 0, rows = 0;
    for (size_t i = 0; i < ndata; i++) {
        apex_ligero_dims d;
        if (apex_ligero_dims_of(&data_ps[i], &d, reason) != APEX_OK)
            return APEX_ERR_INVALID;
        w += d.nw;
        rows += d.nrow;
    }
    apex_ligero_dims dp, de;
    unsigned m;
    if (zksc_shape_check(sh, &m, &dp, &de, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    *w_pad = w;
    *w_eval = w + dp.nw;
    *r_eval = rows + dp.nrow;
    *wr_eval = de.wr;
    return APEX_OK;
}

/* Every committed factor's view must name a data commitment (not C_pad or C_eval). */
static int views_ok(const apex_zksc_shape *sh, const apex_zksc_view *views, size_t ndata,
                    const char **reason)
{
    for (unsigned t = 0; t < sh->ncommitted; t++) {
        if (views && views[t].commit == APEX_ZKSC_FREE)
            continue;
        if (!views || views[t].commit >= ndata || !views[t].row_w || !views[t].slot_w) {
            *reason = "zksc: a committed factor's view names no data commitment";
            return APEX_ERR_INVALID;
        }
    }
    return APEX_OK;
}

/* ---------------------------------------------------------------- prover */

void apex_zksc_prover_destroy(apex_zksc_prover **pp)
{
    if (!pp || !*pp)
        return;
    apex_zksc_prover *p = *pp;
    apex_ligero_commitment_destroy(&p->c_pad);
    if (p->pads)
        apex_wipe(p->pads, (size_t)p->sh.k * (p->m + 1) * sizeof *p->pads);
    free(p->pads);
    free(p->rounds);
    apex_wipe(p->finals, sizeof p->finals);
    apex_wipe(p->extras, sizeof p->extras);
    free(p);
    *pp = NULL;
}

/* Uniform base elements from the secure generator (rejection sampling) or the test one. */
static int random_gl(apex_rng *test, apex_gl *out, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint64_t x;
        if (test)
            x = apex_rng_u64(test);
        else if (apex_secure_random(&x, sizeof x) != APEX_OK)
            return APEX_ERR_CRYPTO;
        if (x < APEX_GL_P)
            out[i++] = x;
    }
    return APEX_OK;
}

/* The rounds run over (f, ntab, terms, nterms): the shape's own tables and terms, or an
 * equivalent formulation of the same sum of products (apex_zksc_prove_rounds_alt). */
static int prove_rounds_over(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 *const *f,
                             size_t ntab, const apex_sumcheck_term *terms, size_t nterms,
                             const unsigned *flatv, apex_gl2 claim, apex_rng *test_rng,
                             apex_zksc_prover **out, apex_gl2 *r, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *out = NULL;
    apex_ligero_dims dp, de;
    unsigned m;
    if (zksc_shape_check(sh, &m, &dp, &de, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    if (ntab > APEX_SUMCHECK_MAX_TABLES || apex_sumcheck_terms_degree(terms, nterms, ntab) != m) {
        *reason = "zksc: the alternative formulation has another degree";
        return APEX_ERR_INVALID;
    }
    size_t np = (size_t)sh->k * (m + 1);
    apex_zksc_prover *p = calloc(1, sizeof *p);
    apex_gl *flat = apex_calloc_n(2 * np, sizeof *flat);
    int rc = APEX_ERR_NOMEM;
    *reason = "zksc: out of memory";
    if (!p || !flat || !(p->pads = apex_calloc_n(np, sizeof *p->pads)) ||
        !(p->rounds = apex_calloc_n(np, sizeof *p->rounds)))
        goto fail;
    p->sh = *sh;
    p->m = m;
    p->test_rng = test_rng;
    p->claim = claim;
    *reason = "zksc: randomness failed";
    if ((rc = random_gl(test_rng, flat, 2 * np)) != APEX_OK)
        goto fail;
    for (size_t e = 0; e < np; e++)
        p->pads[e] = apex_gl2_make(flat[2 * e], flat[2 * e + 1]);
    p->c_pad = apex_ligero_commit(&sh->pad_params, flat, 2 * np, test_rng, &p->root_pad, reason);
    rc = APEX_ERR_NOMEM;
    if (!p->c_pad)
        goto fail;
    *reason = "zksc: transcript or sumcheck failure";
    if ((rc = apex_transcript_absorb_bytes(t, "zksc.root_pad", p->root_pad.b, 32)) != APEX_OK ||
        (rc = apex_sumcheck_prove_terms_flat(t, f, ntab, terms, nterms, flatv, sh->k, claim,
                                             p->pads, p->rounds, p->r, p->finals)) != APEX_OK)
        goto fail;
    memcpy(r, p->r, sh->k * sizeof *r);
    apex_wipe(flat, 2 * np * sizeof *flat);
    free(flat);
    *out = p;
    *reason = NULL;
    return APEX_OK;
fail:
    if (flat)
        apex_wipe(flat, 2 * np * sizeof *flat);
    free(flat);
    apex_zksc_prover_destroy(&p);
    return rc;
}

int apex_zksc_prove_rounds(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 *const *f,
                           apex_gl2 claim, apex_rng *test_rng, apex_zksc_prover **out, apex_gl2 *r,
                           const char **reason)
{
    return prove_rounds_over(t, sh, f, sh->ntab, sh->terms, sh->nterms, NULL, claim, test_rng, out,
                             r, reason);
}

int apex_zksc_prove_rounds_alt(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 *const *f,
                               size_t ntab, const apex_sumcheck_term *terms, size_t nterms,
                               const unsigned *flat, apex_gl2 claim, apex_rng *test_rng,
                               apex_zksc_prover **out, apex_gl2 *r, const char **reason)
{
    int rc =
        prove_rounds_over(t, sh, f, ntab, terms, nterms, flat, claim, test_rng, out, r, reason);
    if (rc == APEX_OK) { /* the alternative tables' finals mean nothing to C_eval */
        apex_wipe((*out)->finals, sizeof(*out)->finals);
        (*out)->need_finals = 1;
    }
    return rc;
}

void apex_zksc_prover_set_finals(apex_zksc_prover *p, const apex_gl2 *v)
{
    for (unsigned s = 0; s < p->sh.ncommitted; s++)
        p->finals[s] = v[s];
    p->need_finals = 0;
}

apex_gl2 apex_zksc_prover_sum(const apex_zksc_prover *p)
{
    return apex_gl2_add(apex_gl2_add(p->rounds[0], p->pads[0]),
                        apex_gl2_add(p->rounds[1], p->pads[1]));
}

int zksc_commit_eval(const apex_zksc_prover *p, size_t wr_eval, apex_ligero_commitment **c_eval,
                     apex_hash *root, const char **reason)
{
    const apex_zksc_shape *sh = &p->sh;
    if (p->need_finals) {
        *reason = "zksc: the committed tables' values at r were not set";
        return APEX_ERR_INVALID;
    }
    apex_gl *ev = apex_calloc_n(EVAL_ROWS * wr_eval, sizeof *ev);
    if (!ev)
        return APEX_ERR_NOMEM;
    if (2 * ((size_t)sh->ncommitted + p->nextra) > wr_eval) {
        free(ev);
        *reason = "zksc: evaluation commitment too small for the extra values";
        return APEX_ERR_INVALID;
    }
    for (unsigned s = 0; s < sh->ncommitted; s++) { /* V_t in row 0 */
        ev[2 * s] = p->finals[s].c0;
        ev[2 * s + 1] = p->finals[s].c1;
    }
    for (size_t e = 0; e < p->nextra; e++) { /* then the extras */
        ev[2 * (sh->ncommitted + e)] = p->extras[e].c0;
        ev[2 * (sh->ncommitted + e) + 1] = p->extras[e].c1;
    }
    unsigned com[2];
    for (size_t i = 0, q = 0; i < sh->nterms; i++) { /* product rows 1..3 of two-table terms */
        if (committed_of(sh, i, com) != 2)
            continue;
        for (size_t j = 0; j < PROD_SLOTS; j++, q++) {
            ev[wr_eval + q] = ev[2 * com[0] + sx[j]];
            ev[2 * wr_eval + q] = ev[2 * com[1] + sy[j]];
            ev[3 * wr_eval + q] = apex_gl_mul(ev[wr_eval + q], ev[2 * wr_eval + q]);
        }
    }
    *c_eval =
        apex_ligero_commit(&sh->eval_params, ev, EVAL_ROWS * wr_eval, p->test_rng, root, reason);
    apex_wipe(ev, EVAL_ROWS * wr_eval * sizeof *ev);
    free(ev);
    return *c_eval ? APEX_OK : APEX_ERR_NOMEM;
}

int apex_zksc_prove_finish(apex_zksc_prover **pp, apex_transcript *t,
                           apex_ligero_commitment *const *data, size_t ndata,
                           const apex_zksc_view *views, const apex_gl2 *pubvals,
                           apex_zksc_proof *out, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    apex_zksc_prover *p = *pp;
    const apex_zksc_shape *sh = &p->sh;
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS];
    apex_ligero_commitment *all[APEX_LIGERO_MAX_COMMITS];
    size_t w_pad, w_eval, r_eval, wr_eval;
    for (size_t i = 0; i < ndata && i < APEX_ZKSC_MAX_DATA; i++)
        ps[i] = data[i]->p;
    int rc = offsets(ps, ndata, sh, &w_pad, &w_eval, &r_eval, &wr_eval, reason);
    if (rc == APEX_OK)
        rc = views_ok(sh, views, ndata, reason);
    if (rc != APEX_OK)
        goto done;
    apex_ligero_commitment *c_eval = NULL;
    if ((rc = zksc_commit_eval(p, wr_eval, &c_eval, &out->root_eval, reason)) != APEX_OK)
        goto done;
    out->root_pad = p->root_pad;
    out->rounds = p->rounds;
    p->rounds = NULL;
    zk_cons z;
    if ((rc = apex_transcript_absorb_bytes(t, "zksc.root_eval", out->root_eval.b, 32)) == APEX_OK &&
        (rc = zksc_build(sh, p->m, p->claim, NULL, 0, out->rounds, p->r, views, pubvals, w_pad,
                         w_eval, r_eval, wr_eval, &z)) == APEX_OK) {
        for (size_t i = 0; i < ndata; i++)
            all[i] = data[i];
        all[ndata] = p->c_pad;
        all[ndata + 1] = c_eval;
        rc = apex_ligero_prove(all, ndata + 2, t, &z.cons, p->test_rng, &out->lig, reason);
        zksc_cons_free(&z);
    }
    apex_ligero_commitment_destroy(&c_eval);
done:
    apex_zksc_prover_destroy(pp);
    if (rc != APEX_OK)
        apex_zksc_proof_free(out);
    return rc;
}

/* ---------------------------------------------------------------- verifier */

void apex_zksc_proof_free(apex_zksc_proof *pf)
{
    free(pf->rounds);
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}

int apex_zksc_verify_rounds(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 claim,
                            const apex_zksc_proof *pf, apex_gl2 *r, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    apex_ligero_dims dp, de;
    unsigned m;
    if (zksc_shape_check(sh, &m, &dp, &de, reason) != APEX_OK || !pf->rounds) {
        *reason = "zksc: malformed proof or shape";
        return APEX_ERR_REJECTED;
    }
    int rc = apex_transcript_absorb_bytes(t, "zksc.root_pad", pf->root_pad.b, 32);
    if (rc == APEX_OK)
        rc = apex_sumcheck_replay(t, m, sh->k, claim, pf->rounds, r);
    if (rc != APEX_OK) {
        *reason = "zksc: non-canonical round value";
        return rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
    }
    return APEX_OK;
}

int apex_zksc_verify_finish(apex_transcript *t, const apex_zksc_shape *sh, apex_gl2 claim,
                            const apex_ligero_params *data_ps, const apex_hash *data_roots,
                            size_t ndata, const apex_zksc_view *views, const apex_gl2 *pubvals,
                            const apex_gl2 *r, const apex_zksc_proof *pf, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    size_t w_pad, w_eval, r_eval, wr_eval;
    apex_ligero_dims dp, de;
    unsigned m;
    if (offsets(data_ps, ndata, sh, &w_pad, &w_eval, &r_eval, &wr_eval, reason) != APEX_OK ||
        views_ok(sh, views, ndata, reason) != APEX_OK || !pf->rounds ||
        zksc_shape_check(sh, &m, &dp, &de, reason) != APEX_OK)
        return APEX_ERR_REJECTED;
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS];
    apex_hash roots[APEX_LIGERO_MAX_COMMITS];
    for (size_t i = 0; i < ndata; i++) {
        ps[i] = data_ps[i];
        roots[i] = data_roots[i];
    }
    ps[ndata] = sh->pad_params;
    ps[ndata + 1] = sh->eval_params;
    roots[ndata] = pf->root_pad;
    roots[ndata + 1] = pf->root_eval;
    int rc = apex_transcript_absorb_bytes(t, "zksc.root_eval", pf->root_eval.b, 32);
    if (rc != APEX_OK)
        return rc;
    zk_cons z;
    if ((rc = zksc_build(sh, m, claim, NULL, 0, pf->rounds, r, views, pubvals, w_pad, w_eval,
                         r_eval, wr_eval, &z)) != APEX_OK)
        return rc;
    apex_gl *zeros = apex_calloc_n(z.cons.nlin ? z.cons.nlin : 1, sizeof *zeros); /* copies */
    rc = zeros
             ? apex_ligero_verify(ps, roots, ndata + 2, t, &z.cons, zeros, z.tval, &pf->lig, reason)
             : APEX_ERR_NOMEM;
    free(zeros);
    zksc_cons_free(&z);
    return rc;
}
