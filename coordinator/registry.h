/* The coordinator's fleet registry: one record per client id. Loop thread only. */
#ifndef APEX_COORD_REGISTRY_H
#define APEX_COORD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "wire/wire.h"

typedef enum peer_state {
    PEER_REGISTERED = 0, /* registered, offered the model */
    PEER_READY = 1,      /* download finished and verified by the client */
    PEER_DEAD = 2,       /* missed `liveness` heartbeats; revived by a new REGISTER */
} peer_state;

typedef struct peer {
    char id[APEX_WIRE_MAX_CLIENT_ID + 1]; /* client id (also its ZeroMQ routing id) */
    char user_id[64];                     /* ZAP User-Id bound at first registration */
    peer_state state;                     /* lifecycle */
    uint64_t last_seen_ms;                /* monotonic ms of the last message from it */
    uint64_t last_sent_ms;                /* monotonic ms of the last message to it */
    uint64_t seq_out;                     /* our sequence number towards it */
    uint64_t bytes_sent;                  /* chunk bytes sent */
    uint32_t sessions;                    /* REGISTER count */
    int download_ok;                      /* client confirmed the hash */
    double offer_s;                       /* monotonic s of the first offer */
    double done_s;                        /* monotonic s of DOWNLOAD_DONE */
    double client_seconds;                /* download time the client measured */
} peer;

typedef struct registry {
    peer *peers;      /* records, in registration order */
    size_t n;         /* used records */
    size_t cap;       /* allocated records */
    uint32_t *index;  /* open-addressing hash: peer index + 1, 0 = empty */
    size_t index_cap; /* slots in index, a power of two > 2n */
} registry;

void registry_init(registry *r);
void registry_free(registry *r);
peer *registry_find(registry *r, const char *id);
/* Find or add; NULL when out of memory or the fleet limit is reached. */
peer *registry_add(registry *r, const char *id);

#endif
