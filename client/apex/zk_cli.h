/* The compliance proof path of the apex tool (cmd_zk.c), shared with cmd_unlearn.c. */
#ifndef APEX_ZK_CLI_H
#define APEX_ZK_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "ml/ml.h"
#include "unlearn/saliency.h"

typedef struct zk_unlearn_args {
    const char *commit;   /* client.commit (public record: configuration, roots) */
    const char *key;      /* KEY (private state; KEY.cg and KEY.cw beside it) */
    const char *proof;    /* proof.bin to write */
    const uint8_t *nonce; /* 32 bytes from the coordinator, or NULL for a random one */
    long threads;         /* Group-OBS worker threads (0: 1) */
    size_t proof_bytes;   /* out: encoded proof size */
    double prove_s;       /* out: seconds in the prover */
    int tableau;          /* out: C_G's columns came from KEY.tab (apex commit --tableau) */
    int w_tableau;        /* out: C_w(e)'s columns came from KEY.w<e>.tab (written by the last
                             step, or by apex commit --tableau) */
} zk_unlearn_args;

/* Compensate m with the committed G~ for the union of the key's mask and the mask file, and
 * prove the step; on success m holds w~' (the caller saves it), proof.bin is written and the
 * key advances to the next epoch. Messages go to stderr; returns an APEX_* code. */
int zk_unlearn_proved(apex_ml_model *m, const char *mask_path, zk_unlearn_args *a,
                      apex_unl_report *rep);
/* The model's targeted layer table (l: [APEX_ML_MAX_DEPTH]). */
int zk_model_layers(const apex_ml_model *m, apex_mask_layer *l, size_t *n);
/* A mask's indices in statement coordinates (targets concatenated in order); *out malloc'd. */
int zk_mask_to_stmt(const apex_mask *mk, uint64_t **out, size_t *n);

#endif
