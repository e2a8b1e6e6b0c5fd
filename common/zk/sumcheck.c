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
    return nterms && nterms <= APEX_SUMCHECK_MAX_TERMS && ntab <= APEX_SUMCHECK_MAX_TABLES
               ? terms_degree(terms, nterms, ntab)
               : 0;
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
    unsigned npt;                           /* points evaluated */
    unsigned pt[APEX_SUMCHECK_MAX_DEG + 1]; /* which, increasing */
    int lead;                               /* points 0, 1, -1 and infinity (SC_PT_*), not 0..deg */
    unsigned deg;                           /* this round's degree */
    uint8_t tdeg[APEX_SUMCHECK_MAX_TERMS];  /* each term's factors that are not flat */
    unsigned shift[APEX_SUMCHECK_MAX_TABLES];                  /* flat table: entry b << s */
    uint8_t isflat[APEX_SUMCHECK_MAX_TABLES];                  /* constant in this round */
    size_t n;                                                  /* live length */
    apex_gl2 r;                                                /* fold point */
    apex_gl2 part[APEX_ZK_THREADS][APEX_SUMCHECK_MAX_DEG + 1]; /* per-slice h at pt[] */
} round_arg;

/* Pairs below this count run on the calling thread only. */
#define SUMCHECK_PAR_PAIRS 4096u

/* Points of a round of degree 2 or 3 (round_arg.lead): h(0), h(1) (round 0 only), h(-1)
 * (degree 3) and the leading coefficient ("infinity": the product of the factors' slopes,
 * flat factors by their value, over the terms of full degree). Walking every table to 2 and
 * 3 by additions costs more than the products at these points. */
enum { SC_PT_0 = 0, SC_PT_1 = 1, SC_PT_NEG = 2, SC_PT_INF = 3 };

/* Tests only: 1 keeps every round on the points 0..deg. */
static int no_lead = 0;

void sumcheck_test_set_no_lead(int on)
{
    no_lead = on;
}

/* A term's coefficient class: 1 and -1 need no multiplication. */
enum { C_ONE, C_NEG, C_GEN };

/* acc += the term at the tables' values v: all factors but the last, and a general
 * coefficient, multiplied out; the last product goes into the sum unreduced (a -1 term goes
 * to the caller's negative sum with coefficient 1). */
static inline void term_acc(const apex_sumcheck_term *tm, int ck, const apex_gl2 *v,
                            apex_gl2_acc *acc)
{
    unsigned nf = tm->nf;
    apex_gl2 pre = v[tm->f[0]];
    for (unsigned s = 1; s + 1 < nf; s++)
        pre = apex_gl2_mul(pre, v[tm->f[s]]);
    if (ck == C_GEN)
        pre = nf > 1 ? apex_gl2_mul(pre, tm->coef) : pre;
    if (nf > 1)
        apex_gl2_acc_mul(acc, pre, v[tm->f[nf - 1]]);
    else if (ck == C_GEN)
        apex_gl2_acc_mul(acc, pre, tm->coef);
    else
        apex_gl2_acc_add(acc, pre);
}

static void round_slice(par_job *j)
{
    round_arg *a = j->arg;
    apex_gl2 *h = a->part[j->slice];
    /* each term's coefficient: 1 and -1 need no multiplication (the prover's faster
     * formulations use 1 throughout) */
    uint8_t ck[APEX_SUMCHECK_MAX_TERMS];
    for (size_t i = 0; i < a->nterms; i++)
        ck[i] = apex_gl2_eq(a->terms[i].coef, apex_gl2_from_gl(1))               ? C_ONE
                : apex_gl2_eq(a->terms[i].coef, apex_gl2_from_gl(APEX_GL_P - 1)) ? C_NEG
                                                                                 : C_GEN;
    unsigned last = a->pt[a->npt - 1];
    /* the sums at each point, positive and negative terms apart, reduced once at the end */
    apex_gl2_acc hp[APEX_SUMCHECK_MAX_DEG + 1], hn[APEX_SUMCHECK_MAX_DEG + 1];
    for (unsigned x = 0; x < a->npt; x++)
        apex_gl2_acc_zero(&hp[x]), apex_gl2_acc_zero(&hn[x]);
    /* lead: the tables split into the ones that move and the flat ones, and per point the
     * terms it sums split into products of two with coefficient 1 (the prover's grouped
     * formulations are mostly those; a tight loop) and the rest (term_acc), so that the
     * pair loop does no per-table or per-term tests */
    uint8_t mv[APEX_SUMCHECK_MAX_TABLES], fl[APEX_SUMCHECK_MAX_TABLES];
    uint8_t two[APEX_SUMCHECK_MAX_DEG + 1][APEX_SUMCHECK_MAX_TERMS][2];
    uint8_t oth[APEX_SUMCHECK_MAX_DEG + 1][APEX_SUMCHECK_MAX_TERMS];
    size_t nmv = 0, nfl = 0, ntwo[APEX_SUMCHECK_MAX_DEG + 1] = {0},
           noth[APEX_SUMCHECK_MAX_DEG + 1] = {0};
    for (size_t s = 0; s < a->ntab && a->lead; s++) {
        if (a->isflat[s])
            fl[nfl++] = (uint8_t)s;
        else
            mv[nmv++] = (uint8_t)s;
    }
    for (unsigned q = 0; q < a->npt && a->lead; q++)
        for (size_t i = 0; i < a->nterms; i++) {
            const apex_sumcheck_term *tm = &a->terms[i];
            if (a->pt[q] == SC_PT_INF && a->tdeg[i] < a->deg)
                continue; /* no x^deg part */
            if (tm->nf == 2 && ck[i] == C_ONE) {
                two[q][ntwo[q]][0] = (uint8_t)tm->f[0];
                two[q][ntwo[q]++][1] = (uint8_t)tm->f[1];
            } else
                oth[q][noth[q]++] = (uint8_t)i;
        }
    for (size_t b = j->lo; b < j->hi && a->lead; b++) {
        apex_gl2 v0[APEX_SUMCHECK_MAX_TABLES], sl[APEX_SUMCHECK_MAX_TABLES];
        apex_gl2 val[APEX_SUMCHECK_MAX_TABLES];
        for (size_t m = 0; m < nmv; m++) {
            size_t s = mv[m];
            v0[s] = a->f[s][2 * b];
            sl[s] = apex_gl2_sub(a->f[s][2 * b + 1], v0[s]);
        }
        for (size_t m = 0; m < nfl; m++) { /* a flat factor: its value, also at infinity */
            size_t s = fl[m];
            v0[s] = sl[s] = val[s] = a->f[s][(2 * b) << a->shift[s]];
        }
        for (unsigned q = 0; q < a->npt; q++) {
            const apex_gl2 *v = v0;
            if (a->pt[q] == SC_PT_INF)
                v = sl;
            else if (a->pt[q] != SC_PT_0) {
                for (size_t m = 0; m < nmv; m++) {
                    size_t s = mv[m];
                    val[s] = a->pt[q] == SC_PT_1 ? apex_gl2_add(v0[s], sl[s])
                                                 : apex_gl2_sub(v0[s], sl[s]);
                }
                v = val;
            }
            for (size_t t = 0; t < ntwo[q]; t++)
                apex_gl2_acc_mul(&hp[q], v[two[q][t][0]], v[two[q][t][1]]);
            for (size_t t = 0; t < noth[q]; t++) {
                size_t i = oth[q][t];
                term_acc(&a->terms[i], ck[i], v, ck[i] == C_NEG ? &hn[q] : &hp[q]);
            }
        }
    }
    for (size_t b = j->lo; b < j->hi && !a->lead; b++) {
        /* each table restricted to this pair is the line lo + X (hi - lo) (a flat table's is
         * constant); walk X = 0..last by repeated addition and combine the tables term by
         * term at the points evaluated */
        apex_gl2 val[APEX_SUMCHECK_MAX_TABLES], step[APEX_SUMCHECK_MAX_TABLES];
        for (size_t s = 0; s < a->ntab; s++) {
            if (a->isflat[s]) {
                val[s] = a->f[s][(2 * b) << a->shift[s]];
                step[s] = apex_gl2_from_gl(0);
                continue;
            }
            val[s] = a->f[s][2 * b];
            step[s] = apex_gl2_sub(a->f[s][2 * b + 1], a->f[s][2 * b]);
        }
        for (unsigned x = 0, q = 0; x <= last; x++) {
            if (x == a->pt[q]) {
                for (size_t i = 0; i < a->nterms; i++)
                    term_acc(&a->terms[i], ck[i], val, ck[i] == C_NEG ? &hn[q] : &hp[q]);
                q++;
            }
            if (x < last)
                for (size_t s = 0; s < a->ntab; s++)
                    if (!a->isflat[s])
                        val[s] = apex_gl2_add(val[s], step[s]);
        }
    }
    for (unsigned x = 0; x < a->npt; x++)
        h[x] = apex_gl2_sub(apex_gl2_acc_get(&hp[x]), apex_gl2_acc_get(&hn[x]));
    j->rc = APEX_OK;
}

static void fold_slice(par_job *j)
{
    round_arg *a = j->arg;
    j->rc = APEX_OK;
    for (size_t s = j->lo; s < j->hi && j->rc == APEX_OK; s++)
        if (!a->isflat[s])
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

/* Round j's shape: which tables are flat, the round polynomial's degree (factors that are
 * not flat), and the points to evaluate: 0..deg, without 1 from round 1 on (h(1) is the
 * running claim minus h(0): the previous round's polynomial was computed from the same
 * tables, so it is the same value). A table stops being flat at round flat[s]: its entries
 * b << flat[s] are moved to b first (from then on it is folded like the others). */
static unsigned round_shape(round_arg *a, const unsigned *flat, unsigned j, size_t n)
{
    for (size_t s = 0; s < a->ntab; s++) {
        a->isflat[s] = flat && j < flat[s];
        a->shift[s] = j;
        if (flat && j == flat[s] && j > 0)
            for (size_t b = 1; b < n; b++)
                a->f[s][b] = a->f[s][b << j];
    }
    unsigned deg = 0;
    for (size_t i = 0; i < a->nterms; i++) {
        unsigned d = 0;
        for (unsigned s = 0; s < a->terms[i].nf; s++)
            d += !a->isflat[a->terms[i].f[s]];
        a->tdeg[i] = (uint8_t)d;
        deg = d > deg ? d : deg;
    }
    a->deg = deg;
    a->lead = (deg == 2 || deg == 3) && !no_lead;
    a->npt = 0;
    if (a->lead) {
        a->pt[a->npt++] = SC_PT_0;
        if (j == 0)
            a->pt[a->npt++] = SC_PT_1;
        if (deg == 3)
            a->pt[a->npt++] = SC_PT_NEG;
        a->pt[a->npt++] = SC_PT_INF;
        return deg;
    }
    for (unsigned x = 0; x <= deg; x++)
        if (x != 1 || j == 0)
            a->pt[a->npt++] = x;
    if (a->npt == 0 || (deg == 0 && j > 0)) /* constant: h(0) alone */
        a->pt[0] = 0, a->npt = 1;
    return deg;
}

/* h at 2 (and 3) from h(0), h(1), h(-1) (degree 3) and the leading coefficient d:
 * h = a + b x + c x^2 (+ d x^3); c = d (degree 2) or (h(1) + h(-1)) / 2 - a, and
 * b = h(1) - a - c - d. */
static void lead_points(unsigned deg, apex_gl2 hm, apex_gl2 d, apex_gl2 *v)
{
    const apex_gl half = (APEX_GL_P + 1) / 2;
    apex_gl2 a = v[0], c, d3 = deg == 3 ? d : apex_gl2_from_gl(0);
    if (deg == 3)
        c = apex_gl2_sub(apex_gl2_mul_gl(apex_gl2_add(v[1], hm), half), a);
    else
        c = d;
    apex_gl2 bb = apex_gl2_sub(apex_gl2_sub(apex_gl2_sub(v[1], a), c), d3);
    for (unsigned x = 2; x <= deg; x++) {
        apex_gl2 X = apex_gl2_from_gl(x);
        /* a + x (b + x (c + x d3)) */
        v[x] = apex_gl2_add(
            a, apex_gl2_mul(
                   X, apex_gl2_add(bb, apex_gl2_mul(X, apex_gl2_add(c, apex_gl2_mul(X, d3))))));
    }
}

int apex_sumcheck_prove_terms(apex_transcript *t, apex_gl2 *const *f, size_t ntab,
                              const apex_sumcheck_term *terms, size_t nterms, unsigned k,
                              apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                              apex_gl2 *finals)
{
    return apex_sumcheck_prove_terms_flat(t, f, ntab, terms, nterms, NULL, k, claim, pads, rounds,
                                          r, finals);
}

int apex_sumcheck_prove_terms_flat(apex_transcript *t, apex_gl2 *const *f, size_t ntab,
                                   const apex_sumcheck_term *terms, size_t nterms,
                                   const unsigned *flat, unsigned k, apex_gl2 claim,
                                   const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                                   apex_gl2 *finals)
{
    unsigned m = apex_sumcheck_terms_degree(terms, nterms, ntab);
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    int rc = absorb_start(t, m, k, claim);
    size_t n = (size_t)1 << k; /* live length of every table */
    round_arg a = {.f = f, .ntab = ntab, .terms = terms, .nterms = nterms, .m = m};
    apex_gl2 run = claim; /* the running claim: h_{j-1}(r_{j-1}) of the true polynomials */
    for (unsigned j = 0; j < k && rc == APEX_OK; j++, n /= 2) {
        apex_gl2 *h = rounds + (size_t)j * (m + 1);
        int big = n / 2 >= SUMCHECK_PAR_PAIRS;
        unsigned deg = round_shape(&a, flat, j, n);
        rc = round_run(round_slice, &a, n / 2, big);
        apex_gl2 v[APEX_SUMCHECK_MAX_DEG + 1]; /* h at 0..deg */
        apex_gl2 pv[SC_PT_INF + 1] = {{0, 0}}; /* lead: h(0), h(1), h(-1), leading coeff. */
        for (unsigned q = 0; q < a.npt; q++) {
            apex_gl2 sum = a.part[0][q];
            for (size_t s = 1; s < APEX_ZK_THREADS; s++)
                sum = apex_gl2_add(sum, a.part[s][q]);
            if (a.lead)
                pv[a.pt[q]] = sum;
            else
                v[a.pt[q]] = sum;
        }
        if (a.lead) {
            v[0] = pv[SC_PT_0];
            v[1] = j > 0 ? apex_gl2_sub(run, v[0]) : pv[SC_PT_1];
            lead_points(deg, pv[SC_PT_NEG], pv[SC_PT_INF], v);
        } else if (j > 0 && deg >= 1)
            v[1] = apex_gl2_sub(run, v[0]);
        for (unsigned x = 0; x <= m; x++) /* the degree-deg polynomial at 0..m */
            h[x] = x <= deg   ? v[x]
                   : deg == 0 ? v[0]
                              : apex_sumcheck_interp(v, deg, apex_gl2_from_gl(x));
        if (pads) /* send h - pad: uniform, the pads are committed beforehand */
            for (unsigned x = 0; x <= m; x++)
                h[x] = apex_gl2_sub(h[x], pads[(size_t)j * (m + 1) + x]);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_gl2(t, "sumcheck.round", h, m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
        run = deg == 0 ? v[0] : apex_sumcheck_interp(v, deg, r[j]);
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
