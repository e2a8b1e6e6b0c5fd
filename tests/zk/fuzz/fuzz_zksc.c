/* Fuzz target: arbitrary bytes as a padded-sumcheck proof, decoded and verified against a
 * fixed honest statement (one committed table times a public eq). Whatever the bytes, the
 * decoder and verifier must return an error or a verdict, never crash, and accept only the
 * honest encoding. Built like fuzz_ligero.c: a libFuzzer binary with clang and
 * -DAPEX_FUZZ=ON, and always as test_zk_fuzz_zksc_smoke through fuzz_driver.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "zk/mle.h"
#include "zk/zksumcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int apex_fuzz_seed_input(uint8_t **out, size_t *len);

#define FZ_K 4u           /* variables */
#define FZ_N (1u << FZ_K) /* table length = witness slots of the data row */

static const apex_ligero_params fz_data = {4, 4, 4, 1}; /* one row of 16 witness slots */
static const apex_sumcheck_term fz_term = {{1, 0}, 2, {0, 1, 0, 0}};
static apex_zksc_shape fz_shape;
static apex_hash fz_root;
static apex_gl2 fz_beta[FZ_K], fz_claim;
static uint8_t *fz_seed;
static size_t fz_seed_len;
static int fz_ready;

static apex_transcript *fz_transcript(void)
{
    apex_transcript *t = apex_transcript_new("fuzz-zksc");
    if (t)
        apex_transcript_absorb_bytes(t, "root", fz_root.b, 32);
    return t;
}

/* The verifier's view at r: <1 x eq(r), W> and eq(beta, r). */
static void fz_at(const apex_gl2 *r, apex_gl2 *eqr, apex_gl2 *one, apex_zksc_view *v, apex_gl2 *pub)
{
    apex_mle_eq(eqr, r, FZ_K);
    *one = apex_gl2_from_gl(1);
    *v = (apex_zksc_view){0, one, eqr};
    *pub = apex_mle_eq_point(fz_beta, r, FZ_K);
}

static int fz_setup(void)
{
    if (fz_ready)
        return fz_ready > 0 ? 0 : -1;
    fz_ready = -1;
    fz_shape = (apex_zksc_shape){FZ_K, 2, 1, &fz_term, 1, {4, 4, 4, 2}, {4, 4, 4, 4}};
    apex_rng rng;
    apex_rng_seed(&rng, 7);
    apex_gl w[FZ_N];
    apex_gl2 tw[FZ_N], te[FZ_N];
    for (size_t i = 0; i < FZ_N; i++)
        w[i] = apex_rng_below(&rng, APEX_GL_P);
    for (size_t i = 0; i < FZ_K; i++)
        fz_beta[i] = apex_gl2_make(apex_rng_below(&rng, APEX_GL_P), i + 1);
    apex_mle_eq(te, fz_beta, FZ_K);
    fz_claim = apex_gl2_from_gl(0);
    for (size_t i = 0; i < FZ_N; i++) {
        tw[i] = apex_gl2_from_gl(w[i]);
        fz_claim = apex_gl2_add(fz_claim, apex_gl2_mul(tw[i], te[i]));
    }
    apex_ligero_commitment *c = apex_ligero_commit(&fz_data, w, FZ_N, &rng, &fz_root, NULL);
    apex_transcript *t = fz_transcript();
    apex_zksc_prover *p = NULL;
    apex_gl2 r[FZ_K], eqr[FZ_N], one, pub;
    apex_gl2 *f[2] = {tw, te};
    apex_zksc_view v;
    apex_zksc_proof pf;
    int rc = c && t ? apex_zksc_prove_rounds(t, &fz_shape, f, fz_claim, &rng, &p, r, NULL) : -1;
    if (rc == APEX_OK) {
        fz_at(r, eqr, &one, &v, &pub);
        rc = apex_zksc_prove_finish(&p, t, &c, 1, &v, &pub, &pf, NULL);
    }
    apex_transcript_destroy(&t);
    apex_ligero_commitment_destroy(&c);
    if (rc != APEX_OK)
        return -1;
    apex_enc_writer wr;
    apex_enc_writer_init(&wr, 1 << 20);
    rc = apex_zksc_proof_encode(&fz_shape, &fz_data, 1, &pf, &wr);
    apex_zksc_proof_free(&pf);
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
    apex_zksc_proof pf;
    if (apex_zksc_proof_decode(&fz_shape, &fz_data, 1, &rd, &pf) != APEX_OK)
        return 0;
    if (apex_enc_reader_finish(&rd) == APEX_OK) {
        apex_transcript *t = fz_transcript();
        apex_gl2 r[FZ_K], eqr[FZ_N], one, pub;
        apex_zksc_view v;
        const char *why = NULL;
        int rc = apex_zksc_verify_rounds(t, &fz_shape, fz_claim, &pf, r, &why);
        if (rc == APEX_OK) {
            fz_at(r, eqr, &one, &v, &pub);
            rc = apex_zksc_verify_finish(t, &fz_shape, fz_claim, &fz_data, &fz_root, 1, &v, &pub, r,
                                         &pf, &why);
        }
        apex_transcript_destroy(&t);
        int is_seed = size == fz_seed_len && memcmp(data, fz_seed, size) == 0;
        if ((rc == APEX_OK) != is_seed)
            abort(); /* the honest encoding verifies, and nothing else does */
        if (rc != APEX_OK && rc != APEX_ERR_REJECTED && rc != APEX_ERR_NOMEM)
            abort();
    }
    apex_zksc_proof_free(&pf);
    return 0;
}
