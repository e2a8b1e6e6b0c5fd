/* apex eval unlearning: the five methods of UNLEARNING.md §4 on the same clients and seeds,
 * with the §5 metrics (report in eval_unl_report.c). Dispatched from `apex eval unlearning`. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "apex/eval_unl.h"
#include "apex/ml_cli.h"
#include "unlearn/saliency.h"

#define EU_MAX_CLIENTS   64
#define EU_HOLDER_SEARCH 256  /* client ids tried when looking for a forget-class holder */
#define EU_DEFAULT_GA_LR 0.0  /* gradient ascent: 0 = pick the step from EU_GA_GRID on val */
#define EU_GA_KEEP       0.95 /* auto step: keep >= 95% of θ_p's validation accuracy */
#define EU_GA_BATCH      32   /* gradient ascent batch */
#define EU_SAMPLE_SPEC   "first:520:class:3,5,7" /* 1560 images = 2.6% of the train set */
#define EU_CLASS_SPEC    "class:9"

static void eu_usage(FILE *f)
{
    fprintf(
        f,
        "usage: apex eval unlearning --model mlp|vit-tiny [options]\n"
        "Runs, on the same clients and seeds: original θ_p, mask only, ZK-APEX (mask +\n"
        "Group-OBS), the other Group-OBS path as an ablation, gradient ascent on D_f (one\n"
        "epoch), and the oracle (θ0 retrained without D_f, then re-personalized). Prints per\n"
        "method the mean and worst client of: personalization accuracy (client validation),\n"
        "accuracy on D_f, plain test accuracy on the forget classes and on the others,\n"
        "membership-inference AUC (loss attack, D_f vs test images of the forget classes)\n"
        "and seconds; then retention and recovery. Client data and personalization replay\n"
        "come from the training set minus D_f; in the class scenario the forget classes are\n"
        "in no shard, and one extra client whose shard holds them is reported on its own.\n\n"
        "options:\n"
        "  --scenario S     class (default, forget %s) or sample (forget %s)\n"
        "  --forget SPEC    override the forget set (see apex mask --help)\n"
        "  --clients K      clients 0..K-1 (default 8)   --seed S  fleet seed (default 1)\n"
        "  --global FILE    θ0 (default: trained with the default recipe, cached)\n"
        "  --epochs E       θ0 / oracle training epochs (default: the preset's)\n"
        "  --cache DIR      where θ0 and the oracle are cached by configuration hash\n"
        "                   (default apex-cache)\n"
        "  --density D --h H --rho R --n-f N --n-m N --no-retain --unit weight|row\n"
        "                   saliency (apex mask)\n"
        "  --targets T      fc1 (default), fc1,fc2 (one top-k over both) or fc2\n"
        "  --path P         main Group-OBS path: quantized (default) or float\n"
        "  --samples N --block B --rel-damp R --tau-log2 T       Group-OBS (apex unlearn)\n"
        "  --ga-lr LR       gradient-ascent step (default: the largest of 1e-3..1e-5 that keeps\n"
        "                   95%% of the client's validation accuracy)\n"
        "  --ablation A     the extra Group-OBS row: path (default), sequential or none\n"
        "  --no-oracle --no-holder --no-ga   skip those parts\n"
        "  --json FILE  --plot FILE.png  --data DIR  --threads T\n",
        EU_CLASS_SPEC, EU_SAMPLE_SPEC);
}

/* Everything the per-model measurement needs. */
typedef struct eu_ctx {
    apex_ml_dataset *test;    /* Fashion-MNIST test set */
    apex_ml_dataset *df;      /* D_f */
    apex_ml_dataset *mia_non; /* test images of the forget classes (MIA non-members) */
    unsigned fclasses;        /* forget classes */
    int class_level;          /* 1: class scenario */
} eu_ctx;

static int measure(const eu_ctx *x, apex_ml_model *m, const apex_ml_dataset *val, eu_metrics *out)
{
    apex_ml_eval ev, et, ef;
    int rc;
    if ((rc = apex_ml_evaluate(m, val, &ev)) || (rc = apex_ml_evaluate(m, x->test, &et)) ||
        (rc = apex_ml_evaluate(m, x->df, &ef)) ||
        (rc = apex_unl_mia_auc(m, x->df, x->mia_non, &out->mia)))
        return rc;
    unsigned all = (1u << APEX_ML_NUM_CLASSES) - 1;
    out->pers = apex_ml_eval_acc(&ev);
    out->forget = apex_ml_eval_acc(&ef);
    out->forget_test = apex_ml_eval_acc_classes(&et, x->fclasses);
    out->remain_test =
        x->class_level ? apex_ml_eval_acc_classes(&et, all & ~x->fclasses) : apex_ml_eval_acc(&et);
    out->done = 1;
    return APEX_OK;
}

/* Train (or load from the cache) a model of cfg on d; key names the configuration. */
static int cached_train(const char *cache, const char *key, const apex_ml_config *cfg,
                        const apex_ml_dataset *d, int epochs, uint64_t seed, apex_ml_model **out)
{
    uint8_t h[APEX_SHA256_LEN];
    char hex[2 * APEX_SHA256_LEN + 1], path[1200];
    apex_sha256(key, strlen(key), h);
    apex_hex(h, 8, hex);
    mkdir(cache, 0755);
    snprintf(path, sizeof path, "%s/%s-%s.model", cache, apex_ml_config_name(cfg), hex);
    if (access(path, R_OK) == 0 && apex_ml_model_load(path, out) == APEX_OK) {
        fprintf(stderr, "eval unlearning: cached %s (%s)\n", path, key);
        return APEX_OK;
    }
    apex_ml_model *m = apex_ml_model_new(cfg, seed);
    if (!m)
        return APEX_ERR_NOMEM;
    apex_ml_train_opts o;
    apex_ml_train_defaults(cfg, &o);
    if (epochs > 0)
        o.epochs = epochs;
    o.seed = seed;
    fprintf(stderr, "eval unlearning: training %s on %d images, %d epochs (%s)\n",
            apex_ml_config_name(cfg), d->n, o.epochs, key);
    double t0 = apex_now_s();
    int rc = apex_ml_train(m, d, &o, NULL, NULL);
    if (rc == APEX_OK && (rc = apex_ml_model_save(m, path)) == APEX_OK)
        fprintf(stderr, "eval unlearning: trained in %.0f s -> %s\n", apex_now_s() - t0, path);
    if (rc != APEX_OK)
        apex_ml_model_destroy(&m);
    *out = m;
    return rc;
}

/* Gradient-ascent steps tried, largest first, when --ga-lr is not given. */
static const double EU_GA_GRID[] = {1e-3, 3e-4, 1e-4, 3e-5, 1e-5};

/* GA on a copy of tp into *w: with lr > 0 that step; otherwise the largest grid step whose
 * result keeps EU_GA_KEEP of θ_p's accuracy on the client's own validation split (never the
 * test set), or the smallest step. *used receives the step. */
static int grad_ascent(const eu_ctx *x, const apex_ml_model *tp, const apex_ml_dataset *va,
                       double orig_val, double lr, uint64_t seed, apex_ml_model **w, double *used)
{
    size_t ng = sizeof EU_GA_GRID / sizeof EU_GA_GRID[0];
    int rc = APEX_OK;
    for (size_t i = 0; i < (lr > 0 ? 1 : ng); i++) {
        double step = lr > 0 ? lr : EU_GA_GRID[i];
        apex_ml_model_destroy(w);
        if (!(*w = apex_ml_model_clone(tp)))
            return APEX_ERR_NOMEM;
        if ((rc = apex_unl_grad_ascent(*w, x->df, step, EU_GA_BATCH, seed)) != APEX_OK)
            return rc;
        *used = step;
        apex_ml_eval ev;
        if ((rc = apex_ml_evaluate(*w, va, &ev)) != APEX_OK)
            return rc;
        if (apex_ml_eval_acc(&ev) >= EU_GA_KEEP * orig_val)
            break;
    }
    return rc;
}

/* Personalize a copy of g for spec on pool and snap it (as apex personalize does). */
static int personalize(const apex_ml_model *g, const apex_ml_client_spec *s,
                       const apex_ml_dataset *pool, apex_ml_model **out)
{
    apex_ml_model *m = apex_ml_model_clone(g);
    int rc = m ? apex_ml_personalize(m, s, pool, NULL, NULL) : APEX_ERR_NOMEM;
    if (rc == APEX_OK)
        rc = apex_ml_fixed_snap(m, -1);
    if (rc != APEX_OK)
        apex_ml_model_destroy(&m);
    *out = m;
    return rc;
}

/* Options of one run. */
typedef struct eu_opts {
    int clients, oracle, holder, ga, epochs, alt;
    unsigned targets; /* apex_ml_target_set */
    uint64_t seed;
    double ga_lr;
    apex_sal_params sal;
    apex_unl_params unl;
} eu_opts;

/* All methods for one client; theta_o is the oracle θ0' (NULL: skipped). */
static int run_client(const eu_ctx *x, const eu_opts *o, const apex_mask *mask,
                      const apex_ml_model *theta0, const apex_ml_model *theta_o,
                      const apex_ml_client_spec *spec, const apex_ml_dataset *pool, eu_client *c)
{
    apex_ml_dataset *tr = NULL, *va = NULL;
    apex_ml_model *tp = NULL, *w = NULL;
    char why[APEX_MASK_WHY_LEN] = "";
    int rc = apex_ml_client_data(spec, pool, &tr, &va);
    c->id = (int)spec->client;
    c->classes = spec->classes;
    c->shift = spec->shift;
    if (rc == APEX_OK)
        rc = personalize(theta0, spec, pool, &tp);
    if (rc == APEX_OK)
        rc = measure(x, tp, va, &c->m[EU_ORIG]);
    for (int k = EU_MASK; rc == APEX_OK && k <= EU_ORACLE; k++) {
        if ((k == EU_ALT && !o->alt) || (k == EU_GA && (c->holder || !o->ga)) ||
            (k == EU_ORACLE && (!theta_o || c->holder)))
            continue;
        double t0 = apex_now_s();
        apex_ml_model_destroy(&w);
        if (k == EU_ORACLE) {
            rc = personalize(theta_o, spec, pool, &w);
        } else if (k == EU_GA) {
            rc = grad_ascent(x, tp, va, c->m[EU_ORIG].pers, o->ga_lr, o->seed + spec->client, &w,
                             &c->ga_lr);
        } else if (!(w = apex_ml_model_clone(tp))) {
            rc = APEX_ERR_NOMEM;
        } else if (k == EU_MASK) {
            rc = apex_unl_mask_only(w, mask, why);
        } else {
            apex_unl_params up = o->unl;
            apex_unl_report rep;
            if (k == EU_ALT && o->alt == 2)
                up.sequential_layers = 1; /* the authors' layer order, same path */
            else if (k == EU_ALT)
                up.quantized = !up.quantized;
            rc = apex_unl_compensate(w, mask, tr, &up, &rep, why);
            if (rc != APEX_OK)
                fprintf(stderr, "eval unlearning: client %u: %s\n", spec->client, why);
            if (up.quantized) {
                c->max_rho = (long long)rep.max_rho;
                c->sequential = (unsigned long)rep.sequential;
            }
        }
        double secs = apex_now_s() - t0;
        if (rc == APEX_OK && (rc = measure(x, w, va, &c->m[k])) == APEX_OK)
            c->m[k].seconds = secs;
    }
    if (rc == APEX_OK)
        fprintf(stderr,
                "eval unlearning: client %d%s: pers %.3f -> mask %.3f apex %.3f; forget-test "
                "%.3f -> %.3f / %.3f\n",
                c->id, c->holder ? " (holder)" : "", c->m[EU_ORIG].pers, c->m[EU_MASK].pers,
                c->m[EU_APEX].pers, c->m[EU_ORIG].forget_test, c->m[EU_MASK].forget_test,
                c->m[EU_APEX].forget_test);
    apex_ml_model_destroy(&w);
    apex_ml_model_destroy(&tp);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return rc;
}

/* Parse the options into o and the named strings; returns 0, or -1 on a usage error, 1 for
 * --help. */
static int parse(int argc, char **argv, eu_opts *o, const char **s)
{
    /* s: 0 model, 1 scenario, 2 forget, 3 global, 4 cache, 5 json, 6 plot, 7 data, 8 path */
    static const struct option opts[] = {{"model", 1, 0, 'm'},     {"scenario", 1, 0, 'S'},
                                         {"forget", 1, 0, 'f'},    {"global", 1, 0, 'g'},
                                         {"cache", 1, 0, 'C'},     {"json", 1, 0, 'J'},
                                         {"plot", 1, 0, 'P'},      {"data", 1, 0, 'd'},
                                         {"path", 1, 0, 'p'},      {"clients", 1, 0, 'K'},
                                         {"seed", 1, 0, 's'},      {"epochs", 1, 0, 'E'},
                                         {"density", 1, 0, 'D'},   {"h", 1, 0, 'H'},
                                         {"rho", 1, 0, 'r'},       {"n-f", 1, 0, 'F'},
                                         {"n-m", 1, 0, 'M'},       {"no-retain", 0, 0, 'n'},
                                         {"samples", 1, 0, 'N'},   {"block", 1, 0, 'B'},
                                         {"rel-damp", 1, 0, 'R'},  {"tau-log2", 1, 0, 'T'},
                                         {"ga-lr", 1, 0, 'G'},     {"no-oracle", 0, 0, 'O'},
                                         {"no-holder", 0, 0, 'X'}, {"no-ga", 0, 0, 'Q'},
                                         {"unit", 1, 0, 'u'},      {"targets", 1, 0, 'Y'},
                                         {"ablation", 1, 0, 'A'},  {"threads", 1, 0, 't'},
                                         {"help", 0, 0, 'h'},      {0, 0, 0, 0}};
    int c;
    long v = 0;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        double dv = 0;
        if (strchr("DHrRG", c) && (dv = strtod(optarg, &end), *end || !isfinite(dv) || dv < 0))
            return -1;
        if (strchr("KsEFMNBTt", c) && (v = ml_cli_long(optarg)) < 0)
            return -1;
        switch (c) {
        case 'm':
            s[0] = optarg;
            break;
        case 'S':
            s[1] = optarg;
            break;
        case 'f':
            s[2] = optarg;
            break;
        case 'g':
            s[3] = optarg;
            break;
        case 'C':
            s[4] = optarg;
            break;
        case 'J':
            s[5] = optarg;
            break;
        case 'P':
            s[6] = optarg;
            break;
        case 'd':
            s[7] = optarg;
            break;
        case 'p':
            s[8] = optarg;
            break;
        case 'K':
            if (v < 1 || v > EU_MAX_CLIENTS)
                return -1;
            o->clients = (int)v;
            break;
        case 's':
            o->seed = (uint64_t)v;
            break;
        case 'E':
            o->epochs = (int)v;
            break;
        case 'D':
            if (dv <= 0 || dv > 1)
                return -1;
            o->sal.density = dv;
            break;
        case 'H':
            o->sal.h = dv;
            break;
        case 'r':
            if (dv <= 0)
                return -1;
            o->sal.rho = dv;
            break;
        case 'F':
            if (v < 1)
                return -1;
            o->sal.n_f = (int)v;
            break;
        case 'M':
            if (v < 1)
                return -1;
            o->sal.n_m = (int)v;
            break;
        case 'n':
            o->sal.retain_norm = 0;
            break;
        case 'N':
            if (v < 1 || v > (long)APEX_OBS_MAX_SAMPLES)
                return -1;
            o->unl.max_samples = (int)v;
            break;
        case 'B':
            if (v < 1 || v > (long)APEX_OBS_MAX_BLOCK)
                return -1;
            o->unl.obs.block = o->unl.obsq.block = (size_t)v;
            break;
        case 'R':
            if (dv <= 0)
                return -1;
            o->unl.obs.rel_damp = dv;
            break;
        case 'T':
            if (v < 1 || v > (long)APEX_OBSQ_MAX_TAU_LOG2)
                return -1;
            o->unl.obsq.tau_log2 = (unsigned)v;
            break;
        case 'G':
            if (dv <= 0)
                return -1;
            o->ga_lr = dv;
            break;
        case 'O':
            o->oracle = 0;
            break;
        case 'X':
            o->holder = 0;
            break;
        case 'Q':
            o->ga = 0;
            break;
        case 'Y':
            if (!(o->targets = apex_sal_targets_parse(optarg))) {
                fprintf(stderr,
                        "apex eval unlearning: --targets must be fc1, fc2 or fc1,fc2, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 'u':
            if ((o->sal.unit = apex_sal_unit_parse(optarg)) < 0) {
                fprintf(stderr, "apex eval unlearning: --unit must be weight or row, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        case 't':
            if (v < 1)
                return -1;
            apex_ml_set_threads((int)v);
            break;
        case 'A':
            if (strcmp(optarg, "path") == 0)
                o->alt = 1;
            else if (strcmp(optarg, "sequential") == 0)
                o->alt = 2;
            else if (strcmp(optarg, "none") == 0)
                o->alt = 0;
            else
                return -1;
            break;
        case 'h':
            return 1;
        default:
            return -1;
        }
    }
    return (optind == argc && s[0]) ? 0 : -1;
}

int cmd_eval_unlearning(int argc, char **argv)
{
    eu_opts o = {.clients = 8,
                 .oracle = 1,
                 .holder = 1,
                 .ga = 1,
                 .alt = 1,
                 .targets = APEX_ML_TARGET_FC1,
                 .seed = 1,
                 .ga_lr = EU_DEFAULT_GA_LR};
    apex_sal_params_default(&o.sal);
    apex_unl_params_default(&o.unl);
    const char *s[9] = {0};
    int pr = parse(argc, argv, &o, s);
    if (pr != 0) {
        eu_usage(pr > 0 ? stdout : stderr);
        return pr > 0 ? APEX_EXIT_OK : APEX_EXIT_USAGE;
    }
    const char *scen = s[1] ? s[1] : "class", *cache = s[4] ? s[4] : "apex-cache";
    if (strcmp(scen, "class") && strcmp(scen, "sample")) {
        eu_usage(stderr);
        return APEX_EXIT_USAGE;
    }
    if (s[8] && strcmp(s[8], "quantized") && strcmp(s[8], "float")) {
        eu_usage(stderr);
        return APEX_EXIT_USAGE;
    }
    o.unl.quantized = !(s[8] && strcmp(s[8], "float") == 0);
    const char *fspec = s[2] ? s[2] : strcmp(scen, "class") == 0 ? EU_CLASS_SPEC : EU_SAMPLE_SPEC;
    char why[APEX_MASK_WHY_LEN] = "";
    apex_forget_spec spec;
    apex_ml_config cfg;
    if (apex_forget_parse(fspec, &spec, why) != APEX_OK) {
        fprintf(stderr, "apex eval unlearning: --forget: %s\n", why);
        return APEX_EXIT_USAGE;
    }
    if (apex_ml_config_preset(s[0], &cfg) != APEX_OK) {
        fprintf(stderr, "apex eval unlearning: unknown model preset '%s'\n", s[0]);
        return APEX_EXIT_USAGE;
    }
    eu_ctx x = {0};
    eu_run run = {0};
    apex_ml_dataset *pool = NULL, *pool_r = NULL;
    apex_ml_model *theta0 = NULL, *theta_o = NULL;
    apex_mask *mask = NULL;
    int *idx = NULL, nidx = 0, rc;
    char key[512];
    if ((rc = ml_cli_load(s[7], 1, &pool)) || (rc = ml_cli_load(s[7], 0, &x.test)))
        goto done;
    if ((rc = apex_forget_select(&spec, pool, &idx, &nidx, why)) != APEX_OK) {
        fprintf(stderr, "apex eval unlearning: --forget %s: %s\n", fspec, why);
        goto done;
    }
    x.fclasses = apex_forget_classes(pool, idx, nidx);
    x.class_level = strcmp(scen, "class") == 0;
    {
        int *ti = malloc(sizeof(int) * (size_t)x.test->n), nt = 0;
        for (int i = 0; ti && i < x.test->n; i++)
            if (x.fclasses >> x.test->y[i] & 1)
                ti[nt++] = i;
        x.mia_non = ti ? apex_ml_dataset_subset(x.test, ti, nt) : NULL;
        free(ti);
    }
    x.df = apex_ml_dataset_subset(pool, idx, nidx);
    pool_r = apex_forget_complement(pool, idx, nidx);
    if (!x.df || !pool_r || !x.mia_non) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    /* θ0 */
    if (s[3]) {
        if ((rc = apex_ml_model_load(s[3], &theta0)) != APEX_OK) {
            fprintf(stderr, "apex eval unlearning: %s: %s\n", s[3], apex_strerror(rc));
            goto done;
        }
    } else {
        snprintf(key, sizeof key, "global;arch=%s;epochs=%d;seed=%llu", s[0], o.epochs,
                 (unsigned long long)o.seed);
        if ((rc = cached_train(cache, key, &cfg, pool, o.epochs, o.seed, &theta0)) != APEX_OK)
            goto done;
    }
    if ((rc = apex_ml_model_set_targets(theta0, o.targets)) != APEX_OK) /* clones inherit it */
        goto done;
    /* oracle θ0': same recipe without D_f, keyed by the forget set's indices */
    if (o.oracle) {
        uint8_t fh[APEX_SHA256_LEN];
        char fhex[17];
        apex_sha256(idx, sizeof(int) * (size_t)nidx, fh);
        apex_hex(fh, 8, fhex);
        snprintf(key, sizeof key, "oracle;arch=%s;epochs=%d;seed=%llu;forget=%s;n=%d", s[0],
                 o.epochs, (unsigned long long)o.seed, fhex, nidx);
        if ((rc = cached_train(cache, key, &cfg, pool_r, o.epochs, o.seed, &theta_o)) != APEX_OK)
            goto done;
    }
    /* provider: the mask on θ0 */
    double t0 = apex_now_s();
    if ((rc = apex_sal_mask(theta0, x.df, pool_r, &o.sal, &mask)) != APEX_OK)
        goto done;
    run.mask_seconds = apex_now_s() - t0;
    apex_ml_eval e;
    if ((rc = apex_ml_evaluate(theta0, x.test, &e)) != APEX_OK)
        goto done;
    run.global_test = apex_ml_eval_acc(&e);
    run.global_forget_test = apex_ml_eval_acc_classes(&e, x.fclasses);
    run.oracle_test = run.oracle_forget_test = NAN;
    if (theta_o) {
        if ((rc = apex_ml_evaluate(theta_o, x.test, &e)) != APEX_OK)
            goto done;
        run.oracle_test = apex_ml_eval_acc(&e);
        run.oracle_forget_test = apex_ml_eval_acc_classes(&e, x.fclasses);
    }
    run.clients = calloc((size_t)o.clients + 1, sizeof *run.clients);
    if (!run.clients) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    /* clients 0..K-1: forget classes kept out of every shard in the class scenario */
    for (int c = 0; c < o.clients; c++) {
        apex_ml_client_spec cs;
        if ((rc = apex_ml_client_spec_make((uint32_t)c, o.seed, x.class_level ? x.fclasses : 0,
                                           &cs)) != APEX_OK ||
            (rc = run_client(&x, &o, mask, theta0, theta_o, &cs, pool_r, &run.clients[c])))
            goto done;
        run.nclients++;
    }
    /* one client whose own data holds a forget class (its data from the full pool) */
    if (o.holder && x.class_level) {
        for (int c = o.clients; c < o.clients + EU_HOLDER_SEARCH; c++) {
            apex_ml_client_spec cs;
            if (apex_ml_client_spec_make((uint32_t)c, o.seed, 0, &cs) != APEX_OK ||
                !(cs.classes & x.fclasses))
                continue;
            run.clients[run.nclients].holder = 1;
            if ((rc = run_client(&x, &o, mask, theta0, NULL, &cs, pool,
                                 &run.clients[run.nclients])) != APEX_OK)
                goto done;
            run.nclients++;
            break;
        }
    }
    run.arch = s[0];
    run.scenario = scen;
    run.forget = fspec;
    run.forget_n = nidx;
    run.forget_classes = x.fclasses;
    run.density = o.sal.density;
    run.unit = apex_sal_unit_name(o.sal.unit);
    run.targets = o.targets == APEX_ML_TARGET_FC1   ? "fc1"
                  : o.targets == APEX_ML_TARGET_FC2 ? "fc2"
                                                    : "fc1,fc2";
    run.retain_norm = o.sal.retain_norm;
    run.samples = o.unl.max_samples;
    run.masked = mask->count;
    run.main_path = o.unl.quantized ? "quantized" : "float";
    run.ablation = o.alt == 2        ? "sequential-layers"
                   : o.alt == 0      ? "none"
                   : o.unl.quantized ? "float"
                                     : "quantized";
    run.rel_damp = o.unl.obs.rel_damp;
    run.ga_lr = o.ga_lr;
    if (eu_report(&run, stdout, s[5], s[6]) != 0)
        rc = APEX_ERR_IO;
done:
    if (rc != APEX_OK)
        fprintf(stderr, "apex eval unlearning: %s\n", apex_strerror(rc));
    free(run.clients);
    free(idx);
    apex_mask_destroy(&mask);
    apex_ml_model_destroy(&theta0);
    apex_ml_model_destroy(&theta_o);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&pool_r);
    apex_ml_dataset_destroy(&x.test);
    apex_ml_dataset_destroy(&x.df);
    apex_ml_dataset_destroy(&x.mia_non);
    return apex_exit_code(rc);
}
