/* The coordinator service as a library: apex-coordinator's main() and the
 * integration tests both drive it through this API. */
#ifndef APEX_COORD_H
#define APEX_COORD_H

#include <stdint.h>

typedef struct apex_coord_config {
    const char *bind; /* ZeroMQ endpoint, e.g. tcp://(star):7700; port (star) picks a free port */
    const char *endpoint_file;   /* if set, the bound endpoint is written here once listening */
    const char *model_path;      /* model file streamed to every client */
    const char *model_id;        /* human name of the model (default: file name) */
    const char *fleet_id;        /* fleet name, sent to clients and logged */
    int insecure;                /* 1: no CURVE (explicit, logged opt-out) */
    const char *server_key_path; /* coordinator .key file (CURVE) */
    const char *allowlist_path;  /* client public keys allowed (CURVE); NULL: any key */
    uint32_t heartbeat_ms;       /* heartbeat interval (default 1000) */
    uint32_t liveness;           /* misses before a client is dead (default 3) */
    uint32_t chunk_bytes;        /* streaming chunk size (default 256 KiB) */
    uint32_t window;             /* chunk requests a client may have in flight (default 10) */
    uint32_t expect_clients;     /* stop once this many downloads finished (0: run until signal) */
    uint32_t wait_for;           /* hold model offers until this many clients registered (0: no
                                    barrier); benchmarks use it so that a round starts together */
    uint32_t timeout_s;          /* stop after this long even if not done (0: none) */
    const char *summary_path;    /* JSON summary written at exit (optional) */
    int handle_signals;          /* 1: SIGINT/SIGTERM stop the loop (the binary sets it) */
} apex_coord_config;

/* Fill defaults for every zero field that has one. */
void apex_coord_config_defaults(apex_coord_config *cfg);

/* Fleet counters, safe to read from another thread. */
typedef struct apex_coord_stats {
    uint32_t registered;    /* clients that registered at least once */
    uint32_t alive;         /* clients currently alive */
    uint32_t dead;          /* clients declared dead (cumulative) */
    uint32_t downloads_ok;  /* clients whose download finished with a verified hash */
    uint32_t downloads_bad; /* clients that reported a hash failure */
    uint64_t bytes_sent;    /* model bytes sent in chunks */
    uint64_t rejected_msgs; /* malformed, oversized or unexpected messages dropped */
    double first_offer_s;   /* monotonic time of the first model offer (0: none) */
    double last_done_s;     /* monotonic time of the last finished download */
} apex_coord_stats;

/* What the coordinator knows of one client. */
typedef struct apex_coord_client_info {
    int known;         /* 0: no such client */
    int alive;         /* 1 while heartbeats arrive */
    int download_ok;   /* 1 once the client confirmed a verified hash */
    uint64_t bytes;    /* chunk bytes sent to it */
    uint32_t sessions; /* registrations (reconnects + 1) */
} apex_coord_client_info;

typedef struct apex_coord apex_coord;

/* Bind, load and hash the model, start the ZAP handler. NULL on failure
 * with *err set (and the reason logged). */
apex_coord *apex_coord_new(const apex_coord_config *cfg, int *err);
/* Run the event loop until stopped, done (expect_clients) or timed out.
 * Returns APEX_OK, or APEX_ERR_TIMEOUT when the deadline stopped it. */
int apex_coord_run(apex_coord *c);
/* Ask a running loop to stop; safe from any thread or a signal handler. */
void apex_coord_stop(apex_coord *c);
/* Bound endpoint (with the real port when bound to "*"). */
const char *apex_coord_endpoint(const apex_coord *c);
void apex_coord_get_stats(apex_coord *c, apex_coord_stats *out);
void apex_coord_get_client(apex_coord *c, const char *client_id, apex_coord_client_info *out);
void apex_coord_destroy(apex_coord **c);

#endif
