/* apex bench: each benchmark prints one JSON object on stdout, with its
 * baseline measured in the same run and the ratio between them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "wire/wire.h"

struct bench {
    const char *name;    /* apex bench NAME */
    apex_cmd_fn fn;      /* implementation */
    const char *summary; /* one line for --help */
};

static int bench_wire(int argc, char **argv);

static const struct bench benches[] = {
    {"wire", bench_wire, "raw ZeroMQ loopback throughput, plain and CURVE (GB/s)"},
    {"train", bench_train, "training throughput vs OpenBLAS sgemm peak (apex bench train --help)"},
    {"field", bench_field, "proof-system primitives: field mul, NTT 2^20, Merkle leaves/s"},
    {"obs", bench_obs, "Group-OBS of a synthetic layer: float and quantized paths (s), max|rho|"},
    {"proof", bench_proof, "compliance proof: prove/verify/commit s, bytes, RSS, bits (zk v1)"},
    {"ligero", bench_ligero_main,
     "C_G Ligero commitment: commit, prove cached/uncached, verify, RSS"},
    {"range", bench_range, "range check of a committed vector: LogUp-GKR vs plain LogUp"},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* apex bench wire [--mb N] [--runs R]: median GB/s of R runs. */
static int bench_wire(int argc, char **argv)
{
    uint64_t mb = 1024;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        uint32_t r;
        if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) {
            if (apex_opt_u64("apex bench wire", "mb", argv[++i], 1, 1u << 20, &mb))
                return APEX_EXIT_USAGE;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (apex_opt_u32("apex bench wire", "runs", argv[++i], 1, 99, &r))
                return APEX_EXIT_USAGE;
            runs = (int)r;
        } else if (strcmp(argv[i], "--json") == 0)
            continue; /* output is always JSON */
        else {
            fprintf(stderr, "usage: apex bench wire [--mb N (1024)] [--runs R (3)]\n");
            return APEX_EXIT_USAGE;
        }
    }
    if (runs < 1 || runs > 99 || mb < 1) {
        fprintf(stderr, "apex bench wire: --runs 1..99, --mb >= 1\n");
        return APEX_EXIT_USAGE;
    }
    double plain[99], curve[99];
    for (int r = 0; r < runs; r++) {
        int rc = apex_wire_raw_throughput(APEX_WIRE_CHUNK_BYTES, mb << 20, 0, &plain[r]);
        if (rc == APEX_OK)
            rc = apex_wire_raw_throughput(APEX_WIRE_CHUNK_BYTES, mb << 20, 1, &curve[r]);
        if (rc != APEX_OK) {
            fprintf(stderr, "apex bench wire: %s\n", apex_strerror(rc));
            return apex_exit_code(rc);
        }
    }
    qsort(plain, (size_t)runs, sizeof plain[0], cmp_double);
    qsort(curve, (size_t)runs, sizeof curve[0], cmp_double);
    json_t *o = json_pack("{s:s, s:I, s:I, s:i, s:f, s:f, s:f}", "bench", "wire", "msg_bytes",
                          (json_int_t)APEX_WIRE_CHUNK_BYTES, "mb_per_run", (json_int_t)mb, "runs",
                          runs, "raw_zmq_gbps", plain[runs / 2], "raw_zmq_curve_gbps",
                          curve[runs / 2], "curve_over_raw", curve[runs / 2] / plain[runs / 2]);
    char *s = json_dumps(o, JSON_COMPACT);
    printf("%s\n", s);
    free(s);
    json_decref(o);
    return APEX_EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: apex bench <name> [options]; each prints one JSON object\n\n");
        for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
            fprintf(f, "  %-10s %s\n", benches[i].name, benches[i].summary);
        return argc < 2 ? APEX_EXIT_USAGE : APEX_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (strcmp(argv[1], benches[i].name) == 0)
            return benches[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "apex bench: unknown benchmark '%s' (apex bench --help)\n", argv[1]);
    return APEX_EXIT_USAGE;
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

void bench_hwm_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

double bench_hwm_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb / 1024.0;
}
