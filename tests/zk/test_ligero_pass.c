/* The prover's fast row-combination pass (ligero_pass.c) against the reference per-row path:
 * with the same seeded randomness both must give byte-identical proofs, on int8 rows (the
 * lazy byte path, including -128 and 127), rows with large values (the general path),
 * commitments with different pad counts (pads outside H_B), sparse terms, tensor claims,
 * sparse-only claims and a quadratic constraint across commitments; and the proofs must
 * verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/core.h"
#include "zk/ligero_impl.h"

/* A (int8 rows from a source), B (field values, other npad), C (product rows of A). */
static const apex_ligero_params ps[3] = {{6, 32, 12, 5}, {6, 20, 12, 3}, {6, 32, 12, 2}};
#define BL    64 /* BLOCK: witness slots per row */
#define WA    (5 * BL)
#define WB    (3 * BL)
#define WC    (2 * BL)
#define NW    (WA + WB + WC)
#define NTENS 4

typedef struct scenario {
    int8_t a8[WA]; /* A's int8 values */
    int big_row;   /* A's row with one large value, or -1 */
    apex_gl w[NW]; /* the concatenated witness */
    apex_ligero_term terms[8];
    apex_ligero_quad quad;
    apex_gl2 row_w[NTENS][5];
    apex_gl2 slot_w[NTENS][BL];
    apex_ligero_xterm xt[NTENS][2];
    apex_ligero_tensor tens[NTENS];
    apex_ligero_constraints cons;
    apex_gl b[4];
    apex_gl2 tval[NTENS];
} scenario;

static int a_rows(void *ctx, size_t row, apex_gl *out)
{
    const scenario *s = ctx;
    for (size_t j = 0; j < BL; j++)
        out[j] = s->w[row * BL + j];
    return APEX_OK;
}

static apex_gl2 rnd2(apex_rng *r)
{
    return apex_gl2_make(apex_rng_below(r, APEX_GL_P), apex_rng_below(r, APEX_GL_P));
}

static void build(scenario *s, int big_row)
{
    apex_rng rng;
    apex_rng_seed(&rng, 4242);
    memset(s, 0, sizeof *s);
    s->big_row = big_row;
    for (size_t i = 0; i < WA; i++) {
        s->a8[i] = (int8_t)((int)apex_rng_below(&rng, 256) - 128);
        s->w[i] = apex_gl_from_i64(s->a8[i]);
    }
    s->w[0] = apex_gl_from_i64(-128);
    s->w[1] = apex_gl_from_i64(127);
    if (big_row >= 0)
        s->w[(size_t)big_row * BL + 7] = APEX_GL_P - 129; /* -129: just outside int8 */
    for (size_t i = 0; i < WB; i++)
        s->w[WA + i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t k = 0; k < BL; k++) /* C row 0 = A row 1 * A row 2; C row 1 random */
        s->w[WA + WB + k] = apex_gl_mul(s->w[BL + k], s->w[2 * BL + k]);
    for (size_t k = 0; k < BL; k++)
        s->w[WA + WB + BL + k] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t t = 0; t < 8; t++)
        s->terms[t] =
            (apex_ligero_term){t % 4, (t * 53 + 11) % NW, apex_rng_below(&rng, APEX_GL_P)};
    s->quad = (apex_ligero_quad){1, 2, 8};
    const size_t commit[NTENS] = {0, 0, 1, 0};
    for (size_t x = 0; x < NTENS; x++) {
        const apex_ligero_dims d = {BL, BL, 0, 0, 0, x == 2 ? 3u : 5u, 0, 0};
        for (size_t i = 0; i < d.nrow; i++)
            s->row_w[x][i] = rnd2(&rng);
        for (size_t j = 0; j < d.wr; j++)
            s->slot_w[x][j] = rnd2(&rng);
        for (size_t q = 0; q < 2; q++)
            s->xt[x][q] = (apex_ligero_xterm){(x * 37 + q * 101 + 5) % NW, rnd2(&rng)};
        int sparse_only = x == 3;
        s->tens[x] = (apex_ligero_tensor){commit[x], sparse_only ? NULL : s->row_w[x],
                                          sparse_only ? NULL : s->slot_w[x], s->xt[x], 2};
        /* the value */
        apex_gl2 v = apex_gl2_from_gl(0);
        size_t base = x == 2 ? WA : 0;
        for (size_t i = 0; !sparse_only && i < d.nrow; i++)
            for (size_t j = 0; j < d.wr; j++)
                v = apex_gl2_add(v, apex_gl2_mul_gl(apex_gl2_mul(s->row_w[x][i], s->slot_w[x][j]),
                                                    s->w[base + i * d.wr + j]));
        for (size_t q = 0; q < 2; q++)
            v = apex_gl2_add(v, apex_gl2_mul_gl(s->xt[x][q].coef, s->w[s->xt[x][q].w]));
        s->tval[x] = v;
    }
    for (size_t t = 0; t < 8; t++)
        s->b[s->terms[t].c] =
            apex_gl_add(s->b[s->terms[t].c], apex_gl_mul(s->terms[t].coef, s->w[s->terms[t].w]));
    s->cons = (apex_ligero_constraints){s->terms, 8, 4, &s->quad, 1, s->tens, NTENS};
}

/* Commit and prove with a seeded generator; the proof's canonical bytes in *out. */
static void prove_bytes(scenario *s, int reference, uint8_t **out, size_t *len, apex_hash roots[3])
{
    apex_rng rng;
    apex_rng_seed(&rng, 99);
    const char *why = NULL;
    apex_ligero_commitment *cs[3] = {
        apex_ligero_commit_rows(&ps[0], a_rows, s, &rng, &roots[0], &why),
        apex_ligero_commit(&ps[1], s->w + WA, WB, &rng, &roots[1], &why),
        apex_ligero_commit(&ps[2], s->w + WA + WB, WC, &rng, &roots[2], &why)};
    for (int k = 0; k < 3; k++)
        assert_non_null(cs[k]);
    ligero_test_set_reference_pass(reference);
    apex_transcript *t = apex_transcript_new("test-pass");
    apex_ligero_proof pf;
    int rc = apex_ligero_prove(cs, 3, t, &s->cons, &rng, &pf, &why);
    ligero_test_set_reference_pass(0);
    if (rc != APEX_OK)
        fail_msg("prove: %s", why);
    apex_transcript_destroy(&t);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 22);
    assert_int_equal(apex_ligero_proof_encode(ps, 3, &pf, &wr), APEX_OK);
    assert_int_equal(apex_enc_writer_take(&wr, out, len), APEX_OK);
    if (!reference) {
        t = apex_transcript_new("test-pass");
        rc = apex_ligero_verify(ps, roots, 3, t, &s->cons, s->b, s->tval, &pf, &why);
        apex_transcript_destroy(&t);
        if (rc != APEX_OK)
            fail_msg("fast-pass proof rejected: %s", why);
    }
    apex_ligero_proof_free(&pf);
    for (int k = 0; k < 3; k++)
        apex_ligero_commitment_destroy(&cs[k]);
}

static void check_identical(int big_row)
{
    scenario *s = malloc(sizeof *s);
    assert_non_null(s);
    build(s, big_row);
    uint8_t *fast, *ref;
    size_t lf, lr;
    apex_hash rf[3], rr[3];
    prove_bytes(s, 0, &fast, &lf, rf);
    prove_bytes(s, 1, &ref, &lr, rr);
    assert_memory_equal(rf, rr, sizeof rf);
    assert_int_equal(lf, lr);
    assert_memory_equal(fast, ref, lf);
    free(fast);
    free(ref);
    free(s);
}

static void test_int8_rows_identical(void **state)
{
    (void)state;
    check_identical(-1);
}

static void test_mixed_rows_identical(void **state)
{
    (void)state;
    check_identical(3);
    check_identical(0);
}

/* A combination over many int8 rows against plain field arithmetic: the lazy lanes never
 * overflow at the largest coefficients, and the pads' combination (pout) is exact too (npad
 * 4 and 5). */
static void comb_extremes(size_t npad)
{
    const apex_ligero_params p = {4, npad, 2, 300};
    size_t wr = 16;
    static apex_gl w[300 * 16];
    for (size_t i = 0; i < 300 * wr; i++)
        w[i] = apex_gl_from_i64(i % 3 == 0 ? -128 : i % 3 == 1 ? 127 : (int64_t)(i % 256) - 128);
    apex_rng rng;
    apex_rng_seed(&rng, 5);
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&p, w, 300 * wr, &rng, &root, NULL);
    assert_non_null(c);
    static apex_gl2 coef[300];
    for (size_t i = 0; i < 300; i++)
        coef[i] = apex_gl2_make(APEX_GL_P - 1 - i, APEX_GL_P - 2);
    apex_gl2 out[16], pout[8];
    ligero_layout lay = {{0, 300 * wr}, {0, 300}};
    ligero_comb cb = {0, coef, out, pout};
    assert_int_equal(ligero_comb_pass(&c, 1, &lay, &cb, 1, NULL, NULL, NULL), APEX_OK);
    apex_gl2 want[16], pwant[8];
    apex_gl row[16], pads[8];
    for (size_t s = 0; s < 16; s++)
        want[s] = apex_gl2_from_gl(0);
    for (size_t s = 0; s < npad; s++)
        pwant[s] = apex_gl2_from_gl(0);
    for (size_t i = 0; i < 300; i++) {
        assert_int_equal(ligero_row_values(c, i, row), APEX_OK);
        assert_int_equal(ligero_row_pads(c, i, pads), APEX_OK);
        for (size_t s = 0; s < 16; s++)
            want[s] = apex_gl2_add(want[s], apex_gl2_mul_gl(coef[i], row[s]));
        for (size_t s = 0; s < npad; s++)
            pwant[s] = apex_gl2_add(pwant[s], apex_gl2_mul_gl(coef[i], pads[s]));
    }
    assert_memory_equal(out, want, sizeof out);
    assert_memory_equal(pout, pwant, npad * sizeof *pout);
    apex_ligero_commitment_destroy(&c);
}

static void test_comb_pass_extremes(void **state)
{
    (void)state;
    comb_extremes(4);
    comb_extremes(5);
}

/* The pads of row i against an independent derivation: AES-256-CTR(seed, IV = be64(i) || 0),
 * little-endian 64-bit words, rejected when >= p. npad = 3000 crosses the prover's 1024-word
 * blocks and ends inside one. */
static void test_pads_stream(void **state)
{
    (void)state;
    const apex_ligero_params p = {13, 3000, 4, 3};
    apex_rng rng;
    apex_rng_seed(&rng, 77);
    apex_hash root;
    apex_ligero_commitment *c = apex_ligero_commit(&p, NULL, 0, &rng, &root, NULL);
    assert_non_null(c);
    static apex_gl row[3000], want[3000];
    static uint8_t zero[8 * 4096], ks[8 * 4096];
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ligero_row_pads(c, i, row), APEX_OK);
        uint8_t iv[16] = {0};
        iv[7] = (uint8_t)i;
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int len = 0;
        assert_int_equal(EVP_EncryptInit_ex(x, EVP_aes_256_ctr(), NULL, c->seed, iv), 1);
        assert_int_equal(EVP_EncryptUpdate(x, ks, &len, zero, sizeof zero), 1);
        EVP_CIPHER_CTX_free(x);
        size_t got = 0;
        for (size_t o = 0; got < 3000; o += 8) {
            uint64_t v = 0;
            for (int b = 7; b >= 0; b--)
                v = (v << 8) | ks[o + (size_t)b];
            if (v < APEX_GL_P)
                want[got++] = v;
        }
        assert_memory_equal(row, want, sizeof want);
    }
    apex_ligero_commitment_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int8_rows_identical),
        cmocka_unit_test(test_mixed_rows_identical),
        cmocka_unit_test(test_comb_pass_extremes),
        cmocka_unit_test(test_pads_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
