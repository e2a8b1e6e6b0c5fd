/* Smoke driver for the fuzz targets without libFuzzer: replays seeded mutations of a valid
 * input (byte flips, overwrites with 0x00/0xff, truncations, extensions, splices) through
 * LLVMFuzzerTestOneInput. Deterministic, bounded, part of ctest; the target aborts on any
 * finding. The unmutated seed must verify, so the harness can tell accept from reject. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int apex_fuzz_seed_input(uint8_t **out, size_t *len);

/* Mutated inputs per run: enough to touch every field of the encoding many times, small
 * enough to stay within a few seconds under ASan. */
#ifndef FUZZ_SMOKE_ITERS /* a target with a costly verifier builds with fewer */
#define FUZZ_SMOKE_ITERS 10000u
#endif

int main(int argc, char **argv)
{
    uint8_t *seed;
    size_t len;
    if (apex_fuzz_seed_input(&seed, &len) != 0) {
        fprintf(stderr, "fuzz smoke: seed setup failed\n");
        return 1;
    }
    if (argc == 3 && strcmp(argv[1], "--write-seed") == 0) /* seed corpus for libFuzzer */
        return apex_file_write_atomic(argv[2], seed, len, 0644) == APEX_OK ? 0 : 1;
    LLVMFuzzerTestOneInput(seed, len);
    apex_rng rng;
    apex_rng_seed(&rng, 2024);
    uint8_t *buf = malloc(len + 64);
    for (unsigned it = 0; it < FUZZ_SMOKE_ITERS; it++) {
        size_t n = len;
        memcpy(buf, seed, len);
        unsigned kind = (unsigned)apex_rng_below(&rng, 5);
        size_t at = apex_rng_below(&rng, len);
        switch (kind) {
        case 0: /* flip one bit */
            buf[at] ^= (uint8_t)(1u << apex_rng_below(&rng, 8));
            break;
        case 1: /* overwrite 8 bytes with 0xff (non-canonical elements, huge counts) */
            memset(buf + at, 0xff, at + 8 <= len ? 8 : len - at);
            break;
        case 2: /* truncate */
            n = at;
            break;
        case 3: /* extend with random bytes */
            n = len + 1 + apex_rng_below(&rng, 63);
            apex_rng_bytes(&rng, buf + len, n - len);
            break;
        default: /* overwrite a few random bytes */
            for (int k = 0; k < 4; k++)
                buf[apex_rng_below(&rng, len)] = (uint8_t)apex_rng_u64(&rng);
            break;
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
    printf("fuzz smoke: %u mutated inputs, no crash\n", FUZZ_SMOKE_ITERS);
    return 0;
}
