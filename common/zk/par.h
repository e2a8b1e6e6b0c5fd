/* The proof system's two-thread split (internal): run a job over [0, n) in APEX_ZK_THREADS
 * slices, slice 0 on the calling thread and the others on threads of their own. Used by the
 * commitments, the sumchecks, LogUp-GKR, the statement's passes and the Merkle trees. */
#ifndef APEX_ZK_PAR_H
#define APEX_ZK_PAR_H

#include <stddef.h>

#include "zk/params.h"

/* A slice [lo, hi) of parallel work; fn reads arg (shared) and writes a disjoint output. */
typedef struct par_job {
    void (*fn)(struct par_job *); /* the work on [lo, hi) */
    size_t lo;                    /* first index of the slice */
    size_t hi;                    /* one past the last */
    void *arg;                    /* shared context */
    int rc;                       /* APEX_OK or the slice's first error */
    size_t slice;                 /* which slice, 0..APEX_ZK_THREADS-1 */
} par_job;

/* Run fn over [0, n) in APEX_ZK_THREADS slices: slice 0 on the calling thread, the others on
 * new threads (or on the calling one when a thread cannot be created). First error wins. */
int ligero_par_run(void (*fn)(par_job *), void *arg, size_t n);

/* A prover phase's clocks, for the debug log: wall time, and the process's CPU time, whose
 * ratio says how many cores the phase kept busy. */
typedef struct zk_phase {
    double wall; /* apex_now_s at the phase's start */
    double cpu;  /* apex_cpu_s at the phase's start */
} zk_phase;

/* Start a phase. */
void zk_phase_start(zk_phase *ph);
/* Log "<who>: <what> in W s (C cores)" at debug level and start the next phase. */
void zk_phase_done(zk_phase *ph, const char *who, const char *what);

#endif /* APEX_ZK_PAR_H */
