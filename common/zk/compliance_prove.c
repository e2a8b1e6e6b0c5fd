/* The compliance prover (protocol in compliance.h). */
#include "zk/compliance_impl.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "zk/mle.h"

/* The prover's own checks of the witness, with the reason a verifier would reject. */
static int check_witness(const apex_comp_config *cfg, const apex_comp_dims *dm,
                         const apex_comp_public *pub, const int32_t *w0, const int32_t *w1,
                         const uint8_t *inz, const int64_t *rho, const char **reason)
{
    const apex_stmt_params *s = &cfg->sp;
    const int64_t half = (int64_t)1 << (s->bits_w - 1), tau = (int64_t)1 << s->tau_log2;
    for (size_t i = 0; i < pub->nmask; i++)
        if (w1[pub->mask[i]] != 0) {
            *reason = "mask constraint failed: w' is not zero on M";
            return APEX_ERR_REJECTED;
        }
    for (uint64_t j = 0; j < cfg->d; j++) {
        if (w1[j] < -half || w1[j] >= half) {
            *reason = "range check failed on w'";
            return APEX_ERR_REJECTED;
        }
        if (w0[j] < -half || w0[j] >= half) {
            *reason = "range check failed on w";
            return APEX_ERR_REJECTED;
        }
    }
    (void)dm;
    size_t bsz = s->block;
    for (uint64_t b = 0; b * bsz < cfg->d; b++) {
        int masked = 0;
        for (size_t j = 0; j < bsz && !masked; j++)
            masked = b * bsz + j < cfg->d && inz[b * bsz + j] == 1;
        for (size_t j = 0; j < bsz && !masked; j++)
            if (b * bsz + j < cfg->d && w1[b * bsz + j] != w0[b * bsz + j]) {
                *reason = "untouched block changed";
                return APEX_ERR_REJECTED;
            }
    }
    for (uint64_t j = 0; j < cfg->d; j++)
        if (!inz[j] && (rho[j] < -tau || rho[j] > tau - 1)) {
            *reason = "residual out of tolerance";
            return APEX_ERR_REJECTED;
        }
    return APEX_OK;
}

/* lo, hi, hi2 of v + off with L-bit limbs and a top limb of k bits (values wrap into F_p as
 * they fall: an out-of-range value gives limbs outside the table). */
static void limbs_of(int64_t v, int64_t off, unsigned lbits, unsigned k, apex_gl *lo, apex_gl *hi,
                     apex_gl *hi2)
{
    int64_t x = v + off, one = (int64_t)1 << lbits;
    int64_t l = x & (one - 1);
    *lo = (apex_gl)l;
    *hi = apex_gl_from_i64((x - l) / one);
    *hi2 = apex_gl_mul(*hi, (apex_gl)1 << (lbits - k));
}

typedef struct prove_mem {
    uint8_t *inz;       /* [D] 1 on the mask, 2 on padding */
    int64_t *u;         /* [nb N] */
    int64_t *rho;       /* [D] */
    apex_gl *uv;        /* [nb N] u as field elements */
    apex_gl *lv;        /* [6 D] limbs */
    apex_gl2 *tab;      /* [COMP_T_N][F] sumcheck tables */
    apex_gl2 *r;        /* [k] */
    apex_gl2 *wstore;   /* view weights */
    uint8_t *untouched; /* [nb] 1 for blocks without a mask coordinate */
    size_t nlv;         /* entries of lv */
} prove_mem;

static void mem_free(prove_mem *m, size_t f)
{
    free(m->untouched);
    free(m->inz);
    free(m->u);
    free(m->rho);
    free(m->uv);
    if (m->lv)
        OPENSSL_cleanse(m->lv, m->nlv * sizeof *m->lv);
    free(m->lv);
    if (m->tab)
        OPENSSL_cleanse(m->tab, COMP_T_N * f * sizeof *m->tab);
    free(m->tab);
    free(m->r);
    free(m->wstore);
}

/* Witness-derived vectors: z, u = G delta, rho = G^T u + Lambda delta (int64). */
static void compute_rho(const apex_comp_config *cfg, const apex_comp_dims *dm,
                        const apex_comp_public *pub, const int8_t *g, const int32_t *w0,
                        const int32_t *w1, prove_mem *m)
{
    size_t n = cfg->sp.n_samples, bsz = cfg->sp.block, dd = (size_t)1 << (dm->log_b + dm->log_nb);
    for (size_t i = 0; i < pub->nmask; i++)
        m->inz[pub->mask[i]] = 1;
    for (size_t x = cfg->d; x < dd; x++)
        m->inz[x] = 2;
    for (uint64_t b = 0; b < dm->nblk_real; b++) {
        const int8_t *gb = g + b * n * bsz;
        for (size_t i = 0; i < n; i++) {
            int64_t acc = 0;
            for (size_t j = 0; j < bsz && b * bsz + j < cfg->d; j++)
                acc += (int64_t)gb[i * bsz + j] * ((int64_t)w1[b * bsz + j] - w0[b * bsz + j]);
            m->u[b * n + i] = acc;
        }
        for (size_t j = 0; j < bsz && b * bsz + j < cfg->d; j++) {
            int64_t acc = (int64_t)cfg->sp.lambda * ((int64_t)w1[b * bsz + j] - w0[b * bsz + j]);
            for (size_t i = 0; i < n; i++)
                acc += (int64_t)gb[i * bsz + j] * m->u[b * n + i];
            m->rho[b * bsz + j] = acc;
        }
    }
}

int comp_prove_impl(const apex_comp_config *cfg, const apex_comp_public *pub, const int8_t *g,
                    const int32_t *w0, const int32_t *w1, apex_ligero_commitment *cg,
                    apex_ligero_commitment *cw0, apex_ligero_commitment *cw1, uint32_t *g_openings,
                    apex_rng *test_rng, const comp_cheat *cheat, apex_comp_proof *out,
                    const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    apex_comp_dims dm;
    int rc = apex_comp_dims_of(cfg, &dm, reason);
    if (rc != APEX_OK)
        return rc;
    if ((rc = comp_mask_ok(cfg, pub, reason)) != APEX_OK)
        return rc;
    const apex_stmt_params *s = &cfg->sp;
    size_t n = s->n_samples, bsz = s->block, lb = dm.log_b;
    size_t dd = (size_t)1 << (dm.log_b + dm.log_nb), nbn = dd >> lb << dm.log_n, f = nbn << lb;
    prove_mem m = {0};
    m.inz = apex_calloc_n(dd, 1);
    m.u = apex_calloc_n(nbn, sizeof *m.u);
    m.rho = apex_calloc_n(dd, sizeof *m.rho);
    m.uv = apex_calloc_n(nbn, sizeof *m.uv);
    m.lv = apex_calloc_n(COMP_L_NSEC * dd, sizeof *m.lv);
    m.nlv = COMP_L_NSEC * dd;
    m.untouched = apex_calloc_n(dd >> lb, 1);
    m.tab = apex_calloc_n(COMP_T_N * f, sizeof *m.tab);
    m.r = apex_calloc_n(dm.k + 1, sizeof *m.r);
    apex_ligero_commitment *cu = NULL, *cl = NULL, *cm = NULL, *ch = NULL, *cpad = NULL,
                           *ceval = NULL;
    apex_logup_state *lst = NULL;
    apex_zksc_prover *zp = NULL;
    apex_transcript *t = NULL;
    apex_cbuild *bld = NULL;
    comp_chal ch_ = {0};
    rc = APEX_ERR_NOMEM;
    *reason = "compliance: out of memory";
    if (!m.inz || !m.u || !m.rho || !m.uv || !m.lv || !m.tab || !m.r || !m.untouched)
        goto done;
    compute_rho(cfg, &dm, pub, g, w0, w1, &m);
    memset(m.untouched, 1, dd >> lb);
    for (size_t i = 0; i < pub->nmask; i++)
        m.untouched[pub->mask[i] >> lb] = 0;
    if (!(cheat && cheat->skip_checks) &&
        (rc = check_witness(cfg, &dm, pub, w0, w1, m.inz, m.rho, reason)) != APEX_OK)
        goto done;
    if (!g_openings || *g_openings >= cfg->kmax || apex_ligero_openings_left(cg) == 0 ||
        apex_ligero_openings_left(cw0) == 0 || apex_ligero_openings_left(cw1) == 0) {
        rc = APEX_ERR_STATE;
        *reason = "compliance: opening budget exhausted";
        goto done;
    }
    ++*g_openings; /* write-ahead: counted before anything about G~ leaves the prover */

    /* C_u and the limbs */
    const int64_t half = (int64_t)1 << (s->bits_w - 1), tau = (int64_t)1 << s->tau_log2;
    for (size_t x = 0; x < nbn; x++)
        m.uv[x] = apex_gl_from_i64(m.u[x]);
    for (size_t j = 0; j < dd; j++) {
        int64_t wv = j < cfg->d ? w1[j] : 0, rv = j < cfg->d && !m.inz[j] ? m.rho[j] : 0;
        limbs_of(wv, half, s->limb_bits, s->bits_w - s->limb_bits, &m.lv[COMP_L_WLO * dd + j],
                 &m.lv[COMP_L_WHI * dd + j], &m.lv[COMP_L_WHI2 * dd + j]);
        limbs_of(rv, tau, s->limb_bits, s->tau_log2 + 1 - s->limb_bits, &m.lv[COMP_L_RLO * dd + j],
                 &m.lv[COMP_L_RHI * dd + j], &m.lv[COMP_L_RHI2 * dd + j]);
    }
    if (cheat && cheat->forge_rho && cheat->rho_j < dd)
        for (int q = 0; q < 3; q++)
            m.lv[(COMP_L_RLO + (size_t)q) * dd + cheat->rho_j] = cheat->limbs[q];
    *reason = "compliance: commitment failed";
    if (!(cu = apex_ligero_commit(&dm.pu, m.uv, nbn, test_rng, &out->root_u, reason)) ||
        !(cl = apex_ligero_commit(&dm.lu.a_params, m.lv, COMP_L_NSEC * dd, test_rng, &out->root_l,
                                  reason)))
        goto done;
    rc = APEX_ERR_NOMEM;
    if (!(t = comp_transcript(&dm, pub)))
        goto done;
    if ((rc = apex_transcript_absorb_bytes(t, "root_u", out->root_u.b, 32)) != APEX_OK ||
        (rc = apex_transcript_absorb_bytes(t, "root_l", out->root_l.b, 32)) != APEX_OK ||
        (rc = apex_logup_prove_commit(t, &dm.lu, cl, test_rng, &cm, &ch, &out->lu, &lst, reason)) !=
            APEX_OK ||
        (rc = comp_chal_draw(t, &dm, &ch_)) != APEX_OK)
        goto done;

    /* the tables over (j, i, b) */
    apex_gl2 *tb[COMP_T_N];
    for (size_t q = 0; q < COMP_T_N; q++)
        tb[q] = m.tab + q * f;
    {
        unsigned njb = dm.log_b + dm.log_nb, nib = dm.log_n + dm.log_nb;
        apex_gl2 *eqs = apex_calloc_n(4 * dd + nbn, sizeof *eqs);
        rc = APEX_ERR_NOMEM;
        if (!eqs)
            goto done;
        apex_gl2 *eb = eqs, *ez = eqs + dd, *ez2 = eqs + 2 * dd, *et = eqs + 3 * dd,
                 *eg = eqs + 4 * dd;
        apex_mle_eq(eb, ch_.beta, njb);
        apex_mle_eq(ez, ch_.zeta, njb);
        apex_mle_eq(ez2, ch_.zeta2, njb);
        apex_mle_eq(et, ch_.eta, njb);
        apex_mle_eq(eg, ch_.gamma, nib);
        for (size_t x = 0; x < f; x++) {
            size_t j = x & (bsz - 1), bi = x >> lb, b = bi >> dm.log_n, bj = (b << lb) | j;
            int real = bj < cfg->d;
            uint8_t zt = m.inz[bj];
            int untouched = m.untouched[b];
            tb[COMP_T_G][x] = apex_gl2_from_gl(b < dm.nblk_real ? apex_gl_from_i64(g[x]) : 0);
            tb[COMP_T_W1][x] = apex_gl2_from_gl(real ? apex_gl_from_i64(w1[bj]) : 0);
            tb[COMP_T_W0][x] = apex_gl2_from_gl(real ? apex_gl_from_i64(w0[bj]) : 0);
            tb[COMP_T_U][x] = apex_gl2_from_gl(m.uv[bi]);
            for (size_t q = 0; q < COMP_L_NSEC; q++)
                tb[COMP_T_WLO + q][x] = apex_gl2_from_gl(m.lv[q * dd + bj]);
            tb[COMP_T_E1][x] = eg[bi];
            tb[COMP_T_C][x] = zt ? apex_gl2_from_gl(0) : eb[bj];
            tb[COMP_T_D][x] = untouched ? ez[bj] : apex_gl2_from_gl(0);
            tb[COMP_T_Z][x] = zt ? ez2[bj] : apex_gl2_from_gl(0);
            tb[COMP_T_P][x] = zt == 2 ? ez2[bj] : apex_gl2_from_gl(0);
            tb[COMP_T_T][x] = et[bj];
        }
        free(eqs);
    }
    (void)n;
    apex_sumcheck_term terms[COMP_NTERMS];
    apex_gl2 claim;
    comp_terms(cfg, &dm, &ch_, terms, &claim, pub);
    apex_zksc_shape sh = dm.zs;
    sh.terms = terms;
    if ((rc = apex_zksc_prove_rounds(t, &sh, tb, claim, test_rng, &zp, m.r, reason)) != APEX_OK ||
        (rc = apex_zksc_prove_eval(&zp, t, &cpad, &ceval, &out->zs, reason)) != APEX_OK)
        goto done;
    apex_zksc_view views[COMP_T_NCOMMITTED];
    apex_gl2 pubv[COMP_T_N - COMP_T_NCOMMITTED];
    if ((rc = comp_views(&dm, m.r, views, &m.wstore)) != APEX_OK)
        goto done;
    comp_pubvals(cfg, &dm, &ch_, pub, m.r, pubv);
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(&dm, ps);
    rc = APEX_ERR_NOMEM;
    if (!(bld = apex_cbuild_new()))
        goto done;
    if ((rc = apex_zksc_emit(&sh, claim, out->zs.rounds, m.r, views, pubv, ps, COMP_NCOMMIT,
                             COMP_CPAD, COMP_CEVAL, bld, reason)) != APEX_OK ||
        (rc = apex_logup_emit(lst, ps, COMP_NCOMMIT, COMP_CL, COMP_CM, COMP_CH, bld, reason)) !=
            APEX_OK)
        goto done;
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(bld, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[COMP_NCOMMIT] = {cg, cw0, cw1, cu, cl, cm, ch, cpad, ceval};
    rc = apex_ligero_prove(all, COMP_NCOMMIT, t, &cons, test_rng, &out->lig, reason);
done:
    if (rc != APEX_OK)
        apex_comp_proof_free(out);
    apex_cbuild_destroy(&bld);
    apex_zksc_prover_destroy(&zp);
    apex_logup_state_destroy(&lst);
    apex_transcript_destroy(&t);
    comp_chal_free(&ch_);
    apex_ligero_commitment_destroy(&cu);
    apex_ligero_commitment_destroy(&cl);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&ch);
    apex_ligero_commitment_destroy(&cpad);
    apex_ligero_commitment_destroy(&ceval);
    mem_free(&m, f);
    return rc;
}

int apex_comp_prove(const apex_comp_config *cfg, const apex_comp_public *pub, const int8_t *g,
                    const int32_t *w0, const int32_t *w1, apex_ligero_commitment *cg,
                    apex_ligero_commitment *cw0, apex_ligero_commitment *cw1, uint32_t *g_openings,
                    apex_rng *test_rng, apex_comp_proof *out, const char **reason)
{
    return comp_prove_impl(cfg, pub, g, w0, w1, cg, cw0, cw1, g_openings, test_rng, NULL, out,
                           reason);
}

void apex_comp_proof_free(apex_comp_proof *pf)
{
    apex_logup_proof_free(&pf->lu);
    apex_zksc_proof_free(&pf->zs);
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}
