/* Tests for zk/stmt: the overflow budget against a GMP computation of the same bound on
 * random and boundary parameters, an audit that the bound is attained by the extreme
 * witness and still fits, the range-check width rules, and the parameter digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gmp.h>
#include <string.h>

#include "core/core.h"
#include "zk/stmt.h"

/* The reviewed defaults: N = 64, B = 256, int8 gradients, b_w = 24, Lambda = 64, tau = 2^20. */
static const apex_stmt_params defaults = {64, 256, 8, 24, 64, 20, 16};

/* (N B 2^(2 b_G - 2) + Lambda)(2^b_w - 1) in GMP. */
static void ref_bound(const apex_stmt_params *s, mpz_t out)
{
    mpz_t t;
    mpz_init(t);
    mpz_set_ui(out, s->n_samples);
    mpz_mul_ui(out, out, s->block);
    mpz_mul_2exp(out, out, 2 * (s->bits_g - 1));
    mpz_add_ui(out, out, s->lambda);
    mpz_set_ui(t, 1);
    mpz_mul_2exp(t, t, s->bits_w);
    mpz_sub_ui(t, t, 1);
    mpz_mul(out, out, t);
    mpz_clear(t);
}

/* 1 when the GMP bound fits in (p - 1) / 2. */
static int ref_fits(const apex_stmt_params *s)
{
    mpz_t b, half;
    mpz_inits(b, half, NULL);
    ref_bound(s, b);
    mpz_set_ui(half, (APEX_GL_P - 1) / 2);
    int fits = mpz_cmp(b, half) <= 0;
    mpz_clears(b, half, NULL);
    return fits;
}

static void test_budget_vs_gmp(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 61);
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 20000; i++) {
        apex_stmt_params s = defaults;
        s.n_samples =
            (i % 3 == 0) ? (1ULL << apex_rng_below(&rng, 40)) : 1 + apex_rng_below(&rng, 1 << 20);
        s.block =
            (i % 5 == 0) ? (1ULL << apex_rng_below(&rng, 40)) : 1 + apex_rng_below(&rng, 1 << 20);
        s.bits_g = 1 + (uint32_t)apex_rng_below(&rng, APEX_STMT_MAX_BITS_G);
        s.bits_w = 1 + (uint32_t)apex_rng_below(&rng, 63);
        s.lambda = 1 + apex_rng_below(&rng, 1ULL << 40);
        int rc = apex_stmt_check_budget(&s, NULL);
        int want = ref_fits(&s);
        assert_int_equal(rc, want ? APEX_OK : APEX_ERR_RANGE);
        accepted += want;
        rejected += !want;
        int over;
        unsigned __int128 got = apex_stmt_rho_bound(&s, &over);
        if (!over) { /* the bound itself, both 64-bit halves */
            mpz_t b, lo;
            mpz_inits(b, lo, NULL);
            ref_bound(&s, b);
            mpz_tdiv_r_2exp(lo, b, 64);
            mpz_tdiv_q_2exp(b, b, 64);
            assert_int_equal((uint64_t)got, mpz_get_ui(lo));
            assert_int_equal((uint64_t)(got >> 64), mpz_get_ui(b));
            mpz_clears(b, lo, NULL);
        }
    }
    assert_true(accepted > 100 && rejected > 100); /* both sides of the boundary exercised */
}

static void test_boundaries(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(apex_stmt_check_budget(&defaults, &why), APEX_OK);
    /* at b_w = 24 the exact boundary is log2 N + log2 B = 25 (errata 12's "<= 24" is the
     * conservative form: it rounds |delta| <= 2^b_w - 1 up to 2^b_w); 26 does not fit */
    apex_stmt_params s = defaults;
    s.n_samples = 1024;
    s.block = 1 << 14;
    assert_int_equal(apex_stmt_check_budget(&s, NULL), APEX_OK);
    s.block = 1 << 15;
    assert_int_equal(apex_stmt_check_budget(&s, NULL), APEX_OK);
    s.block = 1 << 16;
    assert_int_equal(apex_stmt_check_budget(&s, &why), APEX_ERR_RANGE);
    assert_non_null(strstr(why, "residual"));
    /* a huge Lambda alone breaks it */
    s = defaults;
    s.lambda = 1ULL << 40;
    assert_int_equal(apex_stmt_check_budget(&s, NULL), APEX_ERR_RANGE);
    /* tau: t + 1 <= 63 */
    s = defaults;
    s.tau_log2 = 62;
    assert_int_equal(apex_stmt_check_budget(&s, NULL), APEX_OK);
    s.tau_log2 = 63;
    assert_int_equal(apex_stmt_check_budget(&s, &why), APEX_ERR_RANGE);
    assert_non_null(strstr(why, "tau"));
    /* nonsense */
    const apex_stmt_params bad[] = {{0, 256, 8, 24, 64, 20, 16},   {64, 0, 8, 24, 64, 20, 16},
                                    {64, 256, 0, 24, 64, 20, 16},  {64, 256, 8, 0, 64, 20, 16},
                                    {64, 256, 8, 24, 0, 20, 16},   {64, 256, 8, 64, 64, 20, 16},
                                    {64, 256, 17, 24, 64, 20, 16}, {64, 256, 8, 24, 64, 20, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(apex_stmt_check_budget(&bad[i], NULL), APEX_ERR_INVALID);
    int over = 0;
    apex_stmt_params wide = defaults;
    wide.n_samples = wide.block = UINT64_MAX;
    apex_stmt_rho_bound(&wide, &over);
    assert_int_equal(over, 1);
}

/* The extreme admissible witness attains the bound: G = -2^(b_G - 1) everywhere and
 * delta = 2^b_w - 1 everywhere give rho_j = N B 2^(2 b_G - 2) (2^b_w - 1) + Lambda (2^b_w - 1).
 * Computed term by term in GMP at the largest accepted N B, it must stay <= (p - 1) / 2. */
static void test_extreme_witness_audit(void **state)
{
    (void)state;
    apex_stmt_params s = defaults;
    s.n_samples = 1 << 10;
    s.block = 1 << 15; /* the largest accepted N B at b_w = 24 */
    assert_int_equal(apex_stmt_check_budget(&s, NULL), APEX_OK);
    mpz_t g, d, u, rho, half, bound;
    mpz_inits(g, d, u, rho, half, bound, NULL);
    mpz_set_si(g, -(1L << (s.bits_g - 1)));
    mpz_set_ui(d, 1);
    mpz_mul_2exp(d, d, s.bits_w);
    mpz_sub_ui(d, d, 1);
    /* u_i = sum_k G_ik delta_k = B g d, the same for every sample i */
    mpz_mul(u, g, d);
    mpz_mul_ui(u, u, s.block);
    /* rho_j = sum_i G_ij u_i + Lambda delta_j = N g u + Lambda d */
    mpz_mul(rho, g, u);
    mpz_mul_ui(rho, rho, s.n_samples);
    mpz_addmul_ui(rho, d, s.lambda);
    ref_bound(&s, bound);
    assert_int_equal(mpz_cmp(rho, bound), 0); /* the bound is attained */
    mpz_set_ui(half, (APEX_GL_P - 1) / 2);
    assert_true(mpz_cmp(rho, half) <= 0);
    /* and doubling N (rejected by the check) would overflow */
    mpz_mul_2exp(rho, rho, 1);
    assert_true(mpz_cmp(rho, half) > 0);
    mpz_clears(g, d, u, rho, half, bound, NULL);
}

static void test_digest(void **state)
{
    (void)state;
    const apex_ligero_params lp = {15, 1701, 189, 64};
    uint8_t a[32], b[32];
    assert_int_equal(apex_stmt_digest(&defaults, &lp, a), APEX_OK);
    assert_int_equal(apex_stmt_digest(&defaults, &lp, b), APEX_OK);
    assert_memory_equal(a, b, 32);
    /* every field changes it */
    for (int f = 0; f < 11; f++) {
        apex_stmt_params s = defaults;
        apex_ligero_params l = lp;
        switch (f) {
        case 0:
            s.n_samples++;
            break;
        case 1:
            s.block++;
            break;
        case 2:
            s.bits_g--;
            break;
        case 3:
            s.bits_w--;
            break;
        case 4:
            s.lambda++;
            break;
        case 5:
            s.tau_log2++;
            break;
        case 6:
            s.limb_bits--;
            break;
        case 7:
            l.log_block--;
            break;
        case 8:
            l.npad++;
            break;
        case 9:
            l.nreq++;
            break;
        default:
            l.nwrow++;
            break;
        }
        assert_int_equal(apex_stmt_digest(&s, &l, b), APEX_OK);
        assert_memory_not_equal(a, b, 32);
    }
    /* parameters that fail their checks have no digest */
    apex_stmt_params s = defaults;
    s.lambda = 0;
    assert_int_not_equal(apex_stmt_digest(&s, &lp, b), APEX_OK);
    apex_ligero_params l = lp;
    l.npad = 100; /* fewer pads than queries */
    assert_int_not_equal(apex_stmt_digest(&defaults, &l, b), APEX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_vs_gmp),
        cmocka_unit_test(test_boundaries),
        cmocka_unit_test(test_extreme_witness_audit),
        cmocka_unit_test(test_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
