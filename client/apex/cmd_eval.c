/* apex eval: test accuracy, per-class accuracy and a client's validation accuracy. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: apex eval --model FILE [--client ID [--seed S] [--exclude LIST]]\n"
               "                 [--data DIR] [--threads T]\n"
               "       apex eval unlearning --help   (the unlearning evaluation)\n"
               "Prints one JSON object: test accuracy and per-class accuracy; with --client\n"
               "also the client's shifted validation accuracy and the plain test accuracy\n"
               "on the classes inside and outside its shard.\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},   {"client", required_argument, 0, 'c'},
        {"seed", required_argument, 0, 's'},    {"exclude", required_argument, 0, 'x'},
        {"threads", required_argument, 0, 't'}, {"data", required_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    const char *in = NULL, *data = NULL;
    long client = -1, seed = 1, exclude = 0, threads = 0;
    int c;
    if (argc > 1 && strcmp(argv[1], "unlearning") == 0)
        return cmd_eval_unlearning(argc - 1, argv + 1);
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            in = optarg;
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
        case 'h':
            eval_usage(stdout);
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    if (!in || optind != argc)
        goto bad;
    apex_ml_set_threads((int)threads);
    apex_ml_model *m = NULL;
    apex_ml_dataset *test = NULL, *pool = NULL, *tr = NULL, *va = NULL;
    int rc = apex_ml_model_load(in, &m);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex eval: %s: %s\n", in, apex_strerror(rc));
        return apex_exit_code(rc);
    }
    apex_ml_eval et, ev;
    if ((rc = ml_cli_load(data, 0, &test)) != APEX_OK || (rc = apex_ml_evaluate(m, test, &et)))
        goto done;
    uint8_t dg[APEX_SHA256_LEN];
    char hex[2 * APEX_SHA256_LEN + 1];
    apex_ml_model_digest(m, dg);
    apex_hex(dg, APEX_SHA256_LEN, hex);
    printf("{\"model\":\"%s\",\"arch\":\"%s\",\"sha256\":\"%s\",\"frac_bits\":%d,", in,
           apex_ml_config_name(&m->cfg), hex, m->frac_bits);
    ml_cli_print_eval(stdout, "test_", &et);
    if (client >= 0) {
        apex_ml_client_spec spec;
        if ((rc = apex_ml_client_spec_make((uint32_t)client, (uint64_t)seed, (unsigned)exclude,
                                           &spec)) != APEX_OK ||
            (rc = ml_cli_load(data, 1, &pool)) != APEX_OK ||
            (rc = apex_ml_client_data(&spec, pool, &tr, &va)) != APEX_OK ||
            (rc = apex_ml_evaluate(m, va, &ev)) != APEX_OK) {
            printf("}\n");
            goto done;
        }
        printf(",\"client\":%ld,\"shift\":\"%s\",\"classes_mask\":%u,\"val_acc\":%.4f,"
               "\"test_acc_shard\":%.4f,\"test_acc_outside\":%.4f",
               client, apex_ml_shift_name(spec.shift), spec.classes, apex_ml_eval_acc(&ev),
               apex_ml_eval_acc_classes(&et, spec.classes),
               apex_ml_eval_acc_classes(&et, ~spec.classes & ((1u << APEX_ML_NUM_CLASSES) - 1)));
    }
    printf("}\n");
done:
    if (rc != APEX_OK)
        fprintf(stderr, "apex eval: %s\n", apex_strerror(rc));
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&test);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return apex_exit_code(rc);
bad:
    eval_usage(stderr);
    return APEX_EXIT_USAGE;
}
