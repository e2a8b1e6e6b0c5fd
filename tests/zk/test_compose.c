/* Composition test: a matrix-vector claim u = G delta (shared PROOF.md 5.3 step 5, without
 * the padding layer yet) proven with the pieces of common/zk working together:
 *   commit G (N x B, int8) and delta (B) with Ligero, rows x slots = i x j;
 *   draw gamma in F_p2^log N; claim u~(gamma) = sum_j Gg(j) delta(j), Gg = G folded by eq(gamma);
 *   sumcheck (degree 2) over j ends at r with the claim Gg~(r) * delta~(r);
 *   both evaluations are tensor claims in one joint Ligero proof over the two commitments.
 * The verifier checks the sumcheck, that the two values multiply to its final claim, and
 * the Ligero proof with those values. A wrong u or a G or delta other than the committed
 * ones is rejected. (The evaluations are revealed here; the padded-sumcheck layer will hide
 * them.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/ligero.h"
#include "zk/mle.h"
#include "zk/sumcheck.h"

#define LOG_N 3u
#define LOG_B 5u
#define N     (1u << LOG_N)
#define B     (1u << LOG_B)

/* BLOCK 32, every slot witness (12 pads outside H_B): 32 slots = B; G has N rows, delta one. */
static const apex_ligero_params pg = {5, 12, 12, N};
static const apex_ligero_params pd = {5, 12, 12, 1};

/* What travels from prover to verifier besides the Ligero proof. */
typedef struct mv_proof {
    apex_gl2 rounds[LOG_B * 3]; /* sumcheck round values, degree 2 */
    apex_gl2 vals[2];           /* Gg~(r) and delta~(r) */
    apex_ligero_proof lig;      /* joint proof of the two evaluation claims */
} mv_proof;

/* The public statement: roots of C_G and C_w, and u. */
static apex_transcript *statement(const apex_hash roots[2], const apex_gl *u)
{
    apex_transcript *t = apex_transcript_new("test-compose");
    assert_non_null(t);
    assert_int_equal(apex_transcript_absorb_bytes(t, "root_G", roots[0].b, 32), APEX_OK);
    assert_int_equal(apex_transcript_absorb_bytes(t, "root_w", roots[1].b, 32), APEX_OK);
    assert_int_equal(apex_transcript_absorb_gl(t, "u", u, N), APEX_OK);
    return t;
}

/* The claim u~(gamma), from u alone (the verifier's side of the sum). */
static apex_gl2 claim_of(const apex_gl *u, const apex_gl2 *gamma)
{
    apex_gl2 v;
    assert_int_equal(apex_mle_eval_gl(u, LOG_N, gamma, &v), APEX_OK);
    return v;
}

static void prove(apex_ligero_commitment *cs[2], const apex_hash roots[2], const apex_gl *g,
                  const apex_gl *delta, const apex_gl *u, apex_rng *rng, mv_proof *out)
{
    apex_transcript *t = statement(roots, u);
    apex_gl2 gamma[LOG_N], eqg[N], r[LOG_B], fin[2];
    assert_int_equal(apex_transcript_challenge_gl2(t, gamma, LOG_N), APEX_OK);
    assert_int_equal(apex_mle_eq(eqg, gamma, LOG_N), APEX_OK);
    /* fold G over i with eq(gamma): Gg(j) = sum_i eq(gamma, i) G(i, j) */
    apex_gl2 gg[B], dd[B];
    for (size_t j = 0; j < B; j++) {
        gg[j] = apex_gl2_from_gl(0);
        for (size_t i = 0; i < N; i++)
            gg[j] = apex_gl2_add(gg[j], apex_gl2_mul_gl(eqg[i], g[i * B + j]));
        dd[j] = apex_gl2_from_gl(delta[j]);
    }
    apex_gl2 *tabs[2] = {gg, dd};
    assert_int_equal(
        apex_sumcheck_prove(t, tabs, 2, LOG_B, claim_of(u, gamma), out->rounds, r, fin), APEX_OK);
    out->vals[0] = fin[0];
    out->vals[1] = fin[1];
    /* the two evaluation claims, as tensor claims on the commitments */
    apex_gl2 eqr[B], one = apex_gl2_from_gl(1);
    assert_int_equal(apex_mle_eq(eqr, r, LOG_B), APEX_OK);
    const apex_ligero_tensor tens[2] = {{0, eqg, eqr, NULL, 0}, {1, &one, eqr, NULL, 0}};
    apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, tens, 2};
    const char *why = NULL;
    int rc = apex_ligero_prove(cs, 2, t, &cons, rng, &out->lig, &why);
    if (rc != APEX_OK)
        fail_msg("ligero prove: %s", why);
    apex_transcript_destroy(&t);
}

static int verify(const apex_hash roots[2], const apex_gl *u, const mv_proof *pf, const char **why)
{
    apex_transcript *t = statement(roots, u);
    apex_gl2 gamma[LOG_N], eqg[N], r[LOG_B], fin;
    assert_int_equal(apex_transcript_challenge_gl2(t, gamma, LOG_N), APEX_OK);
    assert_int_equal(apex_mle_eq(eqg, gamma, LOG_N), APEX_OK);
    int rc = apex_sumcheck_verify(t, 2, LOG_B, claim_of(u, gamma), pf->rounds, r, &fin, why);
    if (rc == APEX_OK && !apex_gl2_eq(apex_gl2_mul(pf->vals[0], pf->vals[1]), fin)) {
        *why = "compose: evaluations do not multiply to the sumcheck's final claim";
        rc = APEX_ERR_REJECTED;
    }
    if (rc == APEX_OK) {
        apex_gl2 eqr[B], one = apex_gl2_from_gl(1);
        assert_int_equal(apex_mle_eq(eqr, r, LOG_B), APEX_OK);
        const apex_ligero_tensor tens[2] = {{0, eqg, eqr, NULL, 0}, {1, &one, eqr, NULL, 0}};
        apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, tens, 2};
        const apex_ligero_params ps[2] = {pg, pd};
        rc = apex_ligero_verify(ps, roots, 2, t, &cons, NULL, pf->vals, &pf->lig, why);
    }
    apex_transcript_destroy(&t);
    return rc;
}

typedef struct instance {
    apex_gl g[N * B]; /* int8 entries as field elements */
    apex_gl delta[B]; /* the update */
    apex_gl u[N];     /* G delta, exact */
    apex_hash roots[2];
    apex_ligero_commitment *cs[2];
} instance;

static void make_instance(instance *in, apex_rng *rng)
{
    for (size_t i = 0; i < N * B; i++)
        in->g[i] = apex_gl_from_i64((int64_t)apex_rng_below(rng, 256) - 128);
    for (size_t j = 0; j < B; j++)
        in->delta[j] = apex_gl_from_i64((int64_t)apex_rng_below(rng, 1u << 24) - (1 << 23));
    for (size_t i = 0; i < N; i++) {
        in->u[i] = 0;
        for (size_t j = 0; j < B; j++)
            in->u[i] = apex_gl_add(in->u[i], apex_gl_mul(in->g[i * B + j], in->delta[j]));
    }
    in->cs[0] = apex_ligero_commit(&pg, in->g, N * B, rng, &in->roots[0], NULL);
    in->cs[1] = apex_ligero_commit(&pd, in->delta, B, rng, &in->roots[1], NULL);
    assert_non_null(in->cs[0]);
    assert_non_null(in->cs[1]);
}

static void free_instance(instance *in)
{
    apex_ligero_commitment_destroy(&in->cs[0]);
    apex_ligero_commitment_destroy(&in->cs[1]);
}

static void test_honest(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 71);
    instance in;
    make_instance(&in, &rng);
    mv_proof pf;
    prove(in.cs, in.roots, in.g, in.delta, in.u, &rng, &pf);
    const char *why = NULL;
    int rc = verify(in.roots, in.u, &pf, &why);
    if (rc != APEX_OK)
        fail_msg("rejected: %s", why);
    /* a wrong public u */
    in.u[3] = apex_gl_add(in.u[3], 1);
    assert_int_equal(verify(in.roots, in.u, &pf, &why), APEX_ERR_REJECTED);
    in.u[3] = apex_gl_sub(in.u[3], 1);
    /* a scaled evaluation breaks the product */
    mv_proof bad = pf;
    bad.vals[0] = apex_gl2_mul_gl(pf.vals[0], 2);
    assert_int_equal(verify(in.roots, in.u, &bad, &why), APEX_ERR_REJECTED);
    assert_non_null(strstr(why, "multiply"));
    /* the same product from wrong values: the commitments refuse them */
    apex_gl2 inv2;
    assert_int_equal(apex_gl2_inv(apex_gl2_from_gl(2), &inv2), APEX_OK);
    bad.vals[1] = apex_gl2_mul(pf.vals[1], inv2);
    assert_int_equal(verify(in.roots, in.u, &bad, &why), APEX_ERR_REJECTED);
    assert_true(strstr(why, "ligero") || strstr(why, "merkle"));
    apex_ligero_proof_free(&pf.lig);
    free_instance(&in);
}

/* A prover that computes u from a delta other than the committed one: the sumcheck passes
 * (it is about the tables the prover folds) but the evaluation claims do not match the
 * commitment. */
static void test_uncommitted_delta(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 72);
    instance in;
    make_instance(&in, &rng);
    apex_gl other[B];
    memcpy(other, in.delta, sizeof other);
    other[11] = apex_gl_add(other[11], 1);
    apex_gl u2[N];
    for (size_t i = 0; i < N; i++) {
        u2[i] = 0;
        for (size_t j = 0; j < B; j++)
            u2[i] = apex_gl_add(u2[i], apex_gl_mul(in.g[i * B + j], other[j]));
    }
    mv_proof pf;
    prove(in.cs, in.roots, in.g, other, u2, &rng, &pf);
    const char *why = NULL;
    assert_int_equal(verify(in.roots, u2, &pf, &why), APEX_ERR_REJECTED);
    assert_true(strstr(why, "ligero") || strstr(why, "merkle"));
    apex_ligero_proof_free(&pf.lig);
    free_instance(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_honest),
        cmocka_unit_test(test_uncommitted_delta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
