/* Fleet registry: array of peers plus an FNV-1a open-addressing index. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#define REGISTRY_MAX_PEERS 1000000u /* hard fleet limit per coordinator */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

void registry_init(registry *r)
{
    memset(r, 0, sizeof *r);
}

void registry_free(registry *r)
{
    free(r->peers);
    free(r->index);
    memset(r, 0, sizeof *r);
}

peer *registry_find(registry *r, const char *id)
{
    if (!r->index_cap)
        return NULL;
    size_t mask = r->index_cap - 1;
    for (size_t i = fnv1a(id) & mask;; i = (i + 1) & mask) {
        uint32_t v = r->index[i];
        if (v == 0)
            return NULL;
        if (strcmp(r->peers[v - 1].id, id) == 0)
            return &r->peers[v - 1];
    }
}

static int rehash(registry *r, size_t cap)
{
    uint32_t *idx = calloc(cap, sizeof *idx);
    if (!idx)
        return -1;
    for (size_t k = 0; k < r->n; k++) {
        size_t i = fnv1a(r->peers[k].id) & (cap - 1);
        while (idx[i])
            i = (i + 1) & (cap - 1);
        idx[i] = (uint32_t)(k + 1);
    }
    free(r->index);
    r->index = idx;
    r->index_cap = cap;
    return 0;
}

peer *registry_add(registry *r, const char *id)
{
    peer *p = registry_find(r, id);
    if (p)
        return p;
    if (r->n >= REGISTRY_MAX_PEERS)
        return NULL;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        peer *np = realloc(r->peers, cap * sizeof *np);
        if (!np)
            return NULL;
        r->peers = np;
        r->cap = cap;
    }
    if (2 * (r->n + 1) >= r->index_cap && rehash(r, r->index_cap ? r->index_cap * 2 : 128) != 0)
        return NULL;
    p = &r->peers[r->n];
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", id);
    size_t mask = r->index_cap - 1;
    size_t i = fnv1a(id) & mask;
    while (r->index[i])
        i = (i + 1) & mask;
    r->index[i] = (uint32_t)(r->n + 1);
    r->n++;
    return p;
}
