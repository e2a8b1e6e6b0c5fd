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

#endif /* APEX_ZK_PAR_H */
