/* Tests for mask.bin (unlearn/mask.c) and top-k selection (unlearn/mask_scores.c): round
 * trips, one malformed-input case per rejection (each with its error code and reason), model
 * and layer-table mismatches, and the top-k rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "unlearn/unlearn.h"

/* Byte positions in the encoding of the test mask (see mask.c for the layout). */
#define POS_VERSION 8u
#define POS_WIDTH   12u
#define POS_NLAYERS 48u
#define POS_LAYER0  52u
#define NAME0       "blocks.0.fc1"
#define NAME1       "blocks.1.fc1"
#define POS_L0_OFF  (POS_LAYER0 + 1u + sizeof NAME0 - 1u)
#define POS_LAYER1  (POS_L0_OFF + 24u)
#define POS_L1_OFF  (POS_LAYER1 + 1u + sizeof NAME1 - 1u)
#define POS_COUNT   (POS_L1_OFF + 24u)
#define POS_IDX     (POS_COUNT + 8u)

static const apex_mask_layer test_layers[2] = {
    {NAME0, 0, 4, 8},  /* flat 0..31 */
    {NAME1, 40, 4, 8}, /* flat 40..71 (a gap at 32..39) */
};
static const uint64_t test_idx[5] = {0, 7, 31, 40, 71};

static void model_id(uint8_t id[APEX_SHA256_LEN], const char *s)
{
    assert_int_equal(apex_sha256(s, strlen(s), id), APEX_OK);
}

static apex_mask *make_mask(void)
{
    uint8_t id[APEX_SHA256_LEN];
    model_id(id, "model-a");
    apex_mask *m = NULL;
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_mask_new(id, test_layers, 2, test_idx, 5, &m, why), APEX_OK);
    return m;
}

static void encode(uint8_t **buf, size_t *len)
{
    apex_mask *m = make_mask();
    assert_int_equal(apex_mask_encode(m, buf, len), APEX_OK);
    apex_mask_destroy(&m);
    assert_null(m);
}

static void rehash(uint8_t *buf, size_t len)
{
    assert_int_equal(apex_sha256(buf, len - APEX_SHA256_LEN, buf + len - APEX_SHA256_LEN), APEX_OK);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Decode must fail with want and a reason containing word. */
static void expect_reject(const uint8_t *buf, size_t len, int want, const char *word)
{
    apex_mask *m = NULL;
    char why[APEX_MASK_WHY_LEN] = "";
    int rc = apex_mask_decode(buf, len, &m, why);
    if (rc != want || !strstr(why, word))
        fail_msg("want %s ('%s'), got %s ('%s')", apex_strerror(want), word, apex_strerror(rc),
                 why);
    assert_null(m);
}

static void test_round_trip(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    encode(&buf, &len);
    assert_int_equal(len, POS_IDX + 5 * 4 + APEX_SHA256_LEN);
    assert_int_equal(buf[POS_WIDTH], 4);
    apex_mask *m = NULL;
    char why[APEX_MASK_WHY_LEN];
    assert_int_equal(apex_mask_decode(buf, len, &m, why), APEX_OK);
    assert_int_equal(m->count, 5);
    assert_memory_equal(m->idx, test_idx, sizeof test_idx);
    assert_string_equal(m->layers[1].name, NAME1);
    assert_int_equal(m->layers[1].offset, 40);
    /* file round trip, and the canonical bytes are stable */
    char path[] = "/tmp/apex_mask_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(apex_mask_save(path, m), APEX_OK);
    apex_mask *m2 = NULL;
    assert_int_equal(apex_mask_load(path, &m2, why), APEX_OK);
    uint8_t *buf2;
    size_t len2;
    assert_int_equal(apex_mask_encode(m2, &buf2, &len2), APEX_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(buf2, buf, len);
    /* model id of a file = SHA-256 of its bytes (the saved mask serves as a "model") */
    uint8_t fid[APEX_SHA256_LEN], want[APEX_SHA256_LEN];
    assert_int_equal(apex_mask_model_id_file(path, fid), APEX_OK);
    assert_int_equal(apex_sha256(buf, len, want), APEX_OK);
    assert_memory_equal(fid, want, APEX_SHA256_LEN);
    unlink(path);
    assert_int_equal(apex_mask_model_id_file(path, fid), APEX_ERR_NOT_FOUND);
    assert_int_not_equal(apex_mask_load(path, &m2, why), APEX_OK); /* missing file */
    assert_non_null(strstr(why, "cannot read"));
    /* per-layer local indices */
    uint64_t *loc;
    size_t n;
    assert_int_equal(apex_mask_layer_indices(m, 1, &loc, &n), APEX_OK);
    assert_int_equal(n, 2);
    assert_int_equal(loc[0], 0);
    assert_int_equal(loc[1], 31);
    free(loc);
    apex_mask_destroy(&m);
    apex_mask_destroy(&m2);
    free(buf);
    free(buf2);
}

static void test_wide_and_empty(void **state)
{
    (void)state;
    uint8_t id[APEX_SHA256_LEN] = {1};
    apex_mask_layer big[1] = {{"opt.fc1", (uint64_t)1 << 33, 3072, 768}};
    uint64_t idx[2] = {((uint64_t)1 << 33) + 5, ((uint64_t)1 << 33) + 3072 * 768 - 1};
    apex_mask *m = NULL, *m2 = NULL;
    char why[APEX_MASK_WHY_LEN];
    assert_int_equal(apex_mask_new(id, big, 1, idx, 2, &m, why), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_mask_encode(m, &buf, &len), APEX_OK);
    assert_int_equal(buf[POS_WIDTH], 8);
    assert_int_equal(apex_mask_decode(buf, len, &m2, why), APEX_OK);
    assert_memory_equal(m2->idx, idx, sizeof idx);
    apex_mask_destroy(&m);
    apex_mask_destroy(&m2);
    free(buf);
    assert_int_equal(apex_mask_new(id, big, 1, NULL, 0, &m, why), APEX_OK); /* empty mask */
    assert_int_equal(apex_mask_encode(m, &buf, &len), APEX_OK);
    assert_int_equal(apex_mask_decode(buf, len, &m2, why), APEX_OK);
    assert_int_equal(m2->count, 0);
    apex_mask_destroy(&m);
    apex_mask_destroy(&m2);
    free(buf);
}

static void test_malformed_header(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    encode(&buf, &len);
    uint8_t *b = malloc(len + 8);
    memcpy(b, buf, len);
    b[0] = 'X';
    expect_reject(b, len, APEX_ERR_FORMAT, "magic");
    memcpy(b, buf, len);
    b[POS_VERSION] = 2;
    expect_reject(b, len, APEX_ERR_VERSION, "version");
    memcpy(b, buf, len);
    b[POS_WIDTH] = 5;
    expect_reject(b, len, APEX_ERR_FORMAT, "width");
    memcpy(b, buf, len);
    b[POS_WIDTH] = 8; /* valid width, not canonical for this table */
    expect_reject(b, len, APEX_ERR_FORMAT, "canonical");
    memcpy(b, buf, len);
    b[POS_WIDTH + 2] = 1;
    expect_reject(b, len, APEX_ERR_FORMAT, "reserved");
    memcpy(b, buf, len);
    put_u64(b + POS_NLAYERS, 0); /* 4 bytes used; the next 4 are layer 0's name: restore */
    memcpy(b + POS_NLAYERS + 4, buf + POS_NLAYERS + 4, 4);
    expect_reject(b, len, APEX_ERR_FORMAT, "layer count");
    b[POS_NLAYERS] = 0xff;
    b[POS_NLAYERS + 1] = 0xff;
    expect_reject(b, len, APEX_ERR_TOO_LARGE, "layer count");
    /* every strict prefix is refused; the structural ones as truncated */
    for (size_t cut = 0; cut < len; cut++) {
        apex_mask *m = NULL;
        char why[APEX_MASK_WHY_LEN] = "";
        int rc = apex_mask_decode(buf, cut, &m, why);
        assert_int_not_equal(rc, APEX_OK);
        if (cut >= 8 && rc != APEX_ERR_TRUNCATED)
            fail_msg("prefix of %zu bytes: %s (%s), want truncated", cut, apex_strerror(rc), why);
    }
    memcpy(b, buf, len);
    memset(b + len, 0, 8);
    expect_reject(b, len + 1, APEX_ERR_FORMAT, "trailing");
    expect_reject(b, len + 8, APEX_ERR_FORMAT, "trailing");
    b[POS_IDX] ^= 1; /* changes index 0 from 0 to 1 without fixing the hash */
    expect_reject(b, len, APEX_ERR_HASH, "SHA-256");
    memcpy(b, buf, len);
    b[len - 1] ^= 0x80;
    expect_reject(b, len, APEX_ERR_HASH, "SHA-256");
    free(b);
    free(buf);
}

/* Structurally valid files with a correct hash whose content is wrong. */
static void test_malformed_content(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t len;
    encode(&buf, &len);
    uint8_t *b = malloc(len);
    struct {
        size_t pos;     /* byte to overwrite */
        uint64_t value; /* new value */
        unsigned width; /* bytes written */
        int want;       /* expected error */
        const char *word;
    } cases[] = {
        {POS_IDX + 4, 0, 4, APEX_ERR_FORMAT, "duplicate"},     /* 0, 0, ... */
        {POS_IDX + 4, 50, 4, APEX_ERR_FORMAT, "out of order"}, /* 0, 50, 31 */
        {POS_IDX + 12, 35, 4, APEX_ERR_RANGE, "outside"},      /* in the gap 32..39 */
        {POS_IDX + 16, 72, 4, APEX_ERR_RANGE, "outside"},      /* past the last layer */
        {POS_L1_OFF, 20, 8, APEX_ERR_FORMAT, "overlaps"},      /* layer 1 at 20 < 32 */
        {POS_L1_OFF + 8, (uint64_t)1 << 40, 8, APEX_ERR_TOO_LARGE, "2^40"},
        {POS_L1_OFF + 8, 0, 8, APEX_ERR_FORMAT, "empty matrix"},
        {POS_LAYER1 + 1, ' ', 1, APEX_ERR_FORMAT, "printable"},
        {POS_LAYER1 + 8, '0', 1, APEX_ERR_FORMAT, "duplicate name"}, /* blocks.0.fc1 twice */
        {POS_LAYER0, 0, 1, APEX_ERR_FORMAT, "name length"},
        {POS_COUNT, 1000, 8, APEX_ERR_TRUNCATED, "indices announced"},
        {POS_COUNT, 6, 8, APEX_ERR_TRUNCATED, "trailing SHA-256"},
        {POS_COUNT, 4, 8, APEX_ERR_FORMAT, "trailing"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(b, buf, len);
        for (unsigned i = 0; i < cases[c].width; i++)
            b[cases[c].pos + i] = (uint8_t)(cases[c].value >> (8 * i));
        rehash(b, len);
        expect_reject(b, len, cases[c].want, cases[c].word);
    }
    /* the same rules hold for apex_mask_new */
    uint8_t id[APEX_SHA256_LEN] = {0};
    apex_mask *m = NULL;
    char why[APEX_MASK_WHY_LEN];
    uint64_t unsorted[2] = {7, 3}, gap[1] = {33};
    apex_mask_layer overlap[2] = {test_layers[0], test_layers[1]};
    overlap[1].offset = 31;
    assert_int_equal(apex_mask_new(id, test_layers, 2, unsorted, 2, &m, why), APEX_ERR_FORMAT);
    assert_int_equal(apex_mask_new(id, test_layers, 2, gap, 1, &m, why), APEX_ERR_RANGE);
    assert_int_equal(apex_mask_new(id, overlap, 2, NULL, 0, &m, why), APEX_ERR_FORMAT);
    assert_non_null(strstr(why, "overlaps"));
    assert_int_equal(apex_mask_new(id, test_layers, 0, NULL, 0, &m, why), APEX_ERR_FORMAT);
    assert_null(m);
    free(b);
    free(buf);
}

static void test_check_model(void **state)
{
    (void)state;
    apex_mask *m = make_mask();
    uint8_t id[APEX_SHA256_LEN], other[APEX_SHA256_LEN];
    model_id(id, "model-a");
    model_id(other, "model-b");
    char why[APEX_MASK_WHY_LEN] = "";
    assert_int_equal(apex_mask_check_model(m, id, test_layers, 2, why), APEX_OK);
    assert_int_equal(apex_mask_check_model(m, other, test_layers, 2, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "model"));
    assert_int_equal(apex_mask_check_model(m, id, test_layers, 1, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "layers"));
    apex_mask_layer l[2] = {test_layers[0], test_layers[1]};
    l[1].cols = 9;
    assert_int_equal(apex_mask_check_model(m, id, l, 2, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, NAME1));
    l[1] = test_layers[1];
    strcpy(l[0].name, "blocks.0.fc2");
    assert_int_equal(apex_mask_check_model(m, id, l, 2, why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "fc2"));
    /* the layer-table digest separates the two tables */
    uint8_t d1[APEX_SHA256_LEN], d2[APEX_SHA256_LEN];
    assert_int_equal(apex_mask_layers_digest(test_layers, 2, d1), APEX_OK);
    assert_int_equal(apex_mask_layers_digest(l, 2, d2), APEX_OK);
    assert_memory_not_equal(d1, d2, APEX_SHA256_LEN);
    apex_mask_destroy(&m);
}

static void test_from_scores(void **state)
{
    (void)state;
    uint64_t *idx;
    size_t n;
    const float s[6] = {1.0f, 3.0f, 3.0f, -1.0f, 2.0f, 3.0f};
    assert_int_equal(apex_mask_from_scores(s, 6, 0.34, &idx, &n), APEX_OK); /* k = 2 */
    assert_int_equal(n, 2);
    assert_int_equal(idx[0], 1); /* ties among 1, 2, 5: lower indices win */
    assert_int_equal(idx[1], 2);
    free(idx);
    assert_int_equal(apex_mask_from_scores(s, 6, 0.01, &idx, &n), APEX_OK); /* k = max(1, 0) */
    assert_int_equal(n, 1);
    assert_int_equal(idx[0], 1);
    free(idx);
    assert_int_equal(apex_mask_from_scores(s, 6, 1.0, &idx, &n), APEX_OK); /* never index 3 */
    assert_int_equal(n, 5);
    const uint64_t all[5] = {0, 1, 2, 4, 5};
    assert_memory_equal(idx, all, sizeof all);
    free(idx);
    const float neg[3] = {-1.0f, -2.0f, -0.5f};
    assert_int_equal(apex_mask_from_scores(neg, 3, 0.5, &idx, &n), APEX_OK);
    assert_int_equal(n, 0);
    free(idx);
    const float bad[3] = {1.0f, NAN, 2.0f};
    assert_int_equal(apex_mask_from_scores(bad, 3, 0.5, &idx, &n), APEX_ERR_INVALID);
    assert_int_equal(apex_mask_from_scores(s, 6, 0.0, &idx, &n), APEX_ERR_INVALID);
    assert_int_equal(apex_mask_from_scores(s, 6, 1.5, &idx, &n), APEX_ERR_INVALID);
    /* k = round(0.04·1000) = 40 of a ramp: the 40 largest */
    float ramp[1000];
    for (int i = 0; i < 1000; i++)
        ramp[i] = (float)((i * 37) % 1000);
    assert_int_equal(apex_mask_from_scores(ramp, 1000, 0.04, &idx, &n), APEX_OK);
    assert_int_equal(n, 40);
    for (size_t k = 0; k < n; k++) {
        assert_true(ramp[idx[k]] >= 960.0f);
        if (k > 0)
            assert_true(idx[k] > idx[k - 1]);
    }
    free(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_wide_and_empty),
        cmocka_unit_test(test_malformed_header), cmocka_unit_test(test_malformed_content),
        cmocka_unit_test(test_check_model),      cmocka_unit_test(test_from_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
