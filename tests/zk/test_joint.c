/* Composition test: a padded sumcheck (u = G delta at a random point) and a statement's own
 * linear constraint on delta go into ONE joint Ligero proof through the constraint builder,
 * over the commitment list (C_G, C_w, C_pad, C_eval). Accepted when everything holds; a
 * wrong claim, a wrong statement value or a swapped commitment order is rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/cbuild.h"
#include "zk/logup.h"
#include "zk/mle.h"
#include "zk/zksumcheck.h"

#define LOG_N 2u
#define LOG_B 5u
#define N     (1u << LOG_N)
#define B     (1u << LOG_B)

static const apex_ligero_params pg = {5, 12, 12, N}, pd = {5, 12, 12, 1};
static const apex_sumcheck_term term = {{1, 0}, 2, {0, 1, 0, 0}};

static apex_zksc_shape shape(void)
{
    apex_zksc_shape sh = {LOG_B, 2, 2, &term, 1, {5, 12, 12, 2}, {5, 12, 12, 4}};
    return sh;
}

typedef struct world {
    apex_gl g[N * B], delta[B], u[N]; /* witness and the public u = G delta */
    apex_hash roots[2];               /* C_G, C_w */
} world;

static apex_transcript *statement(const world *w, apex_gl2 *gamma)
{
    apex_transcript *t = apex_transcript_new("test-joint");
    apex_transcript_absorb_bytes(t, "root_G", w->roots[0].b, 32);
    apex_transcript_absorb_bytes(t, "root_w", w->roots[1].b, 32);
    apex_transcript_absorb_gl(t, "u", w->u, N);
    apex_transcript_challenge_gl2(t, gamma, LOG_N);
    return t;
}

/* The constraints of both sides: the padded sumcheck, then delta[5] = d5. */
static int emit_all(const apex_zksc_proof *pf, apex_gl2 claim, const apex_gl2 *r,
                    const apex_gl2 *gamma, apex_gl d5, const apex_ligero_params *ps, apex_cbuild *b,
                    const char **why)
{
    static apex_gl2 eqg[N], eqr[B], one;
    apex_mle_eq(eqg, gamma, LOG_N);
    apex_mle_eq(eqr, r, LOG_B);
    one = apex_gl2_from_gl(1);
    apex_zksc_view views[2] = {{0, eqg, eqr}, {1, &one, eqr}};
    apex_zksc_shape sh = shape();
    int rc = apex_zksc_emit(&sh, claim, pf->rounds, r, views, NULL, ps, 4, 2, 3, b, why);
    size_t w_off[5], r_off[5];
    apex_cbuild_layout(ps, 4, w_off, r_off);
    const size_t idx = w_off[1] + 5;
    const apex_gl c = 1;
    return rc == APEX_OK ? apex_cbuild_linear(b, &idx, &c, 1, d5) : rc;
}

static void test_one_joint_proof(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 121);
    world w;
    for (size_t i = 0; i < N * B; i++)
        w.g[i] = apex_gl_from_i64((int64_t)apex_rng_below(&rng, 256) - 128);
    for (size_t j = 0; j < B; j++)
        w.delta[j] = apex_gl_from_i64((int64_t)apex_rng_below(&rng, 1u << 16) - (1 << 15));
    for (size_t i = 0; i < N; i++) {
        w.u[i] = 0;
        for (size_t j = 0; j < B; j++)
            w.u[i] = apex_gl_add(w.u[i], apex_gl_mul(w.g[i * B + j], w.delta[j]));
    }
    apex_ligero_commitment *cg = apex_ligero_commit(&pg, w.g, N * B, &rng, &w.roots[0], NULL);
    apex_ligero_commitment *cw = apex_ligero_commit(&pd, w.delta, B, &rng, &w.roots[1], NULL);

    /* prover */
    apex_gl2 gamma[LOG_N], eqg[N], gg[B], dd[B], r[LOG_B];
    apex_transcript *t = statement(&w, gamma);
    apex_mle_eq(eqg, gamma, LOG_N);
    for (size_t j = 0; j < B; j++) {
        gg[j] = apex_gl2_from_gl(0);
        for (size_t i = 0; i < N; i++)
            gg[j] = apex_gl2_add(gg[j], apex_gl2_mul_gl(eqg[i], w.g[i * B + j]));
        dd[j] = apex_gl2_from_gl(w.delta[j]);
    }
    apex_gl2 claim;
    apex_mle_eval_gl(w.u, LOG_N, gamma, &claim);
    apex_zksc_shape sh = shape();
    apex_gl2 *f[2] = {gg, dd};
    apex_zksc_prover *zp = NULL;
    const char *why = NULL;
    assert_int_equal(apex_zksc_prove_rounds(t, &sh, f, claim, &rng, &zp, r, &why), APEX_OK);
    apex_ligero_commitment *cpad = NULL, *ceval = NULL;
    apex_zksc_proof pf;
    assert_int_equal(apex_zksc_prove_eval(&zp, t, &cpad, &ceval, &pf, &why), APEX_OK);
    const apex_ligero_params ps[4] = {pg, pd, sh.pad_params, sh.eval_params};
    apex_cbuild *b = apex_cbuild_new();
    if (emit_all(&pf, claim, r, gamma, w.delta[5], ps, b, &why) != APEX_OK)
        fail_msg("emit: %s", why);
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[4] = {cg, cw, cpad, ceval};
    apex_ligero_proof lig;
    assert_int_equal(apex_ligero_prove(all, 4, t, &cons, &rng, &lig, &why), APEX_OK);
    apex_transcript_destroy(&t);
    apex_cbuild_destroy(&b);

    /* verifier, three times: honest, another statement value, another claim */
    for (int v = 0; v < 3; v++) {
        apex_gl2 gv[LOG_N], rv[LOG_B], cl = claim;
        t = statement(&w, gv);
        if (v == 2)
            cl = apex_gl2_add(cl, apex_gl2_from_gl(1));
        int rc = apex_zksc_verify_rounds(t, &sh, cl, &pf, rv, &why);
        if (rc == APEX_OK)
            rc = apex_zksc_verify_eval(t, &pf);
        b = apex_cbuild_new();
        apex_gl d5 = v == 1 ? apex_gl_add(w.delta[5], 1) : w.delta[5];
        if (rc == APEX_OK)
            rc = emit_all(&pf, cl, rv, gv, d5, ps, b, &why);
        if (rc == APEX_OK) {
            apex_cbuild_view(b, &cons, &lin_b, &tval);
            const apex_hash roots[4] = {w.roots[0], w.roots[1], pf.root_pad, pf.root_eval};
            rc = apex_ligero_verify(ps, roots, 4, t, &cons, lin_b, tval, &lig, &why);
        }
        apex_cbuild_destroy(&b);
        apex_transcript_destroy(&t);
        if (v == 0 && rc != APEX_OK)
            fail_msg("honest joint proof rejected: %s", why);
        if (v > 0)
            assert_int_equal(rc, APEX_ERR_REJECTED);
    }
    /* C_pad and C_eval listed where the emitter does not expect them */
    b = apex_cbuild_new();
    const apex_ligero_params swapped[4] = {pg, pd, sh.eval_params, sh.pad_params};
    assert_int_equal(emit_all(&pf, claim, r, gamma, w.delta[5], swapped, b, &why),
                     APEX_ERR_INVALID);
    apex_cbuild_destroy(&b);
    apex_ligero_proof_free(&lig);
    apex_zksc_proof_free(&pf);
    apex_ligero_commitment_destroy(&cpad);
    apex_ligero_commitment_destroy(&ceval);
    apex_ligero_commitment_destroy(&cg);
    apex_ligero_commitment_destroy(&cw);
}

/* A range check joins the same kind of proof: delta[5] + 2^15 = L0 + 256 L1 with the byte
 * limbs L0, L1 committed in C_l (with 62 more bytes), LogUp over C_l in T8, and the limb
 * relation as a statement constraint, all in one joint proof over
 * (C_w, C_l, C_m, C_h). A limb outside [0, 256) that still satisfies the relation is
 * rejected. */
static int range_run(int bad_limb)
{
    apex_rng rng;
    apex_rng_seed(&rng, 122);
    const apex_ligero_params pl = {5, 12, 12, 2};
    const apex_logup_shape sh = {8, pl, {5, 12, 12, 8}, {5, 12, 12, 4 * 2 + 2 * 8}};
    apex_gl delta[B], limbs[64];
    for (size_t j = 0; j < B; j++)
        delta[j] = apex_gl_from_i64((int64_t)apex_rng_below(&rng, 1u << 16) - (1 << 15));
    for (size_t j = 0; j < 64; j++)
        limbs[j] = apex_rng_below(&rng, 256);
    uint64_t shifted = apex_gl_add(delta[5], 1u << 15); /* in [0, 2^16) */
    limbs[0] = shifted & 255;
    limbs[1] = shifted >> 8;
    if (bad_limb) { /* L0 + 256 (L1 - 1) with L0 + 256 out of the table: same relation */
        limbs[0] = limbs[0] + 256;
        limbs[1] = apex_gl_sub(limbs[1], 1);
    }
    apex_hash roots[2];
    apex_ligero_commitment *cw = apex_ligero_commit(&pd, delta, B, &rng, &roots[0], NULL);
    apex_ligero_commitment *cl = apex_ligero_commit(&pl, limbs, 64, &rng, &roots[1], NULL);
    const apex_ligero_params ps[4] = {pd, pl, sh.m_params, sh.h_params};
    size_t w_off[5], r_off[5];
    apex_cbuild_layout(ps, 4, w_off, r_off);
    const size_t idx[3] = {w_off[1] + 0, w_off[1] + 1, w_off[0] + 5};
    const apex_gl coef[3] = {1, 256, APEX_GL_P - 1};

    /* prover */
    apex_transcript *t = apex_transcript_new("test-joint-range");
    apex_transcript_absorb_bytes(t, "root_w", roots[0].b, 32);
    apex_ligero_commitment *cm = NULL, *ch = NULL;
    apex_logup_proof lp;
    apex_logup_state *st = NULL;
    const char *why = NULL;
    assert_int_equal(apex_logup_prove_commit(t, &sh, cl, &rng, &cm, &ch, &lp, &st, &why), APEX_OK);
    apex_cbuild *b = apex_cbuild_new();
    assert_int_equal(apex_logup_emit(st, ps, 4, 1, 2, 3, b, &why), APEX_OK);
    assert_int_equal(apex_cbuild_linear(b, idx, coef, 3, 1u << 15), APEX_OK);
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(b, &cons, &lin_b, &tval);
    apex_ligero_commitment *all[4] = {cw, cl, cm, ch};
    apex_ligero_proof lig;
    assert_int_equal(apex_ligero_prove(all, 4, t, &cons, &rng, &lig, &why), APEX_OK);
    apex_transcript_destroy(&t);
    apex_cbuild_destroy(&b);
    apex_logup_state_destroy(&st);

    /* verifier: C_l's root travels with the proof (a proof-time commitment) */
    t = apex_transcript_new("test-joint-range");
    apex_transcript_absorb_bytes(t, "root_w", roots[0].b, 32);
    b = apex_cbuild_new();
    int rc = apex_logup_verify_draw(t, &sh, &roots[1], &lp, &st, &why);
    if (rc == APEX_OK)
        rc = apex_logup_emit(st, ps, 4, 1, 2, 3, b, &why);
    if (rc == APEX_OK)
        rc = apex_cbuild_linear(b, idx, coef, 3, 1u << 15);
    if (rc == APEX_OK) {
        apex_cbuild_view(b, &cons, &lin_b, &tval);
        const apex_hash r4[4] = {roots[0], roots[1], lp.root_m, lp.root_h};
        rc = apex_ligero_verify(ps, r4, 4, t, &cons, lin_b, tval, &lig, &why);
    }
    apex_transcript_destroy(&t);
    apex_cbuild_destroy(&b);
    apex_logup_state_destroy(&st);
    apex_ligero_proof_free(&lig);
    apex_logup_proof_free(&lp);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&ch);
    apex_ligero_commitment_destroy(&cw);
    apex_ligero_commitment_destroy(&cl);
    return rc;
}

static void test_joint_with_range_check(void **state)
{
    (void)state;
    assert_int_equal(range_run(0), APEX_OK);
    assert_int_equal(range_run(1), APEX_ERR_REJECTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_joint_proof),
        cmocka_unit_test(test_joint_with_range_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
