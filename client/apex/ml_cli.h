/* Helpers shared by the ML verbs of the apex tool (train, personalize, eval,
 * bench train): option parsing, data loading and progress output. */
#ifndef APEX_ML_CLI_H
#define APEX_ML_CLI_H

#include "ml/ml.h"

/* Parse a non-negative integer option value; -1 on a bad string. */
long ml_cli_long(const char *s);
/* Progress sink: a bar with ETA on a TTY (stderr), JSON lines with json. */
typedef struct ml_cli_progress {
    int json;              /* 1: one JSON object per step-report on stdout */
    int tty;               /* 1: stderr is a terminal, draw a bar */
    const char *phase;     /* "train" or "personalize" */
    double last_print;     /* seconds of the last output, to rate-limit */
    apex_ml_model *m;      /* model, for per-epoch test evaluation (may be NULL) */
    apex_ml_dataset *test; /* test set for per-epoch evaluation (may be NULL) */
} ml_cli_progress;
int ml_cli_progress_cb(const apex_ml_progress *p, void *user);
/* Load train/test sets from dir (NULL: default), logging and mapping errors. */
int ml_cli_load(const char *dir, int train, apex_ml_dataset **out);
/* "0,9" -> class bit mask; -1 on a bad list. */
long ml_cli_class_mask(const char *s);
/* Print an evaluation as JSON fields (no braces) to f. */
void ml_cli_print_eval(FILE *f, const char *prefix, const apex_ml_eval *e);

#endif
