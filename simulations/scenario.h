/* apex-sim scenario files (JSON, read with jansson). See simulations/README.md. */
#ifndef APEX_SIM_SCENARIO_H
#define APEX_SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_CLIENTS 2000 /* processes one machine can reasonably run */
#define SIM_MAX_FAULTS  64

typedef struct sim_fault {
    uint32_t client;           /* index of the client (0-based) */
    uint64_t drop_after_bytes; /* drop its connection once after this many bytes */
    double kill_after_s;       /* SIGKILL the client this long after start (0: never) */
} sim_fault;

typedef struct sim_scenario {
    char name[64];                    /* scenario name, shown in the report */
    char description[256];            /* one line for humans */
    uint32_t clients;                 /* client processes */
    uint64_t model_bytes;             /* synthetic model size (when model_path is empty) */
    uint64_t model_seed;              /* seed of the synthetic model bytes */
    char model_path[512];             /* an existing model file to stream instead */
    int persist;                      /* 1: clients write the verified model to disk (default) */
    int curve;                        /* 1: CURVE with an allow-list (default), 0: --insecure */
    uint32_t heartbeat_ms;            /* liveness settings passed to every process */
    uint32_t liveness;                /* missed heartbeats before dead */
    uint32_t timeout_s;               /* whole run */
    uint32_t chunk_kib;               /* streaming chunk size in KiB (coordinator default if 0) */
    uint32_t window;                  /* chunk requests in flight per client (default if 0) */
    uint32_t raw_baseline_mb;         /* MiB streamed by the raw ZeroMQ baseline */
    uint32_t nfaults;                 /* entries in faults */
    sim_fault faults[SIM_MAX_FAULTS]; /* injected faults */
} sim_scenario;

/* Load and validate; on error writes a message naming the problem into err. */
int sim_scenario_load(const char *path, sim_scenario *sc, char *err, size_t errlen);

#endif
