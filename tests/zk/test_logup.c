/* Tests for zk/logup: values in [0, 2^bits) (including both ends) are accepted; a value just
 * above the table, a negative value (p - 1) or a large one is rejected; the proof is bound
 * to the checked commitment's root and its own commitments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/logup.h"
#include "zk/logup_impl.h"

/* BLOCK 64, 32 pads: 2 rows x 32 slots = 64 checked values. */
#define NV 64u

static apex_logup_shape shape_for(unsigned bits)
{
    size_t tr = ((1u << bits) + 31) / 32; /* table rows per block */
    apex_logup_shape sh = {bits, {6, 32, 12, 2}, {6, 32, 12, tr}, {6, 32, 12, 4 * 2 + 2 * tr}};
    return sh;
}

static apex_transcript *fresh(void)
{
    apex_transcript *t = apex_transcript_new("test-logup");
    assert_non_null(t);
    return t;
}

/* Commit the values, prove, verify (optionally against another root); returns verify's code. */
static int run_as(unsigned bits, const apex_gl *v, apex_rng *rng, int wrong_root, int tamper_m,
                  int cheat)
{
    apex_logup_shape sh = shape_for(bits);
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&sh.a_params, v, NV, rng, &root, NULL);
    assert_non_null(c);
    apex_transcript *t = fresh();
    apex_logup_proof pf;
    const char *why = NULL;
    int rc = logup_prove_impl(t, &sh, c, rng, cheat, &pf, &why);
    if (rc != APEX_OK)
        fail_msg("prove: %s", why);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    if (wrong_root)
        root.b[0] ^= 1;
    if (tamper_m)
        pf.root_m.b[9] ^= 4;
    t = fresh();
    rc = apex_logup_verify(t, &sh, &root, &pf, &why);
    apex_transcript_destroy(&t);
    apex_logup_proof_free(&pf);
    return rc;
}

static int run(unsigned bits, const apex_gl *v, apex_rng *rng, int wrong_root, int tamper_m)
{
    return run_as(bits, v, rng, wrong_root, tamper_m, 0);
}

static void test_in_range_accepted(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 101);
    const unsigned widths[] = {1, 4, 8};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        unsigned bits = widths[i];
        apex_gl v[NV];
        for (size_t j = 0; j < NV; j++)
            v[j] = apex_rng_below(&rng, 1u << bits);
        v[0] = 0; /* both ends of the table */
        v[1] = (1u << bits) - 1;
        v[2] = v[1]; /* repeated values: multiplicities above one */
        assert_int_equal(run(bits, v, &rng, 0, 0), APEX_OK);
    }
}

static void test_out_of_range_rejected(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 102);
    const unsigned bits = 8;
    const apex_gl bad[] = {256, APEX_GL_P - 1 /* -1 */, 1ULL << 40, APEX_GL_P - 256};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apex_gl v[NV];
        for (size_t j = 0; j < NV; j++)
            v[j] = apex_rng_below(&rng, 256);
        v[17 + i] = bad[i];
        assert_int_equal(run(bits, v, &rng, 0, 0), APEX_ERR_REJECTED);
        /* provers that balance the sums anyway, each caught by one check: forged helpers
         * with faked products (Z = A * H), forged helpers with honest products
         * (h (X - a) = 1), a shifted table side (g (X - t) = m) */
        for (int cheat = 1; cheat <= 3; cheat++)
            assert_int_equal(run_as(bits, v, &rng, 0, 0, cheat), APEX_ERR_REJECTED);
    }
    /* the same forgeries on an honest vector change nothing: still accepted */
    apex_gl ok[NV];
    for (size_t j = 0; j < NV; j++)
        ok[j] = apex_rng_below(&rng, 256);
    for (int cheat = 1; cheat <= 3; cheat++)
        assert_int_equal(run_as(bits, ok, &rng, 0, 0, cheat), APEX_OK);
}

static void test_binding(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 103);
    apex_gl v[NV];
    for (size_t j = 0; j < NV; j++)
        v[j] = apex_rng_below(&rng, 16);
    assert_int_equal(run(4, v, &rng, 1, 0), APEX_ERR_REJECTED); /* another C_a */
    assert_int_equal(run(4, v, &rng, 0, 1), APEX_ERR_REJECTED); /* another C_m */
    /* shapes that do not fit are refused */
    apex_logup_shape sh = shape_for(4);
    sh.h_params.nwrow = 3;
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&sh.a_params, v, NV, &rng, &root, NULL);
    apex_transcript *t = fresh();
    apex_logup_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_logup_prove(t, &sh, c, &rng, &pf, &why), APEX_ERR_INVALID);
    sh = shape_for(4);
    sh.bits = APEX_LOGUP_MAX_BITS + 1;
    assert_int_equal(apex_logup_prove(t, &sh, c, &rng, &pf, &why), APEX_ERR_INVALID);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
}

static void test_encoding(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 104);
    apex_logup_shape sh = shape_for(8);
    apex_gl v[NV];
    for (size_t j = 0; j < NV; j++)
        v[j] = apex_rng_below(&rng, 256);
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&sh.a_params, v, NV, &rng, &root, NULL);
    apex_transcript *t = fresh();
    apex_logup_proof pf, back;
    assert_int_equal(apex_logup_prove(t, &sh, c, &rng, &pf, NULL), APEX_OK);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1 << 22);
    assert_int_equal(apex_logup_proof_encode(&sh, &pf, &w), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);
    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_logup_proof_decode(&sh, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    t = fresh();
    assert_int_equal(apex_logup_verify(t, &sh, &root, &back, NULL), APEX_OK);
    apex_transcript_destroy(&t);
    apex_logup_proof_free(&back);
    for (size_t cut = 0; cut < len; cut += 211) {
        apex_enc_reader_init(&r, buf, cut);
        assert_int_not_equal(apex_logup_proof_decode(&sh, &r, &back), APEX_OK);
    }
    /* an empty proof (composition mode) does not encode */
    apex_logup_proof empty;
    memset(&empty, 0, sizeof empty);
    apex_enc_writer_init(&w, 1 << 22);
    assert_int_equal(apex_logup_proof_encode(&sh, &empty, &w), APEX_ERR_INVALID);
    apex_enc_writer_free(&w);
    free(buf);
    apex_logup_proof_free(&pf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_range_accepted),
        cmocka_unit_test(test_out_of_range_rejected),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
