/* Raw ZeroMQ loopback throughput: the baseline every streaming benchmark reports. */
#include "wire/wire.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct raw_sender {
    void *sock;       /* PUSH */
    uint8_t *buf;     /* message body, sent zero-copy */
    size_t msg_bytes; /* bytes per message */
    uint64_t count;   /* messages to send */
    int rc;           /* APEX_OK or an error */
};

static void raw_no_free(void *d, void *h)
{
    (void)d;
    (void)h;
}

static void *raw_send_thread(void *arg)
{
    struct raw_sender *s = arg;
    for (uint64_t i = 0; i < s->count; i++) {
        zmq_msg_t m;
        zmq_msg_init_data(&m, s->buf, s->msg_bytes, raw_no_free, NULL);
        if (zmq_msg_send(&m, s->sock, 0) < 0) {
            zmq_msg_close(&m);
            s->rc = APEX_ERR_IO;
            return NULL;
        }
    }
    return NULL;
}

int apex_wire_raw_throughput(size_t msg_bytes, uint64_t total_bytes, int curve, double *gb_per_s)
{
    *gb_per_s = 0;
    if (msg_bytes == 0 || msg_bytes > APEX_WIRE_MAX_PAYLOAD)
        return APEX_ERR_INVALID;
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL), *push = zmq_socket(ctx, ZMQ_PUSH);
    int rc = APEX_OK;
    apex_curve_keypair server, client;
    if (curve && (apex_curve_keygen(&server) != APEX_OK || apex_curve_keygen(&client) != APEX_OK))
        rc = APEX_ERR_CRYPTO;
    if (rc == APEX_OK && curve) {
        int one = 1;
        zmq_setsockopt(pull, ZMQ_CURVE_SERVER, &one, sizeof one);
        zmq_setsockopt(pull, ZMQ_CURVE_SECRETKEY, server.secret_z85, APEX_CURVE_Z85_LEN);
        rc = apex_curve_client(push, &client, server.public_z85);
    }
    char ep[128] = "";
    size_t eplen = sizeof ep;
    if (rc == APEX_OK &&
        (apex_wire_socket_defaults(pull) != APEX_OK || apex_wire_socket_defaults(push) != APEX_OK ||
         zmq_bind(pull, "tcp://127.0.0.1:*") != 0 ||
         zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0 || zmq_connect(push, ep) != 0))
        rc = APEX_ERR_IO;
    struct raw_sender s = {push, NULL, msg_bytes, total_bytes / msg_bytes, APEX_OK};
    if (s.count == 0)
        s.count = 1;
    s.buf = malloc(msg_bytes);
    if (!s.buf)
        rc = APEX_ERR_NOMEM;
    if (rc == APEX_OK) {
        memset(s.buf, 0xA5, msg_bytes);
        /* One warm-up message so the connection (and handshake) is up before timing. */
        pthread_t t;
        struct raw_sender warm = s;
        warm.count = 1;
        raw_send_thread(&warm);
        zmq_msg_t m;
        zmq_msg_init(&m);
        zmq_msg_recv(&m, pull, 0);
        zmq_msg_close(&m);
        double t0 = apex_now_s();
        pthread_create(&t, NULL, raw_send_thread, &s);
        uint64_t got = 0;
        for (uint64_t i = 0; i < s.count; i++) {
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, pull, 0) < 0) {
                zmq_msg_close(&m);
                rc = APEX_ERR_IO;
                break;
            }
            got += zmq_msg_size(&m);
            zmq_msg_close(&m);
        }
        double dt = apex_now_s() - t0;
        pthread_join(t, NULL);
        if (rc == APEX_OK && s.rc != APEX_OK)
            rc = s.rc;
        if (rc == APEX_OK && dt > 0)
            *gb_per_s = (double)got / dt / 1e9;
    }
    zmq_close(push);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    free(s.buf);
    return rc;
}
