/* The compliance proof verbs end to end through the `apex` binary on a small real model
 * (mlp with 32 hidden units, 16 gradient rows): commit, unlearn --proof, verify, two
 * rounds, and the rejections a verifier must give (another mask, another nonce, a stale
 * proof, a forged proof with a valid file checksum, a wrong model, malformed files). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli_util.h"
#include "core/core.h"

static char g_dir[256];
static char g_apex[512];

/* Runs `apex ARGS` (printf-style), returns the exit status; *out_text gets stdout. */
static int run(char **out_text, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return cli_run(g_apex, g_dir, args, out_text);
}

/* Exit status and stdout must match. */
static void expect(int code, const char *needle, const char *fmt, const char *a, const char *b)
{
    char *out = NULL;
    int st = run(&out, fmt, a, b, a, b, a, b);
    if (st != code || (needle && (!out || !strstr(out, needle))))
        fail_msg("apex %s: exit %d (want %d), stdout '%s' (want '%s')", fmt, st, code,
                 out ? out : "", needle ? needle : "");
    free(out);
}

static char *path(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

/* Copy src to dst with byte off XORed by x; fix = 1 recomputes the SHA-256 trailer so that
 * only the proof system can catch the change. */
static void mutate(const char *src, const char *dst, size_t off, uint8_t x, int fix, size_t cut)
{
    uint8_t *b = NULL;
    size_t n = 0;
    assert_int_equal(apex_file_read_all(src, (size_t)1 << 30, &b, &n), APEX_OK);
    assert_true(off + 32 < n);
    b[off] ^= x;
    if (fix)
        assert_int_equal(apex_sha256(b, n - 32, b + n - 32), APEX_OK);
    assert_int_equal(apex_file_write_atomic(dst, b, n - cut, 0644), APEX_OK);
    free(b);
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("APEX_BIN_DIR");
    snprintf(g_apex, sizeof g_apex, "%s/apex", bin ? bin : "build/bin");
    snprintf(g_dir, sizeof g_dir, "/tmp/apex-zkcli-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    if (run(NULL,
            "train --model mlp --hidden 32 --epochs 1 --limit 3000 --threads 1 --out %s/g.model",
            g_dir) != 0 ||
        run(NULL, "personalize --model %s/g.model --client 0 --exclude 9 --out %s/c.model", g_dir,
            g_dir) != 0 ||
        run(NULL, "mask --model %s/g.model --forget class:9 --n-f 500 --n-m 64 --out %s/m1.bin",
            g_dir, g_dir) != 0 ||
        run(NULL,
            "mask --model %s/g.model --forget class:8 --n-f 500 --n-m 64 --density 0.02 "
            "--out %s/m2.bin",
            g_dir, g_dir) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_commit(void **state)
{
    (void)state;
    expect(2, NULL, "commit --model %s/c.model --out %s/x.commit", g_dir, g_dir); /* no --client */
    /* the common logging options are accepted anywhere, a bad level is a usage error */
    expect(0, "usage: apex verify", "--log-level debug verify --help", g_dir, g_dir);
    expect(0, "usage: apex commit", "commit --log-json --help", g_dir, g_dir);
    expect(2, NULL, "verify --help --log-level loud", g_dir, g_dir);
    /* BLOCK 2^12 cannot reach 100 bits of Ligero soundness with K_max + 1 openings */
    expect(2, NULL,
           "commit --model %s/c.model --client 0 --exclude 9 --samples 16 --log-block 12 "
           "--out %s/x.commit",
           g_dir, g_dir);
    /* more memory than allowed: refused before any commitment, nothing written */
    expect(4, NULL,
           "commit --model %s/c.model --client 0 --exclude 9 --samples 16 --out %s/x.commit "
           "--tableau --max-memory 1",
           g_dir, g_dir);
    struct stat st;
    assert_int_not_equal(stat(path("x.commit"), &st), 0);
    assert_int_not_equal(stat(path("x.commit.key.tab"), &st), 0);
    expect(0, "\"event\":\"committed\"",
           "commit --model %s/c.model --client 0 --exclude 9 --samples 16 --out %s/c.commit "
           "--json --tableau --max-memory 100000",
           g_dir, g_dir);
    assert_int_equal(stat(path("c.commit.key"), &st), 0);
    assert_int_equal(st.st_mode & 077, 0); /* private */
    assert_int_equal(stat(path("c.commit.key.cg"), &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    assert_int_equal(stat(path("c.commit.key.tab"), &st), 0); /* the tableau: G~ in disguise */
    assert_int_equal(st.st_mode & 077, 0);
    assert_int_equal(stat(path("c.commit.key.w0.tab"), &st), 0); /* and C_w(0)'s: w~ */
    assert_int_equal(st.st_mode & 077, 0);
    /* keep a pristine copy of the public record for the replay test */
    mutate(path("c.commit"), path("c0.commit"), 100, 0, 0, 0);
}

static void test_round_one(void **state)
{
    (void)state;
    const char *nonce = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char args[1024];
    snprintf(args, sizeof args,
             "unlearn --model %%s/c.model --mask %%s/m1.bin --out %%s/u1.model --commit "
             "%%s/c.commit --key %%s/c.commit.key --proof %%s/p1.bin --nonce %s --json",
             nonce);
    /* proved, C_G read from KEY.tab and C_w(0) from KEY.w0.tab */
    expect(0, "\"tableau_cache\":true,\"w_tableau_cache\":true", args, g_dir, g_dir);
    struct stat st; /* C_l's scratch tableau (KEY.tab.cl) is gone with the proof */
    assert_int_not_equal(stat(path("c.commit.key.tab.cl"), &st), 0);
    /* C_w(1)'s tableau replaces C_w(0)'s */
    assert_int_not_equal(stat(path("c.commit.key.w0.tab"), &st), 0);
    assert_int_equal(stat(path("c.commit.key.w1.tab"), &st), 0);
    assert_int_equal(st.st_mode & 077, 0);
    expect(0, "accepted", "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/p1.bin", g_dir,
           g_dir);
    snprintf(args, sizeof args,
             "verify --commit %%s/c.commit --mask %%s/m1.bin --proof %%s/p1.bin --nonce %s", nonce);
    expect(0, "accepted", args, g_dir, g_dir);
    /* the verifier's own nonce differs: a replayed proof */
    expect(1, "rejected: the proof was made for another nonce",
           "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/p1.bin --nonce "
           "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
           g_dir, g_dir);
    /* another mask than the one proven */
    expect(1, "rejected: the proof was made for another mask",
           "verify --commit %s/c.commit --mask %s/m2.bin --proof %s/p1.bin", g_dir, g_dir);
}

static void test_forged(void **state)
{
    (void)state;
    /* a byte of the encoded proof changed and the file checksum recomputed: only the
     * verifier can say no. Offsets past the 8+4+8+32+32+32+8-byte header. */
    const size_t hdr = 8 + 4 + 8 + 32 + 32 + 32 + 8;
    const size_t offs[] = {hdr + 5, hdr + 40, hdr + 300, hdr + 5000, hdr + 100000};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        mutate(path("p1.bin"), path("f.bin"), offs[i], 0x5a, 1, 0);
        char *out = NULL;
        int st = run(&out, "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/f.bin", g_dir,
                     g_dir, g_dir);
        if (st != 1 || !out || strncmp(out, "rejected: ", 10) != 0)
            fail_msg("forged byte %zu: exit %d, '%s'", offs[i], st, out ? out : "");
        free(out);
    }
    /* a forged C_w(e+1) root in the header */
    mutate(path("p1.bin"), path("f.bin"), 8 + 4 + 8 + 32 + 32 + 3, 1, 1, 0);
    expect(1,
           "rejected: compliance:", "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/f.bin",
           g_dir, g_dir);
    /* a flipped byte without the checksum, a truncated file: malformed input (exit 3) */
    mutate(path("p1.bin"), path("f.bin"), hdr + 40, 1, 0, 0);
    expect(3, NULL, "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/f.bin", g_dir, g_dir);
    mutate(path("p1.bin"), path("f.bin"), 0, 0, 0, 1000);
    expect(3, NULL, "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/f.bin", g_dir, g_dir);
    mutate(path("c.commit"), path("f.commit"), 60, 1, 0, 0);
    expect(3, NULL, "verify --commit %s/f.commit --mask %s/m1.bin --proof %s/p1.bin", g_dir, g_dir);
    expect(3, NULL, "verify --commit %s/absent --mask %s/m1.bin --proof %s/p1.bin", g_dir, g_dir);
    /* a commitment whose configuration asks for too few queries (NREQ, the u64 at byte
     * 8 + 4 + 9 * 8 of client.commit, set to 1 under a recomputed checksum) is refused for its
     * parameters, before any proof is looked at */
    {
        uint8_t *b = NULL;
        size_t n = 0, at = 8 + 4 + 9 * 8;
        assert_int_equal(apex_file_read_all(path("c.commit"), (size_t)1 << 30, &b, &n), APEX_OK);
        assert_true(n > at + 8 + 32);
        for (size_t k = 1; k < 8; k++)
            assert_int_equal(b[at + k], 0); /* NREQ < 256 */
        assert_true(b[at] > 1);
        b[at] = 1;
        assert_int_equal(apex_sha256(b, n - 32, b + n - 32), APEX_OK);
        assert_int_equal(apex_file_write_atomic(path("weak.commit"), b, n, 0644), APEX_OK);
        free(b);
        expect(1, "bits of Ligero soundness",
               "verify --commit %s/weak.commit --mask %s/m1.bin --proof %s/p1.bin", g_dir, g_dir);
    }
    /* swapped commitments: the proof checked against a record whose stored C_w(e) is
     * another one (a second registration of the same client) */
    expect(0, NULL,
           "commit --model %s/c.model --client 0 --exclude 9 --samples 16 --out %s/other.commit",
           g_dir, g_dir);
    expect(1, "rejected: ", "verify --commit %s/other.commit --mask %s/m1.bin --proof %s/p1.bin",
           g_dir, g_dir);
}

static void test_round_two_and_stale(void **state)
{
    (void)state;
    expect(0, "accepted", "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/p1.bin --update",
           g_dir, g_dir);
    expect(1, "rejected: stale proof",
           "verify --commit %s/c.commit --mask %s/m1.bin --proof %s/p1.bin", g_dir, g_dir);
    /* the old model is no longer the committed one */
    expect(3, NULL,
           "unlearn --model %s/c.model --mask %s/m2.bin --out %s/x.model --commit %s/c.commit "
           "--key %s/c.commit.key --proof %s/x.bin",
           g_dir, g_dir);
    /* a copy of the key with its opening budget spent: refused after C_w(2) is committed
     * (and its tableau written); the step leaves no tableau behind and the original chain's
     * file stays */
    mutate(path("c.commit.key"), path("x.key"), 8 + 4 + 8, 0x09, 1, 0); /* openings 1 -> 8 */
    mutate(path("c.commit.key.cg"), path("x.key.cg"), 0, 0, 0, 0);
    mutate(path("c.commit.key.cw"), path("x.key.cw"), 0, 0, 0, 0);
    expect(4, NULL,
           "unlearn --model %s/u1.model --mask %s/m2.bin --out %s/x.model --commit %s/c.commit "
           "--key %s/x.key --proof %s/x.bin",
           g_dir, g_dir);
    struct stat st;
    assert_int_not_equal(stat(path("x.key.w2.tab"), &st), 0);
    assert_int_equal(stat(path("c.commit.key.w1.tab"), &st), 0);
    expect(0, "\"w_tableau_cache\":true",
           "unlearn --model %s/u1.model --mask %s/m2.bin --out %s/u2.model --commit %s/c.commit "
           "--key %s/c.commit.key --proof %s/p2.bin --json",
           g_dir, g_dir);
    assert_int_not_equal(stat(path("c.commit.key.w1.tab"), &st), 0);
    assert_int_equal(stat(path("c.commit.key.w2.tab"), &st), 0);
    expect(0, "accepted", "verify --commit %s/c.commit --mask %s/m2.bin --proof %s/p2.bin --update",
           g_dir, g_dir);
    /* round two's proof against the registration-time record (epoch 0): stale model */
    expect(1, "rejected: stale proof",
           "verify --commit %s/c0.commit --mask %s/m2.bin --proof %s/p2.bin", g_dir, g_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_round_one),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_round_two_and_stale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
