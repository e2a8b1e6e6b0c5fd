/* Golden vectors: the SHA-256 of proof bytes produced with a seeded test generator.
 *
 * These are regression vectors, not independent references: they pin the proof format, the
 * transcript schedule, the row layout and the randomness consumption order, so that any
 * change to one of them is deliberate (update the digest in the same commit and say why).
 * The field, transcript and Merkle layers have independent known-answer tests elsewhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/lgkr.h"
#include "zk/ligero.h"
#include "zk/sumcheck.h"

#define LIGERO_GOLDEN   "d3721407d612d675e1c0273c775304476d90624274b3f185a41631d9d55328f6"
#define SUMCHECK_GOLDEN "dcfb575421c770ea569889d51daadb72de858353aa1f667d944649ad0d674f3b"
#define LGKR_GOLDEN     "82b5ee0a9e876979e336954617e30cd63125f68121ab7b52808215650215aa21"

static void digest_hex(const void *buf, size_t len, char hex[65])
{
    uint8_t d[APEX_SHA256_LEN];
    assert_int_equal(apex_sha256(buf, len, d), APEX_OK);
    apex_hex(d, sizeof d, hex);
}

static void test_ligero_golden(void **state)
{
    (void)state;
    const apex_ligero_params ps[2] = {{5, 8, 6, 3}, {5, 8, 6, 2}};
    apex_rng rng;
    apex_rng_seed(&rng, 20261128);
    apex_gl w[3 * 32 + 2 * 32];
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    /* row 0 of the second commitment = row 1 * row 2 of the first, slot by slot */
    for (size_t k = 0; k < 32; k++)
        w[96 + k] = apex_gl_mul(w[32 + k], w[64 + k]);
    apex_ligero_term terms[6];
    for (size_t t = 0; t < 6; t++) {
        terms[t].c = t % 3;
        terms[t].w = (t * 19 + 5) % 160;
        terms[t].coef = t + 2;
    }
    const apex_ligero_quad quad = {1, 2, 3};
    apex_ligero_constraints cons = {terms, 6, 3, &quad, 1, NULL, 0};
    apex_hash roots[2];
    apex_ligero_commitment *cs[2] = {apex_ligero_commit(&ps[0], w, 96, &rng, &roots[0], NULL),
                                     apex_ligero_commit(&ps[1], w + 96, 64, &rng, &roots[1], NULL)};
    assert_non_null(cs[0]);
    assert_non_null(cs[1]);
    apex_transcript *t = apex_transcript_new("golden");
    apex_ligero_proof pf;
    assert_int_equal(apex_ligero_prove(cs, 2, t, &cons, &rng, &pf, NULL), APEX_OK);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 20);
    assert_int_equal(apex_enc_put_hash(&wr, &roots[0]), APEX_OK);
    assert_int_equal(apex_enc_put_hash(&wr, &roots[1]), APEX_OK);
    assert_int_equal(apex_ligero_proof_encode(ps, 2, &pf, &wr), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&wr, &buf, &len), APEX_OK);
    char hex[65];
    digest_hex(buf, len, hex);
    printf("ligero golden: %zu bytes, sha256 %s\n", len, hex);
    assert_string_equal(hex, LIGERO_GOLDEN);
    free(buf);
    /* and the golden proof is a valid one */
    apex_gl b[3] = {0, 0, 0};
    for (size_t i = 0; i < 6; i++)
        b[terms[i].c] = apex_gl_add(b[terms[i].c], apex_gl_mul(terms[i].coef, w[terms[i].w]));
    apex_transcript *tv = apex_transcript_new("golden");
    const char *why = NULL;
    assert_int_equal(apex_ligero_verify(ps, roots, 2, tv, &cons, b, NULL, &pf, &why), APEX_OK);
    apex_transcript_destroy(&tv);
    apex_ligero_proof_free(&pf);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&cs[0]);
    apex_ligero_commitment_destroy(&cs[1]);
}

static void test_sumcheck_golden(void **state)
{
    (void)state;
    enum { M = 4, K = 5, N = 1 << K };
    apex_rng rng;
    apex_rng_seed(&rng, 77);
    apex_gl2 tab[M][N], *f[M];
    apex_gl2 claim = apex_gl2_from_gl(0);
    for (int s = 0; s < M; s++) {
        f[s] = tab[s];
        for (int b = 0; b < N; b++)
            tab[s][b] =
                apex_gl2_make(apex_rng_below(&rng, APEX_GL_P), apex_rng_below(&rng, APEX_GL_P));
    }
    for (int b = 0; b < N; b++) {
        apex_gl2 p = tab[0][b];
        for (int s = 1; s < M; s++)
            p = apex_gl2_mul(p, tab[s][b]);
        claim = apex_gl2_add(claim, p);
    }
    apex_gl2 rounds[K * (M + 1)], r[K], fin[M];
    apex_transcript *t = apex_transcript_new("golden");
    assert_int_equal(apex_sumcheck_prove(t, f, M, K, claim, rounds, r, fin), APEX_OK);
    apex_transcript_destroy(&t);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 16);
    assert_int_equal(apex_enc_put_gl2_vec(&wr, rounds, K * (M + 1)), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&wr, &buf, &len), APEX_OK);
    char hex[65];
    digest_hex(buf, len, hex);
    printf("sumcheck golden: %zu bytes, sha256 %s\n", len, hex);
    assert_string_equal(hex, SUMCHECK_GOLDEN);
    free(buf);
}

/* LogUp-GKR over 10 rows of 1024 values (a partly filled 2^14-leaf tree whose widest rounds
 * run on two threads) with a 2^12 table: pins the GKR prover's arithmetic and schedule. */
static void test_lgkr_golden(void **state)
{
    (void)state;
    apex_lgkr_shape sh = {12, {10, 108, 12, 10}, {10, 108, 12, 4}, {10, 108, 12, 1}, {0}};
    sh.p_params.nwrow = apex_lgkr_pad_rows(&sh);
    apex_rng rng;
    apex_rng_seed(&rng, 20261129);
    size_t n = 10 * 1024;
    apex_gl *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = apex_rng_below(&rng, 1u << 12);
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&sh.a_params, v, n, &rng, &root, NULL);
    assert_non_null(c);
    apex_transcript *t = apex_transcript_new("golden");
    apex_lgkr_proof pf;
    assert_int_equal(apex_lgkr_prove(t, &sh, c, &rng, &pf, NULL), APEX_OK);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 24);
    assert_int_equal(apex_lgkr_proof_encode(&sh, &pf, &wr), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&wr, &buf, &len), APEX_OK);
    char hex[65];
    digest_hex(buf, len, hex);
    printf("lgkr golden: %zu bytes, sha256 %s\n", len, hex);
    assert_string_equal(hex, LGKR_GOLDEN);
    apex_transcript *tv = apex_transcript_new("golden");
    assert_int_equal(apex_lgkr_verify(tv, &sh, &root, &pf, NULL), APEX_OK);
    apex_transcript_destroy(&tv);
    free(buf);
    apex_lgkr_proof_free(&pf);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ligero_golden),
        cmocka_unit_test(test_sumcheck_golden),
        cmocka_unit_test(test_lgkr_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
