/* apex mask: the provider's public saliency mask on the global model (UNLEARNING.md §1). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"
#include "unlearn/saliency.h"

static void mask_usage(FILE *f)
{
    fprintf(f,
            "usage: apex mask --model GLOBAL --forget SPEC --out MASK [options]\n"
            "Scores every weight of the targeted fc1 matrices on the global model θ0 and writes\n"
            "the public mask (mask.bin): the global top-k of\n"
            "  score = dW·w − h·F·w²   (dW: mean forget gradient, F: λ_m + Σ g² Fisher)\n"
            "  S = score_forget / (ρ·score_retain + 1e-12)\n"
            "The retain set is the training set minus the forget set, in training order.\n\n"
            "SPEC (indices into the Fashion-MNIST training set):\n"
            "  class:9                 every training image of class 9\n"
            "  classes:7,9             every image of classes 7 and 9\n"
            "  first:520:class:3,5,7   the first 520 images of each of classes 3, 5, 7\n"
            "  samples:FILE            one index per line (# comments allowed)\n\n"
            "options:\n"
            "  --density D      fraction of targeted weights to mask (default 0.04)\n"
            "  --n-f N          forget/retain samples in dW (default %d)\n"
            "  --n-m N          samples in the Fisher sum F (default %d)\n"
            "  --h H            OBD weight at n_m = 480, rescaled by 480/n_m (default %.2f)\n"
            "  --rho R          retain normalization weight ρ (default %.1f)\n"
            "  --lambda-m L     Fisher floor λ_m (default %.0e)\n"
            "  --no-retain      ablation: S = −score_forget, no retain normalization\n"
            "  --unit U         weight (default: per-weight top-k) or row (structured: whole\n"
            "                   hidden units, U = Σscore_forget / (ρ·Σscore_retain + 1e-12)\n"
            "                   per fc1 row, top round(D·rows) rows)\n"
            "  --targets T      fc1 (default) or fc1,fc2 (one top-k over both; the authors'\n"
            "                   OPT setting) or fc2\n"
            "  --data DIR  --threads T  --json\n"
            "exit: 0 written, 2 usage, 3 bad model/data/spec file, 4 runtime failure\n",
            APEX_SAL_DEFAULT_NF, APEX_SAL_DEFAULT_NM, APEX_SAL_DEFAULT_H, APEX_SAL_DEFAULT_RHO,
            APEX_SAL_DEFAULT_LAMBDA);
}

/* Parse a finite double > lo (or >= lo when incl); 0 on success. */
static int opt_double(const char *s, double lo, int incl, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(incl ? v >= lo : v > lo) || v != v || v > 1e300)
        return -1;
    *out = v;
    return 0;
}

int cmd_mask(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"forget", required_argument, 0, 'f'},
                                         {"out", required_argument, 0, 'o'},
                                         {"density", required_argument, 0, 'D'},
                                         {"n-f", required_argument, 0, 'F'},
                                         {"n-m", required_argument, 0, 'M'},
                                         {"h", required_argument, 0, 'H'},
                                         {"rho", required_argument, 0, 'r'},
                                         {"lambda-m", required_argument, 0, 'L'},
                                         {"no-retain", no_argument, 0, 'n'},
                                         {"unit", required_argument, 0, 'u'},
                                         {"targets", required_argument, 0, 'T'},
                                         {"data", required_argument, 0, 'd'},
                                         {"threads", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *in = NULL, *out = NULL, *spec_s = NULL, *data = NULL;
    apex_sal_params sp;
    apex_sal_params_default(&sp);
    long threads = 0, v;
    unsigned tset = APEX_ML_TARGET_FC1;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            in = optarg;
            break;
        case 'f':
            spec_s = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'D':
            if (opt_double(optarg, 0, 0, &sp.density) || sp.density > 1)
                goto bad;
            break;
        case 'F':
        case 'M':
            if ((v = ml_cli_long(optarg)) < 1 || v > 1000000)
                goto bad;
            *(c == 'F' ? &sp.n_f : &sp.n_m) = (int)v;
            break;
        case 'H':
            if (opt_double(optarg, 0, 1, &sp.h))
                goto bad;
            break;
        case 'r':
            if (opt_double(optarg, 0, 0, &sp.rho))
                goto bad;
            break;
        case 'L':
            if (opt_double(optarg, 0, 1, &sp.lambda_m))
                goto bad;
            break;
        case 'n':
            sp.retain_norm = 0;
            break;
        case 'T':
            if (!(tset = apex_sal_targets_parse(optarg))) {
                fprintf(stderr, "apex mask: --targets must be fc1, fc2 or fc1,fc2, not '%s'\n",
                        optarg);
                goto bad;
            }
            break;
        case 'u':
            if ((sp.unit = apex_sal_unit_parse(optarg)) < 0) {
                fprintf(stderr, "apex mask: --unit must be weight or row, not '%s'\n", optarg);
                goto bad;
            }
            break;
        case 'd':
            data = optarg;
            break;
        case 't':
            if ((threads = ml_cli_long(optarg)) <= 0)
                goto bad;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            mask_usage(stdout);
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    if (!in || !out || !spec_s || optind != argc)
        goto bad;
    char why[APEX_MASK_WHY_LEN] = "";
    apex_forget_spec spec;
    if (apex_forget_parse(spec_s, &spec, why) != APEX_OK) {
        fprintf(stderr, "apex mask: --forget: %s\n", why);
        return APEX_EXIT_USAGE;
    }
    apex_ml_set_threads((int)threads);
    apex_ml_model *m = NULL;
    apex_ml_dataset *pool = NULL, *df = NULL, *dr = NULL;
    apex_mask *mask = NULL;
    int *idx = NULL, nidx = 0;
    int rc = apex_ml_model_load(in, &m);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex mask: %s: %s\n", in, apex_strerror(rc));
        return apex_exit_code(rc);
    }
    apex_ml_model_set_targets(m, tset);
    if ((rc = ml_cli_load(data, 1, &pool)) != APEX_OK)
        goto done;
    if ((rc = apex_forget_select(&spec, pool, &idx, &nidx, why)) != APEX_OK) {
        fprintf(stderr, "apex mask: --forget %s: %s\n", spec_s, why);
        goto done;
    }
    df = apex_ml_dataset_subset(pool, idx, nidx);
    dr = apex_forget_complement(pool, idx, nidx);
    if (!df || !dr) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    double t0 = apex_now_s();
    if ((rc = apex_sal_mask(m, df, dr, &sp, &mask)) != APEX_OK)
        goto done;
    double secs = apex_now_s() - t0;
    uint8_t id[APEX_SHA256_LEN];
    if ((rc = apex_mask_model_id_file(in, id)) != APEX_OK)
        goto done;
    if (memcmp(id, mask->model_id, APEX_SHA256_LEN) != 0) {
        /* the file's bytes are not our re-encoding (another writer): bind to the file */
        memcpy(mask->model_id, id, APEX_SHA256_LEN);
    }
    if ((rc = apex_mask_save(out, mask)) != APEX_OK)
        goto done;
    char hex[2 * APEX_SHA256_LEN + 1];
    apex_hex(id, APEX_SHA256_LEN, hex);
    size_t total = apex_sal_target_size(m);
    if (json)
        printf("{\"event\":\"mask\",\"model\":\"%s\",\"model_id\":\"%s\",\"arch\":\"%s\","
               "\"forget\":\"%s\",\"forget_n\":%d,\"forget_classes_mask\":%u,\"targets\":%d,"
               "\"target_weights\":%zu,\"density\":%g,\"masked\":%zu,\"n_f\":%d,\"n_m\":%d,"
               "\"h\":%g,\"rho\":%g,\"lambda_m\":%g,\"retain_norm\":%d,\"unit\":\"%s\","
               "\"seconds\":%.2f,"
               "\"out\":\"%s\"}\n",
               in, hex, apex_ml_config_name(&m->cfg), spec_s, nidx,
               apex_forget_classes(pool, idx, nidx), m->n_targets, total, sp.density, mask->count,
               sp.n_f, sp.n_m, sp.h, sp.rho, sp.lambda_m, sp.retain_norm,
               apex_sal_unit_name(sp.unit), secs, out);
    else
        printf("mask: %zu of %zu targeted weights (%.2f%%) over %d layers, forget set %d images,"
               " %.1f s -> %s\n",
               mask->count, total, 100.0 * (double)mask->count / (double)total, m->n_targets, nidx,
               secs, out);
done:
    if (rc != APEX_OK)
        fprintf(stderr, "apex mask: %s\n", apex_strerror(rc));
    apex_mask_destroy(&mask);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&df);
    apex_ml_dataset_destroy(&dr);
    free(idx);
    return apex_exit_code(rc);
bad:
    mask_usage(stderr);
    return APEX_EXIT_USAGE;
}
