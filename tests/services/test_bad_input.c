/* Bad input never stops the coordinator: garbage, oversized frames, unknown
 * versions, bad requests and half-finished downloads are dropped, and the
 * fleet goes on being served. Also bad start-up input (missing model). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "core/core.h"
#include "fleet_util.h"
#include "wire/wire.h"

static void *raw_dealer(void *ctx, const char *ep, const char *id)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, to = 3000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_RCVTIMEO, &to, sizeof to);
    zmq_setsockopt(d, ZMQ_ROUTING_ID, id, strlen(id));
    assert_int_equal(zmq_connect(d, ep), 0);
    return d;
}

/* Receive until a message of `type` arrives (or timeout); 1 if it did. */
static int expect_type(void *d, Apex__MsgType type, int *err_code)
{
    for (int i = 0; i < 50; i++) {
        apex_msg m;
        int rc = apex_wire_recv(d, 0, &m, 0);
        if (rc == APEX_ERR_AGAIN || rc == APEX_ERR_IO) {
            apex_msg_clear(&m);
            return 0;
        }
        int hit = rc == APEX_OK && m.type == type;
        if (hit && err_code && type == APEX__MSG_TYPE__MSG_ERROR)
            *err_code = ((Apex__Error *)m.body)->code;
        apex_msg_clear(&m);
        if (hit)
            return 1;
    }
    return 0;
}

static void test_coordinator_survives_bad_peers(void **state)
{
    (void)state;
    char dir[64], model[128];
    fleet_tmpdir(dir, sizeof dir, "bad");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 2u << 20, 17);
    apex_coord_config cfg = {0};
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.model_path = model;
    cfg.insecure = 1;
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);
    const char *ep = apex_coord_endpoint(co.c);
    void *ctx = zmq_ctx_new();

    /* 1. garbage frames, and a version 1 (multipart) envelope */
    void *g = raw_dealer(ctx, ep, "garbage");
    zmq_send(g, "\x01\x02\x03", 3, 0);
    zmq_send(g, "", 0, 0);
    zmq_send(g, "\x01\x02\x03", 3, ZMQ_SNDMORE);
    zmq_send(g, "", 0, 0);
    /* 2. an unknown wire version: answered with an ERROR, then dropped */
    Apex__Header h = APEX__HEADER__INIT;
    h.version = 99;
    h.type = APEX__MSG_TYPE__MSG_HEARTBEAT;
    h.client_id = "garbage";
    uint8_t hb[64], frame[128];
    const uint8_t *secs[2] = {hb, hb};
    size_t sizes[2] = {apex__header__pack(&h, hb), 0};
    zmq_send(g, frame, apex_wire_pack(frame, secs, sizes, 2), 0);
    int code = 0;
    assert_true(expect_type(g, APEX__MSG_TYPE__MSG_ERROR, &code));
    assert_int_equal(code, APEX_ERR_VERSION);
    /* 3. an oversized frame: libzmq's MAXMSGSIZE cuts that peer off */
    void *big = raw_dealer(ctx, ep, "bigframe");
    size_t n = APEX_WIRE_MAX_FRAME + 1;
    char *buf = calloc(1, n);
    zmq_send(big, buf, n, 0);
    free(buf);
    /* 4. requests before registering, and a bad chunk offset after */
    void *half = raw_dealer(ctx, ep, "half");
    Apex__ChunkRequest q = APEX__CHUNK_REQUEST__INIT;
    apex_hdr rh = {APEX__MSG_TYPE__MSG_CHUNK_REQUEST, "half", 1, 0};
    apex_wire_send(half, NULL, 0, &rh, &q.base, NULL, 0, 0);
    assert_true(expect_type(half, APEX__MSG_TYPE__MSG_ERROR, &code));
    assert_int_equal(code, APEX_ERR_STATE);
    Apex__Register r = APEX__REGISTER__INIT;
    r.client_id = "half";
    apex_hdr regh = {APEX__MSG_TYPE__MSG_REGISTER, "half", 2, 0};
    apex_wire_send(half, NULL, 0, &regh, &r.base, NULL, 0, 0);
    assert_true(expect_type(half, APEX__MSG_TYPE__MSG_MODEL_OFFER, NULL));
    /* 5. a half-finished download: ask for two chunks, then vanish */
    uint8_t sha[32];
    uint8_t *mbuf;
    size_t mlen;
    assert_int_equal(apex_file_read_all(model, 1u << 30, &mbuf, &mlen), APEX_OK);
    apex_sha256(mbuf, mlen, sha);
    free(mbuf);
    q.sha256.data = sha;
    q.sha256.len = 32;
    q.offset = 12345; /* unaligned */
    apex_wire_send(half, NULL, 0, &rh, &q.base, NULL, 0, 0);
    assert_true(expect_type(half, APEX__MSG_TYPE__MSG_ERROR, &code));
    assert_int_equal(code, APEX_ERR_RANGE);
    q.offset = 0;
    apex_wire_send(half, NULL, 0, &rh, &q.base, NULL, 0, 0);
    q.offset = APEX_WIRE_CHUNK_BYTES;
    apex_wire_send(half, NULL, 0, &rh, &q.base, NULL, 0, 0);
    assert_true(expect_type(half, APEX__MSG_TYPE__MSG_CHUNK, NULL));
    zmq_close(half);
    zmq_close(g);
    zmq_close(big);

    /* The coordinator still serves a real client end to end. */
    client_thread cl;
    memset(&cl, 0, sizeof cl);
    snprintf(cl.workdir, sizeof cl.workdir, "%s/ok", dir);
    cl.cfg.connect = ep;
    cl.cfg.client_id = "ok";
    cl.cfg.workdir = cl.workdir;
    cl.cfg.insecure = 1;
    cl.cfg.exit_after_download = 1;
    cl.cfg.timeout_s = 30;
    client_thread_start(&cl);
    client_thread_join(&cl);
    assert_int_equal(cl.rc, APEX_OK);
    assert_true(cl.res.model_sha256_ok);
    assert_true(files_equal(model, cl.res.model_path));

    apex_coord_stats s;
    apex_coord_get_stats(co.c, &s);
    assert_true(s.rejected_msgs >= 3); /* two garbage messages and the bad version */
    assert_int_equal(s.downloads_ok, 1);
    zmq_ctx_term(ctx);
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

static void test_coordinator_refuses_bad_startup_input(void **state)
{
    (void)state;
    char dir[64], path[128];
    fleet_tmpdir(dir, sizeof dir, "start");
    apex_coord_config cfg = {0};
    cfg.bind = "tcp://127.0.0.1:*";
    cfg.insecure = 1;
    int err;
    /* no model */
    assert_null(apex_coord_new(&cfg, &err));
    assert_int_equal(err, APEX_ERR_INVALID);
    /* missing model file */
    snprintf(path, sizeof path, "%s/missing.bin", dir);
    cfg.model_path = path;
    assert_null(apex_coord_new(&cfg, &err));
    assert_int_equal(err, APEX_ERR_NOT_FOUND);
    /* empty model file */
    snprintf(path, sizeof path, "%s/empty.bin", dir);
    apex_file_write_atomic(path, "", 0, 0644);
    assert_null(apex_coord_new(&cfg, &err));
    assert_int_equal(err, APEX_ERR_INVALID);
    /* CURVE without a key file */
    fleet_write_model(path, 1000, 1);
    cfg.insecure = 0;
    assert_null(apex_coord_new(&cfg, &err));
    assert_int_equal(err, APEX_ERR_INVALID);
    fleet_rmtree(dir);
}

int main(void)
{
    apex_log_init("test", APEX_LOG_ERROR, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coordinator_survives_bad_peers),
        cmocka_unit_test(test_coordinator_refuses_bad_startup_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
