/* LogUp-GKR: the verifier's checks as constraints, the verifier, composition and the
 * canonical encoding (protocol in lgkr.h; the prover is lgkr.c). */
#include <stdlib.h>
#include <string.h>

#include "zk/lgkr_impl.h"
#include "zk/mle.h"
#include "zk/sumcheck.h"

/* Sparse terms one claim may carry (the longest is a layer's final check). */
#define LG_MAX_XT 64u

/* ---------------------------------------------------------------- constraints */

/* One F_p2 claim under construction: sum xt = value. */
typedef struct lg_claim {
    apex_ligero_xterm xt[LG_MAX_XT];
    size_t n;
    apex_gl2 value;
} lg_claim;

typedef struct lg_emit {
    const lg_ctx *c;
    size_t wp; /* C_p's first witness index in the concatenation */
    size_t rp; /* its first row */
    apex_cbuild *b;
} lg_emit;

static void claim_init(lg_claim *cl)
{
    cl->n = 0;
    cl->value = apex_gl2_from_gl(0);
}

/* + coef * pi_e (the pad alone). */
static void add_pad(const lg_emit *em, lg_claim *cl, size_t e, apex_gl2 coef)
{
    const apex_gl2 x = apex_gl2_make(0, 1);
    cl->xt[cl->n++] = (apex_ligero_xterm){em->wp + 2 * e, coef};
    cl->xt[cl->n++] = (apex_ligero_xterm){em->wp + 2 * e + 1, apex_gl2_mul(coef, x)};
}

/* + coef * V(e), V = sent + pi: the sent part moves to the value side. */
static void add_val(const lg_emit *em, lg_claim *cl, size_t e, apex_gl2 coef)
{
    add_pad(em, cl, e, coef);
    cl->value = apex_gl2_sub(cl->value, apex_gl2_mul(coef, em->c->sent[e]));
}

/* + coef * V(ea) V(eb) through product q. */
static void add_prod(const lg_emit *em, lg_claim *cl, size_t q, apex_gl2 coef)
{
    const lg_ctx *c = em->c;
    size_t ea, eb;
    lgkr_product_pads(c, q, &ea, &eb);
    apex_gl2 sa = c->sent[ea], sb = c->sent[eb], x = apex_gl2_make(0, 1);
    cl->value = apex_gl2_sub(cl->value, apex_gl2_mul(coef, apex_gl2_mul(sa, sb)));
    add_pad(em, cl, eb, apex_gl2_mul(coef, sa));
    add_pad(em, cl, ea, apex_gl2_mul(coef, sb));
    size_t zb = em->wp + (c->nv + 2 * c->nprow) * c->dp.wr + 4 * q;
    apex_gl2 cx = apex_gl2_mul(coef, x);
    cl->xt[cl->n++] = (apex_ligero_xterm){zb, coef};
    cl->xt[cl->n++] = (apex_ligero_xterm){zb + 1, apex_gl2_mul_gl(coef, APEX_GL2_NONRESIDUE)};
    cl->xt[cl->n++] = (apex_ligero_xterm){zb + 2, cx};
    cl->xt[cl->n++] = (apex_ligero_xterm){zb + 3, cx};
}

static int claim_emit(const lg_emit *em, const lg_claim *cl, size_t commit, const apex_gl2 *row_w,
                      size_t nrow, const apex_gl2 *slot_w, size_t nslot)
{
    return apex_cbuild_tensor(em->b, commit, row_w, row_w ? nrow : 0, slot_w, row_w ? nslot : 0,
                              cl->xt, cl->n, cl->value);
}

/* Values at 0..3 of the degree-3 Lagrange basis at r. */
static void lagrange4(apex_gl2 r, apex_gl2 L[4])
{
    for (unsigned x = 0; x < 4; x++) {
        apex_gl2 unit[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
        unit[x] = apex_gl2_from_gl(1);
        L[x] = apex_sumcheck_interp(unit, 3, r);
    }
}

/* rho_k (k - 1 coordinates) of a tree from its challenges. */
static void rho_of(const lg_ctx *c, const lg_tree *tr, unsigned k, apex_gl2 *rho)
{
    if (k < 2)
        return;
    size_t h = lay_ch(tr, k - 1);
    rho[0] = c->ch[h + k - 1]; /* mu_{k-1} */
    for (unsigned j = 0; j + 2 < k; j++)
        rho[1 + j] = c->ch[h + 1 + j];
}

/* The sumcheck checks of one tree: the claim chain from the roots through every layer. */
static int emit_tree(const lg_emit *em, const lg_tree *tr)
{
    const lg_ctx *c = em->c;
    const apex_gl2 one = apex_gl2_from_gl(1);
    int rc = APEX_OK;
    for (unsigned k = 1; k <= tr->K && rc == APEX_OK; k++) {
        size_t e = lay_pad(tr, k), h = lay_ch(tr, k);
        size_t q = tr->q0 + 3 * (size_t)(k - 1);
        apex_gl2 lambda = c->ch[h];
        lg_claim cl;
        claim_init(&cl);
        /* - (lambda P_prev + Q_prev) */
        if (k == 1) {
            add_val(em, &cl, tr->e0, apex_gl2_neg(lambda));
            add_val(em, &cl, tr->e0 + 1, apex_gl2_neg(one));
        } else {
            size_t hp = lay_ch(tr, k - 1), vp = lay_pad(tr, k - 1) + 4 * (size_t)(k - 2);
            apex_gl2 mu = c->ch[hp + k - 1], mu1 = apex_gl2_sub(one, mu);
            add_val(em, &cl, vp, apex_gl2_neg(apex_gl2_mul(lambda, mu1)));
            add_val(em, &cl, vp + 1, apex_gl2_neg(apex_gl2_mul(lambda, mu)));
            add_val(em, &cl, vp + 2, apex_gl2_neg(mu1));
            add_val(em, &cl, vp + 3, apex_gl2_neg(mu));
        }
        for (unsigned j = 0; j + 1 < k && rc == APEX_OK; j++) {
            /* + h_j(0) + h_j(1) = 0 with the previous claim already on the left */
            add_val(em, &cl, e + 4 * (size_t)j, one);
            add_val(em, &cl, e + 4 * (size_t)j + 1, one);
            rc = claim_emit(em, &cl, 0, NULL, 0, NULL, 0);
            claim_init(&cl); /* next claim starts with - h_j(r_j) */
            apex_gl2 L[4];
            lagrange4(c->ch[h + 1 + j], L);
            for (unsigned x = 0; x < 4; x++)
                add_val(em, &cl, e + 4 * (size_t)j + x, apex_gl2_neg(L[x]));
        }
        /* final: + eq(rho_k, r) [lambda (A D + B C) + C D] = 0 */
        apex_gl2 rho[APEX_LGKR_MAX_DEPTH], r[APEX_LGKR_MAX_DEPTH];
        rho_of(c, tr, k, rho);
        for (unsigned j = 0; j + 1 < k; j++)
            r[j] = c->ch[h + 1 + j];
        apex_gl2 eqv = apex_mle_eq_point(rho, r, k - 1), el = apex_gl2_mul(eqv, lambda);
        add_prod(em, &cl, q, el);      /* A D */
        add_prod(em, &cl, q + 1, el);  /* B C */
        add_prod(em, &cl, q + 2, eqv); /* C D */
        if (rc == APEX_OK)
            rc = claim_emit(em, &cl, 0, NULL, 0, NULL, 0);
    }
    return rc;
}

/* The leaf point z_b = (b, r_0 .. r_{K-2}) of a tree's last layer. */
static void leaf_point(const lg_ctx *c, const lg_tree *tr, unsigned b, apex_gl2 *z)
{
    size_t h = lay_ch(tr, tr->K);
    z[0] = apex_gl2_from_gl(b);
    for (unsigned j = 0; j + 1 < tr->K; j++)
        z[1 + j] = c->ch[h + 1 + j];
}

/* row_w, slot_w of the tensor claim <eq(z), W> on a commitment with 2^w slots per row and
 * nrow rows (the table laid out row-major, K coordinates): rows past 2^(K - w) get 0. When
 * K < w the claim uses the first 2^K slots of row 0. Returns sum_{row < nrow} eq_hi(row),
 * the extension of the indicator of the committed entries. */
static int tensor_weights(const apex_gl2 *z, unsigned K, unsigned w, size_t nrow, size_t wr,
                          apex_gl2 *row_w, apex_gl2 *slot_w, apex_gl2 *ind)
{
    memset(row_w, 0, nrow * sizeof *row_w);
    memset(slot_w, 0, wr * sizeof *slot_w);
    if (K <= w) {
        row_w[0] = apex_gl2_from_gl(1);
        *ind = row_w[0];
        return apex_mle_eq(slot_w, z, K);
    }
    int rc = apex_mle_eq(slot_w, z, w);
    size_t nh = (size_t)1 << (K - w);
    apex_gl2 *hi = apex_calloc_n(nh, sizeof *hi);
    if (rc == APEX_OK && !hi)
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_mle_eq(hi, z + w, K - w);
    *ind = apex_gl2_from_gl(0);
    for (size_t i = 0; i < nh && i < nrow && rc == APEX_OK; i++) {
        row_w[i] = hi[i];
        *ind = apex_gl2_add(*ind, hi[i]);
    }
    free(hi);
    return rc;
}

/* The table tree's public leaves at z (K coordinates, z[0] the lowest bit): the extensions of
 * the entries' values, v~(z), and tags, g~(z). Table t (2^b entries from s, a multiple of
 * 2^b) contributes eq(z_hi, s >> b) (sum_{i < b} 2^i z_i) and t eq(z_hi, s >> b); the
 * entries past the last table are (0, 0). */
static void table_ext(const lg_ctx *c, const apex_gl2 *z, unsigned K, apex_gl2 *v, apex_gl2 *g)
{
    const apex_gl2 one = apex_gl2_from_gl(1);
    *v = *g = apex_gl2_from_gl(0);
    for (unsigned t = 0; t < c->ntab; t++) {
        unsigned b = c->tbits[t];
        apex_gl2 hi = one, lo = apex_gl2_from_gl(0), pw = one;
        for (unsigned i = b; i < K; i++)
            hi = apex_gl2_mul(hi, (c->tstart[t] >> i) & 1 ? z[i] : apex_gl2_sub(one, z[i]));
        for (unsigned i = 0; i < b && i < K; i++) {
            lo = apex_gl2_add(lo, apex_gl2_mul(pw, z[i]));
            pw = apex_gl2_add(pw, pw);
        }
        *v = apex_gl2_add(*v, apex_gl2_mul(hi, lo));
        *g = apex_gl2_add(*g, apex_gl2_mul_gl(hi, (apex_gl)t));
    }
}

/* The witness leaves' tag extension: sum over C_a's rows of their weight times their tag. */
static apex_gl2 witness_tags(const lg_ctx *c, const apex_gl2 *row_w)
{
    apex_gl2 g = apex_gl2_from_gl(0);
    for (size_t r = 0; r < c->da.nrow; r++) {
        unsigned tag = lgkr_row_tab(c, r);
        if (tag)
            g = apex_gl2_add(g, apex_gl2_mul_gl(row_w[r], (apex_gl)tag));
    }
    return g;
}

/* Leaf ties: the witness tree's A, B = 1{x < M}~, C, D = X 1~ + (1 - 1~) - a~ - g~ x (claims on
 * C_a, g the slots' tags); the table tree's A, B = -m~ (claims on C_m), C, D = X - v~ - g~ x
 * (table_ext). */
static int emit_leaves(const lg_emit *em, size_t ia, size_t im)
{
    const lg_ctx *c = em->c;
    const apex_gl2 one = apex_gl2_from_gl(1);
    size_t nrw = c->da.nrow > c->dm.nrow ? c->da.nrow : c->dm.nrow;
    size_t nsw = c->da.wr > c->dm.wr ? c->da.wr : c->dm.wr;
    apex_gl2 *row_w = apex_calloc_n(nrw, sizeof *row_w),
             *slot_w = apex_calloc_n(nsw, sizeof *slot_w);
    int rc = row_w && slot_w ? APEX_OK : APEX_ERR_NOMEM;
    for (unsigned b = 0; b < 2 && rc == APEX_OK; b++) {
        const lg_tree *tw = &c->tr[0], *tt = &c->tr[1];
        apex_gl2 z[APEX_LGKR_MAX_DEPTH], ind;
        size_t vw = lay_pad(tw, tw->K) + 4 * (size_t)(tw->K - 1);
        leaf_point(c, tw, b, z);
        if ((rc = tensor_weights(z, tw->K, c->wa, c->da.nrow, c->da.wr, row_w, slot_w, &ind)) !=
            APEX_OK)
            break;
        lg_claim cl;
        claim_init(&cl); /* V(A or B) = ind */
        add_val(em, &cl, vw + b, one);
        cl.value = apex_gl2_add(cl.value, ind);
        if ((rc = claim_emit(em, &cl, 0, NULL, 0, NULL, 0)) != APEX_OK)
            break;
        claim_init(&cl); /* a~ + V(C or D) = X ind + 1 - ind - g~ x */
        add_val(em, &cl, vw + 2 + b, one);
        apex_gl2 gx = apex_gl2_mul(witness_tags(c, row_w), apex_gl2_make(0, 1));
        cl.value = apex_gl2_add(
            cl.value,
            apex_gl2_sub(apex_gl2_add(apex_gl2_mul(c->X, ind), apex_gl2_sub(one, ind)), gx));
        if ((rc = claim_emit(em, &cl, ia, row_w, c->da.nrow, slot_w, c->da.wr)) != APEX_OK)
            break;

        size_t vt = lay_pad(tt, tt->K) + 4 * (size_t)(tt->K - 1);
        leaf_point(c, tt, b, z);
        if ((rc = tensor_weights(z, tt->K, c->wm, c->dm.nrow, c->dm.wr, row_w, slot_w, &ind)) !=
            APEX_OK)
            break;
        claim_init(&cl); /* m~ + V(A or B) = 0 */
        add_val(em, &cl, vt + b, one);
        if ((rc = claim_emit(em, &cl, im, row_w, c->dm.nrow, slot_w, c->dm.wr)) != APEX_OK)
            break;
        apex_gl2 tv, tg;
        table_ext(c, z, tt->K, &tv, &tg);
        claim_init(&cl); /* V(C or D) = X - v~ - g~ x */
        add_val(em, &cl, vt + 2 + b, one);
        cl.value = apex_gl2_add(
            cl.value, apex_gl2_sub(apex_gl2_sub(c->X, tv), apex_gl2_mul(tg, apex_gl2_make(0, 1))));
        rc = claim_emit(em, &cl, 0, NULL, 0, NULL, 0);
    }
    free(row_w);
    free(slot_w);
    return rc;
}

/* Field-wise equality of two shapes. */
static int params_eq(const apex_ligero_params *a, const apex_ligero_params *b)
{
    return a->log_block == b->log_block && a->npad == b->npad && a->nreq == b->nreq &&
           a->nwrow == b->nwrow;
}

/* Everything: copies and products of C_p, both trees, the leaves, the root check. */
int lgkr_emit_all(const lg_ctx *c, const apex_ligero_params *ps, size_t n, size_t ia, size_t im,
                  size_t ip, apex_cbuild *b, const char **reason)
{
    size_t w_off[APEX_LIGERO_MAX_COMMITS + 1], r_off[APEX_LIGERO_MAX_COMMITS + 1];
    if (n > APEX_LIGERO_MAX_COMMITS || ia >= n || im >= n || ip >= n || ia == im || ia == ip ||
        im == ip || apex_cbuild_layout(ps, n, w_off, r_off) != APEX_OK ||
        !params_eq(&ps[ia], &c->sh.a_params) || !params_eq(&ps[im], &c->sh.m_params) ||
        !params_eq(&ps[ip], &c->sh.p_params)) {
        *reason = "lgkr: C_a, C_m or C_p not where the commitment list says";
        return APEX_ERR_INVALID;
    }
    lg_emit em = {c, w_off[ip], r_off[ip], b};
    size_t wr = c->dp.wr, xb = em.wp + c->nv * wr, yb = xb + c->nprow * wr;
    int rc = APEX_OK;
    for (size_t q = 0; q < c->nprod && rc == APEX_OK; q++) { /* X, Y copy the pads */
        size_t ea, eb;
        lgkr_product_pads(c, q, &ea, &eb);
        for (size_t s = 0; s < 4 && rc == APEX_OK; s++) {
            const apex_gl coef[2] = {1, APEX_GL_P - 1};
            const size_t wx[2] = {xb + 4 * q + s, em.wp + 2 * ea + LGKR_SX[s]};
            const size_t wy[2] = {yb + 4 * q + s, em.wp + 2 * eb + LGKR_SY[s]};
            rc = apex_cbuild_linear(b, wx, coef, 2, 0);
            if (rc == APEX_OK)
                rc = apex_cbuild_linear(b, wy, coef, 2, 0);
        }
    }
    for (size_t i = 0; i < c->nprow && rc == APEX_OK; i++) { /* Z = X * Y */
        size_t rx = em.rp + c->nv + i;
        rc = apex_cbuild_quad(b, rx, rx + c->nprow, rx + 2 * c->nprow);
    }
    for (int tr = 0; tr < 2 && rc == APEX_OK; tr++)
        rc = emit_tree(&em, &c->tr[tr]);
    if (rc == APEX_OK)
        rc = emit_leaves(&em, ia, im);
    if (rc == APEX_OK) { /* V(P_w) V(Q_t) + V(P_t) V(Q_w) = 0 */
        lg_claim cl;
        claim_init(&cl);
        add_prod(&em, &cl, c->nprod - 2, apex_gl2_from_gl(1));
        add_prod(&em, &cl, c->nprod - 1, apex_gl2_from_gl(1));
        rc = claim_emit(&em, &cl, 0, NULL, 0, NULL, 0);
    }
    if (rc != APEX_OK && rc != APEX_ERR_NOMEM)
        *reason = "lgkr: constraint system could not be built";
    return rc;
}

/* Build the joint system for (C_a, C_m, C_p) at 0, 1, 2 into a fresh builder. */
int lgkr_standalone_system(const lg_ctx *c, const apex_lgkr_shape *sh, apex_cbuild **b,
                           const char **reason)
{
    const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->p_params};
    if (!(*b = apex_cbuild_new()))
        return APEX_ERR_NOMEM;
    int rc = lgkr_emit_all(c, ps, 3, 0, 1, 2, *b, reason);
    if (rc != APEX_OK)
        apex_cbuild_destroy(b);
    return rc;
}

/* ---------------------------------------------------------------- verifier */

/* The verifier's replay of one layer: absorb what the prover sent, draw what it drew. */
static int replay_layer(apex_transcript *t, lg_ctx *c, const lg_tree *tr, unsigned k)
{
    size_t e = lay_pad(tr, k), h = lay_ch(tr, k);
    int rc = apex_transcript_challenge_gl2(t, &c->ch[h], 1); /* lambda */
    for (unsigned j = 0; j + 1 < k && rc == APEX_OK; j++) {
        rc = apex_transcript_absorb_gl2(t, "lgkr.round", &c->sent[e + 4 * (size_t)j], 4);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &c->ch[h + 1 + j], 1);
    }
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_gl2(t, "lgkr.values", &c->sent[e + 4 * (size_t)(k - 1)], 4);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, &c->ch[h + k], 1); /* mu */
    return rc;
}

/* Replay the whole transcript of the proof pf into c (shape already set). */
static int replay(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                  const apex_lgkr_proof *pf, lg_ctx *c, const char **reason)
{
    if (!pf->sent || pf->nsent != c->npads) {
        *reason = "lgkr: malformed proof (sent values)";
        return APEX_ERR_REJECTED;
    }
    c->ch = apex_calloc_n(c->nchal, sizeof *c->ch);
    c->sent = apex_calloc_n(c->npads, sizeof *c->sent);
    if (!c->ch || !c->sent)
        return APEX_ERR_NOMEM;
    memcpy(c->sent, pf->sent, c->npads * sizeof *c->sent);
    int rc = lgkr_draw_x(t, sh, root_a, &pf->root_m, &pf->root_p, c);
    if (rc == APEX_OK)
        rc = lgkr_absorb_roots(t, c);
    for (int tr = 0; tr < 2 && rc == APEX_OK; tr++)
        for (unsigned k = 1; k <= c->tr[tr].K && rc == APEX_OK; k++)
            rc = replay_layer(t, c, &c->tr[tr], k);
    if (rc == APEX_ERR_RANGE) {
        *reason = "lgkr: non-canonical sent value";
        return APEX_ERR_REJECTED;
    }
    return rc;
}

int apex_lgkr_verify(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                     const apex_lgkr_proof *pf, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    lg_ctx c;
    if (lgkr_shape_chk(sh, &c, 1, reason) != APEX_OK)
        return APEX_ERR_REJECTED;
    apex_cbuild *b = NULL;
    int rc = replay(t, sh, root_a, pf, &c, reason);
    if (rc == APEX_OK)
        rc = lgkr_standalone_system(&c, sh, &b, reason);
    if (rc == APEX_OK) {
        apex_ligero_constraints cons;
        const apex_gl *lin_b;
        const apex_gl2 *tval;
        apex_cbuild_view(b, &cons, &lin_b, &tval);
        const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->p_params};
        const apex_hash roots[3] = {*root_a, pf->root_m, pf->root_p};
        rc = apex_ligero_verify(ps, roots, 3, t, &cons, lin_b, tval, &pf->lig, reason);
    }
    apex_cbuild_destroy(&b);
    lgkr_ctx_free(&c);
    return rc == APEX_ERR_INVALID ? APEX_ERR_REJECTED : rc;
}

/* ---------------------------------------------------------------- composition */

int apex_lgkr_verify_draw(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                          const apex_lgkr_proof *pf, apex_lgkr_state **st, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (!(*st = calloc(1, sizeof **st)))
        return APEX_ERR_NOMEM;
    lg_ctx *c = &(*st)->c;
    int rc = lgkr_shape_chk(sh, c, 1, reason);
    if (rc == APEX_OK)
        rc = replay(t, sh, root_a, pf, c, reason);
    if (rc != APEX_OK)
        apex_lgkr_state_destroy(st);
    return rc == APEX_ERR_INVALID ? APEX_ERR_REJECTED : rc;
}

int apex_lgkr_emit(const apex_lgkr_state *st, const apex_ligero_params *ps, size_t n, size_t ia,
                   size_t im, size_t ip, apex_cbuild *b, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    return lgkr_emit_all(&st->c, ps, n, ia, im, ip, b, reason);
}

/* ---------------------------------------------------------------- encoding */

int apex_lgkr_proof_encode(const apex_lgkr_shape *sh, const apex_lgkr_proof *pf, apex_enc_writer *w)
{
    const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->p_params};
    size_t ns = apex_lgkr_sent_count(sh);
    if (!ns || pf->nsent != ns || !pf->sent)
        return APEX_ERR_INVALID;
    int rc = apex_enc_put_hash(w, &pf->root_m);
    if (rc == APEX_OK)
        rc = apex_enc_put_hash(w, &pf->root_p);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->sent, ns);
    return rc == APEX_OK ? apex_ligero_proof_encode(ps, 3, &pf->lig, w) : rc;
}

int apex_lgkr_proof_decode(const apex_lgkr_shape *sh, apex_enc_reader *r, apex_lgkr_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->p_params};
    size_t ns = apex_lgkr_sent_count(sh);
    if (!ns)
        return APEX_ERR_INVALID;
    if (!(pf->sent = apex_calloc_n(ns, sizeof *pf->sent)))
        return APEX_ERR_NOMEM;
    pf->nsent = ns;
    int rc = apex_enc_get_hash(r, &pf->root_m);
    if (rc == APEX_OK)
        rc = apex_enc_get_hash(r, &pf->root_p);
    if (rc == APEX_OK)
        rc = apex_enc_get_gl2_vec_exact(r, pf->sent, ns);
    if (rc == APEX_OK)
        rc = apex_ligero_proof_decode(ps, 3, r, &pf->lig);
    if (rc != APEX_OK)
        apex_lgkr_proof_free(pf);
    return rc;
}
