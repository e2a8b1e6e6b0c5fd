/* The compliance CLI's files (zk/commitfile.h): round trips, and every malformed variant is
 * refused with an error (never a crash), including ones whose checksum was recomputed so
 * that only the field checks can catch them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "zk/commitfile.h"

static char g_dir[64];

static char *path(const char *name)
{
    static char p[2][128];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

static apex_comp_config small_cfg(void)
{
    apex_comp_config c = {{8, 32, 8, 24, 64, 20, 12}, 100, 8, 8, 3};
    return c;
}

static void fill_record(apex_commit_record *r, uint64_t *mask, uint8_t *reg)
{
    memset(r, 0, sizeof *r);
    r->cfg = small_cfg();
    for (unsigned i = 0; i < APEX_COMP_ID_LEN; i++) {
        r->fleet_id[i] = (uint8_t)i;
        r->client_id[i] = (uint8_t)(3 * i);
    }
    r->epoch = 2;
    r->root_g.b[0] = 7;
    r->root_w.b[1] = 8;
    r->root_w_reg.b[2] = 9;
    for (size_t i = 0; i < 5; i++)
        mask[i] = 3 * i + 1;
    r->mask = mask;
    r->nmask = 5;
    for (size_t i = 0; i < 40; i++)
        reg[i] = (uint8_t)(i * 7);
    r->reg = reg;
    r->reg_len = 40;
}

/* Rewrite file: byte off XOR x, then (fix) a fresh SHA-256 trailer, truncated by cut. */
static void tamper(const char *p, size_t off, uint8_t x, int fix, size_t cut)
{
    uint8_t *b = NULL;
    size_t n = 0;
    assert_int_equal(apex_file_read_all(p, 1 << 20, &b, &n), APEX_OK);
    assert_true(off < n && cut < n);
    b[off] ^= x;
    if (fix)
        assert_int_equal(apex_sha256(b, n - 32, b + n - 32), APEX_OK);
    assert_int_equal(apex_file_write_atomic(path("t"), b, n - cut, 0644), APEX_OK);
    free(b);
}

static void test_commit_record(void **state)
{
    (void)state;
    uint64_t mask[5];
    uint8_t reg[40];
    apex_commit_record r, back;
    fill_record(&r, mask, reg);
    const char *why = NULL;
    assert_int_equal(apex_commit_record_write(path("c"), &r, &why), APEX_OK);
    assert_int_equal(apex_commit_record_read(path("c"), &back, &why), APEX_OK);
    assert_int_equal(back.epoch, 2);
    assert_int_equal(back.nmask, 5);
    assert_memory_equal(back.mask, mask, sizeof mask);
    assert_int_equal(back.reg_len, 40);
    assert_memory_equal(back.reg, reg, 40);
    assert_memory_equal(&back.root_w_reg, &r.root_w_reg, sizeof r.root_w_reg);
    assert_memory_equal(back.client_id, r.client_id, APEX_COMP_ID_LEN);
    assert_int_equal(back.cfg.sp.tau_log2, 20);
    apex_commit_record_free(&back);

    /* every truncation, and a flip anywhere without fixing the checksum */
    uint8_t *b = NULL;
    size_t n = 0;
    assert_int_equal(apex_file_read_all(path("c"), 1 << 20, &b, &n), APEX_OK);
    free(b);
    for (size_t cut = 1; cut < n; cut += 7) {
        tamper(path("c"), 0, 0, 0, cut);
        why = NULL;
        assert_int_not_equal(apex_commit_record_read(path("t"), &back, &why), APEX_OK);
        assert_non_null(why);
    }
    for (size_t off = 0; off < n; off += 13) {
        tamper(path("c"), off, 0x20, 0, 0);
        assert_int_not_equal(apex_commit_record_read(path("t"), &back, &why), APEX_OK);
    }
    /* with a recomputed checksum: version, configuration, mask length, mask order */
    tamper(path("c"), 8, 1, 1, 0); /* version */
    assert_int_equal(apex_commit_record_read(path("t"), &back, &why), APEX_ERR_VERSION);
    tamper(path("c"), 12, 3, 1, 0); /* N = 11: not a power of two */
    assert_int_equal(apex_commit_record_read(path("t"), &back, &why), APEX_ERR_FORMAT);
    const size_t mask_len_at = 12 + 11 * 8 + 4 * 32 + 8 + 3 * 32;
    tamper(path("c"), mask_len_at, 0x40, 1, 0); /* 69 entries claimed, 5 present */
    assert_int_equal(apex_commit_record_read(path("t"), &back, &why), APEX_ERR_FORMAT);
    tamper(path("c"), mask_len_at + 8 + 8, 0x3f, 1, 0); /* second entry above the third */
    assert_int_equal(apex_commit_record_read(path("t"), &back, &why), APEX_ERR_FORMAT);
    assert_non_null(strstr(why, "mask"));
    tamper(path("c"), mask_len_at + 8 + 5 * 8, 1, 1, 0); /* registration length */
    assert_int_equal(apex_commit_record_read(path("t"), &back, &why), APEX_ERR_FORMAT);
    assert_int_not_equal(apex_commit_record_read(path("absent"), &back, &why), APEX_OK);
}

static void test_proof_and_key(void **state)
{
    (void)state;
    uint8_t bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i ^ 0x5a);
    apex_proof_record p = {.epoch = 4, .proof = bytes, .proof_len = sizeof bytes};
    p.nonce[3] = 1;
    p.root_w1.b[5] = 2;
    const char *why = NULL;
    apex_proof_record pb;
    assert_int_equal(apex_proof_record_write(path("p"), &p, &why), APEX_OK);
    assert_int_equal(apex_proof_record_read(path("p"), &pb, &why), APEX_OK);
    assert_int_equal(pb.epoch, 4);
    assert_int_equal(pb.proof_len, sizeof bytes);
    assert_memory_equal(pb.proof, bytes, sizeof bytes);
    assert_memory_equal(pb.nonce, p.nonce, APEX_COMP_ID_LEN);
    apex_proof_record_free(&pb);
    tamper(path("p"), 0, 0, 0, 33);
    assert_int_not_equal(apex_proof_record_read(path("t"), &pb, &why), APEX_OK);
    tamper(path("p"), 116, 1, 1, 0); /* proof length */
    assert_int_equal(apex_proof_record_read(path("t"), &pb, &why), APEX_ERR_FORMAT);
    tamper(path("p"), 3, 1, 1, 0); /* magic */
    assert_int_equal(apex_proof_record_read(path("t"), &pb, &why), APEX_ERR_FORMAT);
    assert_non_null(strstr(why, "magic"));
    /* a proof record is not a commit record and the other way round */
    apex_commit_record cr;
    assert_int_equal(apex_commit_record_read(path("p"), &cr, &why), APEX_ERR_FORMAT);

    int8_t g[64];
    for (int i = 0; i < 64; i++)
        g[i] = (int8_t)(i - 32);
    uint64_t km[2] = {4, 9};
    apex_commit_key k = {.epoch = 1,
                         .g_openings = 3,
                         .frac_bits = 21,
                         .n_real = 6,
                         .g = g,
                         .glen = sizeof g,
                         .mask = km,
                         .nmask = 2};
    k.w_hash[0] = 0xee;
    apex_commit_key kb;
    assert_int_equal(apex_commit_key_write(path("k"), &k, &why), APEX_OK);
    struct stat st;
    assert_int_equal(stat(path("k"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(apex_commit_key_read(path("k"), &kb, &why), APEX_OK);
    assert_int_equal(kb.g_openings, 3);
    assert_int_equal(kb.frac_bits, 21);
    assert_int_equal(kb.nmask, 2);
    assert_int_equal(kb.mask[1], 9);
    assert_memory_equal(kb.g, g, sizeof g);
    assert_int_equal(kb.w_hash[0], 0xee);
    apex_commit_key_free(&kb);
    tamper(path("k"), 20, 1, 0, 0);
    assert_int_equal(apex_commit_key_read(path("t"), &kb, &why), APEX_ERR_HASH);
}

static void test_union_and_hash(void **state)
{
    (void)state;
    const uint64_t a[] = {1, 4, 9}, b[] = {2, 4, 10, 11};
    uint64_t *u = NULL;
    size_t n = 0;
    assert_int_equal(apex_mask_union(a, 3, b, 4, &u, &n), APEX_OK);
    const uint64_t want[] = {1, 2, 4, 9, 10, 11};
    assert_int_equal(n, 6);
    assert_memory_equal(u, want, sizeof want);
    free(u);
    assert_int_equal(apex_mask_union(NULL, 0, NULL, 0, &u, &n), APEX_OK);
    assert_int_equal(n, 0);
    free(u);
    const uint64_t bad[] = {5, 3};
    assert_int_equal(apex_mask_union(bad, 2, a, 3, &u, &n), APEX_ERR_INVALID);
    int32_t w[3] = {1, -1, 1 << 22}, w2[3] = {1, -1, (1 << 22) + 1};
    uint8_t h1[32], h2[32];
    assert_int_equal(apex_commit_w_hash(w, 3, h1), APEX_OK);
    assert_int_equal(apex_commit_w_hash(w2, 3, h2), APEX_OK);
    assert_memory_not_equal(h1, h2, 32);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/apex-commitfile-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"c", "t", "p", "k"};
    for (size_t i = 0; i < 4; i++)
        unlink(path(names[i]));
    return rmdir(g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_record),
        cmocka_unit_test(test_proof_and_key),
        cmocka_unit_test(test_union_and_hash),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
