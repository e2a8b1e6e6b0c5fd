/* The client service as a library: apex-client's main() and the tests drive it. */
#ifndef APEX_CLIENT_H
#define APEX_CLIENT_H

#include <stdint.h>

typedef struct apex_client_config {
    const char *connect;         /* coordinator endpoint, e.g. tcp://127.0.0.1:7700 */
    const char *client_id;       /* our id; also the ZeroMQ routing id */
    const char *workdir;         /* where the model is stored (created if missing) */
    int insecure;                /* 1: no CURVE (must match the coordinator) */
    const char *key_path;        /* our CURVE .key file */
    const char *server_pub_path; /* coordinator's .pub (or .key) file */
    uint32_t heartbeat_ms;       /* until the coordinator's REGISTER_ACK says otherwise */
    uint32_t liveness;           /* misses before the coordinator is presumed gone */
    uint32_t window;             /* chunk requests in flight (capped by the coordinator's) */
    uint32_t reconnect_min_ms;   /* first back-off after losing the coordinator */
    uint32_t reconnect_max_ms;   /* back-off ceiling */
    uint32_t timeout_s;          /* give up after this long (0: never) */
    int exit_after_download;     /* 1: say BYE and return once the model is verified */
    int no_persist;              /* 1: verify the hash while streaming and keep no copy
                                    (fleet benchmarks: 100 clients on one VM would
                                    otherwise measure first-touch of 5 GB of memory) */
    uint64_t drop_after_bytes;   /* fault injection: drop the connection once after this many
                                    bytes, then resume (0: off) */
    const char *report_path;     /* JSON report written when run returns (optional) */
    volatile int *stop_flag;     /* set non-zero (e.g. by a signal) to stop */
} apex_client_config;

void apex_client_config_defaults(apex_client_config *cfg);

/* What a run achieved (also written to report_path). */
typedef struct apex_client_result {
    int model_sha256_ok;     /* 1: the downloaded model matched the offered SHA-256 */
    uint64_t model_bytes;    /* size of the model */
    uint64_t bytes_received; /* chunk bytes received (more than model_bytes if re-sent) */
    double seconds;          /* first offer to verified hash */
    uint32_t reconnects;     /* sessions after the first */
    uint32_t auth_failures;  /* CURVE handshakes the coordinator refused */
    char model_path[512];    /* where the verified model is */
} apex_client_result;

/* Run the client until done (exit_after_download), stopped, or timed out.
 * Returns APEX_OK, APEX_ERR_TIMEOUT, APEX_ERR_AUTH (the coordinator refused
 * our key and the timeout ran out), APEX_ERR_INTERRUPTED or another error. */
int apex_client_run(const apex_client_config *cfg, apex_client_result *out);

#endif
