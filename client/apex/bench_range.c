/* `apex bench range`: the range check of one committed vector (every witness slot in
 * [0, 2^bits)), LogUp-GKR (zk/lgkr.h) against plain LogUp with helper columns (zk/logup.h,
 * the baseline), on the same commitment in the same run. One JSON object.
 *
 *   apex bench range [--rows R (384)] [--log-block L (14)] [--bits B (16)] [--runs K (3)]
 *                    [--no-baseline]
 *
 * The default shape is the compliance proof's C_l at d = 10^6 (six sections of 2^20 limbs,
 * BLOCK 2^14, every slot of a row witness, APEX_LIGERO_NREQ_100 queries). Per method: prove_s,
 * verify_s (medians of K), proof_bytes (canonical encoding), prove_peak_rss_mb (VmHWM over the
 * prover, which includes the vector and its commitment). Ratios: lgkr / logup. Wiring: cmd_bench.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "zk/lgkr.h"
#include "zk/logup.h"

#define BR_MAX_RUNS 15
#define BR_NREQ     APEX_LIGERO_NREQ_100
#define BR_NPAD     ((APEX_LIGERO_KMAX + 1) * BR_NREQ)

typedef struct br_result {
    double prove_s, verify_s, rss_mb;
    size_t bytes;
    int ok; /* every verification accepted */
} br_result;

/* The two methods behind one interface: prove into the method's proof, encode it, verify
 * it, free it. */
typedef struct br_method {
    const char *name;
    const apex_lgkr_shape *gs;  /* LogUp-GKR, or NULL */
    const apex_logup_shape *ls; /* plain LogUp, or NULL */
    apex_lgkr_proof g;
    apex_logup_proof l;
} br_method;

static int m_prove(br_method *m, apex_transcript *t, apex_ligero_commitment *c, const char **why)
{
    return m->gs ? apex_lgkr_prove(t, m->gs, c, NULL, &m->g, why)
                 : apex_logup_prove(t, m->ls, c, NULL, &m->l, why);
}

static int m_encode(br_method *m, apex_enc_writer *w)
{
    return m->gs ? apex_lgkr_proof_encode(m->gs, &m->g, w)
                 : apex_logup_proof_encode(m->ls, &m->l, w);
}

static int m_verify(br_method *m, apex_transcript *t, const apex_hash *root, const char **why)
{
    return m->gs ? apex_lgkr_verify(t, m->gs, root, &m->g, why)
                 : apex_logup_verify(t, m->ls, root, &m->l, why);
}

static void m_free(br_method *m)
{
    if (m->gs)
        apex_lgkr_proof_free(&m->g);
    else
        apex_logup_proof_free(&m->l);
}

/* One method's K runs over commitment c (root). */
static int run_method(br_method *m, apex_ligero_commitment *c, const apex_hash *root, int runs,
                      br_result *out)
{
    double tp[BR_MAX_RUNS], tv[BR_MAX_RUNS], rss = 0;
    out->ok = 1;
    for (int r = 0; r < runs; r++) {
        const char *why = NULL;
        apex_transcript *t = apex_transcript_new("apex-bench-range");
        if (!t)
            return APEX_ERR_NOMEM;
        bench_hwm_reset();
        double t0 = apex_now_s();
        int rc = m_prove(m, t, c, &why);
        tp[r] = apex_now_s() - t0;
        double mb = bench_hwm_mb();
        rss = mb > rss ? mb : rss;
        apex_transcript_destroy(&t);
        if (rc != APEX_OK) {
            fprintf(stderr, "apex bench range: %s prove: %s\n", m->name, why ? why : "failed");
            return rc;
        }
        apex_enc_writer w;
        apex_enc_writer_init(&w, (size_t)1 << 30);
        if (m_encode(m, &w) == APEX_OK)
            out->bytes = w.len;
        apex_enc_writer_free(&w);
        t = apex_transcript_new("apex-bench-range");
        t0 = apex_now_s();
        rc = t ? m_verify(m, t, root, &why) : APEX_ERR_NOMEM;
        tv[r] = apex_now_s() - t0;
        apex_transcript_destroy(&t);
        m_free(m);
        out->ok &= rc == APEX_OK;
    }
    out->prove_s = bench_median(tp, runs);
    out->verify_s = bench_median(tv, runs);
    out->rss_mb = rss;
    return APEX_OK;
}

static void print_result(const char *name, const br_result *r, int last)
{
    printf("\"%s\":{\"prove_s\":%.4f,\"verify_s\":%.4f,\"proof_bytes\":%zu,"
           "\"prove_peak_rss_mb\":%.1f,\"accepted\":%s}%s",
           name, r->prove_s, r->verify_s, r->bytes, r->rss_mb, r->ok ? "true" : "false",
           last ? "" : ",");
}

int bench_range(int argc, char **argv)
{
    const char *me = "apex bench range";
    uint64_t rows = 384;
    uint32_t lb = 14, bits = 16, runs = 3;
    int baseline = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0)
            continue;
        if (strcmp(a, "--no-baseline") == 0) {
            baseline = 0;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: apex bench range [--rows R (384)] [--log-block L (14)] [--bits B (16)]\n"
                   "                        [--runs K (3)] [--no-baseline]\n"
                   "Commits R rows of 2^L random values in [0, 2^B) (Ligero BLOCK 2^L, pads\n"
                   "outside H_B, 152 queries) and proves that every value is in range, K times\n"
                   "with\n"
                   "LogUp-GKR and K times with plain LogUp (helper columns, the baseline).\n"
                   "Prints one JSON object: per method prove_s, verify_s (medians),\n"
                   "proof_bytes, prove_peak_rss_mb, and the ratios lgkr / logup. The default\n"
                   "is the compliance proof's limb vector at d = 10^6 (6 x 2^20 values).\n");
            return APEX_EXIT_OK;
        }
        if (!v) {
            fprintf(stderr, "%s: %s needs a value\n", me, a);
            return APEX_EXIT_USAGE;
        }
        int bad = 0;
        if (strcmp(a, "--rows") == 0)
            bad = apex_opt_u64(me, "rows", v, 1, 1u << 16, &rows);
        else if (strcmp(a, "--log-block") == 0)
            bad = apex_opt_u32(me, "log-block", v, 9, 18, &lb);
        else if (strcmp(a, "--bits") == 0)
            bad = apex_opt_u32(me, "bits", v, 1, 16, &bits);
        else if (strcmp(a, "--runs") == 0)
            bad = apex_opt_u32(me, "runs", v, 1, BR_MAX_RUNS, &runs);
        else {
            fprintf(stderr, "%s: unknown option %s (see --help)\n", me, a);
            return APEX_EXIT_USAGE;
        }
        if (bad)
            return APEX_EXIT_USAGE;
        i++;
    }
    size_t wr = (size_t)1 << lb, n = (size_t)rows * wr, T = (size_t)1 << bits;
    size_t tr = (T + wr - 1) / wr;
    apex_lgkr_shape gs = {bits,
                          {lb, BR_NPAD, BR_NREQ, rows},
                          {lb, BR_NPAD, BR_NREQ, tr},
                          {lb, BR_NPAD, BR_NREQ, 1},
                          {0}};
    gs.p_params.nwrow = apex_lgkr_pad_rows(&gs);
    apex_logup_shape ls = {
        bits, gs.a_params, gs.m_params, {lb, BR_NPAD, BR_NREQ, 4 * rows + 2 * tr}};
    if (!gs.p_params.nwrow) {
        fprintf(stderr, "%s: unsupported shape\n", me);
        return APEX_EXIT_USAGE;
    }
    apex_gl *v = apex_calloc_n(n, sizeof *v);
    if (!v) {
        fprintf(stderr, "%s: out of memory for %zu values\n", me, n);
        return APEX_EXIT_FAIL;
    }
    apex_rng rng;
    apex_rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++)
        v[i] = apex_rng_below(&rng, (uint32_t)T);
    const char *why = NULL;
    apex_hash root;
    /* every run opens the vector once per method: give it enough pads */
    apex_ligero_params ap = gs.a_params;
    apex_ligero_commitment *c = apex_ligero_commit(&ap, v, n, NULL, &root, &why);
    free(v);
    if (!c) {
        fprintf(stderr, "%s: commit: %s\n", me, why ? why : "failed");
        return APEX_EXIT_FAIL;
    }
    size_t need = (size_t)runs * (baseline ? 2 : 1);
    if (apex_ligero_openings_left(c) < need) {
        fprintf(stderr, "%s: %zu runs need %zu openings, the pads hide %zu (larger --log-block)\n",
                me, (size_t)runs, need, apex_ligero_openings_left(c));
        apex_ligero_commitment_destroy(&c);
        return APEX_EXIT_USAGE;
    }
    br_result g = {0}, l = {0};
    br_method mg = {.name = "LogUp-GKR", .gs = &gs}, ml = {.name = "LogUp", .ls = &ls};
    int rc = run_method(&mg, c, &root, (int)runs, &g);
    if (rc == APEX_OK && baseline)
        rc = run_method(&ml, c, &root, (int)runs, &l);
    apex_ligero_commitment_destroy(&c);
    if (rc != APEX_OK) {
        fprintf(stderr, "%s: %s\n", me, apex_strerror(rc));
        return APEX_EXIT_FAIL;
    }
    printf("{\"bench\":\"range\",\"rows\":%llu,\"log_block\":%u,\"bits\":%u,\"values\":%zu,"
           "\"runs\":%u,",
           (unsigned long long)rows, lb, bits, n, runs);
    print_result("lgkr", &g, !baseline);
    if (baseline) {
        print_result("logup", &l, 0);
        printf("\"prove_ratio\":%.3f,\"verify_ratio\":%.3f,\"bytes_ratio\":%.3f",
               g.prove_s / l.prove_s, g.verify_s / l.verify_s, (double)g.bytes / (double)l.bytes);
    }
    printf("}\n");
    return g.ok && (!baseline || l.ok) ? APEX_EXIT_OK : APEX_EXIT_FAIL;
}
