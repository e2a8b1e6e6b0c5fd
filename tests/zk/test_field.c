/* Tests for zk/field, zk/ntt and zk/mle against GMP and FLINT references.
 *
 * GMP checks the base field (and the constants: primality, non-residue, generator), FLINT's
 * fq_nmod checks F_p[x]/(x^2 - 7), FLINT's nmod_poly checks the NTT by naive evaluation.
 * Inputs are seeded random vectors plus the edge values every reduction bug lives at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <gmp.h>
#include <flint/flint.h>
#include <flint/fq_nmod.h>
#include <flint/nmod_poly.h>
#include <flint/nmod_poly_factor.h>
#include <flint/ulong_extras.h>

#include "core/core.h"
#include "zk/field.h"
#include "zk/i8dot.h"
#include "zk/mle.h"
#include "zk/ntt.h"
#include "zk/ntt_simd.h"

#define P            APEX_GL_P
#define RANDOM_PAIRS 20000

/* Values where carries, borrows and the final conditional subtraction change behaviour. */
static const uint64_t edge[] = {0,
                                1,
                                2,
                                7,
                                P - 1,
                                P - 2,
                                1ULL << 32,
                                (1ULL << 32) - 1,
                                (1ULL << 32) + 1,
                                1ULL << 63,
                                (1ULL << 63) - 1,
                                P - (1ULL << 32),
                                0xfffffffeffffffffULL,
                                0x00000000ffffffffULL,
                                0xffffffff00000000ULL};
#define NEDGE (sizeof edge / sizeof edge[0])

static apex_gl rand_gl(apex_rng *r)
{
    return apex_rng_below(r, P);
}

static apex_gl2 rand_gl2(apex_rng *r)
{
    return apex_gl2_make(rand_gl(r), rand_gl(r));
}

/* Reference a OP b mod p in GMP. */
static uint64_t ref_mod(mpz_t x)
{
    mpz_t m;
    mpz_init_set_ui(m, P);
    mpz_mod(x, x, m);
    uint64_t v = mpz_get_ui(x);
    mpz_clear(m);
    return v;
}

static void check_pair(uint64_t a, uint64_t b)
{
    mpz_t x, y, z;
    mpz_init_set_ui(x, a);
    mpz_init_set_ui(y, b);
    mpz_init(z);
    mpz_add(z, x, y);
    assert_int_equal(apex_gl_add(a, b), ref_mod(z));
    mpz_sub(z, x, y);
    assert_int_equal(apex_gl_sub(a, b), ref_mod(z));
    mpz_mul(z, x, y);
    assert_int_equal(apex_gl_mul(a, b), ref_mod(z));
    mpz_neg(z, x);
    assert_int_equal(apex_gl_neg(a), ref_mod(z));
    mpz_clears(x, y, z, NULL);
}

static void test_constants(void **state)
{
    (void)state;
    assert_true(n_is_prime(P));
    mpz_t base, e, m, r;
    mpz_inits(base, e, m, r, NULL);
    mpz_set_ui(m, P);
    /* 7 is a non-residue: Euler's criterion gives -1, so x^2 - 7 is irreducible. */
    mpz_set_ui(base, APEX_GL2_NONRESIDUE);
    mpz_set_ui(e, (P - 1) / 2);
    mpz_powm(r, base, e, m);
    assert_int_equal(mpz_get_ui(r), P - 1);
    /* 7 generates F_p^*: 7^((p-1)/q) != 1 for every prime q | p - 1. */
    n_factor_t f;
    n_factor_init(&f);
    n_factor(&f, P - 1, 1);
    assert_true(f.num >= 2);
    for (int i = 0; i < f.num; i++) {
        mpz_set_ui(base, APEX_GL_GENERATOR);
        mpz_set_ui(e, (P - 1) / f.p[i]);
        mpz_powm(r, base, e, m);
        assert_int_not_equal(mpz_get_ui(r), 1);
    }
    /* The 2-adicity is exactly 32. */
    assert_int_equal((P - 1) % (1ULL << APEX_GL_TWO_ADICITY), 0);
    assert_int_not_equal(((P - 1) >> APEX_GL_TWO_ADICITY) % 2, 0);
    mpz_clears(base, e, m, r, NULL);

    /* FLINT agrees that x^2 - 7 is irreducible over F_p. */
    nmod_poly_t poly;
    nmod_poly_init(poly, P);
    nmod_poly_set_coeff_ui(poly, 0, P - APEX_GL2_NONRESIDUE);
    nmod_poly_set_coeff_ui(poly, 2, 1);
    assert_true(nmod_poly_is_irreducible(poly));
    nmod_poly_clear(poly);
}

static void test_base_ops_vs_gmp(void **state)
{
    (void)state;
    for (size_t i = 0; i < NEDGE; i++)
        for (size_t j = 0; j < NEDGE; j++)
            check_pair(edge[i], edge[j]);
    apex_rng r;
    apex_rng_seed(&r, 1);
    for (int i = 0; i < RANDOM_PAIRS; i++)
        check_pair(rand_gl(&r), rand_gl(&r));
}

static void test_reduce128_vs_gmp(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 2);
    mpz_t x, hi;
    mpz_inits(x, hi, NULL);
    for (int i = 0; i < RANDOM_PAIRS + (int)(NEDGE * NEDGE); i++) {
        uint64_t lo, h;
        if (i < (int)(NEDGE * NEDGE)) { /* every (edge, edge) as (high word, low word) */
            h = edge[i / NEDGE];
            lo = edge[i % NEDGE];
        } else {
            h = apex_rng_u64(&r);
            lo = apex_rng_u64(&r);
        }
        if (i == 0) /* the largest 128-bit value */
            h = lo = UINT64_MAX;
        unsigned __int128 v = ((unsigned __int128)h << 64) | lo;
        mpz_set_ui(hi, h);
        mpz_mul_2exp(hi, hi, 64);
        mpz_add_ui(x, hi, lo);
        assert_int_equal(apex_gl_reduce128(v), ref_mod(x));
    }
    mpz_clears(x, hi, NULL);
}

static void test_canonical_decoder(void **state)
{
    (void)state;
    apex_gl v = 12345;
    assert_int_equal(apex_gl_from_u64(0, &v), APEX_OK);
    assert_int_equal(v, 0);
    assert_int_equal(apex_gl_from_u64(1, &v), APEX_OK);
    assert_int_equal(v, 1);
    assert_int_equal(apex_gl_from_u64(P - 1, &v), APEX_OK);
    assert_int_equal(v, P - 1);
    assert_int_equal(apex_gl_from_u64(1ULL << 32, &v), APEX_OK);
    assert_int_equal(v, 1ULL << 32);
    v = 99;
    assert_int_equal(apex_gl_from_u64(P, &v), APEX_ERR_RANGE);
    assert_int_equal(apex_gl_from_u64(P + 1, &v), APEX_ERR_RANGE);
    assert_int_equal(apex_gl_from_u64(UINT64_MAX, &v), APEX_ERR_RANGE);
    assert_int_equal(v, 99); /* untouched on rejection */
    /* trusted reductions and signed images */
    assert_int_equal(apex_gl_reduce64(P), 0);
    assert_int_equal(apex_gl_reduce64(UINT64_MAX), APEX_GL_EPS - 1);
    assert_int_equal(apex_gl_from_i64(-1), P - 1);
    assert_int_equal(apex_gl_from_i64(INT64_MIN), P - (1ULL << 63));
    assert_int_equal(apex_gl_from_i64(INT64_MAX), (uint64_t)INT64_MAX);
    assert_int_equal(apex_gl_add(apex_gl_from_i64(-5), 5), 0);
}

static void test_pow_inv_batch(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 3);
    mpz_t b, e, m, z;
    mpz_inits(b, e, m, z, NULL);
    mpz_set_ui(m, P);
    for (int i = 0; i < 500; i++) {
        apex_gl a = i < (int)NEDGE ? edge[i] : rand_gl(&r);
        uint64_t x = apex_rng_u64(&r);
        mpz_set_ui(b, a);
        mpz_set_ui(e, x);
        mpz_powm(z, b, e, m);
        assert_int_equal(apex_gl_pow(a, x), mpz_get_ui(z));
        apex_gl inv = 0;
        if (a == 0) {
            assert_int_equal(apex_gl_inv(a, &inv), APEX_ERR_RANGE);
            continue;
        }
        assert_int_equal(apex_gl_inv(a, &inv), APEX_OK);
        assert_int_not_equal(mpz_invert(z, b, m), 0);
        assert_int_equal(inv, mpz_get_ui(z));
    }
    mpz_clears(b, e, m, z, NULL);

    enum { N = 257 };
    apex_gl in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = 1 + apex_rng_below(&r, P - 1);
    in[5] = P - 1;
    in[6] = 1;
    assert_int_equal(apex_gl_batch_inv(out, in, N), APEX_OK);
    for (int i = 0; i < N; i++) {
        apex_gl want;
        apex_gl_inv(in[i], &want);
        assert_int_equal(out[i], want);
    }
    in[100] = 0;
    assert_int_equal(apex_gl_batch_inv(out, in, N), APEX_ERR_RANGE);
    assert_int_equal(apex_gl_batch_inv(in, in, N), APEX_ERR_INVALID);
    assert_int_equal(apex_gl_batch_inv(in + 1, in, 2), APEX_ERR_INVALID);
    assert_int_equal(apex_gl_batch_inv(out, in, 0), APEX_OK);
}

/* ---------------------------------------------------------------- F_p2 vs fq_nmod */

static void to_fq(fq_nmod_t dst, apex_gl2 a, const fq_nmod_ctx_t ctx)
{
    nmod_poly_t t;
    nmod_poly_init(t, P);
    nmod_poly_set_coeff_ui(t, 0, a.c0);
    nmod_poly_set_coeff_ui(t, 1, a.c1);
    fq_nmod_set_nmod_poly(dst, t, ctx);
    nmod_poly_clear(t);
}

static apex_gl2 from_fq(const fq_nmod_t a, const fq_nmod_ctx_t ctx)
{
    nmod_poly_t t;
    nmod_poly_init(t, P);
    fq_nmod_get_nmod_poly(t, a, ctx);
    apex_gl2 v = apex_gl2_make(nmod_poly_get_coeff_ui(t, 0), nmod_poly_get_coeff_ui(t, 1));
    nmod_poly_clear(t);
    return v;
}

static void assert_gl2_equal(apex_gl2 a, apex_gl2 b)
{
    assert_int_equal(a.c0, b.c0);
    assert_int_equal(a.c1, b.c1);
}

static void test_ext2_vs_flint(void **state)
{
    (void)state;
    nmod_poly_t mod;
    nmod_poly_init(mod, P);
    nmod_poly_set_coeff_ui(mod, 0, P - APEX_GL2_NONRESIDUE);
    nmod_poly_set_coeff_ui(mod, 2, 1);
    fq_nmod_ctx_t ctx;
    fq_nmod_ctx_init_modulus(ctx, mod, "x");
    fq_nmod_t fa, fb, fr;
    fq_nmod_init(fa, ctx);
    fq_nmod_init(fb, ctx);
    fq_nmod_init(fr, ctx);

    apex_rng r;
    apex_rng_seed(&r, 4);
    for (int i = 0; i < 4000; i++) {
        apex_gl2 a, b;
        if (i < (int)(NEDGE * NEDGE)) {
            a = apex_gl2_make(edge[i % NEDGE], edge[i / NEDGE]);
            b = apex_gl2_make(edge[i / NEDGE], edge[(i + 3) % NEDGE]);
        } else {
            a = rand_gl2(&r);
            b = rand_gl2(&r);
        }
        to_fq(fa, a, ctx);
        to_fq(fb, b, ctx);
        fq_nmod_mul(fr, fa, fb, ctx);
        assert_gl2_equal(apex_gl2_mul(a, b), from_fq(fr, ctx));
        fq_nmod_add(fr, fa, fb, ctx);
        assert_gl2_equal(apex_gl2_add(a, b), from_fq(fr, ctx));
        fq_nmod_sub(fr, fa, fb, ctx);
        assert_gl2_equal(apex_gl2_sub(a, b), from_fq(fr, ctx));
        fq_nmod_neg(fr, fa, ctx);
        assert_gl2_equal(apex_gl2_neg(a), from_fq(fr, ctx));
        fq_nmod_mul_ui(fr, fa, b.c0, ctx);
        assert_gl2_equal(apex_gl2_mul_gl(a, b.c0), from_fq(fr, ctx));
        if (i % 8 == 0) {
            uint64_t e = apex_rng_u64(&r);
            fq_nmod_pow_ui(fr, fa, e, ctx);
            assert_gl2_equal(apex_gl2_pow(a, e), from_fq(fr, ctx));
        }
        apex_gl2 inv = apex_gl2_make(5, 5);
        if (apex_gl2_is_zero(a)) {
            assert_int_equal(apex_gl2_inv(a, &inv), APEX_ERR_RANGE);
            continue;
        }
        assert_int_equal(apex_gl2_inv(a, &inv), APEX_OK);
        fq_nmod_inv(fr, fa, ctx);
        assert_gl2_equal(inv, from_fq(fr, ctx));
    }
    /* x^2 = 7 in the extension, and x is not in the base field: x^p = -x (Frobenius). */
    apex_gl2 x = apex_gl2_make(0, 1);
    assert_gl2_equal(apex_gl2_sqr(x), apex_gl2_from_gl(APEX_GL2_NONRESIDUE));
    assert_gl2_equal(apex_gl2_pow(x, P), apex_gl2_make(0, P - 1));

    /* batch inversion */
    enum { N = 65 };
    apex_gl2 in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = rand_gl2(&r);
    in[3] = apex_gl2_make(0, 1);
    in[4] = apex_gl2_make(P - 1, 0);
    assert_int_equal(apex_gl2_batch_inv(out, in, N), APEX_OK);
    for (int i = 0; i < N; i++)
        assert_gl2_equal(apex_gl2_mul(out[i], in[i]), apex_gl2_from_gl(1));
    in[10] = apex_gl2_make(0, 0);
    assert_int_equal(apex_gl2_batch_inv(out, in, N), APEX_ERR_RANGE);
    assert_int_equal(apex_gl2_batch_inv(in, in, N), APEX_ERR_INVALID);

    fq_nmod_clear(fa, ctx);
    fq_nmod_clear(fb, ctx);
    fq_nmod_clear(fr, ctx);
    fq_nmod_ctx_clear(ctx);
    nmod_poly_clear(mod);
}

/* ---------------------------------------------------------------- roots and NTT */

/* Delayed reduction: sums of products kept as integers equal the reduced sums, including
 * runs of the largest elements, where every product carries out of the 128-bit part. */
static void test_gl2_acc(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 77);
    const apex_gl top = APEX_GL_P - 1;
    for (int trial = 0; trial < 200; trial++) {
        apex_gl2_acc s;
        apex_gl2_acc_zero(&s);
        apex_gl2 want = apex_gl2_from_gl(0);
        int n = 1 + (int)apex_rng_below(&r, 3000);
        for (int i = 0; i < n; i++) {
            apex_gl2 a = rand_gl2(&r), b = rand_gl2(&r);
            if (trial % 3 == 0) /* the largest values: a carry on every product */
                a = apex_gl2_make(top, top), b = apex_gl2_make(top, top - (apex_gl)i);
            switch (apex_rng_below(&r, 3)) {
            case 0:
                apex_gl2_acc_mul(&s, a, b);
                want = apex_gl2_add(want, apex_gl2_mul(a, b));
                break;
            case 1:
                apex_gl2_acc_mul_gl(&s, a, b.c1);
                want = apex_gl2_add(want, apex_gl2_mul_gl(a, b.c1));
                break;
            default:
                apex_gl2_acc_add(&s, a);
                want = apex_gl2_add(want, a);
                break;
            }
        }
        assert_gl2_equal(apex_gl2_acc_get(&s), want);
    }
}

static void test_roots_of_unity(void **state)
{
    (void)state;
    mpz_t b, e, m, z;
    mpz_inits(b, e, m, z, NULL);
    mpz_set_ui(m, P);
    mpz_set_ui(b, APEX_GL_GENERATOR);
    mpz_set_ui(e, (P - 1) >> 32);
    mpz_powm(z, b, e, m);
    assert_int_equal(apex_gl_root_of_unity(32), mpz_get_ui(z));
    mpz_clears(b, e, m, z, NULL);
    for (unsigned k = 1; k <= APEX_GL_TWO_ADICITY; k++) {
        apex_gl w = apex_gl_root_of_unity(k);
        /* order exactly 2^k: w^(2^(k-1)) = -1 */
        assert_int_equal(apex_gl_pow(w, 1ULL << (k - 1)), P - 1);
        assert_int_equal(apex_gl_sqr(w), apex_gl_root_of_unity(k - 1));
    }
    assert_int_equal(apex_gl_root_of_unity(0), 1);
    assert_int_equal(apex_gl_root_of_unity(33), 0);
}

/* FLINT Horner evaluation of a[0..n) at x. */
static apex_gl flint_eval(const apex_gl *a, size_t n, apex_gl x)
{
    nmod_poly_t poly;
    nmod_poly_init(poly, P);
    for (size_t j = 0; j < n; j++)
        nmod_poly_set_coeff_ui(poly, (slong)j, a[j]);
    apex_gl v = nmod_poly_evaluate_nmod(poly, x);
    nmod_poly_clear(poly);
    return v;
}

static void test_ntt_vs_naive(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 5);
    /* up to 2^11: from 2^10 on the bit reversal runs by tiles */
    for (unsigned log_n = 0; log_n <= 11; log_n++) {
        size_t n = (size_t)1 << log_n;
        apex_ntt *plan = apex_ntt_new(log_n);
        assert_non_null(plan);
        assert_int_equal(apex_ntt_size(plan), n);
        apex_gl *a = calloc(n, sizeof *a), *orig = calloc(n, sizeof *a);
        for (size_t j = 0; j < n; j++)
            orig[j] = a[j] = j < NEDGE ? edge[j] : rand_gl(&r);
        nmod_poly_t poly;
        nmod_poly_init(poly, P);
        for (size_t j = 0; j < n; j++)
            nmod_poly_set_coeff_ui(poly, (slong)j, orig[j]);
        apex_gl w = apex_gl_root_of_unity(log_n);

        apex_ntt_forward(plan, a);
        apex_gl x = 1;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(a[i], nmod_poly_evaluate_nmod(poly, x));
            x = apex_gl_mul(x, w);
        }
        apex_ntt_inverse(plan, a);
        assert_memory_equal(a, orig, n * sizeof *a);

        /* coset: evaluations at 7 w^i */
        assert_int_equal(apex_ntt_coset_forward(plan, a, APEX_GL_GENERATOR), APEX_OK);
        x = APEX_GL_GENERATOR;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(a[i], nmod_poly_evaluate_nmod(poly, x));
            x = apex_gl_mul(x, w);
        }
        assert_int_equal(apex_ntt_coset_inverse(plan, a, APEX_GL_GENERATOR), APEX_OK);
        assert_memory_equal(a, orig, n * sizeof *a);
        assert_int_equal(apex_ntt_coset_forward(plan, a, 0), APEX_ERR_RANGE);
        assert_int_equal(apex_ntt_coset_inverse(plan, a, 0), APEX_ERR_RANGE);
        assert_memory_equal(a, orig, n * sizeof *a);

        nmod_poly_clear(poly);
        free(a);
        free(orig);
        apex_ntt_destroy(&plan);
        assert_null(plan);
    }
    assert_null(apex_ntt_new(APEX_NTT_MAX_LOG + 1));
}

static void test_ntt_large_spot_checks(void **state)
{
    (void)state;
    const unsigned log_n = 16;
    size_t n = (size_t)1 << log_n;
    apex_rng r;
    apex_rng_seed(&r, 6);
    apex_ntt *plan = apex_ntt_new(log_n);
    assert_non_null(plan);
    apex_gl *a = calloc(n, sizeof *a), *orig = calloc(n, sizeof *a);
    for (size_t j = 0; j < n; j++)
        orig[j] = a[j] = rand_gl(&r);
    apex_ntt_forward(plan, a);
    apex_gl w = apex_gl_root_of_unity(log_n);
    for (int t = 0; t < 8; t++) {
        size_t i = t < 2 ? (size_t)t * (n - 1) : apex_rng_below(&r, n);
        assert_int_equal(a[i], flint_eval(orig, n, apex_gl_pow(w, i)));
    }
    apex_ntt_inverse(plan, a);
    assert_memory_equal(a, orig, n * sizeof *a);
    /* a polynomial of degree < n/4 is a Reed-Solomon codeword: after coset-extending its
     * n/4 coefficients, the inverse coset NTT has zero top coefficients */
    memset(a + n / 4, 0, (n - n / 4) * sizeof *a);
    assert_int_equal(apex_ntt_coset_forward(plan, a, APEX_GL_GENERATOR), APEX_OK);
    assert_int_equal(a[5], flint_eval(orig, n / 4, apex_gl_mul(7, apex_gl_pow(w, 5))));
    assert_int_equal(apex_ntt_coset_inverse(plan, a, APEX_GL_GENERATOR), APEX_OK);
    for (size_t j = n / 4; j < n; j++)
        assert_int_equal(a[j], 0);
    assert_memory_equal(a, orig, (n / 4) * sizeof *a);
    free(a);
    free(orig);
    apex_ntt_destroy(&plan);
}

/* A plan of 2^log_n and two buffers of its length (the SIMD comparison tests). */
static apex_ntt *plan_and_pair(unsigned log_n, apex_gl **a, apex_gl **b)
{
    apex_ntt *plan = apex_ntt_new(log_n);
    assert_non_null(plan);
    *a = calloc(apex_ntt_size(plan), sizeof **a);
    *b = calloc(apex_ntt_size(plan), sizeof **b);
    assert_non_null(*a);
    assert_non_null(*b);
    return plan;
}

static void free_plan_and_pair(apex_ntt *plan, apex_gl *a, apex_gl *b)
{
    free(a);
    free(b);
    apex_ntt_destroy(&plan);
}

/* The vector kernels (AVX-512 and AVX2, whichever the CPU has) are bit-identical to the
 * scalar loops: every product of two edge values through each vector multiply, then whole
 * transforms with the kernels on (the widest level) and off. */
static void test_ntt_simd_matches_scalar(void **state)
{
    (void)state;
    int level = apex_ntt_simd_level();
    if (!level) {
        print_message("no AVX2 or AVX-512 on this CPU: the scalar path is the only path\n");
        return;
    }
    apex_rng r;
    apex_rng_seed(&r, 9);
    apex_gl v[NEDGE * 8];
    for (size_t i = 0; i < NEDGE; i++) {
        for (size_t k = 0; k < NEDGE * 8; k++)
            v[k] = k < NEDGE ? edge[k] : rand_gl(&r);
        apex_gl want[NEDGE * 8], v2[NEDGE * 8], pw[NEDGE * 8], x = 1;
        for (size_t k = 0; k < NEDGE * 8; k++, x = apex_gl_mul(x, edge[i])) {
            want[k] = apex_gl_mul(v[k], edge[i]);
            pw[k] = apex_gl_mul(v[k], x);
        }
        memcpy(v2, v, sizeof v2);
        if (apex_ntt_cpu_has_avx2()) { /* the four-lane kernels, also on AVX-512 CPUs */
            apex_gl v3[NEDGE * 8];
            memcpy(v3, v, sizeof v3);
            apex_gl_scale_avx2(v3, NEDGE * 8 - 1, edge[i]); /* and a scalar tail */
            v3[NEDGE * 8 - 1] = want[NEDGE * 8 - 1];
            assert_memory_equal(v3, want, sizeof want);
            memcpy(v3, v, sizeof v3);
            apex_gl_scale_powers_avx2(v3, NEDGE * 8, edge[i]);
            assert_memory_equal(v3, pw, sizeof pw);
        }
        if (level == APEX_NTT_SIMD_AVX512) {
            apex_gl_scale_avx512(v2, NEDGE * 8, edge[i]);
            assert_memory_equal(v2, want, sizeof want);
        }
        if (apex_ntt_cpu_has_avx2()) { /* one AVX2 butterfly stage against the scalar one */
            apex_gl st[NEDGE * 8], ref[NEDGE * 8], w[NEDGE * 4];
            size_t n = NEDGE * 8 / 8 * 8, h = n / 2 / 4 * 4;
            for (size_t k = 0; k < h; k++)
                w[k] = k < NEDGE ? edge[(k + i) % NEDGE] : rand_gl(&r);
            memcpy(st, v, sizeof st);
            memcpy(ref, v, sizeof ref);
            for (size_t k = 0; k < h; k++) {
                apex_gl t = apex_gl_mul(ref[h + k], w[k]);
                ref[h + k] = apex_gl_sub(ref[k], t);
                ref[k] = apex_gl_add(ref[k], t);
            }
            apex_ntt_stage_avx2(st, 2 * h, h, w);
            assert_memory_equal(st, ref, 2 * h * sizeof *st);
            /* the first two stages in one kernel (twiddles 1 for h = 1; 1, w_4 for h = 2),
             * which AVX-512 CPUs never reach through a plan */
            const apex_gl tw[4] = {0, 1, 1, apex_gl_root_of_unity(2)};
            memcpy(st, v, sizeof st);
            memcpy(ref, v, sizeof ref);
            for (size_t hh = 1; hh <= 2; hh *= 2)
                for (size_t blk = 0; blk < NEDGE * 8; blk += 2 * hh)
                    for (size_t k = 0; k < hh; k++) {
                        apex_gl t = apex_gl_mul(ref[blk + hh + k], tw[hh + k]);
                        ref[blk + hh + k] = apex_gl_sub(ref[blk + k], t);
                        ref[blk + k] = apex_gl_add(ref[blk + k], t);
                    }
            apex_ntt_first2_avx2(st, NEDGE * 8, tw);
            assert_memory_equal(st, ref, sizeof ref);
        }
    }
    for (unsigned log_n = 0; log_n <= 16; log_n++) {
        size_t n = (size_t)1 << log_n;
        apex_gl *a, *b;
        apex_ntt *plan = plan_and_pair(log_n, &a, &b);
        for (size_t j = 0; j < n; j++)
            a[j] = b[j] = j < NEDGE ? edge[NEDGE - 1 - j] : rand_gl(&r);
        assert_int_equal(apex_ntt_set_simd(plan, 1), level);
        apex_ntt_forward(plan, a);
        assert_int_equal(apex_ntt_coset_forward(plan, a, APEX_GL_GENERATOR), APEX_OK);
        apex_ntt_inverse(plan, a);
        assert_int_equal(apex_ntt_coset_inverse(plan, a, 3), APEX_OK);
        assert_int_equal(apex_ntt_set_simd(plan, 0), 0);
        apex_ntt_forward(plan, b);
        assert_int_equal(apex_ntt_coset_forward(plan, b, APEX_GL_GENERATOR), APEX_OK);
        apex_ntt_inverse(plan, b);
        assert_int_equal(apex_ntt_coset_inverse(plan, b, 3), APEX_OK);
        assert_memory_equal(a, b, n * sizeof *a);
        for (size_t j = 0; j < n; j++)
            assert_true(a[j] < APEX_GL_P);
        free_plan_and_pair(plan, a, b);
    }
}

/* The padded coset transform equals zeroing the tail and transforming, for every padding
 * factor, with the vector kernels on and off; bad sizes and a zero shift are refused. */
static void test_ntt_coset_padded(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 10);
    for (unsigned log_n = 0; log_n <= 16; log_n++) {
        size_t n = (size_t)1 << log_n;
        apex_gl *a, *b;
        apex_ntt *plan = plan_and_pair(log_n, &a, &b);
        for (int simd = 0; simd <= 1; simd++) {
            apex_ntt_set_simd(plan, simd);
            for (size_t nb = 1; nb <= n; nb *= 2) {
                for (size_t j = 0; j < n; j++) {
                    a[j] = j < nb ? (j < NEDGE ? edge[j] : rand_gl(&r)) : rand_gl(&r);
                    b[j] = j < nb ? a[j] : 0;
                }
                assert_int_equal(apex_ntt_coset_forward_padded(plan, a, nb, APEX_GL_GENERATOR),
                                 APEX_OK);
                assert_int_equal(apex_ntt_coset_forward(plan, b, APEX_GL_GENERATOR), APEX_OK);
                assert_memory_equal(a, b, n * sizeof *a);
            }
        }
        assert_int_equal(apex_ntt_coset_forward_padded(plan, a, 0, 7), APEX_ERR_RANGE);
        assert_int_equal(apex_ntt_coset_forward_padded(plan, a, 2 * n, 7), APEX_ERR_RANGE);
        assert_int_equal(apex_ntt_coset_forward_padded(plan, a, n, 0), APEX_ERR_RANGE);
        if (n >= 4)
            assert_int_equal(apex_ntt_coset_forward_padded(plan, a, 3, 7), APEX_ERR_RANGE);
        free_plan_and_pair(plan, a, b);
    }
}

/* ---------------------------------------------------------------- MLE */

static void test_mle(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 7);
    for (unsigned k = 0; k <= 9; k++) {
        size_t n = (size_t)1 << k;
        apex_gl2 pt[APEX_MLE_MAX_VARS], eq[512], sum = apex_gl2_from_gl(0);
        for (unsigned i = 0; i < k; i++)
            pt[i] = rand_gl2(&r);
        assert_int_equal(apex_mle_eq(eq, pt, k), APEX_OK);
        for (size_t b = 0; b < n; b++) {
            sum = apex_gl2_add(sum, eq[b]);
            /* eq(r, b) from the table equals the product formula at the boolean point b */
            apex_gl2 bp[APEX_MLE_MAX_VARS];
            for (unsigned i = 0; i < k; i++)
                bp[i] = apex_gl2_from_gl((b >> i) & 1);
            assert_gl2_equal(eq[b], apex_mle_eq_point(pt, bp, k));
        }
        assert_gl2_equal(sum, apex_gl2_from_gl(1)); /* the eq table is a partition of one */

        apex_gl f[512];
        apex_gl2 fe[512], v, want = apex_gl2_from_gl(0);
        for (size_t b = 0; b < n; b++) {
            f[b] = b < NEDGE ? edge[b] : rand_gl(&r);
            fe[b] = rand_gl2(&r);
            want = apex_gl2_add(want, apex_gl2_mul_gl(eq[b], f[b]));
        }
        assert_int_equal(apex_mle_eval_gl(f, k, pt, &v), APEX_OK);
        assert_gl2_equal(v, want);
        /* at a boolean point the extension is the table entry */
        size_t b0 = n - 1 - (n > 2 ? 1 : 0);
        apex_gl2 bp[APEX_MLE_MAX_VARS];
        for (unsigned i = 0; i < k; i++)
            bp[i] = apex_gl2_from_gl((b0 >> i) & 1);
        assert_int_equal(apex_mle_eval_gl(f, k, bp, &v), APEX_OK);
        assert_gl2_equal(v, apex_gl2_from_gl(f[b0]));
        assert_int_equal(apex_mle_eval_gl2(fe, k, bp, &v), APEX_OK);
        assert_gl2_equal(v, fe[b0]);
        if (k == 0)
            continue;
        /* folding variable 0 at pt[0], then evaluating at pt[1..], gives f~(pt) */
        apex_gl2 folded[256], v2;
        assert_int_equal(apex_mle_fold_gl(folded, f, n, pt[0]), APEX_OK);
        assert_int_equal(apex_mle_eval_gl2(folded, k - 1, pt + 1, &v2), APEX_OK);
        assert_gl2_equal(v2, want);
        assert_int_equal(apex_mle_eval_gl2(fe, k, pt, &v), APEX_OK);
        for (unsigned i = 0; i < k; i++)
            assert_int_equal(apex_mle_fold_gl2(fe, n >> i, pt[i]), APEX_OK);
        assert_gl2_equal(fe[0], v);
    }
    apex_gl2 dummy[2] = {{0, 0}, {0, 0}};
    assert_int_equal(apex_mle_fold_gl2(dummy, 3, dummy[0]), APEX_ERR_INVALID);
    assert_int_equal(apex_mle_fold_gl2(dummy, 0, dummy[0]), APEX_ERR_INVALID);
    assert_int_equal(apex_mle_eq(dummy, dummy, APEX_MLE_MAX_VARS + 1), APEX_ERR_TOO_LARGE);
}

/* Tables from 2^14 entries are built in parts on both threads: every entry of a 2^15 table
 * equals the product formula, the halves differ, and the table sums to one. */
static void test_mle_eq_large(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 11);
    enum { K = 15 };
    size_t n = (size_t)1 << K;
    apex_gl2 pt[K], *eq = calloc(n, sizeof *eq), sum = apex_gl2_from_gl(0);
    assert_non_null(eq);
    for (unsigned i = 0; i < K; i++)
        pt[i] = rand_gl2(&r);
    assert_int_equal(apex_mle_eq(eq, pt, K), APEX_OK);
    for (size_t b = 0; b < n; b++) {
        sum = apex_gl2_add(sum, eq[b]);
        if (b % 97 && b != n / 2 - 1 && b != n / 2 && b != n - 1)
            continue; /* the product formula is O(K): a spread of entries and both edges */
        apex_gl2 bp[K];
        for (unsigned i = 0; i < K; i++)
            bp[i] = apex_gl2_from_gl((b >> i) & 1);
        assert_gl2_equal(eq[b], apex_mle_eq_point(pt, bp, K));
    }
    assert_gl2_equal(sum, apex_gl2_from_gl(1));
    free(eq);

    /* evaluations from 2^16 entries are summed on both threads: the same value as the
     * eq-weighted sum, for a base and an extension table */
    enum { K2 = 16 };
    size_t n2 = (size_t)1 << K2;
    apex_gl2 pt2[K2], *eq2 = calloc(n2, sizeof *eq2), *fe = calloc(n2, sizeof *fe);
    apex_gl *fb = calloc(n2, sizeof *fb);
    assert_non_null(eq2);
    assert_non_null(fe);
    assert_non_null(fb);
    for (unsigned i = 0; i < K2; i++)
        pt2[i] = rand_gl2(&r);
    assert_int_equal(apex_mle_eq(eq2, pt2, K2), APEX_OK);
    apex_gl2 wb = apex_gl2_from_gl(0), we = apex_gl2_from_gl(0), v;
    for (size_t b = 0; b < n2; b++) {
        fb[b] = rand_gl(&r);
        fe[b] = rand_gl2(&r);
        wb = apex_gl2_add(wb, apex_gl2_mul_gl(eq2[b], fb[b]));
        we = apex_gl2_add(we, apex_gl2_mul(eq2[b], fe[b]));
    }
    assert_int_equal(apex_mle_eval_gl(fb, K2, pt2, &v), APEX_OK);
    assert_gl2_equal(v, wb);
    assert_int_equal(apex_mle_eval_gl2(fe, K2, pt2, &v), APEX_OK);
    assert_gl2_equal(v, we);
    free(eq2);
    free(fe);
    free(fb);
}

/* A 128-bit integer as an mpz. */
static void mpz_set_u128(mpz_t z, unsigned __int128 v)
{
    mpz_set_ui(z, (unsigned long)(uint64_t)(v >> 64));
    mpz_mul_2exp(z, z, 64);
    mpz_add_ui(z, z, (unsigned long)(uint64_t)v);
}

/* apex_i8_rows_dot and apex_i8_cols_dot, vector and plain paths, against GMP sums of
 * c_k (g + 128): random int8 with the extremes -128 and 127, coordinates from the edge values
 * and random canonical ones, lengths that take the vector path (multiples of 4 or 8) and
 * lengths that do not. */
static void test_i8dot(void **state)
{
    (void)state;
    apex_rng r;
    apex_rng_seed(&r, 4242);
    /* APEX_I8DOT_VEC_MAX + 8: past the vector path's limit, the plain loops (rows of that
     * length, and columns over that many rows) */
    const size_t lens[] = {4, 8, 12, 24, 256, 1000, 3, APEX_I8DOT_VEC_MAX + 8};
    const size_t nrows[] = {1, 5, 64, APEX_I8DOT_VEC_MAX + 8};
    mpz_t want, got, t;
    mpz_inits(want, got, t, NULL);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (size_t ri = 0; ri < sizeof nrows / sizeof nrows[0]; ri++) {
            size_t len = lens[li], nrow = nrows[ri];
            if (len * nrow > (size_t)1 << 20)
                continue; /* one long dimension at a time, with short others */
            int8_t *g = malloc(nrow * len);
            apex_gl2 *c = malloc(len * sizeof *c), *e = malloc(nrow * sizeof *e);
            unsigned __int128(*acc)[2] = malloc((len > nrow ? len : nrow) * sizeof *acc);
            assert_non_null(g);
            assert_non_null(c);
            assert_non_null(e);
            assert_non_null(acc);
            for (size_t i = 0; i < nrow * len; i++) {
                uint64_t v = apex_rng_u64(&r);
                g[i] = (int8_t)(v % 5 == 0 ? -128 : v % 5 == 1 ? 127 : (int)(v & 0xff) - 128);
            }
            for (size_t q = 0; q < len + nrow; q++) {
                uint64_t v = apex_rng_u64(&r) % 3;
                apex_gl x0 = v == 0 ? edge[apex_rng_u64(&r) % NEDGE] : apex_rng_u64(&r) % P;
                apex_gl x1 = v == 1 ? P - 1 : apex_rng_u64(&r) % P;
                if (q < len)
                    c[q] = apex_gl2_make(x0, x1);
                else
                    e[q - len] = apex_gl2_make(x0, x1);
            }
            for (int simd = 1; simd >= 0; simd--) {
                apex_i8dot_set_simd(simd);
                apex_i8_rows_dot(g, nrow, len, c, acc);
                for (size_t i = 0; i < nrow; i++)
                    for (int k = 0; k < 2; k++) {
                        mpz_set_ui(want, 0);
                        for (size_t q = 0; q < len; q++) {
                            mpz_set_ui(t, (unsigned long)(k ? c[q].c1 : c[q].c0));
                            mpz_mul_ui(t, t, (unsigned long)(g[i * len + q] + 128));
                            mpz_add(want, want, t);
                        }
                        mpz_set_u128(got, acc[i][k]);
                        assert_int_equal(mpz_cmp(want, got), 0);
                    }
                apex_i8_cols_dot(g, nrow, len, e, acc);
                for (size_t q = 0; q < len; q++)
                    for (int k = 0; k < 2; k++) {
                        mpz_set_ui(want, 0);
                        for (size_t i = 0; i < nrow; i++) {
                            mpz_set_ui(t, (unsigned long)(k ? e[i].c1 : e[i].c0));
                            mpz_mul_ui(t, t, (unsigned long)(g[i * len + q] + 128));
                            mpz_add(want, want, t);
                        }
                        mpz_set_u128(got, acc[q][k]);
                        assert_int_equal(mpz_cmp(want, got), 0);
                    }
            }
            apex_i8dot_set_simd(1);
            free(g);
            free(c);
            free(e);
            free(acc);
        }
    mpz_clears(want, got, t, NULL);
}

/* apex_gl_mul7 (inside apex_gl2_mul) against apex_gl_mul(b, 7), on the values where
 * 7 b = lo + 2^64 hi has lo + hi (2^32 - 1) wrap past 2^64 (b just below (h + 1) 2^64 / 7,
 * h = 1..5; random values almost never do), on the edges, and through apex_gl2_mul. */
static void test_mul7_wrap(void **state)
{
    (void)state;
    int wrapped = 0;
    for (unsigned h = 1; h <= 5; h++)
        for (uint64_t j = 0; j < 64; j++) {
            unsigned __int128 top = ((unsigned __int128)(h + 1) << 64) / 7;
            uint64_t b = (uint64_t)top - j;
            if (b >= P)
                continue;
            unsigned __int128 t = (unsigned __int128)b * 7;
            uint64_t lo = (uint64_t)t, hi = (uint64_t)(t >> 64);
            wrapped += lo + hi * APEX_GL_EPS < lo;
            assert_int_equal(apex_gl_mul7(b), apex_gl_mul(b, 7));
            apex_gl2 x = apex_gl2_make(P - 1 - j, 3 + j), y = apex_gl2_make(j, b);
            apex_gl2 z = apex_gl2_mul(x, y);
            /* x0 y0 + 7 x1 y1 and x0 y1 + x1 y0 with the base field's own operations */
            assert_int_equal(z.c0, apex_gl_add(apex_gl_mul(x.c0, y.c0),
                                               apex_gl_mul(7, apex_gl_mul(x.c1, y.c1))));
            assert_int_equal(z.c1, apex_gl_add(apex_gl_mul(x.c0, y.c1), apex_gl_mul(x.c1, y.c0)));
        }
    assert_true(wrapped > 0); /* the wrap branch was taken */
    for (size_t i = 0; i < NEDGE; i++)
        assert_int_equal(apex_gl_mul7(edge[i] % P), apex_gl_mul(edge[i] % P, 7));
}

/* apex_gl2_lerp against v0 + r (v1 - v0) from apex_gl2_mul, on the edge values and random
 * ones; both carries of its first coordinate (out of d0 r0 + d1 7 r1, and out of adding v0)
 * are reached. */
static void test_gl2_lerp(void **state)
{
    (void)state;
    apex_rng rng;
    apex_rng_seed(&rng, 4343);
    int carry_prod = 0, carry_v0 = 0;
    for (size_t n = 0; n < 4 * NEDGE * NEDGE + RANDOM_PAIRS; n++) {
        uint64_t e[4];
        for (int k = 0; k < 4; k++)
            e[k] = n < 4 * NEDGE * NEDGE && k < 2 ? edge[(n / (k ? NEDGE : 1)) % NEDGE] % P
                                                  : apex_rng_u64(&rng) % P;
        apex_gl2 v0 = apex_gl2_make(e[0], n % 2 ? e[1] : P - 1);
        apex_gl2 v1 = apex_gl2_make(n % 3 ? 0 : e[2], e[3] % 2 ? 0 : e[1]);
        apex_gl2 r = apex_gl2_make(n % 4 < 2 ? P - 1 : e[3], n % 4 == 1 ? P - 1 : e[2]);
        apex_gl2 want = apex_gl2_add(v0, apex_gl2_mul(r, apex_gl2_sub(v1, v0)));
        apex_gl2 got = apex_gl2_lerp(v0, v1, r, apex_gl_mul7(r.c1));
        assert_int_equal(got.c0, want.c0);
        assert_int_equal(got.c1, want.c1);
        apex_gl d0 = apex_gl_sub(v1.c0, v0.c0), d1 = apex_gl_sub(v1.c1, v0.c1);
        unsigned __int128 p = (unsigned __int128)d0 * r.c0;
        unsigned __int128 s = p + (unsigned __int128)d1 * apex_gl_mul7(r.c1);
        carry_prod += s < p;
        carry_v0 += s + v0.c0 < s;
    }
    /* built cases for the second carry (random values almost never reach it): d0 = r0 =
     * p - 1 and d1 chosen so that d0 r0 + d1 7 r1 lies just below 2^128 - 2^62, then v0's
     * first coordinate 2^63 carries it past 2^128 */
    for (uint64_t r1 = 3; r1 < 3 + 64; r1++) {
        apex_gl r7 = apex_gl_mul7(r1 << 40);
        unsigned __int128 a = (unsigned __int128)(P - 1) * (P - 1);
        unsigned __int128 t = ~(unsigned __int128)0 - ((unsigned __int128)1 << 62) - a + 1;
        unsigned __int128 d1 = (t + r7 - 1) / r7;
        if (d1 >= P)
            continue;
        apex_gl2 v0 = apex_gl2_make(1ULL << 63, 5), r = apex_gl2_make(P - 1, r1 << 40);
        apex_gl2 v1 = apex_gl2_make((1ULL << 63) - 1, apex_gl_add(5, (apex_gl)d1));
        apex_gl2 want = apex_gl2_add(v0, apex_gl2_mul(r, apex_gl2_sub(v1, v0)));
        apex_gl2 got = apex_gl2_lerp(v0, v1, r, r7);
        assert_int_equal(got.c0, want.c0);
        assert_int_equal(got.c1, want.c1);
        unsigned __int128 sum = a + d1 * r7;
        carry_v0 += sum + v0.c0 < sum;
    }
    assert_true(carry_prod > 0);
    assert_true(carry_v0 > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_base_ops_vs_gmp),
        cmocka_unit_test(test_reduce128_vs_gmp),
        cmocka_unit_test(test_canonical_decoder),
        cmocka_unit_test(test_pow_inv_batch),
        cmocka_unit_test(test_ext2_vs_flint),
        cmocka_unit_test(test_gl2_acc),
        cmocka_unit_test(test_roots_of_unity),
        cmocka_unit_test(test_ntt_vs_naive),
        cmocka_unit_test(test_ntt_large_spot_checks),
        cmocka_unit_test(test_ntt_simd_matches_scalar),
        cmocka_unit_test(test_ntt_coset_padded),
        cmocka_unit_test(test_mle),
        cmocka_unit_test(test_mle_eq_large),
        cmocka_unit_test(test_i8dot),
        cmocka_unit_test(test_mul7_wrap),
        cmocka_unit_test(test_gl2_lerp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
