/* `apex bench field`: micro-benchmarks of the proof system's primitives, one JSON object.
 *
 *   gl_mul_ns            Goldilocks multiplication, dependent chain (latency), in cache
 *   gl2_mul_ns           F_p2 multiplication, dependent chain
 *   ntt_2_20_ms          in-place forward NTT of 2^20 elements (plan built beforehand)
 *   merkle_leaves_per_s  salted leaf hashes of 64-byte columns plus the tree above them
 *   ligero_*             one commitment at the design's row length (BLOCK = 2^15, NREQ =
 *                        189, pads for K_max + 1 = 9 openings): commit ns per witness
 *                        entry, joint proof (one linear constraint) and verify, in ms
 *
 * Wiring: cmd_bench.c dispatches to bench_field(); this file only adds the function. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "zk/field.h"
#include "zk/ligero.h"
#include "zk/merkle.h"
#include "zk/ntt.h"

/* Iteration counts: long enough to dwarf timer resolution, short enough for CI (~1 s). */
#define BENCH_MUL_ITERS    (1u << 24)
#define BENCH_NTT_LOG      20u
#define BENCH_NTT_REPS     3u
#define BENCH_MERKLE_LOG   16u
#define BENCH_COLUMN_BYTES 64u
#define BENCH_LIGERO_LOG   15u /* BLOCK of the design (PROOF.md 5.1) */
#define BENCH_LIGERO_ROWS  16u /* witness rows: about 5 * 10^5 entries */

static double bench_gl_mul(void)
{
    apex_gl x = 0x123456789abcdefULL, y = 0xfedcba987654321ULL % APEX_GL_P;
    double t0 = apex_now_s();
    for (unsigned i = 0; i < BENCH_MUL_ITERS; i++)
        x = apex_gl_mul(x, y);
    double dt = apex_now_s() - t0;
    volatile apex_gl sink = x; /* keep the chain alive */
    (void)sink;
    return dt * 1e9 / BENCH_MUL_ITERS;
}

static double bench_gl2_mul(void)
{
    apex_gl2 x = apex_gl2_make(12345, 67890), y = apex_gl2_make(0xdeadbeefULL, 0xfeedfaceULL);
    double t0 = apex_now_s();
    for (unsigned i = 0; i < BENCH_MUL_ITERS / 4; i++)
        x = apex_gl2_mul(x, y);
    double dt = apex_now_s() - t0;
    volatile apex_gl sink = x.c0 ^ x.c1;
    (void)sink;
    return dt * 1e9 / (BENCH_MUL_ITERS / 4);
}

static int bench_ntt(double *ms)
{
    apex_ntt *plan = apex_ntt_new(BENCH_NTT_LOG);
    size_t n = (size_t)1 << BENCH_NTT_LOG;
    apex_gl *a = apex_calloc_n(n, sizeof *a);
    if (!plan || !a) {
        apex_ntt_destroy(&plan);
        free(a);
        return APEX_ERR_NOMEM;
    }
    apex_rng rng;
    apex_rng_seed(&rng, 1);
    for (size_t i = 0; i < n; i++)
        a[i] = apex_rng_below(&rng, APEX_GL_P);
    double best = 1e30;
    for (unsigned r = 0; r < BENCH_NTT_REPS; r++) {
        double t0 = apex_now_s();
        apex_ntt_forward(plan, a);
        double dt = apex_now_s() - t0;
        best = dt < best ? dt : best;
    }
    *ms = best * 1e3;
    apex_ntt_destroy(&plan);
    free(a);
    return APEX_OK;
}

static int bench_merkle(double *per_s)
{
    size_t n = (size_t)1 << BENCH_MERKLE_LOG;
    apex_merkle *t = apex_merkle_new(n);
    if (!t)
        return APEX_ERR_NOMEM;
    uint8_t salt[APEX_MERKLE_SALT_LEN] = {0}, col[BENCH_COLUMN_BYTES] = {0};
    apex_hash leaf, root;
    int rc = APEX_OK;
    double t0 = apex_now_s();
    for (size_t j = 0; j < n && rc == APEX_OK; j++) {
        col[0] = (uint8_t)j;
        rc = apex_merkle_leaf_hash(salt, col, sizeof col, &leaf);
        if (rc == APEX_OK)
            rc = apex_merkle_set_leaf(t, j, &leaf);
    }
    if (rc == APEX_OK)
        rc = apex_merkle_build(t, &root);
    double dt = apex_now_s() - t0;
    apex_merkle_destroy(&t);
    *per_s = (double)n / dt;
    return rc;
}

/* Commit, prove and verify one commitment; times in ns per entry and ms. */
static int bench_ligero(double *commit_ns, double *prove_ms, double *verify_ms)
{
    const apex_ligero_params p = {BENCH_LIGERO_LOG, (APEX_LIGERO_KMAX + 1) * APEX_LIGERO_NREQ,
                                  APEX_LIGERO_NREQ, BENCH_LIGERO_ROWS};
    apex_ligero_dims d;
    if (apex_ligero_dims_of(&p, &d, NULL) != APEX_OK)
        return APEX_ERR_INTERNAL;
    apex_gl *w = apex_calloc_n(d.nw, sizeof *w);
    if (!w)
        return APEX_ERR_NOMEM;
    apex_rng rng;
    apex_rng_seed(&rng, 3);
    for (size_t i = 0; i < d.nw; i++)
        w[i] = apex_rng_below(&rng, 256); /* int8-like entries */
    apex_ligero_term term = {0, d.nw - 1, 1};
    apex_ligero_constraints cons = {&term, 1, 1, NULL, 0, NULL, 0};
    apex_gl b = w[d.nw - 1];
    apex_hash root;
    apex_ligero_proof pf;
    int rc = APEX_ERR_NOMEM;
    double t0 = apex_now_s();
    apex_ligero_commitment *c = apex_ligero_commit(&p, w, d.nw, NULL, &root, NULL);
    double t1 = apex_now_s();
    apex_transcript *tp = apex_transcript_new("bench"), *tv = apex_transcript_new("bench");
    if (c && tp && tv) {
        rc = apex_ligero_prove(&c, 1, tp, &cons, NULL, &pf, NULL);
        double t2 = apex_now_s();
        if (rc == APEX_OK) {
            rc = apex_ligero_verify(&p, &root, 1, tv, &cons, &b, NULL, &pf, NULL);
            double t3 = apex_now_s();
            apex_ligero_proof_free(&pf);
            *commit_ns = (t1 - t0) * 1e9 / (double)d.nw;
            *prove_ms = (t2 - t1) * 1e3;
            *verify_ms = (t3 - t2) * 1e3;
        }
    }
    apex_transcript_destroy(&tp);
    apex_transcript_destroy(&tv);
    apex_ligero_commitment_destroy(&c);
    free(w);
    return rc;
}

int bench_field(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: apex bench field\n"
               "prints {\"gl_mul_ns\", \"gl2_mul_ns\", \"ntt_2_20_ms\", "
               "\"merkle_leaves_per_s\"} as one JSON object\n");
        return 0;
    }
    double ntt_ms = 0, leaves = 0, commit_ns = 0, prove_ms = 0, verify_ms = 0;
    double mul = bench_gl_mul(), mul2 = bench_gl2_mul();
    int rc = bench_ntt(&ntt_ms);
    if (rc == APEX_OK)
        rc = bench_merkle(&leaves);
    if (rc == APEX_OK)
        rc = bench_ligero(&commit_ns, &prove_ms, &verify_ms);
    if (rc != APEX_OK) {
        fprintf(stderr, "bench field: %s\n", apex_strerror(rc));
        return 4; /* runtime failure, as APEX_EXIT_RUNTIME */
    }
    printf("{\"bench\":\"field\",\"gl_mul_ns\":%.3f,\"gl2_mul_ns\":%.3f,\"ntt_2_20_ms\":%.2f,"
           "\"merkle_leaves_per_s\":%.0f,\"merkle_column_bytes\":%u,"
           "\"ligero_block_log\":%u,\"ligero_rows\":%u,\"ligero_commit_ns_per_entry\":%.1f,"
           "\"ligero_prove_ms\":%.1f,\"ligero_verify_ms\":%.1f}\n",
           mul, mul2, ntt_ms, leaves, BENCH_COLUMN_BYTES, BENCH_LIGERO_LOG, BENCH_LIGERO_ROWS,
           commit_ns, prove_ms, verify_ms);
    return 0;
}
