/* Tests for zk/transcript: known answers from an independent Python reference (hashlib +
 * AES-CTR from python3-cryptography, written from the format in transcript.h), binding of
 * every absorbed byte, label and boundary, fresh keys after absorbs, and the samplers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/transcript.h"

/* The KAT sequence: sub-domain "kat", then bytes/u64/gl absorptions. */
static apex_transcript *kat_transcript(void)
{
    apex_transcript *t = apex_transcript_new("kat");
    assert_non_null(t);
    uint8_t root[32];
    memset(root, 0xab, sizeof root);
    apex_gl v[2] = {1, APEX_GL_P - 1};
    assert_int_equal(apex_transcript_absorb_bytes(t, "root", root, sizeof root), APEX_OK);
    assert_int_equal(apex_transcript_absorb_u64(t, "epoch", 7), APEX_OK);
    assert_int_equal(apex_transcript_absorb_gl(t, "v", v, 2), APEX_OK);
    return t;
}

static void test_known_answer(void **state)
{
    (void)state;
    apex_transcript *t = kat_transcript();
    uint8_t out[32], want[32];
    assert_int_equal(apex_transcript_squeeze_bytes(t, out, 32), APEX_OK);
    assert_int_equal(
        apex_unhex("2dea66cda9258c09cd431bc4f3a2c0597b4f2a4da011c9aa3c4fefbe7d331e10", want, 32),
        APEX_OK);
    assert_memory_equal(out, want, 32);
    apex_gl g;
    assert_int_equal(apex_transcript_challenge_gl(t, &g), APEX_OK);
    assert_int_equal(g, 15423127544048212635ULL);
    apex_gl2 e;
    assert_int_equal(apex_transcript_challenge_gl2(t, &e, 1), APEX_OK);
    assert_int_equal(e.c0, 15189575855262133480ULL);
    assert_int_equal(e.c1, 3307326619608843961ULL);
    uint64_t idx[5];
    assert_int_equal(apex_transcript_challenge_indices(t, 10, 20, 5, idx), APEX_OK);
    static const uint64_t want_idx[5] = {13, 10, 12, 11, 19};
    assert_memory_equal(idx, want_idx, sizeof idx);
    apex_gl2 w = apex_gl2_make(3, 4);
    assert_int_equal(apex_transcript_absorb_gl2(t, "w", &w, 1), APEX_OK);
    assert_int_equal(apex_transcript_squeeze_bytes(t, out, 16), APEX_OK);
    assert_int_equal(apex_unhex("7bf9c4c1c338330541d8dd2f879734bd", want, 16), APEX_OK);
    assert_memory_equal(out, want, 16);
    apex_transcript_destroy(&t);
    assert_null(t);
}

/* First 16 squeezed bytes of a transcript. */
static void first_bytes(apex_transcript *t, uint8_t out[16])
{
    assert_int_equal(apex_transcript_squeeze_bytes(t, out, 16), APEX_OK);
    apex_transcript_destroy(&t);
}

static void test_binding(void **state)
{
    (void)state;
    uint8_t ref[16], got[16];
    apex_transcript *t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "m", "abc", 3);
    first_bytes(t, ref);

    /* the same sequence gives the same bytes */
    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "m", "abc", 3);
    first_bytes(t, got);
    assert_memory_equal(ref, got, 16);

    /* a different sub-domain, label, value, split point or type changes them */
    t = apex_transcript_new("unit2");
    apex_transcript_absorb_bytes(t, "m", "abc", 3);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "n", "abc", 3);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "m", "abd", 3);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "m", "ab", 2);
    apex_transcript_absorb_bytes(t, "", "c", 1);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    /* label/payload boundary: ("ma", "bc") vs ("m", "abc") */
    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "ma", "bc", 2);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    /* u64 7 vs the same 8 bytes absorbed as raw bytes */
    uint8_t seven[8] = {7, 0, 0, 0, 0, 0, 0, 0};
    uint8_t a[16], b[16];
    t = apex_transcript_new("unit");
    apex_transcript_absorb_u64(t, "x", 7);
    first_bytes(t, a);
    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "x", seven, 8);
    first_bytes(t, b);
    assert_memory_not_equal(a, b, 16);
    /* and as a base-field element */
    apex_gl g7 = 7;
    t = apex_transcript_new("unit");
    apex_transcript_absorb_gl(t, "x", &g7, 1);
    first_bytes(t, b);
    assert_memory_not_equal(a, b, 16);

    /* an empty absorb still changes the state (it has a header) */
    t = apex_transcript_new("unit");
    apex_transcript_absorb_bytes(t, "m", "abc", 3);
    apex_transcript_absorb_bytes(t, "m", NULL, 0);
    first_bytes(t, got);
    assert_memory_not_equal(ref, got, 16);

    /* non-canonical elements are refused, not reduced */
    t = apex_transcript_new("unit");
    apex_gl bad = APEX_GL_P;
    apex_gl2 bad2 = apex_gl2_make(0, APEX_GL_P);
    assert_int_equal(apex_transcript_absorb_gl(t, "x", &bad, 1), APEX_ERR_RANGE);
    assert_int_equal(apex_transcript_absorb_gl2(t, "x", &bad2, 1), APEX_ERR_RANGE);
    apex_transcript_destroy(&t);
}

static void test_fresh_state_and_clone(void **state)
{
    (void)state;
    apex_transcript *t = kat_transcript();
    apex_transcript *c = apex_transcript_clone(t);
    assert_non_null(c);
    uint8_t x[32], y[32], z[16];
    assert_int_equal(apex_transcript_squeeze_bytes(t, x, 32), APEX_OK);
    /* squeezing in two parts continues the same stream */
    assert_int_equal(apex_transcript_squeeze_bytes(c, y, 5), APEX_OK);
    assert_int_equal(apex_transcript_squeeze_bytes(c, y + 5, 27), APEX_OK);
    assert_memory_equal(x, y, 32);
    /* a clone taken mid-stream continues from the same position */
    apex_transcript *c2 = apex_transcript_clone(t);
    assert_int_equal(apex_transcript_squeeze_bytes(t, x, 16), APEX_OK);
    assert_int_equal(apex_transcript_squeeze_bytes(c2, y, 16), APEX_OK);
    assert_memory_equal(x, y, 16);
    /* after an absorb the key is fresh: bytes differ from the continued old stream */
    assert_int_equal(apex_transcript_squeeze_bytes(c, z, 16), APEX_OK);
    assert_int_equal(apex_transcript_absorb_u64(t, "k", 1), APEX_OK);
    assert_int_equal(apex_transcript_squeeze_bytes(t, x, 16), APEX_OK);
    assert_memory_not_equal(x, z, 16);
    apex_transcript_destroy(&t);
    apex_transcript_destroy(&c);
    apex_transcript_destroy(&c2);
}

static void test_samplers(void **state)
{
    (void)state;
    apex_transcript *t = apex_transcript_new("samplers");
    /* F_p2 challenges: canonical and not all equal */
    apex_gl2 e[64];
    assert_int_equal(apex_transcript_challenge_gl2(t, e, 64), APEX_OK);
    for (int i = 0; i < 64; i++) {
        assert_true(e[i].c0 < APEX_GL_P && e[i].c1 < APEX_GL_P);
        if (i)
            assert_false(apex_gl2_eq(e[i], e[i - 1]));
    }
    /* indices: distinct and in range; drawing the whole range yields a permutation */
    uint64_t idx[200];
    assert_int_equal(apex_transcript_challenge_indices(t, 1000, 1200, 200, idx), APEX_OK);
    uint8_t seen[200] = {0};
    for (int i = 0; i < 200; i++) {
        assert_in_range(idx[i], 1000, 1199);
        assert_int_equal(seen[idx[i] - 1000], 0);
        seen[idx[i] - 1000] = 1;
    }
    /* every value of a small range shows up over many single draws (no stuck sampler), and
     * counts stay within a loose multinomial band: 3000 draws over 3 values */
    int count[3] = {0, 0, 0};
    for (int i = 0; i < 3000; i++) {
        uint64_t v;
        assert_int_equal(apex_transcript_challenge_indices(t, 5, 8, 1, &v), APEX_OK);
        assert_in_range(v, 5, 7);
        count[v - 5]++;
    }
    for (int i = 0; i < 3; i++) /* mean 1000, sd ~26: 8 sd */
        assert_in_range(count[i], 790, 1210);
    /* bad ranges */
    assert_int_equal(apex_transcript_challenge_indices(t, 5, 5, 0, idx), APEX_ERR_INVALID);
    assert_int_equal(apex_transcript_challenge_indices(t, 6, 5, 1, idx), APEX_ERR_INVALID);
    assert_int_equal(apex_transcript_challenge_indices(t, 0, 4, 5, idx), APEX_ERR_INVALID);
    assert_int_equal(apex_transcript_challenge_indices(t, 0, APEX_TR_MAX_INDEX_RANGE + 1, 1, idx),
                     APEX_ERR_TOO_LARGE);
    apex_transcript_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_fresh_state_and_clone),
        cmocka_unit_test(test_samplers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
