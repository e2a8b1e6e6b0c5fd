/* Tests for zk/zksumcheck: the padded sumcheck proven with a joint Ligero proof, for two,
 * one and no committed factors (with public eq factors); wrong claims, tampered rounds,
 * a wrong public factor and tables other than the committed ones are rejected; padded
 * rounds are fresh each time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/mle.h"
#include "zk/zksumcheck.h"

#define LOG_N 2u
#define LOG_B 5u
#define N     (1u << LOG_N)
#define B     (1u << LOG_B)

static const apex_ligero_params pg = {5, 16, 8, N}; /* G: N rows of B witness slots */
static const apex_ligero_params pd = {5, 16, 8, 1}; /* delta: one row */

/* Which sumcheck a case runs. Tables: CASE_GD [Gg, delta]; CASE_EQ_GD [Gg, delta, eq];
 * CASE_EQ_D [delta, eq]; CASE_EQ [eq]; CASE_MULTI [Gg, delta, eq, c] with four terms
 * (eq Gg c + eq Gg delta + c delta + eq), the shape of errata 11's batched sumcheck. */
typedef enum { CASE_GD, CASE_EQ_GD, CASE_EQ_D, CASE_EQ, CASE_MULTI } zcase;
#define MAX_TAB 4

static const apex_sumcheck_term t_gd[1] = {{{1, 0}, 2, {0, 1, 0, 0}}};
static const apex_sumcheck_term t_eqgd[1] = {{{1, 0}, 3, {0, 1, 2, 0}}};
static const apex_sumcheck_term t_one2[1] = {{{1, 0}, 2, {0, 1, 0, 0}}};
static const apex_sumcheck_term t_eq[1] = {{{1, 0}, 1, {0, 0, 0, 0}}};
static const apex_sumcheck_term t_multi[4] = {{{3, 1}, 3, {2, 0, 3, 0}},
                                              {{5, 0}, 3, {2, 0, 1, 0}},
                                              {{0, 2}, 2, {3, 1, 0, 0}},
                                              {{7, 7}, 1, {2, 0, 0, 0}}};

typedef struct fixture {
    apex_gl g[N * B];              /* int8 G */
    apex_gl delta[B];              /* the committed delta */
    apex_hash roots[2];            /* C_G, C_w */
    apex_ligero_commitment *cs[2]; /* their prover objects */
} fixture;

static void setup(fixture *fx, apex_rng *rng)
{
    for (size_t i = 0; i < N * B; i++)
        fx->g[i] = apex_gl_from_i64((int64_t)apex_rng_below(rng, 256) - 128);
    for (size_t j = 0; j < B; j++)
        fx->delta[j] = apex_gl_from_i64((int64_t)apex_rng_below(rng, 1u << 20) - (1 << 19));
    fx->cs[0] = apex_ligero_commit(&pg, fx->g, N * B, rng, &fx->roots[0], NULL);
    fx->cs[1] = apex_ligero_commit(&pd, fx->delta, B, rng, &fx->roots[1], NULL);
    assert_non_null(fx->cs[0]);
    assert_non_null(fx->cs[1]);
}

static apex_zksc_shape shape_of(zcase c)
{
    apex_zksc_shape sh = {LOG_B, 2, 2, t_gd, 1, {5, 16, 8, 2}, {5, 16, 8, 4}};
    switch (c) {
    case CASE_GD:
        break;
    case CASE_EQ_GD:
        sh.ntab = 3;
        sh.terms = t_eqgd;
        break;
    case CASE_EQ_D:
        sh.ncommitted = 1;
        sh.terms = t_one2;
        break;
    case CASE_EQ:
        sh.ntab = 1;
        sh.ncommitted = 0;
        sh.terms = t_eq;
        break;
    case CASE_MULTI:
        sh.ntab = 4;
        sh.terms = t_multi;
        sh.nterms = 4;
        break;
    }
    return sh;
}

/* The public challenges gamma (folds G) and beta (the eq factor), from the statement. */
static apex_transcript *statement(const apex_hash roots[2], apex_gl2 *gamma, apex_gl2 *beta)
{
    apex_transcript *t = apex_transcript_new("test-zksc");
    assert_non_null(t);
    apex_transcript_absorb_bytes(t, "root_G", roots[0].b, 32);
    apex_transcript_absorb_bytes(t, "root_w", roots[1].b, 32);
    assert_int_equal(apex_transcript_challenge_gl2(t, gamma, LOG_N), APEX_OK);
    assert_int_equal(apex_transcript_challenge_gl2(t, beta, LOG_B), APEX_OK);
    return t;
}

/* The public table c of CASE_MULTI: c_j = j + 1. */
static apex_gl2 c_at(size_t j)
{
    return apex_gl2_from_gl(j + 1);
}

/* The tables of a case (committed factors first) and their honest sum. */
static apex_gl2 tables(zcase c, const apex_gl *g, const apex_gl *delta, const apex_gl2 *gamma,
                       const apex_gl2 *beta, apex_gl2 tab[MAX_TAB][B])
{
    apex_gl2 eqg[N], eqb[B];
    apex_mle_eq(eqg, gamma, LOG_N);
    apex_mle_eq(eqb, beta, LOG_B);
    for (size_t j = 0; j < B; j++) {
        apex_gl2 gg = apex_gl2_from_gl(0);
        for (size_t i = 0; i < N; i++)
            gg = apex_gl2_add(gg, apex_gl2_mul_gl(eqg[i], g[i * B + j]));
        apex_gl2 d = apex_gl2_from_gl(delta[j]);
        switch (c) {
        case CASE_GD:
            tab[0][j] = gg;
            tab[1][j] = d;
            break;
        case CASE_EQ_GD:
            tab[0][j] = gg;
            tab[1][j] = d;
            tab[2][j] = eqb[j];
            break;
        case CASE_EQ_D:
            tab[0][j] = d;
            tab[1][j] = eqb[j];
            break;
        case CASE_EQ:
            tab[0][j] = eqb[j];
            break;
        case CASE_MULTI:
            tab[0][j] = gg;
            tab[1][j] = d;
            tab[2][j] = eqb[j];
            tab[3][j] = c_at(j);
            break;
        }
    }
    apex_zksc_shape sh = shape_of(c);
    apex_gl2 sum = apex_gl2_from_gl(0), vals[MAX_TAB];
    for (size_t j = 0; j < B; j++) {
        for (size_t s = 0; s < sh.ntab; s++)
            vals[s] = tab[s][j];
        sum = apex_gl2_add(sum, apex_sumcheck_terms_eval(sh.terms, sh.nterms, vals));
    }
    return sum;
}

/* Views of the committed tables at r and the public tables' values there. */
typedef struct at_r {
    apex_gl2 eqg[N], eqr[B], one; /* weight vectors */
    apex_zksc_view views[2];      /* committed tables */
    apex_gl2 pubvals[2];          /* public tables at r */
} at_r;

static void views_at(zcase c, const apex_gl2 *gamma, const apex_gl2 *beta, const apex_gl2 *r,
                     at_r *a)
{
    apex_mle_eq(a->eqg, gamma, LOG_N);
    apex_mle_eq(a->eqr, r, LOG_B);
    a->one = apex_gl2_from_gl(1);
    apex_zksc_view vg = {0, a->eqg, a->eqr}, vd = {1, &a->one, a->eqr};
    a->views[0] = c == CASE_EQ_D ? vd : vg;
    a->views[1] = vd;
    a->pubvals[0] = apex_mle_eq_point(beta, r, LOG_B); /* eq is the first public table */
    apex_gl2 ct[B];
    for (size_t j = 0; j < B; j++)
        ct[j] = c_at(j);
    apex_mle_eval_gl2(ct, LOG_B, r, &a->pubvals[1]);
}

static void prove(zcase c, fixture *fx, const apex_gl *delta_used, apex_rng *rng,
                  apex_zksc_proof *pf)
{
    apex_gl2 gamma[LOG_N], beta[LOG_B], tab[MAX_TAB][B], r[LOG_B];
    apex_transcript *t = statement(fx->roots, gamma, beta);
    apex_gl2 claim = tables(c, fx->g, delta_used, gamma, beta, tab);
    apex_zksc_shape sh = shape_of(c);
    apex_gl2 *f[MAX_TAB] = {tab[0], tab[1], tab[2], tab[3]};
    apex_zksc_prover *p = NULL;
    const char *why = NULL;
    int rc = apex_zksc_prove_rounds(t, &sh, f, claim, rng, &p, r, &why);
    if (rc != APEX_OK)
        fail_msg("rounds: %s", why);
    at_r a;
    views_at(c, gamma, beta, r, &a);
    rc = apex_zksc_prove_finish(&p, t, fx->cs, 2, a.views, a.pubvals, pf, &why);
    if (rc != APEX_OK)
        fail_msg("finish: %s", why);
    assert_null(p);
    apex_transcript_destroy(&t);
}

/* Verify with the verifier's own claim (from the honest delta unless told otherwise). */
static int verify(zcase c, const fixture *fx, apex_gl2 claim_delta_shift, int shift_pub,
                  const apex_zksc_proof *pf, const char **why)
{
    apex_gl2 gamma[LOG_N], beta[LOG_B], tab[MAX_TAB][B], r[LOG_B];
    apex_transcript *t = statement(fx->roots, gamma, beta);
    apex_gl2 claim = apex_gl2_add(tables(c, fx->g, fx->delta, gamma, beta, tab), claim_delta_shift);
    apex_zksc_shape sh = shape_of(c);
    int rc = apex_zksc_verify_rounds(t, &sh, claim, pf, r, why);
    if (rc == APEX_OK) {
        at_r a;
        views_at(c, gamma, beta, r, &a);
        if (shift_pub)
            a.pubvals[0] = apex_gl2_add(a.pubvals[0], apex_gl2_from_gl(1));
        const apex_ligero_params ps[2] = {pg, pd};
        rc = apex_zksc_verify_finish(t, &sh, claim, ps, fx->roots, 2, a.views, a.pubvals, r, pf,
                                     why);
    }
    apex_transcript_destroy(&t);
    return rc;
}

static void test_cases_accepted(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 81);
    const zcase cases[] = {CASE_GD, CASE_EQ_GD, CASE_EQ_D, CASE_EQ, CASE_MULTI};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture fx;
        setup(&fx, &rng);
        apex_zksc_proof pf;
        prove(cases[i], &fx, fx.delta, &rng, &pf);
        const char *why = "unset";
        int rc = verify(cases[i], &fx, apex_gl2_from_gl(0), 0, &pf, &why);
        if (rc != APEX_OK)
            fail_msg("case %zu rejected: %s", i, why);
        apex_zksc_proof_free(&pf);
        apex_ligero_commitment_destroy(&fx.cs[0]);
        apex_ligero_commitment_destroy(&fx.cs[1]);
    }
}

static void test_cheating_rejected(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 82);
    const zcase cases[] = {CASE_GD, CASE_EQ_GD, CASE_EQ_D, CASE_MULTI};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fixture fx;
        setup(&fx, &rng);
        apex_zksc_proof pf;
        prove(cases[i], &fx, fx.delta, &rng, &pf);
        const char *why = NULL;
        /* a verifier holding another claim, or another public factor */
        assert_int_equal(verify(cases[i], &fx, apex_gl2_make(0, 1), 0, &pf, &why),
                         APEX_ERR_REJECTED);
        if (shape_of(cases[i]).ntab > shape_of(cases[i]).ncommitted) /* has public tables */
            assert_int_equal(verify(cases[i], &fx, apex_gl2_from_gl(0), 1, &pf, &why),
                             APEX_ERR_REJECTED);
        /* any tampered padded round value */
        apex_gl2 keep = pf.rounds[3];
        pf.rounds[3].c0 = apex_gl_add(keep.c0, 1);
        assert_int_equal(verify(cases[i], &fx, apex_gl2_from_gl(0), 0, &pf, &why),
                         APEX_ERR_REJECTED);
        pf.rounds[3] = keep;
        assert_int_equal(verify(cases[i], &fx, apex_gl2_from_gl(0), 0, &pf, &why), APEX_OK);
        apex_zksc_proof_free(&pf);
        apex_ligero_commitment_destroy(&fx.cs[0]);
        apex_ligero_commitment_destroy(&fx.cs[1]);

        /* a prover whose tables use a delta other than the committed one, for a verifier
         * whose claim matches those tables: the evaluation claims fail */
        setup(&fx, &rng);
        apex_gl other[B];
        memcpy(other, fx.delta, sizeof other);
        other[9] = apex_gl_add(other[9], 1);
        prove(cases[i], &fx, other, &rng, &pf);
        apex_gl2 gamma[LOG_N], beta[LOG_B], tab[MAX_TAB][B];
        apex_transcript *t = statement(fx.roots, gamma, beta);
        apex_gl2 shift = apex_gl2_sub(tables(cases[i], fx.g, other, gamma, beta, tab),
                                      tables(cases[i], fx.g, fx.delta, gamma, beta, tab));
        apex_transcript_destroy(&t);
        assert_int_equal(verify(cases[i], &fx, shift, 0, &pf, &why), APEX_ERR_REJECTED);
        apex_zksc_proof_free(&pf);
        apex_ligero_commitment_destroy(&fx.cs[0]);
        apex_ligero_commitment_destroy(&fx.cs[1]);
    }
}

static void test_fresh_pads_and_shapes(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 83);
    fixture fx;
    setup(&fx, &rng);
    /* two proofs of the same statement: every padded round value differs (OS pads) */
    apex_zksc_proof a, b;
    prove(CASE_GD, &fx, fx.delta, NULL, &a);
    apex_ligero_commitment_destroy(&fx.cs[0]);
    apex_ligero_commitment_destroy(&fx.cs[1]);
    apex_rng_seed(&rng, 83);
    setup(&fx, &rng); /* the same commitments again (same seed) */
    prove(CASE_GD, &fx, fx.delta, NULL, &b);
    for (size_t i = 0; i < LOG_B * 3; i++)
        assert_false(apex_gl2_eq(a.rounds[i], b.rounds[i]));
    const char *why = NULL;
    assert_int_equal(verify(CASE_GD, &fx, apex_gl2_from_gl(0), 0, &b, &why), APEX_OK);
    apex_zksc_proof_free(&a);
    apex_zksc_proof_free(&b);
    /* bad shapes are refused up front */
    apex_zksc_shape bad = shape_of(CASE_GD);
    bad.ncommitted = 3; /* more committed tables than tables */
    apex_gl2 tab[1][B] = {{{0, 0}}}, r[LOG_B];
    apex_gl2 *f[1] = {tab[0]};
    apex_zksc_prover *p = NULL;
    apex_transcript *t = apex_transcript_new("x");
    assert_int_equal(apex_zksc_prove_rounds(t, &bad, f, tab[0][0], NULL, &p, r, &why),
                     APEX_ERR_INVALID);
    bad = shape_of(CASE_MULTI); /* eq committed too: eq Gg delta multiplies three */
    bad.ncommitted = 3;
    assert_int_equal(apex_zksc_prove_rounds(t, &bad, f, tab[0][0], NULL, &p, r, &why),
                     APEX_ERR_INVALID);
    assert_non_null(strstr(why, "more than two"));
    bad = shape_of(CASE_GD);
    bad.pad_params = (apex_ligero_params){4, 8, 8, 1}; /* 16 slots < 2 k (m+1) = 30 pads */
    assert_int_equal(apex_zksc_prove_rounds(t, &bad, f, tab[0][0], NULL, &p, r, &why),
                     APEX_ERR_INVALID);
    assert_null(p);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&fx.cs[0]);
    apex_ligero_commitment_destroy(&fx.cs[1]);
}

static void test_encoding_and_swaps(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 84);
    fixture fx;
    setup(&fx, &rng);
    apex_zksc_proof pf, back;
    prove(CASE_EQ_GD, &fx, fx.delta, &rng, &pf);
    const apex_zksc_shape sh = shape_of(CASE_EQ_GD);
    const apex_ligero_params ps[2] = {pg, pd};
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1 << 22);
    assert_int_equal(apex_zksc_proof_encode(&sh, ps, 2, &pf, &w), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);
    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_zksc_proof_decode(&sh, ps, 2, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    const char *why = NULL;
    assert_int_equal(verify(CASE_EQ_GD, &fx, apex_gl2_from_gl(0), 0, &back, &why), APEX_OK);
    apex_zksc_proof_free(&back);
    for (size_t cut = 0; cut < len; cut += 131) { /* truncations never decode */
        apex_enc_reader_init(&r, buf, cut);
        assert_int_not_equal(apex_zksc_proof_decode(&sh, ps, 2, &r, &back), APEX_OK);
        assert_null(back.rounds);
    }
    /* the data commitments swapped at the verifier */
    apex_hash keep = fx.roots[0];
    fx.roots[0] = fx.roots[1];
    fx.roots[1] = keep;
    assert_int_equal(verify(CASE_EQ_GD, &fx, apex_gl2_from_gl(0), 0, &pf, &why), APEX_ERR_REJECTED);
    free(buf);
    apex_zksc_proof_free(&pf);
    apex_ligero_commitment_destroy(&fx.cs[0]);
    apex_ligero_commitment_destroy(&fx.cs[1]);
}

/* Rounds over an equivalent formulation (apex_zksc_prove_rounds_alt): CASE_MULTI's four terms
 * as eq Gg L + c' delta + eq7 with L = (3 + x) c + 5 delta, c' = 2x c, eq7 = (7 + 7x) eq. The
 * round values equal the plain prover's under the same seed and the proof verifies; a
 * formulation that is off (5 -> 4) is rejected; a missing set_finals and a formulation of
 * another degree are refused. */
static int prove_alt(fixture *fx, apex_rng *rng, apex_gl off, int set_finals, unsigned nf_eq7,
                     apex_zksc_proof *pf)
{
    apex_gl2 gamma[LOG_N], beta[LOG_B], tab[MAX_TAB][B], r[LOG_B], alt[6][B];
    apex_transcript *t = statement(fx->roots, gamma, beta);
    apex_gl2 claim = tables(CASE_MULTI, fx->g, fx->delta, gamma, beta, tab);
    const apex_gl2 x = apex_gl2_make(0, 1);
    for (size_t j = 0; j < B; j++) { /* eq, Gg, L, c', delta, eq7 */
        alt[0][j] = tab[2][j];
        alt[1][j] = tab[0][j];
        alt[2][j] = apex_gl2_add(apex_gl2_mul(apex_gl2_make(3, 1), tab[3][j]),
                                 apex_gl2_mul_gl(tab[1][j], apex_gl_sub(5, off)));
        alt[3][j] = apex_gl2_mul(apex_gl2_mul_gl(x, 2), tab[3][j]);
        alt[4][j] = tab[1][j];
        alt[5][j] = apex_gl2_mul(apex_gl2_make(7, 7), tab[2][j]);
    }
    const apex_sumcheck_term terms[3] = {
        {{1, 0}, 3, {0, 1, 2, 0}}, {{1, 0}, 2, {3, 4, 0, 0}}, {{1, 0}, nf_eq7, {5, 5, 5, 5}}};
    apex_zksc_shape sh = shape_of(CASE_MULTI);
    apex_gl2 *f[6] = {alt[0], alt[1], alt[2], alt[3], alt[4], alt[5]};
    apex_zksc_prover *p = NULL;
    const char *why = NULL;
    int rc = apex_zksc_prove_rounds_alt(t, &sh, f, 6, terms, 3, NULL, claim, rng, &p, r, &why);
    if (rc == APEX_OK) {
        apex_gl2 fin[2] = {alt[1][0], alt[4][0]}; /* Gg, delta at r (folded in place) */
        if (set_finals)
            apex_zksc_prover_set_finals(p, fin);
        at_r a;
        views_at(CASE_MULTI, gamma, beta, r, &a);
        rc = apex_zksc_prove_finish(&p, t, fx->cs, 2, a.views, a.pubvals, pf, &why);
    }
    apex_zksc_prover_destroy(&p);
    apex_transcript_destroy(&t);
    return rc;
}

static void test_alt_formulation(void **state)
{
    (void)state;
    apex_rng rng, r1, r2;
    apex_rng_seed(&rng, 85);
    fixture fx;
    setup(&fx, &rng);
    apex_zksc_proof plain, alt;
    apex_rng_seed(&r1, 851);
    prove(CASE_MULTI, &fx, fx.delta, &r1, &plain);
    apex_rng_seed(&r2, 851);
    assert_int_equal(prove_alt(&fx, &r2, 0, 1, 1, &alt), APEX_OK);
    size_t nr = (size_t)LOG_B * 4; /* degree 3: four values per round */
    assert_memory_equal(plain.rounds, alt.rounds, nr * sizeof *alt.rounds);
    const char *why = NULL;
    assert_int_equal(verify(CASE_MULTI, &fx, apex_gl2_from_gl(0), 0, &alt, &why), APEX_OK);
    apex_zksc_proof_free(&plain);
    apex_zksc_proof_free(&alt);
    apex_ligero_commitment_destroy(&fx.cs[0]); /* two openings used: fresh commitments */
    apex_ligero_commitment_destroy(&fx.cs[1]);
    setup(&fx, &rng);
    assert_int_equal(prove_alt(&fx, &rng, 1, 1, 1, &alt), APEX_OK); /* off by delta: rejected */
    assert_int_equal(verify(CASE_MULTI, &fx, apex_gl2_from_gl(0), 0, &alt, &why),
                     APEX_ERR_REJECTED);
    apex_zksc_proof_free(&alt);
    assert_int_equal(prove_alt(&fx, &rng, 0, 0, 1, &alt), APEX_ERR_INVALID); /* no finals */
    assert_int_equal(prove_alt(&fx, &rng, 0, 1, 4, &alt), APEX_ERR_INVALID); /* degree 4 */
    apex_ligero_commitment_destroy(&fx.cs[0]);
    apex_ligero_commitment_destroy(&fx.cs[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases_accepted),        cmocka_unit_test(test_cheating_rejected),
        cmocka_unit_test(test_fresh_pads_and_shapes), cmocka_unit_test(test_encoding_and_swaps),
        cmocka_unit_test(test_alt_formulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
