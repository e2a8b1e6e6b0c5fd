/* Tests for zk/compliance: honest unlearning proofs (witnesses from the integer certificate
 * path apex_obsq_layer) are accepted; the attacks of shared PROOF.md section 7 are refused
 * by the prover with a named reason and, played by a prover that skips its checks, rejected
 * by the verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unlearn/unlearn.h"
#include "zk/compliance_impl.h"
#include "zk/lgkr_impl.h"

#define NS   8u   /* N */
#define BS   32u  /* B */
#define DW   100u /* d: 4 blocks, the last one short */
#define NBLK 4u
#define LIMB 12u /* T12: w' limbs 12 + 12, rho + tau limbs 12 + 9 */

typedef struct world {
    apex_comp_config cfg;
    apex_comp_public pub;
    uint64_t mask[8];
    int8_t g[NBLK * NS * BS];
    int32_t w0[DW], w1[DW];
    apex_ligero_commitment *cg, *cw0, *cw1;
    uint32_t used; /* proofs made against C_G (the persistent counter) */
} world;

static apex_comp_config config(int64_t lambda)
{
    apex_comp_config c = {{NS, BS, 8, 24, (uint64_t)lambda, 20, LIMB}, DW, 8, 8, 3};
    return c;
}

static void commit_all(world *w)
{
    const char *why = NULL;
    w->cg = apex_comp_commit_g(&w->cfg, w->g, &w->pub.root_g, &why);
    w->cw0 = apex_comp_commit_w(&w->cfg, w->w0, &w->pub.root_w0, &why);
    w->cw1 = apex_comp_commit_w(&w->cfg, w->w1, &w->pub.root_w1, &why);
    if (!w->cg || !w->cw0 || !w->cw1)
        fail_msg("commit: %s", why);
}

static void free_world(world *w)
{
    apex_ligero_commitment_destroy(&w->cg);
    apex_ligero_commitment_destroy(&w->cw0);
    apex_ligero_commitment_destroy(&w->cw1);
}

/* Random G~, w~, a mask in blocks 0 and 2, and w~' from the certificate path. */
static void make_world(world *w, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    apex_rng rng;
    apex_rng_seed(&rng, seed);
    w->cfg = config(64);
    for (size_t x = 0; x < NBLK * NS * BS; x++) {
        size_t j = (x / (NS * BS)) * BS + x % BS;
        w->g[x] = j < DW ? (int8_t)((int)apex_rng_below(&rng, 255) - 127) : 0;
    }
    for (size_t j = 0; j < DW; j++)
        w->w0[j] = (int32_t)apex_rng_below(&rng, 1u << 21) - (1 << 20);
    const uint64_t m[4] = {3, 17, 70, 71};
    memcpy(w->mask, m, sizeof m);
    w->pub.mask = w->mask;
    w->pub.nmask = 4;
    w->pub.epoch = 5;
    memset(w->pub.fleet_id, 1, APEX_COMP_ID_LEN);
    memset(w->pub.nonce, 9, APEX_COMP_ID_LEN);
    apex_obsq_params op;
    apex_obsq_params_default(&op);
    op.block = BS;
    op.lambda = 64;
    op.tau_log2 = 20;
    int32_t delta[DW];
    assert_int_equal(apex_obsq_layer(&op, w->g, NS, DW, w->w0, w->mask, 4, delta, NULL, NULL, NULL),
                     APEX_OK);
    for (size_t j = 0; j < DW; j++)
        w->w1[j] = w->w0[j] + delta[j];
    commit_all(w);
}

static int prove(world *w, const comp_cheat *ch, apex_comp_proof *pf, const char **why)
{
    apex_rng rng;
    apex_rng_seed(&rng, 99);
    uint32_t before = w->used;
    int rc = comp_prove_impl(&w->cfg, &w->pub, w->g, w->w0, w->w1, w->cg, w->cw0, w->cw1, &w->used,
                             &rng, ch, pf, why);
    if (w->used > before + 1 || (rc == APEX_OK && w->used != before + 1))
        fail_msg("the opening counter moved by %u", w->used - before);
    w->used = w->used < w->cfg.kmax ? w->used : before; /* tests reuse one C_G freely */
    return rc;
}

static void expect_rejected(const world *w, const apex_comp_public *pub, const apex_comp_proof *pf,
                            const char *needle)
{
    const char *why = NULL;
    int rc = apex_comp_verify(&w->cfg, pub, pf, &why);
    if (rc != APEX_ERR_REJECTED)
        fail_msg("expected rejection (%s), got %d", needle, rc);
    if (!strstr(why, needle))
        fail_msg("reason '%s' does not mention '%s'", why, needle);
}

static void test_honest_and_public_inputs(void **state)
{
    (void)state;
    world w;
    make_world(&w, 1);
    apex_comp_proof pf;
    const char *why = NULL;
    if (prove(&w, NULL, &pf, &why) != APEX_OK)
        fail_msg("prove: %s", why);
    if (apex_comp_verify(&w.cfg, &w.pub, &pf, &why) != APEX_OK)
        fail_msg("honest proof rejected: %s", why);
    /* every public input changed: rejected */
    apex_comp_public p = w.pub;
    uint8_t *ids[] = {p.fleet_id, p.model_id, p.layer_hash, p.client_id, p.request_id, p.nonce};
    for (size_t i = 0; i < 6; i++) {
        ids[i][0] ^= 1;
        expect_rejected(&w, &p, &pf, "compliance:");
        ids[i][0] ^= 1;
    }
    p.epoch++; /* stale model / replay at another epoch */
    expect_rejected(&w, &p, &pf, "compliance:");
    p.epoch--;
    apex_hash tmp = p.root_w0; /* swapped commitments */
    p.root_w0 = p.root_w1;
    p.root_w1 = tmp;
    expect_rejected(&w, &p, &pf, "compliance:");
    p = w.pub;
    p.root_g.b[0] ^= 1;
    expect_rejected(&w, &p, &pf, "compliance:");
    p = w.pub;
    /* another configuration (tau, Lambda) on the verifier's side */
    world v = w;
    v.cfg.sp.tau_log2 = 21;
    expect_rejected(&v, &p, &pf, "compliance:");
    v.cfg = config(65);
    expect_rejected(&v, &p, &pf, "compliance:");
    /* mutated proofs */
    apex_comp_proof bad = pf;
    bad.root_u.b[3] ^= 1;
    expect_rejected(&w, &p, &bad, "compliance:");
    bad = pf;
    bad.zs.rounds[2].c0 = apex_gl_add(bad.zs.rounds[2].c0, 1);
    expect_rejected(&w, &p, &bad, "compliance:");
    bad.zs.rounds[2].c0 = apex_gl_sub(bad.zs.rounds[2].c0, 1);
    bad.lig.dot[5].c1 = apex_gl_add(bad.lig.dot[5].c1, 1);
    expect_rejected(&w, &p, &bad, "compliance:");
    bad.lig.dot[5].c1 = apex_gl_sub(bad.lig.dot[5].c1, 1);
    assert_int_equal(apex_comp_verify(&w.cfg, &p, &pf, &why), APEX_OK);
    apex_comp_proof_free(&pf);
    free_world(&w);
}

static void test_wrong_masks(void **state)
{
    (void)state;
    world w;
    make_world(&w, 2);
    apex_comp_proof pf;
    const char *why = NULL;
    if (prove(&w, NULL, &pf, &why) != APEX_OK)
        fail_msg("prove: %s", why);
    apex_comp_public p = w.pub;
    const uint64_t sub[3] = {3, 17, 70}, sup[5] = {3, 17, 70, 71, 72}, shift[4] = {4, 18, 71, 72};
    const uint64_t dup[4] = {3, 17, 17, 71}, out[4] = {3, 17, 70, DW};
    p.mask = sub;
    p.nmask = 3;
    expect_rejected(&w, &p, &pf, "compliance:");
    p.mask = sup;
    p.nmask = 5;
    expect_rejected(&w, &p, &pf, "compliance:");
    p.mask = shift;
    p.nmask = 4;
    expect_rejected(&w, &p, &pf, "compliance:");
    p.mask = dup;
    expect_rejected(&w, &p, &pf, "mask not canonical");
    p.mask = out;
    expect_rejected(&w, &p, &pf, "mask not canonical");
    apex_comp_proof_free(&pf);

    /* w'_j = +-1 on M: the prover refuses, a prover that skips its checks is rejected */
    for (int s = -1; s <= 1; s += 2) {
        w.w1[17] = s;
        apex_ligero_commitment_destroy(&w.cw1);
        w.cw1 = apex_comp_commit_w(&w.cfg, w.w1, &w.pub.root_w1, NULL);
        assert_int_equal(prove(&w, NULL, &pf, &why), APEX_ERR_REJECTED);
        assert_non_null(strstr(why, "mask constraint failed"));
        const comp_cheat ch = {1, 0, 0, {0, 0}, 0, 0, 0};
        assert_int_equal(prove(&w, &ch, &pf, &why), APEX_OK);
        expect_rejected(&w, &w.pub, &pf, "compliance: joint proof rejected");
        apex_comp_proof_free(&pf);
    }
    free_world(&w);
}

/* The two-stage chain: a u that is not G~ delta (with rho and its limbs consistent with
 * that u, so the range check passes), or stage A's G~-derived tables off by one, must each
 * be rejected; the same cheating prover without a perturbation is accepted (so the rejection
 * comes from the perturbation, not from the cheat path). */
static void test_stage_chain(void **state)
{
    (void)state;
    world w;
    make_world(&w, 11);
    apex_comp_proof pf;
    const char *why = NULL;
    comp_cheat ch = {0};
    ch.skip_checks = 1;
    assert_int_equal(prove(&w, &ch, &pf, &why), APEX_OK);
    assert_int_equal(apex_comp_verify(&w.cfg, &w.pub, &pf, &why), APEX_OK);
    apex_comp_proof_free(&pf);
    for (int which = 0; which < 3; which++) {
        comp_cheat c = ch;
        c.perturb_u = which == 0;
        c.perturb_gc = which == 1;
        c.perturb_gd = which == 2;
        if (prove(&w, &c, &pf, &why) != APEX_OK)
            fail_msg("cheating prover %d: %s", which, why);
        expect_rejected(&w, &w.pub, &pf, "compliance: joint proof rejected");
        apex_comp_proof_free(&pf);
    }
    free_world(&w);
}

/* A lazy "mask only" answer: w' = w with M zeroed, no compensation. */
static void test_lazy_and_untouched(void **state)
{
    (void)state;
    world w;
    make_world(&w, 3);
    memcpy(w.w1, w.w0, sizeof w.w1);
    for (size_t i = 0; i < w.pub.nmask; i++)
        w.w1[w.mask[i]] = 0;
    apex_ligero_commitment_destroy(&w.cw1);
    w.cw1 = apex_comp_commit_w(&w.cfg, w.w1, &w.pub.root_w1, NULL);
    apex_comp_proof pf;
    const char *why = NULL;
    assert_int_equal(prove(&w, NULL, &pf, &why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "residual out of tolerance"));
    const comp_cheat ch = {1, 0, 0, {0, 0}, 0, 0, 0};
    assert_int_equal(prove(&w, &ch, &pf, &why), APEX_OK);
    expect_rejected(&w, &w.pub, &pf, "compliance: joint proof rejected");
    apex_comp_proof_free(&pf);
    free_world(&w);

    /* an honest step that also changes a weight in untouched block 1 */
    make_world(&w, 4);
    w.w1[40] += 1;
    apex_ligero_commitment_destroy(&w.cw1);
    w.cw1 = apex_comp_commit_w(&w.cfg, w.w1, &w.pub.root_w1, NULL);
    assert_int_equal(prove(&w, NULL, &pf, &why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "untouched block changed"));
    assert_int_equal(prove(&w, &ch, &pf, &why), APEX_OK);
    expect_rejected(&w, &w.pub, &pf, "compliance: joint proof rejected");
    apex_comp_proof_free(&pf);
    free_world(&w);
}

/* Lambda = 1 and G~ = 0 (rho = delta) with (b_w, t), w~ at the residual's coordinate and the
 * composed range check's cheat; edge_lb sets BLOCK, edge_j the coordinate (5, or 70 past the
 * first rows). A verifier's rejection names a compliance check; a prover refuses only an
 * out-of-tolerance residual here. */
static unsigned edge_lb = 8, edge_j = 5;
static int edge_run2(unsigned bw, unsigned tl, int32_t w05, int64_t rho, int skip,
                     const comp_cheat *forge, int lcheat)
{
    world w;
    memset(&w, 0, sizeof w);
    w.cfg = config(1);
    w.cfg.sp.bits_w = bw;
    w.cfg.sp.tau_log2 = tl;
    w.cfg.log_block = edge_lb;
    uint64_t m[1] = {edge_j == 5 ? 3 : 67};
    w.pub.mask = m;
    w.pub.nmask = 1;
    for (size_t j = 0; j < DW; j++)
        w.w0[j] = (int32_t)(j * 1000);
    w.w0[edge_j] = w05;
    memcpy(w.w1, w.w0, sizeof w.w1);
    w.w1[m[0]] = 0;
    w.w1[edge_j] = (int32_t)(w.w0[edge_j] + rho);
    commit_all(&w);
    comp_cheat ch = {skip, 0, 0, {0, 0}, 0, 0, 0};
    if (forge)
        ch = *forge;
    apex_comp_proof pf;
    const char *why = NULL;
    lgkr_test_set_commit_cheat(lcheat);
    int rc = prove(&w, &ch, &pf, &why);
    lgkr_test_set_commit_cheat(LGKR_HONEST);
    if (rc == APEX_OK) {
        rc = apex_comp_verify(&w.cfg, &w.pub, &pf, &why);
        if (rc != APEX_OK)
            assert_non_null(strstr(why, "compliance:"));
        apex_comp_proof_free(&pf);
    } else
        assert_non_null(strstr(why, "residual out of tolerance"));
    free_world(&w);
    return rc;
}

/* Lambda = 1 and G~ = 0: rho = delta, so the tolerance edges are reachable exactly (b_w 24,
 * t 20, the residual at coordinate 5). */
static int edge_run(int64_t rho, int skip, const comp_cheat *forge)
{
    return edge_run2(24, 20, 5000, rho, skip, forge, LGKR_HONEST);
}

/* Other limb widths: w's top limb narrower than rho's (b_w 20, t 20: T8 and T9) and equal
 * (b_w 22, t 21: T10 twice), and sections of two rows (BLOCK 2^6 < D): tau - 1 accepted,
 * tau rejected, also when the top limb is counted in (and tagged with) a table that holds it. */
static void test_limb_widths(void **state)
{
    (void)state;
    /* (b_w, t): kw < kr (20, 20: T8 for w', T9 for rho), kw == kr (22, 21: T10 twice) */
    const unsigned cfgs[2][2] = {{20, 20}, {22, 21}};
    for (int c = 0; c < 2; c++) {
        unsigned bw = cfgs[c][0], tl = cfgs[c][1];
        int64_t tau = (int64_t)1 << tl;
        int32_t w05 = -((int32_t)1 << (bw - 2));
        if (c == 0)
            w05 = -((int32_t)1 << (bw - 1));
        int r1 = edge_run2(bw, tl, w05, tau - 1, 0, NULL, LGKR_HONEST);
        int r3 = edge_run2(bw, tl, w05, tau, 1, NULL, LGKR_HONEST);
        const comp_cheat f = {1, 1, 5, {0, (apex_gl)1 << (tl + 1 - LIMB)}, 0, 0, 0};
        int r4 = edge_run2(bw, tl, w05, tau, 1, &f, LGKR_CHEAT_OTHER_M);
        int r5 = edge_run2(bw, tl, w05, tau, 1, &f, LGKR_CHEAT_RETAG);
        assert_int_equal(r1, APEX_OK);
        assert_int_equal(r3, APEX_ERR_REJECTED);
        assert_int_equal(r4, APEX_ERR_REJECTED);
        assert_int_equal(r5, APEX_ERR_REJECTED);
    }
    /* sections of two rows (BLOCK 2^6 < D = 128), the residual in a section's second row */
    edge_lb = 6;
    edge_j = 70;
    const int64_t tau = (int64_t)1 << 20;
    int s1 = edge_run2(24, 20, 70000, tau - 1, 0, NULL, LGKR_HONEST);
    int s2 = edge_run2(24, 20, 70000, tau, 1, NULL, LGKR_HONEST);
    const comp_cheat f2 = {1, 1, 70, {0, (apex_gl)1 << (21 - LIMB)}, 0, 0, 0};
    int s3 = edge_run2(24, 20, 70000, tau, 1, &f2, LGKR_CHEAT_OTHER_M);
    const comp_cheat f3 = {1, 1, 70, {((apex_gl)1 << LIMB) - 1, ((apex_gl)1 << (21 - LIMB)) - 1},
                           0, 0, 0};
    int s4 = edge_run2(24, 20, 70000, tau - 1, 1, &f3, LGKR_HONEST);
    edge_lb = 8;
    edge_j = 5;
    assert_int_equal(s1, APEX_OK);
    assert_int_equal(s2, APEX_ERR_REJECTED);
    assert_int_equal(s3, APEX_ERR_REJECTED);
    assert_int_equal(s4, APEX_OK);
}

static void test_tolerance_edges(void **state)
{
    (void)state;
    const int64_t tau = (int64_t)1 << 20;
    assert_int_equal(edge_run(tau - 1, 0, NULL), APEX_OK);
    assert_int_equal(edge_run(-tau, 0, NULL), APEX_OK);
    assert_int_equal(edge_run(tau, 0, NULL), APEX_ERR_REJECTED);      /* prover refuses */
    assert_int_equal(edge_run(-tau - 1, 0, NULL), APEX_ERR_REJECTED); /* prover refuses */
    assert_int_equal(edge_run(tau, 1, NULL), APEX_ERR_REJECTED);      /* verifier rejects */
    assert_int_equal(edge_run(-tau - 1, 1, NULL), APEX_ERR_REJECTED); /* wrap-around limbs */
    /* rho = tau: rho + tau = 2^21 = lo + 2^L hi with hi = 2^(21 - L) (L = LIMB = 12 here:
     * 2^9), which is in T_L (and in w's top-limb table) but not in rho's own T_(21 - L): the
     * tag of its section rejects it (under the old rule, through the copy 2^(2L - 21) hi) */
    const unsigned top = 21 - LIMB;
    const comp_cheat topf = {1, 1, 5, {0, (apex_gl)1 << top}, 0, 0, 0};
    assert_int_equal(edge_run(tau, 1, &topf), APEX_ERR_REJECTED);
    /* the same with the LogUp sums balanced by counting hi in a table that holds it, and with
     * its leaf tagged as that table's too (only the verifier's tag tie catches that one) */
    lgkr_test_set_commit_cheat(LGKR_CHEAT_OTHER_M);
    int rv = edge_run(tau, 1, &topf);
    lgkr_test_set_commit_cheat(LGKR_CHEAT_RETAG);
    int rt = edge_run(tau, 1, &topf);
    lgkr_test_set_commit_cheat(LGKR_HONEST);
    assert_int_equal(rv, APEX_ERR_REJECTED);
    assert_int_equal(rt, APEX_ERR_REJECTED);
    /* hi chosen in the field so that lo = 5 recomposes: hi leaves every table */
    apex_gl inv, hi;
    assert_int_equal(apex_gl_inv((apex_gl)1 << LIMB, &inv), APEX_OK);
    hi = apex_gl_mul(inv, ((apex_gl)1 << 21) - 5);
    const comp_cheat fieldf = {1, 1, 5, {5, hi}, 0, 0, 0};
    assert_int_equal(edge_run(tau, 1, &fieldf), APEX_ERR_REJECTED);
    /* a limb pair that recomposes right with a low limb outside T16 */
    const apex_gl hmax = ((apex_gl)1 << top) - 1;
    const comp_cheat wide = {1, 1, 5, {(apex_gl)1 << LIMB, hmax}, 0, 0, 0};
    assert_int_equal(edge_run(tau, 1, &wide), APEX_ERR_REJECTED);
    /* the same forgery hook with the honest limbs of tau - 1 is accepted */
    const comp_cheat same = {1, 1, 5, {((apex_gl)1 << LIMB) - 1, hmax}, 0, 0, 0};
    assert_int_equal(edge_run(tau - 1, 1, &same), APEX_OK);
}

/* C_G through the row source (as apex commit makes it) reads its rows as int8 in the prover's
 * row pass (apex_ligero_set_rows_i8): the proof verifies and is byte for byte the one the
 * field rows give. */
static void test_int8_rows(void **state)
{
    (void)state;
    world w;
    make_world(&w, 12);
    apex_ligero_commitment_destroy(&w.cg);
    apex_comp_src sg;
    const char *why = NULL;
    assert_int_equal(apex_comp_src_g(&w.cfg, w.g, &sg, &why), APEX_OK);
    w.cg = apex_comp_commit_src(&sg, NULL, &w.pub.root_g, &why);
    assert_non_null(w.cg);
    uint8_t *bytes[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            apex_ligero_set_rows_i8(w.cg, NULL); /* the field rows only */
        apex_comp_proof pf;
        assert_int_equal(prove(&w, NULL, &pf, &why), APEX_OK);
        assert_int_equal(apex_comp_verify(&w.cfg, &w.pub, &pf, &why), APEX_OK);
        apex_enc_writer wr;
        apex_enc_writer_init(&wr, 1 << 22);
        assert_int_equal(apex_comp_proof_encode(&w.cfg, &pf, &wr), APEX_OK);
        bytes[pass] = malloc(wr.len);
        assert_non_null(bytes[pass]);
        memcpy(bytes[pass], wr.buf, wr.len);
        len[pass] = wr.len;
        apex_enc_writer_free(&wr);
        apex_comp_proof_free(&pf);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(bytes[0], bytes[1], len[0]);
    free(bytes[0]);
    free(bytes[1]);
    free_world(&w);
}

static void test_budget(void **state)
{
    (void)state;
    world w;
    make_world(&w, 5);
    apex_comp_proof pf;
    const char *why = NULL;
    apex_rng rng;
    apex_rng_seed(&rng, 7);
    /* the caller's persisted counter: K_max proofs, then refusal, without touching C_G */
    uint32_t used = 0;
    for (uint32_t i = 0; i < w.cfg.kmax; i++) {
        int rc = apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &used, &rng,
                                 &pf, &why);
        if (rc != APEX_OK)
            fail_msg("prove %u: %s", i, why);
        assert_int_equal(used, i + 1);
        apex_comp_proof_free(&pf);
    }
    size_t left = apex_ligero_openings_left(w.cg);
    assert_int_equal(apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &used,
                                     &rng, &pf, &why),
                     APEX_ERR_STATE);
    assert_non_null(strstr(why, "opening budget"));
    assert_int_equal(used, w.cfg.kmax);
    assert_int_equal(apex_ligero_openings_left(w.cg), left); /* nothing was opened */
    free_world(&w);

    /* the in-memory guard: pads that hide only 4 openings of one commitment object */
    memset(&w, 0, sizeof w);
    make_world(&w, 6);
    free_world(&w);
    w.cfg.nreq = 32; /* 128 pads / 32 columns */
    commit_all(&w);
    left = apex_ligero_openings_left(w.cg);
    assert_int_equal(left, 4);
    for (size_t i = 0; i < left; i++) {
        uint32_t fresh = 0;
        if (apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &fresh, &rng, &pf,
                            &why) != APEX_OK)
            fail_msg("prove %zu: %s", i, why);
        apex_comp_proof_free(&pf);
        apex_ligero_commitment_destroy(&w.cw0);
        w.cw0 = apex_comp_commit_w(&w.cfg, w.w0, &w.pub.root_w0, NULL);
        apex_ligero_commitment_destroy(&w.cw1);
        w.cw1 = apex_comp_commit_w(&w.cfg, w.w1, &w.pub.root_w1, NULL);
    }
    uint32_t fresh = 0;
    assert_int_equal(apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &fresh,
                                     &rng, &pf, &why),
                     APEX_ERR_STATE);
    free_world(&w);
}

static void test_encoding(void **state)
{
    (void)state;
    world w;
    make_world(&w, 8);
    apex_comp_proof pf, back;
    const char *why = NULL;
    if (prove(&w, NULL, &pf, &why) != APEX_OK)
        fail_msg("prove: %s", why);
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 20);
    assert_int_equal(apex_comp_proof_encode(&w.cfg, &pf, &wr), APEX_OK);
    uint8_t *buf;
    size_t len;
    assert_int_equal(apex_enc_writer_take(&wr, &buf, &len), APEX_OK);
    apex_enc_reader r;
    apex_enc_reader_init(&r, buf, len);
    assert_int_equal(apex_comp_proof_decode(&w.cfg, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_OK);
    if (apex_comp_verify(&w.cfg, &w.pub, &back, &why) != APEX_OK)
        fail_msg("decoded proof rejected: %s", why);
    apex_comp_proof_free(&back);
    /* truncations fail; a trailing byte is left over; another version is refused */
    for (size_t cut = 0; cut < len; cut += 211) {
        apex_enc_reader_init(&r, buf, cut);
        assert_int_not_equal(apex_comp_proof_decode(&w.cfg, &r, &back), APEX_OK);
        assert_null(back.zs.rounds);
    }
    uint8_t *longer = calloc(len + 1, 1);
    memcpy(longer, buf, len);
    apex_enc_reader_init(&r, longer, len + 1);
    assert_int_equal(apex_comp_proof_decode(&w.cfg, &r, &back), APEX_OK);
    assert_int_equal(apex_enc_reader_finish(&r), APEX_ERR_FORMAT);
    apex_comp_proof_free(&back);
    longer[0] ^= 1;
    apex_enc_reader_init(&r, longer, len);
    assert_int_equal(apex_comp_proof_decode(&w.cfg, &r, &back), APEX_ERR_FORMAT);
    /* a non-canonical round value (p itself, after the u64 count) is refused */
    memcpy(longer, buf, len);
    memset(longer + 4 + 8 * 32 + 8, 0, 8);
    longer[4 + 8 * 32 + 8 + 0] = 0x01;
    longer[4 + 8 * 32 + 8 + 4] = 0xff;
    longer[4 + 8 * 32 + 8 + 5] = 0xff;
    longer[4 + 8 * 32 + 8 + 6] = 0xff;
    longer[4 + 8 * 32 + 8 + 7] = 0xff;
    apex_enc_reader_init(&r, longer, len);
    assert_int_not_equal(apex_comp_proof_decode(&w.cfg, &r, &back), APEX_OK);
    printf("compliance proof: %zu bytes at d = %u, N = %u, B = %u\n", len, DW, NS, BS);
    free(longer);
    free(buf);
    apex_comp_proof_free(&pf);
    free_world(&w);
}

/* Registration: honest C_G and C_w(0) verify; a G~ entry or a weight out of range, or a
 * nonzero padded weight, is refused by the prover and rejected from a prover that skips
 * its checks. */
static int reg_run(int which, int skip)
{
    world w;
    make_world(&w, 9);
    free_world(&w);
    apex_comp_dims dm;
    assert_int_equal(apex_comp_dims_of(&w.cfg, &dm, NULL), APEX_OK);
    size_t fr = (size_t)NBLK * NS * BS;
    int32_t gw[NBLK * NS * BS];
    for (size_t x = 0; x < fr; x++)
        gw[x] = w.g[x];
    if (which == 1)
        gw[77] = 128; /* one past int8 */
    if (which == 2)
        gw[5] = -129;
    if (which == 3)
        w.w0[12] = 1 << 23;
    apex_gl gv[NBLK * NS * BS], wv[128] = {0};
    for (size_t x = 0; x < fr; x++)
        gv[x] = apex_gl_from_i64(gw[x]);
    for (size_t j = 0; j < DW; j++)
        wv[j] = apex_gl_from_i64(w.w0[j]);
    if (which == 4)
        wv[DW + 3] = 5; /* a phantom padded weight */
    w.cg = apex_ligero_commit(&dm.pg, gv, fr, NULL, &w.pub.root_g, NULL);
    w.cw0 = apex_ligero_commit(&dm.pw, wv, 128, NULL, &w.pub.root_w0, NULL);
    assert_non_null(w.cg);
    assert_non_null(w.cw0);
    apex_rng rng;
    apex_rng_seed(&rng, 3);
    apex_comp_reg_proof pf;
    const char *why = NULL;
    int rc = comp_register_impl(&w.cfg, &w.pub, gw, w.w0, w.cg, w.cw0, &rng, skip, &pf, &why);
    if (rc == APEX_OK) {
        rc = apex_comp_register_verify(&w.cfg, &w.pub, &pf, &why);
        if (rc != APEX_OK)
            assert_non_null(strstr(why, "compliance:"));
        /* bound to the identity: another client id is rejected; the encoding round-trips */
        if (rc == APEX_OK) {
            apex_enc_writer wr;
            apex_enc_writer_init(&wr, 1 << 22);
            assert_int_equal(apex_comp_reg_proof_encode(&w.cfg, &pf, &wr), APEX_OK);
            apex_enc_reader rd;
            apex_enc_reader_init(&rd, wr.buf, wr.len);
            apex_comp_reg_proof back;
            assert_int_equal(apex_comp_reg_proof_decode(&w.cfg, &rd, &back), APEX_OK);
            assert_int_equal(apex_enc_reader_finish(&rd), APEX_OK);
            assert_int_equal(apex_comp_register_verify(&w.cfg, &w.pub, &back, &why), APEX_OK);
            apex_comp_reg_proof_free(&back);
            apex_enc_reader_init(&rd, wr.buf, wr.len - 1);
            assert_int_not_equal(apex_comp_reg_proof_decode(&w.cfg, &rd, &back), APEX_OK);
            apex_enc_writer_free(&wr);
            apex_comp_public p = w.pub;
            p.client_id[0] ^= 1;
            assert_int_equal(apex_comp_register_verify(&w.cfg, &p, &pf, &why), APEX_ERR_REJECTED);
        }
        apex_comp_reg_proof_free(&pf);
    } else
        assert_non_null(strstr(why, "range check failed"));
    apex_ligero_commitment_destroy(&w.cg);
    apex_ligero_commitment_destroy(&w.cw0);
    return rc;
}

static void test_registration(void **state)
{
    (void)state;
    assert_int_equal(reg_run(0, 0), APEX_OK);
    for (int which = 1; which <= 3; which++) {
        assert_int_equal(reg_run(which, 0), APEX_ERR_REJECTED); /* the prover refuses */
        assert_int_equal(reg_run(which, 1), APEX_ERR_REJECTED); /* the verifier rejects */
    }
    assert_int_equal(reg_run(4, 1), APEX_ERR_REJECTED);
    assert_int_equal(reg_run(1, 2), APEX_ERR_REJECTED); /* top-limb copy forged into T */
}

/* Honest registrations and proofs over a small grid of (N, B, d), witnesses from
 * apex_obsq_layer. */
static void test_grid(void **state)
{
    (void)state;
    const struct {
        uint64_t n, b, d;
    } grid[] = {{4, 16, 40}, {16, 16, 64}, {8, 32, 65}, {2, 64, 64}};
    for (size_t q = 0; q < sizeof grid / sizeof grid[0]; q++) {
        apex_comp_config cfg = config(64);
        cfg.sp.n_samples = grid[q].n;
        cfg.sp.block = grid[q].b;
        cfg.d = grid[q].d;
        size_t nblk = (grid[q].d + grid[q].b - 1) / grid[q].b, ng = nblk * grid[q].n * grid[q].b;
        int8_t *g = calloc(ng, 1);
        int32_t *w0 = calloc(cfg.d, 4), *w1 = calloc(cfg.d, 4), *delta = calloc(cfg.d, 4);
        apex_rng rng;
        apex_rng_seed(&rng, 40 + q);
        for (size_t x = 0; x < ng; x++) {
            size_t j = (x / (grid[q].n * grid[q].b)) * grid[q].b + x % grid[q].b;
            g[x] = j < cfg.d ? (int8_t)((int)apex_rng_below(&rng, 255) - 127) : 0;
        }
        for (size_t j = 0; j < cfg.d; j++)
            w0[j] = (int32_t)apex_rng_below(&rng, 1u << 21) - (1 << 20);
        const uint64_t mask[2] = {1, cfg.d - 1};
        apex_obsq_params op;
        apex_obsq_params_default(&op);
        op.block = grid[q].b;
        op.lambda = 64;
        op.tau_log2 = 20;
        assert_int_equal(
            apex_obsq_layer(&op, g, grid[q].n, cfg.d, w0, mask, 2, delta, NULL, NULL, NULL),
            APEX_OK);
        for (size_t j = 0; j < cfg.d; j++)
            w1[j] = w0[j] + delta[j];
        apex_comp_public pub;
        memset(&pub, 0, sizeof pub);
        pub.mask = mask;
        pub.nmask = 2;
        const char *why = NULL;
        apex_ligero_commitment *cg = apex_comp_commit_g(&cfg, g, &pub.root_g, &why);
        apex_ligero_commitment *c0 = apex_comp_commit_w(&cfg, w0, &pub.root_w0, &why);
        apex_ligero_commitment *c1 = apex_comp_commit_w(&cfg, w1, &pub.root_w1, &why);
        if (!cg || !c0 || !c1)
            fail_msg("grid %zu commit: %s", q, why);
        /* registration too ({8, 32, 65}: C_G commits 3 of the 4 blocks' rows) */
        apex_comp_reg_proof rp;
        if (apex_comp_register_prove(&cfg, &pub, g, w0, cg, c0, &rng, &rp, &why) != APEX_OK)
            fail_msg("grid %zu register: %s", q, why);
        if (apex_comp_register_verify(&cfg, &pub, &rp, &why) != APEX_OK)
            fail_msg("grid %zu registration rejected: %s", q, why);
        apex_comp_reg_proof_free(&rp);
        uint32_t used = 0;
        apex_comp_proof pf;
        if (apex_comp_prove(&cfg, &pub, g, w0, w1, cg, c0, c1, &used, &rng, &pf, &why) != APEX_OK)
            fail_msg("grid %zu prove: %s", q, why);
        if (apex_comp_verify(&cfg, &pub, &pf, &why) != APEX_OK)
            fail_msg("grid %zu rejected: %s", q, why);
        apex_comp_proof_free(&pf);
        apex_ligero_commitment_destroy(&cg);
        apex_ligero_commitment_destroy(&c0);
        apex_ligero_commitment_destroy(&c1);
        free(g);
        free(w0);
        free(w1);
        free(delta);
    }
}

/* Zero-knowledge smoke test: two proofs of the same statement share no proof-time root and
 * no round value, and no opened column of C_w(e+1) equals a weight verbatim in order. */
/* The padding's public sum in O(n) equals the sum over [d, 2^n) term by term, with one point
 * and with two, for every d (the ends included) and n up to 9. */
static void test_sum_eq_from(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 77);
    for (unsigned n = 0; n <= 9; n++) {
        apex_gl2 a[9], b[9];
        for (unsigned k = 0; k < n; k++) {
            a[k] = apex_gl2_make(apex_rng_u64(&rng) % APEX_GL_P, apex_rng_u64(&rng) % APEX_GL_P);
            b[k] = apex_gl2_make(apex_rng_u64(&rng) % APEX_GL_P, apex_rng_u64(&rng) % APEX_GL_P);
        }
        for (uint64_t d = 0; d <= ((uint64_t)1 << n); d++) {
            apex_gl2 want1 = apex_gl2_from_gl(0), want2 = want1;
            for (uint64_t x = d; x < ((uint64_t)1 << n); x++) {
                want1 = apex_gl2_add(want1, comp_eq_at(a, n, x));
                want2 = apex_gl2_add(want2, apex_gl2_mul(comp_eq_at(a, n, x), comp_eq_at(b, n, x)));
            }
            apex_gl2 got1 = comp_sum_eq_from(a, NULL, n, d), got2 = comp_sum_eq_from(a, b, n, d);
            assert_memory_equal(&got1, &want1, sizeof got1);
            assert_memory_equal(&got2, &want2, sizeof got2);
        }
    }
}

static void test_zk_smoke(void **state)
{
    (void)state;
    world w;
    make_world(&w, 10);
    apex_comp_proof a, b;
    const char *why = NULL;
    apex_rng r1, r2;
    apex_rng_seed(&r1, 1001);
    apex_rng_seed(&r2, 1002);
    assert_int_equal(apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &w.used,
                                     &r1, &a, &why),
                     APEX_OK);
    assert_int_equal(apex_comp_prove(&w.cfg, &w.pub, w.g, w.w0, w.w1, w.cg, w.cw0, w.cw1, &w.used,
                                     &r2, &b, &why),
                     APEX_OK);
    assert_memory_not_equal(a.root_u.b, b.root_u.b, 32);
    assert_memory_not_equal(a.root_l.b, b.root_l.b, 32);
    assert_memory_not_equal(a.zs.root_pad.b, b.zs.root_pad.b, 32);
    assert_memory_not_equal(a.zsb.root_pad.b, b.zsb.root_pad.b, 32);
    apex_comp_dims dm;
    assert_int_equal(apex_comp_dims_of(&w.cfg, &dm, NULL), APEX_OK);
    for (size_t i = 0; i < (size_t)dm.za.k * (COMP_A_DEG + 1); i++)
        assert_false(apex_gl2_eq(a.zs.rounds[i], b.zs.rounds[i]));
    for (size_t i = 0; i < (size_t)dm.zb.k * (COMP_B_DEG + 1); i++)
        assert_false(apex_gl2_eq(a.zsb.rounds[i], b.zsb.rounds[i]));
    /* the values of w' never appear as an opened column entry of its commitment */
    size_t nrow = dm.pw.nwrow;
    for (size_t q = 0; q < w.cfg.nreq * nrow; q++)
        for (size_t j = 0; j < DW; j++)
            if (w.w1[j] != 0)
                assert_int_not_equal(a.lig.open[COMP_CW1].cols[q], apex_gl_from_i64(w.w1[j]));
    assert_int_equal(apex_comp_verify(&w.cfg, &w.pub, &a, &why), APEX_OK);
    assert_int_equal(apex_comp_verify(&w.cfg, &w.pub, &b, &why), APEX_OK);
    apex_comp_proof_free(&a);
    apex_comp_proof_free(&b);
    free_world(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_honest_and_public_inputs),
        cmocka_unit_test(test_wrong_masks),
        cmocka_unit_test(test_lazy_and_untouched),
        cmocka_unit_test(test_stage_chain),
        cmocka_unit_test(test_tolerance_edges),
        cmocka_unit_test(test_limb_widths),
        cmocka_unit_test(test_int8_rows),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_registration),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_sum_eq_from),
        cmocka_unit_test(test_zk_smoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
