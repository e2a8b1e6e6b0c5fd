/* `apex eval unlearning`: shared types of the driver (cmd_eval_unl.c) and its report
 * (eval_unl_report.c): the five methods of UNLEARNING.md §4 (plus the float-path ablation) and
 * the §5 metrics per client. */
#ifndef APEX_EVAL_UNL_H
#define APEX_EVAL_UNL_H

#include <stdio.h>

enum {
    EU_ORIG = 0,   /* personalized θ_p before the request */
    EU_MASK = 1,   /* mask only */
    EU_APEX = 2,   /* ZK-APEX: mask + Group-OBS (main path: quantized by default) */
    EU_ALT = 3,    /* ablation: the other Group-OBS path (float when the main one is quantized) */
    EU_GA = 4,     /* gradient ascent on D_f, one epoch */
    EU_ORACLE = 5, /* retrain θ0 without D_f, re-personalize */
    EU_METHODS = 6
};

/* §5 metrics of one model of one client. */
typedef struct eu_metrics {
    int done;           /* 1 when measured */
    double pers;        /* accuracy on the client's shifted validation split */
    double forget;      /* accuracy on D_f (plain training images) */
    double forget_test; /* plain test accuracy on the forget classes */
    double remain_test; /* plain test accuracy on the other classes (sample: all classes) */
    double mia;         /* loss-attack AUC, D_f vs test images of the forget classes */
    double seconds;     /* wall time of the method for this client (0 for original) */
} eu_metrics;

/* One client's row group. */
typedef struct eu_client {
    int id;                   /* client id */
    unsigned classes;         /* shard classes (bit mask) */
    int shift;                /* apex_ml_shift */
    int holder;               /* 1: the shard holds a forget class (reported on its own) */
    eu_metrics m[EU_METHODS]; /* per method */
    long long max_rho;        /* quantized path: largest block max|ρ̃_K| */
    unsigned long sequential; /* quantized path: blocks that needed sequential rounding */
    double ga_lr;             /* gradient-ascent step used for this client */
} eu_client;

/* Run description for the report. */
typedef struct eu_run {
    const char *arch;        /* preset name */
    const char *scenario;    /* "class" or "sample" */
    const char *forget;      /* forget SPEC */
    int forget_n;            /* |D_f| */
    unsigned forget_classes; /* classes in D_f */
    double density;          /* mask density */
    const char *unit;        /* mask unit: "weight" or "row" (apex_sal_unit_name) */
    int retain_norm;         /* saliency retain normalization on */
    const char *targets;     /* targeted matrices: "fc1", "fc2" or "fc1,fc2" */
    int samples;             /* Group-OBS samples N (0: every client sample) */
    size_t masked;           /* masked weights */
    const char *main_path;   /* "quantized" or "float" */
    const char *ablation;    /* the EU_ALT row: "float", "quantized", "sequential-layers", "none" */
    double rel_damp;         /* float path relative damping */
    double ga_lr;            /* gradient-ascent learning rate */
    double global_test;      /* θ0 plain test accuracy */
    double global_forget_test; /* θ0 accuracy on the forget classes (test) */
    double oracle_test;        /* oracle θ0' plain test accuracy */
    double oracle_forget_test; /* oracle θ0' accuracy on the forget classes (test) */
    double mask_seconds;       /* provider: saliency + top-k */
    int nclients;              /* entries in clients (holders included) */
    eu_client *clients;        /* [nclients] */
} eu_run;

extern const char *const eu_method_names[EU_METHODS];

/* Human table on f, JSON to json_path (NULL: skip), gnuplot PNG to plot_path (NULL: skip).
 * Returns 0, or -1 if a file could not be written. */
int eu_report(const eu_run *r, FILE *f, const char *json_path, const char *plot_path);

#endif
