/* Tests for zk/ligero: honest proofs are accepted; every tampered response, column, salt,
 * sibling, root, claimed value and transcript is rejected; a tableau that is not a
 * codeword fails the low-degree test; encodings round-trip and reject malformed bytes;
 * no witness value appears in a proof; the pads allow one opening only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/ligero.h"
#include "zk/ligero_impl.h"

/* A small shape: BLOCK = 64, 16 pads, 12 queries, 5 witness rows (240 witness slots). */
static const apex_ligero_params small = {6, 16, 12, 5};

/* A statement: nlin random sparse constraints over the witness, b computed honestly. */
typedef struct statement {
    apex_gl *w;              /* [nw] witness */
    size_t nw;               /* witness length */
    apex_ligero_term *terms; /* [nterms] constraint terms */
    size_t nterms;           /* number of terms */
    apex_gl *b;              /* [nlin] right-hand sides */
    size_t nlin;             /* number of constraints */
} statement;

static void make_statement(statement *st, size_t nw, size_t nlin, size_t nterms, apex_rng *rng)
{
    st->nw = nw;
    st->nlin = nlin;
    st->nterms = nterms;
    st->w = calloc(nw, sizeof *st->w);
    st->terms = calloc(nterms ? nterms : 1, sizeof *st->terms);
    st->b = calloc(nlin ? nlin : 1, sizeof *st->b);
    for (size_t i = 0; i < nw; i++)
        st->w[i] = apex_rng_below(rng, APEX_GL_P);
    for (size_t t = 0; t < nterms; t++) {
        apex_ligero_term *x = &st->terms[t];
        x->c = t % nlin;
        x->w = apex_rng_below(rng, nw);
        x->coef = apex_rng_below(rng, APEX_GL_P);
        st->b[x->c] = apex_gl_add(st->b[x->c], apex_gl_mul(x->coef, st->w[x->w]));
    }
}

static void free_statement(statement *st)
{
    free(st->w);
    free(st->terms);
    free(st->b);
}

/* Prover and verifier transcripts start from the same statement absorption. */
static apex_transcript *fresh_transcript(void)
{
    apex_transcript *t = apex_transcript_new("test-ligero");
    assert_non_null(t);
    assert_int_equal(apex_transcript_absorb_u64(t, "statement", 42), APEX_OK);
    return t;
}

static int verify(const apex_ligero_params *p, const apex_hash *root, const statement *st,
                  const apex_gl *b, const apex_ligero_proof *pf, const char **why)
{
    apex_transcript *t = fresh_transcript();
    int rc = apex_ligero_verify(p, root, t, st->terms, st->nterms, b, st->nlin, pf, why);
    apex_transcript_destroy(&t);
    return rc;
}

static void expect_reject(const apex_ligero_params *p, const apex_hash *root, const statement *st,
                          const apex_gl *b, const apex_ligero_proof *pf, const char *reason_part)
{
    const char *why = NULL;
    assert_int_equal(verify(p, root, st, b, pf, &why), APEX_ERR_REJECTED);
    assert_non_null(why);
    if (!strstr(why, reason_part))
        fail_msg("reason '%s' does not mention '%s'", why, reason_part);
}

/* Commit and prove; the proof and root are written out. */
static void prove(const apex_ligero_params *p, const statement *st, apex_rng *rng, apex_hash *root,
                  apex_ligero_proof *pf)
{
    const char *why = NULL;
    apex_ligero_prover *pr = apex_ligero_commit(p, st->w, st->nw, rng, root, &why);
    if (!pr)
        fail_msg("commit failed: %s", why);
    apex_transcript *t = fresh_transcript();
    int rc = apex_ligero_prove(pr, t, st->terms, st->nterms, st->nlin, pf, &why);
    if (rc != APEX_OK)
        fail_msg("prove failed: %s", why ? why : "?");
    apex_transcript_destroy(&t);
    apex_ligero_prover_destroy(&pr);
    assert_null(pr);
}

static void test_honest_accepted(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 31);
    /* several shapes, including the 128-bit query count with a matching pad count */
    const apex_ligero_params shapes[] = {
        small, {1, 1, 1, 1}, {4, 3, 3, 2}, {9, APEX_LIGERO_NREQ, APEX_LIGERO_NREQ, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        apex_ligero_dims d;
        assert_int_equal(apex_ligero_dims_of(&shapes[s], &d, NULL), APEX_OK);
        for (size_t nlin = 0; nlin <= 4; nlin += 4) {
            statement st;
            make_statement(&st, d.nw > 1 ? d.nw - (s % 2) : d.nw, nlin, nlin * 3, &rng);
            apex_hash root;
            apex_ligero_proof pf;
            prove(&shapes[s], &st, &rng, &root, &pf);
            const char *why = "unset";
            int rc = verify(&shapes[s], &root, &st, st.b, &pf, &why);
            if (rc != APEX_OK)
                fail_msg("shape %zu nlin %zu rejected: %s", s, nlin, why);
            assert_null(why);
            apex_ligero_proof_free(&pf);
            free_statement(&st);
        }
    }
}

static void test_tampering_rejected(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 32);
    apex_ligero_dims d;
    apex_ligero_dims_of(&small, &d, NULL);
    statement st;
    make_statement(&st, d.nw, 6, 30, &rng);
    apex_hash root;
    apex_ligero_proof pf;
    prove(&small, &st, &rng, &root, &pf);
    assert_int_equal(verify(&small, &root, &st, st.b, &pf, NULL), APEX_OK);

    /* the verifier's claim differs from the prover's: the transcripts diverge */
    st.b[2] = apex_gl_add(st.b[2], 1);
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    /* a prover that claims that false value, consistently, fails the dot sum */
    {
        apex_hash root2;
        apex_ligero_prover *pr = apex_ligero_commit(&small, st.w, st.nw, &rng, &root2, NULL);
        apex_transcript *t = fresh_transcript();
        apex_ligero_proof liar;
        assert_int_equal(
            ligero_prove_claiming(pr, t, st.terms, st.nterms, st.nlin, st.b, &liar, NULL), APEX_OK);
        expect_reject(&small, &root2, &st, st.b, &liar, "dot sum");
        apex_transcript_destroy(&t);
        apex_ligero_proof_free(&liar);
        apex_ligero_prover_destroy(&pr);
    }
    st.b[2] = apex_gl_sub(st.b[2], 1);
    /* a witness value moved under a constraint: the claim for the old value fails */
    apex_ligero_term saved = st.terms[0];
    st.terms[0].w = (st.terms[0].w + 1) % d.nw;
    expect_reject(&small, &root, &st, st.b, &pf, "ligero");
    st.terms[0] = saved;

    /* Responses are absorbed before the column indices are drawn, so a changed response
     * moves the queries and the opened columns no longer match the commitment. (The column
     * equations themselves are exercised by test_non_codeword_rejected.) */
    pf.ldt[3].c1 = apex_gl_add(pf.ldt[3].c1, 1);
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    pf.ldt[3].c1 = apex_gl_sub(pf.ldt[3].c1, 1);
    /* dot response: an odd slot (not in the sum) and a sum-preserving pair of witness slots */
    pf.dot[5].c0 = apex_gl_add(pf.dot[5].c0, 1);
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    pf.dot[5].c0 = apex_gl_sub(pf.dot[5].c0, 1);
    size_t k1 = 2 * small.npad, k2 = 2 * (small.npad + 1);
    pf.dot[k1].c1 = apex_gl_add(pf.dot[k1].c1, 9);
    pf.dot[k2].c1 = apex_gl_sub(pf.dot[k2].c1, 9);
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    pf.dot[k1].c1 = apex_gl_sub(pf.dot[k1].c1, 9);
    pf.dot[k2].c1 = apex_gl_add(pf.dot[k2].c1, 9);

    /* opened columns, salts, siblings */
    for (size_t r = 0; r < d.nrow; r++) {
        size_t i = (r % small.nreq) * d.nrow + r;
        pf.cols[i] = apex_gl_add(pf.cols[i], 1);
        expect_reject(&small, &root, &st, st.b, &pf, "merkle");
        pf.cols[i] = apex_gl_sub(pf.cols[i], 1);
    }
    pf.salts[APEX_MERKLE_SALT_LEN + 3] ^= 1;
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    pf.salts[APEX_MERKLE_SALT_LEN + 3] ^= 1;
    pf.sib[pf.nsib - 1].b[0] ^= 1;
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    pf.sib[pf.nsib - 1].b[0] ^= 1;
    pf.nsib--;
    expect_reject(&small, &root, &st, st.b, &pf, "too few");
    pf.nsib++;
    /* two opened columns swapped (and their salts) */
    apex_gl tmpc[64];
    memcpy(tmpc, pf.cols, d.nrow * sizeof *tmpc);
    memcpy(pf.cols, pf.cols + d.nrow, d.nrow * sizeof *tmpc);
    memcpy(pf.cols + d.nrow, tmpc, d.nrow * sizeof *tmpc);
    expect_reject(&small, &root, &st, st.b, &pf, "merkle");
    memcpy(pf.cols + d.nrow, pf.cols, d.nrow * sizeof *tmpc);
    memcpy(pf.cols, tmpc, d.nrow * sizeof *tmpc);
    /* a non-canonical column element */
    apex_gl keep = pf.cols[0];
    pf.cols[0] = APEX_GL_P;
    expect_reject(&small, &root, &st, st.b, &pf, "non-canonical");
    pf.cols[0] = keep;
    /* another root */
    apex_hash other = root;
    other.b[31] ^= 0x40;
    expect_reject(&small, &other, &st, st.b, &pf, "merkle");
    /* other public parameters */
    apex_ligero_params p2 = small;
    p2.nreq = small.nreq - 1;
    expect_reject(&p2, &root, &st, st.b, &pf, ""); /* any reason: the shape itself differs */

    /* a transcript that absorbed a different statement */
    apex_transcript *t = apex_transcript_new("test-ligero");
    apex_transcript_absorb_u64(t, "statement", 43);
    const char *why = NULL;
    assert_int_equal(
        apex_ligero_verify(&small, &root, t, st.terms, st.nterms, st.b, st.nlin, &pf, &why),
        APEX_ERR_REJECTED);
    apex_transcript_destroy(&t);

    /* everything restored: accepted again */
    assert_int_equal(verify(&small, &root, &st, st.b, &pf, NULL), APEX_OK);
    apex_ligero_proof_free(&pf);
    free_statement(&st);
}

static void test_non_codeword_rejected(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 33);
    apex_ligero_dims d;
    apex_ligero_dims_of(&small, &d, NULL);
    statement st;
    make_statement(&st, d.nw, 3, 9, &rng);
    /* For each kind of row, a prover whose committed row is not of degree < BLOCK (random
     * noise added at every column) fails at the opened columns. */
    for (size_t row = 0; row < d.nrow; row++) {
        apex_hash root;
        apex_ligero_prover *pr = apex_ligero_commit(&small, st.w, st.nw, &rng, &root, NULL);
        assert_non_null(pr);
        for (size_t q = 0; q < d.nq; q++) {
            apex_gl *x = &pr->tab[q * d.nrow + row];
            *x = apex_gl_add(*x, 1 + apex_rng_below(&rng, APEX_GL_P - 1));
        }
        assert_int_equal(ligero_rebuild_tree(pr), APEX_OK);
        root = pr->root;
        apex_transcript *t = fresh_transcript();
        apex_ligero_proof pf;
        assert_int_equal(apex_ligero_prove(pr, t, st.terms, st.nterms, st.nlin, &pf, NULL),
                         APEX_OK);
        apex_transcript_destroy(&t);
        const char *why = NULL;
        assert_int_equal(verify(&small, &root, &st, st.b, &pf, &why), APEX_ERR_REJECTED);
        /* the IDOT rows are covered by the dot test, every other row by the LDT */
        const char *want = (row == 2 || row == 3) ? "dot test" : "low-degree";
        if (!strstr(why, want))
            fail_msg("row %zu: reason '%s'", row, why);
        apex_ligero_proof_free(&pf);
        apex_ligero_prover_destroy(&pr);
    }
    free_statement(&st);
}

static void test_encoding(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 34);
    apex_ligero_dims d;
    apex_ligero_dims_of(&small, &d, NULL);
    statement st;
    make_statement(&st, d.nw, 2, 4, &rng);
    apex_hash root;
    apex_ligero_proof pf, back;
    prove(&small, &st, &rng, &root, &pf);
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1 << 20);
    assert_int_equal(apex_ligero_proof_encode(&small, &pf, &w), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);

    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    assert_int_equal(verify(&small, &root, &st, st.b, &back, NULL), APEX_OK);
    apex_ligero_proof_free(&back);

    /* every truncation fails to decode; a trailing byte is left over */
    for (size_t cut = 0; cut < len; cut += 97) {
        apex_enc_reader_init(&r, buf, cut);
        assert_int_not_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_OK);
        assert_null(back.ldt);
    }
    uint8_t *longer = calloc(len + 1, 1);
    memcpy(longer, buf, len);
    apex_enc_reader_init(&r, longer, len + 1);
    assert_int_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_ERR_FORMAT);
    apex_ligero_proof_free(&back);
    free(longer);
    /* a non-canonical element inside the ldt vector */
    memset(buf + 8, 0xff, 8);
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_ERR_RANGE);
    /* a wrong vector length */
    buf[0] ^= 1;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_ERR_FORMAT);
    buf[0] ^= 1;
    /* an absurd sibling count */
    size_t off = len - pf.nsib * sizeof(apex_hash) - 8;
    memset(buf + 8, 0, 8); /* restore a canonical ldt element */
    memset(buf + off, 0xff, 8);
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_ligero_proof_decode(&small, &r, &back), APEX_ERR_TOO_LARGE);
    free(buf);
    apex_ligero_proof_free(&pf);
    free_statement(&st);
}

static void test_zk_smoke_and_budget(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 35);
    apex_ligero_dims d;
    apex_ligero_dims_of(&small, &d, NULL);
    statement st;
    make_statement(&st, d.nw, 4, 12, &rng);
    apex_hash root, root2;
    const char *why = NULL;
    /* OS randomness: no witness value appears verbatim in the opened columns or responses */
    apex_ligero_prover *pr = apex_ligero_commit(&small, st.w, st.nw, NULL, &root, &why);
    assert_non_null(pr);
    apex_transcript *t = fresh_transcript();
    apex_ligero_proof pf;
    assert_int_equal(apex_ligero_prove(pr, t, st.terms, st.nterms, st.nlin, &pf, &why), APEX_OK);
    apex_transcript_destroy(&t);
    for (size_t i = 0; i < st.nw; i++) {
        for (size_t j = 0; j < small.nreq * d.nrow; j++)
            assert_int_not_equal(pf.cols[j], st.w[i]);
        for (size_t k = 0; k < d.block; k++)
            assert_true(pf.ldt[k].c0 != st.w[i] && pf.ldt[k].c1 != st.w[i]);
        for (size_t k = 0; k < d.dblock; k++)
            assert_true(pf.dot[k].c0 != st.w[i] && pf.dot[k].c1 != st.w[i]);
    }
    assert_int_equal(verify(&small, &root, &st, st.b, &pf, NULL), APEX_OK);
    /* the same commitment cannot be opened a second time */
    apex_ligero_proof pf2;
    t = fresh_transcript();
    assert_int_equal(apex_ligero_prove(pr, t, st.terms, st.nterms, st.nlin, &pf2, &why),
                     APEX_ERR_STATE);
    apex_transcript_destroy(&t);
    apex_ligero_prover_destroy(&pr);
    /* two commitments to the same witness differ (fresh pads and salts) */
    pr = apex_ligero_commit(&small, st.w, st.nw, NULL, &root2, NULL);
    assert_memory_not_equal(root.b, root2.b, sizeof root.b);
    apex_ligero_prover_destroy(&pr);
    /* a seeded test generator makes commitments reproducible (golden tests) */
    apex_rng a, b;
    apex_rng_seed(&a, 7);
    apex_rng_seed(&b, 7);
    pr = apex_ligero_commit(&small, st.w, st.nw, &a, &root, NULL);
    apex_ligero_prover_destroy(&pr);
    pr = apex_ligero_commit(&small, st.w, st.nw, &b, &root2, NULL);
    apex_ligero_prover_destroy(&pr);
    assert_memory_equal(root.b, root2.b, sizeof root.b);
    apex_ligero_proof_free(&pf);
    free_statement(&st);
}

static void test_parameters(void **state)
{
    (void)state;
    apex_ligero_dims d;
    const char *why = NULL;
    const apex_ligero_params bad[] = {
        {0, 1, 1, 1},                             /* BLOCK = 1 */
        {APEX_LIGERO_MAX_LOG_BLOCK + 1, 1, 1, 1}, /* too long */
        {6, 11, 12, 1},                           /* fewer pads than queries: not ZK */
        {6, 64, 12, 1},                           /* no witness slot */
        {6, 16, 0, 1},                            /* no queries */
        {6, 16, 12, 0},                           /* no rows */
        {6, 16, 12, APEX_LIGERO_MAX_ROWS + 1},    /* too many rows */
        {2, 16, 16, 1},                           /* more queries than columns */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_int_equal(apex_ligero_dims_of(&bad[i], &d, &why), APEX_ERR_INVALID);
        assert_non_null(why);
        assert_null(apex_ligero_commit(&bad[i], NULL, 0, NULL, NULL, NULL));
    }
    assert_int_equal(apex_ligero_dims_of(&small, &d, NULL), APEX_OK);
    assert_int_equal(d.block, 64);
    assert_int_equal(d.wr, 48);
    assert_int_equal(d.dblock, 128);
    assert_int_equal(d.nq, 256);
    assert_int_equal(d.ncol, 128 + 256); /* NCOL = DBLOCK + 4 BLOCK */
    assert_int_equal(d.nrow, 9);
    /* witness too long or non-canonical */
    apex_gl w[241] = {0};
    apex_hash root;
    assert_null(apex_ligero_commit(&small, w, 241, NULL, &root, &why));
    w[0] = APEX_GL_P;
    assert_null(apex_ligero_commit(&small, w, 1, NULL, &root, &why));
    assert_non_null(strstr(why, "non-canonical"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parameters),         cmocka_unit_test(test_honest_accepted),
        cmocka_unit_test(test_tampering_rejected), cmocka_unit_test(test_non_codeword_rejected),
        cmocka_unit_test(test_encoding),           cmocka_unit_test(test_zk_smoke_and_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
