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
    if (spec->body) {
        out->body = protobuf_c_message_unpack(spec->body, NULL, sizes[1], frames[1]);
        if (!out->body)
            return APEX_ERR_FORMAT;
    } else if (sizes[1] != 0) {
        return APEX_ERR_FORMAT;
    }
    return APEX_OK;
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

#define MAX_FRAMES 4 /* routing id + header + body + payload */

int apex_wire_recv(void *sock, int router, apex_msg *out, int flags)
{
    memset(out, 0, sizeof *out);
    zmq_msg_t parts[MAX_FRAMES];
    size_t n = 0;
    int rc = APEX_OK;
    int more = 1;
    while (more) {
        zmq_msg_t tmp;
        zmq_msg_t *m = n < MAX_FRAMES ? &parts[n] : &tmp;
        zmq_msg_init(m);
        /* Only the first frame may be non-blocking: the rest of a multipart
         * message is delivered atomically with it. */
        if (zmq_msg_recv(m, sock, n == 0 ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(m);
            for (size_t i = 0; i < n && i < MAX_FRAMES; i++)
                zmq_msg_close(&parts[i]);
            if (e == EAGAIN)
                return APEX_ERR_AGAIN;
            return e == EINTR ? APEX_ERR_INTERRUPTED : APEX_ERR_IO;
        }
        /* A ROUTER makes up the routing-id frame itself; only frames that
         * came off the wire carry the ZAP User-Id. */
        if (n == (router ? 1u : 0u)) {
            const char *uid = zmq_msg_gets(m, "User-Id");
            if (uid)
                snprintf(out->user_id, sizeof out->user_id, "%s", uid);
        }
        more = zmq_msg_more(m);
        if (m == &tmp) {
            zmq_msg_close(&tmp);
            rc = APEX_ERR_FORMAT; /* too many frames: drain and drop */
        }
        n++;
    }
    size_t kept = n < MAX_FRAMES ? n : MAX_FRAMES;
    size_t first = 0;
    if (router) {
        size_t rl = zmq_msg_size(&parts[0]);
        if (rl == 0 || rl > APEX_WIRE_MAX_ROUTING_ID) {
            rc = APEX_ERR_FORMAT;
        } else {
            memcpy(out->routing_id, zmq_msg_data(&parts[0]), rl);
            out->routing_len = rl;
        }
        first = 1;
    }
    if (rc == APEX_OK) {
        const uint8_t *frames[3] = {0};
        size_t sizes[3] = {0};
        size_t nf = kept - first;
        if (nf > 3) {
            rc = APEX_ERR_FORMAT;
        } else {
            for (size_t i = 0; i < nf; i++) {
                frames[i] = zmq_msg_data(&parts[first + i]);
                sizes[i] = zmq_msg_size(&parts[first + i]);
            }
            rc = apex_wire_decode(frames, sizes, nf, out);
            if (rc == APEX_OK && nf == 3) {
                /* Keep the payload frame alive instead of copying it. */
                zmq_msg_t *pm = malloc(sizeof *pm);
                if (!pm) {
                    rc = APEX_ERR_NOMEM;
                } else {
                    zmq_msg_init(pm);
                    zmq_msg_move(pm, &parts[first + 2]);
                    out->payload_msg_ = pm;
                    out->payload = zmq_msg_data(pm);
                    out->payload_len = zmq_msg_size(pm);
                }
            }
        }
    }
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close(&parts[i]);
    if (rc != APEX_OK && out->body) {
        protobuf_c_message_free_unpacked(out->body, NULL);
        out->body = NULL;
    }
    return rc;
}

static int send_frame(void *sock, const void *data, size_t len, int flags)
{
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, len) != 0)
        return APEX_ERR_NOMEM;
    if (len)
        memcpy(zmq_msg_data(&m), data, len);
    if (zmq_msg_send(&m, sock, flags) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    return APEX_OK;
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
                   const ProtobufCMessage *body, const void *payload, size_t payload_len,
                   apex_wire_free_fn *ffn, void *hint, int flags)
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
    int has_payload = payload != NULL;
    if (has_payload && payload_len > APEX_WIRE_MAX_PAYLOAD)
        return APEX_ERR_TOO_LARGE;

    /* The first frame may fail with EAGAIN/EHOSTUNREACH; after it is queued,
     * ZeroMQ accepts the rest of the multipart message atomically. */
    int more = ZMQ_SNDMORE;
    if (rid_len) {
        if (send_frame(sock, rid, rid_len, more | flags) != APEX_OK)
            return errno_to_apex(errno);
        flags = 0;
    }
    if (send_frame(sock, hbuf, hlen, more | flags) != APEX_OK)
        return errno_to_apex(errno);
    if (send_frame(sock, bbuf, blen, has_payload ? ZMQ_SNDMORE : 0) != APEX_OK)
        return errno_to_apex(errno);
    if (!has_payload)
        return APEX_OK;
    zmq_msg_t pm;
    if (ffn) {
        if (zmq_msg_init_data(&pm, (void *)payload, payload_len, ffn, hint) != 0)
            return APEX_ERR_NOMEM;
    } else {
        if (zmq_msg_init_size(&pm, payload_len) != 0)
            return APEX_ERR_NOMEM;
        memcpy(zmq_msg_data(&pm), payload, payload_len);
    }
    if (zmq_msg_send(&pm, sock, 0) < 0) {
        zmq_msg_close(&pm);
        return errno_to_apex(errno);
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
