/* Test fixtures: a coordinator on a thread, clients on threads, temp dirs. */
#ifndef APEX_TEST_FLEET_UTIL_H
#define APEX_TEST_FLEET_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "coord.h"

typedef struct coord_thread {
    apex_coord *c; /* the coordinator */
    pthread_t t;   /* its loop thread */
    int rc;        /* apex_coord_run's result */
} coord_thread;

typedef struct client_thread {
    apex_client_config cfg; /* configuration (strings owned by the test) */
    apex_client_result res; /* filled when the thread ends */
    pthread_t t;            /* thread */
    int rc;                 /* apex_client_run's result */
    char id[32];            /* client id storage */
    char workdir[256];      /* workdir storage */
} client_thread;

/* A fresh directory under /tmp; path written into out (>= 64 bytes). */
void fleet_tmpdir(char *out, size_t n, const char *tag);
/* Remove a test's directory tree (made by fleet_tmpdir) once its processes are done. A test
 * that fails leaves its directory behind for a look. */
void fleet_rmtree(const char *dir);
/* Write `size` seeded random bytes to path. */
void fleet_write_model(const char *path, size_t size, uint64_t seed);
/* Start a coordinator thread; returns 0 on success. */
int coord_thread_start(coord_thread *ct, const apex_coord_config *cfg);
/* Stop, join and destroy. */
void coord_thread_stop(coord_thread *ct);
void client_thread_start(client_thread *ct);
void client_thread_join(client_thread *ct);
/* Poll pred every 10 ms up to timeout_ms; 1 if it became true. */
int wait_until(int (*pred)(void *), void *arg, int timeout_ms);
/* Compare a file with another byte for byte; 1 if equal. */
int files_equal(const char *a, const char *b);

#endif
