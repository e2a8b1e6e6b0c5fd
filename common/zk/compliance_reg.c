/* Registration: C_G and C_w(0) with their range proofs (compliance.h).
 *
 * C_r holds, for F = nb N B and D = nb B, the sections G + 2^(b_G-1) [F], that times
 * 2^(L - b_G) [F] (top-limb rule), and the limbs lo, hi, hi * 2^(2L - b_w) of w + 2^(b_w-1)
 * [D each]. LogUp proves every slot of C_r in [0, 2^L); one padded sumcheck over (j, i, b)
 * ties the sections to C_G and C_w with random combinations (eq(eta) over F, eq(eta') over
 * (j, b)) and proves w = 0 on the padding [d, D); one joint Ligero proof over
 * (C_G, C_w, C_r, C_m, C_h, C_pad, C_eval) covers everything. */
#include "zk/compliance_impl.h"

#include <stdlib.h>
#include <string.h>

#include "zk/mle.h"

/* Sub-domain of the registration transcript. */
#define REG_DOMAIN "apex-zk/compliance/register"

enum { R_CG, R_CW, R_CR, R_CM, R_CH, R_CPAD, R_CEVAL, R_N };
enum {
    RT_G,
    RT_W,
    RT_GL,
    RT_GL2,
    RT_WLO,
    RT_WHI,
    RT_WHI2,
    RT_NCOM,
    RT_TF = RT_NCOM,
    RT_TD,
    RT_P,
    RT_N
};
#define REG_NTERMS 10u

typedef struct reg_shape {
    apex_comp_dims dm;   /* the unlearning shapes (C_G, C_w, the digest) */
    apex_logup_shape lu; /* C_r, C_m, C_h */
    apex_zksc_shape zs;  /* the tie sumcheck */
    apex_ligero_params ps[R_N];
    size_t f, dd; /* F and D */
} reg_shape;

static int reg_shape_of(const apex_comp_config *cfg, reg_shape *rs, const char **reason)
{
    int rc = apex_comp_dims_of(cfg, &rs->dm, reason);
    if (rc != APEX_OK)
        return rc;
    if (cfg->sp.bits_g > cfg->sp.limb_bits) {
        *reason = "compliance: b_G wider than a limb";
        return APEX_ERR_INVALID;
    }
    rs->dd = (size_t)1 << (rs->dm.log_b + rs->dm.log_nb);
    rs->f = rs->dd << rs->dm.log_n;
    size_t wr = (size_t)1 << rs->dm.pw.log_block;
    rs->lu = rs->dm.lu;
    rs->lu.a_params.nwrow = (2 * rs->f + 3 * rs->dd + wr - 1) / wr;
    rs->lu.h_params.nwrow =
        rs->dm.lu.h_params.nwrow - 4 * rs->dm.lu.a_params.nwrow + 4 * rs->lu.a_params.nwrow;
    rs->zs = rs->dm.zs;
    rs->zs.ntab = RT_N;
    rs->zs.ncommitted = RT_NCOM;
    rs->zs.nterms = REG_NTERMS;
    const apex_ligero_params ps[R_N] = {rs->dm.pg,         rs->dm.pw,       rs->lu.a_params,
                                        rs->lu.m_params,   rs->lu.h_params, rs->zs.pad_params,
                                        rs->zs.eval_params};
    memcpy(rs->ps, ps, sizeof ps);
    if (rs->lu.h_params.nwrow > APEX_LIGERO_MAX_ROWS) {
        *reason = "compliance: registration too large for one commitment";
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

static void reg_terms(const apex_comp_config *cfg, const reg_shape *rs, apex_gl2 alpha,
                      apex_sumcheck_term *t, apex_gl2 *claim)
{
    const apex_stmt_params *s = &cfg->sp;
    apex_gl inv_n;
    apex_gl_inv(s->n_samples % APEX_GL_P, &inv_n);
    apex_gl2 a[5];
    a[0] = apex_gl2_from_gl(1);
    for (int i = 1; i < 5; i++)
        a[i] = apex_gl2_mul(a[i - 1], alpha);
    apex_gl2 an[5];
    for (int i = 0; i < 5; i++)
        an[i] = apex_gl2_mul_gl(a[i], inv_n);
    const apex_gl sg = (apex_gl)1 << (s->limb_bits - s->bits_g);
    const apex_gl sw = (apex_gl)1 << (2 * s->limb_bits - s->bits_w);
    const apex_gl two_l = (apex_gl)1 << s->limb_bits;
    const apex_sumcheck_term list[REG_NTERMS] = {
        {a[0], 2, {RT_TF, RT_G, 0, 0}},
        {apex_gl2_neg(a[0]), 2, {RT_TF, RT_GL, 0, 0}},
        {a[1], 2, {RT_TF, RT_GL2, 0, 0}},
        {apex_gl2_neg(apex_gl2_mul_gl(a[1], sg)), 2, {RT_TF, RT_GL, 0, 0}},
        {an[2], 2, {RT_TD, RT_W, 0, 0}},
        {apex_gl2_neg(an[2]), 2, {RT_TD, RT_WLO, 0, 0}},
        {apex_gl2_neg(apex_gl2_mul_gl(an[2], two_l)), 2, {RT_TD, RT_WHI, 0, 0}},
        {an[3], 2, {RT_TD, RT_WHI2, 0, 0}},
        {apex_gl2_neg(apex_gl2_mul_gl(an[3], sw)), 2, {RT_TD, RT_WHI, 0, 0}},
        {an[4], 2, {RT_P, RT_W, 0, 0}},
    };
    memcpy(t, list, sizeof list);
    (void)rs;
    apex_gl hg = (apex_gl)1 << (s->bits_g - 1), hw = (apex_gl)1 << (s->bits_w - 1);
    *claim = apex_gl2_neg(apex_gl2_add(apex_gl2_from_gl(hg), apex_gl2_mul_gl(a[2], hw)));
}

/* Challenges eta [k], eta' [log_b + log_nb], zeta' [same], alpha in one array. */
static int reg_draw(apex_transcript *t, const reg_shape *rs, apex_gl2 *ch)
{
    unsigned njb = rs->dm.log_b + rs->dm.log_nb;
    return apex_transcript_challenge_gl2(t, ch, rs->dm.k + 2 * njb + 1);
}

/* Views at r and the public tables' values. */
static int reg_at(const apex_comp_config *cfg, const reg_shape *rs, const apex_gl2 *ch,
                  const apex_gl2 *r, apex_zksc_view *views, apex_gl2 *pubv, apex_gl2 **store)
{
    unsigned lb = rs->dm.log_b, ln = rs->dm.log_n, lnb = rs->dm.log_nb, njb = lb + lnb;
    size_t wr = (size_t)1 << rs->dm.pw.log_block;
    static const size_t commit_of[RT_NCOM] = {R_CG, R_CW, R_CR, R_CR, R_CR, R_CR, R_CR};
    const size_t off[RT_NCOM] = {
        0, 0, 0, rs->f, 2 * rs->f, 2 * rs->f + rs->dd, 2 * rs->f + 2 * rs->dd};
    size_t total = 0;
    for (size_t v = 0; v < RT_NCOM; v++)
        total += rs->ps[commit_of[v]].nwrow + wr;
    apex_gl2 *buf = apex_calloc_n(total, sizeof *buf);
    *store = buf;
    if (!buf)
        return APEX_ERR_NOMEM;
    apex_gl2 pjb[2 * 64];
    memcpy(pjb, r, lb * sizeof *r);
    memcpy(pjb + lb, r + lb + ln, lnb * sizeof *r);
    int rc = APEX_OK;
    for (size_t v = 0; v < RT_NCOM && rc == APEX_OK; v++) {
        size_t nrow = rs->ps[commit_of[v]].nwrow;
        views[v] = (apex_zksc_view){commit_of[v], buf, buf + nrow};
        int full = v == RT_G || v == RT_GL || v == RT_GL2;
        rc = v == RT_G ? comp_view_fill_g(r, rs->dm.k, wr, nrow, buf, buf + nrow)
                       : comp_view_fill(off[v], full ? r : pjb, full ? rs->dm.k : njb, wr, nrow,
                                        buf, buf + nrow);
        buf += nrow + wr;
    }
    const apex_gl2 *eta = ch, *eta2 = ch + rs->dm.k, *zeta2 = eta2 + njb;
    pubv[RT_TF - RT_NCOM] = apex_mle_eq_point(eta, r, rs->dm.k);
    pubv[RT_TD - RT_NCOM] = apex_mle_eq_point(eta2, pjb, njb);
    apex_gl2 p = apex_gl2_from_gl(0);
    for (uint64_t x = cfg->d; x < rs->dd; x++)
        p = apex_gl2_add(p, apex_gl2_mul(comp_eq_at(zeta2, njb, x), comp_eq_at(pjb, njb, x)));
    pubv[RT_P - RT_NCOM] = p;
    return rc;
}

int comp_register_impl(const apex_comp_config *cfg, const apex_comp_public *pub, const int32_t *g,
                       const int32_t *w0, apex_ligero_commitment *cg, apex_ligero_commitment *cw0,
                       apex_rng *test_rng, int skip_checks, apex_comp_reg_proof *out,
                       const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    reg_shape rs;
    int rc = reg_shape_of(cfg, &rs, reason);
    if (rc != APEX_OK)
        return rc;
    const apex_stmt_params *s = &cfg->sp;
    const int64_t hg = (int64_t)1 << (s->bits_g - 1), hw = (int64_t)1 << (s->bits_w - 1);
    size_t fr = (size_t)rs.dm.nblk_real * s->n_samples * s->block, lb = rs.dm.log_b;
    for (size_t x = 0; x < fr && !skip_checks; x++)
        if (g[x] < -hg || g[x] >= hg) {
            *reason = "range check failed on G";
            return APEX_ERR_REJECTED;
        }
    for (uint64_t j = 0; j < cfg->d && !skip_checks; j++)
        if (w0[j] < -hw || w0[j] >= hw) {
            *reason = "range check failed on w";
            return APEX_ERR_REJECTED;
        }
    size_t nr = 2 * rs.f + 3 * rs.dd, njb = lb + rs.dm.log_nb;
    apex_gl *rv = apex_calloc_n(nr, sizeof *rv);
    apex_gl2 *tab = apex_calloc_n(RT_N * rs.f, sizeof *tab);
    apex_gl2 *ch = apex_calloc_n(rs.dm.k + 2 * njb + 1, sizeof *ch);
    apex_gl2 *r = apex_calloc_n(rs.dm.k + 1, sizeof *r), *store = NULL;
    apex_gl2 *eqs = apex_calloc_n(rs.f + 2 * rs.dd, sizeof *eqs);
    apex_ligero_commitment *cr = NULL, *cm = NULL, *chh = NULL, *cpad = NULL, *ceval = NULL;
    apex_logup_state *lst = NULL;
    apex_zksc_prover *zp = NULL;
    apex_cbuild *bld = NULL;
    apex_transcript *t = NULL;
    rc = APEX_ERR_NOMEM;
    *reason = "compliance: out of memory";
    if (!rv || !tab || !ch || !r || !eqs)
        goto done;
    const unsigned lbits = s->limb_bits, kw = s->bits_w - lbits;
    const int64_t one = (int64_t)1 << lbits; /* also read by the forger below */
    for (size_t x = 0; x < rs.f; x++) {
        size_t b = x >> (lb + rs.dm.log_n);
        int64_t gv = b < rs.dm.nblk_real ? g[x] : 0;
        rv[x] = apex_gl_from_i64(gv + hg);
        rv[rs.f + x] = apex_gl_mul(rv[x], (apex_gl)1 << (lbits - s->bits_g));
        if (skip_checks > 1) /* a forger: the top-limb copy reduced into the table */
            rv[rs.f + x] &= (apex_gl)one - 1;
    }
    for (size_t j = 0; j < rs.dd; j++) {
        int64_t v = (j < cfg->d ? w0[j] : 0) + hw, lo = v & (one - 1);
        rv[2 * rs.f + j] = (apex_gl)lo;
        rv[2 * rs.f + rs.dd + j] = apex_gl_from_i64((v - lo) / one);
        rv[2 * rs.f + 2 * rs.dd + j] =
            apex_gl_mul(rv[2 * rs.f + rs.dd + j], (apex_gl)1 << (lbits - kw));
    }
    *reason = "compliance: commitment failed";
    if (!(cr = apex_ligero_commit(&rs.lu.a_params, rv, nr, test_rng, &out->root_r, reason)))
        goto done;
    rc = APEX_ERR_NOMEM;
    if (!(t = comp_transcript_for(REG_DOMAIN, &rs.dm, pub)))
        goto done;
    if ((rc = apex_transcript_absorb_bytes(t, "root_r", out->root_r.b, 32)) != APEX_OK ||
        (rc = apex_logup_prove_commit(t, &rs.lu, cr, test_rng, &cm, &chh, &out->lu, &lst,
                                      reason)) != APEX_OK ||
        (rc = reg_draw(t, &rs, ch)) != APEX_OK)
        goto done;
    apex_gl2 *tb[RT_N];
    for (size_t q = 0; q < RT_N; q++)
        tb[q] = tab + q * rs.f;
    apex_mle_eq(eqs, ch, rs.dm.k);
    apex_mle_eq(eqs + rs.f, ch + rs.dm.k, njb);
    apex_mle_eq(eqs + rs.f + rs.dd, ch + rs.dm.k + njb, njb);
    for (size_t x = 0; x < rs.f; x++) {
        size_t j = x & (s->block - 1), b = x >> (lb + rs.dm.log_n), bj = (b << lb) | j;
        tb[RT_G][x] = apex_gl2_from_gl(apex_gl_sub(rv[x], (apex_gl)hg));
        tb[RT_W][x] = apex_gl2_from_gl(bj < cfg->d ? apex_gl_from_i64(w0[bj]) : 0);
        tb[RT_GL][x] = apex_gl2_from_gl(rv[x]);
        tb[RT_GL2][x] = apex_gl2_from_gl(rv[rs.f + x]);
        for (size_t q = 0; q < 3; q++)
            tb[RT_WLO + q][x] = apex_gl2_from_gl(rv[2 * rs.f + q * rs.dd + bj]);
        tb[RT_TF][x] = eqs[x];
        tb[RT_TD][x] = eqs[rs.f + bj];
        tb[RT_P][x] = bj >= cfg->d ? eqs[rs.f + rs.dd + bj] : apex_gl2_from_gl(0);
    }
    apex_sumcheck_term terms[REG_NTERMS];
    apex_gl2 claim;
    reg_terms(cfg, &rs, ch[rs.dm.k + 2 * njb], terms, &claim);
    apex_zksc_shape sh = rs.zs;
    sh.terms = terms;
    apex_zksc_view views[RT_NCOM];
    apex_gl2 pubv[RT_N - RT_NCOM];
    if ((rc = apex_zksc_prove_rounds(t, &sh, tb, claim, test_rng, &zp, r, reason)) != APEX_OK ||
        (rc = apex_zksc_prove_eval(&zp, t, &cpad, &ceval, &out->zs, reason)) != APEX_OK ||
        (rc = reg_at(cfg, &rs, ch, r, views, pubv, &store)) != APEX_OK)
        goto done;
    rc = APEX_ERR_NOMEM;
    if (!(bld = apex_cbuild_new()))
        goto done;
    if ((rc = apex_zksc_emit(&sh, claim, out->zs.rounds, r, views, pubv, rs.ps, R_N, R_CPAD,
                             R_CEVAL, bld, reason)) != APEX_OK ||
        (rc = apex_logup_emit(lst, rs.ps, R_N, R_CR, R_CM, R_CH, bld, reason)) != APEX_OK)
        goto done;
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(bld, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[R_N] = {cg, cw0, cr, cm, chh, cpad, ceval};
    rc = apex_ligero_prove(all, R_N, t, &cons, test_rng, &out->lig, reason);
done:
    if (rc != APEX_OK)
        apex_comp_reg_proof_free(out);
    apex_cbuild_destroy(&bld);
    apex_zksc_prover_destroy(&zp);
    apex_logup_state_destroy(&lst);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&cr);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&chh);
    apex_ligero_commitment_destroy(&cpad);
    apex_ligero_commitment_destroy(&ceval);
    free(rv);
    free(tab);
    free(ch);
    free(r);
    free(store);
    free(eqs);
    return rc;
}

int apex_comp_register_prove(const apex_comp_config *cfg, const apex_comp_public *pub,
                             const int8_t *g, const int32_t *w0, apex_ligero_commitment *cg,
                             apex_ligero_commitment *cw0, apex_rng *test_rng,
                             apex_comp_reg_proof *out, const char **reason)
{
    apex_comp_dims dm;
    int rc = apex_comp_dims_of(cfg, &dm, reason);
    if (rc != APEX_OK)
        return rc;
    size_t fr = (size_t)dm.nblk_real * cfg->sp.n_samples * cfg->sp.block;
    int32_t *gw = apex_calloc_n(fr, sizeof *gw);
    if (!gw)
        return APEX_ERR_NOMEM;
    for (size_t x = 0; x < fr; x++)
        gw[x] = g[x];
    rc = comp_register_impl(cfg, pub, gw, w0, cg, cw0, test_rng, 0, out, reason);
    free(gw);
    return rc;
}

/* Measured peak RSS of a registration (a harness around apex_comp_register_prove, N = 64,
 * B = 256): 357, 352 and 349 bytes per F entry at F = 2^22, 2^24 and 2^25; rounded up. */
#define REG_BYTES_PER_F 384u

size_t apex_comp_register_mem_estimate(const apex_comp_config *cfg)
{
    apex_comp_dims dm;
    const char *why = NULL;
    if (apex_comp_dims_of(cfg, &dm, &why) != APEX_OK)
        return 0;
    size_t dd = (size_t)1 << (dm.log_b + dm.log_nb), f = dd << dm.log_n;
    return f * REG_BYTES_PER_F + ((size_t)64 << 20);
}

int apex_comp_register_verify(const apex_comp_config *cfg, const apex_comp_public *pub,
                              const apex_comp_reg_proof *pf, const char **reason)
{
    const char *dummy, *why = NULL;
    if (!reason)
        reason = &dummy;
    reg_shape rs;
    int rc = reg_shape_of(cfg, &rs, reason);
    if (rc != APEX_OK)
        return rc;
    if (!pf->zs.rounds || !pf->lig.ldt) {
        *reason = "compliance: malformed registration proof";
        return APEX_ERR_REJECTED;
    }
    size_t njb = rs.dm.log_b + rs.dm.log_nb;
    apex_gl2 *ch = apex_calloc_n(rs.dm.k + 2 * njb + 1, sizeof *ch);
    apex_gl2 *r = apex_calloc_n(rs.dm.k + 1, sizeof *r), *store = NULL;
    apex_transcript *t = comp_transcript_for(REG_DOMAIN, &rs.dm, pub);
    apex_logup_state *lst = NULL;
    apex_cbuild *bld = NULL;
    rc = APEX_ERR_NOMEM;
    *reason = "compliance: out of memory";
    if (!ch || !r || !t)
        goto done;
    apex_sumcheck_term terms[REG_NTERMS];
    apex_gl2 claim;
    apex_zksc_shape sh = rs.zs;
    sh.terms = terms;
    if (apex_transcript_absorb_bytes(t, "root_r", pf->root_r.b, 32) != APEX_OK ||
        apex_logup_verify_draw(t, &rs.lu, &pf->root_r, &pf->lu, &lst, &why) != APEX_OK ||
        reg_draw(t, &rs, ch) != APEX_OK) {
        rc = APEX_ERR_REJECTED;
        *reason = "compliance: range-check commitments rejected";
        goto done;
    }
    reg_terms(cfg, &rs, ch[rs.dm.k + 2 * njb], terms, &claim);
    if (apex_zksc_verify_rounds(t, &sh, claim, &pf->zs, r, &why) != APEX_OK ||
        apex_zksc_verify_eval(t, &pf->zs) != APEX_OK) {
        rc = APEX_ERR_REJECTED;
        *reason = "compliance: sumcheck rounds rejected";
        goto done;
    }
    apex_zksc_view views[RT_NCOM];
    apex_gl2 pubv[RT_N - RT_NCOM];
    if ((rc = reg_at(cfg, &rs, ch, r, views, pubv, &store)) != APEX_OK)
        goto done;
    rc = APEX_ERR_NOMEM;
    if (!(bld = apex_cbuild_new()))
        goto done;
    if (apex_zksc_emit(&sh, claim, pf->zs.rounds, r, views, pubv, rs.ps, R_N, R_CPAD, R_CEVAL, bld,
                       &why) != APEX_OK ||
        apex_logup_emit(lst, rs.ps, R_N, R_CR, R_CM, R_CH, bld, &why) != APEX_OK) {
        rc = APEX_ERR_REJECTED;
        *reason = "compliance: constraint system could not be built";
        goto done;
    }
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(bld, &cons, &lin_b, &tval);
    const apex_hash roots[R_N] = {pub->root_g,   pub->root_w0,    pf->root_r,      pf->lu.root_m,
                                  pf->lu.root_h, pf->zs.root_pad, pf->zs.root_eval};
    rc = apex_ligero_verify(rs.ps, roots, R_N, t, &cons, lin_b, tval, &pf->lig, &why);
    if (rc == APEX_ERR_REJECTED) {
        LOG_DEBUG("registration: %s", why ? why : "?");
        *reason = "compliance: registration range proof rejected";
    } else if (rc != APEX_OK)
        *reason = "compliance: registration proof could not be checked";
done:
    apex_cbuild_destroy(&bld);
    apex_logup_state_destroy(&lst);
    apex_transcript_destroy(&t);
    free(ch);
    free(r);
    free(store);
    return rc;
}

void apex_comp_reg_proof_free(apex_comp_reg_proof *pf)
{
    apex_logup_proof_free(&pf->lu);
    apex_zksc_proof_free(&pf->zs);
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}

int apex_comp_reg_proof_encode(const apex_comp_config *cfg, const apex_comp_reg_proof *pf,
                               apex_enc_writer *w)
{
    reg_shape rs;
    const char *why;
    if (reg_shape_of(cfg, &rs, &why) != APEX_OK || !pf->zs.rounds)
        return APEX_ERR_INVALID;
    const apex_hash *h[5] = {&pf->root_r, &pf->lu.root_m, &pf->lu.root_h, &pf->zs.root_pad,
                             &pf->zs.root_eval};
    int rc = apex_enc_put_u32(w, APEX_COMP_PROOF_VERSION);
    for (size_t i = 0; i < 5 && rc == APEX_OK; i++)
        rc = apex_enc_put_hash(w, h[i]);
    if (rc == APEX_OK) /* degree 2: k rounds of 3 values */
        rc = apex_enc_put_gl2_vec(w, pf->zs.rounds, (size_t)rs.dm.k * 3);
    return rc == APEX_OK ? apex_ligero_proof_encode(rs.ps, R_N, &pf->lig, w) : rc;
}

int apex_comp_reg_proof_decode(const apex_comp_config *cfg, apex_enc_reader *r,
                               apex_comp_reg_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    reg_shape rs;
    const char *why;
    if (reg_shape_of(cfg, &rs, &why) != APEX_OK)
        return APEX_ERR_INVALID;
    uint32_t ver = 0;
    int rc = apex_enc_get_u32(r, &ver);
    if (rc == APEX_OK && ver != APEX_COMP_PROOF_VERSION)
        rc = APEX_ERR_FORMAT;
    apex_hash *h[5] = {&pf->root_r, &pf->lu.root_m, &pf->lu.root_h, &pf->zs.root_pad,
                       &pf->zs.root_eval};
    for (size_t i = 0; i < 5 && rc == APEX_OK; i++)
        rc = apex_enc_get_hash(r, h[i]);
    size_t nr = (size_t)rs.dm.k * 3;
    if (rc == APEX_OK && !(pf->zs.rounds = apex_calloc_n(nr, sizeof *pf->zs.rounds)))
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_enc_get_gl2_vec_exact(r, pf->zs.rounds, nr);
    if (rc == APEX_OK)
        rc = apex_ligero_proof_decode(rs.ps, R_N, r, &pf->lig);
    if (rc != APEX_OK)
        apex_comp_reg_proof_free(pf);
    return rc;
}
