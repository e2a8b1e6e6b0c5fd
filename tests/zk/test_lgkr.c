/* Tests for zk/lgkr (LogUp-GKR): values in [0, 2^bits) are accepted, including both ends
 * and a partly filled last tree level; a value out of range is rejected whether the prover
 * is honest or balances the sums by forging the root, the leaves or the multiplicities;
 * every sent value and every root is bound; the encoding is canonical; the composition
 * API gives the same verdicts inside a larger joint proof. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/lgkr.h"
#include "zk/lgkr_impl.h"

/* C_a with 2^(lb - 1) values per row (BLOCK 2^(lb - 1), 12 pads outside H_B); C_m and C_p
 * sized for the shape. */
static apex_lgkr_shape shape_for(unsigned bits, unsigned lb, size_t nrow)
{
    size_t wr = (size_t)1 << (lb - 1), nreq = 12, np = 12;
    size_t tr = (((size_t)1 << bits) + wr - 1) / wr;
    apex_lgkr_shape sh = {
        bits, {lb - 1, np, nreq, nrow}, {lb - 1, np, nreq, tr}, {lb - 1, np, nreq, 1}, {0}};
    sh.p_params.nwrow = apex_lgkr_pad_rows(&sh);
    assert_true(sh.p_params.nwrow > 0);
    return sh;
}

static apex_transcript *fresh(void)
{
    apex_transcript *t = apex_transcript_new("test-lgkr");
    assert_non_null(t);
    return t;
}

static size_t nvals(const apex_lgkr_shape *sh)
{
    return sh->a_params.nwrow * ((size_t)1 << sh->a_params.log_block);
}

/* Commit v, prove (cheat mode), return the proof and C_a's root. */
static void prove_as(const apex_lgkr_shape *sh, const apex_gl *v, apex_rng *rng, int cheat,
                     apex_lgkr_proof *pf, apex_hash *root)
{
    apex_ligero_commitment *c = apex_ligero_commit(&sh->a_params, v, nvals(sh), rng, root, NULL);
    assert_non_null(c);
    apex_transcript *t = fresh();
    const char *why = NULL;
    int rc = lgkr_prove_impl(t, sh, c, rng, cheat, pf, &why);
    if (rc != APEX_OK)
        fail_msg("prove: %s", why);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
}

static int verify(const apex_lgkr_shape *sh, const apex_hash *root, const apex_lgkr_proof *pf)
{
    apex_transcript *t = fresh();
    const char *why = NULL;
    int rc = apex_lgkr_verify(t, sh, root, pf, &why);
    if (rc != APEX_OK)
        assert_non_null(why);
    apex_transcript_destroy(&t);
    return rc;
}

static int run_as(const apex_lgkr_shape *sh, const apex_gl *v, apex_rng *rng, int cheat)
{
    apex_lgkr_proof pf;
    apex_hash root;
    prove_as(sh, v, rng, cheat, &pf, &root);
    int rc = verify(sh, &root, &pf);
    apex_lgkr_proof_free(&pf);
    return rc;
}

static apex_gl *random_values(apex_rng *rng, size_t n, unsigned bits)
{
    apex_gl *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t j = 0; j < n; j++)
        v[j] = apex_rng_below(rng, 1u << bits);
    return v;
}

static void test_in_range_accepted(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 201);
    const unsigned widths[] = {1, 4, 8};
    /* 3 rows: 96 leaves of a 128-leaf tree; 9 rows: 288 of 512, where a layer has 9 real
     * entries, so the padding's start must round up (4.5 -> 5, not 4) two layers on */
    const size_t rows[] = {1, 2, 3, 9};
    for (size_t i = 0; i < 3; i++)
        for (size_t r = 0; r < 4; r++) {
            apex_lgkr_shape sh = shape_for(widths[i], 6, rows[r]);
            size_t n = nvals(&sh);
            apex_gl *v = random_values(&rng, n, widths[i]);
            v[0] = 0; /* both ends of the table, and repeats */
            v[1] = (1u << widths[i]) - 1;
            v[n - 1] = v[1];
            assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_OK);
            free(v);
        }
}

static void test_out_of_range_rejected(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 202);
    apex_lgkr_shape sh = shape_for(8, 6, 3);
    size_t n = nvals(&sh);
    const apex_gl bad[] = {256, APEX_GL_P - 1 /* -1 */, 1ULL << 40, APEX_GL_P - 256};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apex_gl *v = random_values(&rng, n, 8);
        for (size_t j = 0; j < n; j++)
            v[j] += v[j] == 0;   /* no zeros: LGKR_CHEAT_TABLE_Q needs table entry 0 */
        v[17 + 19 * i] = bad[i]; /* odd and even positions: both halves of each leaf tie */
        assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_ERR_REJECTED);
        /* provers that balance the sums anyway, each caught by one check (lgkr_impl.h) */
        for (int cheat = LGKR_CHEAT_ROOT; cheat <= LGKR_CHEAT_TABLE_Q; cheat++)
            assert_int_equal(run_as(&sh, v, &rng, cheat), APEX_ERR_REJECTED);
        free(v);
    }
    /* the same provers on an in-range vector are honest: accepted */
    apex_gl *ok = random_values(&rng, n, 8);
    for (size_t j = 0; j < n; j++)
        ok[j] += ok[j] == 0;
    for (int cheat = LGKR_CHEAT_ROOT; cheat <= LGKR_CHEAT_TABLE_Q; cheat++)
        assert_int_equal(run_as(&sh, ok, &rng, cheat), APEX_OK);
    /* forgeries of the GKR itself (a layer's values, a middle round, the last round), in
     * the witness tree and in the table tree, are rejected even on an in-range vector */
    for (int cheat = LGKR_CHEAT_MID; cheat <= LGKR_CHEAT_LAST_T; cheat++)
        assert_int_equal(run_as(&sh, ok, &rng, cheat), APEX_ERR_REJECTED);
    free(ok);
}

/* The table side: a forged table root, and the table-entry forgeries at entry 1 (the other
 * half of the table's leaf ties). */
static void test_table_side(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 208);
    apex_lgkr_shape sh = shape_for(8, 6, 3);
    size_t n = nvals(&sh);
    apex_gl *v = random_values(&rng, n, 8);
    for (size_t j = 0; j < n; j++)
        v[j] += v[j] == 1; /* no ones: entry 1 may stand for the bad value */
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_ROOT_T), APEX_OK); /* honest: no effect */
    lgkr_test_set_cheat_entry(1);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_FREE_M), APEX_OK);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_TABLE_Q), APEX_OK);
    v[40] = 300;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_ROOT_T), APEX_ERR_REJECTED);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_FREE_M), APEX_ERR_REJECTED);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_TABLE_Q), APEX_ERR_REJECTED);
    lgkr_test_set_cheat_entry(0);
    free(v);
}

/* Pairs (5, -4), all out of range: with delta = 20 added to every gate above the leaves they
 * make the tree of (0, 1) pairs, so only the exactness of C_p's products stands in the way:
 * a Z off by delta (quadratic constraint) or an X copy off (copy constraints). */
static void test_product_forgeries(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 209);
    apex_lgkr_shape sh = shape_for(4, 6, 2); /* 64 leaves: no padding leaf */
    size_t n = nvals(&sh);
    apex_gl *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t j = 0; j < n; j++)
        v[j] = j % 2 ? APEX_GL_P - 4 : 5;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_ERR_REJECTED);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_PROD), APEX_ERR_REJECTED);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_COPY), APEX_ERR_REJECTED);
    /* on the in-range pairs (0, 1) delta is 0: both provers are honest */
    for (size_t j = 0; j < n; j++)
        v[j] = j % 2;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_PROD), APEX_OK);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_COPY), APEX_OK);
    free(v);
}

/* Edge shapes: trees of depth 2 and 3 (four and eight values, a one-bit table; a row holds
 * BLOCK >= 4 values, so depth 1 cannot occur), and C_m with another pad count than C_a. */
static void test_edge_shapes(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 210);
    for (size_t nr = 1; nr <= 2; nr++) {
        apex_lgkr_shape sh = {1, {2, 2, 2, nr}, {2, 2, 2, 1}, {2, 2, 2, 1}, {0}};
        sh.p_params.nwrow = apex_lgkr_pad_rows(&sh);
        apex_gl v[8] = {1, 0, 1, 1, 0, 0, 1, 0};
        assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_OK);
        v[1] = 2;
        assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_ERR_REJECTED);
    }
    apex_lgkr_shape sh = {8, {5, 12, 12, 2}, {5, 16, 12, 8}, {5, 12, 12, 1}, {0}};
    sh.p_params.nwrow = apex_lgkr_pad_rows(&sh);
    apex_gl *v = random_values(&rng, nvals(&sh), 8);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_OK);
    v[9] = 256;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_ERR_REJECTED);
    free(v);
}

/* Every sent value is bound: changing any one of them (padded rounds, layer values, roots)
 * is rejected. */
static void test_sent_values_bound(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 203);
    apex_lgkr_shape sh = shape_for(4, 6, 2);
    apex_gl *v = random_values(&rng, nvals(&sh), 4);
    apex_lgkr_proof pf;
    apex_hash root;
    prove_as(&sh, v, &rng, LGKR_HONEST, &pf, &root);
    assert_int_equal(verify(&sh, &root, &pf), APEX_OK);
    assert_int_equal(pf.nsent, apex_lgkr_sent_count(&sh));
    for (size_t e = 0; e < pf.nsent; e++) {
        apex_gl2 keep = pf.sent[e];
        pf.sent[e].c0 = apex_gl_add(keep.c0, 1);
        assert_int_equal(verify(&sh, &root, &pf), APEX_ERR_REJECTED);
        pf.sent[e] = keep;
    }
    pf.sent[3].c1 = APEX_GL_P; /* non-canonical */
    assert_int_equal(verify(&sh, &root, &pf), APEX_ERR_REJECTED);
    apex_lgkr_proof_free(&pf);
    free(v);
}

static void test_binding(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 204);
    apex_lgkr_shape sh = shape_for(4, 6, 2);
    apex_gl *v = random_values(&rng, nvals(&sh), 4);
    apex_lgkr_proof pf;
    apex_hash root;
    prove_as(&sh, v, &rng, LGKR_HONEST, &pf, &root);
    apex_hash other = root;
    other.b[0] ^= 1;
    assert_int_equal(verify(&sh, &other, &pf), APEX_ERR_REJECTED); /* another C_a */
    pf.root_m.b[9] ^= 4;
    assert_int_equal(verify(&sh, &root, &pf), APEX_ERR_REJECTED); /* another C_m */
    pf.root_m.b[9] ^= 4;
    pf.root_p.b[1] ^= 2;
    assert_int_equal(verify(&sh, &root, &pf), APEX_ERR_REJECTED); /* another C_p */
    pf.root_p.b[1] ^= 2;
    assert_int_equal(verify(&sh, &root, &pf), APEX_OK);
    apex_lgkr_shape wide = sh; /* the verifier's own shape decides: another table width */
    wide.bits = 5;
    wide.p_params.nwrow = apex_lgkr_pad_rows(&wide);
    assert_int_equal(verify(&wide, &root, &pf), APEX_ERR_REJECTED);
    apex_lgkr_proof_free(&pf);
    /* shapes that do not fit are refused */
    apex_ligero_commitment *c = apex_ligero_commit(&sh.a_params, v, nvals(&sh), &rng, &root, NULL);
    apex_transcript *t = fresh();
    const char *why = NULL;
    apex_lgkr_shape bad = sh;
    bad.p_params.nwrow = 1;
    assert_int_equal(apex_lgkr_prove(t, &bad, c, &rng, &pf, &why), APEX_ERR_INVALID);
    bad = sh;
    bad.bits = APEX_LGKR_MAX_BITS + 1;
    assert_int_equal(apex_lgkr_prove(t, &bad, c, &rng, &pf, &why), APEX_ERR_INVALID);
    bad = sh;
    bad.a_params.npad = 20; /* more pads than BLOCK / 2 */
    assert_int_equal(apex_lgkr_pad_rows(&bad), 0);
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    free(v);
}

/* Large enough for the two-thread paths (layers of more than 2 * 4096 pairs), a 2^16 table
 * spread over several rows of C_m. */
static void test_threaded_sizes(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 205);
    apex_lgkr_shape sh = shape_for(16, 11, 24); /* 24 576 values, 2^15 leaves */
    size_t n = nvals(&sh);
    apex_gl *v = random_values(&rng, n, 16);
    v[5] = 65535;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_OK);
    v[n - 2] = 65536;
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_ERR_REJECTED);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_LEAF), APEX_ERR_REJECTED);
    free(v);
}

static void test_encoding(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 206);
    apex_lgkr_shape sh = shape_for(8, 6, 3);
    apex_gl *v = random_values(&rng, nvals(&sh), 8);
    apex_lgkr_proof pf, back;
    apex_hash root;
    prove_as(&sh, v, &rng, LGKR_HONEST, &pf, &root);
    apex_enc_writer w;
    apex_enc_writer_init(&w, 1 << 22);
    assert_int_equal(apex_lgkr_proof_encode(&sh, &pf, &w), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&w, &buf, &len), APEX_OK);
    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_lgkr_proof_decode(&sh, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    assert_int_equal(verify(&sh, &root, &back), APEX_OK);
    apex_lgkr_proof_free(&back);
    for (size_t cut = 0; cut < len; cut += 97) {
        apex_enc_reader_init(&r, buf, cut);
        assert_int_not_equal(apex_lgkr_proof_decode(&sh, &r, &back), APEX_OK);
    }
    apex_lgkr_proof empty;
    memset(&empty, 0, sizeof empty);
    apex_enc_writer_init(&w, 1 << 22);
    assert_int_equal(apex_lgkr_proof_encode(&sh, &empty, &w), APEX_ERR_INVALID);
    apex_enc_writer_free(&w);
    free(buf);
    apex_lgkr_proof_free(&pf);
    free(v);
}

/* Composition: C_a is listed second in a joint proof after an unrelated commitment, and the
 * system also carries that commitment's own linear constraint. */
static int compose(const apex_lgkr_shape *sh, const apex_gl *v, apex_rng *rng)
{
    apex_ligero_params xp = sh->a_params;
    xp.nwrow = 1;
    apex_gl x[32] = {5, 7};
    apex_hash rx, ra;
    apex_ligero_commitment *cx = apex_ligero_commit(&xp, x, 32, rng, &rx, NULL);
    apex_ligero_commitment *ca = apex_ligero_commit(&sh->a_params, v, nvals(sh), rng, &ra, NULL);
    assert_true(cx && ca);
    apex_ligero_commitment *cm, *cp;
    apex_lgkr_proof pf;
    apex_lgkr_state *st;
    apex_transcript *t = fresh();
    assert_int_equal(apex_lgkr_prove_commit(t, sh, ca, rng, &cm, &cp, &pf, &st, NULL), APEX_OK);
    const apex_ligero_params ps[4] = {xp, sh->a_params, sh->m_params, sh->p_params};
    const size_t w2[2] = {0, 1};
    const apex_gl c2[2] = {1, 1};
    apex_cbuild *b = apex_cbuild_new();
    assert_non_null(b);
    assert_int_equal(apex_cbuild_linear(b, w2, c2, 2, 12), APEX_OK); /* x0 + x1 = 12 */
    assert_int_equal(apex_lgkr_emit(st, ps, 4, 1, 2, 3, b, NULL), APEX_OK);
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[4] = {cx, ca, cm, cp};
    assert_int_equal(apex_ligero_prove(all, 4, t, &cons, rng, &pf.lig, NULL), APEX_OK);
    apex_cbuild_destroy(&b);
    apex_lgkr_state_destroy(&st);
    apex_transcript_destroy(&t);
    const apex_hash roots[4] = {rx, ra, pf.root_m, pf.root_p};
    for (int i = 0; i < 4; i++)
        apex_ligero_commitment_destroy(i == 0 ? &cx : i == 1 ? &ca : i == 2 ? &cm : &cp);
    /* verifier */
    t = fresh();
    int rc = apex_lgkr_verify_draw(t, sh, &ra, &pf, &st, NULL);
    if (rc == APEX_OK) {
        b = apex_cbuild_new();
        assert_non_null(b);
        assert_int_equal(apex_cbuild_linear(b, w2, c2, 2, 12), APEX_OK);
        assert_int_equal(apex_lgkr_emit(st, ps, 4, 1, 2, 3, b, NULL), APEX_OK);
        apex_cbuild_view(b, &cons, &lin_b, &tval);
        rc = apex_ligero_verify(ps, roots, 4, t, &cons, lin_b, tval, &pf.lig, NULL);
        apex_cbuild_destroy(&b);
        apex_lgkr_state_destroy(&st);
    }
    apex_transcript_destroy(&t);
    apex_lgkr_proof_free(&pf);
    return rc;
}

static void test_composition(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 207);
    apex_lgkr_shape sh = shape_for(8, 6, 2);
    apex_gl *v = random_values(&rng, nvals(&sh), 8);
    assert_int_equal(compose(&sh, v, &rng), APEX_OK);
    v[40] = 300;
    assert_int_equal(compose(&sh, v, &rng), APEX_ERR_REJECTED);
    free(v);
}

/* Three tables (T8, T4, T2) over five rows of 32 values in sections T8, T8, T2, T4, T4: one
 * table tree of 276 -> 512 leaves, each slot tagged with its section's table. */
static apex_lgkr_shape shape_tables(void)
{
    apex_lgkr_shape sh = {0, {5, 12, 12, 5}, {5, 12, 12, 16}, {5, 12, 12, 1}, {0}};
    sh.tabs = (apex_lgkr_tables){3, {8, 4, 2, 0}, 3, {2, 1, 2, 0}, {0, 2, 1, 0}};
    sh.p_params.nwrow = apex_lgkr_pad_rows(&sh);
    assert_true(sh.p_params.nwrow > 0);
    return sh;
}

/* Row r's table width in shape_tables. */
static unsigned tables_width(size_t r)
{
    return r < 2 ? 8 : r == 2 ? 2 : 4;
}

static apex_gl *tables_values(apex_rng *rng, const apex_lgkr_shape *sh)
{
    size_t n = nvals(sh), wr = (size_t)1 << sh->a_params.log_block;
    apex_gl *v = calloc(n, sizeof *v);
    assert_non_null(v);
    for (size_t j = 0; j < n; j++) { /* both ends of every table; no zeros (TABLE_Q) */
        unsigned b = tables_width(j / wr);
        v[j] = j % wr == 0 ? (1u << b) - 1 : 1 + apex_rng_below(rng, (1u << b) - 1);
    }
    return v;
}

/* A value in a wider table than its own section's is out of range: its tag decides. */
static void test_several_tables(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 211);
    apex_lgkr_shape sh = shape_tables();
    apex_gl *v = tables_values(&rng, &sh);
    assert_int_equal(run_as(&sh, v, &rng, LGKR_HONEST), APEX_OK);
    for (int cheat = LGKR_CHEAT_ROOT; cheat <= LGKR_CHEAT_TABLE_Q; cheat++) /* honest here */
        assert_int_equal(run_as(&sh, v, &rng, cheat), APEX_OK);
    for (int cheat = LGKR_CHEAT_MID; cheat <= LGKR_CHEAT_LAST_T; cheat++)
        assert_int_equal(run_as(&sh, v, &rng, cheat), APEX_ERR_REJECTED);
    /* 4 in the T2 row (in T4 and T8), 16 and 255 in a T4 row (in T8), 256 in a T8 row, and the
     * wrap-around -1 in the T2 row: each rejected, honest or balancing the sums */
    const size_t at[] = {2 * 32 + 7, 3 * 32 + 9, 4 * 32 + 30, 33, 2 * 32 + 31};
    const apex_gl bad[] = {4, 16, 255, 256, APEX_GL_P - 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        apex_gl keep = v[at[i]];
        v[at[i]] = bad[i];
        for (int cheat = LGKR_HONEST; cheat <= LGKR_CHEAT_TABLE_Q; cheat++)
            assert_int_equal(run_as(&sh, v, &rng, cheat), APEX_ERR_REJECTED);
        if (bad[i] < 256) { /* counted in (and tagged with) a table that holds it */
            assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_OTHER_M), APEX_ERR_REJECTED);
            assert_int_equal(run_as(&sh, v, &rng, LGKR_CHEAT_RETAG), APEX_ERR_REJECTED);
        }
        v[at[i]] = keep;
    }
    /* the verifier's own sections decide: the same proof under another row split */
    apex_lgkr_proof pf;
    apex_hash root;
    prove_as(&sh, v, &rng, LGKR_HONEST, &pf, &root);
    assert_int_equal(verify(&sh, &root, &pf), APEX_OK);
    apex_lgkr_shape other = sh;
    other.tabs.tab[1] = 1; /* the T2 row checked against T4 */
    assert_int_equal(verify(&other, &root, &pf), APEX_ERR_REJECTED);
    other = sh;
    other.tabs.bits[2] = 3;
    assert_int_equal(verify(&other, &root, &pf), APEX_ERR_REJECTED);
    apex_lgkr_proof_free(&pf);
    /* shapes outside the limits */
    apex_lgkr_shape bad_sh = sh;
    bad_sh.tabs.bits[1] = 9; /* widths must not grow */
    assert_int_equal(apex_lgkr_pad_rows(&bad_sh), 0);
    bad_sh = sh;
    bad_sh.tabs.rows[2] = 1; /* the sections miss a row */
    assert_int_equal(apex_lgkr_pad_rows(&bad_sh), 0);
    bad_sh = sh;
    bad_sh.tabs.rows[2] = 3; /* or claim more rows than C_a has */
    assert_int_equal(apex_lgkr_pad_rows(&bad_sh), 0);
    bad_sh = sh;
    bad_sh.tabs.tab[0] = 3; /* a table that does not exist */
    assert_int_equal(apex_lgkr_pad_rows(&bad_sh), 0);
    bad_sh = sh;
    bad_sh.tabs.nsec = APEX_LGKR_MAX_SECS + 1;
    assert_int_equal(apex_lgkr_pad_rows(&bad_sh), 0);
    free(v);
}

/* G(1) from the running claim gives the same proof as the full sums, and the leaf layer's
 * shortcut for P = 1 the same as the general rounds, under every cheat (the shapes' leaf
 * counts, 160 and 96, leave odd runs of ones in later rounds and padding after them). */
static void test_claim_shortcut(void **state)
{
    (void)state;
    apex_lgkr_shape shs[2] = {shape_tables(), shape_for(8, 6, 3)};
    for (int w = 0; w < 2; w++) {
        apex_lgkr_shape sh = shs[w];
        apex_rng rng;
        apex_rng_seed(&rng, 777);
        apex_gl *v = w == 0 ? tables_values(&rng, &sh) : random_values(&rng, nvals(&sh), 8);
        for (int bad = 0; bad < 2; bad++) {
            if (bad)
                v[70] = w == 0 ? 200 : 300; /* out of its section's table */
            for (int cheat = LGKR_HONEST; cheat <= LGKR_CHEAT_RETAG; cheat++) {
                apex_lgkr_proof p1, p2, p3;
                apex_hash r1, r2, r3;
                apex_rng_seed(&rng, 1000 + cheat);
                lgkr_test_set_full_sums(0);
                prove_as(&sh, v, &rng, cheat, &p1, &r1);
                apex_rng_seed(&rng, 1000 + cheat);
                lgkr_test_set_full_sums(1);
                prove_as(&sh, v, &rng, cheat, &p2, &r2);
                lgkr_test_set_full_sums(0);
                apex_rng_seed(&rng, 1000 + cheat);
                lgkr_test_set_no_ones(1);
                prove_as(&sh, v, &rng, cheat, &p3, &r3);
                lgkr_test_set_no_ones(0);
                assert_int_equal(p1.nsent, p2.nsent);
                assert_memory_equal(p1.sent, p2.sent, p1.nsent * sizeof *p1.sent);
                assert_memory_equal(&p1.root_p, &p2.root_p, sizeof p1.root_p);
                assert_int_equal(p1.nsent, p3.nsent);
                assert_memory_equal(p1.sent, p3.sent, p1.nsent * sizeof *p1.sent);
                apex_lgkr_proof_free(&p1);
                apex_lgkr_proof_free(&p2);
                apex_lgkr_proof_free(&p3);
            }
        }
        free(v);
    }
}

/* The witness tree in a caller's arena (apex_lgkr_prove_commit_in) gives the same proof as
 * its own allocations; an arena too small is not used (still the same proof). */
static void test_arena(void **state)
{
    (void)state;
    apex_lgkr_shape sh = shape_tables();
    apex_rng rng;
    apex_rng_seed(&rng, 778);
    apex_gl *v = tables_values(&rng, &sh);
    size_t need = apex_lgkr_arena_entries(&sh);
    assert_true(need > 0);
    apex_gl2 *arena = calloc(need, sizeof *arena);
    assert_non_null(arena);
    apex_hash root;
    apex_ligero_commitment *ca = apex_ligero_commit(&sh.a_params, v, nvals(&sh), &rng, &root, NULL);
    assert_non_null(ca);
    apex_lgkr_proof pf[3];
    const size_t sizes[3] = {0, need, need - 1};
    for (int i = 0; i < 3; i++) {
        apex_rng r;
        apex_rng_seed(&r, 779);
        apex_transcript *t = fresh();
        apex_ligero_commitment *cm = NULL, *cp = NULL;
        apex_lgkr_state *st = NULL;
        const char *why = NULL;
        assert_int_equal(apex_lgkr_prove_commit_in(t, &sh, ca, &r, &cm, &cp, &pf[i], &st,
                                                   sizes[i] ? arena : NULL, sizes[i], &why),
                         APEX_OK);
        apex_lgkr_state_destroy(&st);
        apex_ligero_commitment_destroy(&cm);
        apex_ligero_commitment_destroy(&cp);
        apex_transcript_destroy(&t);
    }
    for (int i = 1; i < 3; i++) {
        assert_int_equal(pf[i].nsent, pf[0].nsent);
        assert_memory_equal(pf[i].sent, pf[0].sent, pf[0].nsent * sizeof *pf[0].sent);
        assert_memory_equal(&pf[i].root_m, &pf[0].root_m, sizeof pf[0].root_m);
    }
    for (int i = 0; i < 3; i++)
        apex_lgkr_proof_free(&pf[i]);
    apex_ligero_commitment_destroy(&ca);
    free(arena);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_range_accepted),
        cmocka_unit_test(test_out_of_range_rejected),
        cmocka_unit_test(test_sent_values_bound),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_threaded_sizes),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_composition),
        cmocka_unit_test(test_table_side),
        cmocka_unit_test(test_product_forgeries),
        cmocka_unit_test(test_edge_shapes),
        cmocka_unit_test(test_several_tables),
        cmocka_unit_test(test_claim_shortcut),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
