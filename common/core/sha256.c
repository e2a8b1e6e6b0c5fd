/* SHA-256 through OpenSSL EVP; the EVP_MD is fetched once per process. */
#include "core/core.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct apex_sha256_ctx {
    EVP_MD_CTX *md; /* OpenSSL digest context, initialized for SHA-256 */
};

static EVP_MD *g_sha256;
static pthread_once_t g_sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *sha256_md(void)
{
    pthread_once(&g_sha256_once, sha256_fetch);
    return g_sha256;
}

apex_sha256_ctx *apex_sha256_new(void)
{
    const EVP_MD *md = sha256_md();
    if (!md)
        return NULL;
    apex_sha256_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->md = EVP_MD_CTX_new();
    if (!c->md || EVP_DigestInit_ex(c->md, md, NULL) != 1) {
        EVP_MD_CTX_free(c->md);
        free(c);
        return NULL;
    }
    return c;
}

int apex_sha256_update(apex_sha256_ctx *ctx, const void *data, size_t len)
{
    return EVP_DigestUpdate(ctx->md, data, len) == 1 ? APEX_OK : APEX_ERR_CRYPTO;
}

int apex_sha256_final(apex_sha256_ctx *ctx, uint8_t out[APEX_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx->md, out, &n) != 1 || n != APEX_SHA256_LEN)
        return APEX_ERR_CRYPTO;
    return EVP_DigestInit_ex(ctx->md, sha256_md(), NULL) == 1 ? APEX_OK : APEX_ERR_CRYPTO;
}

void apex_sha256_destroy(apex_sha256_ctx **ctx)
{
    if (!ctx || !*ctx)
        return;
    EVP_MD_CTX_free((*ctx)->md);
    free(*ctx);
    *ctx = NULL;
}

int apex_sha256(const void *data, size_t len, uint8_t out[APEX_SHA256_LEN])
{
    const EVP_MD *md = sha256_md();
    if (!md)
        return APEX_ERR_CRYPTO;
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, md, NULL) != 1 || n != APEX_SHA256_LEN)
        return APEX_ERR_CRYPTO;
    return APEX_OK;
}

void apex_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int apex_unhex(const char *hex, uint8_t *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return APEX_ERR_FORMAT;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return APEX_ERR_FORMAT;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return APEX_OK;
}

int apex_memeq_ct(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= x[i] ^ y[i];
    return acc != 0;
}
