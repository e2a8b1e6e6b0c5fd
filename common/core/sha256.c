/* SHA-256 through OpenSSL's SHA256_Init/Update/Final. OpenSSL 3 marks them deprecated in
 * favour of EVP, but EVP's dispatch costs more than the hash itself on the short inputs we
 * hash most (a Merkle node is 65 bytes, two blocks): about 0.25 us against 0.12 us per node
 * on this host, and a commitment has 2^17 nodes. Debian 12's libssl3 ships both; if a later
 * OpenSSL drops these, this file is the only place to change. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/core.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

struct apex_sha256_ctx {
    SHA256_CTX s; /* OpenSSL's SHA-256 state, initialized */
};

apex_sha256_ctx *apex_sha256_new(void)
{
    apex_sha256_ctx *c = calloc(1, sizeof *c);
    if (c && SHA256_Init(&c->s) != 1) {
        free(c);
        return NULL;
    }
    return c;
}

int apex_sha256_update(apex_sha256_ctx *ctx, const void *data, size_t len)
{
    return SHA256_Update(&ctx->s, data, len) == 1 ? APEX_OK : APEX_ERR_CRYPTO;
}

int apex_sha256_final(apex_sha256_ctx *ctx, uint8_t out[APEX_SHA256_LEN])
{
    if (SHA256_Final(out, &ctx->s) != 1)
        return APEX_ERR_CRYPTO;
    return SHA256_Init(&ctx->s) == 1 ? APEX_OK : APEX_ERR_CRYPTO;
}

void apex_sha256_destroy(apex_sha256_ctx **ctx)
{
    if (!ctx || !*ctx)
        return;
    apex_wipe(*ctx, sizeof **ctx);
    free(*ctx);
    *ctx = NULL;
}

int apex_sha256(const void *data, size_t len, uint8_t out[APEX_SHA256_LEN])
{
    SHA256_CTX s;
    int ok =
        SHA256_Init(&s) == 1 && SHA256_Update(&s, data, len) == 1 && SHA256_Final(out, &s) == 1;
    apex_wipe(&s, sizeof s);
    return ok ? APEX_OK : APEX_ERR_CRYPTO;
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
