/* Files of the compliance CLI (docs/PROOF.md, "CLI and files").
 *
 * client.commit (public): what the coordinator stores at registration and after every
 * accepted proof: the statement configuration, the binding identifiers, the epoch, the
 * cumulative mask (in statement coordinates), the stored roots C_G and C_w(e), and the
 * registration proof. proof.bin (public): one unlearning proof with the fields the verifier
 * cannot know by itself (epoch, request id, nonce, C_w(e+1)).
 *
 * Both are versioned, little-endian, and end with a SHA-256 of everything before it. The
 * readers check magic, version, every length against the remaining bytes before allocating,
 * the configuration (apex_comp_dims_of), the trailer, and that nothing trails; each
 * rejection is APEX_ERR_FORMAT (APEX_ERR_NOMEM, APEX_ERR_IO) with a reason naming it.
 */
#ifndef APEX_ZK_COMMITFILE_H
#define APEX_ZK_COMMITFILE_H

#include <stddef.h>
#include <stdint.h>

#include "zk/compliance.h"

#define APEX_COMMITFILE_VERSION 1u
#define APEX_PROOFFILE_VERSION  1u
/* Largest file either reader accepts (the registration proof dominates). */
#define APEX_COMMITFILE_MAX_BYTES ((size_t)1 << 30)

typedef struct apex_commit_record {
    apex_comp_config cfg;                 /* the statement configuration */
    uint8_t fleet_id[APEX_COMP_ID_LEN];   /* binding identifiers of apex_comp_public */
    uint8_t model_id[APEX_COMP_ID_LEN];   /* the committed (client) model's weights */
    uint8_t layer_hash[APEX_COMP_ID_LEN]; /* the targeted layer table */
    uint8_t client_id[APEX_COMP_ID_LEN];
    uint64_t epoch; /* e: the next proof proves e -> e + 1 */
    uint64_t *mask; /* [nmask] cumulative mask so far, statement coordinates (owned) */
    size_t nmask;
    apex_hash root_g;     /* C_G, fixed at registration */
    apex_hash root_w;     /* C_w(e) */
    apex_hash root_w_reg; /* C_w(0): what the registration proof covers */
    uint8_t *reg;         /* [reg_len] encoded registration proof (owned) */
    size_t reg_len;
} apex_commit_record;

typedef struct apex_proof_record {
    uint64_t epoch; /* e of the step e -> e + 1 */
    uint8_t request_id[APEX_COMP_ID_LEN];
    uint8_t nonce[APEX_COMP_ID_LEN];
    apex_hash root_w1; /* C_w(e+1) */
    uint8_t *proof;    /* [proof_len] apex_comp_proof_encode bytes (owned) */
    size_t proof_len;
} apex_proof_record;

int apex_commit_record_write(const char *path, const apex_commit_record *r, const char **reason);
int apex_commit_record_read(const char *path, apex_commit_record *r, const char **reason);
void apex_commit_record_free(apex_commit_record *r);

int apex_proof_record_write(const char *path, const apex_proof_record *r, const char **reason);
int apex_proof_record_read(const char *path, apex_proof_record *r, const char **reason);
void apex_proof_record_free(apex_proof_record *r);

/* The client's private state (mode 0600): never sent. The Ligero commitments' own secret
 * state lives next to it (apex_ligero_commitment_save: KEY.cg, KEY.cw). */
typedef struct apex_commit_key {
    uint64_t epoch;   /* e: the client's own view of the chain */
    apex_hash root_w; /* C_w(e) */
    uint64_t *mask;   /* [nmask] cumulative mask so far (owned) */
    size_t nmask;
    uint32_t g_openings;             /* proofs made against C_G (write-ahead counter) */
    int32_t frac_bits;               /* w = w~ 2^-f */
    uint64_t n_real;                 /* samples in G~ (rows n_real..N-1 are zero) */
    apex_hash root_g;                /* the public record this key belongs to */
    uint8_t w_hash[APEX_SHA256_LEN]; /* SHA-256 of the current w~ (int32 little-endian) */
    int8_t *g;                       /* [glen] G~ of registration (owned) */
    size_t glen;
} apex_commit_key;

int apex_commit_key_write(const char *path, const apex_commit_key *k, const char **reason);
int apex_commit_key_read(const char *path, apex_commit_key *k, const char **reason);
void apex_commit_key_free(apex_commit_key *k);
/* SHA-256 of w~ [d] as little-endian int32. */
int apex_commit_w_hash(const int32_t *w, size_t d, uint8_t out[APEX_SHA256_LEN]);

/* The public inputs of the next proof from a record: identifiers, epoch, stored roots and the
 * given cumulative mask (pointers into r and mask; root_w1 and request fields from pr). */
void apex_commit_record_public(const apex_commit_record *r, const apex_proof_record *pr,
                               const uint64_t *mask, size_t nmask, apex_comp_public *pub);
/* The union of two strictly increasing index lists (*out malloc'd). */
int apex_mask_union(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t **out,
                    size_t *n);

#endif
