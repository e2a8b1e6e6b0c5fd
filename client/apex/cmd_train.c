/* apex train: train a global model (θ0) on Fashion-MNIST train and save it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"

static void train_usage(FILE *f)
{
    fprintf(f,
            "usage: apex train --model mlp|vit-tiny|vit-small --out FILE [options]\n"
            "  --epochs E      passes over the 60k training images (default per model)\n"
            "  --seed S        initialisation and shuffling seed (default 1)\n"
            "  --threads T     OpenBLAS threads (default: OpenBLAS's own choice)\n"
            "  --batch B       images per step          --lr LR   peak learning rate\n"
            "  --limit N       train on the first N images only (quick checks)\n"
            "  --hidden H      MLP hidden width / ViT MLP width (default per model; small\n"
            "                  models for tests)\n"
            "  --data DIR      Fashion-MNIST directory (default %s)\n"
            "  --json          JSON lines on stdout instead of a progress bar\n",
            APEX_ML_DEFAULT_DATA_DIR);
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"out", required_argument, 0, 'o'},
                                         {"epochs", required_argument, 0, 'e'},
                                         {"seed", required_argument, 0, 's'},
                                         {"threads", required_argument, 0, 't'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"lr", required_argument, 0, 'l'},
                                         {"limit", required_argument, 0, 'n'},
                                         {"data", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"hidden", required_argument, 0, 'H'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *out = NULL, *data = NULL;
    long epochs = -1, seed = 1, threads = 0, batch = -1, limit = 0, hidden = 0;
    double lr = 0;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'e':
            epochs = ml_cli_long(optarg);
            if (epochs <= 0)
                goto bad;
            break;
        case 's':
            seed = ml_cli_long(optarg);
            if (seed < 0)
                goto bad;
            break;
        case 't':
            threads = ml_cli_long(optarg);
            if (threads <= 0)
                goto bad;
            break;
        case 'b':
            batch = ml_cli_long(optarg);
            if (batch <= 0)
                goto bad;
            break;
        case 'n':
            limit = ml_cli_long(optarg);
            if (limit <= 0)
                goto bad;
            break;
        case 'H':
            hidden = ml_cli_long(optarg);
            if (hidden <= 0 || hidden > 16384)
                goto bad;
            break;
        case 'l':
            if (sscanf(optarg, "%lf", &lr) != 1 || lr <= 0)
                goto bad;
            break;
        case 'd':
            data = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            train_usage(stdout);
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    apex_ml_config cfg;
    if (!model || !out || optind != argc || apex_ml_config_preset(model, &cfg) != APEX_OK)
        goto bad;
    if (hidden > 0)
        cfg.hidden = (uint32_t)hidden;
    if (apex_ml_config_check(&cfg) != APEX_OK)
        goto bad;
    apex_ml_set_threads((int)threads);
    apex_ml_dataset *train = NULL, *test = NULL;
    int rc = ml_cli_load(data, 1, &train);
    if (rc == APEX_OK)
        rc = ml_cli_load(data, 0, &test);
    if (rc != APEX_OK) {
        apex_ml_dataset_destroy(&train);
        return apex_exit_code(rc);
    }
    if (limit > 0 && limit < train->n)
        train->n = (int)limit;
    apex_ml_train_opts o;
    apex_ml_train_defaults(&cfg, &o);
    if (epochs > 0)
        o.epochs = (int)epochs;
    if (batch > 0)
        o.batch = (int)batch;
    if (lr > 0)
        o.lr = (float)lr;
    o.seed = (uint64_t)seed;
    apex_ml_model *m = apex_ml_model_new(&cfg, (uint64_t)seed);
    if (!m) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    ml_cli_progress pr = {json, isatty(2), "train", 0, m, test};
    double t0 = apex_now_s();
    rc = apex_ml_train(m, train, &o, ml_cli_progress_cb, &pr);
    double secs = apex_now_s() - t0;
    apex_ml_eval e;
    if (rc == APEX_OK)
        rc = apex_ml_evaluate(m, test, &e);
    if (rc == APEX_OK)
        rc = apex_ml_model_save(m, out);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex train: %s\n", apex_strerror(rc));
        goto done;
    }
    printf("{\"event\":\"done\",\"model\":\"%s\",\"out\":\"%s\",\"epochs\":%d,\"seed\":%ld,"
           "\"threads\":%d,\"params\":%zu,\"train_s\":%.1f,",
           model, out, o.epochs, seed, apex_ml_get_threads(), m->n_params, secs);
    ml_cli_print_eval(stdout, "test_", &e);
    printf("}\n");
done:
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&train);
    apex_ml_dataset_destroy(&test);
    return apex_exit_code(rc);
bad:
    train_usage(stderr);
    return APEX_EXIT_USAGE;
}
