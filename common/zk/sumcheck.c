/* Sumcheck over products of multilinear F_p2 tables (protocol in sumcheck.h). */
#include "zk/sumcheck.h"

#include "core/core.h"
#include "zk/ligero_impl.h" /* ligero_par_run: the library's two-thread split */
#include "zk/mle.h"

apex_gl2 apex_sumcheck_interp(const apex_gl2 *v, unsigned m, apex_gl2 x)
{
    /* Lagrange basis over the nodes 0..m: L_i(x) = prod_{j != i} (x - j) / (i - j). The
     * denominators are small nonzero integers, so their inverses always exist. */
    apex_gl2 acc = apex_gl2_from_gl(0);
    for (unsigned i = 0; i <= m; i++) {
        apex_gl2 num = apex_gl2_from_gl(1);
        apex_gl den = 1;
        for (unsigned j = 0; j <= m; j++) {
            if (j == i)
                continue;
            num = apex_gl2_mul(num, apex_gl2_sub(x, apex_gl2_from_gl(j)));
            den = apex_gl_mul(den, apex_gl_from_i64((int64_t)i - (int64_t)j));
        }
        apex_gl dinv = 1;
        apex_gl_inv(den, &dinv);
        acc = apex_gl2_add(acc, apex_gl2_mul(v[i], apex_gl2_mul_gl(num, dinv)));
    }
    return acc;
}

static int absorb_start(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim)
{
    int rc = apex_transcript_absorb_u64(t, "sumcheck.shape", ((uint64_t)m << 32) | k);
    return rc == APEX_OK ? apex_transcript_absorb_gl2(t, "sumcheck.claim", &claim, 1) : rc;
}

static int shape_ok(unsigned m, unsigned k)
{
    return m >= 1 && m <= APEX_SUMCHECK_MAX_DEG && k <= APEX_MLE_MAX_VARS;
}

int apex_sumcheck_prove(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                        apex_gl2 claim, apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *finals)
{
    return apex_sumcheck_prove_padded(t, f, m, k, claim, NULL, rounds, r, finals);
}

int apex_sumcheck_prove_padded(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                               apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                               apex_gl2 *finals)
{
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    apex_sumcheck_term one = {apex_gl2_from_gl(1), m, {0, 1, 2, 3}};
    return apex_sumcheck_prove_terms(t, f, m, &one, 1, k, claim, pads, rounds, r, finals);
}

/* Degree of a sum of products: its largest term. 0 for a bad term list. */
static unsigned terms_degree(const apex_sumcheck_term *terms, size_t nterms, size_t ntab)
{
    unsigned m = 0;
    for (size_t i = 0; i < nterms; i++) {
        if (terms[i].nf < 1 || terms[i].nf > APEX_SUMCHECK_MAX_DEG)
            return 0;
        for (unsigned s = 0; s < terms[i].nf; s++)
            if (terms[i].f[s] >= ntab)
                return 0;
        m = terms[i].nf > m ? terms[i].nf : m;
    }
    return m;
}

unsigned apex_sumcheck_terms_degree(const apex_sumcheck_term *terms, size_t nterms, size_t ntab)
{
    return nterms && ntab <= APEX_SUMCHECK_MAX_TABLES ? terms_degree(terms, nterms, ntab) : 0;
}

/* One round's sums over a slice of pairs, or one slice of tables folded: the two halves of
 * a large round run on two threads. Field sums are exact, so the rounds and the folded
 * tables do not depend on the split. */
typedef struct round_arg {
    apex_gl2 *const *f;
    size_t ntab;
    const apex_sumcheck_term *terms;
    size_t nterms;
    unsigned m;
    size_t n;                                                  /* live length */
    apex_gl2 r;                                                /* fold point */
    apex_gl2 part[APEX_ZK_THREADS][APEX_SUMCHECK_MAX_DEG + 1]; /* per-slice h */
} round_arg;

/* Pairs below this count run on the calling thread only. */
#define SUMCHECK_PAR_PAIRS 4096u

static void round_slice(par_job *j)
{
    round_arg *a = j->arg;
    apex_gl2 *h = a->part[j->slice];
    int plain = a->nterms == 1 && apex_gl2_eq(a->terms[0].coef, apex_gl2_from_gl(1));
    for (unsigned x = 0; x <= a->m; x++)
        h[x] = apex_gl2_from_gl(0);
    for (size_t b = j->lo; b < j->hi; b++) {
        /* each table restricted to this pair is the line lo + X (hi - lo); walk X = 0..m
         * by repeated addition and combine the tables term by term */
        apex_gl2 val[APEX_SUMCHECK_MAX_TABLES], step[APEX_SUMCHECK_MAX_TABLES];
        for (size_t s = 0; s < a->ntab; s++) {
            val[s] = a->f[s][2 * b];
            step[s] = apex_gl2_sub(a->f[s][2 * b + 1], a->f[s][2 * b]);
        }
        for (unsigned x = 0; x <= a->m; x++) {
            for (size_t i = 0; i < a->nterms; i++) {
                const apex_sumcheck_term *tm = &a->terms[i];
                apex_gl2 prod = val[tm->f[0]];
                for (unsigned s = 1; s < tm->nf; s++)
                    prod = apex_gl2_mul(prod, val[tm->f[s]]);
                if (!plain)
                    prod = apex_gl2_mul(prod, tm->coef);
                h[x] = apex_gl2_add(h[x], prod);
            }
            for (size_t s = 0; s < a->ntab; s++)
                val[s] = apex_gl2_add(val[s], step[s]);
        }
    }
    j->rc = APEX_OK;
}

static void fold_slice(par_job *j)
{
    round_arg *a = j->arg;
    j->rc = APEX_OK;
    for (size_t s = j->lo; s < j->hi && j->rc == APEX_OK; s++)
        j->rc = apex_mle_fold_gl2(a->f[s], a->n, a->r);
}

/* Run fn over [0, n) on the threads when big, else on this thread (part[1] left zero). */
static int round_run(void (*fn)(par_job *), round_arg *a, size_t n, int big)
{
    if (big)
        return ligero_par_run(fn, a, n);
    for (unsigned x = 0; x <= a->m; x++)
        for (size_t t = 1; t < APEX_ZK_THREADS; t++)
            a->part[t][x] = apex_gl2_from_gl(0);
    par_job one = {fn, 0, n, a, APEX_OK, 0};
    fn(&one);
    return one.rc;
}

int apex_sumcheck_prove_terms(apex_transcript *t, apex_gl2 *const *f, size_t ntab,
                              const apex_sumcheck_term *terms, size_t nterms, unsigned k,
                              apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                              apex_gl2 *finals)
{
    unsigned m = apex_sumcheck_terms_degree(terms, nterms, ntab);
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    int rc = absorb_start(t, m, k, claim);
    size_t n = (size_t)1 << k; /* live length of every table */
    round_arg a = {.f = f, .ntab = ntab, .terms = terms, .nterms = nterms, .m = m};
    for (unsigned j = 0; j < k && rc == APEX_OK; j++, n /= 2) {
        apex_gl2 *h = rounds + (size_t)j * (m + 1);
        int big = n / 2 >= SUMCHECK_PAR_PAIRS;
        rc = round_run(round_slice, &a, n / 2, big);
        for (unsigned x = 0; x <= m; x++) {
            h[x] = a.part[0][x];
            for (size_t s = 1; s < APEX_ZK_THREADS; s++)
                h[x] = apex_gl2_add(h[x], a.part[s][x]);
        }
        if (pads) /* send h - pad: uniform, the pads are committed beforehand */
            for (unsigned x = 0; x <= m; x++)
                h[x] = apex_gl2_sub(h[x], pads[(size_t)j * (m + 1) + x]);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_gl2(t, "sumcheck.round", h, m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
        a.n = n;
        a.r = r[j];
        if (rc == APEX_OK)
            rc = round_run(fold_slice, &a, ntab, big && ntab > 1);
    }
    for (size_t s = 0; s < ntab && rc == APEX_OK; s++)
        finals[s] = f[s][0];
    return rc;
}

apex_gl2 apex_sumcheck_terms_eval(const apex_sumcheck_term *terms, size_t nterms,
                                  const apex_gl2 *vals)
{
    apex_gl2 acc = apex_gl2_from_gl(0);
    for (size_t i = 0; i < nterms; i++) {
        apex_gl2 prod = terms[i].coef;
        for (unsigned s = 0; s < terms[i].nf; s++)
            prod = apex_gl2_mul(prod, vals[terms[i].f[s]]);
        acc = apex_gl2_add(acc, prod);
    }
    return acc;
}

int apex_sumcheck_verify(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *final_claim,
                         const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *reason = NULL;
    if (!shape_ok(m, k)) {
        *reason = "sumcheck: degree or variable count outside the parameters";
        return APEX_ERR_REJECTED;
    }
    int rc = absorb_start(t, m, k, claim);
    if (rc != APEX_OK) {
        *reason = "sumcheck: non-canonical claim";
        return rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
    }
    for (unsigned j = 0; j < k; j++) {
        const apex_gl2 *h = rounds + (size_t)j * (m + 1);
        if (!apex_gl2_eq(apex_gl2_add(h[0], h[1]), claim)) {
            *reason = "sumcheck: h(0) + h(1) differs from the running claim";
            return APEX_ERR_REJECTED;
        }
        rc = apex_transcript_absorb_gl2(t, "sumcheck.round", h, m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
        if (rc != APEX_OK) {
            *reason = "sumcheck: non-canonical round value";
            return rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
        }
        claim = apex_sumcheck_interp(h, m, r[j]);
    }
    *final_claim = claim;
    return APEX_OK;
}

int apex_sumcheck_replay(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r)
{
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    int rc = absorb_start(t, m, k, claim);
    for (unsigned j = 0; j < k && rc == APEX_OK; j++) {
        rc = apex_transcript_absorb_gl2(t, "sumcheck.round", rounds + (size_t)j * (m + 1), m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
    }
    return rc;
}
