/* Ligero commitment objects with bounded memory.
 *
 * A commitment keeps no tableau and no coefficients (except the proof-time ones with their
 * tableau in memory: APEX_LIGERO_TABLEAU_MEM, and arrays of at most LIGERO_MEM_ROWS rows),
 * its rows are regenerated on demand
 * from the caller's row source (witness values) and from pads drawn from AES-256-CTR keyed
 * by a 32-byte per-commitment secret, with the row index as IV. Committing streams the rows
 * in chunks, encodes them on Q and absorbs each column's bytes into that column's running
 * SHA-256 (the leaf hash is unchanged: SHA-256(0x00 || salt || column)). A proof regenerates
 * the rows again. Memory: O(BLOCK * (chunk rows + threads)) plus one hash state and one
 * salt per column, independent of the witness size.
 *
 * Rows and columns are split over APEX_ZK_THREADS threads; only the calling thread draws
 * randomness, every job writes a disjoint part of the output, so results never depend on
 * the split. The ephemeral masking commitment of a proof is small and keeps its rows in
 * memory (coef). */
#include "zk/ligero_impl.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows encoded per streaming step: a chunk buffer of CHUNK * 4 BLOCK elements, and one
 * hash update of CHUNK * 8 bytes per column per step. */
#define LIGERO_CHUNK_ROWS 16u
/* Array commitments of at most this many rows (the proof-time C_u, C_m, C_p, pads and
 * evaluations: at most 16 MB each at BLOCK 2^15) keep their tableau in memory, so that
 * their openings need no re-encoding. */
#define LIGERO_MEM_ROWS 16u

/* ---------------------------------------------------------------- rows */

/* Pads of row i: uniform elements by rejection from AES-256-CTR(seed, IV = i || 0^64). The
 * row index sits in the high half of the counter block and the block counter runs in the
 * low half, so the keystreams of different rows never overlap (a row uses far fewer than
 * 2^64 blocks). */
static int row_pads(const apex_ligero_commitment *c, size_t i, apex_gl *out, size_t n)
{
    enum { KS = 8 * 1024 }; /* keystream bytes per cipher call */
    uint8_t iv[16] = {0};
    static const uint8_t zero[KS];
    uint8_t *ks = malloc(KS);
    for (int b = 0; b < 8; b++)
        iv[7 - b] = (uint8_t)((uint64_t)i >> (8 * b));
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    if (!ks || !x || EVP_EncryptInit_ex(x, EVP_aes_256_ctr(), NULL, c->seed, iv) != 1) {
        EVP_CIPHER_CTX_free(x);
        free(ks);
        return APEX_ERR_CRYPTO;
    }
    int rc = APEX_OK;
    size_t got = 0;
    while (got < n && rc == APEX_OK) {
        int len = 0;
        if (EVP_EncryptUpdate(x, ks, &len, zero, KS) != 1 || len != KS) {
            rc = APEX_ERR_CRYPTO;
            break;
        }
        /* little-endian 64-bit words, rejected when >= p (the stream is the same whatever the
         * call size: CTR output is consumed in order and the unused tail is dropped) */
        size_t o = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n - got >= KS / 8) { /* fast path: a whole block, taken as is when none is >= p */
            memcpy(out + got, ks, KS);
            uint64_t big = 0;
            for (size_t k = 0; k < KS / 8; k++)
                big |= out[got + k] >= APEX_GL_P;
            if (!big) {
                got += KS / 8;
                continue;
            }
        }
#endif
        for (; o + 8 <= KS && got < n; o += 8) {
            uint64_t v = (uint64_t)ks[o] | (uint64_t)ks[o + 1] << 8 | (uint64_t)ks[o + 2] << 16 |
                         (uint64_t)ks[o + 3] << 24 | (uint64_t)ks[o + 4] << 32 |
                         (uint64_t)ks[o + 5] << 40 | (uint64_t)ks[o + 6] << 48 |
                         (uint64_t)ks[o + 7] << 56;
            out[got] = v;
            got += v < APEX_GL_P;
        }
    }
    apex_wipe(ks, KS);
    free(ks);
    EVP_CIPHER_CTX_free(x);
    return rc;
}

int ligero_row_values(const apex_ligero_commitment *c, size_t i, apex_gl *out)
{
    if (c->coef)
        return APEX_ERR_STATE; /* in-memory (masking) rows have no witness */
    int rc = c->rows(c->rows_ctx, i, out);
    for (size_t k = 0; k < c->d.block && rc == APEX_OK; k++)
        if (out[k] >= APEX_GL_P)
            rc = APEX_ERR_RANGE; /* a row source must hand out canonical elements */
    return rc;
}

void apex_ligero_set_rows_i8(apex_ligero_commitment *c, apex_ligero_row_i8_fn fn)
{
    c->rows_i8 = c->rows ? fn : NULL;
}

int ligero_row_pads(const apex_ligero_commitment *c, size_t i, apex_gl *out)
{
    return c->coef ? APEX_ERR_STATE : row_pads(c, i, out, c->p.npad);
}

void ligero_add_zh(apex_gl *coef, size_t block, const apex_gl *r, size_t nr)
{
    for (size_t k = 0; k < nr; k++) {
        coef[k] = apex_gl_sub(coef[k], r[k]);
        coef[block + k] = apex_gl_add(coef[block + k], r[k]);
    }
}

void ligero_add_zh2(apex_gl2 *coef, size_t block, const apex_gl2 *r, size_t nr)
{
    for (size_t k = 0; k < nr; k++) {
        coef[k] = apex_gl2_sub(coef[k], r[k]);
        coef[block + k] = apex_gl2_add(coef[block + k], r[k]);
    }
}

/* Tests only: the noise row gets Z_H X^k added to its polynomial instead of noise on Q. */
static size_t test_extra_pad = SIZE_MAX;

/* Tests only: in-memory tableaux fail to allocate. */
static int test_no_mtab = 0;

void ligero_test_set_no_mtab(int on)
{
    test_no_mtab = on;
}

void ligero_test_set_extra_pad(size_t k)
{
    test_extra_pad = k;
}

int ligero_row_coef(const apex_ligero_commitment *c, size_t i, apex_gl *out)
{
    size_t nq = c->d.nq, block = c->d.block, npad = c->p.npad;
    if (c->coef) {
        memcpy(out, c->coef + i * nq, nq * sizeof *out);
        return APEX_OK;
    }
    memset(out + block, 0, (nq - block) * sizeof *out);
    int rc = ligero_row_values(c, i, out);
    if (rc != APEX_OK)
        return rc;
    apex_ntt_inverse(c->plans.b, out); /* W: the witness interpolated on H_B */
    rc = row_pads(c, i, out + nq - npad, npad);
    if (rc == APEX_OK) /* p = W + Z_H R */
        ligero_add_zh(out, block, out + nq - npad, npad);
    memset(out + nq - npad, 0, npad * sizeof *out);
    if (i == c->noise_row && test_extra_pad < block) { /* tests only: one more pad, X^k */
        out[test_extra_pad] = apex_gl_sub(out[test_extra_pad], 1);
        out[block + test_extra_pad] = apex_gl_add(out[block + test_extra_pad], 1);
    }
    return rc;
}

/* A fixed nonzero value per (row, column) for the tests' non-codeword rows. */
static apex_gl test_noise(size_t row, size_t q)
{
    uint64_t z = ((uint64_t)row << 32 ^ q) * 0x9e3779b97f4a7c15ULL;
    z ^= z >> 31;
    return 1 + z % (APEX_GL_P - 1);
}

/* Tests only: the noise row is perturbed at the columns whose noise is 0 mod this (1: all). */
static size_t test_noise_mod = 1;

void ligero_test_set_noise_mod(size_t mod)
{
    test_noise_mod = mod ? mod : 1;
}

int ligero_row_on_q(const apex_ligero_commitment *c, size_t i, apex_gl *out)
{
    int rc = ligero_row_coef(c, i, out);
    if (rc != APEX_OK)
        return rc;
    /* a witness row has degree < BLOCK + npad <= 3 BLOCK / 2, a masking row < 3 BLOCK */
    apex_ntt_coset_forward(c->plans.q, out, APEX_GL_GENERATOR);
    if (i == c->noise_row && test_extra_pad == SIZE_MAX) /* tests only: no codeword */
        for (size_t q = 0; q < c->d.nq; q++)
            if (test_noise(i, q) % test_noise_mod == 0)
                out[q] = apex_gl_add(out[q], test_noise(i, q));
    return APEX_OK;
}

/* ---------------------------------------------------------------- streaming commit */

/* State of one streaming commit. */
typedef struct stream {
    apex_ligero_commitment *c; /* the commitment being built */
    apex_sha256_ctx **col;     /* [nq] running leaf hash of each column */
    apex_gl *chunk;            /* [CHUNK][nq] encodings of the current chunk of rows */
    size_t r0;                 /* first row of the current chunk */
    size_t nr;                 /* rows in the current chunk */
    apex_hash *leaves;         /* [nq] finished leaf hashes */
    uint8_t *tbuf;             /* [nq][nr] le64 column bytes of the chunk for the cache, or NULL */
    int whole;                 /* all rows fit in one chunk: leaves hashed in one go, no
                                  per-column running state */
    int later;                 /* tableau in memory over several groups: chunks are only
                                  transposed, the leaves hashed from the tableau at the end */
} stream;

static void encode_chunk(par_job *j)
{
    stream *s = j->arg;
    size_t nq = s->c->d.nq;
    j->rc = APEX_OK;
    for (size_t r = j->lo; r < j->hi && j->rc == APEX_OK; r++)
        j->rc = ligero_row_on_q(s->c, s->r0 + r, s->chunk + r * nq);
}

/* Columns per tile of absorb_chunk: the tile's values are read row by row (contiguous) and
 * written column by column into a block that stays in L1, instead of one strided read (a row
 * apart, 4 BLOCK * 8 bytes) per value. */
enum { ABSORB_TILE = 64 };

static void absorb_chunk(par_job *j)
{
    stream *s = j->arg;
    size_t nq = s->c->d.nq, nr = s->nr;
    uint8_t buf[8 * LIGERO_CACHE_GROUP * ABSORB_TILE];
    static const uint8_t prefix = APEX_MERKLE_LEAF_PREFIX;
    apex_sha256_ctx *h = s->whole ? apex_sha256_new() : NULL; /* reused for every leaf */
    j->rc = !s->whole || h ? APEX_OK : APEX_ERR_CRYPTO;
    if (nr > LIGERO_CACHE_GROUP)
        j->rc = APEX_ERR_INVALID; /* never: chunks are at most a cache group */
    for (size_t q0 = j->lo; q0 < j->hi && j->rc == APEX_OK; q0 += ABSORB_TILE) {
        size_t nt = j->hi - q0 < ABSORB_TILE ? j->hi - q0 : ABSORB_TILE;
        /* column q's bytes at dst + (q - q0) * 8 nr: the cache's group layout */
        uint8_t *dst = s->tbuf ? s->tbuf + q0 * 8 * nr : buf;
        for (size_t r = 0; r < nr; r++) {
            const apex_gl *src = s->chunk + r * nq + q0;
            for (size_t t = 0; t < nt; t++)
                ligero_put64(dst + 8 * (t * nr + r), src[t]);
        }
        for (size_t t = 0; t < nt && j->rc == APEX_OK && !s->later; t++) {
            size_t q = q0 + t;
            const uint8_t *col = dst + t * 8 * nr;
            if (s->whole) { /* the same leaf, H(0x00 || salt || column), in one go */
                if (apex_sha256_update(h, &prefix, 1) != APEX_OK ||
                    apex_sha256_update(h, s->c->salts + q * APEX_MERKLE_SALT_LEN,
                                       APEX_MERKLE_SALT_LEN) != APEX_OK ||
                    apex_sha256_update(h, col, 8 * nr) != APEX_OK ||
                    apex_sha256_final(h, s->leaves[q].b) != APEX_OK)
                    j->rc = APEX_ERR_CRYPTO;
            } else if (apex_sha256_update(s->col[q], col, 8 * nr) != APEX_OK)
                j->rc = APEX_ERR_CRYPTO;
        }
    }
    apex_wipe(buf, sizeof buf); /* encoded columns, unopened ones included */
    apex_sha256_destroy(&h);
}

/* Leaves of a tableau in memory: H(0x00 || salt || column), the column's rows gathered from
 * its groups (the same bytes, in the same order, as the running hashes would absorb), with
 * one reused context instead of a running state per column. */
static void mem_leaves(par_job *j)
{
    const stream *s = j->arg;
    const apex_ligero_commitment *c = s->c;
    size_t nrow = c->d.nrow, nq = c->d.nq, G = LIGERO_CACHE_GROUP;
    static const uint8_t prefix = APEX_MERKLE_LEAF_PREFIX;
    apex_sha256_ctx *h = apex_sha256_new();
    j->rc = h ? APEX_OK : APEX_ERR_CRYPTO;
    for (size_t q = j->lo; q < j->hi && j->rc == APEX_OK; q++) {
        if (apex_sha256_update(h, &prefix, 1) != APEX_OK ||
            apex_sha256_update(h, c->salts + q * APEX_MERKLE_SALT_LEN, APEX_MERKLE_SALT_LEN) !=
                APEX_OK)
            j->rc = APEX_ERR_CRYPTO;
        for (size_t g0 = 0; g0 < nrow && j->rc == APEX_OK; g0 += G) {
            size_t gr = nrow - g0 < G ? nrow - g0 : G;
            if (apex_sha256_update(h, c->mtab + (g0 * nq + q * gr) * 8, gr * 8) != APEX_OK)
                j->rc = APEX_ERR_CRYPTO;
        }
        if (j->rc == APEX_OK && apex_sha256_final(h, s->leaves[q].b) != APEX_OK)
            j->rc = APEX_ERR_CRYPTO;
    }
    apex_sha256_destroy(&h);
}

static void finish_columns(par_job *j)
{
    stream *s = j->arg;
    j->rc = APEX_OK;
    for (size_t q = j->lo; q < j->hi && j->rc == APEX_OK; q++)
        j->rc = apex_sha256_final(s->col[q], s->leaves[q].b);
}

/* Salts (drawn here), then leaf = H(0x00 || salt || rows of the column) streamed by chunks,
 * then the Merkle tree. With cache_path, chunks are cache groups and each group's columns are
 * appended to cache_path.tmp as they are hashed; the header goes in last and the file is
 * renamed into place. */
static int commit_stream(apex_ligero_commitment *c, ligero_rand *rs, const char *cache_path,
                         unsigned flags, const char **why)
{
    const apex_ligero_dims *d = &c->d;
    stream s = {c, NULL, NULL, 0, 0, NULL, NULL, 0, 0};
    int mem = (flags & APEX_LIGERO_TABLEAU_MEM) != 0;
    /* the tableau first: without the memory for it, the commitment streams as usual and its
     * proofs re-encode the rows (same root: chunking does not change the leaves) */
    if (mem && (test_no_mtab || !(c->mtab = apex_calloc_n(d->nrow * d->nq, 8)))) {
        LOG_WARN("ligero: no memory for a %zu MB tableau; its rows will be re-encoded",
                 d->nrow * d->nq * 8 >> 20);
        mem = 0;
    }
    size_t chunk = cache_path || mem ? LIGERO_CACHE_GROUP : LIGERO_CHUNK_ROWS;
    char *tmp = NULL;
    int fd = -1;
    int rc = ligero_rand_bytes(rs, c->salts, d->nq * APEX_MERKLE_SALT_LEN);
    if (rc != APEX_OK)
        return rc;
    rc = APEX_ERR_NOMEM;
    size_t crow = chunk < d->nrow ? chunk : d->nrow; /* rows the buffers hold */
    s.whole = d->nrow <= chunk;
    s.later = mem && !s.whole;
    s.col = s.whole || s.later ? NULL : apex_calloc_n(d->nq, sizeof *s.col);
    s.chunk = apex_calloc_n(crow * d->nq, sizeof *s.chunk);
    s.leaves = apex_calloc_n(d->nq, sizeof *s.leaves);
    if ((!s.whole && !s.later && !s.col) || !s.chunk || !s.leaves)
        goto done;
    if (cache_path) { /* with the tableau in memory, the file is written from it */
        size_t len = strlen(cache_path) + 5;
        uint8_t zero[LIGERO_CACHE_HDR] = {0};
        if ((!mem && !(s.tbuf = apex_calloc_n(crow * d->nq, 8))) || !(tmp = malloc(len)))
            goto done;
        snprintf(tmp, len, "%s.tmp", cache_path);
        rc = APEX_ERR_IO;
        *why = "ligero: cannot write the tableau cache file";
        unlink(tmp); /* a stale one from a crash, or a planted link: never written through */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || apex_file_write_fd(fd, zero, sizeof zero) != APEX_OK)
            goto done;
    }
    static const uint8_t prefix = APEX_MERKLE_LEAF_PREFIX;
    rc = APEX_ERR_CRYPTO;
    for (size_t q = 0; s.col && q < d->nq; q++) {
        if (!(s.col[q] = apex_sha256_new()) ||
            apex_sha256_update(s.col[q], &prefix, 1) != APEX_OK ||
            apex_sha256_update(s.col[q], c->salts + q * APEX_MERKLE_SALT_LEN,
                               APEX_MERKLE_SALT_LEN) != APEX_OK)
            goto done;
    }
    rc = APEX_OK;
    for (s.r0 = 0; s.r0 < d->nrow && rc == APEX_OK; s.r0 += chunk) {
        s.nr = d->nrow - s.r0 < chunk ? d->nrow - s.r0 : chunk;
        rc = ligero_par_run(encode_chunk, &s, s.nr);
        if (mem) /* the group's columns go straight into the tableau */
            s.tbuf = c->mtab + s.r0 * d->nq * 8;
        if (rc == APEX_OK)
            rc = ligero_par_run(absorb_chunk, &s, d->nq);
        if (rc == APEX_OK && fd >= 0 &&
            (rc = apex_file_write_fd(fd, s.tbuf, s.nr * d->nq * 8)) != APEX_OK)
            *why = "ligero: cannot write the tableau cache file";
    }
    if (rc == APEX_OK && s.later)
        rc = ligero_par_run(mem_leaves, &s, d->nq);
    else if (rc == APEX_OK && !s.whole)
        rc = ligero_par_run(finish_columns, &s, d->nq);
    for (size_t q = 0; q < d->nq && rc == APEX_OK; q++) /* the tree itself is not shared */
        rc = apex_merkle_set_leaf(c->tree, q, &s.leaves[q]);
    if (rc == APEX_OK)
        rc = apex_merkle_build(c->tree, &c->root);
    if (rc == APEX_OK && fd >= 0) {
        uint8_t hdr[LIGERO_CACHE_HDR];
        ligero_cache_header(c, hdr);
        rc = APEX_ERR_IO;
        *why = "ligero: cannot write the tableau cache file";
        if (pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr ||
            (!(flags & APEX_LIGERO_CACHE_NOSYNC) && fsync(fd) != 0))
            goto done;
        int fd2 = fd;
        fd = -1;
        if (close(fd2) != 0 || rename(tmp, cache_path) != 0 ||
            (!(flags & APEX_LIGERO_CACHE_NOSYNC) && apex_file_fsync_dir(cache_path) != APEX_OK))
            goto done;
        free(tmp);
        tmp = NULL;
        rc = APEX_OK;
    }
done:
    if (fd >= 0)
        close(fd);
    if (tmp) /* a failed or unfinished cache never stays behind */
        unlink(tmp);
    free(tmp);
    if (s.col)
        for (size_t q = 0; q < d->nq; q++)
            apex_sha256_destroy(&s.col[q]);
    free(s.col);
    if (s.chunk)
        apex_wipe(s.chunk, crow * d->nq * sizeof *s.chunk);
    free(s.chunk);
    if (!mem && s.tbuf)
        apex_wipe(s.tbuf, crow * d->nq * 8);
    if (!mem)
        free(s.tbuf);
    free(s.leaves);
    return rc;
}

/* ---------------------------------------------------------------- column openings */

/* Arguments of a column extraction. */
typedef struct open_arg {
    const apex_ligero_commitment *c; /* the commitment */
    const size_t *qidx;              /* [nreq] columns */
    size_t nreq;                     /* how many */
    apex_gl *cols;                   /* [nreq][nrow] output */
} open_arg;

static void extract_rows(par_job *j)
{
    const open_arg *a = j->arg;
    size_t nrow = a->c->d.nrow;
    apex_gl *tmp = apex_calloc_n(a->c->d.nq, sizeof *tmp);
    j->rc = tmp ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t r = j->lo; r < j->hi && j->rc == APEX_OK; r++) {
        j->rc = ligero_row_on_q(a->c, r, tmp);
        for (size_t k = 0; k < a->nreq && j->rc == APEX_OK; k++)
            a->cols[k * nrow + r] = tmp[a->qidx[k]];
    }
    if (tmp)
        apex_wipe(tmp, a->c->d.nq * sizeof *tmp);
    free(tmp);
}

int ligero_open_columns(const apex_ligero_commitment *c, const size_t *qidx, size_t nreq,
                        apex_gl *cols)
{
    open_arg a = {c, qidx, nreq, cols};
    return ligero_par_run(extract_rows, &a, c->d.nrow);
}

/* ---------------------------------------------------------------- objects */

apex_ligero_commitment *ligero_alloc(const apex_ligero_params *p, const apex_ligero_dims *d)
{
    apex_ligero_commitment *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->p = *p;
    c->d = *d;
    c->noise_row = SIZE_MAX;
    c->salts = apex_calloc_n(d->nq, APEX_MERKLE_SALT_LEN);
    c->tree = apex_merkle_new(d->nq);
    if (!c->salts || !c->tree || ligero_plans_init(&c->plans, p->log_block) != APEX_OK)
        apex_ligero_commitment_destroy(&c);
    return c;
}

void apex_ligero_commitment_destroy(apex_ligero_commitment **pc)
{
    if (!pc || !*pc)
        return;
    apex_ligero_commitment *c = *pc;
    ligero_plans_free(&c->plans);
    if (c->coef)
        apex_wipe(c->coef, c->d.nrow * c->d.nq * sizeof *c->coef);
    if (c->owned)
        apex_wipe(c->owned, c->d.nw * sizeof *c->owned);
    if (c->mtab)
        apex_wipe(c->mtab, c->d.nrow * c->d.nq * 8);
    free(c->mtab);
    apex_wipe(c->seed, sizeof c->seed); /* the pads follow from it */
    free(c->coef);
    free(c->owned);
    free(c->salts);
    free(c->cache_path);
    apex_merkle_destroy(&c->tree);
    free(c);
    *pc = NULL;
}

size_t apex_ligero_openings_left(const apex_ligero_commitment *c)
{
    return c->d.budget - c->opened;
}

size_t apex_ligero_openings_used(const apex_ligero_commitment *c)
{
    return c->opened;
}

/* Row source over a witness array owned by the commitment. */
static int owned_rows(void *ctx, size_t row, apex_gl *out)
{
    const apex_ligero_commitment *c = ctx;
    memcpy(out, c->owned + row * c->d.wr, c->d.wr * sizeof *out);
    return APEX_OK;
}

apex_ligero_commitment *ligero_commit_impl(const apex_ligero_params *p, apex_ligero_row_fn fn,
                                           void *ctx, const apex_gl *w, size_t nw,
                                           apex_rng *test_rng, size_t noise_row, apex_hash *root,
                                           const char **reason)
{
    return ligero_commit_impl_cached(p, fn, ctx, w, nw, test_rng, noise_row, NULL, 0, root, reason);
}

apex_ligero_commitment *ligero_commit_impl_cached(const apex_ligero_params *p,
                                                  apex_ligero_row_fn fn, void *ctx,
                                                  const apex_gl *w, size_t nw, apex_rng *test_rng,
                                                  size_t noise_row, const char *cache_path,
                                                  unsigned flags, apex_hash *root,
                                                  const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    apex_ligero_dims d;
    if (apex_ligero_dims_of(p, &d, reason) != APEX_OK)
        return NULL;
    if (!fn && nw > d.nw) {
        *reason = "ligero: witness larger than the commitment's capacity";
        return NULL;
    }
    for (size_t i = 0; !fn && i < nw; i++) {
        if (w[i] >= APEX_GL_P) {
            *reason = "ligero: non-canonical witness element";
            return NULL;
        }
    }
    apex_ligero_commitment *c = ligero_alloc(p, &d);
    ligero_rand *rs = calloc(1, sizeof *rs);
    *reason = "ligero: out of memory";
    if (!c || !rs)
        goto fail;
    c->noise_row = noise_row;
    if (fn) {
        c->rows = fn;
        c->rows_ctx = ctx;
    } else { /* keep a copy of the array, padded with zeros to the capacity */
        if (!(c->owned = apex_calloc_n(d.nw, sizeof *c->owned)))
            goto fail;
        if (nw)
            memcpy(c->owned, w, nw * sizeof *w);
        c->rows = owned_rows;
        c->rows_ctx = c;
    }
    ligero_rand_init(rs, test_rng);
    if (cache_path && !(c->cache_path = strdup(cache_path)))
        goto fail;
    if (!fn && !cache_path && d.nrow <= LIGERO_MEM_ROWS) /* small proof-time arrays */
        flags |= APEX_LIGERO_TABLEAU_MEM;
    *reason = "ligero: randomness, row source or hashing failed";
    if (ligero_rand_bytes(rs, c->seed, sizeof c->seed) != APEX_OK ||
        commit_stream(c, rs, cache_path, flags, reason) != APEX_OK)
        goto fail;
    *root = c->root;
    *reason = NULL;
    apex_wipe(rs, sizeof *rs);
    free(rs);
    return c;
fail:
    if (rs)
        apex_wipe(rs, sizeof *rs);
    free(rs);
    apex_ligero_commitment_destroy(&c);
    return NULL;
}

apex_ligero_commitment *apex_ligero_commit(const apex_ligero_params *p, const apex_gl *w, size_t nw,
                                           apex_rng *test_rng, apex_hash *root, const char **reason)
{
    return ligero_commit_impl(p, NULL, NULL, w, nw, test_rng, SIZE_MAX, root, reason);
}

apex_ligero_commitment *apex_ligero_commit_rows(const apex_ligero_params *p, apex_ligero_row_fn fn,
                                                void *ctx, apex_rng *test_rng, apex_hash *root,
                                                const char **reason)
{
    if (!fn) {
        if (reason)
            *reason = "ligero: no row source";
        return NULL;
    }
    return ligero_commit_impl(p, fn, ctx, NULL, 0, test_rng, SIZE_MAX, root, reason);
}

apex_ligero_commitment *ligero_commit_masks(unsigned log_block, size_t nreq, size_t np,
                                            ligero_rand *rs)
{
    /* npad = nreq makes the budget exactly one opening */
    apex_ligero_params p = {log_block, nreq, nreq, APEX_LIGERO_NMASK};
    apex_ligero_dims d;
    if (apex_ligero_dims_of(&p, &d, NULL) != APEX_OK || np > d.block / 2)
        return NULL;
    apex_ligero_commitment *c = ligero_alloc(&p, &d);
    if (!c)
        return NULL;
    size_t block = d.block, nq = d.nq, nld, ndot, nqd;
    ligero_response_lengths(block, np, &nld, &ndot, &nqd);
    int rc = (c->coef = apex_calloc_n(d.nrow * nq, sizeof *c->coef)) ? APEX_OK : APEX_ERR_NOMEM;
    for (size_t r = 0; r < APEX_LIGERO_NMASK && rc == APEX_OK; r++) {
        apex_gl *row = c->coef + r * nq;
        if (r < APEX_LIGERO_IDOT) { /* ILDT: uniform, degree < BLOCK + NP */
            rc = ligero_rand_gl(rs, row, nld);
        } else if (r < APEX_LIGERO_IQD) {
            /* IDOT: uniform of degree < 2 BLOCK + NP - 1 subject to summing to 0 over H_B, where
             * the sum of x^k is BLOCK when BLOCK | k and 0 otherwise */
            if ((rc = ligero_rand_gl(rs, row, ndot)) != APEX_OK)
                break;
            apex_gl s = 0;
            for (size_t k = block; k < ndot; k += block)
                s = apex_gl_add(s, row[k]);
            row[0] = apex_gl_neg(s);
        } else {
            /* IQD = Z_H S, S uniform of degree < nqd: zero on H_B */
            apex_gl *sv = row + nq - nqd; /* S, above IQD's degree 2 BLOCK + nqd - 1 */
            if ((rc = ligero_rand_gl(rs, sv, nqd)) != APEX_OK)
                break;
            memmove(row + block, sv, nqd * sizeof *sv); /* X^B S (nqd <= 2 BLOCK - 1) */
            for (size_t k = 0; k < nqd; k++)            /* reads ahead of the writes: in place */
                row[k] = apex_gl_sub(row[k], row[block + k]);
            for (size_t k = block + nqd; k < nq; k++)
                row[k] = 0;
        }
    }
    const char *why = NULL;
    if (rc == APEX_OK)
        rc = commit_stream(c, rs, NULL, 0, &why);
    if (rc != APEX_OK)
        apex_ligero_commitment_destroy(&c);
    return c;
}

apex_ligero_commitment *apex_ligero_commit_rows_cached_flags(const apex_ligero_params *p,
                                                             apex_ligero_row_fn fn, void *ctx,
                                                             const char *cache_path, unsigned flags,
                                                             apex_rng *test_rng, apex_hash *root,
                                                             const char **reason)
{
    if (!fn || !cache_path || !*cache_path) {
        if (reason)
            *reason = !fn ? "ligero: no row source" : "ligero: no cache path";
        return NULL;
    }
    return ligero_commit_impl_cached(p, fn, ctx, NULL, 0, test_rng, SIZE_MAX, cache_path, flags,
                                     root, reason);
}

apex_ligero_commitment *apex_ligero_commit_rows_mem(const apex_ligero_params *p,
                                                    apex_ligero_row_fn fn, void *ctx,
                                                    apex_rng *test_rng, apex_hash *root,
                                                    const char **reason)
{
    if (!fn) {
        if (reason)
            *reason = "ligero: no row source";
        return NULL;
    }
    return ligero_commit_impl_cached(p, fn, ctx, NULL, 0, test_rng, SIZE_MAX, NULL,
                                     APEX_LIGERO_TABLEAU_MEM, root, reason);
}

apex_ligero_commitment *apex_ligero_commit_rows_cached(const apex_ligero_params *p,
                                                       apex_ligero_row_fn fn, void *ctx,
                                                       const char *cache_path, apex_rng *test_rng,
                                                       apex_hash *root, const char **reason)
{
    return apex_ligero_commit_rows_cached_flags(p, fn, ctx, cache_path, 0, test_rng, root, reason);
}
