/* Test fixtures for fleet tests. */
#include "fleet_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"

void fleet_tmpdir(char *out, size_t n, const char *tag)
{
    snprintf(out, n, "/tmp/apex-%s-XXXXXX", tag);
    if (!mkdtemp(out))
        abort();
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void fleet_rmtree(const char *dir)
{
    if (dir && strncmp(dir, "/tmp/apex-", 10) == 0) /* only what fleet_tmpdir made */
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fleet_write_model(const char *path, size_t size, uint64_t seed)
{
    uint8_t *buf = malloc(size);
    apex_rng r;
    apex_rng_seed(&r, seed);
    apex_rng_bytes(&r, buf, size);
    if (apex_file_write_atomic(path, buf, size, 0644) != APEX_OK)
        abort();
    free(buf);
}

static void *coord_main(void *arg)
{
    coord_thread *ct = arg;
    ct->rc = apex_coord_run(ct->c);
    return NULL;
}

int coord_thread_start(coord_thread *ct, const apex_coord_config *cfg)
{
    int err;
    memset(ct, 0, sizeof *ct);
    ct->c = apex_coord_new(cfg, &err);
    if (!ct->c)
        return err;
    pthread_create(&ct->t, NULL, coord_main, ct);
    return 0;
}

void coord_thread_stop(coord_thread *ct)
{
    if (!ct->c)
        return;
    apex_coord_stop(ct->c);
    pthread_join(ct->t, NULL);
    apex_coord_destroy(&ct->c);
}

static void *client_main(void *arg)
{
    client_thread *ct = arg;
    ct->rc = apex_client_run(&ct->cfg, &ct->res);
    return NULL;
}

void client_thread_start(client_thread *ct)
{
    pthread_create(&ct->t, NULL, client_main, ct);
}

void client_thread_join(client_thread *ct)
{
    pthread_join(ct->t, NULL);
}

int wait_until(int (*pred)(void *), void *arg, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (pred(arg))
            return 1;
        usleep(10000);
    }
    return pred(arg);
}

int files_equal(const char *a, const char *b)
{
    uint8_t *x, *y;
    size_t nx, ny;
    if (apex_file_read_all(a, 1u << 30, &x, &nx) != APEX_OK)
        return 0;
    if (apex_file_read_all(b, 1u << 30, &y, &ny) != APEX_OK) {
        free(x);
        return 0;
    }
    int eq = nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return eq;
}
