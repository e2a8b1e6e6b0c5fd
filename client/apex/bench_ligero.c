/* `apex bench ligero`: the Ligero commitment of a gradient table (C_G of the compliance
 * proof) at F int8 values, one JSON object.
 *
 *   apex bench ligero [--log2f L (26)] [--log-block K (16)] [--nreq Q (152)] [--runs R (3)]
 *                     [--commit-runs C (1)] [--dir D (/tmp)] [--cached-only] [--json]
 *
 * Shape as in zk/compliance.c: BLOCK = 2^K witness slots per row, (K_max + 1) * Q pads outside
 * H_B, F / BLOCK rows. The proof
 * carries two tensor (evaluation) claims with random F_p2 weights, like C_G's in the joint
 * proof. Each commit runs in a forked child that writes the tableau cache to D and saves the
 * commitment; the parent loads it, so peak_rss_mb is the prover's high-water mark alone and
 * commit_peak_rss_mb the committer's. Reported (medians over runs):
 *   commit_s           commit incl. writing + fsyncing the cache (child, C runs)
 *   load_s             apex_ligero_commitment_load
 *   prove_cached_s     proof with the columns read from the cache
 *   prove_uncached_s   proof re-encoding every row for the columns
 *   prove_*_cpu_s      the same proofs' CPU seconds over all threads (the machine is shared:
 *                      with 2 idle cores, wall ~ cpu / 2)
 *   verify_s, proof_bytes, cache_bytes, load averages before and after.
 * The cache and the saved state are deleted at the end. Wiring: cmd_bench.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "zk/ligero.h"

#define BL_MAX_RUNS 15

typedef struct bl_src {
    const int8_t *g; /* [nrow * wr] the gradient values */
    size_t wr;       /* values per row */
} bl_src;

static int bl_rows(void *ctx, size_t row, apex_gl *out)
{
    const bl_src *s = ctx;
    const int8_t *x = s->g + row * s->wr;
    for (size_t j = 0; j < s->wr; j++) /* branch-free: x, or p + x for x < 0 */
        out[j] = (uint64_t)(int64_t)x[j] + (APEX_GL_P & -(uint64_t)(x[j] < 0));
    return APEX_OK;
}

/* CPU seconds (user + system, all threads) of this process so far. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static double load1(void)
{
    double l[1] = {-1};
    return getloadavg(l, 1) == 1 ? l[0] : -1;
}

/* Child: commit with the cache, save, report the seconds on fd. */
static void bl_commit_child(const apex_ligero_params *p, bl_src *src, const char *cache,
                            const char *saved, int fd)
{
    apex_hash root;
    const char *why = NULL;
    double t0 = apex_now_s();
    apex_ligero_commitment *c =
        apex_ligero_commit_rows_cached(p, bl_rows, src, cache, NULL, &root, &why);
    double t = apex_now_s() - t0;
    int ok = c && apex_ligero_commitment_save(c, saved, &why) == APEX_OK;
    if (!ok)
        fprintf(stderr, "apex bench ligero: commit: %s\n", why ? why : "failed");
    char msg[160];
    int n = snprintf(msg, sizeof msg, "%d %.6f ", ok, t);
    for (size_t i = 0; i < sizeof root.b; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%02x", root.b[i]);
    ssize_t w = write(fd, msg, (size_t)n);
    (void)w;
    apex_ligero_commitment_destroy(&c);
    _exit(ok ? 0 : 1);
}

static int bl_prove(apex_ligero_commitment *c, const apex_ligero_constraints *cons,
                    apex_ligero_proof *pf, const char **why)
{
    apex_transcript *t = apex_transcript_new("apex-bench-ligero");
    int rc = t ? apex_ligero_prove(&c, 1, t, cons, NULL, pf, why) : APEX_ERR_NOMEM;
    apex_transcript_destroy(&t);
    return rc;
}

int bench_ligero_main(int argc, char **argv)
{
    const char *me = "apex bench ligero", *dir = "/tmp";
    int cached_only = 0;
    uint32_t log2f = 26, log_block = 16, nreq = APEX_LIGERO_NREQ_100, runs = 3, cruns = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            continue;
        if (strcmp(a, "--cached-only") == 0) {
            cached_only = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: apex bench ligero [--log2f L (26)] [--log-block K (16)] [--nreq Q "
                   "(152)]\n                         [--runs R (3)] [--commit-runs C (1)] [--dir "
                   "D (/tmp)]\nCommits 2^L int8 values in rows of 2^K (half pads) with a tableau "
                   "cache in D,\nthen proves two evaluation claims with and without the cache; "
                   "one JSON object\n(medians). The cache (8 * 2^(L+3) bytes) is deleted at the "
                   "end.\n");
            return APEX_EXIT_OK;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", me, a);
            return APEX_EXIT_USAGE;
        }
        int bad = 0;
        if (strcmp(a, "--log2f") == 0)
            bad = apex_opt_u32(me, "log2f", v, 4, 30, &log2f);
        else if (strcmp(a, "--log-block") == 0)
            bad = apex_opt_u32(me, "log-block", v, 3, APEX_LIGERO_MAX_LOG_BLOCK, &log_block);
        else if (strcmp(a, "--nreq") == 0)
            bad = apex_opt_u32(me, "nreq", v, 1, 1024, &nreq);
        else if (strcmp(a, "--runs") == 0)
            bad = apex_opt_u32(me, "runs", v, 1, BL_MAX_RUNS, &runs);
        else if (strcmp(a, "--commit-runs") == 0)
            bad = apex_opt_u32(me, "commit-runs", v, 1, BL_MAX_RUNS, &cruns);
        else if (strcmp(a, "--dir") == 0)
            dir = v;
        else {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", me, a);
            return APEX_EXIT_USAGE;
        }
        if (bad)
            return APEX_EXIT_USAGE;
        i++;
    }
    size_t wr = (size_t)1 << log_block, f = (size_t)1 << log2f;
    size_t nrow = (f + wr - 1) / wr;
    apex_ligero_params p = {log_block, (APEX_LIGERO_KMAX + 1) * (size_t)nreq, nreq, nrow};
    apex_ligero_dims d;
    const char *why = NULL;
    if (apex_ligero_dims_of(&p, &d, &why) != APEX_OK || d.budget < runs * 2u + 1) {
        fprintf(stderr, "%s: %s\n", me, why ? why : "pads hide too few openings for --runs");
        return APEX_EXIT_USAGE;
    }
    char cache[1024], saved[1024];
    snprintf(cache, sizeof cache, "%s/apex-bench-ligero-%d.cache", dir, (int)getpid());
    snprintf(saved, sizeof saved, "%s/apex-bench-ligero-%d.state", dir, (int)getpid());
    double l_start = load1();
    int8_t *g = malloc(nrow * wr);
    apex_gl2 *row_w = apex_calloc_n(2 * nrow, sizeof *row_w);
    apex_gl2 *slot_w = apex_calloc_n(2 * wr, sizeof *slot_w);
    if (!g || !row_w || !slot_w) {
        fprintf(stderr, "%s: out of memory\n", me);
        return 1;
    }
    apex_rng rng;
    apex_rng_seed(&rng, 2026);
    for (size_t x = 0; x < nrow * wr; x++)
        g[x] = x < f ? (int8_t)((int)apex_rng_below(&rng, 255) - 127) : 0;
    for (size_t i = 0; i < 2 * nrow; i++)
        row_w[i] = apex_gl2_make(apex_rng_below(&rng, APEX_GL_P), apex_rng_below(&rng, APEX_GL_P));
    for (size_t j = 0; j < 2 * wr; j++)
        slot_w[j] = apex_gl2_make(apex_rng_below(&rng, APEX_GL_P), apex_rng_below(&rng, APEX_GL_P));
    const apex_ligero_tensor tens[2] = {{0, row_w, slot_w, NULL, 0},
                                        {0, row_w + nrow, slot_w + wr, NULL, 0}};
    const apex_ligero_constraints cons = {NULL, 0, 0, NULL, 0, tens, 2};
    apex_gl2 tval[2]; /* the claimed values, computed directly (untimed) */
    for (int k = 0; k < 2; k++) {
        tval[k] = apex_gl2_from_gl(0);
        for (size_t i = 0; i < nrow; i++) {
            apex_gl2 acc = apex_gl2_from_gl(0);
            for (size_t j = 0; j < wr; j++) {
                int8_t x = g[i * wr + j];
                apex_gl v = x >= 0 ? (apex_gl)x : APEX_GL_P - (apex_gl)(-(int)x);
                acc = apex_gl2_add(acc, apex_gl2_mul_gl(tens[k].slot_w[j], v));
            }
            tval[k] = apex_gl2_add(tval[k], apex_gl2_mul(tens[k].row_w[i], acc));
        }
    }
    bl_src src = {g, wr};

    /* commits, each in a child */
    double tc[BL_MAX_RUNS];
    long commit_rss_kb = 0;
    apex_hash root;
    for (uint32_t r = 0; r < cruns; r++) {
        int fds[2];
        if (pipe(fds) != 0) {
            fprintf(stderr, "%s: pipe failed\n", me);
            return 1;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            bl_commit_child(&p, &src, cache, saved, fds[1]);
        }
        close(fds[1]);
        char msg[160] = {0};
        size_t got = 0;
        ssize_t n;
        while (got + 1 < sizeof msg && (n = read(fds[0], msg + got, sizeof msg - 1 - got)) > 0)
            got += (size_t)n;
        close(fds[0]);
        int status = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s: the commit failed\n", me);
            unlink(cache);
            unlink(saved);
            return 1;
        }
        int ok = 0;
        char hex[65] = {0};
        if (sscanf(msg, "%d %lf %64s", &ok, &tc[r], hex) != 3 || !ok ||
            apex_unhex(hex, root.b, sizeof root.b) != APEX_OK) {
            fprintf(stderr, "%s: bad report from the commit\n", me);
            return 1;
        }
        if (ru.ru_maxrss > commit_rss_kb)
            commit_rss_kb = ru.ru_maxrss;
    }
    struct stat st;
    long long cache_bytes = stat(cache, &st) == 0 ? (long long)st.st_size : -1;

    /* the prover: load, prove cached and uncached, verify */
    double t0 = apex_now_s();
    apex_ligero_commitment *c = apex_ligero_commitment_load(&p, bl_rows, &src, saved, &root, &why);
    double t_load = apex_now_s() - t0;
    if (!c) {
        fprintf(stderr, "%s: load: %s\n", me, why);
        unlink(cache);
        unlink(saved);
        return 1;
    }
    double tpc[BL_MAX_RUNS], tpu[BL_MAX_RUNS], tv[BL_MAX_RUNS], cpc[BL_MAX_RUNS], cpu[BL_MAX_RUNS];
    size_t bytes = 0;
    int rc = APEX_OK;
    const char *status_cached = NULL;
    for (uint32_t r = 0; r < runs && rc == APEX_OK; r++) {
        tpu[r] = cpu[r] = -1;
        for (int cached = 1; cached >= cached_only && rc == APEX_OK; cached--) {
            apex_ligero_commitment_set_cache(c, cached ? cache : NULL, NULL);
            apex_ligero_proof pf;
            double c0 = cpu_s();
            t0 = apex_now_s();
            rc = bl_prove(c, &cons, &pf, &why);
            (cached ? tpc : tpu)[r] = apex_now_s() - t0;
            (cached ? cpc : cpu)[r] = cpu_s() - c0;
            if (rc != APEX_OK)
                break;
            if (cached)
                status_cached = apex_ligero_cache_status(c);
            apex_transcript *t = apex_transcript_new("apex-bench-ligero");
            t0 = apex_now_s();
            rc = apex_ligero_verify(&p, &root, 1, t, &cons, NULL, tval, &pf, &why);
            if (cached)
                tv[r] = apex_now_s() - t0;
            apex_transcript_destroy(&t);
            apex_enc_writer ew;
            apex_enc_writer_init(&ew, (size_t)1 << 30);
            if (apex_ligero_proof_encode(&p, 1, &pf, &ew) == APEX_OK)
                bytes = ew.len;
            apex_enc_writer_free(&ew);
            apex_ligero_proof_free(&pf);
        }
    }
    size_t used = apex_ligero_openings_used(c);
    apex_ligero_commitment_destroy(&c);
    unlink(cache);
    unlink(saved);
    if (rc != APEX_OK) {
        fprintf(stderr, "%s: %s\n", me, why ? why : "failed");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"bench\":\"ligero\",\"log2f\":%u,\"log_block\":%u,\"nrow\":%zu,\"nreq\":%u,"
           "\"runs\":%u,\"commit_runs\":%u,\"commit_s\":%.3f,\"commit_peak_rss_mb\":%.1f,"
           "\"load_s\":%.4f,\"prove_cached_s\":%.4f,\"prove_uncached_s\":%.4f,"
           "\"prove_cached_cpu_s\":%.4f,\"prove_uncached_cpu_s\":%.4f,\"verify_s\":%.4f,"
           "\"proof_bytes\":%zu,\"cache_bytes\":%lld,\"peak_rss_mb\":%.1f,\"openings_used\":%zu,"
           "\"cache_used\":%s,\"load_avg_start\":%.2f,\"load_avg_end\":%.2f}\n",
           log2f, log_block, nrow, nreq, runs, cruns, bench_median(tc, (int)cruns),
           (double)commit_rss_kb / 1024.0, t_load, bench_median(tpc, (int)runs),
           bench_median(tpu, (int)runs), bench_median(cpc, (int)runs), bench_median(cpu, (int)runs),
           bench_median(tv, (int)runs), bytes, cache_bytes, (double)ru.ru_maxrss / 1024.0, used,
           status_cached ? "false" : "true", l_start, load1());
    free(g);
    free(row_w);
    free(slot_w);
    return 0;
}
