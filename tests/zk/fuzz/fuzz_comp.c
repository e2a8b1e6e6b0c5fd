/* Fuzz target: arbitrary bytes as an encoded compliance (unlearning) proof, decoded and
 * verified against a fixed honest statement. Whatever the bytes, the decoder and verifier
 * must return an error or a verdict, never crash, and accept only the honest encoding.
 * Built like fuzz_ligero.c: a libFuzzer binary with clang and -DAPEX_FUZZ=ON, and always as
 * test_zk_fuzz_comp_smoke through fuzz_driver.c (fewer iterations: a verify costs more). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/compliance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int apex_fuzz_seed_input(uint8_t **out, size_t *len);

#define FZ_N  4u  /* N */
#define FZ_B  16u /* B */
#define FZ_D  40u /* d: 3 real blocks of 16, padded to 4 */
#define FZ_NB 3u  /* real blocks */

/* Lambda = 1; G~ is zero in the masked block 0, so rho = delta = 0 off the mask. */
static const apex_comp_config fz_cfg = {{FZ_N, FZ_B, 8, 24, 1, 20, 12}, FZ_D, 7, 4, 3};
static const uint64_t fz_mask[2] = {2, 9};
static apex_comp_public fz_pub;
static uint8_t *fz_seed;
static size_t fz_seed_len;
static int fz_ready;

static int fz_setup(void)
{
    if (fz_ready)
        return fz_ready > 0 ? 0 : -1;
    fz_ready = -1;
    apex_rng rng;
    apex_rng_seed(&rng, 11);
    int8_t g[FZ_NB * FZ_N * FZ_B];
    int32_t w0[FZ_D], w1[FZ_D];
    for (size_t x = 0; x < sizeof g; x++)
        g[x] = x < FZ_N * FZ_B ? 0 : (int8_t)((int)apex_rng_below(&rng, 255) - 127);
    for (size_t j = 0; j < FZ_D; j++)
        w1[j] = w0[j] = (int32_t)apex_rng_below(&rng, 1u << 20) - (1 << 19);
    w1[2] = w1[9] = 0;
    memset(&fz_pub, 0, sizeof fz_pub);
    fz_pub.mask = fz_mask;
    fz_pub.nmask = 2;
    fz_pub.epoch = 1;
    apex_ligero_commitment *cg = apex_comp_commit_g(&fz_cfg, g, &fz_pub.root_g, NULL);
    apex_ligero_commitment *c0 = apex_comp_commit_w(&fz_cfg, w0, &fz_pub.root_w0, NULL);
    apex_ligero_commitment *c1 = apex_comp_commit_w(&fz_cfg, w1, &fz_pub.root_w1, NULL);
    uint32_t used = 0;
    apex_comp_proof pf;
    int rc = cg && c0 && c1
                 ? apex_comp_prove(&fz_cfg, &fz_pub, g, w0, w1, cg, c0, c1, &used, &rng, &pf, NULL)
                 : APEX_ERR_INVALID;
    apex_ligero_commitment_destroy(&cg);
    apex_ligero_commitment_destroy(&c0);
    apex_ligero_commitment_destroy(&c1);
    if (rc != APEX_OK)
        return -1;
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 20);
    rc = apex_comp_proof_encode(&fz_cfg, &pf, &wr);
    apex_comp_proof_free(&pf);
    if (rc == APEX_OK)
        rc = apex_enc_writer_take(&wr, &fz_seed, &fz_seed_len);
    apex_enc_writer_free(&wr);
    if (rc != APEX_OK)
        return -1;
    fz_ready = 1;
    return 0;
}

int apex_fuzz_seed_input(uint8_t **out, size_t *len)
{
    if (fz_setup() != 0)
        return -1;
    *out = fz_seed;
    *len = fz_seed_len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz_setup() != 0)
        abort(); /* the honest setup itself failed: a bug, not a finding */
    apex_enc_reader rd;
    apex_enc_reader_init(&rd, data, size);
    apex_comp_proof pf;
    if (apex_comp_proof_decode(&fz_cfg, &rd, &pf) != APEX_OK)
        return 0;
    if (apex_enc_reader_finish(&rd) == APEX_OK) {
        const char *why = NULL;
        int rc = apex_comp_verify(&fz_cfg, &fz_pub, &pf, &why);
        int is_seed = size == fz_seed_len && memcmp(data, fz_seed, size) == 0;
        if ((rc == APEX_OK) != is_seed)
            abort(); /* the honest encoding verifies, and nothing else does */
        if (rc != APEX_OK && rc != APEX_ERR_REJECTED && rc != APEX_ERR_NOMEM)
            abort();
    }
    apex_comp_proof_free(&pf);
    return 0;
}
