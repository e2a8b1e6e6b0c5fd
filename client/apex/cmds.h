/* The `apex` offline tool: one file per verb (cmd_<verb>.c), dispatched from main.c. */
#ifndef APEX_CMDS_H
#define APEX_CMDS_H

/* Exit codes that mean something to scripts (documented in `apex --help`). */
enum {
    APEX_EXIT_OK = 0,      /* success; for verify: accepted */
    APEX_EXIT_FAIL = 1,    /* the command ran and the answer is no (rejected, target missed) */
    APEX_EXIT_USAGE = 2,   /* bad command line */
    APEX_EXIT_INPUT = 3,   /* missing or malformed input file */
    APEX_EXIT_RUNTIME = 4, /* I/O, memory or network failure while running */
};

/* Map an apex_err to the exit code above. */
int apex_exit_code(int err);

/* Each verb takes argv with argv[0] = the verb name. */
typedef int (*apex_cmd_fn)(int argc, char **argv);

int cmd_keygen(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_personalize(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_mask(int argc, char **argv);
int cmd_unlearn(int argc, char **argv);
/* Compliance proof verbs (cmd_zk.c). */
int cmd_commit(int argc, char **argv);
int cmd_verify(int argc, char **argv);
/* `apex eval unlearning ...` (cmd_eval_unl.c), dispatched by cmd_eval; argv[0] = "unlearning". */
int cmd_eval_unlearning(int argc, char **argv);
/* Benchmarks living in their own files (dispatched by cmd_bench.c); argv[0] is the
 * benchmark's name and each prints one JSON object. */
int bench_train(int argc, char **argv);
int bench_field(int argc, char **argv);
int bench_obs(int argc, char **argv);
int bench_proof(int argc, char **argv);
/* Median of v[0..n) (sorts v in place); shared by the benchmarks. */
double bench_median(double *v, int n);
/* Reset the kernel's peak-RSS mark (VmHWM) so that the next read covers one phase; read it
 * in MB (0 when unavailable). */
void bench_hwm_reset(void);
double bench_hwm_mb(void);
int bench_range(int argc, char **argv);
int bench_ligero_main(int argc, char **argv);

#endif
