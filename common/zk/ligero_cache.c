/* Tableau cache files and saved commitments (docs/PROOF.md, "Tableau cache" and "Saved
 * commitments").
 *
 * Cache file: a 128-byte header (magic, version, group size, shape, root), then the encoded
 * rows on Q in groups of LIGERO_CACHE_GROUP rows; inside a group, column q's values (le64,
 * rows in order) are contiguous. Opening nreq columns costs nreq * ceil(nrow / GROUP) reads.
 * Nothing read from the file is trusted: every column is re-hashed with its salt and compared
 * with its Merkle leaf, so a bad cache can fail a proof but never change one.
 *
 * Saved commitment: magic, version, shape, root, openings used, pad seed, salts, leaf hashes,
 * cache path, then SHA-256 of all of it. The tree is rebuilt from the leaves on load and must
 * give the stored root, which must be the caller's. */
#include "zk/ligero_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t cache_magic[8] = {'A', 'P', 'X', 'L', 'C', 'T', '0', '1'};
static const uint8_t save_magic[8] = {'A', 'P', 'X', 'L', 'C', 'S', '0', '1'};
#define CACHE_VERSION 2u /* 2: Ligero v4 rows (pads outside H_B) */
#define SAVE_VERSION  2u /* 2: the pad seed draws R's coefficients (Ligero v4) */
/* Longest cache path stored in a saved commitment. */
#define SAVE_MAX_PATH 4096u

void ligero_cache_header(const apex_ligero_commitment *c, uint8_t hdr[LIGERO_CACHE_HDR])
{
    memset(hdr, 0, LIGERO_CACHE_HDR);
    memcpy(hdr, cache_magic, 8);
    ligero_put64(hdr + 8, (uint64_t)CACHE_VERSION | (uint64_t)LIGERO_CACHE_GROUP << 32);
    ligero_put64(hdr + 16, c->p.log_block);
    ligero_put64(hdr + 24, c->p.npad);
    ligero_put64(hdr + 32, c->p.nreq);
    ligero_put64(hdr + 40, c->p.nwrow);
    memcpy(hdr + 48, c->root.b, sizeof c->root.b);
}

static int read_at(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return APEX_ERR_TRUNCATED;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return APEX_OK;
}

int ligero_cache_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                         apex_gl *cols, const char **why)
{
    size_t nrow = c->d.nrow, nq = c->d.nq, G = LIGERO_CACHE_GROUP;
    int fd = open(c->cache_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = errno == ENOENT ? "ligero: cache file missing, columns re-encoded"
                               : "ligero: cannot open the tableau cache file";
        return errno == ENOENT ? APEX_ERR_NOT_FOUND : APEX_ERR_IO;
    }
    uint8_t hdr[LIGERO_CACHE_HDR], want[LIGERO_CACHE_HDR];
    struct stat st;
    uint64_t size = LIGERO_CACHE_HDR + (uint64_t)nrow * nq * 8;
    uint8_t *buf = apex_calloc_n(G, 8);
    int rc = APEX_ERR_NOMEM;
    *why = "ligero: out of memory";
    if (!buf)
        goto done;
    ligero_cache_header(c, want);
    rc = APEX_ERR_TRUNCATED;
    *why = "ligero: tableau cache file truncated or of the wrong size";
    if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != size ||
        read_at(fd, hdr, sizeof hdr, 0) != APEX_OK)
        goto done;
    rc = APEX_ERR_FORMAT;
    *why = "ligero: not a tableau cache file (bad magic or version)";
    if (memcmp(hdr, want, 16) != 0)
        goto done;
    *why = "ligero: tableau cache file of another commitment (shape or root differs)";
    if (memcmp(hdr, want, sizeof hdr) != 0)
        goto done;
    rc = APEX_OK;
    for (size_t k = 0; k < nreq && rc == APEX_OK; k++) {
        size_t q = qidx[k];
        apex_gl *col = cols + k * nrow;
        for (size_t g0 = 0; g0 < nrow && rc == APEX_OK; g0 += G) {
            size_t gr = nrow - g0 < G ? nrow - g0 : G;
            uint64_t off = LIGERO_CACHE_HDR + (uint64_t)g0 * nq * 8 + (uint64_t)q * gr * 8;
            if ((rc = read_at(fd, buf, gr * 8, off)) != APEX_OK) {
                *why = "ligero: tableau cache file truncated";
                break;
            }
            for (size_t r = 0; r < gr; r++)
                col[g0 + r] = ligero_get64(buf + 8 * r);
        }
        apex_hash leaf, got;
        if (rc == APEX_OK && (rc = apex_merkle_get_leaf(c->tree, q, &leaf)) == APEX_OK &&
            (rc = ligero_leaf(c->salts + q * APEX_MERKLE_SALT_LEN, col, nrow, &got)) == APEX_OK &&
            memcmp(leaf.b, got.b, sizeof leaf.b) != 0) {
            rc = APEX_ERR_HASH;
            *why = "ligero: tableau cache column does not match its Merkle leaf (corrupt cache)";
        }
    }
done:
    free(buf);
    close(fd);
    return rc;
}

void ligero_mem_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                        apex_gl *cols)
{
    size_t nrow = c->d.nrow, nq = c->d.nq, G = LIGERO_CACHE_GROUP;
    for (size_t k = 0; k < nreq; k++) {
        apex_gl *col = cols + k * nrow;
        for (size_t g0 = 0; g0 < nrow; g0 += G) {
            size_t gr = nrow - g0 < G ? nrow - g0 : G;
            const uint8_t *src = c->mtab + (g0 * nq + qidx[k] * gr) * 8;
            for (size_t r = 0; r < gr; r++)
                col[g0 + r] = ligero_get64(src + 8 * r);
        }
    }
}

int apex_ligero_commitment_set_cache(apex_ligero_commitment *c, const char *path,
                                     const char **reason)
{
    char *copy = NULL;
    if (path && !(copy = strdup(path))) {
        if (reason)
            *reason = "ligero: out of memory";
        return APEX_ERR_NOMEM;
    }
    if (path && (c->coef || c->mtab || !*path)) {
        free(copy);
        if (reason)
            *reason = c->mtab ? "ligero: this commitment keeps its tableau in memory"
                              : "ligero: a cache needs a row-source commitment and a path";
        return APEX_ERR_INVALID;
    }
    free(c->cache_path);
    c->cache_path = copy;
    return APEX_OK;
}

const char *apex_ligero_cache_path(const apex_ligero_commitment *c)
{
    return c->cache_path;
}

const char *apex_ligero_cache_status(const apex_ligero_commitment *c)
{
    return c->cache_note;
}

/* ---------------------------------------------------------------- save / load */

/* Bytes of a saved commitment with a cache path of plen bytes. */
static size_t save_size(const apex_ligero_dims *d, size_t plen)
{
    return 8 + 8 + 4 * 8 + APEX_SHA256_LEN + 8 + 32 + d->nq * (APEX_MERKLE_SALT_LEN + 32) + 8 +
           plen + APEX_SHA256_LEN;
}

int apex_ligero_commitment_save(const apex_ligero_commitment *c, const char *path,
                                const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    if (c->coef || c->owned) {
        *reason = "ligero: only row-source commitments can be saved (the witness is not stored)";
        return APEX_ERR_INVALID;
    }
    size_t plen = c->cache_path ? strlen(c->cache_path) : 0, n = save_size(&c->d, plen);
    if (plen > SAVE_MAX_PATH) {
        *reason = "ligero: cache path too long to save";
        return APEX_ERR_INVALID;
    }
    uint8_t *buf = apex_calloc_n(n, 1), *p = buf;
    if (!buf) {
        *reason = "ligero: out of memory";
        return APEX_ERR_NOMEM;
    }
    memcpy(p, save_magic, 8);
    ligero_put64(p + 8, SAVE_VERSION);
    ligero_put64(p + 16, c->p.log_block);
    ligero_put64(p + 24, c->p.npad);
    ligero_put64(p + 32, c->p.nreq);
    ligero_put64(p + 40, c->p.nwrow);
    p += 48;
    memcpy(p, c->root.b, APEX_SHA256_LEN);
    p += APEX_SHA256_LEN;
    ligero_put64(p, c->opened);
    p += 8;
    memcpy(p, c->seed, 32);
    p += 32;
    memcpy(p, c->salts, c->d.nq * APEX_MERKLE_SALT_LEN);
    p += c->d.nq * APEX_MERKLE_SALT_LEN;
    int rc = APEX_OK;
    for (size_t q = 0; q < c->d.nq && rc == APEX_OK; q++, p += 32) {
        apex_hash h;
        rc = apex_merkle_get_leaf(c->tree, q, &h);
        memcpy(p, h.b, 32);
    }
    ligero_put64(p, plen);
    p += 8;
    if (plen)
        memcpy(p, c->cache_path, plen);
    p += plen;
    if (rc == APEX_OK)
        rc = apex_sha256(buf, (size_t)(p - buf), p);
    if (rc == APEX_OK && (rc = apex_file_write_atomic(path, buf, n, 0600)) != APEX_OK)
        *reason = "ligero: cannot write the saved commitment";
    else if (rc != APEX_OK)
        *reason = "ligero: hashing failed";
    apex_wipe(buf, n); /* the pad seed */
    free(buf);
    return rc;
}

apex_ligero_commitment *apex_ligero_commitment_load(const apex_ligero_params *p,
                                                    apex_ligero_row_fn fn, void *ctx,
                                                    const char *path, const apex_hash *root,
                                                    const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, reason) != APEX_OK)
        return NULL;
    if (!fn) {
        *reason = "ligero: no row source";
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, base = save_size(&d, 0);
    int rc = apex_file_read_all(path, base + SAVE_MAX_PATH, &buf, &len);
    if (rc != APEX_OK) {
        *reason = rc == APEX_ERR_NOT_FOUND ? "ligero: saved commitment file missing"
                  : rc == APEX_ERR_TOO_LARGE
                      ? "ligero: saved commitment larger than its shape allows"
                      : "ligero: cannot read the saved commitment";
        return NULL;
    }
    apex_ligero_commitment *c = NULL;
    const uint8_t *q = buf;
    uint8_t sum[APEX_SHA256_LEN];
    *reason = "ligero: saved commitment truncated";
    if (len < 16)
        goto fail;
    *reason = "ligero: not a saved Ligero commitment (bad magic)";
    if (memcmp(q, save_magic, 8) != 0)
        goto fail;
    *reason = "ligero: saved commitment of an unknown version";
    if (ligero_get64(q + 8) != SAVE_VERSION)
        goto fail;
    *reason = "ligero: saved commitment truncated";
    if (len < base)
        goto fail;
    size_t plen_off = base - APEX_SHA256_LEN - 8;
    uint64_t plen = ligero_get64(q + plen_off);
    if (plen > SAVE_MAX_PATH || len != base + plen) {
        *reason = len < base + plen || plen > SAVE_MAX_PATH ? "ligero: saved commitment truncated"
                                                            : "ligero: saved commitment has "
                                                              "trailing bytes";
        goto fail;
    }
    *reason = "ligero: hashing failed";
    if (apex_sha256(buf, len - APEX_SHA256_LEN, sum) != APEX_OK)
        goto fail;
    *reason = "ligero: saved commitment checksum mismatch (file corrupted)";
    if (memcmp(sum, buf + len - APEX_SHA256_LEN, sizeof sum) != 0)
        goto fail;
    *reason = "ligero: saved commitment has another shape than the parameters";
    if (ligero_get64(q + 16) != p->log_block || ligero_get64(q + 24) != p->npad ||
        ligero_get64(q + 32) != p->nreq || ligero_get64(q + 40) != p->nwrow)
        goto fail;
    q += 48;
    *reason = "ligero: saved commitment has another root than expected";
    if (memcmp(q, root->b, APEX_SHA256_LEN) != 0)
        goto fail;
    q += APEX_SHA256_LEN;
    uint64_t opened = ligero_get64(q);
    q += 8;
    *reason = "ligero: saved commitment uses more openings than its budget";
    if (opened > d.budget)
        goto fail;
    *reason = "ligero: out of memory";
    if (!(c = ligero_alloc(p, &d)))
        goto fail;
    c->rows = fn;
    c->rows_ctx = ctx;
    c->opened = (size_t)opened;
    memcpy(c->seed, q, 32);
    q += 32;
    memcpy(c->salts, q, d.nq * APEX_MERKLE_SALT_LEN);
    q += d.nq * APEX_MERKLE_SALT_LEN;
    for (size_t j = 0; j < d.nq; j++, q += 32) {
        apex_hash h;
        memcpy(h.b, q, 32);
        if (apex_merkle_set_leaf(c->tree, j, &h) != APEX_OK)
            goto fail;
    }
    q += 8;
    if (plen) {
        *reason = "ligero: out of memory";
        if (!(c->cache_path = malloc(plen + 1)))
            goto fail;
        memcpy(c->cache_path, q, plen);
        c->cache_path[plen] = 0;
        *reason = "ligero: saved cache path contains a NUL byte";
        if (strlen(c->cache_path) != plen)
            goto fail;
    }
    *reason = "ligero: saved leaves do not rebuild the stored root (file corrupted)";
    if (apex_merkle_build(c->tree, &c->root) != APEX_OK ||
        memcmp(c->root.b, root->b, sizeof c->root.b) != 0)
        goto fail;
    apex_wipe(buf, len);
    free(buf);
    *reason = NULL;
    return c;
fail:
    apex_wipe(buf, len);
    free(buf);
    apex_ligero_commitment_destroy(&c);
    return NULL;
}
