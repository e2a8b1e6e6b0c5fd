/* Envelope encode/decode and the validated receive path. */
#include "wire/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* What each message type carries. */
struct msg_spec {
    const ProtobufCMessageDescriptor *body; /* NULL: no body (frame must be empty) */
    int payload;                            /* raw payload frames: 0 or 1 */
    const char *name;                       /* for logs */
};

static const struct msg_spec specs[] = {
    [APEX__MSG_TYPE__MSG_REGISTER] = {&apex__register__descriptor, 0, "REGISTER"},
    [APEX__MSG_TYPE__MSG_REGISTER_ACK] = {&apex__register_ack__descriptor, 0, "REGISTER_ACK"},
    [APEX__MSG_TYPE__MSG_MODEL_OFFER] = {&apex__model_offer__descriptor, 0, "MODEL_OFFER"},
    [APEX__MSG_TYPE__MSG_CHUNK_REQUEST] = {&apex__chunk_request__descriptor, 0, "CHUNK_REQUEST"},
    [APEX__MSG_TYPE__MSG_CHUNK] = {&apex__chunk__descriptor, 1, "CHUNK"},
    [APEX__MSG_TYPE__MSG_DOWNLOAD_DONE] = {&apex__download_done__descriptor, 0, "DOWNLOAD_DONE"},
    [APEX__MSG_TYPE__MSG_HEARTBEAT] = {NULL, 0, "HEARTBEAT"},
    [APEX__MSG_TYPE__MSG_BYE] = {NULL, 0, "BYE"},
    [APEX__MSG_TYPE__MSG_ERROR] = {&apex__error__descriptor, 0, "ERROR"},
};
#define NSPECS ((int)(sizeof specs / sizeof specs[0]))

static const struct msg_spec *spec_of(int type)
{
    if (type <= 0 || type >= NSPECS || !specs[type].name)
        return NULL;
    return &specs[type];
}

const char *apex_wire_type_name(Apex__MsgType t)
{
    const struct msg_spec *s = spec_of((int)t);
    return s ? s->name : "UNKNOWN";
}

/* Client ids are short printable tokens: they appear in logs, file names and the ledger. */
static int valid_client_id(const char *s)
{
    size_t n = strlen(s);
    if (n > APEX_WIRE_MAX_CLIENT_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        if (!ok)
            return 0;
    }
    return 1;
}

int apex_wire_decode(const uint8_t *const *frames, const size_t *sizes, size_t nframes,
                     apex_msg *out)
{
    if (nframes < 2)
        return APEX_ERR_TRUNCATED;
    if (nframes > 3)
        return APEX_ERR_FORMAT;
    if (sizes[0] > APEX_WIRE_MAX_HEADER || sizes[1] > APEX_WIRE_MAX_BODY)
        return APEX_ERR_TOO_LARGE;
    if (nframes == 3 && sizes[2] > APEX_WIRE_MAX_PAYLOAD)
        return APEX_ERR_TOO_LARGE;

    Apex__Header *h = apex__header__unpack(NULL, sizes[0], frames[0]);
    if (!h)
        return APEX_ERR_FORMAT;
    out->version = h->version;
    out->type = h->type;
    out->seq = h->seq;
    out->request_id = h->request_id;
    int ok_id = h->client_id && valid_client_id(h->client_id);
    if (ok_id)
        snprintf(out->client_id, sizeof out->client_id, "%s", h->client_id);
    apex__header__free_unpacked(h, NULL);

    if (out->version != APEX_WIRE_VERSION)
        return APEX_ERR_VERSION;
    if (!ok_id)
        return APEX_ERR_FORMAT;
    const struct msg_spec *spec = spec_of((int)out->type);
    if (!spec)
        return APEX_ERR_PROTOCOL;
    if ((nframes == 3) != (spec->payload == 1))
        return APEX_ERR_FORMAT;
    if (nframes == 3) { /* valid while the caller's frame lives */
        out->payload = (uint8_t *)frames[2];
        out->payload_len = sizes[2];
    }
    if (spec->body) {
        out->body = protobuf_c_message_unpack(spec->body, NULL, sizes[1], frames[1]);
        if (!out->body)
            return APEX_ERR_FORMAT;
    } else if (sizes[1] != 0) {
        return APEX_ERR_FORMAT;
    }
    return APEX_OK;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t apex_wire_pack(uint8_t *out, const uint8_t *const *secs, const size_t *sizes, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (out) {
            uint32_t l = (uint32_t)sizes[i];
            out[o] = (uint8_t)l;
            out[o + 1] = (uint8_t)(l >> 8);
            out[o + 2] = (uint8_t)(l >> 16);
            out[o + 3] = (uint8_t)(l >> 24);
            if (sizes[i])
                memcpy(out + o + APEX_WIRE_SECTION_PREFIX, secs[i], sizes[i]);
        }
        o += APEX_WIRE_SECTION_PREFIX + sizes[i];
    }
    return o;
}

int apex_wire_split(const uint8_t *frame, size_t len, const uint8_t **secs, size_t *sizes,
                    size_t *n)
{
    size_t o = 0, k = 0;
    *n = 0;
    while (o < len) {
        if (k == APEX_WIRE_MAX_SECTIONS)
            return APEX_ERR_FORMAT;
        if (len - o < APEX_WIRE_SECTION_PREFIX)
            return APEX_ERR_TRUNCATED;
        size_t l = le32(frame + o);
        o += APEX_WIRE_SECTION_PREFIX;
        if (l > len - o)
            return APEX_ERR_TRUNCATED;
        secs[k] = frame + o;
        sizes[k] = l;
        k++;
        o += l;
    }
    *n = k;
    return APEX_OK;
}

int apex_wire_decode_frame(const uint8_t *frame, size_t len, apex_msg *out)
{
    const uint8_t *secs[APEX_WIRE_MAX_SECTIONS] = {0};
    size_t sizes[APEX_WIRE_MAX_SECTIONS] = {0}, n = 0;
    int rc = apex_wire_split(frame, len, secs, sizes, &n);
    return rc == APEX_OK ? apex_wire_decode(secs, sizes, n, out) : rc;
}

void apex_msg_clear(apex_msg *m)
{
    if (m->body)
        protobuf_c_message_free_unpacked(m->body, NULL);
    if (m->payload_msg_) {
        zmq_msg_close(m->payload_msg_);
        free(m->payload_msg_);
    }
    memset(m, 0, sizeof *m);
}

/* Frames of one ZeroMQ message we look at: the routing id (ROUTER only) and the envelope. */
#define MAX_FRAMES 2

int apex_wire_recv(void *sock, int router, apex_msg *out, int flags)
{
    memset(out, 0, sizeof *out);
    zmq_msg_t parts[MAX_FRAMES];
    size_t n = 0, want = router ? 2u : 1u;
    int rc = APEX_OK;
    int more = 1;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *m = n < want ? &parts[n] : &tmp;
        zmq_msg_init(m);
        /* Only the first frame may be non-blocking: the rest of a multipart
         * message is delivered atomically with it. */
        if (zmq_msg_recv(m, sock, n == 0 ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(m);
            for (size_t i = 0; i < n && i < want; i++)
                zmq_msg_close(&parts[i]);
            if (e == EAGAIN)
                return APEX_ERR_AGAIN;
            return e == EINTR ? APEX_ERR_INTERRUPTED : APEX_ERR_IO;
        }
        /* A ROUTER makes up the routing-id frame itself; only frames that
         * came off the wire carry the ZAP User-Id. */
        if (n == want - 1) {
            const char *uid = zmq_msg_gets(m, "User-Id");
            if (uid)
                snprintf(out->user_id, sizeof out->user_id, "%s", uid);
        }
        more = zmq_msg_more(m);
        if (m == &tmp) {
            zmq_msg_close(&tmp);
            rc = APEX_ERR_FORMAT; /* more than one envelope frame: drain and drop */
        }
        n++;
    }
    size_t kept = n < want ? n : want;
    if (router) {
        size_t rl = zmq_msg_size(&parts[0]);
        if (rl == 0 || rl > APEX_WIRE_MAX_ROUTING_ID) {
            rc = APEX_ERR_FORMAT;
        } else {
            memcpy(out->routing_id, zmq_msg_data(&parts[0]), rl);
            out->routing_len = rl;
        }
    }
    if (rc == APEX_OK && kept < want)
        rc = APEX_ERR_TRUNCATED; /* a routing id and nothing else */
    if (rc == APEX_OK) {
        zmq_msg_t *env = &parts[want - 1];
        const uint8_t *base = zmq_msg_data(env);
        rc = apex_wire_decode_frame(base, zmq_msg_size(env), out);
        if (rc == APEX_OK && out->payload) {
            /* Keep the frame alive instead of copying the payload out of it. A small
             * frame lives inside the zmq_msg_t itself, so re-point after the move. */
            size_t off = (size_t)(out->payload - base);
            zmq_msg_t *pm = malloc(sizeof *pm);
            if (!pm) {
                rc = APEX_ERR_NOMEM;
            } else {
                zmq_msg_init(pm);
                zmq_msg_move(pm, env);
                out->payload_msg_ = pm;
                out->payload = (uint8_t *)zmq_msg_data(pm) + off;
            }
        }
    }
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&parts[i]);
    if (rc != APEX_OK) {
        if (out->body) {
            protobuf_c_message_free_unpacked(out->body, NULL);
            out->body = NULL;
        }
        out->payload = NULL; /* it pointed into a frame that is gone */
        out->payload_len = 0;
    }
    return rc;
}

static int errno_to_apex(int e)
{
    if (e == EAGAIN)
        return APEX_ERR_AGAIN;
    if (e == EHOSTUNREACH)
        return APEX_ERR_NOT_FOUND;
    if (e == EINTR)
        return APEX_ERR_INTERRUPTED;
    return APEX_ERR_IO;
}

int apex_wire_send(void *sock, const uint8_t *rid, size_t rid_len, const apex_hdr *hdr,
                   const ProtobufCMessage *body, const void *payload, size_t payload_len, int flags)
{
    Apex__Header h = APEX__HEADER__INIT;
    h.version = APEX_WIRE_VERSION;
    h.type = hdr->type;
    h.client_id = (char *)(hdr->client_id ? hdr->client_id : "");
    h.seq = hdr->seq;
    h.request_id = hdr->request_id;
    uint8_t hbuf[APEX_WIRE_MAX_HEADER];
    size_t hlen = apex__header__get_packed_size(&h);
    if (hlen > sizeof hbuf)
        return APEX_ERR_TOO_LARGE;
    apex__header__pack(&h, hbuf);

    uint8_t bbuf[APEX_WIRE_MAX_BODY];
    size_t blen = body ? protobuf_c_message_get_packed_size(body) : 0;
    if (blen > sizeof bbuf)
        return APEX_ERR_TOO_LARGE;
    if (body)
        protobuf_c_message_pack(body, bbuf);
    const struct msg_spec *spec = spec_of((int)hdr->type);
    if (!spec || (payload != NULL) != (spec->payload == 1))
        return APEX_ERR_INVALID; /* a receiver would refuse it: an unknown type, a CHUNK
                                    without its payload or a payload on another type */
    if (payload && payload_len > APEX_WIRE_MAX_PAYLOAD)
        return APEX_ERR_TOO_LARGE;

    const uint8_t *secs[3] = {hbuf, bbuf, payload};
    size_t sizes[3] = {hlen, blen, payload_len};
    size_t nsec = payload ? 3 : 2;
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, apex_wire_pack(NULL, secs, sizes, nsec)) != 0)
        return APEX_ERR_NOMEM;
    apex_wire_pack(zmq_msg_data(&m), secs, sizes, nsec);
    /* The routing-id frame may fail with EAGAIN/EHOSTUNREACH; once it is queued, ZeroMQ
     * accepts the envelope frame with it atomically. */
    if (rid_len) {
        zmq_msg_t r;
        if (zmq_msg_init_size(&r, rid_len) != 0) {
            zmq_msg_close(&m);
            return APEX_ERR_NOMEM;
        }
        memcpy(zmq_msg_data(&r), rid, rid_len);
        if (zmq_msg_send(&r, sock, ZMQ_SNDMORE | flags) < 0) {
            int e = errno;
            zmq_msg_close(&r);
            zmq_msg_close(&m);
            return errno_to_apex(e);
        }
        flags = 0;
    }
    if (zmq_msg_send(&m, sock, flags) < 0) {
        int e = errno;
        zmq_msg_close(&m);
        return errno_to_apex(e);
    }
    return APEX_OK;
}

int apex_wire_socket_defaults(void *sock)
{
    int64_t maxmsg = APEX_WIRE_MAX_FRAME;
    int zero = 0, one = 1, hwm = 10000, idle = 30;
    if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_TCP_KEEPALIVE_IDLE, &idle, sizeof idle) != 0)
        return APEX_ERR_IO;
    return APEX_OK;
}
