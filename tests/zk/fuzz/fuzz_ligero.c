/* Fuzz target: arbitrary bytes as a Ligero proof, decoded and verified against a fixed,
 * honestly committed statement. Whatever the bytes, the decoder and verifier must return
 * an error or a verdict, never crash, leak or read out of bounds (run under ASan/UBSan).
 *
 * Built two ways: with clang and -DAPEX_FUZZ=ON as a libFuzzer binary, and always as
 * part of test_zk_fuzz_smoke, whose driver (fuzz_driver.c) replays seeded mutations of
 * a valid proof through LLVMFuzzerTestOneInput. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/ligero.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* A valid encoded proof for the fixed statement (for the smoke driver's mutations). */
int apex_fuzz_seed_input(uint8_t **out, size_t *len);

/* The fixed statement: one small commitment, two constraints, built once per process. */
static const apex_ligero_params fz_params = {4, 4, 4, 2}; /* BLOCK 16, 32 witness slots */
static apex_hash fz_root;
static apex_ligero_term fz_terms[4];
static apex_gl fz_b[2];
static uint8_t *fz_seed;
static size_t fz_seed_len;
static int fz_ready;

static apex_transcript *fz_transcript(void)
{
    apex_transcript *t = apex_transcript_new("fuzz-ligero");
    if (t)
        apex_transcript_absorb_u64(t, "statement", 1);
    return t;
}

static int fz_setup(void)
{
    if (fz_ready)
        return fz_ready > 0 ? 0 : -1;
    fz_ready = -1;
    apex_rng rng;
    apex_rng_seed(&rng, 99);
    apex_gl w[32];
    for (size_t i = 0; i < 32; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t t = 0; t < 4; t++) {
        fz_terms[t].c = t % 2;
        fz_terms[t].w = (7 * t + 3) % 32;
        fz_terms[t].coef = t + 1;
        fz_b[t % 2] = apex_gl_add(fz_b[t % 2], apex_gl_mul(t + 1, w[fz_terms[t].w]));
    }
    apex_ligero_commitment *c = apex_ligero_commit(&fz_params, w, 32, &rng, &fz_root, NULL);
    apex_transcript *t = fz_transcript();
    apex_ligero_proof pf;
    apex_ligero_constraints cons = {fz_terms, 4, 2, NULL, 0, NULL, 0};
    int rc = c && t ? apex_ligero_prove(&c, 1, t, &cons, &rng, &pf, NULL) : -1;
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    if (rc != APEX_OK)
        return -1;
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 20);
    rc = apex_ligero_proof_encode(&fz_params, 1, &pf, &wr);
    apex_ligero_proof_free(&pf);
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
        abort(); /* the honest setup itself failed: a bug, not a finding about the input */
    apex_enc_reader r;
    apex_enc_reader_init(&r, data, size);
    apex_ligero_proof pf;
    int rc = apex_ligero_proof_decode(&fz_params, 1, &r, &pf);
    if (rc != APEX_OK)
        return 0;
    if (apex_enc_reader_finish(&r) == APEX_OK) {
        apex_transcript *t = fz_transcript();
        const char *why = NULL;
        apex_ligero_constraints cons = {fz_terms, 4, 2, NULL, 0, NULL, 0};
        rc = apex_ligero_verify(&fz_params, &fz_root, 1, t, &cons, fz_b, NULL, &pf, &why);
        apex_transcript_destroy(&t);
        /* the seed verifies, and nothing else does */
        int is_seed = size == fz_seed_len && memcmp(data, fz_seed, size) == 0;
        if ((rc == APEX_OK) != is_seed)
            abort();
        if (rc != APEX_OK && rc != APEX_ERR_REJECTED && rc != APEX_ERR_NOMEM)
            abort();
    }
    apex_ligero_proof_free(&pf);
    return 0;
}
