/* Fiat-Shamir transcript: typed, length-prefixed absorption into SHA-256, challenges squeezed
 * from AES-256-CTR keyed by the SHA-256 of everything absorbed so far.
 *
 * Encoding of one absorbed item (docs/PROOF.md, "Transcript"):
 *     tag (1 byte) || le64(label length) || label || le64(count) || payload
 * where count is the payload's byte length for TAG_BYTES and its element count for the
 * field-element tags (8 bytes per base element, 16 per F_p2 element, c0 then c1, canonical
 * little-endian). Labels name what is absorbed ("root_G", "nonce"), so two different
 * sequences of absorptions never produce the same byte stream.
 *
 * apex_transcript_new() absorbs, before anything else, the protocol domain tag
 * APEX_ZK_DOMAIN, the version APEX_ZK_VERSION and a caller's sub-domain ("unlearn",
 * "register", a test name). The caller then absorbs params_digest and every public input.
 *
 * Squeezing: the first squeeze after an absorb derives key = SHA-256(all absorbed bytes) and
 * restarts AES-256-CTR(key, IV = 0); later squeezes continue that keystream until the next
 * absorb. So every challenge depends on every earlier prover message, and two challenges
 * drawn back to back are independent.
 *
 * Challenges: a base element is 8 keystream bytes (little-endian) accepted only if < p and
 * redrawn otherwise (never reduced mod p, so no bias); an F_p2 element is two independent
 * base draws. Column indices are drawn uniformly from [lo, hi) by rejection and without
 * replacement.
 */
#ifndef APEX_ZK_TRANSCRIPT_H
#define APEX_ZK_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "zk/field.h"

/* Item tags of the absorption encoding. */
enum {
    APEX_TR_TAG_DOMAIN = 0x00, /* the domain/version header written by apex_transcript_new */
    APEX_TR_TAG_BYTES = 0x01,  /* raw bytes (roots, digests, ids) */
    APEX_TR_TAG_GL = 0x02,     /* a vector of base-field elements */
    APEX_TR_TAG_GL2 = 0x03,    /* a vector of F_p2 elements */
    APEX_TR_TAG_U64 = 0x04,    /* one unsigned 64-bit integer (epochs, sizes, parameters) */
};

/* Largest index range apex_transcript_challenge_indices accepts (its bitmap is hi-lo bits). */
#define APEX_TR_MAX_INDEX_RANGE ((uint64_t)1 << 28)

typedef struct apex_transcript apex_transcript;

/* New transcript with the domain header absorbed; sub_domain is a NUL-terminated label.
 * NULL when OpenSSL fails or memory runs out. */
apex_transcript *apex_transcript_new(const char *sub_domain);
void apex_transcript_destroy(apex_transcript **t);
/* Independent copy (same absorbed bytes and squeeze position), e.g. for a verifier to fork. */
apex_transcript *apex_transcript_clone(const apex_transcript *t);

int apex_transcript_absorb_bytes(apex_transcript *t, const char *label, const void *data,
                                 size_t len);
int apex_transcript_absorb_u64(apex_transcript *t, const char *label, uint64_t v);
/* Elements must be canonical: APEX_ERR_RANGE otherwise (nothing absorbed). */
int apex_transcript_absorb_gl(apex_transcript *t, const char *label, const apex_gl *v, size_t n);
int apex_transcript_absorb_gl2(apex_transcript *t, const char *label, const apex_gl2 *v, size_t n);

/* Raw keystream bytes. */
int apex_transcript_squeeze_bytes(apex_transcript *t, void *out, size_t n);
/* A uniform base element (rejection sampled). */
int apex_transcript_challenge_gl(apex_transcript *t, apex_gl *out);
/* n uniform F_p2 elements, each from two independent base draws. */
int apex_transcript_challenge_gl2(apex_transcript *t, apex_gl2 *out, size_t n);
/* k distinct indices, each uniform in [lo, hi) given the earlier ones, in draw order.
 * APEX_ERR_INVALID when lo >= hi or k > hi - lo; APEX_ERR_TOO_LARGE when the range exceeds
 * APEX_TR_MAX_INDEX_RANGE. */
int apex_transcript_challenge_indices(apex_transcript *t, uint64_t lo, uint64_t hi, size_t k,
                                      uint64_t *out);

#endif /* APEX_ZK_TRANSCRIPT_H */
