/* client.commit and proof.bin: see commitfile.h. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/commitfile.h"
#include "zk/encode.h"

static const uint8_t COMMIT_MAGIC[8] = {'A', 'P', 'X', 'C', 'O', 'M', 'I', 'T'};
static const uint8_t PROOF_MAGIC[8] = {'A', 'P', 'X', 'P', 'R', 'O', 'O', 'F'};
static const uint8_t KEY_MAGIC[8] = {'A', 'P', 'X', 'C', 'K', 'E', 'Y', '!'};
#define KEY_VERSION 1u

/* Append the SHA-256 of everything written and write the file. */
static int finish_write_mode(const char *path, apex_enc_writer *w, unsigned mode,
                             const char **reason)
{
    uint8_t h[APEX_SHA256_LEN];
    int rc = w->err ? w->err : apex_sha256(w->buf, w->len, h);
    if (rc == APEX_OK)
        rc = apex_enc_put_bytes(w, h, sizeof h);
    if (rc == APEX_OK && (rc = apex_file_write_atomic(path, w->buf, w->len, mode)) != APEX_OK)
        *reason = "cannot write the file";
    else if (rc != APEX_OK)
        *reason = "the record is too large to encode";
    apex_enc_writer_free(w);
    return rc;
}

/* Public files: mode 0644. */
static int finish_write(const char *path, apex_enc_writer *w, const char **reason)
{
    return finish_write_mode(path, w, 0644, reason);
}

/* Read a whole file, check its magic, version and trailing SHA-256; r reads the body. */
static int start_read(const char *path, const uint8_t magic[8], uint32_t version, uint8_t **buf,
                      size_t *blen, apex_enc_reader *r, const char **reason)
{
    size_t len = 0;
    int rc = apex_file_read_all(path, APEX_COMMITFILE_MAX_BYTES, buf, &len);
    *blen = len;
    if (rc != APEX_OK) {
        *reason = "cannot read the file (missing, unreadable or too large)";
        return rc;
    }
    uint8_t h[APEX_SHA256_LEN];
    if (len < 12 + APEX_SHA256_LEN || memcmp(*buf, magic, 8) != 0) {
        *reason =
            len < 12 + APEX_SHA256_LEN ? "file truncated" : "bad magic (not this kind of file)";
        return APEX_ERR_FORMAT;
    }
    len -= APEX_SHA256_LEN;
    if ((rc = apex_sha256(*buf, len, h)) != APEX_OK)
        return rc;
    if (memcmp(h, *buf + len, sizeof h) != 0) {
        *reason = "checksum mismatch (file truncated or corrupted)";
        return APEX_ERR_HASH;
    }
    apex_enc_reader_init(r, *buf + 8, len - 8);
    uint32_t v = 0;
    if (apex_enc_get_u32(r, &v) != APEX_OK || v != version) {
        *reason = "unsupported file version";
        return APEX_ERR_VERSION;
    }
    return APEX_OK;
}

static void put_cfg(apex_enc_writer *w, const apex_comp_config *c)
{
    const uint64_t v[11] = {c->sp.n_samples, c->sp.block,    c->sp.bits_g,    c->sp.bits_w,
                            c->sp.lambda,    c->sp.tau_log2, c->sp.limb_bits, c->d,
                            c->log_block,    c->nreq,        c->kmax};
    for (size_t i = 0; i < 11; i++)
        apex_enc_put_u64(w, v[i]);
}

static int get_cfg(apex_enc_reader *r, apex_comp_config *c, const char **reason)
{
    uint64_t v[11];
    for (size_t i = 0; i < 11; i++)
        if (apex_enc_get_u64(r, &v[i]) != APEX_OK) {
            *reason = "file truncated in the configuration";
            return APEX_ERR_FORMAT;
        }
    if (v[2] > 64 || v[3] > 64 || v[5] > 63 || v[6] > 64 || v[8] > 63 || v[10] > UINT32_MAX) {
        *reason = "configuration field out of range";
        return APEX_ERR_FORMAT;
    }
    memset(c, 0, sizeof *c);
    c->sp.n_samples = v[0];
    c->sp.block = v[1];
    c->sp.bits_g = (uint32_t)v[2];
    c->sp.bits_w = (uint32_t)v[3];
    c->sp.lambda = v[4];
    c->sp.tau_log2 = (uint32_t)v[5];
    c->sp.limb_bits = (uint32_t)v[6];
    c->d = v[7];
    c->log_block = (unsigned)v[8];
    c->nreq = (size_t)v[9];
    c->kmax = (uint32_t)v[10];
    apex_comp_dims dm;
    const char *why = NULL;
    if (apex_comp_dims_of(c, &dm, &why) != APEX_OK) {
        *reason = why ? why : "configuration rejected";
        return APEX_ERR_FORMAT;
    }
    return APEX_OK;
}

int apex_commit_record_write(const char *path, const apex_commit_record *r, const char **reason)
{
    apex_enc_writer w;
    apex_enc_writer_init(&w, APEX_COMMITFILE_MAX_BYTES - APEX_SHA256_LEN);
    apex_enc_put_bytes(&w, COMMIT_MAGIC, 8);
    apex_enc_put_u32(&w, APEX_COMMITFILE_VERSION);
    put_cfg(&w, &r->cfg);
    apex_enc_put_bytes(&w, r->fleet_id, APEX_COMP_ID_LEN);
    apex_enc_put_bytes(&w, r->model_id, APEX_COMP_ID_LEN);
    apex_enc_put_bytes(&w, r->layer_hash, APEX_COMP_ID_LEN);
    apex_enc_put_bytes(&w, r->client_id, APEX_COMP_ID_LEN);
    apex_enc_put_u64(&w, r->epoch);
    apex_enc_put_hash(&w, &r->root_g);
    apex_enc_put_hash(&w, &r->root_w);
    apex_enc_put_hash(&w, &r->root_w_reg);
    apex_enc_put_u64(&w, r->nmask);
    for (size_t i = 0; i < r->nmask; i++)
        apex_enc_put_u64(&w, r->mask[i]);
    apex_enc_put_u64(&w, r->reg_len);
    apex_enc_put_bytes(&w, r->reg, r->reg_len);
    return finish_write(path, &w, reason);
}

int apex_commit_record_read(const char *path, apex_commit_record *r, const char **reason)
{
    memset(r, 0, sizeof *r);
    uint8_t *buf = NULL;
    size_t blen = 0;
    apex_enc_reader rd;
    int rc = start_read(path, COMMIT_MAGIC, APEX_COMMITFILE_VERSION, &buf, &blen, &rd, reason);
    if (rc == APEX_OK)
        rc = get_cfg(&rd, &r->cfg, reason);
    uint64_t nmask = 0, reg_len = 0;
    if (rc == APEX_OK) {
        *reason = "file truncated";
        rc = APEX_ERR_FORMAT;
        if (apex_enc_get_bytes(&rd, r->fleet_id, APEX_COMP_ID_LEN) == APEX_OK &&
            apex_enc_get_bytes(&rd, r->model_id, APEX_COMP_ID_LEN) == APEX_OK &&
            apex_enc_get_bytes(&rd, r->layer_hash, APEX_COMP_ID_LEN) == APEX_OK &&
            apex_enc_get_bytes(&rd, r->client_id, APEX_COMP_ID_LEN) == APEX_OK &&
            apex_enc_get_u64(&rd, &r->epoch) == APEX_OK &&
            apex_enc_get_hash(&rd, &r->root_g) == APEX_OK &&
            apex_enc_get_hash(&rd, &r->root_w) == APEX_OK &&
            apex_enc_get_hash(&rd, &r->root_w_reg) == APEX_OK &&
            apex_enc_get_u64(&rd, &nmask) == APEX_OK)
            rc = APEX_OK;
    }
    if (rc == APEX_OK && (nmask > APEX_COMP_MAX_MASK || nmask > r->cfg.d || nmask * 8 > rd.left)) {
        *reason = "mask length out of range";
        rc = APEX_ERR_FORMAT;
    }
    if (rc == APEX_OK && nmask && !(r->mask = malloc((size_t)nmask * sizeof *r->mask)))
        rc = APEX_ERR_NOMEM;
    for (size_t i = 0; rc == APEX_OK && i < nmask; i++) {
        apex_enc_get_u64(&rd, &r->mask[i]);
        if (r->mask[i] >= r->cfg.d || (i && r->mask[i] <= r->mask[i - 1])) {
            *reason = "stored mask not sorted, unique and inside d";
            rc = APEX_ERR_FORMAT;
        }
    }
    r->nmask = (size_t)nmask;
    if (rc == APEX_OK &&
        (apex_enc_get_u64(&rd, &reg_len) != APEX_OK || reg_len == 0 || reg_len != rd.left)) {
        *reason = "registration proof length does not match the file";
        rc = APEX_ERR_FORMAT;
    }
    if (rc == APEX_OK && !(r->reg = malloc((size_t)reg_len)))
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        apex_enc_get_bytes(&rd, r->reg, (size_t)reg_len);
        r->reg_len = (size_t)reg_len;
    }
    free(buf);
    if (rc != APEX_OK)
        apex_commit_record_free(r);
    return rc;
}

void apex_commit_record_free(apex_commit_record *r)
{
    free(r->mask);
    free(r->reg);
    r->mask = NULL;
    r->reg = NULL;
    r->nmask = r->reg_len = 0;
}

int apex_proof_record_write(const char *path, const apex_proof_record *r, const char **reason)
{
    apex_enc_writer w;
    apex_enc_writer_init(&w, APEX_COMMITFILE_MAX_BYTES - APEX_SHA256_LEN);
    apex_enc_put_bytes(&w, PROOF_MAGIC, 8);
    apex_enc_put_u32(&w, APEX_PROOFFILE_VERSION);
    apex_enc_put_u64(&w, r->epoch);
    apex_enc_put_bytes(&w, r->request_id, APEX_COMP_ID_LEN);
    apex_enc_put_bytes(&w, r->nonce, APEX_COMP_ID_LEN);
    apex_enc_put_hash(&w, &r->root_w1);
    apex_enc_put_u64(&w, r->proof_len);
    apex_enc_put_bytes(&w, r->proof, r->proof_len);
    return finish_write(path, &w, reason);
}

int apex_proof_record_read(const char *path, apex_proof_record *r, const char **reason)
{
    memset(r, 0, sizeof *r);
    uint8_t *buf = NULL;
    size_t blen = 0;
    apex_enc_reader rd;
    uint64_t len = 0;
    int rc = start_read(path, PROOF_MAGIC, APEX_PROOFFILE_VERSION, &buf, &blen, &rd, reason);
    if (rc == APEX_OK && (apex_enc_get_u64(&rd, &r->epoch) != APEX_OK ||
                          apex_enc_get_bytes(&rd, r->request_id, APEX_COMP_ID_LEN) != APEX_OK ||
                          apex_enc_get_bytes(&rd, r->nonce, APEX_COMP_ID_LEN) != APEX_OK ||
                          apex_enc_get_hash(&rd, &r->root_w1) != APEX_OK ||
                          apex_enc_get_u64(&rd, &len) != APEX_OK || len == 0 || len != rd.left)) {
        *reason = "file truncated or proof length does not match the file";
        rc = APEX_ERR_FORMAT;
    }
    if (rc == APEX_OK && !(r->proof = malloc((size_t)len)))
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        apex_enc_get_bytes(&rd, r->proof, (size_t)len);
        r->proof_len = (size_t)len;
    }
    free(buf);
    if (rc != APEX_OK)
        apex_proof_record_free(r);
    return rc;
}

void apex_proof_record_free(apex_proof_record *r)
{
    free(r->proof);
    r->proof = NULL;
    r->proof_len = 0;
}

void apex_commit_record_public(const apex_commit_record *r, const apex_proof_record *pr,
                               const uint64_t *mask, size_t nmask, apex_comp_public *pub)
{
    memset(pub, 0, sizeof *pub);
    memcpy(pub->fleet_id, r->fleet_id, APEX_COMP_ID_LEN);
    memcpy(pub->model_id, r->model_id, APEX_COMP_ID_LEN);
    memcpy(pub->layer_hash, r->layer_hash, APEX_COMP_ID_LEN);
    memcpy(pub->client_id, r->client_id, APEX_COMP_ID_LEN);
    pub->epoch = r->epoch;
    pub->mask = mask;
    pub->nmask = nmask;
    pub->root_g = r->root_g;
    pub->root_w0 = r->root_w;
    if (pr) {
        memcpy(pub->request_id, pr->request_id, APEX_COMP_ID_LEN);
        memcpy(pub->nonce, pr->nonce, APEX_COMP_ID_LEN);
        pub->root_w1 = pr->root_w1;
    }
}

int apex_mask_union(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t **out,
                    size_t *n)
{
    uint64_t *u = malloc((na + nb ? na + nb : 1) * sizeof *u);
    if (!u)
        return APEX_ERR_NOMEM;
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        uint64_t x = j == nb || (i < na && a[i] < b[j]) ? a[i++] : b[j++];
        if (k == 0 || u[k - 1] < x)
            u[k++] = x;
        else if (u[k - 1] > x) { /* an input was not increasing */
            free(u);
            return APEX_ERR_INVALID;
        }
    }
    *out = u;
    *n = k;
    return APEX_OK;
}

int apex_commit_key_write(const char *path, const apex_commit_key *k, const char **reason)
{
    apex_enc_writer w;
    apex_enc_writer_init(&w, APEX_COMMITFILE_MAX_BYTES - APEX_SHA256_LEN);
    apex_enc_put_bytes(&w, KEY_MAGIC, 8);
    apex_enc_put_u32(&w, KEY_VERSION);
    apex_enc_put_u64(&w, k->epoch);
    apex_enc_put_u32(&w, k->g_openings);
    apex_enc_put_u32(&w, (uint32_t)k->frac_bits);
    apex_enc_put_u64(&w, k->n_real);
    apex_enc_put_hash(&w, &k->root_g);
    apex_enc_put_hash(&w, &k->root_w);
    apex_enc_put_bytes(&w, k->w_hash, sizeof k->w_hash);
    apex_enc_put_u64(&w, k->nmask);
    for (size_t i = 0; i < k->nmask; i++)
        apex_enc_put_u64(&w, k->mask[i]);
    apex_enc_put_u64(&w, k->glen);
    apex_enc_put_bytes(&w, k->g, k->glen);
    int rc = finish_write_mode(path, &w, 0600, reason);
    return rc;
}

int apex_commit_key_read(const char *path, apex_commit_key *k, const char **reason)
{
    memset(k, 0, sizeof *k);
    uint8_t *buf = NULL;
    size_t blen = 0;
    apex_enc_reader rd;
    uint32_t f = 0;
    uint64_t glen = 0, nmask = 0;
    int rc = start_read(path, KEY_MAGIC, KEY_VERSION, &buf, &blen, &rd, reason);
    if (rc == APEX_OK &&
        (apex_enc_get_u64(&rd, &k->epoch) != APEX_OK ||
         apex_enc_get_u32(&rd, &k->g_openings) != APEX_OK || apex_enc_get_u32(&rd, &f) != APEX_OK ||
         apex_enc_get_u64(&rd, &k->n_real) != APEX_OK ||
         apex_enc_get_hash(&rd, &k->root_g) != APEX_OK ||
         apex_enc_get_hash(&rd, &k->root_w) != APEX_OK ||
         apex_enc_get_bytes(&rd, k->w_hash, sizeof k->w_hash) != APEX_OK ||
         apex_enc_get_u64(&rd, &nmask) != APEX_OK || nmask > APEX_COMP_MAX_MASK ||
         nmask * 8 > rd.left || f > 64)) {
        *reason = "file truncated or a length does not match the file";
        rc = APEX_ERR_FORMAT;
    }
    if (rc == APEX_OK && nmask && !(k->mask = malloc((size_t)nmask * sizeof *k->mask)))
        rc = APEX_ERR_NOMEM;
    for (size_t i = 0; rc == APEX_OK && i < nmask; i++) {
        apex_enc_get_u64(&rd, &k->mask[i]);
        if (i && k->mask[i] <= k->mask[i - 1]) {
            *reason = "stored mask not sorted and unique";
            rc = APEX_ERR_FORMAT;
        }
    }
    k->nmask = (size_t)nmask;
    if (rc == APEX_OK &&
        (apex_enc_get_u64(&rd, &glen) != APEX_OK || glen == 0 || glen != rd.left)) {
        *reason = "G~ length does not match the file";
        rc = APEX_ERR_FORMAT;
    }
    k->frac_bits = (int32_t)f;
    if (rc == APEX_OK && !(k->g = malloc((size_t)glen)))
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        apex_enc_get_bytes(&rd, k->g, (size_t)glen);
        k->glen = (size_t)glen;
    }
    if (buf)
        apex_wipe(buf, blen); /* the buffer held G~ */
    free(buf);
    if (rc != APEX_OK)
        apex_commit_key_free(k);
    return rc;
}

void apex_commit_key_free(apex_commit_key *k)
{
    free(k->mask);
    k->mask = NULL;
    k->nmask = 0;
    if (k->g)
        apex_wipe(k->g, k->glen);
    free(k->g);
    k->g = NULL;
    k->glen = 0;
}

int apex_commit_w_hash(const int32_t *w, size_t d, uint8_t out[APEX_SHA256_LEN])
{
    apex_sha256_ctx *h = apex_sha256_new();
    if (!h)
        return APEX_ERR_NOMEM;
    int rc = APEX_OK;
    uint8_t b[4096];
    for (size_t i = 0; i < d && rc == APEX_OK;) {
        size_t k = 0;
        for (; k + 4 <= sizeof b && i < d; i++, k += 4) {
            uint32_t v = (uint32_t)w[i];
            b[k] = (uint8_t)v;
            b[k + 1] = (uint8_t)(v >> 8);
            b[k + 2] = (uint8_t)(v >> 16);
            b[k + 3] = (uint8_t)(v >> 24);
        }
        rc = apex_sha256_update(h, b, k);
    }
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, out);
    apex_sha256_destroy(&h);
    return rc;
}
