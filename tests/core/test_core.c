/* Tests for common/core: errors, SHA-256 vectors, hex, RNG, atomic files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

static void test_strerror_covers_every_code(void **state)
{
    (void)state;
    for (int e = 0; e > APEX_ERR_COUNT_; e--) {
        const char *s = apex_strerror(e);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error");
    }
    assert_string_equal(apex_strerror(APEX_ERR_COUNT_), "unknown error");
    assert_string_equal(apex_strerror(APEX_ERR_TRUNCATED), "truncated input");
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    uint8_t d[32];
    char hex[65];
    assert_int_equal(apex_sha256("abc", 3, d), APEX_OK);
    apex_hex(d, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(apex_sha256("", 0, d), APEX_OK);
    apex_hex(d, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* Streaming equals one-shot, and the context resets after final. */
    const char *msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    apex_sha256_ctx *c = apex_sha256_new();
    assert_non_null(c);
    for (size_t i = 0; i < strlen(msg); i += 5)
        apex_sha256_update(c, msg + i, strlen(msg) - i < 5 ? strlen(msg) - i : 5);
    assert_int_equal(apex_sha256_final(c, d), APEX_OK);
    apex_hex(d, 32, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    apex_sha256_update(c, "abc", 3);
    apex_sha256_final(c, d);
    apex_hex(d, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    apex_sha256_destroy(&c);
    assert_null(c);
}

static void test_hex_roundtrip_and_rejects(void **state)
{
    (void)state;
    uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
    char hex[9];
    apex_hex(in, 4, hex);
    assert_string_equal(hex, "00ab7fff");
    assert_int_equal(apex_unhex(hex, out, 4), APEX_OK);
    assert_memory_equal(in, out, 4);
    assert_int_equal(apex_unhex("00ab7ff", out, 4), APEX_ERR_FORMAT);
    assert_int_equal(apex_unhex("00ab7fzz", out, 4), APEX_ERR_FORMAT);
    assert_int_equal(apex_memeq_ct(in, out, 4), 0);
    out[3] ^= 1;
    assert_int_not_equal(apex_memeq_ct(in, out, 4), 0);
}

static void test_rng_deterministic_and_unbiased(void **state)
{
    (void)state;
    apex_rng a, b;
    apex_rng_seed(&a, 42);
    apex_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_int_equal(apex_rng_u64(&a), apex_rng_u64(&b));
    apex_rng_seed(&b, 43);
    assert_int_not_equal(apex_rng_u64(&a), apex_rng_u64(&b));

    /* Counts of a 10-sided die over 100k draws stay within 5 sigma of 10k. */
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++)
        counts[apex_rng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++)
        assert_in_range(counts[i], 10000 - 475, 10000 + 475);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double x = apex_rng_normal(&a);
        s += x;
        s2 += x * x;
    }
    assert_true(s / 100000 < 0.02 && s / 100000 > -0.02);
    assert_true(s2 / 100000 > 0.97 && s2 / 100000 < 1.03);

    uint8_t r1[32] = {0}, r2[32] = {0};
    assert_int_equal(apex_os_random(r1, 32), APEX_OK);
    assert_int_equal(apex_os_random(r2, 32), APEX_OK);
    assert_memory_not_equal(r1, r2, 32);
}

static void test_atomic_write_and_bounded_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/apex-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/sub/dir/file.bin", dir);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub/dir", dir);
    assert_int_equal(apex_mkdirs(sub, 0700), APEX_OK);

    const char *payload = "hello apex";
    assert_int_equal(apex_file_write_atomic(path, payload, strlen(payload), 0600), APEX_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_file_read_all(path, 1024, &buf, &len), APEX_OK);
    assert_int_equal(len, strlen(payload));
    assert_memory_equal(buf, payload, len);
    free(buf);
    assert_int_equal(apex_file_read_all(path, 4, &buf, &len), APEX_ERR_TOO_LARGE);
    assert_null(buf);
    snprintf(sub, sizeof sub, "%s/missing", dir);
    assert_int_equal(apex_file_read_all(sub, 4, &buf, &len), APEX_ERR_NOT_FOUND);

    /* Overwrite replaces the content whole. */
    assert_int_equal(apex_file_write_atomic(path, "x", 1, 0644), APEX_OK);
    assert_int_equal(apex_file_read_all(path, 1024, &buf, &len), APEX_OK);
    assert_int_equal(len, 1);
    free(buf);
    unlink(path);
    /* the temporary tree goes too: dir/sub/dir, dir/sub, dir */
    snprintf(sub, sizeof sub, "%s/sub/dir", dir);
    assert_int_equal(rmdir(sub), 0);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_alloc_overflow(void **state)
{
    (void)state;
    size_t out;
    assert_int_equal(apex_mul_size(SIZE_MAX / 2, 3, &out), -1);
    assert_int_equal(apex_mul_size(1000, 1000, &out), 0);
    assert_int_equal(out, 1000000);
    assert_null(apex_calloc_n(SIZE_MAX / 4, 8));
    void *p = apex_calloc_n(10, 10);
    assert_non_null(p);
    free(p);
}

static void test_parse_u64_strict(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(apex_parse_u64("42", 0, 100, &v), APEX_OK);
    assert_int_equal(v, 42);
    assert_int_equal(apex_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), APEX_OK);
    assert_true(v == UINT64_MAX);
    const char *bad[] = {"", " 1", "-1", "+1", "1x", "0x10", "18446744073709551616", "101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apex_parse_u64(bad[i], 0, 100, &v), APEX_ERR_INVALID);
    assert_int_equal(apex_parse_u64(NULL, 0, 100, &v), APEX_ERR_INVALID);
    assert_int_equal(apex_parse_u64("5", 10, 100, &v), APEX_ERR_INVALID);
    uint32_t w = 0;
    assert_int_equal(apex_opt_u32("test", "window", "abc", 1, 10, &w), -1);
    assert_int_equal(apex_opt_u32("test", "window", "9", 1, 10, &w), 0);
    assert_int_equal(w, 9);
}

static void test_log_level_parse(void **state)
{
    (void)state;
    apex_log_level l;
    assert_int_equal(apex_log_level_parse("debug", &l), APEX_OK);
    assert_int_equal(l, APEX_LOG_DEBUG);
    assert_int_equal(apex_log_level_parse("loud", &l), APEX_ERR_INVALID);
    apex_log_init("test", APEX_LOG_WARN, 1);
    LOG_WARN("json line with \"quotes\" and %d", 7);
    apex_log_init("test", APEX_LOG_WARN, 0);
    LOG_INFO("dropped");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_covers_every_code),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_hex_roundtrip_and_rejects),
        cmocka_unit_test(test_rng_deterministic_and_unbiased),
        cmocka_unit_test(test_atomic_write_and_bounded_read),
        cmocka_unit_test(test_alloc_overflow),
        cmocka_unit_test(test_parse_u64_strict),
        cmocka_unit_test(test_log_level_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
