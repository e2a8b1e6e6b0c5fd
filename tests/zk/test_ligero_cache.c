/* Tableau cache files and saved commitments of zk/ligero: a cached commitment has the same
 * root and gives the same proof bytes as an uncached one; a missing cache falls back to
 * re-encoding (with the reason reported); a corrupted, truncated or foreign cache fails the
 * proof with a reason naming the problem; a saved and reloaded commitment proves against
 * the original root with its opening count restored, and truncated, flipped or foreign
 * saved files are refused with clear reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "zk/ligero.h"
#include "zk/ligero_impl.h"

/* 70 rows: two full cache groups of 32 and a short one of 6. */
static const apex_ligero_params shape = {5, 16, 4, 70}; /* 32 slots, 16 pads outside H_B */
#define WR 32u
#define NW (70u * WR)

static int8_t data[NW];

static int rows(void *ctx, size_t row, apex_gl *out)
{
    (void)ctx;
    for (size_t j = 0; j < WR; j++)
        out[j] = apex_gl_from_i64(data[row * WR + j]);
    return APEX_OK;
}

/* One tensor claim (so the proof has a dot response) and one sparse term. */
static apex_gl2 row_w[70], slot_w[WR];
static apex_ligero_term term = {0, 77, 3};
static apex_ligero_tensor tens = {0, row_w, slot_w, NULL, 0};
static const apex_ligero_constraints cons = {&term, 1, 1, NULL, 0, &tens, 1};

static char dir[64];

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/apex-ligcache-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    apex_rng rng;
    apex_rng_seed(&rng, 8);
    for (size_t i = 0; i < NW; i++)
        data[i] = (int8_t)((int)apex_rng_below(&rng, 256) - 128);
    for (size_t i = 0; i < 70; i++)
        row_w[i] = apex_gl2_make(i + 1, 2 * i + 5);
    for (size_t j = 0; j < WR; j++)
        slot_w[j] = apex_gl2_make(7 * j + 3, j);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"cache", "cache.tmp", "saved", "saved2", "bad"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        path_of(p, sizeof p, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static void claim_values(apex_gl *b, apex_gl2 *tval)
{
    *b = apex_gl_mul(3, apex_gl_from_i64(data[77]));
    *tval = apex_gl2_from_gl(0);
    for (size_t i = 0; i < 70; i++)
        for (size_t j = 0; j < WR; j++)
            *tval = apex_gl2_add(*tval, apex_gl2_mul_gl(apex_gl2_mul(row_w[i], slot_w[j]),
                                                        apex_gl_from_i64(data[i * WR + j])));
}

/* Prove with c (seeded), check the proof verifies against root; its bytes in *out. */
static int prove(apex_ligero_commitment *c, const apex_hash *root, uint64_t seed, uint8_t **out,
                 size_t *len, const char **why)
{
    apex_rng rng;
    apex_rng_seed(&rng, seed);
    apex_transcript *t = apex_transcript_new("test-cache");
    apex_ligero_proof pf;
    int rc = apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, why);
    apex_transcript_destroy(&t);
    if (rc != APEX_OK)
        return rc;
    apex_gl b;
    apex_gl2 tval;
    claim_values(&b, &tval);
    t = apex_transcript_new("test-cache");
    const char *vwhy = NULL;
    int vrc = apex_ligero_verify(&shape, root, 1, t, &cons, &b, &tval, &pf, &vwhy);
    apex_transcript_destroy(&t);
    if (vrc != APEX_OK)
        fail_msg("proof rejected: %s", vwhy);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 22);
    assert_int_equal(apex_ligero_proof_encode(&shape, 1, &pf, &wr), APEX_OK);
    assert_int_equal(apex_enc_writer_take(&wr, out, len), APEX_OK);
    apex_ligero_proof_free(&pf);
    return APEX_OK;
}

static apex_ligero_commitment *commit_cached(const char *cache, apex_hash *root)
{
    apex_rng rng;
    apex_rng_seed(&rng, 1234);
    const char *why = NULL;
    apex_ligero_commitment *c =
        cache ? apex_ligero_commit_rows_cached_flags(&shape, rows, NULL, cache,
                                                     APEX_LIGERO_CACHE_NOSYNC, &rng, root, &why)
              : apex_ligero_commit_rows(&shape, rows, NULL, &rng, root, &why);
    if (!c)
        fail_msg("commit: %s", why);
    return c;
}

static void rewrite(const char *path, long off, int whence, uint8_t xor_mask, size_t stride)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    long start = whence == SEEK_SET ? off : size + off;
    for (long p = start; p < size; p += (long)stride) {
        assert_int_equal(fseek(f, p, SEEK_SET), 0);
        int ch = fgetc(f);
        assert_int_equal(fseek(f, p, SEEK_SET), 0);
        fputc(ch ^ xor_mask, f);
        if (!stride)
            break;
    }
    fclose(f);
}

static void test_cache_same_proof(void **state)
{
    (void)state;
    char cache[128];
    path_of(cache, sizeof cache, "cache");
    apex_hash r0, r1;
    apex_ligero_commitment *plain = commit_cached(NULL, &r0);
    apex_ligero_commitment *cached = commit_cached(cache, &r1);
    assert_memory_equal(r0.b, r1.b, sizeof r0.b);
    assert_int_equal(access(cache, R_OK), 0);
    uint8_t *p0, *p1;
    size_t l0, l1;
    const char *why = NULL;
    assert_int_equal(prove(plain, &r0, 5, &p0, &l0, &why), APEX_OK);
    assert_non_null(apex_ligero_cache_status(plain)); /* no cache configured */
    assert_int_equal(prove(cached, &r1, 5, &p1, &l1, &why), APEX_OK);
    assert_null(apex_ligero_cache_status(cached)); /* the columns came from the file */
    assert_int_equal(l0, l1);
    assert_memory_equal(p0, p1, l0);
    free(p1);

    /* missing: falls back to re-encoding, same proof, reason reported */
    char moved[128];
    path_of(moved, sizeof moved, "bad");
    assert_int_equal(rename(cache, moved), 0);
    apex_ligero_commitment *again = commit_cached(NULL, &r0);
    assert_int_equal(apex_ligero_commitment_set_cache(again, cache, &why), APEX_OK);
    assert_int_equal(prove(again, &r0, 5, &p1, &l1, &why), APEX_OK);
    assert_non_null(strstr(apex_ligero_cache_status(again), "missing"));
    assert_memory_equal(p0, p1, l0);
    free(p1);
    assert_int_equal(rename(moved, cache), 0);
    free(p0);
    apex_ligero_commitment_destroy(&again);
    apex_ligero_commitment_destroy(&plain);
    apex_ligero_commitment_destroy(&cached);
    unlink(cache);
}

/* A tableau kept in memory (two full groups and a short one) gives the plain commitment's
 * root and, with the same seed, the same proof bytes; its columns need no re-encoding. */
static void test_mem_tableau_same_proof(void **state)
{
    (void)state;
    apex_hash r0, r1;
    apex_ligero_commitment *plain = commit_cached(NULL, &r0);
    apex_rng rng;
    apex_rng_seed(&rng, 1234);
    const char *why = NULL;
    apex_ligero_commitment *mem = apex_ligero_commit_rows_mem(&shape, rows, NULL, &rng, &r1, &why);
    if (!mem)
        fail_msg("commit: %s", why);
    assert_memory_equal(r0.b, r1.b, sizeof r0.b);
    uint8_t *p0, *p1;
    size_t l0, l1;
    assert_int_equal(prove(plain, &r0, 9, &p0, &l0, &why), APEX_OK);
    assert_int_equal(prove(mem, &r1, 9, &p1, &l1, &why), APEX_OK);
    assert_null(apex_ligero_cache_status(mem)); /* the columns came from memory */
    assert_int_equal(l0, l1);
    assert_memory_equal(p0, p1, l0);
    free(p1);
    assert_null(apex_ligero_commit_rows_mem(&shape, NULL, NULL, NULL, &r1, &why));
    /* it needs no cache file, and refuses one */
    assert_int_equal(apex_ligero_commitment_set_cache(mem, "/tmp/x", &why), APEX_ERR_INVALID);
    assert_non_null(strstr(why, "in memory"));

    /* without the memory for the tableau: the same root and proof, the rows re-encoded */
    ligero_test_set_no_mtab(1);
    apex_rng_seed(&rng, 1234);
    apex_ligero_commitment *lean = apex_ligero_commit_rows_mem(&shape, rows, NULL, &rng, &r1, &why);
    ligero_test_set_no_mtab(0);
    if (!lean)
        fail_msg("commit: %s", why);
    assert_memory_equal(r0.b, r1.b, sizeof r0.b);
    assert_int_equal(prove(lean, &r1, 9, &p1, &l1, &why), APEX_OK);
    assert_non_null(apex_ligero_cache_status(lean)); /* re-encoded */
    assert_int_equal(l0, l1);
    assert_memory_equal(p0, p1, l0);
    free(p1);
    free(p0);
    apex_ligero_commitment_destroy(&lean);
    apex_ligero_commitment_destroy(&plain);
    apex_ligero_commitment_destroy(&mem);
}

/* A tableau in memory that also writes its cache file (a C_w(e+1) for the next round): the
 * file is byte for byte the one a file-only commitment writes, also when the memory cannot be
 * had; the proof opens from memory, and a commitment loaded from the saved state opens from
 * the file. Every proof is the plain commitment's. */
static void test_mem_and_file(void **state)
{
    (void)state;
    char cache[128], saved[128], cache2[128];
    path_of(cache, sizeof cache, "cache");
    path_of(saved, sizeof saved, "saved");
    path_of(cache2, sizeof cache2, "bad");
    apex_hash r0, r1, r2;
    apex_ligero_commitment *plain = commit_cached(NULL, &r0);
    apex_ligero_commitment *filed = commit_cached(cache2, &r2);
    uint8_t *f0 = NULL, *f1 = NULL, *p0, *p1;
    size_t n0 = 0, n1 = 0, l0, l1;
    assert_int_equal(apex_file_read_all(cache2, 1 << 24, &f0, &n0), APEX_OK);
    const char *why = NULL;
    assert_int_equal(prove(plain, &r0, 11, &p0, &l0, &why), APEX_OK);
    for (int lean = 0; lean < 2; lean++) {
        apex_rng rng;
        apex_rng_seed(&rng, 1234);
        ligero_test_set_no_mtab(lean);
        apex_ligero_commitment *c = apex_ligero_commit_rows_cached_flags(
            &shape, rows, NULL, cache, APEX_LIGERO_CACHE_NOSYNC | APEX_LIGERO_TABLEAU_MEM, &rng,
            &r1, &why);
        ligero_test_set_no_mtab(0);
        if (!c)
            fail_msg("commit: %s", why);
        assert_memory_equal(r0.b, r1.b, sizeof r0.b);
        assert_int_equal(apex_file_read_all(cache, 1 << 24, &f1, &n1), APEX_OK);
        assert_int_equal(n0, n1);
        assert_memory_equal(f0, f1, n0);
        free(f1);
        assert_int_equal(apex_ligero_commitment_save(c, saved, &why), APEX_OK);
        char moved[128]; /* the file away: the proof opens from memory (lean: re-encodes) */
        path_of(moved, sizeof moved, "saved2");
        assert_int_equal(rename(cache, moved), 0);
        assert_int_equal(prove(c, &r1, 11, &p1, &l1, &why), APEX_OK);
        if (lean)
            assert_non_null(strstr(apex_ligero_cache_status(c), "missing"));
        else
            assert_null(apex_ligero_cache_status(c));
        assert_int_equal(rename(moved, cache), 0);
        assert_int_equal(l0, l1);
        assert_memory_equal(p0, p1, l0);
        free(p1);
        apex_ligero_commitment_destroy(&c);
        apex_ligero_commitment *d =
            apex_ligero_commitment_load(&shape, rows, NULL, saved, &r1, &why);
        if (!d)
            fail_msg("load: %s", why);
        assert_string_equal(apex_ligero_cache_path(d), cache);
        assert_int_equal(prove(d, &r1, 11, &p1, &l1, &why), APEX_OK); /* saved before: the same */
        assert_null(apex_ligero_cache_status(d));                     /* from the file */
        assert_int_equal(l0, l1);
        assert_memory_equal(p0, p1, l0);
        free(p1);
        apex_ligero_commitment_destroy(&d);
    }
    free(p0);
    free(f0);
    apex_ligero_commitment_destroy(&plain);
    apex_ligero_commitment_destroy(&filed);
    unlink(cache);
    unlink(cache2);
    unlink(saved);
}

/* A cache damaged by `damage` makes prove fail with a reason containing `want`. */
static void expect_bad_cache(void (*damage)(const char *), const char *want)
{
    char cache[128];
    path_of(cache, sizeof cache, "cache");
    apex_hash root;
    apex_ligero_commitment *c = commit_cached(cache, &root);
    damage(cache);
    uint8_t *p;
    size_t l;
    const char *why = NULL;
    assert_int_not_equal(prove(c, &root, 5, &p, &l, &why), APEX_OK);
    if (!why || !strstr(why, want))
        fail_msg("reason '%s' lacks '%s'", why ? why : "(null)", want);
    apex_ligero_commitment_destroy(&c);
    unlink(cache);
}

static void flip_data(const char *path)
{
    rewrite(path, 128 + 3, SEEK_SET, 0x10, 8); /* every column value changes */
}

static void flip_root(const char *path)
{
    rewrite(path, 60, SEEK_SET, 0x01, 0);
}

static void flip_magic(const char *path)
{
    rewrite(path, 2, SEEK_SET, 0x01, 0);
}

static void cut(const char *path)
{
    assert_int_equal(truncate(path, 128 + 8 * 70 * 256 - 8), 0);
}

static void cut_header(const char *path)
{
    assert_int_equal(truncate(path, 64), 0);
}

static void test_cache_rejects_damage(void **state)
{
    (void)state;
    expect_bad_cache(flip_data, "corrupt");
    expect_bad_cache(flip_root, "another commitment");
    expect_bad_cache(flip_magic, "not a tableau cache");
    expect_bad_cache(cut, "truncated");
    expect_bad_cache(cut_header, "truncated");
}

/* A row source that changes after committing: the columns come from the cache, the responses
 * from the changed rows, and the verifier rejects. */
static void test_cache_changed_source(void **state)
{
    (void)state;
    char cache[128];
    path_of(cache, sizeof cache, "cache");
    apex_hash root;
    apex_ligero_commitment *c = commit_cached(cache, &root);
    apex_gl b;
    apex_gl2 tval;
    claim_values(&b, &tval); /* the committed witness's values */
    int8_t saved = data[5];
    data[5] = (int8_t)(saved ^ 0x11);
    apex_rng rng;
    apex_rng_seed(&rng, 5);
    apex_transcript *t = apex_transcript_new("test-cache");
    apex_ligero_proof pf;
    const char *why = NULL;
    assert_int_equal(apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    assert_null(apex_ligero_cache_status(c)); /* the cache served the columns */
    data[5] = saved;
    t = apex_transcript_new("test-cache");
    assert_int_equal(apex_ligero_verify(&shape, &root, 1, t, &cons, &b, &tval, &pf, &why),
                     APEX_ERR_REJECTED);
    apex_transcript_destroy(&t);
    apex_ligero_proof_free(&pf);
    apex_ligero_commitment_destroy(&c);
    unlink(cache);
}

static void test_save_load(void **state)
{
    (void)state;
    char cache[128], saved[128];
    path_of(cache, sizeof cache, "cache");
    path_of(saved, sizeof saved, "saved");
    apex_hash root;
    apex_ligero_commitment *c = commit_cached(cache, &root);
    uint8_t *p0, *p1;
    size_t l0, l1;
    const char *why = NULL;
    assert_int_equal(prove(c, &root, 5, &p0, &l0, &why), APEX_OK);
    free(p0);
    if (apex_ligero_commitment_save(c, saved, &why) != APEX_OK)
        fail_msg("save: %s", why);
    assert_int_equal(prove(c, &root, 6, &p0, &l0, &why), APEX_OK); /* second opening */
    apex_ligero_commitment *d = apex_ligero_commitment_load(&shape, rows, NULL, saved, &root, &why);
    if (!d)
        fail_msg("load: %s", why);
    assert_int_equal(apex_ligero_openings_used(d), 1);
    assert_int_equal(apex_ligero_openings_left(d), apex_ligero_openings_left(c) + 1);
    assert_int_equal(prove(d, &root, 6, &p1, &l1, &why), APEX_OK);
    assert_null(apex_ligero_cache_status(d)); /* the cache path was saved too */
    assert_int_equal(apex_ligero_openings_used(d), 2);
    assert_int_equal(l0, l1); /* same state, same randomness: the same proof */
    assert_memory_equal(p0, p1, l0);
    free(p0);
    free(p1);
    apex_ligero_commitment_destroy(&d);

    /* damaged or foreign files */
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_file_read_all(saved, 1u << 24, &buf, &len), APEX_OK);
    char bad[128];
    path_of(bad, sizeof bad, "saved2");
    const struct {
        size_t keep; /* bytes kept (len: all) */
        size_t flip; /* byte flipped (SIZE_MAX: none) */
        const char *want;
    } cases[] = {
        {0, SIZE_MAX, "truncated"},
        {10, SIZE_MAX, "truncated"},
        {len / 2, SIZE_MAX, "truncated"},
        {len - 1, SIZE_MAX, "truncated"},
        {len, 0, "bad magic"},
        {len, 9, "version"},
        {len, 50, "checksum"},
        {len, 100, "checksum"},
        {len, len / 2, "checksum"},
        {len, len - 1, "checksum"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].flip != SIZE_MAX)
            buf[cases[i].flip] ^= 0x20;
        assert_int_equal(apex_file_write_atomic(bad, buf, cases[i].keep, 0600), APEX_OK);
        if (cases[i].flip != SIZE_MAX)
            buf[cases[i].flip] ^= 0x20;
        why = NULL;
        assert_null(apex_ligero_commitment_load(&shape, rows, NULL, bad, &root, &why));
        if (!why || !strstr(why, cases[i].want))
            fail_msg("case %zu: reason '%s' lacks '%s'", i, why ? why : "(null)", cases[i].want);
    }
    apex_hash other = root;
    other.b[0] ^= 1;
    assert_null(apex_ligero_commitment_load(&shape, rows, NULL, saved, &other, &why));
    assert_non_null(strstr(why, "another root"));
    apex_ligero_params p2 = shape;
    p2.nwrow = 69;
    assert_null(apex_ligero_commitment_load(&p2, rows, NULL, saved, &root, &why));
    assert_non_null(strstr(why, "shape"));
    path_of(bad, sizeof bad, "nothing-here");
    assert_null(apex_ligero_commitment_load(&shape, rows, NULL, bad, &root, &why));
    assert_non_null(strstr(why, "missing"));
    free(buf);

    /* a commitment to an array cannot be saved (its witness is not stored) */
    apex_gl w[4] = {1, 2, 3, 4};
    apex_rng rng;
    apex_rng_seed(&rng, 3);
    apex_ligero_commitment *arr = apex_ligero_commit(&shape, w, 4, &rng, &root, NULL);
    assert_non_null(arr);
    assert_int_equal(apex_ligero_commitment_save(arr, saved, &why), APEX_ERR_INVALID);
    apex_ligero_commitment_destroy(&arr);
    apex_ligero_commitment_destroy(&c);
    unlink(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_same_proof),     cmocka_unit_test(test_mem_tableau_same_proof),
        cmocka_unit_test(test_mem_and_file),         cmocka_unit_test(test_cache_rejects_damage),
        cmocka_unit_test(test_cache_changed_source), cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
