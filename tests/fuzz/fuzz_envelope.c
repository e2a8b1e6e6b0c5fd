/* Fuzz target for the envelope decoder (apex_wire_decode_frame).
 *
 * With libFuzzer (cmake -DAPEX_FUZZ=ON, clang): build/bin/fuzz_envelope CORPUS
 * Without it, main() replays seeded mutations of valid messages, so ctest runs
 * the same code path on every build. The input is one envelope frame as it comes
 * off the wire: sections, each a 4-byte little-endian length and that many bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apex_msg m;
    memset(&m, 0, sizeof m);
    int rc = apex_wire_decode_frame(data, size, &m);
    if (rc == APEX_OK && m.type == APEX__MSG_TYPE__MSG_CHUNK && (!m.body || !m.payload))
        abort(); /* a decoded CHUNK always has its body and payload */
    if (rc == APEX_OK && m.payload && (m.payload < data || m.payload + m.payload_len > data + size))
        abort(); /* the payload lies inside the frame */
    apex_msg_clear(&m);
    return 0;
}

#ifndef APEX_LIBFUZZER
/* Serialize a valid envelope frame as fuzz input. */
static size_t seed_input(uint8_t *out, Apex__MsgType type, const ProtobufCMessage *body,
                         size_t payload)
{
    uint8_t hdr[128], b[1024], raw[512];
    Apex__Header h = APEX__HEADER__INIT;
    h.version = APEX_WIRE_VERSION;
    h.type = type;
    h.client_id = "fuzz-1";
    h.seq = 42;
    memset(raw, 0x5a, sizeof raw);
    const uint8_t *secs[3] = {hdr, b, raw};
    size_t sizes[3] = {apex__header__pack(&h, hdr), body ? protobuf_c_message_pack(body, b) : 0,
                       payload};
    return apex_wire_pack(out, secs, sizes, payload ? 3 : 2);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    apex_rng r;
    apex_rng_seed(&r, 20261128);
    static uint8_t seeds[4][4096];
    size_t seed_len[4];
    Apex__Register reg = APEX__REGISTER__INIT;
    reg.client_id = "fuzz-1";
    reg.version = "x";
    Apex__Chunk ch = APEX__CHUNK__INIT;
    uint8_t sha[32] = {1};
    ch.sha256.data = sha;
    ch.sha256.len = 32;
    ch.offset = 262144;
    ch.length = 100;
    Apex__Error er = APEX__ERROR__INIT;
    er.code = -3;
    er.reason = "bad";
    seed_len[0] = seed_input(seeds[0], APEX__MSG_TYPE__MSG_REGISTER, &reg.base, 0);
    seed_len[1] = seed_input(seeds[1], APEX__MSG_TYPE__MSG_CHUNK, &ch.base, 100);
    seed_len[2] = seed_input(seeds[2], APEX__MSG_TYPE__MSG_HEARTBEAT, NULL, 0);
    seed_len[3] = seed_input(seeds[3], APEX__MSG_TYPE__MSG_ERROR, &er.base, 0);
    for (int i = 0; i < 4; i++)
        LLVMFuzzerTestOneInput(seeds[i], seed_len[i]);
    uint8_t buf[4096];
    for (long it = 0; it < iters; it++) {
        int s = (int)apex_rng_below(&r, 4);
        size_t n = seed_len[s];
        memcpy(buf, seeds[s], n);
        int muts = 1 + (int)apex_rng_below(&r, 8);
        for (int k = 0; k < muts; k++) {
            switch (apex_rng_below(&r, 4)) {
            case 0: /* flip a byte */
                buf[apex_rng_below(&r, n)] ^= (uint8_t)(1 + apex_rng_below(&r, 255));
                break;
            case 1: /* truncate */
                n = apex_rng_below(&r, n) + 1;
                break;
            case 2: /* random byte value */
                buf[apex_rng_below(&r, n)] = (uint8_t)apex_rng_u64(&r);
                break;
            default: /* extend with random bytes */
                if (n + 16 < sizeof buf) {
                    apex_rng_bytes(&r, buf + n, 16);
                    n += 16;
                }
                break;
            }
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_envelope: %ld mutated inputs decoded without a crash\n", iters);
    return 0;
}
#endif
