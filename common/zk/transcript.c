/* Fiat-Shamir transcript: SHA-256 absorption, AES-256-CTR squeezing (format in transcript.h). */
#include "zk/transcript.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* AES-256 key and CTR IV sizes, in bytes. */
#define TR_KEY_LEN 32
#define TR_IV_LEN  16

struct apex_transcript {
    EVP_MD_CTX *hash;    /* SHA-256 over every absorbed byte, never finalized in place */
    EVP_CIPHER_CTX *prf; /* AES-256-CTR keyed by the hash at the last key derivation */
    int fresh;           /* 1 when something was absorbed since the last key derivation */
};

static void le64(uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

static int hash_update(apex_transcript *t, const void *p, size_t n)
{
    if (n == 0)
        return APEX_OK;
    return EVP_DigestUpdate(t->hash, p, n) == 1 ? APEX_OK : APEX_ERR_CRYPTO;
}

/* tag || le64(strlen(label)) || label || le64(count): the header of one item. */
static int absorb_header(apex_transcript *t, uint8_t tag, const char *label, uint64_t count)
{
    uint8_t len[8];
    size_t ll = label ? strlen(label) : 0;
    int rc = hash_update(t, &tag, 1);
    le64(len, ll);
    if (rc == APEX_OK)
        rc = hash_update(t, len, 8);
    if (rc == APEX_OK)
        rc = hash_update(t, label, ll);
    le64(len, count);
    if (rc == APEX_OK)
        rc = hash_update(t, len, 8);
    t->fresh = 1;
    return rc;
}

apex_transcript *apex_transcript_new(const char *sub_domain)
{
    apex_transcript *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->hash = EVP_MD_CTX_new();
    t->prf = EVP_CIPHER_CTX_new();
    if (!t->hash || !t->prf || EVP_DigestInit_ex(t->hash, EVP_sha256(), NULL) != 1) {
        apex_transcript_destroy(&t);
        return NULL;
    }
    /* Header: the protocol domain, its version, then the caller's sub-domain, each as one
     * DOMAIN item so they cannot be confused with later absorptions. */
    static const char domain[] = APEX_ZK_DOMAIN;
    uint8_t ver[8];
    le64(ver, APEX_ZK_VERSION);
    size_t sl = sub_domain ? strlen(sub_domain) : 0;
    int rc = absorb_header(t, APEX_TR_TAG_DOMAIN, "domain", sizeof domain - 1);
    if (rc == APEX_OK)
        rc = hash_update(t, domain, sizeof domain - 1);
    if (rc == APEX_OK)
        rc = absorb_header(t, APEX_TR_TAG_DOMAIN, "version", 8);
    if (rc == APEX_OK)
        rc = hash_update(t, ver, 8);
    if (rc == APEX_OK)
        rc = absorb_header(t, APEX_TR_TAG_DOMAIN, "sub_domain", sl);
    if (rc == APEX_OK)
        rc = hash_update(t, sub_domain, sl);
    if (rc != APEX_OK)
        apex_transcript_destroy(&t);
    return t;
}

void apex_transcript_destroy(apex_transcript **t)
{
    if (!t || !*t)
        return;
    EVP_MD_CTX_free((*t)->hash);
    EVP_CIPHER_CTX_free((*t)->prf); /* clears the key schedule */
    free(*t);
    *t = NULL;
}

apex_transcript *apex_transcript_clone(const apex_transcript *t)
{
    apex_transcript *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->hash = EVP_MD_CTX_new();
    c->prf = EVP_CIPHER_CTX_new();
    c->fresh = t->fresh;
    /* a fresh transcript rekeys before its next squeeze, so its cipher need not be copied
     * (and cannot be before the first key derivation) */
    if (!c->hash || !c->prf || EVP_MD_CTX_copy_ex(c->hash, t->hash) != 1 ||
        (!t->fresh && EVP_CIPHER_CTX_copy(c->prf, t->prf) != 1)) {
        apex_transcript_destroy(&c);
        return NULL;
    }
    return c;
}

int apex_transcript_absorb_bytes(apex_transcript *t, const char *label, const void *data,
                                 size_t len)
{
    int rc = absorb_header(t, APEX_TR_TAG_BYTES, label, len);
    return rc == APEX_OK ? hash_update(t, data, len) : rc;
}

int apex_transcript_absorb_u64(apex_transcript *t, const char *label, uint64_t v)
{
    uint8_t b[8];
    le64(b, v);
    int rc = absorb_header(t, APEX_TR_TAG_U64, label, 1);
    return rc == APEX_OK ? hash_update(t, b, 8) : rc;
}

int apex_transcript_absorb_gl(apex_transcript *t, const char *label, const apex_gl *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] >= APEX_GL_P)
            return APEX_ERR_RANGE;
    int rc = absorb_header(t, APEX_TR_TAG_GL, label, n);
    uint8_t b[8];
    for (size_t i = 0; i < n && rc == APEX_OK; i++) {
        le64(b, v[i]);
        rc = hash_update(t, b, 8);
    }
    return rc;
}

int apex_transcript_absorb_gl2(apex_transcript *t, const char *label, const apex_gl2 *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].c0 >= APEX_GL_P || v[i].c1 >= APEX_GL_P)
            return APEX_ERR_RANGE;
    int rc = absorb_header(t, APEX_TR_TAG_GL2, label, n);
    uint8_t b[16];
    for (size_t i = 0; i < n && rc == APEX_OK; i++) {
        le64(b, v[i].c0);
        le64(b + 8, v[i].c1);
        rc = hash_update(t, b, 16);
    }
    return rc;
}

/* key = SHA-256(absorbed bytes so far), computed on a copy so absorption can continue. */
static int rekey(apex_transcript *t)
{
    uint8_t key[TR_KEY_LEN], iv[TR_IV_LEN] = {0};
    unsigned int n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_MD_CTX_copy_ex(c, t->hash) == 1 && EVP_DigestFinal_ex(c, key, &n) == 1 &&
             n == TR_KEY_LEN && EVP_EncryptInit_ex(t->prf, EVP_aes_256_ctr(), NULL, key, iv) == 1;
    EVP_MD_CTX_free(c);
    apex_wipe(key, sizeof key);
    if (!ok)
        return APEX_ERR_CRYPTO;
    t->fresh = 0;
    return APEX_OK;
}

int apex_transcript_squeeze_bytes(apex_transcript *t, void *out, size_t n)
{
    if (t->fresh) {
        int rc = rekey(t);
        if (rc != APEX_OK)
            return rc;
    }
    /* CTR keystream = encryption of zeros; EVP keeps the byte position across calls. */
    uint8_t *p = out;
    memset(p, 0, n);
    while (n > 0) {
        int chunk = n > (1u << 20) ? (1 << 20) : (int)n, outl = 0;
        if (EVP_EncryptUpdate(t->prf, p, &outl, p, chunk) != 1 || outl != chunk)
            return APEX_ERR_CRYPTO;
        p += chunk;
        n -= (size_t)chunk;
    }
    return APEX_OK;
}

static int squeeze_u64(apex_transcript *t, uint64_t *v)
{
    uint8_t b[8];
    int rc = apex_transcript_squeeze_bytes(t, b, 8);
    if (rc != APEX_OK)
        return rc;
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | b[i];
    *v = x;
    return APEX_OK;
}

int apex_transcript_challenge_gl(apex_transcript *t, apex_gl *out)
{
    for (;;) {
        uint64_t x;
        int rc = squeeze_u64(t, &x);
        if (rc != APEX_OK)
            return rc;
        if (x < APEX_GL_P) { /* reject, never reduce: keeps the draw exactly uniform */
            *out = x;
            return APEX_OK;
        }
    }
}

int apex_transcript_challenge_gl2(apex_transcript *t, apex_gl2 *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = apex_transcript_challenge_gl(t, &out[i].c0);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl(t, &out[i].c1);
        if (rc != APEX_OK)
            return rc;
    }
    return APEX_OK;
}

int apex_transcript_challenge_indices(apex_transcript *t, uint64_t lo, uint64_t hi, size_t k,
                                      uint64_t *out)
{
    if (lo >= hi || k > hi - lo)
        return APEX_ERR_INVALID;
    uint64_t range = hi - lo;
    if (range > APEX_TR_MAX_INDEX_RANGE)
        return APEX_ERR_TOO_LARGE;
    uint8_t *taken = apex_calloc_n((size_t)(range + 7) / 8, 1); /* bitmap of drawn offsets */
    if (!taken)
        return APEX_ERR_NOMEM;
    /* Accept x < limit only, the largest multiple of range below 2^64, so x % range is
     * uniform; redraw an offset already taken (sampling without replacement). */
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    int rc = APEX_OK;
    for (size_t i = 0; i < k && rc == APEX_OK;) {
        uint64_t x;
        rc = squeeze_u64(t, &x);
        if (rc != APEX_OK || x >= limit)
            continue;
        uint64_t off = x % range;
        if (taken[off / 8] & (1u << (off % 8)))
            continue;
        taken[off / 8] |= (uint8_t)(1u << (off % 8));
        out[i++] = lo + off;
    }
    free(taken);
    return rc;
}
