/* `apex bench obs`: Group-OBS compensation of one synthetic layer, one JSON object.
 *
 *   obs_s               float64 Group-OBS of every masked block (Woodbury when N < B), median
 *   gflops              counted flops of that solve / obs_s
 *   sgemm_peak_gflops   cblas_sgemm on large square matrices, same run (1 thread and all)
 *   quantized_obs_s     the provable path (int8 G̃, b_w = 24, exact residual), median
 *   max_abs_rho_log2    log2 of the largest per-block max|ρ̃_K| (τ = 2^t must exceed it)
 * The layer: G = rank-8 signal plus heavy-tailed noise (the errata's synthetic study),
 * weights N(0, 0.05²), a random mask at the density (top-k of uniform scores).
 * Threads: --threads T (default 2, the machine's cores) worker threads solve blocks in
 * parallel, each with OpenBLAS set to one thread (openblas_set_num_threads(1)): the per-block
 * BLAS calls are small (64×256), so BLAS-level threads would only add overhead. obs_1thread_s
 * is the same solve on one worker. sgemm peak is measured with 1 and 2 OpenBLAS threads.
 * Wiring: cmd_bench.c dispatches to bench_obs(); this file only adds the function. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "unlearn/unlearn.h"

/* Defaults of the headline configuration (issue 4). */
#define OBS_DEF_D       1000000u
#define OBS_DEF_N       64u
#define OBS_DEF_DENSITY 0.04
#define OBS_DEF_RUNS    3
#define OBS_DEF_THREADS 2
#define OBS_MAX_RUNS    15
/* Synthetic gradients: rank of the signal and noise amplitude. */
#define OBS_SYNTH_RANK  8u
#define OBS_SYNTH_NOISE 0.3
/* Weights ~ N(0, OBS_W_STD²), roughly an fc1 at initialization. */
#define OBS_W_STD 0.05
/* Largest |w̃| used by fixed point: 2^(b_w − 3) as in the errata (headroom for δ). */
#define OBS_W_HEADROOM_BITS 3
/* sgemm peak: square size and repetitions (best of). */
#define OBS_SGEMM_DIM  2048
#define OBS_SGEMM_REPS 2

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Best sgemm GFLOP/s with the given OpenBLAS thread count. */
static double sgemm_gflops(int threads)
{
    size_t n = OBS_SGEMM_DIM;
    float *a = apex_calloc_n(n * n, sizeof *a), *b = apex_calloc_n(n * n, sizeof *b),
          *c = apex_calloc_n(n * n, sizeof *c);
    double best = 0;
    if (a && b && c) {
        for (size_t i = 0; i < n * n; i++) {
            a[i] = (float)(i % 7) * 0.1f;
            b[i] = (float)(i % 5) * 0.1f;
        }
        openblas_set_num_threads(threads);
        for (int r = 0; r < OBS_SGEMM_REPS; r++) {
            double t0 = apex_now_s();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f, a,
                        (int)n, b, (int)n, 0.0f, c, (int)n);
            double g = 2.0 * (double)n * n * n / (apex_now_s() - t0) / 1e9;
            best = g > best ? g : best;
        }
    }
    free(a);
    free(b);
    free(c);
    return best;
}

/* Flops counted for one block of nb weights with ns masked (obs_solve.c, both paths). */
static double block_flops(double n, double nb, double ns)
{
    if (n < nb) /* Woodbury: syrk, potrf, trsm(ns), syrk(Q), potrf/potrs(Q), G_Sμ, potrs, gemv */
        return n * (n + 1) * nb + n * n * n / 3 + n * n * ns + n * ns * (ns + 1) +
               ns * ns * ns / 3 + 2 * ns * ns + 2 * n * ns + 2 * n * n + 2 * n * nb;
    /* direct: syrk, potrf, potrs(ns), potrf/potrs(ns), gemv */
    return nb * (nb + 1) * n + nb * nb * nb / 3 + 2 * nb * nb * ns + ns * ns * ns / 3 +
           2 * ns * ns + 2 * nb * ns;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: apex bench obs [--d D (1000000)] [--n N (64)] [--b B (256)]\n"
            "       [--density F (0.04)] [--runs R (3)] [--threads T (2)] [--tau-log2 t (20)]\n"
            "       [--seed S] [--json]\n");
}

int bench_obs(int argc, char **argv)
{
    size_t d = OBS_DEF_D, n = OBS_DEF_N, B = APEX_OBS_DEFAULT_BLOCK;
    double density = OBS_DEF_DENSITY;
    int runs = OBS_DEF_RUNS, threads = OBS_DEF_THREADS;
    unsigned tau_log2 = APEX_OBSQ_DEFAULT_TAU_LOG2;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            continue; /* output is always JSON */
        if (!v) {
            usage();
            return APEX_EXIT_USAGE;
        }
        if (strcmp(a, "--d") == 0)
            d = strtoull(v, NULL, 10);
        else if (strcmp(a, "--n") == 0)
            n = strtoull(v, NULL, 10);
        else if (strcmp(a, "--b") == 0)
            B = strtoull(v, NULL, 10);
        else if (strcmp(a, "--density") == 0)
            density = strtod(v, NULL);
        else if (strcmp(a, "--runs") == 0)
            runs = atoi(v);
        else if (strcmp(a, "--threads") == 0)
            threads = atoi(v);
        else if (strcmp(a, "--tau-log2") == 0)
            tau_log2 = (unsigned)atoi(v);
        else if (strcmp(a, "--seed") == 0)
            seed = strtoull(v, NULL, 10);
        else {
            usage();
            return APEX_EXIT_USAGE;
        }
        i++;
    }
    if (d < 1 || n < OBS_SYNTH_RANK || n > APEX_OBS_MAX_SAMPLES || B < 1 ||
        B > APEX_OBS_MAX_BLOCK || !(density > 0 && density <= 1) || runs < 1 ||
        runs > OBS_MAX_RUNS || threads < 1 || tau_log2 > APEX_OBSQ_MAX_TAU_LOG2) {
        usage();
        return APEX_EXIT_USAGE;
    }
    size_t nblk = (d + B - 1) / B;
    float *g = apex_calloc_n(n * d, sizeof *g), *w0 = apex_calloc_n(d, sizeof *w0),
          *w = apex_calloc_n(d, sizeof *w), *scores = apex_calloc_n(d, sizeof *scores);
    int8_t *gq = apex_calloc_n(nblk * n * B, 1);
    double *scales = apex_calloc_n(nblk, sizeof *scales);
    int32_t *wq = apex_calloc_n(d, sizeof *wq), *dq = apex_calloc_n(d, sizeof *dq);
    apex_obsq_block_stat *st = apex_calloc_n(nblk, sizeof *st);
    uint64_t *mask = NULL;
    size_t nmask = 0, nst = 0, done = 0;
    int rc = APEX_ERR_NOMEM;
    json_t *o = NULL;
    if (!g || !w0 || !w || !scores || !gq || !scales || !wq || !dq || !st)
        goto out;
    double t0 = apex_now_s();
    if ((rc = apex_obs_synth_gradients(seed, n, d, OBS_SYNTH_RANK, OBS_SYNTH_NOISE, g)) != APEX_OK)
        goto out;
    apex_rng rng;
    apex_rng_seed(&rng, seed + 1);
    float wmax = 0;
    for (size_t j = 0; j < d; j++) {
        w0[j] = (float)(OBS_W_STD * apex_rng_normal(&rng));
        wmax = fabsf(w0[j]) > wmax ? fabsf(w0[j]) : wmax;
        scores[j] = (float)apex_rng_unit(&rng);
    }
    if ((rc = apex_mask_from_scores(scores, d, density, &mask, &nmask)) != APEX_OK)
        goto out;
    double setup_s = apex_now_s() - t0;

    /* float64 reference path */
    apex_obs_params fp;
    apex_obs_params_default(&fp);
    fp.block = B;
    double t_obs[OBS_MAX_RUNS], t_obs1[OBS_MAX_RUNS], t_q[OBS_MAX_RUNS], flops = 0;
    openblas_set_num_threads(1);
    for (int r = 0; r < 2 * runs; r++) { /* alternate T workers and 1 worker */
        fp.threads = r % 2 ? 1u : (unsigned)threads;
        memcpy(w, w0, d * sizeof *w);
        double t1 = apex_now_s();
        rc = apex_obs_layer(&fp, g, n, d, w, d, mask, nmask, &done);
        (r % 2 ? t_obs1 : t_obs)[r / 2] = apex_now_s() - t1;
        if (rc != APEX_OK)
            goto out;
    }
    for (size_t k = 0; k < nmask;) { /* flops of the blocks actually solved */
        size_t blk = mask[k] / B, nb = d - blk * B < B ? d - blk * B : B, ns = 0;
        while (k < nmask && mask[k] / B == blk)
            ns++, k++;
        flops += block_flops((double)n, (double)nb, (double)ns);
    }

    /* quantized path: int8 G̃ per block, w̃ = round(w·2^f) with |w̃| < 2^(b_w − 3) */
    double t2 = apex_now_s();
    if ((rc = apex_obsq_quantize(g, n, d, d, B, gq, scales)) != APEX_OK)
        goto out;
    double quantize_s = apex_now_s() - t2;
    int frac = (int)(APEX_OBSQ_BW - OBS_W_HEADROOM_BITS) - (int)ceil(log2((double)wmax));
    if ((rc = apex_obsq_weights_fixed(w0, d, (unsigned)frac, wq)) != APEX_OK)
        goto out;
    apex_obsq_params qp;
    apex_obsq_params_default(&qp);
    qp.block = B;
    qp.tau_log2 = tau_log2;
    qp.threads = (unsigned)threads;
    for (int r = 0; r < runs; r++) {
        double t1 = apex_now_s();
        rc = apex_obsq_layer(&qp, gq, n, d, wq, mask, nmask, dq, st, &nst, NULL);
        t_q[r] = apex_now_s() - t1;
        if (rc != APEX_OK)
            goto out;
    }
    /* per-block max|ρ̃_K| distribution, sequential fallbacks, lazy mask-only residuals */
    double *lg = apex_calloc_n(nst ? nst : 1, sizeof *lg);
    int32_t *lazy = apex_calloc_n(B, sizeof *lazy);
    int64_t *rho = apex_calloc_n(B, sizeof *rho);
    size_t nseq = 0;
    double lazy_min = INFINITY;
    if (!lg || !lazy || !rho) {
        free(lg), free(lazy), free(rho);
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    int64_t lambda = apex_obsq_lambda_for(n);
    for (size_t b = 0, k = 0; b < nst; b++) {
        lg[b] = log2((double)st[b].max_rho + 1.0);
        nseq += st[b].sequential;
        size_t blk = st[b].block, nb = d - blk * B < B ? d - blk * B : B;
        memset(lazy, 0, B * sizeof *lazy);
        size_t k0 = k;
        for (; k < nmask && mask[k] / B == blk; k++)
            lazy[mask[k] - blk * B] = -wq[mask[k]];
        apex_obsq_residual(gq + blk * n * B, n, B, nb, lambda, lazy, rho);
        int64_t mx = 0;
        for (size_t j = 0, kk = k0; j < nb; j++) {
            if (kk < k && mask[kk] == blk * B + j) {
                kk++;
                continue;
            }
            mx = llabs(rho[j]) > mx ? llabs(rho[j]) : mx;
        }
        lazy_min = fmin(lazy_min, log2((double)mx + 1.0));
    }
    qsort(lg, nst, sizeof *lg, cmp_double);
    double rho_max = nst ? lg[nst - 1] : 0, rho_med = nst ? lg[nst / 2] : 0,
           rho_p99 = nst ? lg[(size_t)((double)(nst - 1) * 0.99)] : 0;
    /* float vs quantized compensation (off the mask, in weight units): relative difference */
    double num = 0, den = 0, scale = ldexp(1.0, -frac);
    for (size_t j = 0; j < d; j++) {
        double df = (double)w[j] - (double)w0[j], dqf = (double)dq[j] * scale;
        if (w[j] != 0.0f) {
            num += (df - dqf) * (df - dqf);
            den += df * df;
        }
    }
    free(lg), free(lazy), free(rho);

    double sg1 = sgemm_gflops(1), sg2 = sgemm_gflops(2);
    double obs_s = bench_median(t_obs, runs), obs1_s = bench_median(t_obs1, runs),
           q_s = bench_median(t_q, runs);
    o = json_object();
    json_object_set_new(o, "bench", json_string("obs"));
    json_object_set_new(o, "d", json_integer((json_int_t)d));
    json_object_set_new(o, "n", json_integer((json_int_t)n));
    json_object_set_new(o, "b", json_integer((json_int_t)B));
    json_object_set_new(o, "density", json_real(density));
    json_object_set_new(o, "masked", json_integer((json_int_t)nmask));
    json_object_set_new(o, "blocks", json_integer((json_int_t)nblk));
    json_object_set_new(o, "masked_blocks", json_integer((json_int_t)done));
    json_object_set_new(o, "runs", json_integer(runs));
    json_object_set_new(o, "obs_threads", json_integer(threads));
    json_object_set_new(o, "obs_method", json_string(n < B ? "woodbury" : "direct"));
    json_object_set_new(o, "obs_s", json_real(obs_s));
    json_object_set_new(o, "obs_s_min", json_real(t_obs[0]));
    json_object_set_new(o, "obs_s_max", json_real(t_obs[runs - 1]));
    json_object_set_new(o, "obs_1thread_s", json_real(obs1_s));
    json_object_set_new(o, "openblas_threads_in_obs", json_integer(1));
    json_object_set_new(o, "gflop", json_real(flops / 1e9));
    json_object_set_new(o, "gflops", json_real(flops / obs_s / 1e9));
    json_object_set_new(o, "sgemm_peak_gflops", json_real(sg2 > sg1 ? sg2 : sg1));
    json_object_set_new(o, "sgemm_peak_threads", json_integer(sg2 > sg1 ? 2 : 1));
    json_object_set_new(o, "sgemm_1thread_gflops", json_real(sg1));
    json_object_set_new(o, "sgemm_2thread_gflops", json_real(sg2));
    json_object_set_new(o, "sgemm_dim", json_integer(OBS_SGEMM_DIM));
    json_object_set_new(o, "quantized_obs_s", json_real(q_s));
    json_object_set_new(o, "quantize_g_s", json_real(quantize_s));
    json_object_set_new(o, "lambda_q", json_integer((json_int_t)lambda));
    json_object_set_new(o, "weight_frac_bits", json_integer(frac));
    json_object_set_new(o, "tau_log2", json_integer((json_int_t)tau_log2));
    json_object_set_new(o, "max_abs_rho_log2", json_real(rho_max));
    json_object_set_new(o, "median_block_rho_log2", json_real(rho_med));
    json_object_set_new(o, "p99_block_rho_log2", json_real(rho_p99));
    json_object_set_new(o, "sequential_blocks", json_integer((json_int_t)nseq));
    json_object_set_new(o, "lazy_min_block_rho_log2", json_real(lazy_min));
    json_object_set_new(o, "quant_vs_float_rel_diff", json_real(den > 0 ? sqrt(num / den) : 0));
    json_object_set_new(o, "setup_s", json_real(setup_s));
    json_object_set_new(o, "peak_rss_mb", json_real(apex_peak_rss_mb()));
    json_object_set_new(o, "target_obs_s", json_real(1.0));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(5));
    if (s)
        printf("%s\n", s);
    free(s);
out:
    json_decref(o);
    if (rc != APEX_OK)
        fprintf(stderr, "apex bench obs: %s\n", apex_strerror(rc));
    free(g), free(w0), free(w), free(scores), free(gq), free(scales), free(wq), free(dq);
    free(st), free(mask);
    return rc == APEX_OK ? APEX_EXIT_OK : apex_exit_code(rc);
}
