/* Fleet integration tests: real ZeroMQ sockets on loopback, real processes
 * where the behaviour is about processes (a killed client). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "fleet_util.h"
#include "wire/wire.h"

extern char **environ;

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Coordinator fixture in plaintext with fast liveness. */
static void insecure_cfg(apex_coord_config *cfg, const char *model)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bind = "tcp://127.0.0.1:*";
    cfg->model_path = model;
    cfg->insecure = 1;
    cfg->heartbeat_ms = 1000; /* tests that need fast liveness set their own */
    cfg->liveness = 3;
}

static void client_cfg(client_thread *ct, const char *ep, const char *dir, int i)
{
    memset(ct, 0, sizeof *ct);
    snprintf(ct->id, sizeof ct->id, "client-%d", i);
    snprintf(ct->workdir, sizeof ct->workdir, "%s/%s", dir, ct->id);
    ct->cfg.connect = ep;
    ct->cfg.client_id = ct->id;
    ct->cfg.workdir = ct->workdir;
    ct->cfg.insecure = 1;
    ct->cfg.exit_after_download = 1;
    ct->cfg.timeout_s = 60;
}

static void test_chunked_transfer_resumes_after_forced_disconnect(void **state)
{
    (void)state;
    char dir[64], model[128];
    fleet_tmpdir(dir, sizeof dir, "resume");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    const size_t size = 6 * MIB + 12345; /* not a multiple of the chunk size */
    fleet_write_model(model, size, 7);
    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);

    client_thread cl;
    client_cfg(&cl, apex_coord_endpoint(co.c), dir, 1);
    const uint64_t drop = 3 * MIB;
    cl.cfg.drop_after_bytes = drop;
    client_thread_start(&cl);
    client_thread_join(&cl);

    assert_int_equal(cl.rc, APEX_OK);
    assert_true(cl.res.model_sha256_ok);
    assert_int_equal(cl.res.model_bytes, size);
    assert_int_equal(cl.res.reconnects, 1);
    /* Resumed, not restarted: a restart would have received drop + size bytes. */
    assert_true(cl.res.bytes_received >= size);
    assert_true(cl.res.bytes_received < size + drop);
    assert_true(files_equal(model, cl.res.model_path));

    apex_coord_client_info info;
    apex_coord_get_client(co.c, "client-1", &info);
    assert_true(info.known);
    assert_int_equal(info.sessions, 2);
    assert_true(info.download_ok);
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

typedef struct probe {
    apex_coord *c;  /* coordinator */
    const char *id; /* client id */
} probe;

static int client_ready(void *arg)
{
    probe *p = arg;
    apex_coord_client_info i;
    apex_coord_get_client(p->c, p->id, &i);
    return i.known && i.alive && i.download_ok;
}

static int client_dead(void *arg)
{
    probe *p = arg;
    apex_coord_client_info i;
    apex_coord_get_client(p->c, p->id, &i);
    return i.known && !i.alive;
}

static void test_heartbeat_expiry_of_killed_client_process(void **state)
{
    (void)state;
    const char *bindir = getenv("APEX_BIN_DIR");
    assert_non_null(bindir);
    char dir[64], model[128], exe[512], wd[256];
    fleet_tmpdir(dir, sizeof dir, "hb");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 300 * KIB, 3);
    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    /* 200 ms x 5: a 1 s limit, loose enough for a loaded CI machine under ASan. */
    cfg.heartbeat_ms = 200;
    cfg.liveness = 5;
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);

    snprintf(exe, sizeof exe, "%s/apex-client", bindir);
    snprintf(wd, sizeof wd, "%s/w", dir);
    char *argv[] = {exe,         "--connect", (char *)apex_coord_endpoint(co.c),
                    "--id",      "victim",    "--insecure",
                    "--workdir", wd,          "--log-level",
                    "warn",      NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, exe, NULL, NULL, argv, environ), 0);
    probe p = {co.c, "victim"};
    assert_true(wait_until(client_ready, &p, 20000));

    /* Idle after its download, it stays alive well past the dead limit
     * (1 s): liveness is heartbeats, not task progress. */
    usleep(2500 * 1000);
    assert_false(client_dead(&p));

    double t0 = apex_now_s();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    assert_true(wait_until(client_dead, &p, 10000));
    double took = apex_now_s() - t0;
    /* Silence is counted from the client's last heartbeat, which went out up
     * to one interval (200 ms) plus one client tick (50 ms) before the kill:
     * dead no earlier than 1 s - 0.25 s after it, and within a sweep or two
     * after the limit. */
    assert_true(took >= 0.7);
    assert_true(took < 4.0);
    apex_coord_stats s;
    apex_coord_get_stats(co.c, &s);
    assert_int_equal(s.dead, 1);
    assert_int_equal(s.alive, 0);
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

static int client_sessions_2_ready(void *arg)
{
    probe *p = arg;
    apex_coord_client_info i;
    apex_coord_get_client(p->c, p->id, &i);
    return i.sessions == 2 && i.alive && i.download_ok;
}

/* A client process crashes and a new one with the same id comes back before
 * the coordinator noticed: the new connection takes over the id (ROUTER
 * handover), downloads again, and the coordinator never counts it dead. */
static void test_crashed_client_restarts_under_same_id(void **state)
{
    (void)state;
    const char *bindir = getenv("APEX_BIN_DIR");
    assert_non_null(bindir);
    char dir[64], model[128], exe[512], wd[256];
    fleet_tmpdir(dir, sizeof dir, "crash");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 900 * KIB, 4);
    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    cfg.heartbeat_ms = 1000; /* dead only after 3 s: the restart comes first */
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);
    snprintf(exe, sizeof exe, "%s/apex-client", bindir);
    snprintf(wd, sizeof wd, "%s/w", dir);
    char *argv[] = {exe,         "--connect", (char *)apex_coord_endpoint(co.c),
                    "--id",      "phoenix",   "--insecure",
                    "--workdir", wd,          "--log-level",
                    "warn",      NULL};
    pid_t a, b;
    assert_int_equal(posix_spawn(&a, exe, NULL, NULL, argv, environ), 0);
    probe p = {co.c, "phoenix"};
    assert_true(wait_until(client_ready, &p, 20000));
    kill(a, SIGKILL);
    waitpid(a, NULL, 0);
    assert_int_equal(posix_spawn(&b, exe, NULL, NULL, argv, environ), 0);
    assert_true(wait_until(client_sessions_2_ready, &p, 20000));
    char path[300];
    snprintf(path, sizeof path, "%s/model.bin", wd);
    assert_true(files_equal(model, path));
    apex_coord_stats s;
    apex_coord_get_stats(co.c, &s);
    assert_int_equal(s.dead, 0);
    assert_int_equal(s.alive, 1);
    assert_int_equal(s.registered, 1);
    kill(b, SIGTERM);
    int st;
    waitpid(b, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* SIGTERM is a clean stop */
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

static void write_keys(const char *dir, const char *name, apex_curve_keypair *kp)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s/%s", dir, name);
    assert_int_equal(apex_curve_keygen(kp), APEX_OK);
    assert_int_equal(apex_curve_write(prefix, kp), APEX_OK);
}

static void test_curve_refuses_key_not_on_allow_list(void **state)
{
    (void)state;
    char dir[64], model[128], allow[128], skey[128], spub[128], gkey[128], bkey[128];
    fleet_tmpdir(dir, sizeof dir, "curve");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 500 * KIB, 5);
    apex_curve_keypair server, good, bad;
    write_keys(dir, "server", &server);
    write_keys(dir, "good", &good);
    write_keys(dir, "bad", &bad);
    snprintf(allow, sizeof allow, "%s/allow.txt", dir);
    FILE *f = fopen(allow, "w");
    fprintf(f, "%s good\n", good.public_z85);
    fclose(f);
    snprintf(skey, sizeof skey, "%s/server.key", dir);
    snprintf(spub, sizeof spub, "%s/server.pub", dir);
    snprintf(gkey, sizeof gkey, "%s/good.key", dir);
    snprintf(bkey, sizeof bkey, "%s/bad.key", dir);

    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    cfg.insecure = 0;
    cfg.server_key_path = skey;
    cfg.allowlist_path = allow;
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);

    /* A key that is not on the allow-list: the handshake is refused. */
    client_thread cl;
    client_cfg(&cl, apex_coord_endpoint(co.c), dir, 0);
    snprintf(cl.id, sizeof cl.id, "bad");
    cl.cfg.insecure = 0;
    cl.cfg.key_path = bkey;
    cl.cfg.server_pub_path = spub;
    cl.cfg.timeout_s = 20;
    client_thread_start(&cl);
    client_thread_join(&cl);
    assert_int_equal(cl.rc, APEX_ERR_AUTH);
    assert_true(cl.res.auth_failures >= 1);
    assert_false(cl.res.model_sha256_ok);

    /* The listed key under another client id is refused by the coordinator. */
    client_cfg(&cl, apex_coord_endpoint(co.c), dir, 0);
    snprintf(cl.id, sizeof cl.id, "impostor");
    cl.cfg.insecure = 0;
    cl.cfg.key_path = gkey;
    cl.cfg.server_pub_path = spub;
    cl.cfg.timeout_s = 20;
    client_thread_start(&cl);
    client_thread_join(&cl);
    assert_int_equal(cl.rc, APEX_ERR_AUTH);

    apex_coord_stats s;
    apex_coord_get_stats(co.c, &s);
    assert_int_equal(s.registered, 0);

    /* The listed key under its own id gets the model. */
    client_cfg(&cl, apex_coord_endpoint(co.c), dir, 0);
    snprintf(cl.id, sizeof cl.id, "good");
    cl.cfg.insecure = 0;
    cl.cfg.key_path = gkey;
    cl.cfg.server_pub_path = spub;
    client_thread_start(&cl);
    client_thread_join(&cl);
    assert_int_equal(cl.rc, APEX_OK);
    assert_true(cl.res.model_sha256_ok);
    assert_true(files_equal(model, cl.res.model_path));
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

#define FLEET 64

static void test_64_clients_over_curve(void **state)
{
    (void)state;
    char dir[64], model[128], allow[128], skey[128], spub[128];
    fleet_tmpdir(dir, sizeof dir, "fleet");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 1 * MIB + 7, 11);
    apex_curve_keypair server, kp;
    write_keys(dir, "server", &server);
    snprintf(skey, sizeof skey, "%s/server.key", dir);
    snprintf(spub, sizeof spub, "%s/server.pub", dir);
    snprintf(allow, sizeof allow, "%s/allow.txt", dir);
    static char keyfiles[FLEET][128];
    FILE *f = fopen(allow, "w");
    for (int i = 0; i < FLEET; i++) {
        char name[32];
        snprintf(name, sizeof name, "client-%d", i);
        write_keys(dir, name, &kp);
        fprintf(f, "%s %s\n", kp.public_z85, name);
        snprintf(keyfiles[i], sizeof keyfiles[i], "%s/%s.key", dir, name);
    }
    fclose(f);
    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    cfg.insecure = 0;
    cfg.heartbeat_ms = 1000;
    cfg.server_key_path = skey;
    cfg.allowlist_path = allow;
    coord_thread co;
    assert_int_equal(coord_thread_start(&co, &cfg), 0);

    static client_thread cl[FLEET];
    for (int i = 0; i < FLEET; i++) {
        client_cfg(&cl[i], apex_coord_endpoint(co.c), dir, i);
        cl[i].cfg.insecure = 0;
        cl[i].cfg.key_path = keyfiles[i];
        cl[i].cfg.server_pub_path = spub;
        cl[i].cfg.timeout_s = 120;
        client_thread_start(&cl[i]);
    }
    int ok = 0;
    for (int i = 0; i < FLEET; i++) {
        client_thread_join(&cl[i]);
        if (cl[i].rc == APEX_OK && cl[i].res.model_sha256_ok &&
            files_equal(model, cl[i].res.model_path))
            ok++;
        else
            fprintf(stderr, "client %d: %s\n", i, apex_strerror(cl[i].rc));
    }
    assert_int_equal(ok, FLEET);
    apex_coord_stats s;
    apex_coord_get_stats(co.c, &s);
    assert_int_equal(s.registered, FLEET);
    assert_int_equal(s.downloads_ok, FLEET);
    assert_int_equal(s.downloads_bad, 0);
    coord_thread_stop(&co);
    fleet_rmtree(dir);
}

static void test_client_reconnects_after_coordinator_restart(void **state)
{
    (void)state;
    char dir[64], model[128], ep[256];
    fleet_tmpdir(dir, sizeof dir, "restart");
    snprintf(model, sizeof model, "%s/model.bin", dir);
    fleet_write_model(model, 700 * KIB, 13);
    apex_coord_config cfg;
    insecure_cfg(&cfg, model);
    coord_thread a;
    assert_int_equal(coord_thread_start(&a, &cfg), 0);
    snprintf(ep, sizeof ep, "%s", apex_coord_endpoint(a.c));

    volatile int stop = 0;
    client_thread cl;
    client_cfg(&cl, ep, dir, 9);
    cl.cfg.exit_after_download = 0; /* a long-lived client */
    cl.cfg.stop_flag = &stop;
    cl.cfg.reconnect_max_ms = 400;
    client_thread_start(&cl);
    probe pa = {a.c, "client-9"};
    assert_true(wait_until(client_ready, &pa, 20000));
    coord_thread_stop(&a);

    /* A new coordinator process on the same endpoint: the client finds it. */
    cfg.bind = ep;
    coord_thread b;
    assert_int_equal(coord_thread_start(&b, &cfg), 0);
    probe pb = {b.c, "client-9"};
    assert_true(wait_until(client_ready, &pb, 20000));
    stop = 1;
    client_thread_join(&cl);
    assert_int_equal(cl.rc, APEX_ERR_INTERRUPTED);
    assert_true(cl.res.model_sha256_ok);
    assert_true(cl.res.reconnects >= 1);
    coord_thread_stop(&b);
    fleet_rmtree(dir);
}

int main(void)
{
    apex_log_init("test", APEX_LOG_WARN, 0);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunked_transfer_resumes_after_forced_disconnect),
        cmocka_unit_test(test_heartbeat_expiry_of_killed_client_process),
        cmocka_unit_test(test_crashed_client_restarts_under_same_id),
        cmocka_unit_test(test_curve_refuses_key_not_on_allow_list),
        cmocka_unit_test(test_64_clients_over_curve),
        cmocka_unit_test(test_client_reconnects_after_coordinator_restart),
    };
    const char *only = getenv("APEX_TEST_FILTER"); /* e.g. "test_64_*" when chasing one test */
    if (only && *only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
