/* Masked blocks of a layer as a job list, and a small runner that spreads the jobs over
 * worker threads. Blocks are independent (compensation stays inside its block) and each job
 * writes only its own block, so workers share nothing but the read-only inputs. */
#include <pthread.h>
#include <stdlib.h>

#include "unlearn/obs_internal.h"

int apex_obs_jobs_build(const uint64_t *mask, size_t nmask, size_t d, size_t block, obs_job **jobs,
                        size_t *njobs)
{
    *jobs = NULL;
    *njobs = 0;
    for (size_t k = 0; k < nmask; k++)
        if (mask[k] >= d || (k > 0 && mask[k] <= mask[k - 1]))
            return APEX_ERR_INVALID;
    size_t cnt = 0;
    for (size_t k = 0; k < nmask; k++)
        cnt += k == 0 || mask[k] / block != mask[k - 1] / block;
    obs_job *j = apex_calloc_n(cnt ? cnt : 1, sizeof *j);
    if (!j)
        return APEX_ERR_NOMEM;
    for (size_t k = 0, m = 0; k < nmask; m++) {
        size_t blk = (size_t)(mask[k] / block);
        j[m].block = blk;
        j[m].start = blk * block;
        j[m].nb = d - j[m].start < block ? d - j[m].start : block;
        j[m].k0 = k;
        while (k < nmask && mask[k] < j[m].start + j[m].nb)
            k++;
        j[m].k1 = k;
    }
    *jobs = j;
    *njobs = cnt;
    return APEX_OK;
}

/* State shared by the workers of one run. */
typedef struct runner {
    obs_job_fn fn;     /* the job */
    void *ctx;         /* its context */
    size_t njobs;      /* jobs in the list */
    unsigned nthreads; /* workers; worker t runs jobs t, t + nthreads, ... */
    size_t *fail_job;  /* [nthreads] first failed job of each worker, or njobs */
    int *fail_rc;      /* [nthreads] its error */
} runner;

/* Argument of one worker thread. */
typedef struct worker_arg {
    runner *r;    /* shared state */
    unsigned tid; /* worker index */
} worker_arg;

static void *worker(void *arg)
{
    worker_arg *a = arg;
    runner *r = a->r;
    for (size_t j = a->tid; j < r->njobs; j += r->nthreads) {
        int rc = r->fn(r->ctx, a->tid, j);
        if (rc != APEX_OK) {
            r->fail_job[a->tid] = j;
            r->fail_rc[a->tid] = rc;
            break;
        }
    }
    return NULL;
}

int apex_obs_jobs_run(size_t njobs, unsigned nthreads, obs_job_fn fn, void *ctx, size_t *first_fail)
{
    *first_fail = njobs;
    if (nthreads == 0 || nthreads > APEX_OBS_MAX_THREADS)
        return APEX_ERR_INVALID;
    if (njobs == 0)
        return APEX_OK;
    if (nthreads > njobs)
        nthreads = (unsigned)njobs;
    size_t fail_job[APEX_OBS_MAX_THREADS];
    int fail_rc[APEX_OBS_MAX_THREADS] = {0};
    pthread_t th[APEX_OBS_MAX_THREADS];
    worker_arg args[APEX_OBS_MAX_THREADS];
    runner r = {fn, ctx, njobs, nthreads, fail_job, fail_rc};
    unsigned started = 0;
    for (unsigned t = 0; t < nthreads; t++) {
        fail_job[t] = njobs;
        args[t] = (worker_arg){&r, t};
    }
    /* worker 0 runs on the calling thread */
    for (unsigned t = 1; t < nthreads; t++, started++)
        if (pthread_create(&th[t], NULL, worker, &args[t]) != 0)
            break;
    if (started + 1 < nthreads) { /* could not start every worker: run their jobs here */
        for (unsigned t = started + 1; t < nthreads; t++)
            worker(&args[t]);
    }
    worker(&args[0]);
    for (unsigned t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
    int rc = APEX_OK;
    for (unsigned t = 0; t < nthreads; t++)
        if (fail_job[t] < *first_fail) {
            *first_fail = fail_job[t];
            rc = fail_rc[t];
        }
    return rc;
}
