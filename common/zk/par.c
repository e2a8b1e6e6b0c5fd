/* The two-thread split (par.h). */
#include "zk/par.h"

#include <pthread.h>

#include "core/core.h"

static void *par_entry(void *a)
{
    par_job *j = a;
    j->fn(j);
    return NULL;
}

/* Run fn over [0, n) in APEX_ZK_THREADS slices: slice 0 here, the others on new threads (or
 * here when a thread cannot be created). */
int ligero_par_run(void (*fn)(par_job *), void *arg, size_t n)
{
    enum { T = APEX_ZK_THREADS };
    par_job jobs[T];
    pthread_t th[T];
    int started[T] = {0};
    for (size_t i = 0; i < T; i++)
        jobs[i] = (par_job){fn, n * i / T, n * (i + 1) / T, arg, APEX_OK, i};
    for (size_t i = 1; i < T; i++)
        started[i] =
            jobs[i].lo < jobs[i].hi && pthread_create(&th[i], NULL, par_entry, &jobs[i]) == 0;
    fn(&jobs[0]);
    int rc = jobs[0].rc;
    for (size_t i = 1; i < T; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            fn(&jobs[i]);
        if (rc == APEX_OK)
            rc = jobs[i].rc;
    }
    return rc;
}

void zk_phase_start(zk_phase *ph)
{
    ph->wall = apex_now_s();
    ph->cpu = apex_cpu_s();
}

void zk_phase_done(zk_phase *ph, const char *who, const char *what)
{
    double wall = apex_now_s(), cpu = apex_cpu_s(), dw = wall - ph->wall;
    LOG_DEBUG("%s: %s in %.3f s (%.2f cores)", who, what, dw, dw > 0 ? (cpu - ph->cpu) / dw : 0.0);
    ph->wall = wall;
    ph->cpu = cpu;
}
