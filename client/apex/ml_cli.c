/* Shared helpers of the ML verbs: progress bar / JSON lines, data loading. */
#include "apex/ml_cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRESS_PERIOD_S 0.25 /* bar redraw period */
#define JSON_PERIOD_S     5.0  /* JSON step lines at most this often */

long ml_cli_long(const char *s)
{
    uint64_t v;
    return apex_parse_u64(s, 0, LONG_MAX, &v) == APEX_OK ? (long)v : -1;
}

/* "0,9" -> bit mask; -1 on a bad list. */
long ml_cli_class_mask(const char *s)
{
    long mask = 0;
    char *dup = strdup(s), *save = NULL;
    for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long k = ml_cli_long(tok);
        if (k < 0 || k >= APEX_ML_NUM_CLASSES) {
            mask = -1;
            break;
        }
        mask |= 1L << k;
    }
    free(dup);
    return mask;
}

int ml_cli_load(const char *dir, int train, apex_ml_dataset **out)
{
    int rc = apex_ml_dataset_load(dir, train, out);
    if (rc != APEX_OK)
        fprintf(stderr, "apex: cannot load Fashion-MNIST %s set from %s: %s\n",
                train ? "train" : "test", dir ? dir : APEX_ML_DEFAULT_DATA_DIR, apex_strerror(rc));
    return rc;
}

void ml_cli_print_eval(FILE *f, const char *prefix, const apex_ml_eval *e)
{
    fprintf(f, "\"%sacc\":%.4f,\"%sloss\":%.4f,\"%sper_class\":[", prefix, apex_ml_eval_acc(e),
            prefix, e->loss, prefix);
    for (int k = 0; k < APEX_ML_NUM_CLASSES; k++)
        fprintf(f, "%s%.4f", k ? "," : "",
                e->class_n[k] ? (double)e->class_correct[k] / e->class_n[k] : 0.0);
    fprintf(f, "]");
}

int ml_cli_progress_cb(const apex_ml_progress *p, void *user)
{
    ml_cli_progress *s = user;
    double eta = p->step > 0 ? p->elapsed / p->step * (p->total_steps - p->step) : 0;
    int now_due = p->elapsed - s->last_print >= (s->json ? JSON_PERIOD_S : PROGRESS_PERIOD_S);
    if (s->tty && !s->json && (now_due || p->epoch_end)) {
        int width = 30, fill = (int)((double)p->step / p->total_steps * width);
        fprintf(stderr, "\r%s epoch %d [", s->phase, p->epoch + 1);
        for (int i = 0; i < width; i++)
            fputc(i < fill ? '#' : '.', stderr);
        fprintf(stderr, "] %d/%d loss %.4f acc %.3f lr %.2e %.0fs ETA %.0fs ", p->step,
                p->total_steps, p->loss, p->acc, p->lr, p->elapsed, eta);
        fflush(stderr);
        s->last_print = p->elapsed;
    } else if (s->json && now_due && !p->epoch_end) {
        printf("{\"event\":\"step\",\"phase\":\"%s\",\"epoch\":%d,\"step\":%d,\"total_steps\":%d,"
               "\"loss\":%.5f,\"acc\":%.4f,\"lr\":%.3e,\"elapsed_s\":%.2f,\"eta_s\":%.1f}\n",
               s->phase, p->epoch + 1, p->step, p->total_steps, p->loss, p->acc, p->lr, p->elapsed,
               eta);
        fflush(stdout);
        s->last_print = p->elapsed;
    }
    if (p->epoch_end) {
        apex_ml_eval e = {0};
        int have_test = s->m && s->test && apex_ml_evaluate(s->m, s->test, &e) == APEX_OK;
        if (s->json) {
            printf("{\"event\":\"epoch\",\"phase\":\"%s\",\"epoch\":%d,\"step\":%d,\"loss\":%.5f,"
                   "\"train_acc\":%.4f,\"elapsed_s\":%.2f",
                   s->phase, p->epoch + 1, p->step, p->loss, p->acc, p->elapsed);
            if (have_test)
                printf(",\"test_acc\":%.4f", apex_ml_eval_acc(&e));
            printf("}\n");
            fflush(stdout);
        } else {
            if (s->tty)
                fputc('\n', stderr);
            fprintf(stderr, "%s epoch %d done: train acc %.4f", s->phase, p->epoch + 1, p->acc);
            if (have_test)
                fprintf(stderr, ", test acc %.4f", apex_ml_eval_acc(&e));
            fprintf(stderr, " (%.1fs)\n", p->elapsed);
        }
    }
    return 0;
}
