/* Salted SHA-256 Merkle tree, heap layout, batched openings (layout in merkle.h). */
#include "zk/merkle.h"

#include <stdlib.h>
#include <string.h>

#include "zk/par.h"

struct apex_merkle {
    size_t n;         /* number of leaves */
    apex_hash *nodes; /* [2n] heap-ordered nodes; nodes[0] unused, nodes[1] the root,
                         leaves at nodes[n..2n) */
    int built;        /* 1 once apex_merkle_build() has run over the current leaves */
};

int apex_merkle_leaf_hash(const uint8_t salt[APEX_MERKLE_SALT_LEN], const void *data, size_t len,
                          apex_hash *out)
{
    static const uint8_t prefix = APEX_MERKLE_LEAF_PREFIX;
    apex_sha256_ctx *c = apex_sha256_new();
    if (!c)
        return APEX_ERR_CRYPTO;
    int rc = apex_sha256_update(c, &prefix, 1);
    if (rc == APEX_OK)
        rc = apex_sha256_update(c, salt, APEX_MERKLE_SALT_LEN);
    if (rc == APEX_OK && len > 0)
        rc = apex_sha256_update(c, data, len);
    if (rc == APEX_OK)
        rc = apex_sha256_final(c, out->b);
    apex_sha256_destroy(&c);
    return rc;
}

int apex_merkle_node_hash(const apex_hash *left, const apex_hash *right, apex_hash *out)
{
    uint8_t buf[1 + 2 * APEX_SHA256_LEN];
    buf[0] = APEX_MERKLE_NODE_PREFIX;
    memcpy(buf + 1, left->b, APEX_SHA256_LEN);
    memcpy(buf + 1 + APEX_SHA256_LEN, right->b, APEX_SHA256_LEN);
    return apex_sha256(buf, sizeof buf, out->b);
}

static int size_ok(size_t n)
{
    return n >= 1 && n <= ((size_t)1 << APEX_MERKLE_MAX_LOG);
}

apex_merkle *apex_merkle_new(size_t n_leaves)
{
    if (!size_ok(n_leaves))
        return NULL;
    apex_merkle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = n_leaves;
    t->nodes = apex_calloc_n(2 * n_leaves, sizeof *t->nodes);
    if (!t->nodes) {
        free(t);
        return NULL;
    }
    return t;
}

void apex_merkle_destroy(apex_merkle **t)
{
    if (!t || !*t)
        return;
    free((*t)->nodes);
    free(*t);
    *t = NULL;
}

size_t apex_merkle_leaves(const apex_merkle *t)
{
    return t->n;
}

int apex_merkle_set_leaf(apex_merkle *t, size_t j, const apex_hash *leaf)
{
    if (j >= t->n)
        return APEX_ERR_RANGE;
    t->nodes[t->n + j] = *leaf;
    t->built = 0;
    return APEX_OK;
}

int apex_merkle_get_leaf(const apex_merkle *t, size_t j, apex_hash *leaf)
{
    if (j >= t->n)
        return APEX_ERR_RANGE;
    *leaf = t->nodes[t->n + j];
    return APEX_OK;
}

/* Nodes [lo, hi) from their children, with one reused digest context (a fresh one per node
 * costs about as much as the hash); lo and hi count from the band's first node. */
typedef struct band_arg {
    apex_merkle *t;
    size_t base; /* first node of the band */
} band_arg;

static void nodes_range(par_job *j)
{
    const band_arg *a = j->arg;
    static const uint8_t prefix = APEX_MERKLE_NODE_PREFIX;
    apex_sha256_ctx *c = apex_sha256_new();
    j->rc = c ? APEX_OK : APEX_ERR_CRYPTO;
    for (size_t i = a->base + j->lo; i < a->base + j->hi && j->rc == APEX_OK; i++) {
        j->rc = apex_sha256_update(c, &prefix, 1);
        if (j->rc == APEX_OK)
            j->rc = apex_sha256_update(c, a->t->nodes[2 * i].b, APEX_SHA256_LEN);
        if (j->rc == APEX_OK)
            j->rc = apex_sha256_update(c, a->t->nodes[2 * i + 1].b, APEX_SHA256_LEN);
        if (j->rc == APEX_OK)
            j->rc = apex_sha256_final(c, a->t->nodes[i].b); /* also resets c */
    }
    apex_sha256_destroy(&c);
}

/* Bands of at least this many nodes are split over the threads. */
#define MERKLE_PAR_NODES 4096u

int apex_merkle_build(apex_merkle *t, apex_hash *root)
{
    /* Nodes [ceil(b/2), b) have all their children at b or above, so each such band is done
     * before the next one down, and a wide band is split across threads. The hashes do not
     * depend on the split. */
    int rc = APEX_OK;
    for (size_t b = t->n; b > 1 && rc == APEX_OK;) {
        size_t a = (b + 1) / 2;
        band_arg arg = {t, a};
        if (b - a >= MERKLE_PAR_NODES) {
            rc = ligero_par_run(nodes_range, &arg, b - a);
        } else {
            par_job one = {nodes_range, 0, b - a, &arg, APEX_OK, 0};
            nodes_range(&one);
            rc = one.rc;
        }
        b = a;
    }
    if (rc != APEX_OK)
        return rc;
    t->built = 1;
    *root = t->nodes[1];
    return APEX_OK;
}

static size_t depth_of(size_t n)
{
    /* the deepest leaf is node 2n-1; its depth is floor(log2(2n-1)) */
    size_t d = 0;
    for (size_t x = 2 * n - 1; x > 1; x >>= 1)
        d++;
    return d;
}

size_t apex_merkle_open_max(size_t n_leaves, size_t k)
{
    return k * depth_of(n_leaves);
}

/* ---------------------------------------------------------------- the shared walk */

/* A known node: its heap index and hash. */
typedef struct node_item {
    size_t i;    /* heap index */
    apex_hash h; /* node hash */
} node_item;

static int cmp_desc(const void *a, const void *b)
{
    size_t x = ((const node_item *)a)->i, y = ((const node_item *)b)->i;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Where the walk gets a sibling it does not know: the prover's full tree (recording each
 * one) or the verifier's proof (consuming each one). */
typedef struct sib_source {
    const apex_merkle *tree; /* prover: read nodes here; NULL for the verifier */
    apex_hash *buf;          /* prover: output; verifier: input */
    size_t cap;              /* entries available in buf */
    size_t used;             /* entries written (prover) or consumed (verifier) */
} sib_source;

/* Walks from the leaf nodes items[0..k) (distinct, in range, sorted by descending index) up
 * to the root and writes it to *root. Returns APEX_ERR_TOO_LARGE when the source runs out
 * (prover: cap; verifier: missing siblings). */
static int walk(const node_item *items, size_t k, sib_source *src, apex_hash *root)
{
    /* Everything alive is either in items[in..k) or in the ring queue; both are descending
     * and together never hold more than k entries, so a ring of k slots suffices. */
    node_item *q = calloc(k, sizeof *q);
    if (!q)
        return APEX_ERR_NOMEM;
    size_t in = 0, qh = 0, qn = 0;
    int rc = APEX_OK;
    for (;;) {
        node_item cur;
        int from_q = qn > 0 && (in == k || q[qh].i > items[in].i);
        if (from_q) {
            cur = q[qh];
            qh = (qh + 1) % k;
            qn--;
        } else {
            cur = items[in++];
        }
        if (cur.i == 1) {
            *root = cur.h;
            break;
        }
        size_t s = cur.i ^ 1;
        apex_hash sib;
        int have = 0;
        if (qn > 0 && q[qh].i == s) {
            sib = q[qh].h;
            qh = (qh + 1) % k;
            qn--;
            have = 1;
        } else if (in < k && items[in].i == s) {
            sib = items[in++].h;
            have = 1;
        }
        if (!have) {
            if (src->used == src->cap) {
                rc = APEX_ERR_TOO_LARGE;
                break;
            }
            if (src->tree)
                src->buf[src->used] = src->tree->nodes[s];
            sib = src->buf[src->used++];
        }
        node_item parent = {cur.i >> 1, {{0}}};
        rc = (cur.i & 1) ? apex_merkle_node_hash(&sib, &cur.h, &parent.h)
                         : apex_merkle_node_hash(&cur.h, &sib, &parent.h);
        if (rc != APEX_OK)
            break;
        q[(qh + qn) % k] = parent;
        qn++;
    }
    free(q);
    return rc;
}

/* Copies (idx, hash) pairs into leaf items after checking range and distinctness. */
static int load_items(size_t n, const size_t *idx, const apex_hash *leaf, size_t k, node_item **out,
                      const char **reason)
{
    node_item *items = apex_calloc_n(k, sizeof *items);
    if (!items)
        return APEX_ERR_NOMEM;
    for (size_t j = 0; j < k; j++) {
        if (idx[j] >= n) {
            free(items);
            *reason = "merkle: leaf index out of range";
            return APEX_ERR_RANGE;
        }
        items[j].i = n + idx[j];
        if (leaf)
            items[j].h = leaf[j];
    }
    qsort(items, k, sizeof *items, cmp_desc);
    for (size_t j = 1; j < k; j++) {
        if (items[j].i == items[j - 1].i) {
            free(items);
            *reason = "merkle: duplicate leaf index";
            return APEX_ERR_INVALID;
        }
    }
    *out = items;
    return APEX_OK;
}

int apex_merkle_open(const apex_merkle *t, const size_t *idx, size_t k, apex_hash *sib, size_t cap,
                     size_t *n_sib)
{
    if (!t->built)
        return APEX_ERR_STATE;
    if (k == 0) {
        *n_sib = 0;
        return APEX_OK;
    }
    node_item *items = NULL;
    const char *why = NULL;
    int rc = load_items(t->n, idx, NULL, k, &items, &why);
    if (rc != APEX_OK)
        return rc;
    for (size_t j = 0; j < k; j++)
        items[j].h = t->nodes[items[j].i];
    sib_source src = {t, sib, cap, 0};
    apex_hash root;
    rc = walk(items, k, &src, &root);
    free(items);
    if (rc == APEX_OK)
        *n_sib = src.used;
    return rc;
}

int apex_merkle_verify(const apex_hash *root, size_t n_leaves, const size_t *idx,
                       const apex_hash *leaf, size_t k, const apex_hash *sib, size_t n_sib,
                       const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *reason = NULL;
    if (!size_ok(n_leaves)) {
        *reason = "merkle: tree size outside the parameters";
        return APEX_ERR_REJECTED;
    }
    if (k == 0) {
        *reason = "merkle: empty opening";
        return APEX_ERR_REJECTED;
    }
    if (k > n_leaves) {
        *reason = "merkle: more opened leaves than the tree has";
        return APEX_ERR_REJECTED;
    }
    node_item *items = NULL;
    int rc = load_items(n_leaves, idx, leaf, k, &items, reason);
    if (rc == APEX_ERR_RANGE || rc == APEX_ERR_INVALID)
        return APEX_ERR_REJECTED;
    if (rc != APEX_OK)
        return rc;
    /* the walk only reads buf in verifier mode (tree == NULL) */
    sib_source src = {NULL, (apex_hash *)sib, n_sib, 0};
    apex_hash got;
    rc = walk(items, k, &src, &got);
    free(items);
    if (rc == APEX_ERR_TOO_LARGE) {
        *reason = "merkle: opening has too few sibling hashes";
        return APEX_ERR_REJECTED;
    }
    if (rc != APEX_OK)
        return rc;
    if (src.used != n_sib) {
        *reason = "merkle: opening has surplus sibling hashes";
        return APEX_ERR_REJECTED;
    }
    if (apex_memeq_ct(got.b, root->b, APEX_SHA256_LEN) != 0) {
        *reason = "merkle: root mismatch";
        return APEX_ERR_REJECTED;
    }
    return APEX_OK;
}
