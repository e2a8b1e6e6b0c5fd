/* The quantized Group-OBS path that the proof certifies (PROOF.md, decisions 1 and 2).
 *
 * Per masked block: Ĥ = G̃ᵀG̃ + Λ̃I over int8 G̃; δ* solved in float64 (Woodbury on G̃);
 * δ̃ = round(δ*) with δ̃_S = −w̃_S exactly; exact residual ρ̃ = G̃ᵀ(G̃δ̃) + Λ̃δ̃ in int64;
 * refinement steps driven by that residual (errata 14); sequential rounding of K if the
 * two-sided check −τ ≤ ρ̃_j ≤ τ−1 still fails on K = block \ S.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/obs_internal.h"

void apex_obsq_params_default(apex_obsq_params *p)
{
    memset(p, 0, sizeof *p);
    p->block = APEX_OBS_DEFAULT_BLOCK;
    p->lambda = 0;
    p->tau_log2 = APEX_OBSQ_DEFAULT_TAU_LOG2;
    p->refine = APEX_OBSQ_DEFAULT_REFINE;
    p->rounding = APEX_OBSQ_ROUND_AUTO;
    p->threads = 1;
}

int64_t apex_obsq_lambda_for(size_t n)
{
    return n > (size_t)APEX_OBSQ_LAMBDA_MIN ? (int64_t)n : (int64_t)APEX_OBSQ_LAMBDA_MIN;
}

int apex_obsq_check_budget(size_t n, size_t b, int64_t lambda, unsigned bw)
{
    if (n == 0 || b == 0 || lambda <= 0 || bw == 0 || bw >= APEX_OBSQ_BUDGET_LOG2)
        return APEX_ERR_INVALID;
    uint64_t nb, big, sum;
    if (__builtin_mul_overflow((uint64_t)n, (uint64_t)b, &nb) ||
        __builtin_mul_overflow(nb, (uint64_t)1 << APEX_OBSQ_G_SQ_LOG2, &big) ||
        __builtin_add_overflow(big, (uint64_t)lambda, &sum))
        return APEX_ERR_RANGE;
    /* sum·2^bw < 2^63  <=>  sum < 2^(63−bw) */
    return sum < ((uint64_t)1 << (APEX_OBSQ_BUDGET_LOG2 - bw)) ? APEX_OK : APEX_ERR_RANGE;
}

int apex_obsq_rho_ok(int64_t rho, unsigned tau_log2)
{
    if (tau_log2 > APEX_OBSQ_MAX_TAU_LOG2)
        return 0;
    int64_t tau = (int64_t)1 << tau_log2;
    return rho >= -tau && rho <= tau - 1;
}

int apex_obsq_quantize(const float *g, size_t n, size_t ldg, size_t d, size_t block, int8_t *gq,
                       double *scales)
{
    if (!g || !gq || !scales || n == 0 || d == 0 || ldg < d || block == 0 ||
        block > APEX_OBS_MAX_BLOCK)
        return APEX_ERR_INVALID;
    size_t nblk = (d + block - 1) / block;
    for (size_t b = 0; b < nblk; b++) {
        size_t start = b * block, nb = d - start < block ? d - start : block;
        float mx = 0.0f;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nb; j++) {
                float a = fabsf(g[i * ldg + start + j]);
                if (!isfinite(a))
                    return APEX_ERR_INVALID;
                mx = a > mx ? a : mx;
            }
        int8_t *out = gq + b * n * block;
        memset(out, 0, n * block);
        scales[b] = (double)mx / APEX_OBSQ_G_MAX;
        if (mx == 0.0f)
            continue;
        double inv = 1.0 / scales[b];
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nb; j++) {
                double q = nearbyint((double)g[i * ldg + start + j] * inv);
                q = q > APEX_OBSQ_G_MAX    ? APEX_OBSQ_G_MAX
                    : q < -APEX_OBSQ_G_MAX ? -APEX_OBSQ_G_MAX
                                           : q;
                out[i * block + j] = (int8_t)q;
            }
    }
    return APEX_OK;
}

int apex_obsq_weights_fixed(const float *w, size_t d, unsigned frac_bits, int32_t *wq)
{
    if (!w || !wq || frac_bits > APEX_OBSQ_MAX_FRAC_BITS)
        return APEX_ERR_INVALID;
    double scale = ldexp(1.0, (int)frac_bits), lim = ldexp(1.0, APEX_OBSQ_BW - 1);
    for (size_t i = 0; i < d; i++) {
        double q = nearbyint((double)w[i] * scale);
        if (!isfinite(q) || fabs(q) >= lim)
            return APEX_ERR_RANGE;
        wq[i] = (int32_t)q;
    }
    return APEX_OK;
}

/* max|ρ̃_j| over K, and whether every ρ̃_j on K passes the two-sided check. */
static int64_t max_rho_k(const int64_t *rho, size_t nb, const uint32_t *sel, size_t ns,
                         unsigned tau_log2, int *pass)
{
    int64_t mx = 0;
    *pass = 1;
    for (size_t j = 0, k = 0; j < nb; j++) {
        if (k < ns && sel[k] == j) {
            k++;
            continue;
        }
        int64_t a = rho[j] < 0 ? -rho[j] : rho[j];
        mx = a > mx ? a : mx;
        if (!apex_obsq_rho_ok(rho[j], tau_log2))
            *pass = 0;
    }
    return mx;
}

static int round_delta(const double *x, size_t nb, int32_t *out)
{
    const double lim = ldexp(1.0, APEX_OBSQ_BW);
    for (size_t j = 0; j < nb; j++) {
        double r = nearbyint(x[j]);
        if (!(fabs(r) < lim))
            return APEX_ERR_RANGE;
        out[j] = (int32_t)r;
    }
    return APEX_OK;
}

/* Scratch owned by one quantized solve. */
typedef struct obsq_scratch {
    double *x;     /* [B] float estimate of δ* */
    double *e;     /* [B] refinement correction */
    double *c;     /* [B] constrained correction */
    int32_t *cand; /* [B] candidate integer δ̃ */
    int64_t *rho;  /* [B] exact residual */
} obsq_scratch;

static int block_solve(obs_ws *ws, obsq_scratch *sc, const apex_obsq_params *p, int64_t lambda,
                       const int8_t *gq, size_t ldq, size_t nb, const int32_t *wq,
                       const uint32_t *sel, size_t ns, int32_t *delta, apex_obsq_block_stat *st)
{
    size_t n = ws->n;
    const int64_t half = (int64_t)1 << (APEX_OBSQ_BW - 1); /* w̃, w̃' ∈ [−half, half) */
    for (size_t j = 0; j < nb; j++)
        if (wq[j] < -half || wq[j] >= half)
            return APEX_ERR_RANGE;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nb; j++)
            ws->g[i * nb + j] = (double)gq[i * ldq + j];
    int rc = apex_obs_factor(ws, nb, (double)lambda, 1.0, APEX_OBS_AUTO, 0.0);
    if (rc != APEX_OK)
        return rc;
    for (size_t k = 0; k < ns; k++)
        ws->v[k] = (double)wq[sel[k]];
    if ((rc = apex_obs_constrained(ws, sel, ns, ws->v, sc->x)) != APEX_OK)
        return rc;
    if ((rc = round_delta(sc->x, nb, delta)) != APEX_OK)
        return rc;
    for (size_t k = 0; k < ns; k++)
        delta[sel[k]] = -wq[sel[k]];
    if ((rc = apex_obsq_residual(gq, n, ldq, nb, lambda, delta, sc->rho)) != APEX_OK)
        return rc;
    int pass;
    int64_t best = max_rho_k(sc->rho, nb, sel, ns, p->tau_log2, &pass);
    st->max_rho_naive = best;
    st->sequential = 0;
    /* Refinement: e with e_S = 0 and (Ĥe)_K = −ρ̃_K; x = δ̃ + e; re-round K. */
    for (unsigned it = 0; it < p->refine && best > 0; it++) {
        for (size_t j = 0, k = 0; j < nb; j++) {
            int on_s = k < ns && sel[k] == j;
            sc->e[j] = on_s ? 0.0 : -(double)sc->rho[j];
            k += on_s;
        }
        if ((rc = apex_obs_apply_inv(ws, sc->e, sc->e)) != APEX_OK)
            return rc;
        for (size_t k = 0; k < ns; k++)
            ws->v[k] = sc->e[sel[k]];
        if ((rc = apex_obs_constrained(ws, sel, ns, ws->v, sc->c)) != APEX_OK)
            return rc;
        for (size_t j = 0; j < nb; j++)
            sc->e[j] = (double)delta[j] + sc->e[j] + sc->c[j];
        memcpy(sc->x, sc->e, nb * sizeof *sc->x); /* refined float estimate of δ* */
        if ((rc = round_delta(sc->e, nb, sc->cand)) != APEX_OK)
            return rc;
        for (size_t k = 0; k < ns; k++)
            sc->cand[sel[k]] = -wq[sel[k]];
        if ((rc = apex_obsq_residual(gq, n, ldq, nb, lambda, sc->cand, sc->rho)) != APEX_OK)
            return rc;
        int pass2;
        int64_t m2 = max_rho_k(sc->rho, nb, sel, ns, p->tau_log2, &pass2);
        if (m2 >= best)
            break;
        best = m2;
        pass = pass2;
        memcpy(delta, sc->cand, nb * sizeof *delta);
    }
    int want_seq =
        p->rounding == APEX_OBSQ_ROUND_SEQUENTIAL || (p->rounding == APEX_OBSQ_ROUND_AUTO && !pass);
    if (want_seq && ns < nb) {
        for (size_t k = 0; k < ns; k++)
            sc->x[sel[k]] = -(double)wq[sel[k]];
        if ((rc = apex_obsq_round_sequential(ws, nb, (double)lambda, sel, ns, sc->x, sc->cand)) !=
            APEX_OK)
            return rc;
        if ((rc = apex_obsq_residual(gq, n, ldq, nb, lambda, sc->cand, sc->rho)) != APEX_OK)
            return rc;
        int pass2;
        int64_t m2 = max_rho_k(sc->rho, nb, sel, ns, p->tau_log2, &pass2);
        if (p->rounding == APEX_OBSQ_ROUND_SEQUENTIAL || m2 < best) {
            best = m2;
            pass = pass2;
            memcpy(delta, sc->cand, nb * sizeof *delta);
            st->sequential = 1;
        }
    }
    st->max_rho = best;
    st->nmask = (uint32_t)ns;
    /* w̃' = w̃ + δ̃ must stay in range too: clipping would break the KKT check. */
    for (size_t j = 0; j < nb; j++) {
        int64_t wn = (int64_t)wq[j] + delta[j];
        if (wn < -half || wn >= half)
            return APEX_ERR_RANGE;
    }
    return pass ? APEX_OK : APEX_ERR_REJECTED;
}

static int params_ok(const apex_obsq_params *p)
{
    return p && p->block >= 1 && p->block <= APEX_OBS_MAX_BLOCK && p->lambda >= 0 &&
           p->tau_log2 <= APEX_OBSQ_MAX_TAU_LOG2 && p->rounding >= APEX_OBSQ_ROUND_AUTO &&
           p->rounding <= APEX_OBSQ_ROUND_SEQUENTIAL && p->threads >= 1 &&
           p->threads <= APEX_OBS_MAX_THREADS;
}

static void scratch_free(obsq_scratch *sc)
{
    free(sc->x);
    free(sc->e);
    free(sc->c);
    free(sc->cand);
    free(sc->rho);
}

static int scratch_new(obsq_scratch *sc, size_t b)
{
    sc->x = apex_calloc_n(b, sizeof(double));
    sc->e = apex_calloc_n(b, sizeof(double));
    sc->c = apex_calloc_n(b, sizeof(double));
    sc->cand = apex_calloc_n(b, sizeof(int32_t));
    sc->rho = apex_calloc_n(b, sizeof(int64_t));
    if (sc->x && sc->e && sc->c && sc->cand && sc->rho)
        return APEX_OK;
    scratch_free(sc);
    return APEX_ERR_NOMEM;
}

/* Common argument checks; returns Λ̃ (> 0) or a negative apex_err. */
static int64_t setup(const apex_obsq_params *p, size_t n, size_t b)
{
    if (!params_ok(p) || n == 0 || n > APEX_OBS_MAX_SAMPLES)
        return APEX_ERR_INVALID;
    int64_t lambda = p->lambda ? p->lambda : apex_obsq_lambda_for(n);
    int rc = apex_obsq_check_budget(n, b, lambda, APEX_OBSQ_BW);
    return rc == APEX_OK ? lambda : rc;
}

int apex_obsq_block(const apex_obsq_params *p, const int8_t *gq, size_t n, size_t ldq, size_t nb,
                    const int32_t *wq, const uint32_t *sel, size_t ns, int32_t *delta,
                    apex_obsq_block_stat *st)
{
    int64_t lambda = setup(p, n, nb);
    if (lambda < 0)
        return (int)lambda;
    if (!gq || !wq || !sel || !delta || nb == 0 || nb > APEX_OBS_MAX_BLOCK || ldq < nb || ns == 0 ||
        ns > nb)
        return APEX_ERR_INVALID;
    for (size_t k = 0; k < ns; k++)
        if (sel[k] >= nb || (k > 0 && sel[k] <= sel[k - 1]))
            return APEX_ERR_INVALID;
    apex_obsq_block_stat tmp = {0};
    obsq_scratch sc;
    obs_ws *ws = apex_obs_ws_new(n, nb);
    if (!ws)
        return APEX_ERR_NOMEM;
    int rc = scratch_new(&sc, nb);
    if (rc == APEX_OK) {
        rc = block_solve(ws, &sc, p, lambda, gq, ldq, nb, wq, sel, ns, delta, &tmp);
        scratch_free(&sc);
    }
    apex_obs_ws_free(&ws);
    if (st)
        *st = tmp;
    return rc;
}

/* Per-worker buffers of the quantized layer driver. */
typedef struct qworker {
    obs_ws *ws;      /* factorization scratch */
    obsq_scratch sc; /* solve scratch */
    uint32_t *sel;   /* [B] masked local indices */
    int ok;          /* 1 once sc is allocated */
} qworker;

/* Everything one quantized layer run shares with its workers. */
typedef struct qlayer_ctx {
    const apex_obsq_params *p;   /* parameters */
    int64_t lambda;              /* Λ̃ */
    const int8_t *gq;            /* [nblk][n][B] */
    size_t n;                    /* samples */
    const int32_t *wq;           /* [d] weights */
    const uint64_t *mask;        /* sorted mask */
    int32_t *delta;              /* [d] output */
    const obs_job *jobs;         /* masked blocks */
    apex_obsq_block_stat *stats; /* [njobs] or NULL */
    qworker *wk;                 /* [threads] */
} qlayer_ctx;

static int qlayer_job(void *ctxp, unsigned worker, size_t j)
{
    qlayer_ctx *c = ctxp;
    qworker *wk = &c->wk[worker];
    const obs_job *jb = &c->jobs[j];
    size_t B = c->p->block, ns = jb->k1 - jb->k0;
    for (size_t k = 0; k < ns; k++)
        wk->sel[k] = (uint32_t)(c->mask[jb->k0 + k] - jb->start);
    apex_obsq_block_stat st = {.block = jb->block};
    int rc = block_solve(wk->ws, &wk->sc, c->p, c->lambda, c->gq + jb->block * c->n * B, B, jb->nb,
                         c->wq + jb->start, wk->sel, ns, c->delta + jb->start, &st);
    st.block = jb->block;
    st.nmask = (uint32_t)ns;
    if (c->stats)
        c->stats[j] = st;
    if (rc != APEX_OK)
        LOG_ERROR("obsq: block %zu (weights %zu..%zu) failed: %s (max|rho_K| = %lld, tau = 2^%u)",
                  jb->block, jb->start, jb->start + jb->nb - 1, apex_strerror(rc),
                  (long long)st.max_rho, c->p->tau_log2);
    return rc;
}

int apex_obsq_layer(const apex_obsq_params *p, const int8_t *gq, size_t n, size_t d,
                    const int32_t *wq, const uint64_t *mask, size_t nmask, int32_t *delta,
                    apex_obsq_block_stat *stats, size_t *nstats, uint64_t *failed_block)
{
    if (nstats)
        *nstats = 0;
    int64_t lambda = setup(p, n, p ? p->block : 0);
    if (lambda < 0)
        return (int)lambda;
    if (!gq || !wq || !delta || d == 0 || (nmask > 0 && !mask))
        return APEX_ERR_INVALID;
    obs_job *jobs = NULL;
    size_t njobs = 0, first_fail = 0;
    int rc = apex_obs_jobs_build(mask, nmask, d, p->block, &jobs, &njobs);
    if (rc != APEX_OK)
        return rc;
    memset(delta, 0, d * sizeof *delta);
    unsigned nt = p->threads < njobs ? p->threads : (unsigned)(njobs ? njobs : 1);
    qworker *wk = apex_calloc_n(nt, sizeof *wk);
    qlayer_ctx c = {p, lambda, gq, n, wq, mask, delta, jobs, stats, wk};
    for (unsigned t = 0; wk && t < nt; t++) {
        wk[t].ws = apex_obs_ws_new(n, p->block);
        wk[t].sel = apex_calloc_n(p->block, sizeof(uint32_t));
        wk[t].ok = scratch_new(&wk[t].sc, p->block) == APEX_OK;
        if (!wk[t].ws || !wk[t].sel || !wk[t].ok)
            rc = APEX_ERR_NOMEM;
    }
    if (!wk)
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        rc = apex_obs_jobs_run(njobs, nt, qlayer_job, &c, &first_fail);
        if (nstats)
            *nstats = rc == APEX_OK ? njobs : first_fail + 1;
        if (rc != APEX_OK && failed_block)
            *failed_block = jobs[first_fail].block;
    }
    for (unsigned t = 0; wk && t < nt; t++) {
        apex_obs_ws_free(&wk[t].ws);
        free(wk[t].sel);
        if (wk[t].ok)
            scratch_free(&wk[t].sc);
    }
    free(wk);
    free(jobs);
    return rc;
}
