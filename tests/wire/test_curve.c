/* CURVE keys on disk and the ZAP allow-list over real loopback sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "wire/wire.h"

static char g_dir[64];

static void path(char *out, const char *name)
{
    snprintf(out, 256, "%s/%s", g_dir, name);
}

static void test_key_files_roundtrip_and_reject(void **state)
{
    (void)state;
    apex_curve_keypair kp, back;
    assert_int_equal(apex_curve_keygen(&kp), APEX_OK);
    char prefix[256], p[256];
    path(prefix, "k");
    assert_int_equal(apex_curve_write(prefix, &kp), APEX_OK);
    path(p, "k.key");
    assert_int_equal(apex_curve_read(p, &back), APEX_OK);
    assert_string_equal(back.public_z85, kp.public_z85);
    assert_string_equal(back.secret_z85, kp.secret_z85);
    path(p, "k.pub");
    assert_int_equal(apex_curve_read(p, &back), APEX_OK);
    assert_string_equal(back.public_z85, kp.public_z85);
    assert_string_equal(back.secret_z85, "");

    /* A truncated key, a bad character, a missing file. */
    path(p, "bad.key");
    FILE *f = fopen(p, "w");
    fprintf(f, "public = %.39s\n", kp.public_z85);
    fclose(f);
    assert_int_equal(apex_curve_read(p, &back), APEX_ERR_FORMAT);
    f = fopen(p, "w");
    fprintf(f, "public = %.39s~\n", kp.public_z85);
    fclose(f);
    assert_int_equal(apex_curve_read(p, &back), APEX_ERR_FORMAT);
    path(p, "none.key");
    assert_int_equal(apex_curve_read(p, &back), APEX_ERR_NOT_FOUND);
}

/* Connect a DEALER with `client` keys, send one frame, and say whether the
 * ROUTER received it; also report the User-Id and whether the monitor saw an
 * authentication failure. */
static int try_client(void *ctx, const char *ep, const apex_curve_keypair *server,
                      const apex_curve_keypair *client, void *router, char *user_id,
                      int *auth_failed)
{
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    apex_wire_socket_defaults(d);
    assert_int_equal(apex_curve_client(d, client, server->public_z85), APEX_OK);
    static int n;
    char mon_ep[64];
    snprintf(mon_ep, sizeof mon_ep, "inproc://test-mon-%d", n++);
    zmq_socket_monitor(d, mon_ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    zmq_connect(mon, mon_ep);
    zmq_connect(d, ep);
    zmq_send(d, "hello", 5, 0);
    zmq_pollitem_t it[2] = {{router, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
    int got = 0;
    *auth_failed = 0;
    for (int tries = 0; tries < 40 && !got && !*auth_failed; tries++) {
        zmq_poll(it, 2, 100);
        if (it[0].revents & ZMQ_POLLIN) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            zmq_msg_recv(&m, router, 0); /* routing id: made locally, no metadata */
            zmq_msg_close(&m);
            zmq_msg_init(&m);
            zmq_msg_recv(&m, router, 0);
            const char *uid = zmq_msg_gets(&m, "User-Id");
            snprintf(user_id, 64, "%s", uid ? uid : "");
            got = zmq_msg_size(&m) == 5;
            zmq_msg_close(&m);
        }
        if (it[1].revents & ZMQ_POLLIN)
            *auth_failed = 1;
    }
    zmq_socket_monitor(d, NULL, 0);
    zmq_close(mon);
    zmq_close(d);
    return got;
}

static void test_allowlist_admits_listed_and_refuses_others(void **state)
{
    (void)state;
    apex_curve_keypair server, good, bad;
    apex_curve_keygen(&server);
    apex_curve_keygen(&good);
    apex_curve_keygen(&bad);
    char allow[256];
    path(allow, "allow.txt");
    FILE *f = fopen(allow, "w");
    fprintf(f, "# fleet allow-list\n%s client-7\n\n", good.public_z85);
    fclose(f);

    void *ctx = zmq_ctx_new();
    int err;
    apex_zap *zap = apex_zap_new(ctx, allow, &err);
    assert_non_null(zap);
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    apex_wire_socket_defaults(router);
    assert_int_equal(apex_curve_server(router, &server), APEX_OK);
    assert_int_equal(zmq_bind(router, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t n = sizeof ep;
    zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &n);

    char uid[64] = "";
    int auth_failed;
    assert_true(try_client(ctx, ep, &server, &good, router, uid, &auth_failed));
    assert_string_equal(uid, "client-7");
    assert_false(auth_failed);
    assert_int_equal(apex_zap_denied(zap), 0);

    assert_false(try_client(ctx, ep, &server, &bad, router, uid, &auth_failed));
    assert_true(auth_failed);
    assert_true(apex_zap_denied(zap) >= 1);

    zmq_close(router);
    apex_zap_destroy(&zap);
    assert_null(zap);
    zmq_ctx_term(ctx);
}

static void test_allowlist_rejects_malformed_file(void **state)
{
    (void)state;
    char allow[256];
    path(allow, "broken.txt");
    FILE *f = fopen(allow, "w");
    fprintf(f, "not-a-key client-1\n");
    fclose(f);
    void *ctx = zmq_ctx_new();
    int err;
    assert_null(apex_zap_new(ctx, allow, &err));
    assert_int_equal(err, APEX_ERR_FORMAT);
    path(allow, "missing.txt");
    assert_null(apex_zap_new(ctx, allow, &err));
    assert_int_equal(err, APEX_ERR_NOT_FOUND);
    zmq_ctx_term(ctx);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(p);
    return 0;
}

int main(void)
{
    apex_log_init("test", APEX_LOG_ERROR, 0);
    snprintf(g_dir, sizeof g_dir, "/tmp/apex-curve-XXXXXX");
    if (!mkdtemp(g_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_files_roundtrip_and_reject),
        cmocka_unit_test(test_allowlist_admits_listed_and_refuses_others),
        cmocka_unit_test(test_allowlist_rejects_malformed_file),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (!failed) /* a failing run keeps its files for a look */
        nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return failed;
}
