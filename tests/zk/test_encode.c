/* Tests for zk/encode: byte-exact layout, round trips, and the rejections a verifier relies
 * on (non-canonical elements, truncation, absurd lengths before allocation, trailing bytes),
 * plus a seeded random-bytes loop that must never crash (run under ASan/UBSan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/encode.h"

static void test_layout_and_roundtrip(void **state)
{
    (void)state;
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1 << 16);
    apex_gl v[3] = {0, 1, APEX_GL_P - 1};
    apex_gl2 e[2] = {{2, 3}, {APEX_GL_P - 1, 1ULL << 32}};
    apex_hash h;
    memset(h.b, 0x5a, sizeof h.b);
    assert_int_equal(apex_enc_put_u8(&w, 0xfe), APEX_OK);
    assert_int_equal(apex_enc_put_u32(&w, 0x01020304), APEX_OK);
    assert_int_equal(apex_enc_put_u64(&w, 0x1122334455667788ULL), APEX_OK);
    assert_int_equal(apex_enc_put_gl(&w, APEX_GL_P - 1), APEX_OK);
    assert_int_equal(apex_enc_put_gl_vec(&w, v, 3), APEX_OK);
    assert_int_equal(apex_enc_put_gl2_vec(&w, e, 2), APEX_OK);
    assert_int_equal(apex_enc_put_hash(&w, &h), APEX_OK);
    assert_int_equal(apex_enc_put_gl_vec(&w, NULL, 0), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);
    assert_int_equal(len, 1 + 4 + 8 + 8 + (8 + 24) + (8 + 32) + 32 + 8);
    /* fixed-width little-endian, byte for byte */
    static const uint8_t head[] = {0xfe, 0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44,
                                   0x33, 0x22, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0x03, 0,    0,    0,    0,    0,    0,    0};
    assert_memory_equal(buf, head, sizeof head);

    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    uint8_t u8;
    uint32_t u32;
    uint64_t u64;
    apex_gl g, *gv;
    apex_gl2 *ev;
    apex_hash h2;
    size_t n;
    assert_int_equal(apex_enc_get_u8(&r, &u8), APEX_OK);
    assert_int_equal(u8, 0xfe);
    assert_int_equal(apex_enc_get_u32(&r, &u32), APEX_OK);
    assert_int_equal(u32, 0x01020304);
    assert_int_equal(apex_enc_get_u64(&r, &u64), APEX_OK);
    assert_int_equal(u64, 0x1122334455667788ULL);
    assert_int_equal(apex_enc_get_gl(&r, &g), APEX_OK);
    assert_int_equal(g, APEX_GL_P - 1);
    assert_int_equal(apex_enc_get_gl_vec(&r, 3, &gv, &n), APEX_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(gv, v, sizeof v);
    free(gv);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_ERR_FORMAT); /* not done yet */
    assert_int_equal(apex_enc_get_gl2_vec(&r, 2, &ev, &n), APEX_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(ev, e, sizeof e);
    free(ev);
    assert_int_equal(apex_enc_get_hash(&r, &h2), APEX_OK);
    assert_memory_equal(h.b, h2.b, 32);
    gv = (apex_gl *)&h2; /* sentinel: a zero-length vector must return NULL */
    assert_int_equal(apex_enc_get_gl_vec(&r, 0, &gv, &n), APEX_OK);
    assert_int_equal(n, 0);
    assert_null(gv);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    free(buf);
}

static void test_non_canonical(void **state)
{
    (void)state;
    static const uint64_t bad[] = {APEX_GL_P, APEX_GL_P + 1, UINT64_MAX, 0xffffffff00000002ULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t b[16] = {0};
        for (int j = 0; j < 8; j++)
            b[j] = (uint8_t)(bad[i] >> (8 * j));
        apex_enc_reader r;
        apex_gl g = 42;
        apex_enc_reader_init(&r, b, 8);
        assert_int_equal(apex_enc_get_gl(&r, &g), APEX_ERR_RANGE);
        assert_int_equal(g, 42);
        assert_int_equal(r.left, 8); /* the cursor did not move */
        /* in either coordinate of an F_p2 element */
        apex_gl2 e;
        memmove(b + 8, b, 8);
        memset(b, 0, 8);
        apex_enc_reader_init(&r, b, 16);
        assert_int_equal(apex_enc_get_gl2(&r, &e), APEX_ERR_RANGE);
        assert_int_equal(r.left, 16);
    }
    /* the writer refuses them too, and the error is sticky */
    apex_enc_writer w;
    apex_enc_writer_init(&w, 64);
    assert_int_equal(apex_enc_put_gl(&w, APEX_GL_P), APEX_ERR_RANGE);
    assert_int_equal(apex_enc_put_u8(&w, 1), APEX_ERR_RANGE);
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_ERR_RANGE);
    apex_enc_writer_free(&w);
    /* a vector with one bad element is rejected whole */
    uint8_t vb[8 + 3 * 8] = {3};
    memset(vb + 8 + 16, 0xff, 8);
    apex_enc_reader r;
    apex_enc_reader_init(&r, vb, sizeof vb);
    apex_gl *gv = NULL;
    size_t n = 77;
    assert_int_equal(apex_enc_get_gl_vec(&r, 10, &gv, &n), APEX_ERR_RANGE);
    assert_null(gv);
    assert_int_equal(n, 77);
    assert_int_equal(r.left, sizeof vb);
}

static void test_lengths_and_truncation(void **state)
{
    (void)state;
    apex_enc_reader r;
    apex_gl *gv = NULL;
    apex_gl2 *ev = NULL;
    size_t n;
    /* absurd counts are refused before any allocation */
    uint8_t huge[16] = {0, 0, 0, 0, 0, 0, 0, 0x10};
    apex_enc_reader_init(&r, huge, sizeof huge);
    assert_int_equal(apex_enc_get_gl_vec(&r, SIZE_MAX, &gv, &n), APEX_ERR_TOO_LARGE);
    assert_int_equal(apex_enc_get_gl2_vec(&r, SIZE_MAX, &ev, &n), APEX_ERR_TOO_LARGE);
    /* above the caller's limit */
    uint8_t four[8 + 32] = {4};
    apex_enc_reader_init(&r, four, sizeof four);
    assert_int_equal(apex_enc_get_gl_vec(&r, 3, &gv, &n), APEX_ERR_TOO_LARGE);
    assert_int_equal(apex_enc_get_gl_vec(&r, 4, &gv, &n), APEX_OK);
    free(gv);
    /* within the limit but longer than the bytes left */
    uint8_t short_[8 + 16] = {3};
    apex_enc_reader_init(&r, short_, sizeof short_);
    assert_int_equal(apex_enc_get_gl_vec(&r, 1000, &gv, &n), APEX_ERR_TRUNCATED);
    assert_int_equal(apex_enc_get_gl2_vec(&r, 1000, &ev, &n), APEX_ERR_TRUNCATED);
    /* exact-length vectors: the prefix must match the parameters */
    apex_gl fixed[4];
    apex_enc_reader_init(&r, four, sizeof four);
    assert_int_equal(apex_enc_get_gl_vec_exact(&r, fixed, 3), APEX_ERR_FORMAT);
    assert_int_equal(apex_enc_get_gl_vec_exact(&r, fixed, 4), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    apex_gl2 fixed2[2];
    apex_enc_reader_init(&r, four, sizeof four);
    assert_int_equal(apex_enc_get_gl2_vec_exact(&r, fixed2, 3), APEX_ERR_FORMAT);
    uint8_t two[8 + 32] = {2};
    apex_enc_reader_init(&r, two, sizeof two);
    assert_int_equal(apex_enc_get_gl2_vec_exact(&r, fixed2, 2), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);

    /* every strict prefix of a valid message fails somewhere with TRUNCATED */
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1024);
    apex_gl v[2] = {5, 6};
    apex_enc_put_u32(&w, 9);
    apex_enc_put_gl_vec(&w, v, 2);
    apex_enc_put_gl2(&w, apex_gl2_make(1, 2));
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);
    for (size_t cut = 0; cut <= len; cut++) {
        apex_enc_reader_init(&r, buf, cut);
        uint32_t u;
        apex_gl2 e;
        int rc = apex_enc_get_u32(&r, &u);
        if (rc == APEX_OK)
            rc = apex_enc_get_gl_vec(&r, 8, &gv, &n);
        if (rc == APEX_OK) {
            free(gv);
            rc = apex_enc_get_gl2(&r, &e);
        }
        if (rc == APEX_OK)
            rc = apex_enc_reader_finish(&r);
        assert_int_equal(rc, cut == len ? APEX_OK : APEX_ERR_TRUNCATED);
    }
    /* one extra byte is a trailing-data error */
    uint8_t *longer = calloc(len + 1, 1);
    memcpy(longer, buf, len);
    apex_enc_reader_init(&r, longer, len + 1);
    uint32_t u;
    apex_gl2 e;
    assert_int_equal(apex_enc_get_u32(&r, &u), APEX_OK);
    assert_int_equal(apex_enc_get_gl_vec(&r, 8, &gv, &n), APEX_OK);
    free(gv);
    assert_int_equal(apex_enc_get_gl2(&r, &e), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_ERR_FORMAT);
    free(longer);
    free(buf);

    /* the writer stops at its capacity */
    apex_enc_writer_init(&w, 12);
    assert_int_equal(apex_enc_put_u64(&w, 1), APEX_OK);
    assert_int_equal(apex_enc_put_u64(&w, 2), APEX_ERR_TOO_LARGE);
    assert_int_equal(apex_enc_put_u32(&w, 3), APEX_ERR_TOO_LARGE); /* sticky */
    apex_enc_writer_free(&w);
}

static void test_random_bytes_never_crash(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 21);
    uint8_t buf[256];
    for (int it = 0; it < 20000; it++) {
        size_t len = apex_rng_below(&rng, sizeof buf + 1);
        apex_rng_bytes(&rng, buf, len);
        if (len >= 8 && (it & 1)) /* small counts so the vector paths get exercised */
            buf[1] = buf[2] = buf[3] = buf[4] = buf[5] = buf[6] = buf[7] = 0;
        apex_enc_reader r;
        apex_enc_reader_init(&r, buf, len);
        apex_gl *gv = NULL;
        apex_gl2 *ev = NULL;
        size_t n;
        int rc = apex_enc_get_gl_vec(&r, 64, &gv, &n);
        if (rc == APEX_OK) {
            for (size_t i = 0; i < n; i++)
                assert_true(gv[i] < APEX_GL_P);
            free(gv);
            rc = apex_enc_get_gl2_vec(&r, 64, &ev, &n);
            if (rc == APEX_OK)
                free(ev);
        }
        assert_true(rc == APEX_OK || rc == APEX_ERR_TRUNCATED || rc == APEX_ERR_RANGE ||
                    rc == APEX_ERR_TOO_LARGE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_roundtrip),
        cmocka_unit_test(test_non_canonical),
        cmocka_unit_test(test_lengths_and_truncation),
        cmocka_unit_test(test_random_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
