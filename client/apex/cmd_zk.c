/* The compliance proof verbs: `apex commit`, `apex verify`, and the proof path of
 * `apex unlearn` (--commit/--key/--proof). docs/PROOF.md, "CLI and files".
 *
 * Files: client.commit (public: configuration, identifiers, epoch, cumulative mask, stored
 * roots C_G and C_w(e), registration proof), KEY (private, 0600: G~, the client's epoch,
 * C_w(e), cumulative mask, w~ hash and the write-ahead opening counter), KEY.cg and KEY.cw
 * (the Ligero commitments' secret state, apex_ligero_commitment_save), proof.bin.
 * The statement is every targeted matrix of the model concatenated (docs/PROOF.md). */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"
#include "apex/zk_cli.h"
#include "unlearn/saliency.h"
#include "zk/commitfile.h"
#include "zk/encode.h"

#define ZK_DEF_SAMPLES 64
/* --log-block when not given: chosen from C_G's size (zk_auto_log_block), within these. */
#define ZK_AUTO_LOG_BLOCK_MIN 13u /* 2^12 cannot reach 100 bits with K_max + 1 openings */
#define ZK_AUTO_LOG_BLOCK_MAX 18u
#define ZK_PATH_MAX           4096

/* The Ligero row size that about minimises the unlearning proof for a C_G of f entries:
 * f / BLOCK rows x NREQ x 8 bytes of opened columns against about 64 bytes per BLOCK of
 * responses (ldt BLOCK, dot 2 BLOCK, quad BLOCK coefficients in F_p2), i.e. BLOCK near
 * sqrt(f NREQ / 8). Rounded down (the smaller BLOCK proves faster). */
static unsigned zk_auto_log_block(size_t f)
{
    double best = sqrt((double)f * APEX_LIGERO_NREQ_100 / 8.0); /* NREQ varies little */
    unsigned l = ZK_AUTO_LOG_BLOCK_MIN;
    while (l < ZK_AUTO_LOG_BLOCK_MAX && (double)((size_t)1 << (l + 1)) <= best)
        l++;
    return l;
}

static int zk_fail(const char *verb, int rc, const char *what, const char *why)
{
    fprintf(stderr, "apex %s: %s%s%s\n", verb, what, why ? ": " : "", why ? why : "");
    return rc;
}

static int key_side(const char *key, const char *ext, char *out)
{
    int n = snprintf(out, ZK_PATH_MAX, "%s.%s", key, ext);
    return n > 0 && n < ZK_PATH_MAX ? APEX_OK : APEX_ERR_INVALID;
}

/* MemAvailable of /proc/meminfo in MB, lowered to the cgroup's memory.max when that is set
 * (in a container the cgroup's limit is what kills); 0 when neither can be read (no limit). */
static uint64_t mem_available_mb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb = 0, cg = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    uint64_t mb = (uint64_t)(kb >> 10);
    if ((f = fopen("/sys/fs/cgroup/memory.max", "r"))) { /* "max" when unlimited */
        if (fscanf(f, "%llu", &cg) == 1 && (mb == 0 || (uint64_t)(cg >> 20) < mb))
            mb = (uint64_t)(cg >> 20);
        fclose(f);
    }
    return mb;
}

/* KEY + suffix as an absolute path: a saved commitment records its tableau file's path, and
 * later proofs may run from another directory. */
static int key_tab(const char *key, const char *suffix, char *out)
{
    char cwd[ZK_PATH_MAX];
    int n = key[0] == '/'             ? snprintf(out, ZK_PATH_MAX, "%s%s", key, suffix)
            : getcwd(cwd, sizeof cwd) ? snprintf(out, ZK_PATH_MAX, "%s/%s%s", cwd, key, suffix)
                                      : -1;
    return n > 0 && n < ZK_PATH_MAX ? APEX_OK : APEX_ERR_INVALID;
}

/* C_w(e)'s tableau file: KEY.w<e>.tab (one per epoch, so that the next one is written before
 * the state that names it replaces the last). */
static int key_w_tab(const char *key, uint64_t epoch, char *out)
{
    char suffix[40];
    snprintf(suffix, sizeof suffix, ".w%" PRIu64 ".tab", epoch);
    return key_tab(key, suffix, out);
}

/* SHA-256 of the targeted layer table (names, offsets, shapes) in target order. */
static int layer_hash_of(const apex_mask_layer *l, size_t n, uint8_t out[APEX_COMP_ID_LEN])
{
    apex_sha256_ctx *h = apex_sha256_new();
    if (!h)
        return APEX_ERR_NOMEM;
    int rc = apex_sha256_update(h, "apex-layers-v1", 14);
    for (size_t i = 0; i < n && rc == APEX_OK; i++) {
        uint8_t b[64 + 24] = {0};
        memcpy(b, l[i].name, strnlen(l[i].name, 63));
        uint64_t v[3] = {l[i].offset, l[i].rows, l[i].cols};
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 8; j++)
                b[64 + 8 * k + j] = (uint8_t)(v[k] >> (8 * j));
        rc = apex_sha256_update(h, b, sizeof b);
    }
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, out);
    apex_sha256_destroy(&h);
    return rc;
}

int zk_model_layers(const apex_ml_model *m, apex_mask_layer *l, size_t *n)
{
    if (m->n_targets < 1 || m->n_targets > APEX_ML_MAX_DEPTH)
        return APEX_ERR_INVALID;
    for (int t = 0; t < m->n_targets; t++) {
        memset(&l[t], 0, sizeof l[t]);
        snprintf(l[t].name, sizeof l[t].name, "%s", m->targets[t].name);
        l[t].offset = m->targets[t].offset;
        l[t].rows = (uint64_t)m->targets[t].rows;
        l[t].cols = (uint64_t)m->targets[t].cols;
    }
    *n = (size_t)m->n_targets;
    return APEX_OK;
}

int zk_mask_to_stmt(const apex_mask *mk, uint64_t **out, size_t *n)
{
    uint64_t *s = malloc((mk->count ? mk->count : 1) * sizeof *s);
    if (!s)
        return APEX_ERR_NOMEM;
    size_t k = 0;
    uint64_t base = 0;
    for (size_t t = 0; t < mk->nlayers; t++) {
        uint64_t *local = NULL;
        size_t nl = 0;
        int rc = apex_mask_layer_indices(mk, t, &local, &nl);
        if (rc != APEX_OK) {
            free(s);
            return rc;
        }
        for (size_t i = 0; i < nl; i++)
            s[k++] = base + local[i];
        free(local);
        base += mk->layers[t].rows * mk->layers[t].cols;
    }
    *out = s;
    *n = k;
    return APEX_OK;
}

/* Statement indices back to a mask over the model's flat parameters. */
static int stmt_to_mask(const apex_mask *req, const uint64_t *s, size_t n, apex_mask **out,
                        char *why)
{
    uint64_t *flat = malloc((n ? n : 1) * sizeof *flat);
    if (!flat)
        return APEX_ERR_NOMEM;
    size_t t = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < n; i++) {
        while (t < req->nlayers && s[i] >= base + req->layers[t].rows * req->layers[t].cols)
            base += req->layers[t].rows * req->layers[t].cols, t++;
        if (t == req->nlayers) {
            free(flat);
            return APEX_ERR_RANGE;
        }
        flat[i] = req->layers[t].offset + (s[i] - base);
    }
    int rc = apex_mask_new(req->model_id, req->layers, req->nlayers, flat, n, out, why);
    free(flat);
    return rc;
}

static void client_id_bytes(uint64_t id, uint8_t out[APEX_COMP_ID_LEN])
{
    memset(out, 0, APEX_COMP_ID_LEN);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(id >> (8 * i));
}

static int model_id_of(const apex_ml_model *m, uint8_t out[APEX_COMP_ID_LEN])
{
    const char *name = apex_ml_config_name(&m->cfg);
    apex_sha256_ctx *h = apex_sha256_new();
    if (!h)
        return APEX_ERR_NOMEM;
    const uint32_t v[8] = {m->cfg.arch,  m->cfg.side, m->cfg.n_classes, m->cfg.hidden,
                           m->cfg.patch, m->cfg.dim,  m->cfg.depth,     m->cfg.heads};
    uint8_t b[32];
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            b[4 * i + j] = (uint8_t)(v[i] >> (8 * j));
    int rc = apex_sha256_update(h, "apex-model-v1", 13);
    if (rc == APEX_OK)
        rc = apex_sha256_update(h, name, strlen(name));
    if (rc == APEX_OK)
        rc = apex_sha256_update(h, b, sizeof b);
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, out);
    apex_sha256_destroy(&h);
    return rc;
}

static unsigned log2_ceil(uint64_t n)
{
    unsigned k = 0;
    while ((UINT64_C(1) << k) < n)
        k++;
    return k;
}

/* ================================================================ apex commit */

static void commit_usage(FILE *f)
{
    fprintf(f,
            "usage: apex commit --model CLIENT --client ID --out client.commit [options]\n"
            "Registration of the compliance proof (docs/PROOF.md): commits to the client's\n"
            "per-sample gradients G~ (int8, N samples of its private data, taken now, before\n"
            "any mask exists) and to its fixed-point weights w~ of every targeted matrix, and\n"
            "proves both in range. Writes the public record (send it to the coordinator) and\n"
            "the private key files KEY, KEY.cg, KEY.cw (mode 0600; never send them).\n\n"
            "options:\n"
            "  --key KEY          private state (default: OUT.key)\n"
            "  --samples N        gradient rows (default %d; padded to a power of two)\n"
            "  --block B          weights per block (default %u)\n"
            "  --tau-log2 T       residual tolerance tau = 2^T (default %u)\n"
            "  --log-block L      Ligero rows of 2^L (default: chosen from the size of G~,\n"
            "                     12..18; 15 at 10^6 weights and 64 samples)\n"
            "  --fleet HEX        64 hex digits binding the fleet (default zeros)\n"
            "  --tableau          also write KEY.tab, C_G's encoded tableau (about 32 bytes\n"
            "                     per G~ entry), and KEY.w0.tab, C_w's (32 per weight), so\n"
            "                     that every later proof reads its opened columns instead\n"
            "                     of re-encoding G~ and w~ (faster proofs); each proof then\n"
            "                     writes KEY.w<e+1>.tab for the next and removes KEY.w<e>.tab\n"
            "  --max-memory MB    refuse (exit 4) when the registration proof's estimated\n"
            "                     peak memory exceeds MB (default: the system's available\n"
            "                     memory; about 384 bytes per G~ entry, 25 GB at 10^6\n"
            "                     weights and 64 samples) instead of being killed partway\n"
            "  --seed S --exclude LIST --data DIR   which client's data (as for personalize)\n"
            "  --threads T --json\n"
            "exit: 0 written, 2 usage, 3 bad model or data, 4 runtime failure\n",
            ZK_DEF_SAMPLES, APEX_OBS_DEFAULT_BLOCK, APEX_OBSQ_DEFAULT_TAU_LOG2);
}

typedef struct zk_opts {
    const char *model, *out, *key, *data, *fleet;
    long client, seed, exclude, threads, samples, block, tau, log_block, max_mb;
    int json;
    int tableau; /* commit: write KEY.tab */
} zk_opts;

static int commit_parse(int argc, char **argv, zk_opts *o)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},    {"client", required_argument, 0, 'c'},
        {"out", required_argument, 0, 'o'},      {"key", required_argument, 0, 'k'},
        {"samples", required_argument, 0, 'N'},  {"block", required_argument, 0, 'B'},
        {"tau-log2", required_argument, 0, 'T'}, {"log-block", required_argument, 0, 'L'},
        {"fleet", required_argument, 0, 'f'},    {"seed", required_argument, 0, 's'},
        {"exclude", required_argument, 0, 'x'},  {"data", required_argument, 0, 'd'},
        {"threads", required_argument, 0, 't'},  {"json", no_argument, 0, 'j'},
        {"tableau", no_argument, 0, 'Y'},        {"max-memory", required_argument, 0, 'X'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->client = -1;
    o->seed = 1;
    o->samples = ZK_DEF_SAMPLES;
    o->block = APEX_OBS_DEFAULT_BLOCK;
    o->tau = APEX_OBSQ_DEFAULT_TAU_LOG2;
    o->log_block = 0; /* auto */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        long *dst = NULL, lo = 0, hi = 0;
        switch (c) {
        case 'm':
            o->model = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'k':
            o->key = optarg;
            break;
        case 'd':
            o->data = optarg;
            break;
        case 'f':
            o->fleet = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'Y':
            o->tableau = 1;
            break;
        case 'x':
            if ((o->exclude = ml_cli_class_mask(optarg)) < 0)
                return -1;
            break;
        case 'h':
            return 1;
        case 'c':
            dst = &o->client, lo = 0, hi = UINT32_MAX;
            break;
        case 's':
            dst = &o->seed, lo = 0, hi = INT32_MAX;
            break;
        case 't':
            dst = &o->threads, lo = 1, hi = 64;
            break;
        case 'N':
            dst = &o->samples, lo = 1, hi = APEX_OBS_MAX_SAMPLES;
            break;
        case 'B':
            dst = &o->block, lo = 2, hi = APEX_OBS_MAX_BLOCK;
            break;
        case 'T':
            dst = &o->tau, lo = 1, hi = APEX_OBSQ_MAX_TAU_LOG2;
            break;
        case 'L':
            dst = &o->log_block, lo = 4, hi = APEX_LIGERO_MAX_LOG_BLOCK;
            break;
        case 'X':
            dst = &o->max_mb, lo = 1, hi = LONG_MAX;
            break;
        default:
            return -1;
        }
        if (dst) {
            long v = ml_cli_long(optarg);
            if (v < lo || v > hi)
                return -1;
            *dst = v;
        }
    }
    if (!o->model || !o->out || o->client < 0 || optind != argc)
        return -1;
    return 0;
}

int cmd_commit(int argc, char **argv)
{
    apex_heap_keep(); /* the commitments and the registration proof: see core.h */
    zk_opts o;
    int pr = commit_parse(argc, argv, &o);
    if (pr != 0) {
        commit_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? APEX_EXIT_OK : APEX_EXIT_USAGE;
    }
    char keyp[ZK_PATH_MAX], kcg[ZK_PATH_MAX], kcw[ZK_PATH_MAX], ktab[ZK_PATH_MAX] = "",
                                                                ktw[ZK_PATH_MAX] = "";
    if ((o.key ? snprintf(keyp, sizeof keyp, "%s", o.key)
               : snprintf(keyp, sizeof keyp, "%s.key", o.out)) >= ZK_PATH_MAX ||
        key_side(keyp, "cg", kcg) != APEX_OK || key_side(keyp, "cw", kcw) != APEX_OK)
        return zk_fail("commit", APEX_EXIT_USAGE, "path too long", NULL);
    if (o.tableau && (key_tab(keyp, ".tab", ktab) != APEX_OK || key_w_tab(keyp, 0, ktw) != APEX_OK))
        return zk_fail("commit", APEX_EXIT_USAGE, "path too long", NULL);
    apex_commit_record rec;
    memset(&rec, 0, sizeof rec);
    if (o.fleet && apex_unhex(o.fleet, rec.fleet_id, APEX_COMP_ID_LEN) != APEX_OK)
        return zk_fail("commit", APEX_EXIT_USAGE, "--fleet needs 64 hex digits", NULL);
    apex_ml_set_threads((int)o.threads);
    double t0 = apex_now_s();
    apex_ml_model *m = NULL;
    apex_ml_dataset *pool = NULL, *tr = NULL, *va = NULL;
    int8_t *g = NULL;
    int32_t *w = NULL;
    apex_ligero_commitment *cg = NULL, *cw = NULL;
    apex_comp_reg_proof rp;
    memset(&rp, 0, sizeof rp);
    int have_rp = 0;
    char why[APEX_MASK_WHY_LEN] = "";
    const char *reason = NULL;
    int rc = apex_ml_model_load(o.model, &m);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex commit: %s: %s\n", o.model, apex_strerror(rc));
        return apex_exit_code(rc);
    }
    apex_ml_client_spec spec;
    if ((rc = apex_ml_client_spec_make((uint32_t)o.client, (uint64_t)o.seed, (unsigned)o.exclude,
                                       &spec)) != APEX_OK ||
        (rc = ml_cli_load(o.data, 1, &pool)) != APEX_OK ||
        (rc = apex_ml_client_data(&spec, pool, &tr, &va)) != APEX_OK) {
        fprintf(stderr, "apex commit: the client's data: %s\n", apex_strerror(rc));
        goto done;
    }
    int f = m->frac_bits > 0 ? m->frac_bits : apex_ml_fixed_choose_bits(m);
    if (f <= 0 || (m->frac_bits != f && (rc = apex_ml_fixed_snap(m, f)) != APEX_OK)) {
        rc = rc != APEX_OK ? rc : APEX_ERR_RANGE;
        fprintf(stderr, "apex commit: the model has no fixed-point export\n");
        goto done;
    }
    size_t n = (size_t)o.samples < (size_t)tr->n ? (size_t)o.samples : (size_t)tr->n;
    size_t np = (size_t)1 << log2_ceil(n), d = 0;
    if ((rc = apex_unl_stmt_grads(m, tr, n, np, (size_t)o.block, &g, &d, why)) != APEX_OK) {
        fprintf(stderr, "apex commit: %s\n", why[0] ? why : apex_strerror(rc));
        goto done;
    }
    if (!(w = apex_calloc_n(d, sizeof *w))) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    if ((rc = apex_unl_stmt_weights(m, f, w, why)) != APEX_OK) {
        fprintf(stderr, "apex commit: %s\n", why);
        goto done;
    }
    if (!o.log_block)
        o.log_block = (long)zk_auto_log_block((d + (size_t)o.block - 1) / (size_t)o.block * np *
                                              (size_t)o.block);
    /* NREQ for this BLOCK: the rows' rate, and so the bits per query, depend on it */
    size_t nreq = apex_ligero_nreq_for_bits((unsigned)o.log_block, APEX_LIGERO_KMAX + 1,
                                            APEX_COMP_LIGERO_BITS_TARGET);
    if (!nreq) {
        fprintf(stderr,
                "apex commit: --log-block %ld cannot reach %.1f bits of Ligero soundness with "
                "%u openings; use 13 or more\n",
                o.log_block, APEX_COMP_LIGERO_BITS_TARGET, APEX_LIGERO_KMAX + 1);
        rc = APEX_ERR_INVALID;
        goto done;
    }
    rec.cfg = (apex_comp_config){{np, (uint64_t)o.block, 8, APEX_ML_FIXED_BITS,
                                  (uint64_t)apex_obsq_lambda_for(np), (uint32_t)o.tau, 16},
                                 d,
                                 (unsigned)o.log_block,
                                 nreq,
                                 APEX_LIGERO_KMAX};
    uint64_t need_mb = (uint64_t)(apex_comp_register_mem_estimate(&rec.cfg) >> 20),
             have_mb = o.max_mb > 0 ? (uint64_t)o.max_mb : mem_available_mb();
    if (have_mb && need_mb > have_mb) {
        fprintf(stderr,
                "apex commit: the registration proof needs about %" PRIu64 " MB for %zu weights "
                "and %zu samples (padded), more than the %" PRIu64 " MB %s (it is still the flat "
                "proof over every G~ entry: use fewer samples or weights, or raise --max-memory "
                "if swap can take it)\n",
                need_mb, d, np, have_mb, o.max_mb > 0 ? "of --max-memory" : "available");
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    apex_mask_layer layers[APEX_ML_MAX_DEPTH];
    size_t nl = 0;
    apex_comp_src sg, sw;
    if ((rc = zk_model_layers(m, layers, &nl)) != APEX_OK ||
        (rc = layer_hash_of(layers, nl, rec.layer_hash)) != APEX_OK ||
        (rc = model_id_of(m, rec.model_id)) != APEX_OK ||
        (rc = apex_comp_src_g(&rec.cfg, g, &sg, &reason)) != APEX_OK ||
        (rc = apex_comp_src_w(&rec.cfg, w, &sw, &reason)) != APEX_OK) {
        fprintf(stderr, "apex commit: %s\n", reason ? reason : apex_strerror(rc));
        goto done;
    }
    client_id_bytes((uint64_t)o.client, rec.client_id);
    if (!(cg = apex_comp_commit_src(&sg, o.tableau ? ktab : NULL, &rec.root_g, &reason)) ||
        !(cw = apex_comp_commit_src(&sw, o.tableau ? ktw : NULL, &rec.root_w, &reason))) {
        rc = APEX_ERR_INTERNAL;
        fprintf(stderr, "apex commit: %s\n", reason ? reason : "commitment failed");
        goto done;
    }
    rec.root_w_reg = rec.root_w;
    apex_comp_public pub;
    apex_commit_record_public(&rec, NULL, NULL, 0, &pub);
    if ((rc = apex_comp_register_prove(&rec.cfg, &pub, g, w, cg, cw, NULL, &rp, &reason)) !=
        APEX_OK) {
        fprintf(stderr, "apex commit: registration: %s\n", reason ? reason : apex_strerror(rc));
        goto done;
    }
    have_rp = 1;
    apex_enc_writer ew;
    apex_enc_writer_init(&ew, APEX_COMMITFILE_MAX_BYTES / 2);
    if ((rc = apex_comp_reg_proof_encode(&rec.cfg, &rp, &ew)) == APEX_OK)
        rc = apex_enc_writer_take(&ew, &rec.reg, &rec.reg_len);
    apex_enc_writer_free(&ew);
    if (rc != APEX_OK)
        goto done;
    apex_commit_key key;
    memset(&key, 0, sizeof key);
    key.frac_bits = f;
    key.n_real = n;
    key.root_g = rec.root_g;
    key.root_w = rec.root_w;
    key.g = g;
    key.glen = (size_t)(d / (size_t)o.block) * np * (size_t)o.block;
    key.g_openings = 0;
    if ((rc = apex_commit_w_hash(w, d, key.w_hash)) != APEX_OK ||
        (rc = apex_ligero_commitment_save(cg, kcg, &reason)) != APEX_OK ||
        (rc = apex_ligero_commitment_save(cw, kcw, &reason)) != APEX_OK ||
        (rc = apex_commit_key_write(keyp, &key, &reason)) != APEX_OK ||
        (rc = apex_commit_record_write(o.out, &rec, &reason)) != APEX_OK) {
        fprintf(stderr, "apex commit: %s\n", reason ? reason : apex_strerror(rc));
        goto done;
    }
    char hg[65], hw[65];
    apex_hex(rec.root_g.b, 32, hg);
    apex_hex(rec.root_w.b, 32, hw);
    double secs = apex_now_s() - t0;
    if (o.json)
        printf("{\"event\":\"committed\",\"d\":%zu,\"n\":%zu,\"n_padded\":%zu,\"block\":%ld,"
               "\"log_block\":%ld,\"root_g\":\"%s\",\"root_w\":\"%s\",\"registration_bytes\":%zu,"
               "\"seconds\":%.3f,\"out\":\"%s\",\"key\":\"%s\"}\n",
               d, n, np, o.block, o.log_block, hg, hw, rec.reg_len, secs, o.out, keyp);
    else
        printf("committed: %zu weights, G~ of %zu samples (padded to %zu), Ligero rows of 2^%ld, "
               "C_G %.16s..., C_w %.16s..., registration proof %zu bytes, %.2f s\n  public: %s\n"
               "  private: %s (+ .cg, .cw; keep them secret)\n",
               d, n, np, o.log_block, hg, hw, rec.reg_len, secs, o.out, keyp);
done:
    if (rc != APEX_OK && ktab[0]) { /* a failed registration leaves no tableau it wrote */
        if (cg)
            unlink(ktab);
        if (cw)
            unlink(ktw);
    }
    if (have_rp)
        apex_comp_reg_proof_free(&rp);
    apex_ligero_commitment_destroy(&cg);
    apex_ligero_commitment_destroy(&cw);
    apex_commit_record_free(&rec);
    free(g);
    free(w);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return apex_exit_code(rc);
}

/* ================================================================ apex unlearn --proof */

int zk_unlearn_proved(apex_ml_model *m, const char *mask_path, zk_unlearn_args *a,
                      apex_unl_report *rep)
{
    char kcg[ZK_PATH_MAX], kcw[ZK_PATH_MAX], kcwn[ZK_PATH_MAX], ktwn[ZK_PATH_MAX] = "";
    int ktwn_written = 0;
    if (key_side(a->key, "cg", kcg) != APEX_OK || key_side(a->key, "cw", kcw) != APEX_OK ||
        key_side(a->key, "cw.next", kcwn) != APEX_OK)
        return zk_fail("unlearn", APEX_ERR_INVALID, "path too long", NULL);
    apex_commit_record rec;
    apex_commit_key key;
    apex_proof_record prf;
    memset(&prf, 0, sizeof prf);
    apex_mask *req = NULL, *um = NULL;
    uint64_t *sreq = NULL, *cum = NULL;
    size_t nsreq = 0, ncum = 0;
    int32_t *w0 = NULL, *w1 = NULL;
    apex_ligero_commitment *cg = NULL, *cw0 = NULL, *cw1 = NULL;
    apex_comp_proof pf;
    int have_pf = 0;
    const char *reason = NULL;
    char why[APEX_MASK_WHY_LEN] = "";
    uint8_t *mbuf = NULL;
    size_t mlen = 0;
    int rc = apex_commit_record_read(a->commit, &rec, &reason);
    if (rc != APEX_OK)
        return zk_fail("unlearn", rc, a->commit, reason);
    if ((rc = apex_commit_key_read(a->key, &key, &reason)) != APEX_OK) {
        apex_commit_record_free(&rec);
        return zk_fail("unlearn", rc, a->key, reason);
    }
    size_t d = (size_t)rec.cfg.d, np = (size_t)rec.cfg.sp.n_samples, B = rec.cfg.sp.block;
    apex_mask_layer layers[APEX_ML_MAX_DEPTH];
    size_t nl = 0;
    uint8_t lh[APEX_COMP_ID_LEN];
    if (memcmp(key.root_g.b, rec.root_g.b, 32) != 0 || key.glen != d / B * np * B) {
        rc = zk_fail("unlearn", APEX_ERR_FORMAT, "the key does not belong to", a->commit);
        goto done;
    }
    if ((rc = zk_model_layers(m, layers, &nl)) != APEX_OK ||
        (rc = layer_hash_of(layers, nl, lh)) != APEX_OK || memcmp(lh, rec.layer_hash, 32) != 0) {
        rc = zk_fail("unlearn", APEX_ERR_FORMAT,
                     "the model's targeted layers are not the committed ones", NULL);
        goto done;
    }
    if (m->frac_bits != key.frac_bits && (rc = apex_ml_fixed_snap(m, key.frac_bits)) != APEX_OK) {
        rc = zk_fail("unlearn", rc, "the model does not fit the committed fixed-point grid", NULL);
        goto done;
    }
    uint8_t wh[APEX_SHA256_LEN];
    if (!(w0 = apex_calloc_n(d, sizeof *w0)) || !(w1 = apex_calloc_n(d, sizeof *w1))) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    if ((rc = apex_unl_stmt_weights(m, key.frac_bits, w0, why)) != APEX_OK ||
        (rc = apex_commit_w_hash(w0, d, wh)) != APEX_OK || memcmp(wh, key.w_hash, 32) != 0) {
        rc = zk_fail("unlearn", APEX_ERR_FORMAT,
                     "the model is not the committed one (w~ differs from C_w(e))",
                     why[0] ? why : NULL);
        goto done;
    }
    /* the request: its statement indices, united with the mask so far */
    if ((rc = apex_file_read_all(mask_path, (size_t)1 << 31, &mbuf, &mlen)) != APEX_OK ||
        (rc = apex_mask_decode(mbuf, mlen, &req, why)) != APEX_OK) {
        rc = zk_fail("unlearn", rc, mask_path, why[0] ? why : apex_strerror(rc));
        goto done;
    }
    if ((rc = apex_sha256(mbuf, mlen, prf.request_id)) != APEX_OK ||
        (rc = zk_mask_to_stmt(req, &sreq, &nsreq)) != APEX_OK ||
        (rc = apex_mask_union(key.mask, key.nmask, sreq, nsreq, &cum, &ncum)) != APEX_OK ||
        (rc = stmt_to_mask(req, cum, ncum, &um, why)) != APEX_OK)
        goto done;
    if (a->nonce)
        memcpy(prf.nonce, a->nonce, APEX_COMP_ID_LEN);
    else if ((rc = apex_os_random(prf.nonce, APEX_COMP_ID_LEN)) != APEX_OK)
        goto done;
    /* compensation with the committed G~ */
    apex_obsq_params op;
    apex_obsq_params_default(&op);
    op.block = B;
    op.lambda = (int64_t)rec.cfg.sp.lambda;
    op.tau_log2 = rec.cfg.sp.tau_log2;
    op.threads = a->threads > 0 ? (unsigned)a->threads : 1;
    if ((rc = apex_unl_compensate_stmt(m, um, key.g, np, &op, key.frac_bits, w1, rep, why)) !=
        APEX_OK) {
        rc = zk_fail("unlearn", rc, "compensation", why);
        goto done;
    }
    rep->n = (size_t)key.n_real;
    /* commitments: the stored ones, and C_w(e+1) */
    apex_comp_src sg, s0, s1;
    apex_hash root_w0 = key.root_w;
    if ((rc = apex_comp_src_g(&rec.cfg, key.g, &sg, &reason)) != APEX_OK ||
        (rc = apex_comp_src_w(&rec.cfg, w0, &s0, &reason)) != APEX_OK ||
        (rc = apex_comp_src_w(&rec.cfg, w1, &s1, &reason)) != APEX_OK ||
        !(cg = apex_comp_load_src(&sg, kcg, &rec.root_g, &reason)) ||
        !(cw0 = apex_comp_load_src(&s0, kcw, &root_w0, &reason))) {
        rc = zk_fail("unlearn", rc != APEX_OK ? rc : APEX_ERR_FORMAT, "commitment state", reason);
        goto done;
    }
    /* C_w(e+1), with a tableau file for the next round when C_w(e) has one */
    if (apex_ligero_cache_path(cw0) && key_w_tab(a->key, key.epoch + 1, ktwn) != APEX_OK) {
        rc = zk_fail("unlearn", APEX_ERR_INVALID, "path too long", NULL);
        goto done;
    }
    ktwn_written = ktwn[0] != 0;
    cw1 = apex_comp_commit_src_mem(&s1, ktwn[0] ? ktwn : NULL, &prf.root_w1, &reason);
    if (!cw1 && ktwn[0]) { /* the file only saves time: the step goes on without it */
        LOG_WARN("%s not written (%s): the next proof re-encodes C_w", ktwn,
                 reason ? reason : "error");
        ktwn_written = 0;
        cw1 = apex_comp_commit_src_mem(&s1, NULL, &prf.root_w1, &reason);
    }
    if (!cw1) {
        rc = zk_fail("unlearn", APEX_ERR_INTERNAL, "committing to w~'", reason);
        goto done;
    }
    apex_comp_public pub;
    apex_commit_record_public(&rec, &prf, cum, ncum, &pub);
    pub.epoch = key.epoch;
    pub.root_w0 = key.root_w;
    prf.epoch = key.epoch;
    /* write-ahead: the opening counter reaches the disk before anything is revealed */
    uint32_t used = key.g_openings;
    if (used >= rec.cfg.kmax) {
        rc = zk_fail("unlearn", APEX_ERR_STATE, "compliance: opening budget exhausted",
                     "register again with a fresh G~");
        goto done;
    }
    key.g_openings = used + 1;
    if ((rc = apex_commit_key_write(a->key, &key, &reason)) != APEX_OK) {
        rc = zk_fail("unlearn", rc, a->key, reason);
        goto done;
    }
    double tp = apex_now_s();
    if ((rc = apex_comp_prove(&rec.cfg, &pub, key.g, w0, w1, cg, cw0, cw1, &used, NULL, &pf,
                              &reason)) != APEX_OK) {
        rc = zk_fail("unlearn", rc, "the prover refused", reason);
        goto done;
    }
    have_pf = 1;
    a->prove_s = apex_now_s() - tp;
    const char *why_not = apex_ligero_cache_status(cg);
    a->tableau = why_not == NULL;
    if (why_not)
        LOG_INFO("C_G re-encoded for the proof (%s)", why_not);
    a->w_tableau = apex_ligero_cache_status(cw0) == NULL;
    apex_enc_writer ew;
    apex_enc_writer_init(&ew, APEX_COMMITFILE_MAX_BYTES / 2);
    if ((rc = apex_comp_proof_encode(&rec.cfg, &pf, &ew)) == APEX_OK)
        rc = apex_enc_writer_take(&ew, &prf.proof, &prf.proof_len);
    apex_enc_writer_free(&ew);
    if (rc != APEX_OK || (rc = apex_proof_record_write(a->proof, &prf, &reason)) != APEX_OK ||
        (rc = apex_ligero_commitment_save(cg, kcg, &reason)) != APEX_OK ||
        (rc = apex_ligero_commitment_save(cw1, kcwn, &reason)) != APEX_OK) {
        rc = zk_fail("unlearn", rc, "writing the proof or the commitment state", reason);
        goto done;
    }
    a->proof_bytes = prf.proof_len;
    /* the client's chain advances (the model file is written by the caller) */
    key.epoch++;
    key.root_w = prf.root_w1;
    free(key.mask);
    key.mask = cum;
    key.nmask = ncum;
    cum = NULL;
    if ((rc = apex_commit_w_hash(w1, d, key.w_hash)) != APEX_OK ||
        (rc = apex_commit_key_write(a->key, &key, &reason)) != APEX_OK ||
        (rc = rename(kcwn, kcw) == 0 ? APEX_OK : APEX_ERR_IO) != APEX_OK)
        rc = zk_fail("unlearn", rc, "updating the key", reason);
    else {
        /* the state now names the new file; C_w(e)'s is removed if it is this key's own
         * (a copied key's state names the original chain's file, which stays) */
        char old[ZK_PATH_MAX];
        const char *was = apex_ligero_cache_path(cw0);
        ktwn_written = 0;
        if (was && key_w_tab(a->key, key.epoch - 1, old) == APEX_OK && strcmp(was, old) == 0)
            unlink(old);
    }
done:
    if (ktwn_written) /* a failed step leaves no tableau behind */
        unlink(ktwn);
    if (have_pf)
        apex_comp_proof_free(&pf);
    apex_ligero_commitment_destroy(&cg);
    apex_ligero_commitment_destroy(&cw0);
    apex_ligero_commitment_destroy(&cw1);
    apex_proof_record_free(&prf);
    apex_commit_record_free(&rec);
    apex_commit_key_free(&key);
    apex_mask_destroy(&req);
    apex_mask_destroy(&um);
    free(mbuf);
    free(sreq);
    free(cum);
    free(w0);
    free(w1);
    return rc;
}

/* ================================================================ apex verify */

static void verify_usage(FILE *f)
{
    fprintf(f, "usage: apex verify --commit client.commit --mask MASK --proof proof.bin\n"
               "                   [--nonce HEX] [--update] [--json]\n"
               "Checks one unlearning proof against the roots stored in client.commit (never\n"
               "against roots the client resends): the registration proof, then that the new\n"
               "weights are the Group-OBS transformation of the committed ones for the\n"
               "cumulative mask (the stored one plus MASK) within tau.\n"
               "  --nonce HEX  the nonce this verifier sent (64 hex digits); a proof made for\n"
               "               another nonce is rejected\n"
               "  --update     on acceptance, advance client.commit to the new epoch, C_w(e+1)\n"
               "               and mask (what a coordinator stores)\n"
               "exit: 0 accepted, 1 rejected (the failing check is printed), 2 usage,\n"
               "      3 missing or malformed file\n");
}

static int verify_out(int json, int ok, const char *why, double secs)
{
    if (json)
        printf("{\"event\":\"verify\",\"accepted\":%s,\"reason\":\"%s\",\"seconds\":%.4f}\n",
               ok ? "true" : "false", ok ? "" : why, secs);
    else if (ok)
        printf("accepted\n");
    else
        printf("rejected: %s\n", why);
    return ok ? APEX_EXIT_OK : APEX_EXIT_FAIL;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"commit", required_argument, 0, 'c'}, {"mask", required_argument, 0, 'k'},
        {"proof", required_argument, 0, 'p'},  {"nonce", required_argument, 0, 'n'},
        {"update", no_argument, 0, 'u'},       {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    const char *cpath = NULL, *mpath = NULL, *ppath = NULL, *nonce_hex = NULL;
    int update = 0, json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            cpath = optarg;
            break;
        case 'k':
            mpath = optarg;
            break;
        case 'p':
            ppath = optarg;
            break;
        case 'n':
            nonce_hex = optarg;
            break;
        case 'u':
            update = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            verify_usage(stdout);
            return APEX_EXIT_OK;
        default:
            verify_usage(stderr);
            return APEX_EXIT_USAGE;
        }
    }
    uint8_t nonce[APEX_COMP_ID_LEN];
    if (!cpath || !mpath || !ppath || optind != argc ||
        (nonce_hex && apex_unhex(nonce_hex, nonce, sizeof nonce) != APEX_OK)) {
        verify_usage(stderr);
        return APEX_EXIT_USAGE;
    }
    double t0 = apex_now_s();
    apex_commit_record rec;
    apex_proof_record prf;
    apex_mask *req = NULL;
    uint64_t *sreq = NULL, *cum = NULL;
    size_t nsreq = 0, ncum = 0;
    uint8_t *mbuf = NULL, rid[APEX_SHA256_LEN], lh[APEX_COMP_ID_LEN];
    size_t mlen = 0;
    const char *reason = NULL;
    char why[APEX_MASK_WHY_LEN] = "";
    int rc = apex_commit_record_read(cpath, &rec, &reason);
    if (rc != APEX_OK)
        return zk_fail("verify", APEX_EXIT_INPUT, cpath, reason);
    if ((rc = apex_proof_record_read(ppath, &prf, &reason)) != APEX_OK) {
        apex_commit_record_free(&rec);
        return zk_fail("verify", APEX_EXIT_INPUT, ppath, reason);
    }
    int exit_code = APEX_EXIT_INPUT;
    if ((rc = apex_file_read_all(mpath, (size_t)1 << 31, &mbuf, &mlen)) != APEX_OK ||
        (rc = apex_mask_decode(mbuf, mlen, &req, why)) != APEX_OK) {
        zk_fail("verify", rc, mpath, why[0] ? why : apex_strerror(rc));
        goto done;
    }
    exit_code = APEX_EXIT_RUNTIME;
    if ((rc = apex_sha256(mbuf, mlen, rid)) != APEX_OK ||
        (rc = layer_hash_of(req->layers, req->nlayers, lh)) != APEX_OK)
        goto done;
    /* binding checks before the proof: each is a rejection with its reason */
    if (memcmp(lh, rec.layer_hash, 32) != 0) {
        exit_code = verify_out(json, 0, "the mask's layer table is not the committed one",
                               apex_now_s() - t0);
        goto done;
    }
    if (prf.epoch != rec.epoch) {
        snprintf(why, sizeof why, "stale proof (epoch %llu; the commitment is at epoch %llu)",
                 (unsigned long long)prf.epoch, (unsigned long long)rec.epoch);
        exit_code = verify_out(json, 0, why, apex_now_s() - t0);
        goto done;
    }
    if (memcmp(rid, prf.request_id, sizeof rid) != 0) {
        exit_code = verify_out(json, 0, "the proof was made for another mask", apex_now_s() - t0);
        goto done;
    }
    if (nonce_hex && memcmp(nonce, prf.nonce, sizeof nonce) != 0) {
        exit_code = verify_out(json, 0, "the proof was made for another nonce", apex_now_s() - t0);
        goto done;
    }
    if ((rc = zk_mask_to_stmt(req, &sreq, &nsreq)) != APEX_OK ||
        (rc = apex_mask_union(rec.mask, rec.nmask, sreq, nsreq, &cum, &ncum)) != APEX_OK)
        goto done;
    /* a commitment made with too few queries for its BLOCK is refused, whatever it proves */
    double lbits = apex_comp_ligero_bits(&rec.cfg);
    if (!(lbits >= APEX_COMP_LIGERO_BITS_MIN)) {
        snprintf(why, sizeof why,
                 "the commitment's parameters give %.1f bits of Ligero soundness, below the "
                 "%.0f-bit floor",
                 lbits, APEX_COMP_LIGERO_BITS_MIN);
        exit_code = verify_out(json, 0, why, apex_now_s() - t0);
        goto done;
    }
    /* the registration proof of the stored roots, then the unlearning proof */
    apex_comp_public pub;
    apex_commit_record_public(&rec, NULL, NULL, 0, &pub);
    pub.epoch = 0;
    pub.root_w0 = rec.root_w_reg;
    apex_enc_reader er;
    apex_comp_reg_proof rp;
    apex_enc_reader_init(&er, rec.reg, rec.reg_len);
    if (apex_comp_reg_proof_decode(&rec.cfg, &er, &rp) != APEX_OK) {
        exit_code = verify_out(json, 0, "registration proof malformed", apex_now_s() - t0);
        goto done;
    }
    rc = apex_enc_reader_finish(&er) == APEX_OK
             ? apex_comp_register_verify(&rec.cfg, &pub, &rp, &reason)
             : APEX_ERR_REJECTED;
    apex_comp_reg_proof_free(&rp);
    if (rc != APEX_OK) {
        exit_code =
            verify_out(json, 0, reason ? reason : "registration proof rejected", apex_now_s() - t0);
        goto done;
    }
    apex_commit_record_public(&rec, &prf, cum, ncum, &pub);
    apex_comp_proof pf;
    apex_enc_reader_init(&er, prf.proof, prf.proof_len);
    if (apex_comp_proof_decode(&rec.cfg, &er, &pf) != APEX_OK) {
        exit_code = verify_out(json, 0, "compliance: malformed proof", apex_now_s() - t0);
        goto done;
    }
    rc = apex_enc_reader_finish(&er) == APEX_OK ? apex_comp_verify(&rec.cfg, &pub, &pf, &reason)
                                                : APEX_ERR_REJECTED;
    if (rc != APEX_OK && !reason)
        reason = "compliance: malformed proof (trailing bytes)";
    apex_comp_proof_free(&pf);
    if (rc != APEX_OK) {
        exit_code =
            verify_out(json, 0, reason ? reason : "compliance: rejected", apex_now_s() - t0);
        goto done;
    }
    if (update) {
        rec.epoch++;
        rec.root_w = prf.root_w1;
        free(rec.mask);
        rec.mask = cum;
        rec.nmask = ncum;
        cum = NULL;
        if ((rc = apex_commit_record_write(cpath, &rec, &reason)) != APEX_OK) {
            zk_fail("verify", rc, "accepted, but the record could not be updated", reason);
            exit_code = APEX_EXIT_RUNTIME;
            goto done;
        }
    }
    exit_code = verify_out(json, 1, NULL, apex_now_s() - t0);
done:
    apex_commit_record_free(&rec);
    apex_proof_record_free(&prf);
    apex_mask_destroy(&req);
    free(mbuf);
    free(sreq);
    free(cum);
    return exit_code;
}
