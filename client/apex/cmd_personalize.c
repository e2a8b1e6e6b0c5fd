/* apex personalize: fine-tune θ0 into a client's θ_p on its private shard. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"

static void pers_usage(FILE *f)
{
    fprintf(f, "usage: apex personalize --model GLOBAL --client ID --out FILE [options]\n"
               "  --seed S        fleet seed that fixes every client's data (default 1)\n"
               "  --exclude LIST  classes never given to clients, e.g. 9 or 0,9\n"
               "  --threads T     OpenBLAS threads   --data DIR   --json\n"
               "The output is snapped to the int32 fixed-point grid (frac bits in the file),\n"
               "so inference uses exactly the weights the proof system commits to.\n");
}

int cmd_personalize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"client", required_argument, 0, 'c'},
        {"out", required_argument, 0, 'o'},     {"seed", required_argument, 0, 's'},
        {"exclude", required_argument, 0, 'x'}, {"threads", required_argument, 0, 't'},
        {"data", required_argument, 0, 'd'},    {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *in = NULL, *out = NULL, *data = NULL;
    long client = -1, seed = 1, exclude = 0, threads = 0;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            in = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            client = ml_cli_long(optarg);
            if (client < 0)
                goto bad;
            break;
        case 's':
            seed = ml_cli_long(optarg);
            if (seed < 0)
                goto bad;
            break;
        case 'x':
            exclude = ml_cli_class_mask(optarg);
            if (exclude < 0)
                goto bad;
            break;
        case 't':
            threads = ml_cli_long(optarg);
            if (threads <= 0)
                goto bad;
            break;
        case 'd':
            data = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            pers_usage(stdout);
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    if (!in || !out || client < 0 || optind != argc)
        goto bad;
    apex_ml_set_threads((int)threads);
    apex_ml_client_spec spec;
    int rc = apex_ml_client_spec_make((uint32_t)client, (uint64_t)seed, (unsigned)exclude, &spec);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex personalize: too many classes excluded\n");
        return APEX_EXIT_USAGE;
    }
    apex_ml_model *m = NULL;
    apex_ml_dataset *pool = NULL, *tr = NULL, *va = NULL;
    if ((rc = apex_ml_model_load(in, &m)) != APEX_OK) {
        fprintf(stderr, "apex personalize: %s: %s\n", in, apex_strerror(rc));
        return apex_exit_code(rc);
    }
    if ((rc = ml_cli_load(data, 1, &pool)) != APEX_OK)
        goto done;
    if ((rc = apex_ml_client_data(&spec, pool, &tr, &va)) != APEX_OK)
        goto done;
    apex_ml_eval before, after;
    if ((rc = apex_ml_evaluate(m, va, &before)) != APEX_OK)
        goto done;
    ml_cli_progress pr = {json, isatty(2) && !json, "personalize", 0, NULL, NULL};
    double t0 = apex_now_s();
    if ((rc = apex_ml_personalize(m, &spec, pool, ml_cli_progress_cb, &pr)) != APEX_OK)
        goto done;
    double secs = apex_now_s() - t0;
    if ((rc = apex_ml_fixed_snap(m, -1)) != APEX_OK)
        goto done;
    if ((rc = apex_ml_evaluate(m, va, &after)) != APEX_OK)
        goto done;
    if ((rc = apex_ml_model_save(m, out)) != APEX_OK)
        goto done;
    printf("{\"event\":\"personalized\",\"client\":%ld,\"seed\":%ld,\"classes\":[", client, seed);
    for (int k = 0, first = 1; k < APEX_ML_NUM_CLASSES; k++)
        if (spec.classes & (1u << k)) {
            printf("%s%d", first ? "" : ",", k);
            first = 0;
        }
    printf("],\"shift\":\"%s\",\"n_train\":%d,\"n_val\":%d,\"val_acc_global\":%.4f,"
           "\"val_acc_personal\":%.4f,\"frac_bits\":%d,\"seconds\":%.2f,\"out\":\"%s\"}\n",
           apex_ml_shift_name(spec.shift), spec.n_train, spec.n_val, apex_ml_eval_acc(&before),
           apex_ml_eval_acc(&after), m->frac_bits, secs, out);
done:
    if (rc != APEX_OK)
        fprintf(stderr, "apex personalize: %s\n", apex_strerror(rc));
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return apex_exit_code(rc);
bad:
    pers_usage(stderr);
    return APEX_EXIT_USAGE;
}
