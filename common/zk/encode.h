/* Canonical proof encoding: a bounded writer and a strict reader.
 *
 * Rules (docs/PROOF.md, "Encoding"):
 *   - integers and field elements are fixed-width little-endian (u8, u32, u64; a base
 *     element is 8 bytes, an F_p2 element 16 bytes: c0 then c1);
 *   - a field element >= p is rejected (APEX_ERR_RANGE), never reduced, so every value has
 *     exactly one encoding and a proof's bytes are a function of its content;
 *   - a vector is le64(count) then count elements; the reader checks count against the
 *     caller's maximum and against the bytes actually left BEFORE allocating anything;
 *   - apex_enc_reader_finish() rejects trailing bytes (APEX_ERR_FORMAT).
 * The writer never grows past the capacity it was created with (APEX_ERR_TOO_LARGE), so an
 * encoder bug cannot turn into unbounded memory either.
 */
#ifndef APEX_ZK_ENCODE_H
#define APEX_ZK_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "zk/field.h"
#include "zk/merkle.h"

/* An append-only byte buffer with a hard capacity. */
typedef struct apex_enc_writer {
    uint8_t *buf; /* [cap] owned storage, grown geometrically up to cap */
    size_t len;   /* bytes written */
    size_t alloc; /* bytes allocated in buf */
    size_t cap;   /* hard limit on len */
    int err;      /* first error hit (sticky): later puts do nothing and return it */
} apex_enc_writer;

/* A read cursor over borrowed bytes. */
typedef struct apex_enc_reader {
    const uint8_t *p; /* next unread byte */
    size_t left;      /* bytes left */
} apex_enc_reader;

void apex_enc_writer_init(apex_enc_writer *w, size_t cap);
/* Frees the buffer; the writer can be re-initialized. */
void apex_enc_writer_free(apex_enc_writer *w);
/* Hands the buffer to the caller (free() it) and resets the writer. Fails with the sticky
 * error if any put failed. */
int apex_enc_writer_take(apex_enc_writer *w, uint8_t **out, size_t *len);

int apex_enc_put_u8(apex_enc_writer *w, uint8_t v);
int apex_enc_put_u32(apex_enc_writer *w, uint32_t v);
int apex_enc_put_u64(apex_enc_writer *w, uint64_t v);
int apex_enc_put_bytes(apex_enc_writer *w, const void *p, size_t n);
int apex_enc_put_hash(apex_enc_writer *w, const apex_hash *h);
/* Field elements must be canonical (APEX_ERR_RANGE otherwise). */
int apex_enc_put_gl(apex_enc_writer *w, apex_gl v);
int apex_enc_put_gl2(apex_enc_writer *w, apex_gl2 v);
/* le64(n) then n elements. */
int apex_enc_put_gl_vec(apex_enc_writer *w, const apex_gl *v, size_t n);
int apex_enc_put_gl2_vec(apex_enc_writer *w, const apex_gl2 *v, size_t n);

void apex_enc_reader_init(apex_enc_reader *r, const void *buf, size_t len);
/* APEX_ERR_TRUNCATED when fewer bytes are left than the item needs. */
int apex_enc_get_u8(apex_enc_reader *r, uint8_t *v);
int apex_enc_get_u32(apex_enc_reader *r, uint32_t *v);
int apex_enc_get_u64(apex_enc_reader *r, uint64_t *v);
int apex_enc_get_bytes(apex_enc_reader *r, void *p, size_t n);
int apex_enc_get_hash(apex_enc_reader *r, apex_hash *h);
/* APEX_ERR_RANGE for a non-canonical element. */
int apex_enc_get_gl(apex_enc_reader *r, apex_gl *v);
int apex_enc_get_gl2(apex_enc_reader *r, apex_gl2 *v);
/* Reads a length prefix, checks count <= max_n (APEX_ERR_TOO_LARGE) and count * element size
 * <= bytes left (APEX_ERR_TRUNCATED), only then allocates *out (free() it; NULL for count 0)
 * and decodes. *n receives the count. On error nothing stays allocated. */
int apex_enc_get_gl_vec(apex_enc_reader *r, size_t max_n, apex_gl **out, size_t *n);
int apex_enc_get_gl2_vec(apex_enc_reader *r, size_t max_n, apex_gl2 **out, size_t *n);
/* A vector whose length the caller already knows from the parameters: the prefix must equal
 * want (APEX_ERR_FORMAT otherwise); decodes into caller storage. */
int apex_enc_get_gl_vec_exact(apex_enc_reader *r, apex_gl *out, size_t want);
int apex_enc_get_gl2_vec_exact(apex_enc_reader *r, apex_gl2 *out, size_t want);
/* APEX_OK when every byte was consumed, APEX_ERR_FORMAT on trailing bytes. */
int apex_enc_reader_finish(const apex_enc_reader *r);

#endif /* APEX_ZK_ENCODE_H */
