/* The compliance prover (protocol in compliance.h). */
#include "zk/compliance_impl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zk/i8dot.h"
#include "zk/ligero_impl.h"
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

/* lo, hi of v + off with L-bit limbs (values wrap into F_p as they fall: an out-of-range
 * value gives a top limb outside its table). */
static void limbs_of(int64_t v, int64_t off, unsigned lbits, apex_gl *lo, apex_gl *hi)
{
    int64_t x = v + off, one = (int64_t)1 << lbits;
    int64_t l = x & (one - 1);
    *lo = (apex_gl)l;
    *hi = apex_gl_from_i64((x - l) / one);
}

typedef struct prove_mem {
    uint8_t *inz;       /* [D] 1 on the mask, 2 on padding */
    int64_t *u;         /* [nb N] */
    int64_t *rho;       /* [D] */
    apex_gl *uv;        /* [nb N] u as field elements */
    apex_gl *lv;        /* [COMP_L_NSEC] sections of limbs, comp_l_stride apart */
    apex_gl2 *tab;      /* [COMP_B_N][D] sumcheck tables (stage A uses [COMP_A_N][nb N]) */
    apex_gl2 *ra;       /* [log_n + log_nb] stage A's point (i2, b2) */
    apex_gl2 *rb;       /* [log_b + log_nb] stage B's point (j3, b3) */
    apex_gl2 *wstore;   /* view weights, stage A */
    apex_gl2 *wstoreb;  /* view weights, stage B */
    uint8_t *untouched; /* [nb] 1 for blocks without a mask coordinate */
    size_t nlv;         /* entries of lv */
    size_t nbn, dd;     /* entries of u and uv, of rho */
} prove_mem;

/* Rows of the limbs vector lv (wr values per row, zeros past n) for C_l's row source. */
typedef struct lv_rows {
    const apex_gl *v; /* [n] */
    size_t n;         /* entries */
    size_t wr;        /* values per row (BLOCK) */
} lv_rows;

static int lv_row(void *ctx, size_t row, apex_gl *out)
{
    const lv_rows *s = ctx;
    size_t lo = row * s->wr, k = lo < s->n ? s->n - lo : 0;
    k = k < s->wr ? k : s->wr;
    if (k)
        memcpy(out, s->v + lo, k * sizeof *out);
    memset(out + k, 0, (s->wr - k) * sizeof *out);
    return APEX_OK;
}

/* C_l keeps its encoded tableau in memory for the proof's duration (nrow * 4 BLOCK * 8 bytes,
 * 128 MB at d = 10^6 and BLOCK 2^15), so that opening its columns copies NREQ columns instead
 * of re-encoding its rows. The rows stream from src, which outlives the commitment. */
static apex_ligero_commitment *commit_cl(const apex_comp_dims *dm, const lv_rows *src,
                                         apex_rng *test_rng, apex_hash *root, const char **reason)
{
    return apex_ligero_commit_rows_mem(&dm->lg.a_params, lv_row, (void *)src, test_rng, root,
                                       reason);
}

static void mem_free(prove_mem *m, size_t ntab)
{
    free(m->untouched);
    free(m->inz);
    apex_wipe(m->u, m->u ? m->nbn * sizeof *m->u : 0); /* u = G~ delta and rho are the witness's */
    apex_wipe(m->rho, m->rho ? m->dd * sizeof *m->rho : 0);
    apex_wipe(m->uv, m->uv ? m->nbn * sizeof *m->uv : 0);
    free(m->u);
    free(m->rho);
    free(m->uv);
    if (m->lv)
        apex_wipe(m->lv, m->nlv * sizeof *m->lv);
    free(m->lv);
    if (m->tab)
        apex_wipe(m->tab, ntab * sizeof *m->tab);
    free(m->tab);
    free(m->ra);
    free(m->rb);
    free(m->wstore);
    free(m->wstoreb);
}

/* Witness-derived vectors: z, u = G delta, rho = G^T u + Lambda delta (int64). */
/* u = G~ delta and rho = G~^T u + Lambda delta, block by block; the blocks split over the
 * threads (disjoint writes). */
typedef struct rho_arg {
    const apex_comp_config *cfg;
    const int8_t *g;
    const int32_t *w0, *w1;
    const comp_cheat *cheat;
    prove_mem *m;
} rho_arg;

static void rho_slice(par_job *job)
{
    const rho_arg *a = job->arg;
    const apex_comp_config *cfg = a->cfg;
    const int32_t *w0 = a->w0, *w1 = a->w1;
    prove_mem *m = a->m;
    size_t n = cfg->sp.n_samples, bsz = cfg->sp.block;
    for (uint64_t b = job->lo; b < job->hi; b++) {
        const int8_t *gb = a->g + b * n * bsz;
        for (size_t i = 0; i < n; i++) {
            int64_t acc = 0;
            for (size_t j = 0; j < bsz && b * bsz + j < cfg->d; j++)
                acc += (int64_t)gb[i * bsz + j] * ((int64_t)w1[b * bsz + j] - w0[b * bsz + j]);
            m->u[b * n + i] = acc;
        }
        if (b == 0 && a->cheat && a->cheat->perturb_u)
            m->u[0] += 1;
        for (size_t j = 0; j < bsz && b * bsz + j < cfg->d; j++) {
            int64_t acc = (int64_t)cfg->sp.lambda * ((int64_t)w1[b * bsz + j] - w0[b * bsz + j]);
            for (size_t i = 0; i < n; i++)
                acc += (int64_t)gb[i * bsz + j] * m->u[b * n + i];
            m->rho[b * bsz + j] = acc;
        }
    }
    job->rc = APEX_OK;
}

static void compute_rho(const apex_comp_config *cfg, const apex_comp_dims *dm,
                        const apex_comp_public *pub, const int8_t *g, const int32_t *w0,
                        const int32_t *w1, const comp_cheat *cheat, prove_mem *m)
{
    size_t dd = (size_t)1 << (dm->log_b + dm->log_nb);
    for (size_t i = 0; i < pub->nmask; i++)
        m->inz[pub->mask[i]] = 1;
    for (size_t x = cfg->d; x < dd; x++)
        m->inz[x] = 2;
    rho_arg a = {cfg, g, w0, w1, cheat, m};
    ligero_par_run(rho_slice, &a, (size_t)dm->nblk_real);
}

/* Stage B's tables over the grouped formulation (the order of tb[]). */
enum { F_C, F_D, F_Z, F_P, F_T, F_EB, F_G, F_L1, F_DW, F_W1, F_W0, F_L4, F_L5, F_N };

/* Inputs of stage B's table construction, split over the threads by x (disjoint writes). */
typedef struct tabs_b_arg {
    uint64_t d;                                 /* real weights */
    unsigned lb;                                /* log B */
    size_t dd;                                  /* D */
    size_t ls;                                  /* C_l's section stride */
    const uint8_t *inz;                         /* [D] 1 on the mask, 2 on padding */
    const uint8_t *untouched;                   /* [nb] */
    const int32_t *w0, *w1;                     /* [d] */
    const apex_gl *lv;                          /* limbs, sections ls apart */
    const apex_gl2 *ez, *ez2, *et, *eb2, *ctab; /* eq tables and c */
    const comp_b_coef *kc;                      /* the challenges' coefficients */
    apex_gl2 *const *tb; /* [F_N] outputs ([D] each; F_G is written elsewhere) */
} tabs_b_arg;

static void tabs_b_slice(par_job *j)
{
    const tabs_b_arg *a = j->arg;
    const comp_b_coef *kc = a->kc;
    apex_gl2 *const *tb = a->tb;
    const apex_gl2 zero = apex_gl2_from_gl(0);
    const apex_gl *lv = a->lv;
    size_t ls = a->ls;
    for (size_t x = j->lo; x < j->hi; x++) {
        size_t b = x >> a->lb;
        int real = x < a->d;
        uint8_t zt = a->inz[x];
        apex_gl w1v = real ? apex_gl_from_i64(a->w1[x]) : 0,
                w0v = real ? apex_gl_from_i64(a->w0[x]) : 0;
        apex_gl wlo = lv[COMP_L_WLO * ls + x], whi = lv[COMP_L_WHI * ls + x];
        apex_gl rlo = lv[COMP_L_RLO * ls + x], rhi = lv[COMP_L_RHI * ls + x];
        apex_gl dw = apex_gl_sub(w1v, w0v);
        /* alpha (rlo + 2^L rhi - Lambda delta) */
        apex_gl l1 = apex_gl_add(apex_gl_add(rlo, apex_gl_mul(kc->two16, rhi)),
                                 apex_gl_neg(apex_gl_mul(kc->lam, dw)));
        /* alpha^4 (w' - lo - 2^L hi) */
        apex_gl t4 = apex_gl_sub(apex_gl_sub(w1v, wlo), apex_gl_mul(kc->two16, whi));
        tb[F_C][x] = a->ctab[x];
        tb[F_D][x] = a->untouched[b] ? a->ez[x] : zero;
        tb[F_Z][x] = zt ? apex_gl2_mul(kc->a[3], a->ez2[x]) : zero;
        tb[F_P][x] = zt == 2 ? apex_gl2_mul(kc->a[7], a->ez2[x]) : zero;
        tb[F_T][x] = a->et[x];
        tb[F_EB][x] = a->eb2[b];
        tb[F_L1][x] = apex_gl2_mul_gl(kc->a[1], l1);
        tb[F_DW][x] = apex_gl2_mul_gl(kc->a[2], dw);
        tb[F_W1][x] = apex_gl2_from_gl(w1v);
        tb[F_W0][x] = apex_gl2_from_gl(w0v);
        tb[F_L4][x] = apex_gl2_mul_gl(kc->a[4], t4);
        tb[F_L5][x] = apex_gl2_add(apex_gl2_mul_gl(kc->a2, dw), apex_gl2_mul(kc->a22, a->ctab[x]));
    }
    j->rc = APEX_OK;
}

/* The two passes over G~ ([nblk_real][N][B] int8). An int8 times a canonical element summed
 * over at most 2^16 terms fits in 128 bits when the int8 is shifted to [0, 256): so each
 * coordinate accumulates sum (g + 128) x exactly and subtracts 128 sum x once. */
typedef struct gpass_arg {
    const int8_t *g;   /* G~ */
    size_t n, bsz;     /* N, B */
    uint64_t nblk;     /* blocks G~ holds (the rest are zero) */
    const apex_gl2 *w; /* pass 1: c over (b, j) [D]; pass 2: eq(i2, i) [N] */
    apex_gl2 *out;     /* pass 1: [nb N] sum_j c G~; pass 2: [D] sum_i eq(i2, i) G~ */
} gpass_arg;

static apex_gl2 lazy_finish(unsigned __int128 a0, unsigned __int128 a1, apex_gl s0, apex_gl s1)
{
    apex_gl c0 = apex_gl_sub(apex_gl_reduce128(a0), apex_gl_mul(s0, 128));
    apex_gl c1 = apex_gl_sub(apex_gl_reduce128(a1), apex_gl_mul(s1, 128));
    return apex_gl2_make(c0, c1);
}

/* Pass 1 over blocks [lo, hi): out[b N + i] = sum_j c(b, j) G~(b, i, j). */
static void gpass_c(par_job *j)
{
    gpass_arg *a = j->arg;
    unsigned __int128(*acc)[2] = apex_calloc_n(a->n, sizeof *acc);
    if (!acc) {
        j->rc = APEX_ERR_NOMEM;
        return;
    }
    for (size_t b = j->lo; b < j->hi; b++) {
        const apex_gl2 *c = a->w + b * a->bsz;
        apex_gl s0 = 0, s1 = 0;
        for (size_t q = 0; q < a->bsz; q++) {
            s0 = apex_gl_add(s0, c[q].c0);
            s1 = apex_gl_add(s1, c[q].c1);
        }
        if (b >= a->nblk) {
            for (size_t i = 0; i < a->n; i++)
                a->out[b * a->n + i] = apex_gl2_from_gl(0);
            continue;
        }
        apex_i8_rows_dot(a->g + b * a->n * a->bsz, a->n, a->bsz, c, acc);
        for (size_t i = 0; i < a->n; i++)
            a->out[b * a->n + i] = lazy_finish(acc[i][0], acc[i][1], s0, s1);
    }
    apex_wipe(acc, a->n * sizeof *acc); /* sums of G~ */
    free(acc);
    j->rc = APEX_OK;
}

/* Pass 2 over blocks [lo, hi): out[b B + j] = sum_i e(i) G~(b, i, j). */
static void gpass_fold(par_job *j)
{
    gpass_arg *a = j->arg;
    unsigned __int128(*acc)[2] = apex_calloc_n(a->bsz, sizeof *acc);
    if (!acc) {
        j->rc = APEX_ERR_NOMEM;
        return;
    }
    apex_gl s0 = 0, s1 = 0;
    for (size_t i = 0; i < a->n; i++) {
        s0 = apex_gl_add(s0, a->w[i].c0);
        s1 = apex_gl_add(s1, a->w[i].c1);
    }
    for (size_t b = j->lo; b < j->hi; b++) {
        apex_gl2 *o = a->out + b * a->bsz;
        if (b >= a->nblk) {
            for (size_t q = 0; q < a->bsz; q++)
                o[q] = apex_gl2_from_gl(0);
            continue;
        }
        apex_i8_cols_dot(a->g + b * a->n * a->bsz, a->n, a->bsz, a->w, acc);
        for (size_t q = 0; q < a->bsz; q++)
            o[q] = lazy_finish(acc[q][0], acc[q][1], s0, s1);
    }
    apex_wipe(acc, a->bsz * sizeof *acc);
    free(acc);
    j->rc = APEX_OK;
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
    size_t dd = (size_t)1 << (dm.log_b + dm.log_nb), nbn = dd >> lb << dm.log_n;
    size_t ntab = COMP_B_N * dd > COMP_A_N * nbn ? COMP_B_N * dd : COMP_A_N * nbn;
    /* the stage tables' memory serves the LogUp-GKR's witness tree first (it runs before
     * them), so both touch the same pages; mem_free wipes all of it */
    size_t nlg = apex_lgkr_arena_entries(&dm.lg);
    ntab = nlg > ntab ? nlg : ntab;
    size_t ls = comp_l_stride(&dm);
    prove_mem m = {0};
    m.inz = apex_calloc_n(dd, 1);
    m.u = apex_calloc_n(nbn, sizeof *m.u);
    m.rho = apex_calloc_n(dd, sizeof *m.rho);
    m.uv = apex_calloc_n(nbn, sizeof *m.uv);
    m.lv = apex_calloc_n(COMP_L_NSEC * ls, sizeof *m.lv);
    m.nlv = COMP_L_NSEC * ls;
    m.nbn = nbn;
    m.dd = dd;
    m.untouched = apex_calloc_n(dd >> lb, 1);
    m.tab = apex_calloc_n(ntab, sizeof *m.tab);
    m.ra = apex_calloc_n(dm.za.k + 1, sizeof *m.ra);
    m.rb = apex_calloc_n(dm.zb.k + 1, sizeof *m.rb);
    apex_ligero_commitment *cu = NULL, *cl = NULL, *cm = NULL, *cp = NULL, *cpada = NULL,
                           *cevala = NULL, *cpadb = NULL, *cevalb = NULL;
    lv_rows lv_src = {NULL, 0, 1};
    apex_gl2 *ctab = NULL;
    apex_lgkr_state *lst = NULL;
    apex_zksc_prover *zp = NULL;
    apex_transcript *t = NULL;
    apex_cbuild *bld = NULL;
    comp_chal ch_ = {0};
    rc = APEX_ERR_NOMEM;
    *reason = "compliance: out of memory";
    if (!m.inz || !m.u || !m.rho || !m.uv || !m.lv || !m.tab || !m.ra || !m.rb || !m.untouched)
        goto done;
    compute_rho(cfg, &dm, pub, g, w0, w1, cheat, &m);
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
    zk_phase tph;
    zk_phase_start(&tph);
    LOG_DEBUG("compliance prove: witness checked (D = %zu, nb N = %zu)", dd, nbn);

    /* C_u and the limbs */
    const int64_t half = (int64_t)1 << (s->bits_w - 1), tau = (int64_t)1 << s->tau_log2;
    for (size_t x = 0; x < nbn; x++)
        m.uv[x] = apex_gl_from_i64(m.u[x]);
    for (size_t j = 0; j < dd; j++) {
        int64_t wv = j < cfg->d ? w1[j] : 0, rv = j < cfg->d && !m.inz[j] ? m.rho[j] : 0;
        limbs_of(wv, half, s->limb_bits, &m.lv[COMP_L_WLO * ls + j], &m.lv[COMP_L_WHI * ls + j]);
        limbs_of(rv, tau, s->limb_bits, &m.lv[COMP_L_RLO * ls + j], &m.lv[COMP_L_RHI * ls + j]);
    }
    if (cheat && cheat->forge_rho && cheat->rho_j < dd)
        for (int q = 0; q < 2; q++)
            m.lv[(COMP_L_RLO + (size_t)q) * ls + cheat->rho_j] = cheat->limbs[q];
    *reason = "compliance: commitment failed";
    lv_src = (lv_rows){m.lv, COMP_L_NSEC * ls, (size_t)1 << dm.lg.a_params.log_block};
    if (!(cu = apex_ligero_commit(&dm.pu, m.uv, nbn, test_rng, &out->root_u, reason)) ||
        !(cl = commit_cl(&dm, &lv_src, test_rng, &out->root_l, reason)))
        goto done;
    zk_phase_done(&tph, "compliance prove", "C_u, C_l committed");
    rc = APEX_ERR_NOMEM;
    if (!(t = comp_transcript(&dm, pub)))
        goto done;
    if ((rc = apex_transcript_absorb_bytes(t, "root_u", out->root_u.b, 32)) != APEX_OK ||
        (rc = apex_transcript_absorb_bytes(t, "root_l", out->root_l.b, 32)) != APEX_OK ||
        (rc = apex_lgkr_prove_commit_in(t, &dm.lg, cl, test_rng, &cm, &cp, &out->lg, &lst, m.tab,
                                        ntab, reason)) != APEX_OK ||
        (rc = comp_chal_draw(t, &dm, &ch_)) != APEX_OK)
        goto done;

    zk_phase_done(&tph, "compliance prove", "LogUp-GKR proven (C_m, C_p committed)");
    /* c(b, j) = eq(beta, (b, j)) (1 - z) over D; both stages use it */
    unsigned njb = dm.log_b + dm.log_nb, nib = dm.log_n + dm.log_nb;
    rc = APEX_ERR_NOMEM;
    if (!(ctab = apex_calloc_n(dd, sizeof *ctab)))
        goto done;
    apex_mle_eq(ctab, ch_.beta, njb);
    for (size_t x = 0; x < dd; x++)
        if (m.inz[x])
            ctab[x] = apex_gl2_from_gl(0);

    /* stage A over (b, i): U, GD = G~ delta (= u), GC = sum_j c G~, E1 = eq(gamma) */
    {
        apex_gl2 *ta[COMP_A_N];
        for (size_t q = 0; q < COMP_A_N; q++)
            ta[q] = m.tab + q * nbn;
        for (size_t x = 0; x < nbn; x++)
            ta[COMP_A_U][x] = ta[COMP_A_GD][x] = apex_gl2_from_gl(m.uv[x]);
        gpass_arg ga = {g, n, bsz, dm.nblk_real, ctab, ta[COMP_A_GC]};
        if ((rc = ligero_par_run(gpass_c, &ga, dd >> lb)) != APEX_OK)
            goto done;
        if (cheat && cheat->perturb_gc)
            ta[COMP_A_GC][0] = apex_gl2_add(ta[COMP_A_GC][0], apex_gl2_from_gl(1));
        if (cheat && cheat->perturb_gd)
            ta[COMP_A_GD][0] = apex_gl2_add(ta[COMP_A_GD][0], apex_gl2_from_gl(1));
        apex_mle_eq(ta[COMP_A_E1], ch_.gamma, nib);
        apex_sumcheck_term terms[COMP_A_NTERMS];
        comp_terms_a(&ch_, terms);
        apex_zksc_shape sh = dm.za;
        sh.terms = terms;
        if ((rc = apex_zksc_prove_rounds(t, &sh, ta, apex_gl2_from_gl(0), test_rng, &zp, m.ra,
                                         reason)) != APEX_OK)
            goto done;
        apex_gl2 sa = apex_zksc_prover_sum(zp);
        if ((rc = apex_zksc_prove_eval_ex(&zp, t, &sa, 1, &cpada, &cevala, &out->zs, reason)) !=
            APEX_OK)
            goto done;
    }
    if ((rc = apex_transcript_challenge_gl2(t, &ch_.alpha2, 1)) != APEX_OK)
        goto done;

    zk_phase_done(&tph, "compliance prove", "stage A (sum_j c G~ pass, rounds, C_eval_A)");
    /* stage B over (b, j). The rounds run over an equivalent formulation with the terms
     * grouped by their public factor and each group's linear combination of committed tables
     * merged into one table (folding is linear, so the sum is the same polynomial and the
     * round values are identical): 6 products per point instead of 18 terms. The committed
     * tables' values at r_B come from the folded G, W1, W0 and from the limbs' extensions. */
    apex_sumcheck_term termsb[COMP_B_NTERMS];
    apex_gl2 claimb;
    comp_terms_b(cfg, &dm, &ch_, termsb, &claimb, pub);
    apex_zksc_shape shb = dm.zb;
    shb.terms = termsb;
    {
        const apex_gl2 one = apex_gl2_from_gl(1);
        const apex_sumcheck_term fast[] = {{one, 2, {F_C, F_L1, 0}}, {one, 2, {F_D, F_DW, 0}},
                                           {one, 2, {F_Z, F_W1, 0}}, {one, 2, {F_P, F_W0, 0}},
                                           {one, 2, {F_T, F_L4, 0}}, {one, 3, {F_EB, F_G, F_L5}}};
        comp_b_coef kc;
        comp_b_coefs(cfg, &ch_, &kc);
        unsigned flat[F_N] = {0}; /* EB = eq(b2, b) does not depend on j, the low variables */
        flat[F_EB] = dm.log_b;
        apex_gl2 *tb[F_N];
        for (size_t q = 0; q < F_N; q++)
            tb[q] = m.tab + q * dd;
        apex_gl2 *ei = apex_calloc_n((size_t)n + ((size_t)1 << dm.log_nb), sizeof *ei);
        rc = APEX_ERR_NOMEM;
        if (!ei)
            goto done;
        apex_gl2 *eb2 = ei + n;
        apex_mle_eq(ei, m.ra, dm.log_n);
        apex_mle_eq(eb2, m.ra + dm.log_n, dm.log_nb);
        gpass_arg gb = {g, n, bsz, dm.nblk_real, ei, tb[F_G]};
        rc = ligero_par_run(gpass_fold, &gb, dd >> lb);
        apex_gl2 *eqs = rc == APEX_OK ? apex_calloc_n(4 * dd, sizeof *eqs) : NULL;
        if (!eqs) {
            free(ei);
            rc = rc == APEX_OK ? APEX_ERR_NOMEM : rc;
            goto done;
        }
        apex_gl2 *ez = eqs, *ez2 = eqs + dd, *et = eqs + 2 * dd;
        apex_mle_eq(ez, ch_.zeta, njb);
        apex_mle_eq(ez2, ch_.zeta2, njb);
        apex_mle_eq(et, ch_.eta, njb);
        const tabs_b_arg ta = {cfg->d, lb, dd,  ls, m.inz, m.untouched, w0,  w1,
                               m.lv,   ez, ez2, et, eb2,   ctab,        &kc, tb};
        rc = ligero_par_run(tabs_b_slice, (void *)&ta, dd);
        free(eqs);
        free(ei);
        if (rc != APEX_OK ||
            (rc = apex_zksc_prove_rounds_alt(t, &shb, tb, F_N, fast, sizeof fast / sizeof fast[0],
                                             flat, claimb, test_rng, &zp, m.rb, reason)) != APEX_OK)
            goto done;
        apex_gl2 fin[COMP_B_NCOM]; /* the shape's committed tables at r_B */
        fin[COMP_B_G] = tb[F_G][0];
        fin[COMP_B_W1] = tb[F_W1][0];
        fin[COMP_B_W0] = tb[F_W0][0];
        for (size_t q = 0; q < COMP_L_NSEC && rc == APEX_OK; q++)
            rc = apex_mle_eval_gl(m.lv + q * ls, dm.zb.k, m.rb, &fin[COMP_B_WLO + q]);
        if (rc != APEX_OK)
            goto done;
        apex_zksc_prover_set_finals(zp, fin);
        if ((rc = apex_zksc_prove_eval(&zp, t, &cpadb, &cevalb, &out->zsb, reason)) != APEX_OK)
            goto done;
    }

    zk_phase_done(&tph, "compliance prove", "stage B (G~ fold at i2, rounds, C_eval_B)");
    /* one joint proof of both stages' checks and the range check */
    apex_zksc_view views_a[COMP_A_NCOM], views_b[COMP_B_NCOM];
    apex_gl2 pub_a, pub_b[COMP_B_N - COMP_B_NCOM];
    apex_ligero_xterm hid_a[COMP_NHID_A], hid_b[COMP_NHID_B];
    if ((rc = comp_views_a(&dm, m.ra, views_a, &m.wstore)) != APEX_OK ||
        (rc = comp_views_b(&dm, m.ra, m.rb, views_b, &m.wstoreb)) != APEX_OK ||
        (rc = comp_hidden(&dm, &ch_, hid_a, hid_b)) != APEX_OK)
        goto done;
    pub_a = comp_pubval_a(&dm, &ch_, m.ra);
    comp_pubvals_b(cfg, &dm, &ch_, pub, m.ra, m.rb, pub_b);
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(&dm, ps);
    rc = APEX_ERR_NOMEM;
    if (!(bld = apex_cbuild_new()))
        goto done;
    {
        apex_sumcheck_term terms[COMP_A_NTERMS];
        comp_terms_a(&ch_, terms);
        apex_zksc_shape sha = dm.za;
        sha.terms = terms;
        if ((rc = apex_zksc_emit_ex(&sha, apex_gl2_from_gl(0), hid_a, COMP_NHID_A, out->zs.rounds,
                                    m.ra, views_a, &pub_a, ps, COMP_NCOMMIT, COMP_CPADA,
                                    COMP_CEVALA, bld, reason)) != APEX_OK ||
            (rc = apex_zksc_emit_ex(&shb, claimb, hid_b, COMP_NHID_B, out->zsb.rounds, m.rb,
                                    views_b, pub_b, ps, COMP_NCOMMIT, COMP_CPADB, COMP_CEVALB, bld,
                                    reason)) != APEX_OK ||
            (rc = apex_lgkr_emit(lst, ps, COMP_NCOMMIT, COMP_CL, COMP_CM, COMP_CP, bld, reason)) !=
                APEX_OK)
            goto done;
    }
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(bld, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[COMP_NCOMMIT] = {cg, cw0,   cw1,    cu,    cl,    cm,
                                                 cp, cpada, cevala, cpadb, cevalb};
    zk_phase_done(&tph, "compliance prove", "constraint system built");
    rc = apex_ligero_prove(all, COMP_NCOMMIT, t, &cons, test_rng, &out->lig, reason);
    zk_phase_done(&tph, "compliance prove", "joint Ligero proof");
done:
    if (rc != APEX_OK)
        apex_comp_proof_free(out);
    apex_cbuild_destroy(&bld);
    apex_zksc_prover_destroy(&zp);
    apex_lgkr_state_destroy(&lst);
    apex_transcript_destroy(&t);
    comp_chal_free(&ch_);
    apex_ligero_commitment_destroy(&cu);
    apex_ligero_commitment_destroy(&cl);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&cp);
    apex_ligero_commitment_destroy(&cpada);
    apex_ligero_commitment_destroy(&cevala);
    apex_ligero_commitment_destroy(&cpadb);
    apex_ligero_commitment_destroy(&cevalb);
    if (ctab)
        apex_wipe(ctab, dd * sizeof *ctab);
    free(ctab);
    mem_free(&m, ntab);
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
    apex_lgkr_proof_free(&pf->lg);
    apex_zksc_proof_free(&pf->zs);
    apex_zksc_proof_free(&pf->zsb);
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}
