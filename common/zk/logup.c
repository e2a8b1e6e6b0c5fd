/* LogUp range check over a committed vector (protocol in logup.h). */
#include "zk/logup.h"

#include <stdlib.h>
#include <string.h>

#include "zk/ligero_impl.h"
#include "zk/logup_impl.h"

/* Shapes and challenges shared by the prover and the verifier. */
typedef struct lu_ctx {
    apex_ligero_dims da; /* C_a */
    apex_ligero_dims dm; /* C_m */
    apex_ligero_dims dh; /* C_h */
    size_t T;            /* table size 2^bits */
    size_t tr;           /* rows per table block in C_h, ceil(T / wr) */
    apex_gl2 X;          /* the LogUp point, never in F_p */
    apex_gl2 *sigma;     /* [nrow_a] row batching */
    apex_gl2 *rho;       /* [wr] slot batching */
    apex_gl2 *rhop;      /* [T] table batching */
} lu_ctx;

static void ctx_free(lu_ctx *c)
{
    free(c->sigma);
    free(c->rho);
    free(c->rhop);
}

static int shape_of(const apex_logup_shape *sh, lu_ctx *c, const char **reason)
{
    memset(c, 0, sizeof *c);
    if (sh->bits < 1 || sh->bits > APEX_LOGUP_MAX_BITS) {
        *reason = "logup: table width outside [1, APEX_LOGUP_MAX_BITS]";
        return APEX_ERR_INVALID;
    }
    if (apex_ligero_dims_of(&sh->a_params, &c->da, reason) != APEX_OK ||
        apex_ligero_dims_of(&sh->m_params, &c->dm, reason) != APEX_OK ||
        apex_ligero_dims_of(&sh->h_params, &c->dh, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    c->T = (size_t)1 << sh->bits;
    c->tr = (c->T + c->da.wr - 1) / c->da.wr;
    if (sh->h_params.log_block != sh->a_params.log_block ||
        sh->h_params.npad != sh->a_params.npad || c->dm.nw < c->T ||
        c->dh.nrow < 4 * c->da.nrow + 2 * c->tr) {
        *reason = "logup: helper or multiplicity commitment does not fit the checked one";
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

/* Absorb the roots and draw X (redrawn while in F_p), then, after root_h, the batching. */
static int draw_x(apex_transcript *t, const apex_logup_shape *sh, const apex_hash *root_a,
                  const apex_hash *root_m, lu_ctx *c)
{
    int rc = apex_transcript_absorb_u64(t, "logup.bits", sh->bits);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "logup.root_a", root_a->b, APEX_SHA256_LEN);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "logup.root_m", root_m->b, APEX_SHA256_LEN);
    do {
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &c->X, 1);
    } while (rc == APEX_OK && c->X.c1 == 0);
    return rc;
}

static int draw_batching(apex_transcript *t, const apex_hash *root_h, lu_ctx *c)
{
    c->sigma = apex_calloc_n(c->da.nrow, sizeof *c->sigma);
    c->rho = apex_calloc_n(c->da.wr, sizeof *c->rho);
    c->rhop = apex_calloc_n(c->T, sizeof *c->rhop);
    if (!c->sigma || !c->rho || !c->rhop)
        return APEX_ERR_NOMEM;
    int rc = apex_transcript_absorb_bytes(t, "logup.root_h", root_h->b, APEX_SHA256_LEN);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->sigma, c->da.nrow);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->rho, c->da.wr);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->rhop, c->T);
    return rc;
}

/* ---------------------------------------------------------------- constraints */

/* The constraint system over (C_a, C_m, C_h) with its owned arrays. */
typedef struct lu_cons {
    apex_ligero_quad *quads;      /* [2 nrow_a] Z0 = A H0, Z1 = A H1 */
    apex_gl2 *row1;               /* [nrow_h] row weights of the h (X - a) = 1 claim */
    apex_gl2 *row3;               /* [nrow_h] row weights of the sum claim */
    apex_gl2 *ones;               /* [wr] slot weights of the sum claim */
    apex_ligero_xterm *x2;        /* [3 T] the table claim */
    apex_ligero_xterm *x3;        /* [2 T] the sum claim's table part */
    apex_ligero_tensor tn[3];     /* the three claims */
    apex_gl2 tval[3];             /* their values */
    apex_ligero_constraints cons; /* the view handed to Ligero */
} lu_cons;

static void cons_free(lu_cons *z)
{
    free(z->quads);
    free(z->row1);
    free(z->row3);
    free(z->ones);
    free(z->x2);
    free(z->x3);
    memset(z, 0, sizeof *z); /* safe to free twice */
}

/* Where C_a, C_m and C_h sit in the joint proof's concatenation. */
typedef struct lu_place {
    size_t r_a; /* first row of C_a */
    size_t w_m; /* first witness index of C_m */
    size_t w_h; /* first witness index of C_h */
    size_t r_h; /* first row of C_h */
    size_t ih;  /* C_h's index in the commitment list */
} lu_place;

static int build(const lu_ctx *c, const lu_place *pl, lu_cons *z)
{
    memset(z, 0, sizeof *z);
    size_t na = c->da.nrow, nh = c->dh.nrow, wr = c->da.wr, T = c->T;
    size_t w_m = pl->w_m, w_h = pl->w_h, r_h = pl->r_h;
    z->quads = apex_calloc_n(2 * na, sizeof *z->quads);
    z->row1 = apex_calloc_n(nh, sizeof *z->row1);
    z->row3 = apex_calloc_n(nh, sizeof *z->row3);
    z->ones = apex_calloc_n(wr, sizeof *z->ones);
    z->x2 = apex_calloc_n(3 * T, sizeof *z->x2);
    z->x3 = apex_calloc_n(2 * T, sizeof *z->x3);
    if (!z->quads || !z->row1 || !z->row3 || !z->ones || !z->x2 || !z->x3) {
        cons_free(z);
        return APEX_ERR_NOMEM;
    }
    const apex_gl2 x = apex_gl2_make(0, 1), one = apex_gl2_from_gl(1);
    apex_gl2 ssum = apex_gl2_from_gl(0), rsum = apex_gl2_from_gl(0);
    for (size_t r = 0; r < na; r++) {
        z->quads[2 * r] = (apex_ligero_quad){pl->r_a + r, r_h + 4 * r, r_h + 4 * r + 2};
        z->quads[2 * r + 1] = (apex_ligero_quad){pl->r_a + r, r_h + 4 * r + 1, r_h + 4 * r + 3};
        apex_gl2 sx = apex_gl2_mul(c->sigma[r], c->X); /* h X - (Z0 + x Z1) */
        z->row1[4 * r] = sx;
        z->row1[4 * r + 1] = apex_gl2_mul(sx, x);
        z->row1[4 * r + 2] = apex_gl2_neg(c->sigma[r]);
        z->row1[4 * r + 3] = apex_gl2_neg(apex_gl2_mul(c->sigma[r], x));
        z->row3[4 * r] = one; /* sum of h */
        z->row3[4 * r + 1] = x;
        ssum = apex_gl2_add(ssum, c->sigma[r]);
    }
    for (size_t s = 0; s < wr; s++) {
        z->ones[s] = one;
        rsum = apex_gl2_add(rsum, c->rho[s]);
    }
    size_t g0 = w_h + 4 * na * wr, g1 = g0 + c->tr * wr; /* table blocks in C_h */
    for (size_t t = 0; t < T; t++) {
        apex_gl2 f = apex_gl2_mul(c->rhop[t], apex_gl2_sub(c->X, apex_gl2_from_gl(t)));
        z->x2[3 * t] = (apex_ligero_xterm){g0 + t, f};
        z->x2[3 * t + 1] = (apex_ligero_xterm){g1 + t, apex_gl2_mul(f, x)};
        z->x2[3 * t + 2] = (apex_ligero_xterm){w_m + t, apex_gl2_neg(c->rhop[t])};
        z->x3[2 * t] = (apex_ligero_xterm){g0 + t, apex_gl2_neg(one)};
        z->x3[2 * t + 1] = (apex_ligero_xterm){g1 + t, apex_gl2_neg(x)};
    }
    z->tn[0] = (apex_ligero_tensor){pl->ih, z->row1, c->rho, NULL, 0};
    z->tval[0] = apex_gl2_mul(ssum, rsum);
    z->tn[1] = (apex_ligero_tensor){0, NULL, NULL, z->x2, 3 * T};
    z->tn[2] = (apex_ligero_tensor){pl->ih, z->row3, z->ones, z->x3, 2 * T};
    z->cons = (apex_ligero_constraints){NULL, 0, 0, z->quads, 2 * na, z->tn, 3};
    return APEX_OK;
}

/* ---------------------------------------------------------------- prover */

void apex_logup_proof_free(apex_logup_proof *pf)
{
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}

/* A cheating prover (tests only), hiding out-of-range entries by balancing sum h = sum g:
 *   cheat 1: forged h, products faked so that h (X - a) = 1 holds: only Z = A * H catches it;
 *   cheat 2: forged h, honest products Z = A * H: only h (X - a) = 1 catches it;
 *   cheat 3: honest h, the table side g_0 shifted instead: only g (X - t) = m catches it. */
static void cheat_helpers(const lu_ctx *c, const apex_gl *a, const apex_gl *m, apex_gl2 *h)
{
    size_t M = c->da.nrow * c->da.wr, bad = SIZE_MAX;
    apex_gl2 sum_h = apex_gl2_from_gl(0), sum_g = apex_gl2_from_gl(0);
    for (size_t t = 0; t < c->T; t++) {
        apex_gl2 inv;
        apex_gl2_inv(apex_gl2_sub(c->X, apex_gl2_from_gl(t)), &inv);
        sum_g = apex_gl2_add(sum_g, apex_gl2_mul_gl(inv, m[t]));
    }
    for (size_t i = 0; i < M; i++) {
        if (a[i] >= c->T) {
            h[i] = apex_gl2_from_gl(0);
            bad = i;
        }
        sum_h = apex_gl2_add(sum_h, h[i]);
    }
    if (bad != SIZE_MAX)
        h[bad] = apex_gl2_sub(sum_g, sum_h);
}

/* C_h's witness: H0, H1, Z0, Z1 per row of C_a, then the G0 and G1 table blocks. */
static int helpers(const lu_ctx *c, const apex_gl *a, const apex_gl *m, apex_gl *hw, int cheat)
{
    size_t na = c->da.nrow, wr = c->da.wr, M = na * wr, T = c->T;
    apex_gl2 *den = apex_calloc_n(M > T ? M : T, sizeof *den);
    apex_gl2 *inv = apex_calloc_n(M > T ? M : T, sizeof *inv);
    int rc = den && inv ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t i = 0; i < M && rc == APEX_OK; i++)
        den[i] = apex_gl2_sub(c->X, apex_gl2_from_gl(a[i]));
    if (rc == APEX_OK)
        rc = apex_gl2_batch_inv(inv, den, M); /* X is not in F_p: no zero */
    if (rc == APEX_OK && (cheat == 1 || cheat == 2))
        cheat_helpers(c, a, m, inv);
    apex_gl2 shift = apex_gl2_from_gl(0); /* cheat 3: what the table side must absorb */
    for (size_t i = 0; i < M && cheat == 3; i++)
        if (a[i] >= c->T)
            shift = apex_gl2_add(shift, inv[i]);
    for (size_t i = 0; i < M && rc == APEX_OK; i++) {
        size_t r = i / wr, s = i % wr;
        apex_gl2 z = {apex_gl_mul(a[i], inv[i].c0), apex_gl_mul(a[i], inv[i].c1)};
        if (cheat == 1 && a[i] >= c->T) /* h X - z = 1 instead of z = a h */
            z = apex_gl2_sub(apex_gl2_mul(inv[i], c->X), apex_gl2_from_gl(1));
        hw[(4 * r) * wr + s] = inv[i].c0;
        hw[(4 * r + 1) * wr + s] = inv[i].c1;
        hw[(4 * r + 2) * wr + s] = z.c0;
        hw[(4 * r + 3) * wr + s] = z.c1;
    }
    for (size_t t = 0; t < T && rc == APEX_OK; t++)
        den[t] = apex_gl2_sub(c->X, apex_gl2_from_gl(t));
    if (rc == APEX_OK)
        rc = apex_gl2_batch_inv(inv, den, T);
    size_t g0 = 4 * na * wr, g1 = g0 + c->tr * wr;
    for (size_t t = 0; t < T && rc == APEX_OK; t++) {
        apex_gl2 g = apex_gl2_mul_gl(inv[t], m[t]);
        if (t == 0)
            g = apex_gl2_add(g, shift);
        hw[g0 + t] = g.c0;
        hw[g1 + t] = g.c1;
    }
    free(den);
    free(inv);
    return rc;
}

int apex_logup_prove(apex_transcript *t, const apex_logup_shape *sh, apex_ligero_commitment *ca,
                     apex_rng *test_rng, apex_logup_proof *out, const char **reason)
{
    return logup_prove_impl(t, sh, ca, test_rng, 0, out, reason);
}

/* Phase 1 of the prover: multiplicities, C_m, X, helpers, C_h, the batching. On success the
 * caller owns *cm and *ch and c holds the challenges. */
static int commit_phase(apex_transcript *t, const apex_logup_shape *sh, apex_ligero_commitment *ca,
                        apex_rng *test_rng, int cheat, lu_ctx *c, apex_ligero_commitment **cm,
                        apex_ligero_commitment **ch, apex_logup_proof *out, const char **reason)
{
    *cm = *ch = NULL;
    int rc = shape_of(sh, c, reason);
    if (rc != APEX_OK)
        return rc;
    if (ca->p.log_block != sh->a_params.log_block || ca->p.npad != sh->a_params.npad ||
        ca->p.nreq != sh->a_params.nreq || ca->p.nwrow != sh->a_params.nwrow) {
        *reason = "logup: the commitment does not have the shape's parameters";
        return APEX_ERR_INVALID;
    }
    size_t na = c->da.nrow, wr = c->da.wr, M = na * wr;
    apex_gl *a = apex_calloc_n(M, sizeof *a), *m = apex_calloc_n(c->dm.nw, sizeof *m);
    apex_gl *hw = apex_calloc_n(c->dh.nw, sizeof *hw);
    apex_gl *row = apex_calloc_n(c->da.block, sizeof *row);
    rc = APEX_ERR_NOMEM;
    *reason = "logup: out of memory";
    if (!a || !m || !hw || !row)
        goto done;
    *reason = "logup: row source failed";
    for (size_t r = 0; r < na; r++) { /* the values and their multiplicities */
        if ((rc = ligero_row_values(ca, r, row)) != APEX_OK)
            goto done;
        for (size_t s = 0; s < wr; s++) {
            a[r * wr + s] = row[s];
            if (a[r * wr + s] < c->T)
                m[a[r * wr + s]]++; /* a value out of range is not counted: the sums differ */
        }
    }
    *reason = "logup: commitment or transcript failure";
    rc = APEX_ERR_NOMEM;
    if (!(*cm = apex_ligero_commit(&sh->m_params, m, c->T, test_rng, &out->root_m, reason)))
        goto done;
    if ((rc = draw_x(t, sh, &ca->root, &out->root_m, c)) != APEX_OK ||
        (rc = helpers(c, a, m, hw, cheat)) != APEX_OK)
        goto done;
    rc = APEX_ERR_NOMEM;
    if (!(*ch = apex_ligero_commit(&sh->h_params, hw, c->dh.nw, test_rng, &out->root_h, reason)))
        goto done;
    rc = draw_batching(t, &out->root_h, c);
done:
    if (a)
        apex_wipe(a, M * sizeof *a);
    if (hw)
        apex_wipe(hw, c->dh.nw * sizeof *hw);
    free(a);
    free(m);
    free(hw);
    free(row);
    if (rc != APEX_OK) {
        apex_ligero_commitment_destroy(cm);
        apex_ligero_commitment_destroy(ch);
    }
    return rc;
}

int logup_prove_impl(apex_transcript *t, const apex_logup_shape *sh, apex_ligero_commitment *ca,
                     apex_rng *test_rng, int cheat, apex_logup_proof *out, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    lu_ctx c;
    lu_cons z = {0};
    apex_ligero_commitment *cm = NULL, *ch = NULL;
    int rc = commit_phase(t, sh, ca, test_rng, cheat, &c, &cm, &ch, out, reason);
    if (rc == APEX_OK) {
        lu_place pl = {0, c.da.nw, c.da.nw + c.dm.nw, c.da.nrow + c.dm.nrow, 2};
        rc = build(&c, &pl, &z);
    }
    if (rc == APEX_OK) {
        apex_ligero_commitment *all[3] = {ca, cm, ch};
        rc = apex_ligero_prove(all, 3, t, &z.cons, test_rng, &out->lig, reason);
    }
    cons_free(&z);
    ctx_free(&c);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&ch);
    if (rc != APEX_OK)
        apex_logup_proof_free(out);
    return rc;
}

/* ---------------------------------------------------------------- composition */

struct apex_logup_state {
    lu_ctx c; /* shapes and challenges of one range check */
};

void apex_logup_state_destroy(apex_logup_state **st)
{
    if (!st || !*st)
        return;
    ctx_free(&(*st)->c);
    free(*st);
    *st = NULL;
}

int apex_logup_prove_commit(apex_transcript *t, const apex_logup_shape *sh,
                            apex_ligero_commitment *ca, apex_rng *test_rng,
                            apex_ligero_commitment **cm, apex_ligero_commitment **ch,
                            apex_logup_proof *out, apex_logup_state **st, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    if (!(*st = calloc(1, sizeof **st)))
        return APEX_ERR_NOMEM;
    int rc = commit_phase(t, sh, ca, test_rng, 0, &(*st)->c, cm, ch, out, reason);
    if (rc != APEX_OK)
        apex_logup_state_destroy(st);
    return rc;
}

int apex_logup_verify_draw(apex_transcript *t, const apex_logup_shape *sh, const apex_hash *root_a,
                           const apex_logup_proof *pf, apex_logup_state **st, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (!(*st = calloc(1, sizeof **st)))
        return APEX_ERR_NOMEM;
    lu_ctx *c = &(*st)->c;
    int rc = shape_of(sh, c, reason);
    if (rc == APEX_OK)
        rc = draw_x(t, sh, root_a, &pf->root_m, c);
    if (rc == APEX_OK)
        rc = draw_batching(t, &pf->root_h, c);
    if (rc != APEX_OK)
        apex_logup_state_destroy(st);
    return rc == APEX_ERR_INVALID ? APEX_ERR_REJECTED : rc;
}

int apex_logup_emit(const apex_logup_state *st, const apex_ligero_params *ps, size_t n, size_t ia,
                    size_t im, size_t ih, apex_cbuild *b, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    const lu_ctx *c = &st->c;
    size_t w_off[APEX_LIGERO_MAX_COMMITS + 1], r_off[APEX_LIGERO_MAX_COMMITS + 1];
    if (n > APEX_LIGERO_MAX_COMMITS || ia >= n || im >= n || ih >= n || ia == im || ia == ih ||
        im == ih || apex_cbuild_layout(ps, n, w_off, r_off) != APEX_OK ||
        ps[ia].nwrow != c->da.nrow || ps[ih].nwrow != c->dh.nrow || ps[im].nwrow != c->dm.nrow) {
        *reason = "logup: C_a, C_m or C_h not where the commitment list says";
        return APEX_ERR_INVALID;
    }
    lu_place pl = {r_off[ia], w_off[im], w_off[ih], r_off[ih], ih};
    lu_cons z;
    int rc = build(c, &pl, &z);
    if (rc != APEX_OK)
        return rc; /* build freed what it had */
    for (size_t i = 0; i < z.cons.nquad && rc == APEX_OK; i++)
        rc = apex_cbuild_quad(b, z.quads[i].x, z.quads[i].y, z.quads[i].z);
    for (size_t i = 0; i < 3 && rc == APEX_OK; i++) {
        const apex_ligero_tensor *tn = &z.tn[i];
        size_t nrow = tn->row_w ? c->dh.nrow : 0, nslot = tn->row_w ? c->da.wr : 0;
        rc = apex_cbuild_tensor(b, tn->commit, tn->row_w, nrow, tn->slot_w, nslot, tn->terms,
                                tn->nterms, z.tval[i]);
    }
    cons_free(&z);
    return rc;
}

/* ---------------------------------------------------------------- verifier */

int apex_logup_verify(apex_transcript *t, const apex_logup_shape *sh, const apex_hash *root_a,
                      const apex_logup_proof *pf, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    lu_ctx c;
    if (shape_of(sh, &c, reason) != APEX_OK)
        return APEX_ERR_REJECTED;
    lu_cons z = {0};
    int rc = draw_x(t, sh, root_a, &pf->root_m, &c);
    if (rc == APEX_OK)
        rc = draw_batching(t, &pf->root_h, &c);
    if (rc == APEX_OK)
        rc = build(&c, &(lu_place){0, c.da.nw, c.da.nw + c.dm.nw, c.da.nrow + c.dm.nrow, 2}, &z);
    if (rc == APEX_OK) {
        const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->h_params};
        const apex_hash roots[3] = {*root_a, pf->root_m, pf->root_h};
        rc = apex_ligero_verify(ps, roots, 3, t, &z.cons, NULL, z.tval, &pf->lig, reason);
    }
    cons_free(&z);
    ctx_free(&c);
    return rc;
}

/* ---------------------------------------------------------------- encoding */

int apex_logup_proof_encode(const apex_logup_shape *sh, const apex_logup_proof *pf,
                            apex_enc_writer *w)
{
    const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->h_params};
    int rc = apex_enc_put_hash(w, &pf->root_m);
    if (rc == APEX_OK)
        rc = apex_enc_put_hash(w, &pf->root_h);
    return rc == APEX_OK ? apex_ligero_proof_encode(ps, 3, &pf->lig, w) : rc;
}

int apex_logup_proof_decode(const apex_logup_shape *sh, apex_enc_reader *r, apex_logup_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    const apex_ligero_params ps[3] = {sh->a_params, sh->m_params, sh->h_params};
    int rc = apex_enc_get_hash(r, &pf->root_m);
    if (rc == APEX_OK)
        rc = apex_enc_get_hash(r, &pf->root_h);
    if (rc == APEX_OK)
        rc = apex_ligero_proof_decode(ps, 3, r, &pf->lig);
    if (rc != APEX_OK)
        apex_logup_proof_free(pf);
    return rc;
}
