/* Envelope round trips over real sockets, and every rejection case of decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "wire/wire.h"

typedef struct pair {
    void *ctx;    /* context */
    void *router; /* server side */
    void *dealer; /* client side, routing id "c-1" */
} pair;

static int pair_setup(void **state)
{
    pair *p = calloc(1, sizeof *p);
    p->ctx = zmq_ctx_new();
    p->router = zmq_socket(p->ctx, ZMQ_ROUTER);
    p->dealer = zmq_socket(p->ctx, ZMQ_DEALER);
    apex_wire_socket_defaults(p->router);
    apex_wire_socket_defaults(p->dealer);
    zmq_setsockopt(p->dealer, ZMQ_ROUTING_ID, "c-1", 3);
    int to = 5000;
    zmq_setsockopt(p->router, ZMQ_RCVTIMEO, &to, sizeof to);
    zmq_setsockopt(p->dealer, ZMQ_RCVTIMEO, &to, sizeof to);
    assert_int_equal(zmq_bind(p->router, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t n = sizeof ep;
    zmq_getsockopt(p->router, ZMQ_LAST_ENDPOINT, ep, &n);
    assert_int_equal(zmq_connect(p->dealer, ep), 0);
    *state = p;
    return 0;
}

static int pair_teardown(void **state)
{
    pair *p = *state;
    zmq_close(p->router);
    zmq_close(p->dealer);
    zmq_ctx_term(p->ctx);
    free(p);
    return 0;
}

static void test_roundtrip_register_and_reply(void **state)
{
    pair *p = *state;
    Apex__Register r = APEX__REGISTER__INIT;
    r.client_id = "c-1";
    r.caps = 5;
    r.version = "t";
    apex_hdr h = {APEX__MSG_TYPE__MSG_REGISTER, "c-1", 7, 99};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &h, &r.base, NULL, 0, 0), APEX_OK);
    apex_msg m;
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_OK);
    assert_int_equal(m.routing_len, 3);
    assert_memory_equal(m.routing_id, "c-1", 3);
    assert_int_equal(m.version, APEX_WIRE_VERSION);
    assert_int_equal(m.type, APEX__MSG_TYPE__MSG_REGISTER);
    assert_string_equal(m.client_id, "c-1");
    assert_int_equal(m.seq, 7);
    assert_int_equal(m.request_id, 99);
    const Apex__Register *got = (const Apex__Register *)m.body;
    assert_non_null(got);
    assert_int_equal(got->caps, 5);
    assert_string_equal(got->version, "t");
    assert_null(m.payload);

    /* Reply with a chunk carrying a raw payload section. */
    static uint8_t data[100000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31);
    Apex__Chunk ch = APEX__CHUNK__INIT;
    ch.offset = 262144;
    ch.total_size = 1 << 20;
    ch.length = sizeof data;
    apex_hdr h2 = {APEX__MSG_TYPE__MSG_CHUNK, "c-1", 1, 0};
    assert_int_equal(
        apex_wire_send(p->router, m.routing_id, m.routing_len, &h2, &ch.base, data, sizeof data, 0),
        APEX_OK);
    apex_msg_clear(&m);
    apex_msg c;
    assert_int_equal(apex_wire_recv(p->dealer, 0, &c, 0), APEX_OK);
    assert_int_equal(c.type, APEX__MSG_TYPE__MSG_CHUNK);
    assert_int_equal(((const Apex__Chunk *)c.body)->offset, 262144);
    assert_int_equal(c.payload_len, sizeof data);
    assert_memory_equal(c.payload, data, sizeof data);
    apex_msg_clear(&c);

    /* A body-less heartbeat. */
    apex_hdr hb = {APEX__MSG_TYPE__MSG_HEARTBEAT, "c-1", 8, 0};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &hb, NULL, NULL, 0, 0), APEX_OK);
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_OK);
    assert_int_equal(m.type, APEX__MSG_TYPE__MSG_HEARTBEAT);
    assert_null(m.body);
    apex_msg_clear(&m);
}

static void test_recv_drops_garbage_and_keeps_going(void **state)
{
    pair *p = *state;
    /* Garbage single frame, then a too-many-frames message, then a valid one. */
    zmq_send(p->dealer, "\xff\xff\xff", 3, 0);
    for (int i = 0; i < 5; i++)
        zmq_send(p->dealer, "x", 1, i < 4 ? ZMQ_SNDMORE : 0);
    apex_hdr hb = {APEX__MSG_TYPE__MSG_HEARTBEAT, "c-1", 1, 0};
    apex_wire_send(p->dealer, NULL, 0, &hb, NULL, NULL, 0, 0);
    apex_msg m;
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_ERR_TRUNCATED);
    assert_memory_equal(m.routing_id, "c-1", 3); /* we still know who sent it */
    apex_msg_clear(&m);
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_ERR_FORMAT);
    apex_msg_clear(&m);
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_OK);
    assert_int_equal(m.type, APEX__MSG_TYPE__MSG_HEARTBEAT);
    apex_msg_clear(&m);
    assert_int_equal(apex_wire_recv(p->router, 1, &m, ZMQ_DONTWAIT), APEX_ERR_AGAIN);
    apex_msg_clear(&m);
}

/* Build a header frame with chosen fields. */
static size_t make_header(uint8_t *buf, uint32_t version, int type, const char *id)
{
    Apex__Header h = APEX__HEADER__INIT;
    h.version = version;
    h.type = (Apex__MsgType)type;
    h.client_id = (char *)id;
    return apex__header__pack(&h, buf);
}

static int decode(const uint8_t *f0, size_t s0, const uint8_t *f1, size_t s1, const uint8_t *f2,
                  size_t s2, size_t n)
{
    const uint8_t *frames[3] = {f0, f1, f2};
    size_t sizes[3] = {s0, s1, s2};
    apex_msg m;
    memset(&m, 0, sizeof m);
    int rc = apex_wire_decode(frames, sizes, n, &m);
    apex_msg_clear(&m);
    return rc;
}

static void test_decode_rejections(void **state)
{
    (void)state;
    uint8_t hdr[256], body[256];
    static uint8_t big[APEX_WIRE_MAX_PAYLOAD + 1];
    size_t hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_OK);

    /* truncated: header alone */
    assert_int_equal(decode(hdr, hl, NULL, 0, NULL, 0, 1), APEX_ERR_TRUNCATED);
    /* oversized header and body frames */
    assert_int_equal(decode(big, APEX_WIRE_MAX_HEADER + 1, body, 0, NULL, 0, 2),
                     APEX_ERR_TOO_LARGE);
    assert_int_equal(decode(hdr, hl, big, APEX_WIRE_MAX_BODY + 1, NULL, 0, 2), APEX_ERR_TOO_LARGE);
    /* garbage header bytes */
    uint8_t junk[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(decode(junk, sizeof junk, body, 0, NULL, 0, 2), APEX_ERR_FORMAT);
    /* unknown versions, and version 1 (multipart envelopes) */
    hl = make_header(hdr, APEX_WIRE_VERSION + 1, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_VERSION);
    hl = make_header(hdr, 1, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_VERSION);
    hl = make_header(hdr, 0, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_VERSION);
    /* unknown type */
    hl = make_header(hdr, APEX_WIRE_VERSION, 77, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_PROTOCOL);
    hl = make_header(hdr, APEX_WIRE_VERSION, 0, "ok");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_PROTOCOL);
    /* bad client ids: characters and length */
    hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_HEARTBEAT, "a b");
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_FORMAT);
    char longid[APEX_WIRE_MAX_CLIENT_ID + 2];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_HEARTBEAT, longid);
    assert_int_equal(decode(hdr, hl, body, 0, NULL, 0, 2), APEX_ERR_FORMAT);
    /* heartbeat with a non-empty body, or with a payload frame */
    hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    assert_int_equal(decode(hdr, hl, body, 1, NULL, 0, 2), APEX_ERR_FORMAT);
    assert_int_equal(decode(hdr, hl, body, 0, body, 1, 3), APEX_ERR_FORMAT);
    /* chunk without its payload frame; chunk with an oversized payload */
    Apex__Chunk ch = APEX__CHUNK__INIT;
    ch.length = 1;
    size_t bl = apex__chunk__pack(&ch, body);
    hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_CHUNK, "ok");
    assert_int_equal(decode(hdr, hl, body, bl, NULL, 0, 2), APEX_ERR_FORMAT);
    assert_int_equal(decode(hdr, hl, body, bl, big, APEX_WIRE_MAX_PAYLOAD + 1, 3),
                     APEX_ERR_TOO_LARGE);
    assert_int_equal(decode(hdr, hl, body, bl, big, 1, 3), APEX_OK);
    /* a body that is not the protobuf of its type */
    hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_REGISTER, "ok");
    assert_int_equal(decode(hdr, hl, junk, sizeof junk, NULL, 0, 2), APEX_ERR_FORMAT);
    /* four frames */
    const uint8_t *frames[4] = {hdr, body, body, body};
    size_t sizes[4] = {hl, 0, 0, 0};
    apex_msg m;
    memset(&m, 0, sizeof m);
    assert_int_equal(apex_wire_decode(frames, sizes, 4, &m), APEX_ERR_FORMAT);
    apex_msg_clear(&m);
}

/* Payloads small enough that the whole frame lives inside the zmq_msg_t: the received
 * payload must point into the message apex_wire_recv keeps, not into its stack. */
static void test_small_payload_survives_the_next_receive(void **state)
{
    pair *p = *state;
    Apex__Chunk ch = APEX__CHUNK__INIT; /* all defaults: an empty body */
    apex_hdr h = {APEX__MSG_TYPE__MSG_CHUNK, "c", 1, 0};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &h, &ch.base, "A", 1, 0), APEX_OK);
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &h, &ch.base, "BB", 2, 0), APEX_OK);
    apex_msg a, b;
    assert_int_equal(apex_wire_recv(p->router, 1, &a, 0), APEX_OK);
    assert_int_equal(apex_wire_recv(p->router, 1, &b, 0), APEX_OK);
    assert_int_equal(a.payload_len, 1);
    assert_int_equal(b.payload_len, 2);
    assert_memory_equal(a.payload, "A", 1);
    assert_memory_equal(b.payload, "BB", 2);
    apex_msg_clear(&a);
    apex_msg_clear(&b);
}

/* Build one envelope frame from raw sections and run the frame decoder on it. */
static int decode_packed(const uint8_t *const *secs, const size_t *sizes, size_t n)
{
    static uint8_t frame[2 * APEX_WIRE_MAX_BODY];
    size_t len = apex_wire_pack(frame, secs, sizes, n);
    apex_msg m;
    memset(&m, 0, sizeof m);
    int rc = apex_wire_decode_frame(frame, len, &m);
    apex_msg_clear(&m);
    return rc;
}

static void test_frame_sections(void **state)
{
    (void)state;
    uint8_t hdr[256], body[256], frame[1024];
    size_t hl = make_header(hdr, APEX_WIRE_VERSION, APEX__MSG_TYPE__MSG_HEARTBEAT, "ok");
    const uint8_t *secs[4] = {hdr, body, body, body};
    size_t sizes[4] = {hl, 0, 0, 0};
    assert_int_equal(decode_packed(secs, sizes, 2), APEX_OK);
    /* no sections, one section, four sections */
    assert_int_equal(decode_packed(secs, sizes, 0), APEX_ERR_TRUNCATED);
    assert_int_equal(decode_packed(secs, sizes, 1), APEX_ERR_TRUNCATED);
    assert_int_equal(decode_packed(secs, sizes, 4), APEX_ERR_FORMAT);
    /* the layout: 4-byte little-endian lengths */
    size_t len = apex_wire_pack(frame, secs, sizes, 2);
    assert_int_equal(len, 2 * APEX_WIRE_SECTION_PREFIX + hl);
    assert_int_equal(apex_wire_pack(NULL, secs, sizes, 2), len);
    assert_int_equal(frame[0], hl);
    assert_int_equal(frame[1] | frame[2] | frame[3], 0);
    const uint8_t *got[APEX_WIRE_MAX_SECTIONS];
    size_t gs[APEX_WIRE_MAX_SECTIONS], n = 9;
    assert_int_equal(apex_wire_split(frame, len, got, gs, &n), APEX_OK);
    assert_int_equal(n, 2);
    assert_ptr_equal(got[0], frame + APEX_WIRE_SECTION_PREFIX);
    assert_int_equal(gs[0], hl);
    assert_int_equal(gs[1], 0);
    /* every truncation: a cut length prefix or a section running past the end */
    for (size_t cut = 1; cut < len; cut++) {
        apex_msg m;
        memset(&m, 0, sizeof m);
        assert_int_equal(apex_wire_decode_frame(frame, len - cut, &m), APEX_ERR_TRUNCATED);
        apex_msg_clear(&m);
    }
    /* a length near 2^32 must not wrap */
    frame[0] = frame[1] = frame[2] = frame[3] = 0xff;
    assert_int_equal(apex_wire_split(frame, len, got, gs, &n), APEX_ERR_TRUNCATED);
}

static void test_send_rejects_oversized_payload(void **state)
{
    pair *p = *state;
    static uint8_t big[APEX_WIRE_MAX_PAYLOAD + 1];
    Apex__Chunk ch = APEX__CHUNK__INIT;
    apex_hdr h = {APEX__MSG_TYPE__MSG_CHUNK, "c-1", 1, 0};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &h, &ch.base, big, sizeof big, 0),
                     APEX_ERR_TOO_LARGE);
}

/* What a receiver would refuse is refused before it is sent. */
static void test_send_refuses_what_receivers_refuse(void **state)
{
    pair *p = *state;
    Apex__Chunk ch = APEX__CHUNK__INIT;
    apex_hdr chunk = {APEX__MSG_TYPE__MSG_CHUNK, "c-1", 1, 0};
    apex_hdr hb = {APEX__MSG_TYPE__MSG_HEARTBEAT, "c-1", 2, 0};
    apex_hdr bad = {(Apex__MsgType)77, "c-1", 3, 0};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &chunk, &ch.base, NULL, 0, 0),
                     APEX_ERR_INVALID);
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &hb, NULL, "x", 1, 0), APEX_ERR_INVALID);
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &bad, NULL, NULL, 0, 0), APEX_ERR_INVALID);
    apex_msg m;
    assert_int_equal(apex_wire_recv(p->router, 1, &m, ZMQ_DONTWAIT), APEX_ERR_AGAIN);
    apex_msg_clear(&m);
}

/* A DEALER expects exactly one envelope frame: a second one is drained and refused, and the
 * next message still arrives. */
static void test_dealer_refuses_a_second_frame(void **state)
{
    pair *p = *state;
    apex_hdr hb = {APEX__MSG_TYPE__MSG_HEARTBEAT, "c-1", 1, 0};
    assert_int_equal(apex_wire_send(p->dealer, NULL, 0, &hb, NULL, NULL, 0, 0), APEX_OK);
    apex_msg m;
    assert_int_equal(apex_wire_recv(p->router, 1, &m, 0), APEX_OK);
    uint8_t rid[APEX_WIRE_MAX_ROUTING_ID];
    size_t rl = m.routing_len;
    memcpy(rid, m.routing_id, rl);
    apex_msg_clear(&m);
    uint8_t hdr[64], frame[128];
    Apex__Header h = APEX__HEADER__INIT;
    h.version = APEX_WIRE_VERSION;
    h.type = APEX__MSG_TYPE__MSG_HEARTBEAT;
    h.client_id = "c-1";
    const uint8_t *secs[2] = {hdr, hdr};
    size_t sizes[2] = {apex__header__pack(&h, hdr), 0};
    size_t len = apex_wire_pack(frame, secs, sizes, 2);
    zmq_send(p->router, rid, rl, ZMQ_SNDMORE);
    zmq_send(p->router, frame, len, ZMQ_SNDMORE);
    zmq_send(p->router, frame, len, 0);
    assert_int_equal(apex_wire_send(p->router, rid, rl, &hb, NULL, NULL, 0, 0), APEX_OK);
    assert_int_equal(apex_wire_recv(p->dealer, 0, &m, 0), APEX_ERR_FORMAT);
    apex_msg_clear(&m);
    assert_int_equal(apex_wire_recv(p->dealer, 0, &m, 0), APEX_OK);
    assert_int_equal(m.type, APEX__MSG_TYPE__MSG_HEARTBEAT);
    apex_msg_clear(&m);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(apex_wire_type_name(APEX__MSG_TYPE__MSG_CHUNK_REQUEST), "CHUNK_REQUEST");
    assert_string_equal(apex_wire_type_name((Apex__MsgType)1234), "UNKNOWN");
}

int main(void)
{
    apex_log_init("test", APEX_LOG_WARN, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_register_and_reply, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_recv_drops_garbage_and_keeps_going, pair_setup,
                                        pair_teardown),
        cmocka_unit_test(test_decode_rejections),
        cmocka_unit_test_setup_teardown(test_small_payload_survives_the_next_receive, pair_setup,
                                        pair_teardown),
        cmocka_unit_test(test_frame_sections),
        cmocka_unit_test_setup_teardown(test_send_rejects_oversized_payload, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_send_refuses_what_receivers_refuse, pair_setup,
                                        pair_teardown),
        cmocka_unit_test_setup_teardown(test_dealer_refuses_a_second_frame, pair_setup,
                                        pair_teardown),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
