/* Client: a DEALER that registers, downloads the model in credit-based
 * chunks with resume, verifies its SHA-256, heartbeats, and reconnects with
 * back-off when the coordinator goes away. Single-threaded zmq_poll loop;
 * long work (personalization, proving) will run on a worker thread. */
#include "client.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "core/core.h"
#include "wire/wire.h"

#define CLIENT_MAX_MODEL   (64ull << 30) /* refuse offers above 64 GiB */
#define CLIENT_AUTH_GIVEUP 3             /* refused handshakes before giving up */
#define CLIENT_POLL_MS     50            /* loop tick */
#define CLIENT_VERSION     "apex-client 0.1"

typedef struct cl {
    const apex_client_config *cfg; /* configuration */
    apex_client_result *res;       /* results being filled in */
    void *zctx;                    /* ZeroMQ context */
    void *sock;                    /* DEALER to the coordinator, NULL while backing off */
    void *mon;                     /* PAIR receiving socket monitor events */
    apex_curve_keypair kp;         /* our CURVE keys */
    apex_curve_keypair server;     /* coordinator public key */
    uint64_t seq;                  /* our sequence number */
    uint32_t hb_ms;                /* heartbeat interval in force */
    uint32_t liveness;             /* misses before the coordinator is presumed gone */
    uint32_t window;               /* chunk requests in flight */
    uint64_t last_recv_ms;         /* last message from the coordinator */
    uint64_t last_send_ms;         /* last message to it */
    uint64_t connected_ms;         /* when the current session started */
    uint64_t reconnect_at_ms;      /* while sock == NULL: when to connect again */
    uint32_t backoff_ms;           /* next back-off */
    int registered;                /* REGISTER_ACK received this session */
    uint32_t sessions;             /* connections made */
    apex_rng jitter;               /* back-off jitter */
    /* download state, kept across reconnects so a download resumes */
    int have_offer;               /* an offer is being downloaded */
    uint8_t sha[APEX_SHA256_LEN]; /* offered model hash */
    uint64_t size;                /* offered model size */
    uint32_t chunk;               /* chunk size */
    uint64_t nchunks;             /* chunks in the model */
    uint8_t *got;                 /* [nchunks] 1 once written */
    uint64_t nrecv;               /* chunks written */
    uint64_t cursor;              /* next chunk index to consider requesting */
    uint64_t in_flight;           /* requests outstanding */
    uint64_t last_progress_ms;    /* last chunk arrival or request burst */
    uint8_t *buf;                 /* [size] the model being downloaded, in memory */
    uint64_t hashed;              /* bytes of buf already fed to the running hash */
    apex_sha256_ctx *hash;        /* SHA-256 over buf[0, hashed), advanced in order */
    char final_path[512];         /* model.bin, written once verified */
    double t_offer;               /* first offer (monotonic s) */
    int done;                     /* model verified and reported */
    int dropped_once;             /* fault injection already fired */
    int fatal;                    /* an error that ends the run (e.g. APEX_ERR_AUTH) */
} cl;

void apex_client_config_defaults(apex_client_config *cfg)
{
    if (!cfg->heartbeat_ms)
        cfg->heartbeat_ms = APEX_WIRE_HEARTBEAT_MS;
    if (!cfg->liveness)
        cfg->liveness = APEX_WIRE_LIVENESS;
    if (!cfg->window)
        cfg->window = APEX_WIRE_WINDOW;
    if (!cfg->reconnect_min_ms)
        cfg->reconnect_min_ms = 100;
    if (!cfg->reconnect_max_ms)
        cfg->reconnect_max_ms = 5000;
    if (!cfg->workdir)
        cfg->workdir = ".";
}

static int send_msg(cl *c, Apex__MsgType type, const ProtobufCMessage *body)
{
    if (!c->sock)
        return APEX_ERR_STATE;
    apex_hdr h = {type, c->cfg->client_id, ++c->seq, 0};
    int rc = apex_wire_send(c->sock, NULL, 0, &h, body, NULL, 0, ZMQ_DONTWAIT);
    if (rc == APEX_OK)
        c->last_send_ms = apex_now_ms();
    return rc;
}

/* ---------------------------------------------------------------- connection */

static void disconnect(cl *c)
{
    if (c->mon) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
    if (c->sock) {
        zmq_socket_monitor(c->sock, NULL, 0);
        zmq_close(c->sock);
        c->sock = NULL;
    }
    c->registered = 0;
    c->in_flight = 0;
}

static int connect_now(cl *c)
{
    disconnect(c);
    c->sock = zmq_socket(c->zctx, ZMQ_DEALER);
    if (!c->sock)
        return APEX_ERR_IO;
    const char *id = c->cfg->client_id;
    int rc = apex_wire_socket_defaults(c->sock);
    if (rc == APEX_OK && zmq_setsockopt(c->sock, ZMQ_ROUTING_ID, id, strlen(id)) != 0)
        rc = APEX_ERR_INVALID;
    if (rc == APEX_OK && !c->cfg->insecure)
        rc = apex_curve_client(c->sock, &c->kp, c->server.public_z85);
    char mon_ep[64];
    snprintf(mon_ep, sizeof mon_ep, "inproc://apex-mon-%u", c->sessions);
    if (rc == APEX_OK &&
        zmq_socket_monitor(c->sock, mon_ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0) {
        c->mon = zmq_socket(c->zctx, ZMQ_PAIR);
        if (!c->mon || zmq_connect(c->mon, mon_ep) != 0)
            rc = APEX_ERR_IO;
    }
    if (rc == APEX_OK && zmq_connect(c->sock, c->cfg->connect) != 0) {
        LOG_ERROR("connect %s: %s", c->cfg->connect, zmq_strerror(errno));
        rc = APEX_ERR_INVALID;
    }
    if (rc != APEX_OK) {
        disconnect(c);
        return rc;
    }
    c->sessions++;
    if (c->sessions > 1)
        c->res->reconnects++;
    c->connected_ms = c->last_recv_ms = apex_now_ms();
    Apex__Register r = APEX__REGISTER__INIT;
    r.client_id = (char *)id;
    r.version = CLIENT_VERSION;
    if (c->have_offer) {
        r.have_sha256.data = c->sha;
        r.have_sha256.len = APEX_SHA256_LEN;
        r.have_bytes = c->nrecv * c->chunk;
    }
    LOG_INFO("connecting to %s (session %u)", c->cfg->connect, c->sessions);
    return send_msg(c, APEX__MSG_TYPE__MSG_REGISTER, &r.base) == APEX_OK ? APEX_OK : APEX_ERR_IO;
}

/* Lost the coordinator: drop the socket and retry after a jittered back-off. */
static void schedule_reconnect(cl *c, const char *why)
{
    uint32_t b = c->backoff_ms;
    uint32_t jitter = (uint32_t)apex_rng_below(&c->jitter, b / 2 + 1);
    LOG_WARN("%s; reconnecting in %u ms", why, b + jitter);
    disconnect(c);
    c->reconnect_at_ms = apex_now_ms() + b + jitter;
    c->backoff_ms = b * 2 > c->cfg->reconnect_max_ms ? c->cfg->reconnect_max_ms : b * 2;
}

/* Monitor events: a refused CURVE handshake is the one thing the DEALER would otherwise hide. */
static int poll_monitor(cl *c)
{
    for (;;) {
        zmq_msg_t ev, addr;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return APEX_OK;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&ev) >= 2)
            memcpy(&event, zmq_msg_data(&ev), 2);
        int more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) {
            zmq_msg_init(&addr);
            zmq_msg_recv(&addr, c->mon, 0);
            zmq_msg_close(&addr);
        }
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
            c->res->auth_failures++;
            LOG_ERROR("coordinator refused our CURVE key (not on its allow-list?) [%u]",
                      c->res->auth_failures);
            if (c->res->auth_failures >= CLIENT_AUTH_GIVEUP && c->sessions <= 1 && !c->registered)
                return APEX_ERR_AUTH;
        } else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
            LOG_ERROR("handshake with coordinator failed (wrong server key or --insecure "
                      "mismatch?)");
        }
    }
}

/* ---------------------------------------------------------------- download */

/* Model buffers are large: map them directly and ask for huge pages, so that
 * first touch costs a few faults instead of one per 4 KiB page. */
static uint8_t *alloc_model(uint64_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

static void free_model(cl *c)
{
    if (c->buf)
        munmap(c->buf, c->size);
    c->buf = NULL;
}

static void reset_download(cl *c)
{
    free(c->got);
    c->got = NULL;
    free_model(c);
    c->buf = NULL;
    apex_sha256_destroy(&c->hash);
    c->hashed = 0;
    c->have_offer = 0;
    c->nrecv = c->cursor = c->in_flight = 0;
}

static void request_more(cl *c)
{
    while (c->sock && c->registered && c->in_flight < c->window && c->cursor < c->nchunks) {
        uint64_t i = c->cursor++;
        if (c->got[i])
            continue;
        Apex__ChunkRequest q = APEX__CHUNK_REQUEST__INIT;
        q.sha256.data = c->sha;
        q.sha256.len = APEX_SHA256_LEN;
        q.offset = i * c->chunk;
        if (send_msg(c, APEX__MSG_TYPE__MSG_CHUNK_REQUEST, &q.base) != APEX_OK) {
            c->cursor--;
            break;
        }
        c->in_flight++;
    }
    /* Past the end with chunks missing: a request or reply was lost; rescan. */
    if (c->cursor >= c->nchunks && c->in_flight == 0 && c->nrecv < c->nchunks)
        c->cursor = 0;
}

static void report_done(cl *c, int ok)
{
    Apex__DownloadDone d = APEX__DOWNLOAD_DONE__INIT;
    d.sha256.data = c->sha;
    d.sha256.len = APEX_SHA256_LEN;
    d.ok = ok;
    d.bytes_received = c->res->bytes_received;
    d.seconds = c->res->seconds;
    send_msg(c, APEX__MSG_TYPE__MSG_DOWNLOAD_DONE, &d.base);
}

/* Feed the running hash every contiguous chunk from `hashed` on, so the
 * final check costs nothing extra and the data is hashed while cache-hot. */
static void advance_hash(cl *c)
{
    while (c->hashed < c->size && c->got[c->hashed / c->chunk]) {
        uint64_t n = c->size - c->hashed < c->chunk ? c->size - c->hashed : c->chunk;
        apex_sha256_update(c->hash, c->buf + c->hashed, n);
        c->hashed += n;
    }
}

static void finish_download(cl *c)
{
    uint8_t h[APEX_SHA256_LEN];
    int rc = apex_sha256_final(c->hash, h);
    if (rc == APEX_OK && memcmp(h, c->sha, APEX_SHA256_LEN) != 0)
        rc = APEX_ERR_HASH;
    /* Persist only a verified model, atomically: a crash never leaves a bad model.bin. */
    if (rc == APEX_OK && !c->cfg->no_persist)
        rc = apex_file_write_atomic(c->final_path, c->buf, c->size, 0600);
    c->res->seconds = apex_now_s() - c->t_offer;
    c->res->model_bytes = c->size;
    if (rc == APEX_OK) {
        c->res->model_sha256_ok = 1;
        snprintf(c->res->model_path, sizeof c->res->model_path, "%s",
                 c->cfg->no_persist ? "(verified, not kept)" : c->final_path);
        LOG_INFO("model verified: %llu bytes in %.2f s (%llu bytes received, %u reconnects)",
                 (unsigned long long)c->size, c->res->seconds,
                 (unsigned long long)c->res->bytes_received, c->res->reconnects);
        c->done = 1;
        report_done(c, 1);
        free_model(c); /* the model now lives in model.bin */
    } else {
        LOG_ERROR("model check FAILED (%s); downloading again", apex_strerror(rc));
        report_done(c, 0);
        reset_download(c);
        /* The next offer (we re-register) starts from scratch. */
        schedule_reconnect(c, "discarded a bad download");
    }
}

static void on_offer(cl *c, const Apex__ModelOffer *o)
{
    if (o->sha256.len != APEX_SHA256_LEN || o->size == 0 || o->size > CLIENT_MAX_MODEL ||
        o->chunk_bytes == 0 || o->chunk_bytes > APEX_WIRE_MAX_PAYLOAD) {
        LOG_ERROR("coordinator sent an invalid model offer; ignored");
        return;
    }
    if (c->done && memcmp(c->sha, o->sha256.data, 32) == 0) {
        report_done(c, 1); /* re-registered after finishing: repeat the answer */
        return;
    }
    if (c->have_offer && memcmp(c->sha, o->sha256.data, 32) == 0 && c->size == o->size &&
        c->chunk == o->chunk_bytes) {
        LOG_INFO("resuming download at %llu of %llu chunks", (unsigned long long)c->nrecv,
                 (unsigned long long)c->nchunks);
        c->cursor = 0;
        c->in_flight = 0;
        request_more(c);
        return;
    }
    reset_download(c);
    memcpy(c->sha, o->sha256.data, 32);
    c->size = o->size;
    c->chunk = o->chunk_bytes;
    c->nchunks = (o->size + c->chunk - 1) / c->chunk;
    c->got = calloc(c->nchunks, 1);
    c->buf = c->cfg->no_persist ? NULL : alloc_model(c->size);
    c->hash = apex_sha256_new();
    if (!c->got || (!c->buf && !c->cfg->no_persist) || !c->hash) {
        LOG_ERROR("cannot hold a %llu-byte model in memory", (unsigned long long)c->size);
        reset_download(c);
        return;
    }
    c->have_offer = 1;
    if (c->t_offer == 0)
        c->t_offer = apex_now_s();
    char hex[65];
    apex_hex(c->sha, 32, hex);
    LOG_INFO("offered model %s: %llu bytes, sha256 %.16s..., %llu chunks", o->model_id,
             (unsigned long long)c->size, hex, (unsigned long long)c->nchunks);
    c->last_progress_ms = apex_now_ms();
    request_more(c);
}

static void on_chunk(cl *c, const apex_msg *m)
{
    const Apex__Chunk *ch = (const Apex__Chunk *)m->body;
    if (c->in_flight)
        c->in_flight--;
    if (!c->have_offer || ch->sha256.len != 32 || memcmp(ch->sha256.data, c->sha, 32) != 0 ||
        ch->total_size != c->size || ch->offset % c->chunk != 0 || ch->offset >= c->size) {
        LOG_WARN("unexpected chunk (offset %llu); ignored", (unsigned long long)ch->offset);
        return;
    }
    uint64_t i = ch->offset / c->chunk;
    uint64_t want = c->size - ch->offset < c->chunk ? c->size - ch->offset : c->chunk;
    if (ch->length != want || m->payload_len != want) {
        LOG_WARN("chunk %llu has %zu bytes, expected %llu; ignored", (unsigned long long)i,
                 m->payload_len, (unsigned long long)want);
        return;
    }
    c->res->bytes_received += want;
    c->last_progress_ms = apex_now_ms();
    if (!c->got[i] && !c->buf) {
        /* Verify-only: hash straight from the frame; a chunk that is not the
         * next one in order is dropped and requested again later. */
        if (ch->offset == c->hashed) {
            apex_sha256_update(c->hash, m->payload, want);
            c->hashed += want;
            c->got[i] = 1;
            c->nrecv++;
        }
    } else if (!c->got[i]) {
        memcpy(c->buf + ch->offset, m->payload, want);
        c->got[i] = 1;
        c->nrecv++;
        advance_hash(c);
    }
    if (c->nrecv == c->nchunks) {
        finish_download(c);
        return;
    }
    if (c->cfg->drop_after_bytes && !c->dropped_once &&
        c->res->bytes_received >= c->cfg->drop_after_bytes) {
        c->dropped_once = 1;
        LOG_WARN("fault injection: dropping the connection after %llu bytes",
                 (unsigned long long)c->res->bytes_received);
        disconnect(c);
        c->reconnect_at_ms = apex_now_ms();
        return;
    }
    request_more(c);
}

/* ---------------------------------------------------------------- messages */

static void handle(cl *c, apex_msg *m)
{
    c->last_recv_ms = apex_now_ms(); /* any message counts as a heartbeat */
    switch (m->type) {
    case APEX__MSG_TYPE__MSG_REGISTER_ACK: {
        const Apex__RegisterAck *a = (const Apex__RegisterAck *)m->body;
        c->registered = 1;
        c->backoff_ms = c->cfg->reconnect_min_ms;
        if (a->heartbeat_ms >= 10)
            c->hb_ms = a->heartbeat_ms;
        if (a->liveness >= 1)
            c->liveness = a->liveness;
        if (a->window >= 1 && a->window < c->window)
            c->window = a->window;
        LOG_INFO("registered with fleet %s (heartbeat %u ms x %u)", a->fleet_id, c->hb_ms,
                 c->liveness);
        break;
    }
    case APEX__MSG_TYPE__MSG_MODEL_OFFER:
        on_offer(c, (const Apex__ModelOffer *)m->body);
        break;
    case APEX__MSG_TYPE__MSG_CHUNK:
        on_chunk(c, m);
        break;
    case APEX__MSG_TYPE__MSG_HEARTBEAT:
        break;
    case APEX__MSG_TYPE__MSG_BYE:
        schedule_reconnect(c, "coordinator said goodbye");
        break;
    case APEX__MSG_TYPE__MSG_ERROR: {
        const Apex__Error *e = (const Apex__Error *)m->body;
        LOG_WARN("coordinator error %d (%s): %s", e->code, apex_strerror(e->code), e->reason);
        if (e->code == APEX_ERR_STATE) /* it restarted or declared us dead: register again */
            schedule_reconnect(c, "coordinator does not know this session");
        else if (e->code == APEX_ERR_AUTH) /* our key is bound to another id: retrying won't help */
            c->fatal = APEX_ERR_AUTH;
        break;
    }
    default:
        LOG_WARN("unexpected %s from coordinator; ignored", apex_wire_type_name(m->type));
        break;
    }
}

static void write_report(const apex_client_config *cfg, const apex_client_result *r)
{
    if (!cfg->report_path)
        return;
    json_t *o = json_pack(
        "{s:s, s:b, s:I, s:I, s:f, s:i, s:i, s:s}", "id", cfg->client_id, "model_sha256_ok",
        r->model_sha256_ok, "bytes", (json_int_t)r->model_bytes, "bytes_received",
        (json_int_t)r->bytes_received, "seconds", r->seconds, "reconnects", (int)r->reconnects,
        "auth_failures", (int)r->auth_failures, "model_path", r->model_path);
    char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    if (s)
        apex_file_write_atomic(cfg->report_path, s, strlen(s), 0644);
    free(s);
    json_decref(o);
}

static int load_keys(cl *c)
{
    if (c->cfg->insecure)
        return APEX_OK;
    int rc = c->cfg->key_path ? apex_curve_read(c->cfg->key_path, &c->kp) : APEX_ERR_INVALID;
    if (rc != APEX_OK || !c->kp.secret_z85[0]) {
        LOG_ERROR("CURVE needs --key FILE (our keypair from apex keygen), or --insecure");
        return rc == APEX_OK ? APEX_ERR_INVALID : rc;
    }
    rc = c->cfg->server_pub_path ? apex_curve_read(c->cfg->server_pub_path, &c->server)
                                 : APEX_ERR_INVALID;
    if (rc != APEX_OK)
        LOG_ERROR("CURVE needs --server-key FILE (the coordinator's .pub)");
    return rc;
}

/* One loop tick's timers: liveness, heartbeats, stalls, fault injection. */
static void tick(cl *c, uint64_t now)
{
    uint64_t dead_after = (uint64_t)c->hb_ms * c->liveness;
    if (now - c->last_recv_ms > dead_after) {
        schedule_reconnect(c, "coordinator silent past its liveness");
        return;
    }
    if (now - c->last_send_ms >= c->hb_ms)
        send_msg(c, APEX__MSG_TYPE__MSG_HEARTBEAT, NULL);
    if (c->have_offer && !c->done && c->registered && now - c->last_progress_ms > dead_after) {
        LOG_WARN("download stalled; re-requesting missing chunks");
        c->in_flight = 0;
        c->cursor = 0;
        c->last_progress_ms = now;
        request_more(c);
    }
}

int apex_client_run(const apex_client_config *cfg_in, apex_client_result *out)
{
    apex_client_config cfg = *cfg_in;
    apex_client_config_defaults(&cfg);
    memset(out, 0, sizeof *out);
    if (!cfg.connect || !cfg.client_id || !cfg.client_id[0] ||
        strlen(cfg.client_id) > APEX_WIRE_MAX_CLIENT_ID)
        return APEX_ERR_INVALID;
    cl c = {.cfg = &cfg, .res = out};
    c.hb_ms = cfg.heartbeat_ms;
    c.liveness = cfg.liveness;
    c.window = cfg.window;
    c.backoff_ms = cfg.reconnect_min_ms;
    apex_rng_seed(&c.jitter, apex_now_ms() ^ (uintptr_t)&c);
    int rc = apex_mkdirs(cfg.workdir, 0700);
    if (rc != APEX_OK) {
        LOG_ERROR("cannot create workdir %s", cfg.workdir);
        return rc;
    }
    snprintf(c.final_path, sizeof c.final_path, "%s/model.bin", cfg.workdir);
    if ((rc = load_keys(&c)) != APEX_OK)
        return rc;
    c.zctx = zmq_ctx_new();
    if (!c.zctx)
        return APEX_ERR_IO;
    uint64_t deadline = cfg.timeout_s ? apex_now_ms() + (uint64_t)cfg.timeout_s * 1000 : 0;
    rc = connect_now(&c);
    while (rc == APEX_OK) {
        if (cfg.stop_flag && *cfg.stop_flag) {
            rc = APEX_ERR_INTERRUPTED;
            break;
        }
        uint64_t now = apex_now_ms();
        if (deadline && now > deadline) {
            rc = out->auth_failures && !c.registered ? APEX_ERR_AUTH : APEX_ERR_TIMEOUT;
            LOG_ERROR("giving up after %u s: %s", cfg.timeout_s, apex_strerror(rc));
            break;
        }
        if (c.done && cfg.exit_after_download)
            break;
        if (c.fatal) {
            rc = c.fatal;
            break;
        }
        if (!c.sock) {
            if (now >= c.reconnect_at_ms)
                rc = connect_now(&c);
            else
                usleep(CLIENT_POLL_MS * 1000);
            continue;
        }
        zmq_pollitem_t items[2] = {{c.sock, 0, ZMQ_POLLIN, 0}, {c.mon, 0, ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, c.mon ? 2 : 1, CLIENT_POLL_MS);
        if (n < 0 && errno != EINTR) {
            rc = APEX_ERR_IO;
            break;
        }
        if (c.mon && (items[1].revents & ZMQ_POLLIN) && (rc = poll_monitor(&c)) != APEX_OK)
            break;
        for (int k = 0; c.sock && (items[0].revents & ZMQ_POLLIN) && k < 256; k++) {
            apex_msg m;
            int r = apex_wire_recv(c.sock, 0, &m, ZMQ_DONTWAIT);
            if (r == APEX_ERR_AGAIN) {
                apex_msg_clear(&m);
                break;
            }
            if (r != APEX_OK)
                LOG_WARN("dropped a malformed message from the coordinator: %s", apex_strerror(r));
            else
                handle(&c, &m);
            apex_msg_clear(&m);
        }
        if (c.sock)
            tick(&c, apex_now_ms());
    }
    if (c.sock && c.done)
        send_msg(&c, APEX__MSG_TYPE__MSG_BYE, NULL);
    if (c.sock) {
        int linger = 200; /* ms: let DOWNLOAD_DONE and BYE out */
        zmq_setsockopt(c.sock, ZMQ_LINGER, &linger, sizeof linger);
    }
    if (c.mon) {
        zmq_close(c.mon);
        c.mon = NULL;
    }
    if (c.sock) {
        zmq_socket_monitor(c.sock, NULL, 0);
        zmq_close(c.sock);
    }
    zmq_ctx_term(c.zctx);
    reset_download(&c);
    write_report(&cfg, out);
    if (rc == APEX_OK && !out->model_sha256_ok && cfg.exit_after_download)
        rc = APEX_ERR_HASH;
    return rc;
}
