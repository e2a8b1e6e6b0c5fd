/* `apex eval unlearning` report: the §5 table (mean and worst client per method), the
 * acceptance figures, JSON, and a gnuplot plot of personalization vs forget accuracy. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/eval_unl.h"

const char *const eu_method_names[EU_METHODS] = {"original",    "mask-only",   "zk-apex",
                                                 "zk-apex-alt", "grad-ascent", "oracle"};

/* Which metric, by offset, and whether "worst" is the minimum (accuracies kept) or maximum. */
typedef struct col {
    const char *name; /* JSON and table name */
    size_t off;       /* offset in eu_metrics */
} col;

static const col cols[] = {
    {"pers_acc", offsetof(eu_metrics, pers)},
    {"forget_acc", offsetof(eu_metrics, forget)},
    {"forget_test_acc", offsetof(eu_metrics, forget_test)},
    {"remain_test_acc", offsetof(eu_metrics, remain_test)},
    {"mia_auc", offsetof(eu_metrics, mia)},
    {"seconds", offsetof(eu_metrics, seconds)},
};
#define NCOLS (sizeof cols / sizeof cols[0])

static double get(const eu_metrics *m, size_t c)
{
    return *(const double *)((const char *)m + cols[c].off);
}

/* Mean, min and max of column c of method k over non-holder clients that have it. */
static int agg(const eu_run *r, int k, size_t c, double *mean, double *mn, double *mx)
{
    int n = 0;
    double s = 0;
    *mn = INFINITY;
    *mx = -INFINITY;
    for (int i = 0; i < r->nclients; i++) {
        const eu_client *cl = &r->clients[i];
        if (cl->holder || !cl->m[k].done)
            continue;
        double v = get(&cl->m[k], c);
        s += v;
        *mn = fmin(*mn, v);
        *mx = fmax(*mx, v);
        n++;
    }
    *mean = n ? s / n : NAN;
    return n;
}

/* Retention apex/orig and recovery (apex − mask)/(orig − mask) where the mask costs >= 1 pt. */
static void acceptance(const eu_run *r, int k, double *ret_mean, double *ret_worst,
                       double *rec_mean, double *rec_worst, int *rec_n)
{
    double rs = 0, rw = INFINITY, cs = 0, cw = INFINITY;
    int n = 0, nc = 0;
    for (int i = 0; i < r->nclients; i++) {
        const eu_client *c = &r->clients[i];
        if (c->holder || !c->m[k].done || !c->m[EU_ORIG].done)
            continue;
        double o = c->m[EU_ORIG].pers, a = c->m[k].pers, mk = c->m[EU_MASK].pers;
        double ret = o > 0 ? a / o : NAN;
        rs += ret;
        rw = fmin(rw, ret);
        n++;
        if (o - mk >= 0.01) {
            double rec = (a - mk) / (o - mk);
            cs += rec;
            cw = fmin(cw, rec);
            nc++;
        }
    }
    *ret_mean = n ? rs / n : NAN;
    *ret_worst = n ? rw : NAN;
    *rec_mean = nc ? cs / nc : NAN;
    *rec_worst = nc ? cw : NAN;
    *rec_n = nc;
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fprintf(f, "null");
}

static int write_json(const eu_run *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\"arch\":\"%s\",\"scenario\":\"%s\",\"forget\":\"%s\",\"forget_n\":%d,"
            "\"forget_classes_mask\":%u,\"density\":%g,\"masked\":%zu,\"main_path\":\"%s\","
            "\"ablation\":\"%s\",\"rel_damp\":%g,\"ga_lr\":%g,\"mask_seconds\":%.3f,"
            "\"unit\":\"%s\",\"retain_norm\":%d,\"samples\":%d,\"targets\":\"%s\",",
            r->arch, r->scenario, r->forget, r->forget_n, r->forget_classes, r->density, r->masked,
            r->main_path, r->ablation, r->rel_damp, r->ga_lr, r->mask_seconds,
            r->unit ? r->unit : "weight", r->retain_norm, r->samples,
            r->targets ? r->targets : "fc1");
    fprintf(f, "\"global_test_acc\":");
    json_num(f, r->global_test);
    fprintf(f, ",\"global_forget_test_acc\":");
    json_num(f, r->global_forget_test);
    fprintf(f, ",\"oracle_test_acc\":");
    json_num(f, r->oracle_test);
    fprintf(f, ",\"oracle_forget_test_acc\":");
    json_num(f, r->oracle_forget_test);
    fprintf(f, ",\"summary\":{");
    for (int k = 0; k < EU_METHODS; k++) {
        fprintf(f, "%s\"%s\":{", k ? "," : "", eu_method_names[k]);
        for (size_t c = 0; c < NCOLS; c++) {
            double mean, mn, mx;
            agg(r, k, c, &mean, &mn, &mx);
            fprintf(f, "%s\"%s_mean\":", c ? "," : "", cols[c].name);
            json_num(f, mean);
            fprintf(f, ",\"%s_min\":", cols[c].name);
            json_num(f, mn);
            fprintf(f, ",\"%s_max\":", cols[c].name);
            json_num(f, mx);
        }
        double rm, rw, cm, cw;
        int cn;
        acceptance(r, k, &rm, &rw, &cm, &cw, &cn);
        fprintf(f, ",\"retention_mean\":");
        json_num(f, rm);
        fprintf(f, ",\"retention_worst\":");
        json_num(f, rw);
        fprintf(f, ",\"recovery_mean\":");
        json_num(f, cm);
        fprintf(f, ",\"recovery_worst\":");
        json_num(f, cw);
        fprintf(f, ",\"recovery_clients\":%d}", cn);
    }
    fprintf(f, "},\"clients\":[");
    for (int i = 0; i < r->nclients; i++) {
        const eu_client *c = &r->clients[i];
        fprintf(f,
                "%s{\"client\":%d,\"classes_mask\":%u,\"shift\":%d,\"holder\":%d,"
                "\"max_rho\":%lld,\"sequential_blocks\":%lu,\"ga_lr\":%g,\"methods\":{",
                i ? "," : "", c->id, c->classes, c->shift, c->holder, c->max_rho, c->sequential,
                c->ga_lr);
        int first = 1;
        for (int k = 0; k < EU_METHODS; k++) {
            if (!c->m[k].done)
                continue;
            fprintf(f, "%s\"%s\":{", first ? "" : ",", eu_method_names[k]);
            first = 0;
            for (size_t j = 0; j < NCOLS; j++) {
                fprintf(f, "%s\"%s\":", j ? "," : "", cols[j].name);
                json_num(f, get(&c->m[k], j));
            }
            fprintf(f, "}");
        }
        fprintf(f, "}}");
    }
    fprintf(f, "]}\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* gnuplot: one point per client and method, personalization vs forget-class test accuracy. */
static int write_plot(const eu_run *r, const char *png)
{
    char dat[1024], gp[1024];
    snprintf(dat, sizeof dat, "%s.dat", png);
    snprintf(gp, sizeof gp, "%s.gp", png);
    FILE *f = fopen(dat, "w");
    if (!f)
        return -1;
    for (int k = 0; k < EU_METHODS; k++) {
        fprintf(f, "# %s\n", eu_method_names[k]);
        for (int i = 0; i < r->nclients; i++)
            if (r->clients[i].m[k].done && !r->clients[i].holder)
                fprintf(f, "%.4f %.4f %d\n", r->clients[i].m[k].forget_test,
                        r->clients[i].m[k].pers, r->clients[i].id);
        fprintf(f, "\n\n");
    }
    fclose(f);
    if (!(f = fopen(gp, "w")))
        return -1;
    fprintf(f,
            "set terminal pngcairo size 900,650\nset output '%s'\n"
            "set title 'apex eval unlearning: %s, %s-level, %d forget images'\n"
            "set xlabel 'plain test accuracy on the forget classes'\n"
            "set ylabel 'personalization accuracy (client validation)'\n"
            "set key outside right\nset grid\nplot ",
            png, r->arch, r->scenario, r->forget_n);
    for (int k = 0; k < EU_METHODS; k++)
        fprintf(f, "%s'%s' index %d using 1:2 with points pt %d ps 1.5 title '%s'", k ? ", " : "",
                dat, k, 5 + k, eu_method_names[k]);
    fprintf(f, "\n");
    fclose(f);
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", gp);
    if (system(cmd) != 0) {
        /* pngcairo may be missing in gnuplot-nox builds: fall back to the plain png terminal */
        snprintf(cmd, sizeof cmd,
                 "sed -i 's/^set terminal pngcairo/set terminal png/' '%s' && gnuplot '%s'", gp,
                 gp);
        if (system(cmd) != 0) {
            fprintf(stderr,
                    "apex eval unlearning: gnuplot failed or is missing (deploy/deps.sh installs "
                    "gnuplot-nox); the data and script are in %s and %s\n",
                    dat, gp);
            return -1;
        }
    }
    return 0;
}

int eu_report(const eu_run *r, FILE *f, const char *json_path, const char *plot_path)
{
    fprintf(f,
            "\n%s, %s-level: forget %s (%d images, classes mask %u), mask %zu weights (%.1f%%, "
            "unit %s, targets %s)\n",
            r->arch, r->scenario, r->forget, r->forget_n, r->forget_classes, r->masked,
            100 * r->density, r->unit ? r->unit : "weight", r->targets ? r->targets : "fc1");
    fprintf(f,
            "theta0 test %.4f (forget classes %.4f); oracle theta0' test %.4f (forget classes "
            "%.4f)\n",
            r->global_test, r->global_forget_test, r->oracle_test, r->oracle_forget_test);
    fprintf(f, "%-12s", "method");
    for (size_t c = 0; c < NCOLS; c++)
        fprintf(f, " %15s", cols[c].name);
    fprintf(f, "\n%-12s", "");
    for (size_t c = 0; c < NCOLS; c++)
        fprintf(f, " %15s", "mean / worst");
    fprintf(f, "\n");
    for (int k = 0; k < EU_METHODS; k++) {
        double mean, mn, mx;
        if (!agg(r, k, 0, &mean, &mn, &mx))
            continue;
        fprintf(f, "%-12s",
                k == EU_ALT ? (strcmp(r->ablation, "float") == 0       ? "apex-float"
                               : strcmp(r->ablation, "quantized") == 0 ? "apex-quant"
                                                                       : "apex-seq")
                            : eu_method_names[k]);
        for (size_t c = 0; c < NCOLS; c++) {
            agg(r, k, c, &mean, &mn, &mx);
            /* worst: lowest accuracy kept / highest forget accuracy, MIA and time */
            double worst = (c == 0 || c == 3) ? mn : mx;
            fprintf(f, "   %6.4f/%6.4f", mean, worst);
        }
        fprintf(f, "\n");
    }
    for (int k = EU_APEX; k <= EU_ALT; k++) {
        if (k == EU_ALT && strcmp(r->ablation, "none") == 0)
            continue;
        double rm, rw, cm, cw;
        int cn;
        acceptance(r, k, &rm, &rw, &cm, &cw, &cn);
        fprintf(f,
                "%s: retention mean %.4f worst %.4f; recovery mean %.3f worst %.3f over %d "
                "clients where the mask costs >= 1 point\n",
                k == EU_APEX ? r->main_path : r->ablation, rm, rw, cm, cw, cn);
    }
    for (int i = 0; i < r->nclients; i++) {
        const eu_client *c = &r->clients[i];
        if (!c->holder)
            continue;
        fprintf(f, "holder client %d (shard holds a forget class):", c->id);
        for (int k = 0; k < EU_METHODS; k++)
            if (c->m[k].done)
                fprintf(f, " %s pers %.4f forget-test %.4f;", eu_method_names[k], c->m[k].pers,
                        c->m[k].forget_test);
        fprintf(f, "\n");
    }
    int rc = 0;
    if (json_path && write_json(r, json_path) != 0) {
        fprintf(stderr, "apex eval unlearning: cannot write %s\n", json_path);
        rc = -1;
    }
    if (plot_path && write_plot(r, plot_path) != 0)
        rc = -1;
    return rc;
}
