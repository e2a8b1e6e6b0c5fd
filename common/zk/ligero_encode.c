/* Encoding rows onto the query domain and hashing columns, split over APEX_ZK_THREADS
 * threads. Only the calling thread draws randomness, and every job writes a disjoint part
 * of the output, so the commitment is the same whatever the split. */
#include "zk/ligero_impl.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One slice of the work. */
typedef struct enc_job {
    apex_ligero_commitment *c; /* the commitment being built (rows/columns in [lo, hi)) */
    size_t lo;                 /* first row or column of the slice */
    size_t hi;                 /* one past the last */
    int interp;                /* 1: rows hold values on H_B, interpolate them first */
    apex_hash *leaves;         /* [nq] leaf hashes (hash jobs write their slice) */
    int rc;                    /* APEX_OK or the first error of the slice */
} enc_job;

/* Rows [lo, hi): coefficients -> values on Q, scattered into the column-major tableau. */
static void *encode_rows(void *arg)
{
    enc_job *j = arg;
    apex_ligero_commitment *c = j->c;
    const apex_ligero_dims *d = &c->d;
    apex_gl *tmp = apex_calloc_n(d->nq, sizeof *tmp);
    if (!tmp) {
        j->rc = APEX_ERR_NOMEM;
        return NULL;
    }
    for (size_t r = j->lo; r < j->hi; r++) {
        apex_gl *row = c->coef + r * d->dblock;
        if (j->interp)
            apex_ntt_inverse(c->plans.b, row);
        memset(tmp, 0, d->nq * sizeof *tmp);
        memcpy(tmp, row, d->dblock * sizeof *tmp);
        apex_ntt_coset_forward(c->plans.q, tmp, APEX_GL_GENERATOR);
        for (size_t q = 0; q < d->nq; q++)
            c->tab[q * d->nrow + r] = tmp[q];
    }
    OPENSSL_cleanse(tmp, d->nq * sizeof *tmp);
    free(tmp);
    j->rc = APEX_OK;
    return NULL;
}

/* Columns [lo, hi): salted leaf hashes. */
static void *hash_columns(void *arg)
{
    enc_job *j = arg;
    apex_ligero_commitment *c = j->c;
    j->rc = APEX_OK;
    for (size_t q = j->lo; q < j->hi && j->rc == APEX_OK; q++)
        j->rc = ligero_leaf(c->salts + q * APEX_MERKLE_SALT_LEN, c->tab + q * c->d.nrow, c->d.nrow,
                            &j->leaves[q]);
    return NULL;
}

/* Run fn over [0, n) in APEX_ZK_THREADS slices: slice 0 on this thread, the others on new
 * threads (or on this one when a thread cannot be created). */
static int run_split(void *(*fn)(void *), enc_job *tmpl, size_t n)
{
    enum { T = APEX_ZK_THREADS };
    enc_job jobs[T];
    pthread_t th[T];
    int started[T] = {0};
    for (size_t i = 0; i < T; i++) {
        jobs[i] = *tmpl;
        jobs[i].lo = n * i / T;
        jobs[i].hi = n * (i + 1) / T;
        jobs[i].rc = APEX_OK;
    }
    for (size_t i = 1; i < T; i++)
        started[i] = jobs[i].lo < jobs[i].hi && pthread_create(&th[i], NULL, fn, &jobs[i]) == 0;
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

int ligero_rebuild_tree(apex_ligero_commitment *c)
{
    apex_hash *leaves = apex_calloc_n(c->d.nq, sizeof *leaves);
    if (!leaves)
        return APEX_ERR_NOMEM;
    enc_job tmpl = {c, 0, 0, 0, leaves, APEX_OK};
    int rc = run_split(hash_columns, &tmpl, c->d.nq);
    for (size_t q = 0; q < c->d.nq && rc == APEX_OK; q++) /* the tree itself is not shared */
        rc = apex_merkle_set_leaf(c->tree, q, &leaves[q]);
    free(leaves);
    return rc == APEX_OK ? apex_merkle_build(c->tree, &c->root) : rc;
}

int ligero_encode_and_hash(apex_ligero_commitment *c, ligero_rand *rs, int interp)
{
    enc_job tmpl = {c, 0, 0, interp, NULL, APEX_OK};
    int rc = run_split(encode_rows, &tmpl, c->d.nrow);
    if (rc == APEX_OK)
        rc = ligero_rand_bytes(rs, c->salts, c->d.nq * APEX_MERKLE_SALT_LEN);
    return rc == APEX_OK ? ligero_rebuild_tree(c) : rc;
}
