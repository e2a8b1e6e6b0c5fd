/* apex bench train: training throughput against the measured sgemm peak. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"

#define BENCH_WARMUP_STEPS 3    /* untimed steps (allocation, caches) */
#define BENCH_PEAK_N       1024 /* square sgemm size for the peak */
#define BENCH_PEAK_S       2.0  /* seconds spent measuring the peak */

struct bench_state {
    double t_warm; /* elapsed seconds when the warm-up ended */
    double t_end;  /* elapsed seconds at the last step */
};

static int bench_cb(const apex_ml_progress *p, void *user)
{
    struct bench_state *s = user;
    if (p->step == BENCH_WARMUP_STEPS)
        s->t_warm = p->elapsed;
    s->t_end = p->elapsed;
    return 0;
}

int bench_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
        {"batch", required_argument, 0, 'b'}, {"steps", required_argument, 0, 'n'},
        {"data", required_argument, 0, 'd'},  {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *model = "vit-tiny", *data = NULL;
    long threads = 0, batch = 128, steps = 40;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            model = optarg;
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
            steps = ml_cli_long(optarg);
            if (steps <= 0)
                goto bad;
            break;
        case 'd':
            data = optarg;
            break;
        case 'j':
            break; /* the output is always one JSON object */
        case 'h':
            printf("usage: apex bench train [--model vit-tiny] [--threads T] [--batch B] "
                   "[--steps N] [--json]\n");
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    apex_ml_config cfg;
    if (optind != argc || apex_ml_config_preset(model, &cfg) != APEX_OK)
        goto bad;
    apex_ml_set_threads((int)threads);
    apex_ml_dataset *train = NULL;
    int rc = ml_cli_load(data, 1, &train);
    if (rc != APEX_OK)
        return apex_exit_code(rc);
    double peak = apex_ml_sgemm_peak_gflops(BENCH_PEAK_N, BENCH_PEAK_S);
    apex_ml_model *m = apex_ml_model_new(&cfg, 1);
    apex_ml_train_opts o;
    apex_ml_train_defaults(&cfg, &o);
    o.batch = (int)batch;
    o.epochs = 1000;
    o.max_steps = BENCH_WARMUP_STEPS + (int)steps;
    struct bench_state st = {0, 0};
    rc = m ? apex_ml_train(m, train, &o, bench_cb, &st) : APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        double secs = st.t_end - st.t_warm;
        double ips = (double)steps * batch / secs;
        double gf = ips * apex_ml_model_flops_train(&cfg) / 1e9;
        printf("{\"bench\":\"train\",\"model\":\"%s\",\"threads\":%d,\"batch\":%ld,\"steps\":%ld,"
               "\"seconds\":%.3f,\"images_per_s\":%.1f,\"flops_per_image\":%.0f,"
               "\"achieved_gflops\":%.2f,\"sgemm_peak_gflops\":%.2f,\"fraction_of_peak\":%.3f}\n",
               model, apex_ml_get_threads(), batch, steps, secs, ips,
               apex_ml_model_flops_train(&cfg), gf, peak, peak > 0 ? gf / peak : 0);
    } else {
        fprintf(stderr, "apex bench train: %s\n", apex_strerror(rc));
    }
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&train);
    return apex_exit_code(rc);
bad:
    fprintf(stderr, "usage: apex bench train [--model vit-tiny] [--threads T] [--batch B] "
                    "[--steps N] [--json]\n");
    return APEX_EXIT_USAGE;
}
