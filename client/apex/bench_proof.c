/* `apex bench proof`: the compliance (unlearning) proof of zk/compliance.h on a synthetic
 * layer, one JSON object.
 *
 *   apex bench proof [--d D] [--n N] [--b B] [--density R] [--runs K] [--json]
 *
 *   commit_s           C_G + C_w(e) + C_w(e+1) commitments (median)
 *   prove_s, verify_s  one unlearning proof and its verification (median of --runs)
 *   prove_first_s      the first run's proof: the process's heap is colder then (later
 *                      proofs reuse the pages earlier ones touched, apex_heap_keep)
 *   proof_bytes        canonical encoding
 *   peak_rss_mb        getrusage high-water mark of the whole run (witness, commitments)
 *   prove_peak_rss_mb  VmHWM over the prover alone (reset through /proc/self/clear_refs),
 *                      which includes the bench's resident witness arrays
 *   soundness_bits     -log2 of the sum of the error terms of docs/PROOF.md (Ligero
 *                      proximity at the NREQ chosen for BLOCK, LogUp and its GKR
 *                      layers, both sumchecks,
 *                      ...), interactive
 *   baseline_hdelta_s  plain int64 u = G~ delta, rho = G~^T u + Lambda delta (the floor)
 * Witness: int8 G~ uniform in [-127, 127], w~ uniform in +-2^20, a random mask at the density,
 * w~' from apex_obsq_layer (the integer certificate path). Registration is not part of the
 * run (it is still the flat v1 proof). --log-block sets the Ligero rows (BLOCK = 2^k for
 * every commitment). Wiring: cmd_bench.c dispatches to bench_proof(). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "unlearn/unlearn.h"
#include "zk/compliance.h"

#define BP_DEF_D       16384u
#define BP_DEF_N       64u
#define BP_DEF_B       256u
#define BP_DEF_DENSITY 0.04
#define BP_DEF_RUNS    3
#define BP_MAX_RUNS    15
/* Ligero rows of 2^13 (the shortest that reaches 100 bits with K_max + 1 = 9 openings). */
#define BP_LOG_BLOCK 13u

/* -log2 of the sum of the unlearning proof's interactive error terms (docs/PROOF.md,
 * "Soundness"): Ligero proximity, LDT and alpha/beta/v batching, both sumchecks, alpha2,
 * the eq combinations, alpha batching and LogUp over F_p2. */
static double soundness_bits(const apex_comp_config *c, const apex_comp_dims *dm)
{
    const double f = ldexp(1.0, -128); /* 1 / |F_p2|, rounded */
    apex_ligero_dims ld;
    const char *why = NULL;
    double ncol = apex_ligero_dims_of(&dm->pg, &ld, &why) == APEX_OK ? (double)ld.ncol : 0;
    double ka = dm->za.k, kb = dm->zb.k, kmax = ka > kb ? ka : kb;
    /* the range check's slots (C_l) and table-tree leaves (at most C_m's capacity) */
    double rowlen = ldexp(1.0, (int)c->log_block);
    double ml = (double)dm->lg.a_params.nwrow * rowlen, tl = (double)dm->lg.m_params.nwrow * rowlen;
    /* rows of degree < BLOCK + npad on 4 BLOCK points */
    double e = exp2(-apex_ligero_soundness_bits(c->log_block, dm->pg.npad, c->nreq));
    e += (ncol + 3.0) * f;                                   /* LDT, alpha/beta/v batching */
    e += (2.0 * ka + 3.0 * kb + 2.0 + 5.0 * kmax + 7.0) * f; /* sumchecks, alpha2, eq, alpha */
    e += (ml + tl) * f;                                      /* LogUp (the tags cost nothing) */
    /* LogUp-GKR: per layer k of each tree, the sumcheck's 3 (k - 1) plus lambda_k and mu_k */
    unsigned kw = 0, kt = 0;
    while (ldexp(1.0, (int)kw) < ml)
        kw++;
    while (ldexp(1.0, (int)kt) < tl)
        kt++;
    e += 1.5 * ((double)kw * (kw + 1) + (double)kt * (kt + 1)) * f;
    return -log2(e);
}

int bench_proof(int argc, char **argv)
{
    uint64_t d = BP_DEF_D, n = BP_DEF_N, b = BP_DEF_B;
    double density = BP_DEF_DENSITY;
    int runs = BP_DEF_RUNS;
    uint32_t lb32 = BP_LOG_BLOCK, tau32 = APEX_OBSQ_DEFAULT_TAU_LOG2;
    char cache[4096] = "", cw0[4096 + 8] = "", cw1[4096 + 8] = "";
    apex_heap_keep(); /* as apex unlearn --proof and apex commit: see core.h */
    const char *me = "apex bench proof";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: apex bench proof [--d D] [--n N] [--b B] [--density R] [--runs K]\n"
                   "                        [--log-block L] [--cache DIR] [--tau-log2 T]\n"
                   "Commits to and proves one synthetic unlearning statement (d weights, N\n"
                   "samples, blocks of B, mask density R) K times and prints one JSON object:\n"
                   "prove_s, verify_s, commit_s (medians), prove_first_s (the first\n"
                   "run, on a colder heap), proof_bytes, peak_rss_mb,\n"
                   "soundness_bits and baseline_hdelta_s (plain int64 H*delta, same run).\n"
                   "--cache DIR: commit C_G once before the runs with its tableau cache\n"
                   "there and save its state, as apex commit does at registration; each\n"
                   "run loads that state, and a proof reads its opened columns instead of\n"
                   "re-encoding G~ (the file is about 4 x 8 bytes per G~ entry; removed at\n"
                   "the end). C_w(e) and C_w(e+1) write theirs too, as apex unlearn does\n"
                   "after apex commit --tableau (C_w(e+1) is the next round's C_w(e)).\n"
                   "commit_s is then C_w's two commits (and cache files) and C_G's load.\n"
                   "--log-block L: Ligero rows of 2^L (default 13, the least that reaches\n"
                   "100 bits; 15 is what apex commit picks at d = 10^6). NREQ follows L.\n"
                   "The unlearning proof only, not registration.\n"
                   "--tau-log2 T: residual tolerance tau = 2^T (default 20; larger N and B\n"
                   "need more, e.g. 21 at N = B = 512). apex_comp_dims_of checks it.\n");
            return APEX_EXIT_OK;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", me, a);
            return APEX_EXIT_USAGE;
        }
        uint32_t r32;
        int bad = 0;
        if (strcmp(a, "--d") == 0)
            bad = apex_opt_u64(me, "d", v, 1, UINT64_C(1) << 32, &d);
        else if (strcmp(a, "--n") == 0)
            bad = apex_opt_u64(me, "n", v, 1, 1u << 20, &n);
        else if (strcmp(a, "--b") == 0)
            bad = apex_opt_u64(me, "b", v, 1, 1u << 20, &b);
        else if (strcmp(a, "--density") == 0) {
            char *end = NULL;
            density = strtod(v, &end);
            bad = !end || *end != 0;
        } else if (strcmp(a, "--cache") == 0) {
            if (snprintf(cache, sizeof cache, "%s/bench-proof-cg.cache", v) >= (int)sizeof cache)
                bad = 1;
        } else if (strcmp(a, "--log-block") == 0) {
            bad = apex_opt_u32(me, "log-block", v, 4, APEX_LIGERO_MAX_LOG_BLOCK, &lb32);
        } else if (strcmp(a, "--tau-log2") == 0) {
            bad = apex_opt_u32(me, "tau-log2", v, 1, 31, &tau32);
        } else if (strcmp(a, "--runs") == 0) {
            bad = apex_opt_u32(me, "runs", v, 1, BP_MAX_RUNS, &r32);
            runs = (int)r32;
        } else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", me, a);
            return APEX_EXIT_USAGE;
        }
        if (bad)
            return APEX_EXIT_USAGE;
        i++;
    }
    if (runs < 1 || runs > BP_MAX_RUNS || !(density > 0 && density < 1) || d == 0) {
        fprintf(stderr, "apex bench proof: bad --runs, --density or --d\n");
        return 2;
    }
    /* NREQ for this BLOCK, as apex commit chooses it */
    size_t nreq =
        apex_ligero_nreq_for_bits(lb32, APEX_LIGERO_KMAX + 1, APEX_COMP_LIGERO_BITS_TARGET);
    if (!nreq) {
        fprintf(stderr, "apex bench proof: --log-block %u cannot reach %.1f Ligero bits\n", lb32,
                APEX_COMP_LIGERO_BITS_TARGET);
        return 2;
    }
    apex_comp_config cfg = {{n, b, 8, 24, (uint64_t)apex_obsq_lambda_for(n), tau32, 16},
                            d,
                            lb32,
                            nreq,
                            APEX_LIGERO_KMAX};
    apex_comp_dims dm;
    const char *why = NULL;
    if (apex_comp_dims_of(&cfg, &dm, &why) != APEX_OK) {
        fprintf(stderr, "apex bench proof: %s\n", why);
        return 2;
    }
    size_t nblk = (size_t)((d + b - 1) / b), ng = nblk * n * b;
    int8_t *g = malloc(ng);
    int32_t *w0 = malloc(d * 4), *w1 = malloc(d * 4), *delta = malloc(d * 4);
    uint64_t *mask = malloc(d * 8);
    int64_t *u = malloc(nblk * n * 8), *rho = malloc(d * 8);
    if (!g || !w0 || !w1 || !delta || !mask || !u || !rho) {
        fprintf(stderr, "apex bench proof: out of memory\n");
        return 1;
    }
    apex_rng rng;
    apex_rng_seed(&rng, 2026);
    for (size_t x = 0; x < ng; x++) {
        size_t j = (x / (n * b)) * b + x % b;
        g[x] = j < d ? (int8_t)((int)apex_rng_below(&rng, 255) - 127) : 0;
    }
    size_t nmask = 0;
    for (uint64_t j = 0; j < d; j++) {
        w0[j] = (int32_t)apex_rng_below(&rng, 1u << 21) - (1 << 20);
        if (apex_rng_unit(&rng) < density)
            mask[nmask++] = j;
    }
    apex_obsq_params op;
    apex_obsq_params_default(&op);
    op.block = b;
    op.lambda = (int64_t)cfg.sp.lambda;
    op.tau_log2 = tau32;
    op.threads = 2;
    if (apex_obsq_layer(&op, g, n, d, w0, mask, nmask, delta, NULL, NULL, NULL) != APEX_OK) {
        fprintf(stderr, "apex bench proof: the certificate path failed tau\n");
        return 1;
    }
    for (uint64_t j = 0; j < d; j++)
        w1[j] = w0[j] + delta[j];
    double tb[BP_MAX_RUNS], tc[BP_MAX_RUNS], tp[BP_MAX_RUNS], tv[BP_MAX_RUNS], rp[BP_MAX_RUNS];
    size_t bytes = 0;
    int rc = APEX_OK;
    /* With a cache: C_G committed once, its tableau written once and its state saved, as a
     * client does at registration (rewriting 2 GB of tableau every run would also leave the
     * kernel flushing it during the next proof). */
    char saved[4096 + 8] = "";
    apex_hash root_g = {{0}};
    double tcg = 0;
    if (cache[0]) {
        apex_comp_src sg;
        apex_ligero_commitment *cg = NULL;
        snprintf(saved, sizeof saved, "%s.state", cache);
        double t0 = apex_now_s();
        if (apex_comp_src_g(&cfg, g, &sg, &why) != APEX_OK ||
            !(cg = apex_comp_commit_src(&sg, cache, &root_g, &why)) ||
            apex_ligero_commitment_save(cg, saved, &why) != APEX_OK)
            rc = APEX_ERR_IO;
        apex_ligero_commitment_destroy(&cg);
        tcg = apex_now_s() - t0;
    }
    if (cache[0]) {
        snprintf(cw0, sizeof cw0, "%s.w0", cache);
        snprintf(cw1, sizeof cw1, "%s.w1", cache);
    }
    for (int r = 0; r < runs && rc == APEX_OK; r++) {
        double t0 = apex_now_s();
        apex_obsq_layer_residual(g, n, d, b, op.lambda, delta, u, rho);
        tb[r] = apex_now_s() - t0;
        apex_comp_public pub;
        memset(&pub, 0, sizeof pub);
        pub.mask = mask;
        pub.nmask = nmask;
        t0 = apex_now_s();
        /* row sources (nothing of size O(witness) kept); C_G's tableau cached on disk when
         * --cache is given, as a client writes it once at registration */
        apex_comp_src sg, s0, s1;
        apex_ligero_commitment *cg = NULL, *c0 = NULL, *c1 = NULL;
        if (apex_comp_src_g(&cfg, g, &sg, &why) == APEX_OK &&
            apex_comp_src_w(&cfg, w0, &s0, &why) == APEX_OK &&
            apex_comp_src_w(&cfg, w1, &s1, &why) == APEX_OK) {
            pub.root_g = root_g;
            cg = saved[0] ? apex_comp_load_src(&sg, saved, &pub.root_g, &why)
                          : apex_comp_commit_src(&sg, NULL, &pub.root_g, &why);
            /* C_w(e) as the last round left it: with its tableau file when C_G has one */
            c0 = apex_comp_commit_src(&s0, cw0[0] ? cw0 : NULL, &pub.root_w0, &why);
            /* C_w(e+1) as apex unlearn makes it, just before the proof: tableau in memory
             * (and written for the next round) */
            c1 = apex_comp_commit_src_mem(&s1, cw1[0] ? cw1 : NULL, &pub.root_w1, &why);
        }
        tc[r] = apex_now_s() - t0;
        uint32_t used = 0;
        apex_comp_proof pf;
        bench_hwm_reset();
        t0 = apex_now_s();
        rc = cg && c0 && c1
                 ? apex_comp_prove(&cfg, &pub, g, w0, w1, cg, c0, c1, &used, NULL, &pf, &why)
                 : APEX_ERR_NOMEM;
        tp[r] = apex_now_s() - t0;
        rp[r] = bench_hwm_mb();
        if (rc == APEX_OK) {
            t0 = apex_now_s();
            rc = apex_comp_verify(&cfg, &pub, &pf, &why);
            tv[r] = apex_now_s() - t0;
            apex_enc_writer wr;
            apex_enc_writer_init(&wr, (size_t)1 << 30);
            if (apex_comp_proof_encode(&cfg, &pf, &wr) == APEX_OK)
                bytes = wr.len;
            apex_enc_writer_free(&wr);
            apex_comp_proof_free(&pf);
        }
        apex_ligero_commitment_destroy(&cg);
        apex_ligero_commitment_destroy(&c0);
        apex_ligero_commitment_destroy(&c1);
    }
    if (cache[0]) {
        unlink(cache);
        unlink(saved);
        unlink(cw0);
        unlink(cw1);
    }
    if (rc != APEX_OK) {
        fprintf(stderr, "apex bench proof: %s\n", why ? why : "failed");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double first = tp[0], base = bench_median(tb, runs); /* the medians sort the runs */
    printf("{\"d\":%llu,\"n\":%llu,\"b\":%llu,\"density\":%g,\"mask\":%zu,\"log_block\":%u,"
           "\"tau_log2\":%u,\"cache\":%s,\"cg_cache_commit_s\":%.4f,\"commit_s\":%.4f,"
           "\"prove_s\":%.4f,\"prove_first_s\":%.4f,\"verify_s\":%.4f,"
           "\"proof_bytes\":%zu,\"peak_rss_mb\":%.1f,\"prove_peak_rss_mb\":%.1f,"
           "\"soundness_bits\":%.1f,\"baseline_hdelta_s\":%.5f,\"prove_over_baseline\":%.1f",
           (unsigned long long)d, (unsigned long long)n, (unsigned long long)b, density, nmask,
           lb32, tau32, cache[0] ? "true" : "false", tcg, bench_median(tc, runs),
           bench_median(tp, runs), first, bench_median(tv, runs), bytes,
           (double)ru.ru_maxrss / 1024.0, bench_median(rp, runs), soundness_bits(&cfg, &dm), base,
           base > 0 ? bench_median(tp, runs) / base : 0.0);
    /* every run, sorted, for the noise: the baseline is short and single-threaded */
    const double *series[2] = {tp, tb};
    const char *names[2] = {"prove_runs_s", "baseline_runs_s"};
    for (int k = 0; k < 2; k++) {
        printf(",\"%s\":[", names[k]);
        for (int r = 0; r < runs; r++)
            printf("%s%.5f", r ? "," : "", series[k][r]);
        printf("]");
    }
    printf("}\n");
    free(g);
    free(w0);
    free(w1);
    free(delta);
    free(mask);
    free(u);
    free(rho);
    return 0;
}
