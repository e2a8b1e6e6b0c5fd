/* apex wire: versioned envelopes over ZeroMQ, CURVE keys and the ZAP allow-list.
 *
 * Every message is one ZeroMQ frame (after the routing id on the ROUTER side) holding two
 * or three sections, each a 4-byte little-endian length and that many bytes (docs/WIRE.md):
 *   Header   protobuf apex.Header: version, type, client_id, seq, request_id
 *   Body     protobuf message named by Header.type (may be empty)
 *   payload  raw bytes (model chunks), present only for types that carry one
 * One frame, not a multipart message: libzmq 4.3.4 can drop the unflushed parts of a
 * half-received multipart message without freeing them when a socket closes mid-message
 * (docs/WIRE.md, "Why one frame"). The receive path validates every size before unpacking
 * and rejects unknown versions and types with an error code; it never crashes on peer input.
 */
#ifndef APEX_WIRE_H
#define APEX_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "apex.pb-c.h"
#include "core/core.h"

#define APEX_WIRE_VERSION 2u /* 2: one frame of sections (1 was multipart) */
/* Limits applied before any protobuf unpacking. */
#define APEX_WIRE_MAX_ROUTING_ID 255u       /* bytes, ZeroMQ's own limit */
#define APEX_WIRE_MAX_HEADER     512u       /* bytes of the Header frame */
#define APEX_WIRE_MAX_BODY       16384u     /* bytes of the Body frame */
#define APEX_WIRE_MAX_PAYLOAD    (1u << 20) /* bytes of the raw payload section */
#define APEX_WIRE_SECTION_PREFIX 4u         /* little-endian length before each section */
#define APEX_WIRE_MAX_SECTIONS   3u         /* header, body, payload */
/* ZMQ_MAXMSGSIZE: the largest envelope frame (every section at its limit) plus slack. */
#define APEX_WIRE_MAX_FRAME                                                                        \
    (APEX_WIRE_MAX_HEADER + APEX_WIRE_MAX_BODY + APEX_WIRE_MAX_PAYLOAD +                           \
     APEX_WIRE_MAX_SECTIONS * APEX_WIRE_SECTION_PREFIX + 4096u)
#define APEX_WIRE_MAX_CLIENT_ID 64u /* characters in a client id */
/* Streaming defaults (zguide ch. 7 "Transferring Files"). */
#define APEX_WIRE_CHUNK_BYTES (256u * 1024u)
#define APEX_WIRE_WINDOW      10u
/* Liveness defaults. */
#define APEX_WIRE_HEARTBEAT_MS 1000u
#define APEX_WIRE_LIVENESS     3u
/* ZAP domain shared by coordinator and clients; ZAP is silently off without one. */
#define APEX_WIRE_ZAP_DOMAIN "apex"

/* A received (or to-be-sent) envelope, decoded. */
typedef struct apex_msg {
    uint8_t routing_id[APEX_WIRE_MAX_ROUTING_ID]; /* ROUTER peer identity */
    size_t routing_len;                           /* 0 on DEALER sockets */
    char user_id[64];   /* ZAP User-Id of the peer (its client name or key), "" if none */
    uint32_t version;   /* header version (valid only if decode got that far) */
    Apex__MsgType type; /* message type */
    char client_id[APEX_WIRE_MAX_CLIENT_ID + 1]; /* header client_id */
    uint64_t seq;                                /* header sequence number */
    uint64_t request_id;                         /* header request id */
    ProtobufCMessage *body; /* unpacked body of `type`, or NULL if the type has none */
    uint8_t *payload;       /* raw payload section (inside the received frame), or NULL */
    size_t payload_len;     /* bytes in payload */
    void *payload_msg_;     /* internal: the zmq_msg_t the payload points into */
} apex_msg;

/* Header fields for sending. */
typedef struct apex_hdr {
    Apex__MsgType type;    /* message type */
    const char *client_id; /* sender or addressee id */
    uint64_t seq;          /* sender's sequence number */
    uint64_t request_id;   /* request this belongs to (0 if none) */
} apex_hdr;

/* Human name of a message type ("CHUNK_REQUEST"), "UNKNOWN" otherwise. */
const char *apex_wire_type_name(Apex__MsgType t);

/* Decode the sections of an envelope already split (no routing id). Validates sizes
 * first, then the header, version, type, body and payload count. On error, the fields that
 * were decoded stay set so that callers can log them. On success with a payload, payload
 * points at frames[2] (valid while the caller's buffer lives). Pure. Call apex_msg_clear
 * after. */
int apex_wire_decode(const uint8_t *const *frames, const size_t *sizes, size_t nframes,
                     apex_msg *out);

/* Lay out n sections (4-byte little-endian length, then the bytes) at out; returns the
 * bytes written. out == NULL only measures. */
size_t apex_wire_pack(uint8_t *out, const uint8_t *const *secs, const size_t *sizes, size_t n);

/* Split an envelope frame into its sections (pointers into frame). APEX_ERR_TRUNCATED when
 * a length prefix is cut or a section runs past the end, APEX_ERR_FORMAT for more than
 * APEX_WIRE_MAX_SECTIONS sections. */
int apex_wire_split(const uint8_t *frame, size_t len, const uint8_t **secs, size_t *sizes,
                    size_t *n);

/* apex_wire_split, then apex_wire_decode: what the receive path and the fuzz target run. */
int apex_wire_decode_frame(const uint8_t *frame, size_t len, apex_msg *out);

/* Receive one whole ZeroMQ message (always drains every frame) and decode it. router != 0
 * expects a routing-id frame first; exactly one envelope frame must follow. flags: 0 or
 * ZMQ_DONTWAIT. Returns APEX_OK, APEX_ERR_AGAIN when nothing is queued, APEX_ERR_IO on a
 * socket error, or a decode error (the message is dropped; out says who sent it). */
int apex_wire_recv(void *sock, int router, apex_msg *out, int flags);

/* Send an envelope as one frame. rid/rid_len: routing id for ROUTER sockets (NULL/0 else).
 * body: protobuf message or NULL. payload (optional, may be empty but not NULL for a type
 * that carries one) is copied into the frame. flags: 0 or ZMQ_DONTWAIT.
 * Returns APEX_OK, APEX_ERR_AGAIN (would block), APEX_ERR_NOT_FOUND (unknown
 * peer on a ROUTER with ROUTER_MANDATORY), APEX_ERR_IO, or, before sending anything,
 * APEX_ERR_INVALID (an unknown type, or a payload present where the type has none or
 * missing where it has one) and APEX_ERR_TOO_LARGE. */
int apex_wire_send(void *sock, const uint8_t *rid, size_t rid_len, const apex_hdr *hdr,
                   const ProtobufCMessage *body, const void *payload, size_t payload_len,
                   int flags);

/* Free what decode allocated and zero the struct (safe on a zeroed struct). */
void apex_msg_clear(apex_msg *m);

/* Socket options every apex socket gets: MAXMSGSIZE, LINGER, HWMs, keepalive. */
int apex_wire_socket_defaults(void *sock);

/* ---------------------------------------------------------------- CURVE */

#define APEX_CURVE_Z85_LEN 40 /* Z85 text of a 32-byte key, without NUL */

/* A CURVE keypair in Z85 text (NUL-terminated). */
typedef struct apex_curve_keypair {
    char public_z85[APEX_CURVE_Z85_LEN + 1]; /* shareable */
    char secret_z85[APEX_CURVE_Z85_LEN + 1]; /* keep private (file mode 0600) */
} apex_curve_keypair;

int apex_curve_keygen(apex_curve_keypair *kp);
/* Write PREFIX.key (secret+public, 0600) and PREFIX.pub (public, 0644). */
int apex_curve_write(const char *prefix, const apex_curve_keypair *kp);
/* Read a .key file (both keys) or a .pub file (public only; secret left ""). */
int apex_curve_read(const char *path, apex_curve_keypair *kp);

/* Make sock a CURVE server (coordinator) using ZAP domain APEX_WIRE_ZAP_DOMAIN. */
int apex_curve_server(void *sock, const apex_curve_keypair *server);
/* Make sock a CURVE client of server_public_z85. */
int apex_curve_client(void *sock, const apex_curve_keypair *client, const char *server_public_z85);

/* ZAP handler: a thread answering libzmq's authentication requests on
 * inproc://zeromq.zap.01 of ctx, allowing only CURVE keys on the allow-list.
 * The allow-list file has one key per line: "<z85 public key> [name]"; '#'
 * starts a comment. An allowed peer's User-Id is its name (or its key). */
typedef struct apex_zap apex_zap;
/* allowlist_path NULL allows every CURVE key (encryption without an
 * allow-list; logged as a warning). */
apex_zap *apex_zap_new(void *zmq_ctx, const char *allowlist_path, int *err);
/* Number of handshakes refused so far (thread-safe). */
uint64_t apex_zap_denied(const apex_zap *z);
void apex_zap_destroy(apex_zap **z);

/* ---------------------------------------------------------------- baseline */

/* Raw ZeroMQ throughput over TCP loopback in this process: one PUSH thread
 * streams total_bytes in msg_bytes messages (zero-copy) to a PULL socket.
 * curve != 0 runs it under CurveZMQ. The baseline that streaming benchmarks
 * report next to their own figure. */
int apex_wire_raw_throughput(size_t msg_bytes, uint64_t total_bytes, int curve, double *gb_per_s);

#endif /* APEX_WIRE_H */
