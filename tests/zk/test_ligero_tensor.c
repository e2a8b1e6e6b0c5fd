/* Tests for tensor-structured claims in zk/ligero: an MLE evaluation claim <eq(pt), W> on a
 * commitment laid out as rows x slots is proven and checked against zk/mle; a wrong value,
 * a claim on another commitment or a malformed claim is rejected; tensor claims combine
 * with sparse terms in a joint proof. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/ligero.h"
#include "zk/mle.h"

/* BLOCK 32, every slot witness (12 pads outside H_B): 32 slots (5 low variables) x 4 rows
 * (2 high variables). */
static const apex_ligero_params shape = {5, 12, 12, 4};
#define SLOT_VARS 5u
#define ROW_VARS  2u
#define NVARS     (SLOT_VARS + ROW_VARS)
#define NW        (1u << NVARS)

static apex_transcript *fresh(void)
{
    apex_transcript *t = apex_transcript_new("test-tensor");
    assert_non_null(t);
    return t;
}

/* An evaluation claim at a random F_p2 point: weights and the value from zk/mle. */
typedef struct eval_claim {
    apex_gl2 pt[NVARS];               /* the point; low coordinates index slots */
    apex_gl2 row_w[1u << ROW_VARS];   /* eq of the high coordinates */
    apex_gl2 slot_w[1u << SLOT_VARS]; /* eq of the low coordinates */
    apex_gl2 value;                   /* W~(pt) */
} eval_claim;

static void make_claim(eval_claim *c, const apex_gl *w, apex_rng *rng)
{
    for (unsigned i = 0; i < NVARS; i++)
        c->pt[i] = apex_gl2_make(apex_rng_below(rng, APEX_GL_P), apex_rng_below(rng, APEX_GL_P));
    assert_int_equal(apex_mle_eq(c->slot_w, c->pt, SLOT_VARS), APEX_OK);
    assert_int_equal(apex_mle_eq(c->row_w, c->pt + SLOT_VARS, ROW_VARS), APEX_OK);
    assert_int_equal(apex_mle_eval_gl(w, NVARS, c->pt, &c->value), APEX_OK);
}

static void test_mle_evaluation_claim(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 51);
    apex_gl w[NW];
    for (size_t i = 0; i < NW; i++) /* int8-like entries, negatives as p - |x| */
        w[i] = apex_gl_from_i64((int64_t)apex_rng_below(&rng, 256) - 128);
    eval_claim ec[2];
    make_claim(&ec[0], w, &rng);
    make_claim(&ec[1], w, &rng);
    const apex_ligero_tensor tens[2] = {{0, ec[0].row_w, ec[0].slot_w, NULL, 0},
                                        {0, ec[1].row_w, ec[1].slot_w, NULL, 0}};
    apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, tens, 2};
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&shape, w, NW, &rng, &root, NULL);
    assert_non_null(c);
    apex_transcript *t = fresh();
    apex_ligero_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);

    apex_gl2 tval[2] = {ec[0].value, ec[1].value};
    t = fresh();
    int rc = apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, tval, &pf, &why);
    apex_transcript_destroy(&t);
    if (rc != APEX_OK)
        fail_msg("rejected: %s", why);

    /* a wrong value for either claim is rejected */
    for (int k = 0; k < 2; k++) {
        tval[k].c1 = apex_gl_add(tval[k].c1, 1);
        t = fresh();
        assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, tval, &pf, &why),
                         APEX_ERR_REJECTED);
        apex_transcript_destroy(&t);
        tval[k].c1 = apex_gl_sub(tval[k].c1, 1);
    }
    /* the right values for another point are rejected: the weights are the verifier's and
     * sit in the transcript (constraint digest), so the transcripts diverge */
    apex_gl2 keep = ec[0].slot_w[3];
    ec[0].slot_w[3] = apex_gl2_add(keep, apex_gl2_from_gl(1));
    t = fresh();
    assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, tval, &pf, &why),
                     APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "merkle"));
    apex_transcript_destroy(&t);
    ec[0].slot_w[3] = keep;
    /* malformed claims: no such commitment, a non-canonical weight */
    apex_ligero_tensor bad[2] = {tens[0], {1, ec[1].row_w, ec[1].slot_w, NULL, 0}};
    cons.tensors = bad;
    t = fresh();
    assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, tval, &pf, &why),
                     APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "tensor"));
    apex_transcript_destroy(&t);
    bad[1].commit = 0;
    ec[1].row_w[0].c0 = APEX_GL_P;
    t = fresh();
    assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, tval, &pf, &why),
                     APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "non-canonical"));
    apex_transcript_destroy(&t);
    apex_ligero_proof_free(&pf);
}

static void test_joint_with_sparse_terms(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 52);
    /* commitment 0: sparse terms; commitment 1: the tensor claim */
    const apex_ligero_params ps[2] = {{5, 16, 12, 3}, shape}; /* other pad counts */
    apex_gl w0[3 * 32], w1[NW];
    for (size_t i = 0; i < 3 * 32; i++)
        w0[i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t i = 0; i < NW; i++)
        w1[i] = apex_rng_below(&rng, APEX_GL_P);
    apex_ligero_term terms[3] = {{0, 5, 3}, {0, 95, 1}, {1, 96 + 7, 2}}; /* last: in W1 */
    apex_gl b[2] = {apex_gl_add(apex_gl_mul(3, w0[5]), w0[95]), apex_gl_mul(2, w1[7])};
    eval_claim ec;
    make_claim(&ec, w1, &rng);
    const apex_ligero_tensor tens = {1, ec.row_w, ec.slot_w, NULL, 0};
    apex_ligero_constraints cons = {terms, 3, 2, NULL, 0, &tens, 1};
    apex_hash roots[2];
    apex_ligero_commitment *cs[2] = {apex_ligero_commit(&ps[0], w0, 3 * 32, &rng, &roots[0], NULL),
                                     apex_ligero_commit(&ps[1], w1, NW, &rng, &roots[1], NULL)};
    apex_transcript *t = fresh();
    apex_ligero_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_ligero_prove(cs, 2, t, &cons, &rng, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    t = fresh();
    int rc = apex_ligero_verify(ps, roots, 2, t, &cons, b, &ec.value, &pf, &why);
    apex_transcript_destroy(&t);
    if (rc != APEX_OK)
        fail_msg("rejected: %s", why);
    /* swapping which commitment each claim is on is rejected */
    apex_hash swapped[2] = {roots[1], roots[0]};
    t = fresh();
    assert_int_equal(apex_ligero_verify(ps, swapped, 2, t, &cons, b, &ec.value, &pf, &why),
                     APEX_ERR_REJECTED);
    apex_transcript_destroy(&t);
    /* a prover asked for a claim on a commitment it was not given refuses */
    apex_ligero_tensor nowhere = tens;
    nowhere.commit = 2;
    cons.tensors = &nowhere;
    apex_ligero_proof pf2;
    t = fresh();
    assert_int_equal(apex_ligero_prove(cs, 2, t, &cons, &rng, &pf2, &why), APEX_ERR_INVALID);
    apex_transcript_destroy(&t);
    apex_ligero_proof_free(&pf);
    apex_ligero_commitment_destroy(&cs[0]);
    apex_ligero_commitment_destroy(&cs[1]);
}

/* The evaluation stays hidden: V = W~(pt) is committed in a second commitment and the claim
 * is <eq(pt), W> - (V.c0 + x V.c1) = 0, an F_p2 sparse part with coefficients -1 and -x. */
static void test_hidden_value(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 53);
    const apex_ligero_params pv = {5, 12, 12, 1};
    const apex_ligero_params ps[2] = {shape, pv};
    apex_gl w[NW], v[32];
    for (size_t i = 0; i < NW; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t i = 0; i < 32; i++)
        v[i] = apex_rng_below(&rng, APEX_GL_P);
    eval_claim ec;
    make_claim(&ec, w, &rng);
    v[0] = ec.value.c0;
    v[1] = ec.value.c1;
    const apex_ligero_xterm minus_v[2] = {{NW + 0, {APEX_GL_P - 1, 0}},
                                          {NW + 1, {0, APEX_GL_P - 1}}};
    const apex_ligero_tensor tn = {0, ec.row_w, ec.slot_w, minus_v, 2};
    apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, &tn, 1};
    const apex_gl2 zero = apex_gl2_from_gl(0);
    for (int cheat = 0; cheat < 2; cheat++) {
        if (cheat) /* a committed value that is not the evaluation */
            v[1] = apex_gl_add(v[1], 1);
        apex_hash roots[2];
        apex_ligero_commitment *cs[2] = {apex_ligero_commit(&ps[0], w, NW, &rng, &roots[0], NULL),
                                         apex_ligero_commit(&ps[1], v, 32, &rng, &roots[1], NULL)};
        apex_transcript *t = fresh();
        apex_ligero_proof pf;
        const char *why = NULL;
        assert_int_equal(apex_ligero_prove(cs, 2, t, &cons, &rng, &pf, &why), APEX_OK);
        apex_transcript_destroy(&t);
        t = fresh();
        int rc = apex_ligero_verify(ps, roots, 2, t, &cons, NULL, &zero, &pf, &why);
        apex_transcript_destroy(&t);
        if (!cheat) {
            if (rc != APEX_OK)
                fail_msg("rejected: %s", why);
            /* the value appears nowhere in the proof */
            for (size_t k = 0; k <= 2; k++) {
                size_t nrow = k == 0 ? 4 : k == 1 ? 1 : (size_t)APEX_LIGERO_NMASK;
                for (size_t j = 0; j < 12 * nrow; j++)
                    assert_true(pf.open[k].cols[j] != v[0] && pf.open[k].cols[j] != v[1]);
            }
            for (size_t j = 0; j < 32 + 12; j++) /* BLOCK + NP coefficients */
                assert_true(pf.ldt[j].c0 != v[0] && pf.ldt[j].c1 != v[1]);
        } else {
            assert_int_equal(rc, APEX_ERR_REJECTED);
        }
        apex_ligero_proof_free(&pf);
        apex_ligero_commitment_destroy(&cs[0]);
        apex_ligero_commitment_destroy(&cs[1]);
    }
}

/* A pure F_p2 sparse claim (no tensor part): lambda0 W[3] + lambda1 W[100] = value. */
static void test_sparse_only_claim(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 54);
    apex_gl w[NW];
    for (size_t i = 0; i < NW; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    const apex_ligero_xterm xt[2] = {{3, {5, 6}}, {100, {APEX_GL_P - 2, 9}}};
    apex_gl2 value =
        apex_gl2_add(apex_gl2_mul_gl(xt[0].coef, w[3]), apex_gl2_mul_gl(xt[1].coef, w[100]));
    const apex_ligero_tensor tn = {0, NULL, NULL, xt, 2};
    apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, &tn, 1};
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&shape, w, NW, &rng, &root, NULL);
    apex_transcript *t = fresh();
    apex_ligero_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    t = fresh();
    int rc = apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, &value, &pf, &why);
    apex_transcript_destroy(&t);
    if (rc != APEX_OK)
        fail_msg("rejected: %s", why);
    value.c1 = apex_gl_add(value.c1, 1);
    t = fresh();
    assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, &value, &pf, &why),
                     APEX_ERR_REJECTED);
    apex_transcript_destroy(&t);
    apex_ligero_proof_free(&pf);
    apex_ligero_commitment_destroy(&c);
}

/* A row source over int8 data: the streaming commitment never holds the witness. */
typedef struct int8_rows {
    const int8_t *data; /* [nrow][wr] */
    size_t wr;          /* values per row */
    int tamper;         /* 1: hand out a different value than at commit time */
    int bad;            /* 1: hand out a non-canonical element */
} int8_rows;

static int int8_source(void *ctx, size_t row, apex_gl *out)
{
    const int8_rows *s = ctx;
    for (size_t j = 0; j < s->wr; j++)
        out[j] = apex_gl_from_i64(s->data[row * s->wr + j]);
    if (s->tamper && row == 1)
        out[3] = apex_gl_add(out[3], 1);
    if (s->bad)
        out[0] = APEX_GL_P;
    return APEX_OK;
}

static void test_row_source(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 55);
    int8_t data[NW];
    apex_gl w[NW];
    for (size_t i = 0; i < NW; i++) {
        data[i] = (int8_t)((int)apex_rng_below(&rng, 256) - 128);
        w[i] = apex_gl_from_i64(data[i]);
    }
    int8_rows src = {data, 32, 0, 0};
    eval_claim ec;
    make_claim(&ec, w, &rng);
    const apex_ligero_tensor tn = {0, ec.row_w, ec.slot_w, NULL, 0};
    apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, &tn, 1};
    for (int tamper = 0; tamper < 2; tamper++) {
        apex_hash root;
        const char *why = NULL;
        src.tamper = 0;
        apex_ligero_commitment *c =
            apex_ligero_commit_rows(&shape, int8_source, &src, &rng, &root, &why);
        assert_non_null(c);
        src.tamper = tamper; /* a source that changes after committing */
        apex_transcript *t = fresh();
        apex_ligero_proof pf;
        assert_int_equal(apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, &why), APEX_OK);
        apex_transcript_destroy(&t);
        t = fresh();
        int rc = apex_ligero_verify(&shape, &root, 1, t, &cons, NULL, &ec.value, &pf, &why);
        apex_transcript_destroy(&t);
        assert_int_equal(rc, tamper ? APEX_ERR_REJECTED : APEX_OK);
        apex_ligero_proof_free(&pf);
        apex_ligero_commitment_destroy(&c);
    }
    /* a source handing out non-canonical elements is refused */
    src.tamper = 0;
    src.bad = 1;
    apex_hash root;
    assert_null(apex_ligero_commit_rows(&shape, int8_source, &src, &rng, &root, NULL));
    assert_null(apex_ligero_commit_rows(&shape, NULL, NULL, &rng, &root, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mle_evaluation_claim), cmocka_unit_test(test_joint_with_sparse_terms),
        cmocka_unit_test(test_hidden_value),         cmocka_unit_test(test_sparse_only_claim),
        cmocka_unit_test(test_row_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
