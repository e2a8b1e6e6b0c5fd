/* Tests for zk/cbuild: a system assembled piece by piece (linear constraints, a quadratic
 * row constraint, a tensor claim with a sparse part, a sparse-only claim) over two
 * commitments proves and verifies, a wrong value is rejected, the layout matches the
 * commitments, and bad inputs are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/cbuild.h"

static void test_assembled_system(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 111);
    const apex_ligero_params ps[2] = {{5, 8, 6, 3}, {5, 8, 6, 2}}; /* 32 slots per row */
    size_t w_off[3], r_off[3];
    assert_int_equal(apex_cbuild_layout(ps, 2, w_off, r_off), APEX_OK);
    assert_int_equal(w_off[1], 96);
    assert_int_equal(w_off[2], 160);
    assert_int_equal(r_off[2], 5);
    apex_gl w[160];
    for (size_t i = 0; i < 160; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t s = 0; s < 32; s++) /* row 3 (commitment 1, row 0) = row 0 * row 1 */
        w[96 + s] = apex_gl_mul(w[s], w[32 + s]);
    apex_cbuild *b = apex_cbuild_new();
    assert_non_null(b);
    /* two linear constraints */
    const size_t idx[3] = {5, 100, 159};
    const apex_gl coef[3] = {3, 1, APEX_GL_P - 2};
    apex_gl v = 0;
    for (int i = 0; i < 3; i++)
        v = apex_gl_add(v, apex_gl_mul(coef[i], w[idx[i]]));
    assert_int_equal(apex_cbuild_linear(b, idx, coef, 3, v), APEX_OK);
    assert_int_equal(apex_cbuild_linear(b, idx + 1, coef + 1, 1, w[100]), APEX_OK);
    assert_int_equal(apex_cbuild_quad(b, 0, 1, 3), APEX_OK);
    /* a tensor claim on commitment 1 with a sparse part on commitment 0 */
    apex_gl2 row_w[2] = {{2, 3}, {4, 5}}, slot_w[32];
    for (size_t s = 0; s < 32; s++)
        slot_w[s] = apex_gl2_make(s + 1, 7);
    apex_ligero_xterm xt[1] = {{10, {9, 1}}};
    apex_gl2 tv = apex_gl2_mul_gl(xt[0].coef, w[10]);
    for (size_t i = 0; i < 2; i++)
        for (size_t s = 0; s < 32; s++)
            tv = apex_gl2_add(
                tv, apex_gl2_mul_gl(apex_gl2_mul(row_w[i], slot_w[s]), w[96 + i * 32 + s]));
    assert_int_equal(apex_cbuild_tensor(b, 1, row_w, 2, slot_w, 32, xt, 1, tv), APEX_OK);
    /* a sparse-only claim */
    apex_ligero_xterm only[2] = {{0, {1, 1}}, {100, {0, 3}}};
    apex_gl2 ov =
        apex_gl2_add(apex_gl2_mul_gl(only[0].coef, w[0]), apex_gl2_mul_gl(only[1].coef, w[100]));
    assert_int_equal(apex_cbuild_tensor(b, 0, NULL, 0, NULL, 0, only, 2, ov), APEX_OK);
    /* the builder holds copies: the caller's arrays may change now */
    row_w[0] = apex_gl2_make(0, 0);
    only[1].coef = apex_gl2_make(0, 0);

    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    assert_int_equal(cons.nlin, 2);
    assert_int_equal(cons.nterms, 4);
    assert_int_equal(cons.nquad, 1);
    assert_int_equal(cons.ntensor, 2);
    apex_hash roots[2];
    apex_ligero_commitment *cs[2] = {apex_ligero_commit(&ps[0], w, 96, &rng, &roots[0], NULL),
                                     apex_ligero_commit(&ps[1], w + 96, 64, &rng, &roots[1], NULL)};
    apex_transcript *t = apex_transcript_new("cbuild");
    apex_ligero_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_ligero_prove(cs, 2, t, &cons, &rng, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    t = apex_transcript_new("cbuild");
    int rc = apex_ligero_verify(ps, roots, 2, t, &cons, lin_b, tval, &pf, &why);
    apex_transcript_destroy(&t);
    if (rc != APEX_OK)
        fail_msg("rejected: %s", why);
    /* a wrong value for the second linear constraint */
    apex_gl bad_b[2] = {lin_b[0], apex_gl_add(lin_b[1], 1)};
    t = apex_transcript_new("cbuild");
    assert_int_equal(apex_ligero_verify(ps, roots, 2, t, &cons, bad_b, tval, &pf, &why),
                     APEX_ERR_REJECTED);
    apex_transcript_destroy(&t);
    apex_ligero_proof_free(&pf);
    apex_ligero_commitment_destroy(&cs[0]);
    apex_ligero_commitment_destroy(&cs[1]);
    /* refused inputs */
    const apex_gl big = APEX_GL_P;
    assert_int_equal(apex_cbuild_linear(b, idx, &big, 1, 0), APEX_ERR_RANGE);
    assert_int_equal(apex_cbuild_linear(b, idx, coef, 1, APEX_GL_P), APEX_ERR_RANGE);
    assert_int_equal(apex_cbuild_tensor(b, 0, row_w, 2, NULL, 0, NULL, 0, tv), APEX_ERR_RANGE);
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    assert_int_equal(cons.nlin, 2); /* nothing was added by the refused calls */
    apex_cbuild_destroy(&b);
    assert_null(b);
    const apex_ligero_params bad[1] = {{6, 2, 12, 1}};
    assert_int_equal(apex_cbuild_layout(bad, 1, w_off, r_off), APEX_ERR_INVALID);
}

/* Many small additions exercise the growth of every array. */
static void test_growth(void **state)
{
    (void)state;
    apex_cbuild *b = apex_cbuild_new();
    for (size_t i = 0; i < 1000; i++) {
        size_t w = i;
        apex_gl c = i + 1;
        apex_ligero_xterm x = {i, {1, 0}};
        assert_int_equal(apex_cbuild_linear(b, &w, &c, 1, 0), APEX_OK);
        assert_int_equal(apex_cbuild_quad(b, i, i + 1, i + 2), APEX_OK);
        assert_int_equal(apex_cbuild_tensor(b, 0, NULL, 0, NULL, 0, &x, 1, apex_gl2_from_gl(i)),
                         APEX_OK);
    }
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    assert_int_equal(cons.nlin, 1000);
    assert_int_equal(cons.nquad, 1000);
    assert_int_equal(cons.ntensor, 1000);
    assert_int_equal(cons.terms[999].c, 999);
    assert_int_equal(cons.quads[999].z, 1001);
    assert_int_equal(cons.tensors[999].terms[0].w, 999);
    assert_int_equal(tval[999].c0, 999);
    apex_cbuild_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assembled_system),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
