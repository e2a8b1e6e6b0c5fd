/* Fuzz target for the mask.bin decoder (apex_mask_decode).
 *
 * With libFuzzer (cmake -DAPEX_FUZZ=ON, clang): build/bin/fuzz_mask CORPUS
 * Without it, main() replays seeded mutations of valid masks, so ctest runs the same code
 * path on every build. Input layout: one mode byte, then the file. An odd mode byte makes
 * the target re-hash the file first, so mutations get past the SHA-256 and reach the
 * structural and semantic checks. Property: whatever decodes re-encodes to the same bytes
 * (the encoding is canonical). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "unlearn/unlearn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Outcomes by -apex_err (index 0: decoded), reported by the mutation driver. */
static long outcome[-APEX_ERR_COUNT_];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, len);
    if ((data[0] & 1) && len >= APEX_SHA256_LEN)
        apex_sha256(buf, len - APEX_SHA256_LEN, buf + len - APEX_SHA256_LEN);
    apex_mask *m = NULL;
    char why[APEX_MASK_WHY_LEN];
    int rc = apex_mask_decode(buf, len, &m, why);
    if (rc <= 0 && rc > APEX_ERR_COUNT_)
        outcome[-rc]++;
    if (rc == APEX_OK) {
        uint8_t *again = NULL;
        size_t alen = 0;
        if (apex_mask_encode(m, &again, &alen) != APEX_OK || alen != len ||
            memcmp(again, buf, len) != 0)
            abort(); /* decoded but not canonical */
        free(again);
    } else if (m) {
        abort(); /* a failed decode must not hand out a mask */
    }
    apex_mask_destroy(&m);
    free(buf);
    return 0;
}

#ifndef APEX_LIBFUZZER
int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    apex_rng r;
    apex_rng_seed(&r, 20261128);
    uint8_t id[APEX_SHA256_LEN] = {7};
    apex_mask_layer layers[2] = {{"blocks.0.fc1", 0, 16, 8}, {"blocks.1.fc1", 200, 8, 8}};
    uint64_t idx[6] = {0, 3, 127, 200, 201, 263};
    apex_mask *m = NULL;
    if (apex_mask_new(id, layers, 2, idx, 6, &m, NULL) != APEX_OK)
        return 1;
    uint8_t *seed;
    size_t seed_len;
    if (apex_mask_encode(m, &seed, &seed_len) != APEX_OK)
        return 1;
    apex_mask_destroy(&m);
    uint8_t *in = malloc(seed_len + 64);
    for (long it = 0; it < iters; it++) {
        size_t len = seed_len;
        in[0] = (uint8_t)apex_rng_below(&r, 2);
        memcpy(in + 1, seed, seed_len);
        unsigned nmut = 1 + (unsigned)apex_rng_below(&r, 4);
        for (unsigned k = 0; k < nmut && len > 0; k++) {
            size_t pos = 1 + apex_rng_below(&r, len);
            switch (apex_rng_below(&r, 5)) {
            case 0: /* flip a bit */
                in[pos] ^= (uint8_t)(1u << apex_rng_below(&r, 8));
                break;
            case 1: /* random byte */
                in[pos] = (uint8_t)apex_rng_u64(&r);
                break;
            case 2: /* small integer in a likely field */
                in[pos] = (uint8_t)apex_rng_below(&r, 4);
                break;
            case 3: /* truncate */
                len = pos - 1;
                break;
            default: /* append a byte */
                if (len < seed_len + 63)
                    in[1 + len++] = (uint8_t)apex_rng_u64(&r);
                break;
            }
        }
        LLVMFuzzerTestOneInput(in, len + 1);
    }
    free(in);
    free(seed);
    printf("fuzz_mask: %ld inputs:", iters);
    for (int e = 0; e < -APEX_ERR_COUNT_; e++)
        if (outcome[e])
            printf(" %s %ld;", e ? apex_strerror(-e) : "decoded", outcome[e]);
    printf("\n");
    /* the driver must reach past the hash: some inputs decode, some fail on content */
    return outcome[0] > 0 && outcome[-APEX_ERR_RANGE] > 0 && outcome[-APEX_ERR_FORMAT] > 0 ? 0 : 1;
    return 0;
}
#endif
