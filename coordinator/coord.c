/* Coordinator: a ROUTER socket on a libuv loop. Registers clients (they speak
 * first), streams the model in credit-based chunks, tracks liveness.
 *
 * ZeroMQ's ZMQ_FD is edge-triggered: it signals only transitions. So the
 * loop drains the socket until ZMQ_EVENTS says no POLLIN, both when the fd
 * fires and in a uv_check after every loop iteration (a send can consume the
 * edge). A uv_idle keeps the loop spinning while a drain stopped at its batch
 * limit, so timers (heartbeats) still run under load. */
#include "coord.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "registry.h"
#include "wire/wire.h"

#define DRAIN_BATCH    256           /* messages handled per drain before yielding to timers */
#define COORD_SNDHWM_X 4             /* per-client send queue = window * this many messages */
#define MODEL_MAX      (64ull << 30) /* refuse model files above 64 GiB */

struct apex_coord {
    apex_coord_config cfg;              /* copy of the configuration (strings borrowed) */
    void *zctx;                         /* ZeroMQ context (owned) */
    void *sock;                         /* ROUTER */
    apex_zap *zap;                      /* allow-list handler (CURVE only) */
    char endpoint[256];                 /* bound endpoint */
    uv_loop_t loop;                     /* event loop (loop thread only) */
    uv_poll_t poll;                     /* watches ZMQ_FD */
    uv_check_t check;                   /* drains after every iteration */
    uv_idle_t idle;                     /* keeps the loop hot while a drain is unfinished */
    uv_timer_t hb_timer;                /* heartbeat and liveness sweep */
    uv_timer_t deadline;                /* overall timeout */
    uv_async_t wake;                    /* apex_coord_stop from other threads */
    uv_signal_t sigint;                 /* SIGINT */
    uv_signal_t sigterm;                /* SIGTERM */
    int idle_on;                        /* idle handle started */
    int timed_out;                      /* the deadline fired */
    int barrier_open;                   /* wait_for clients registered: offers flow */
    uint8_t *model;                     /* mmap'd model file, read-only */
    size_t model_size;                  /* bytes */
    uint8_t model_sha[APEX_SHA256_LEN]; /* SHA-256 of the model */
    char model_id[128];                 /* human name */
    registry reg;                       /* clients */
    pthread_mutex_t mu;                 /* guards stats and reg reads from other threads */
    apex_coord_stats stats;             /* counters */
};

void apex_coord_config_defaults(apex_coord_config *cfg)
{
    if (!cfg->bind)
        cfg->bind = "tcp://*:7700";
    if (!cfg->heartbeat_ms)
        cfg->heartbeat_ms = APEX_WIRE_HEARTBEAT_MS;
    if (!cfg->liveness)
        cfg->liveness = APEX_WIRE_LIVENESS;
    if (!cfg->chunk_bytes)
        cfg->chunk_bytes = APEX_WIRE_CHUNK_BYTES;
    if (!cfg->window)
        cfg->window = APEX_WIRE_WINDOW;
    if (!cfg->fleet_id)
        cfg->fleet_id = "apex";
}

/* ---------------------------------------------------------------- sending */

static int send_to(apex_coord *c, peer *p, Apex__MsgType type, const ProtobufCMessage *body,
                   const void *payload, size_t len)
{
    apex_hdr h = {type, p->id, ++p->seq_out, 0};
    int rc = apex_wire_send(c->sock, (const uint8_t *)p->id, strlen(p->id), &h, body, payload, len,
                            ZMQ_DONTWAIT);
    if (rc == APEX_OK)
        p->last_sent_ms = apex_now_ms();
    else if (rc != APEX_ERR_AGAIN)
        LOG_DEBUG("send %s to %s: %s", apex_wire_type_name(type), p->id, apex_strerror(rc));
    return rc;
}

static void send_error(apex_coord *c, const apex_msg *m, int code, const char *reason)
{
    Apex__Error e = APEX__ERROR__INIT;
    e.code = code;
    e.reason = (char *)reason;
    apex_hdr h = {APEX__MSG_TYPE__MSG_ERROR, m->client_id, 0, m->request_id};
    apex_wire_send(c->sock, m->routing_id, m->routing_len, &h, &e.base, NULL, 0, ZMQ_DONTWAIT);
}

/* ---------------------------------------------------------------- handlers */

static void offer_model(apex_coord *c, peer *p)
{
    Apex__ModelOffer o = APEX__MODEL_OFFER__INIT;
    o.model_id = c->model_id;
    o.size = c->model_size;
    o.sha256.data = c->model_sha;
    o.sha256.len = APEX_SHA256_LEN;
    o.chunk_bytes = c->cfg.chunk_bytes;
    if (send_to(c, p, APEX__MSG_TYPE__MSG_MODEL_OFFER, &o.base, NULL, 0) == APEX_OK &&
        p->offer_s == 0) {
        p->offer_s = apex_now_s();
        pthread_mutex_lock(&c->mu);
        if (c->stats.first_offer_s == 0)
            c->stats.first_offer_s = p->offer_s;
        pthread_mutex_unlock(&c->mu);
    }
}

static void on_register(apex_coord *c, const apex_msg *m)
{
    const Apex__Register *r = (const Apex__Register *)m->body;
    /* The routing id is the client id (clients set ZMQ_ROUTING_ID): a peer
     * cannot register under someone else's id on this connection. */
    if (strcmp(r->client_id, m->client_id) != 0 || m->routing_len != strlen(m->client_id) ||
        memcmp(m->routing_id, m->client_id, m->routing_len) != 0) {
        LOG_WARN("REGISTER: client id '%s' does not match its routing id; dropped", m->client_id);
        send_error(c, m, APEX_ERR_PROTOCOL, "client id must equal the socket routing id");
        return;
    }
    /* An allow-list entry that names a client id admits that key under that id only. */
    if (!c->cfg.insecure && strlen(m->user_id) != APEX_CURVE_Z85_LEN &&
        strcmp(m->user_id, m->client_id) != 0) {
        LOG_WARN("REGISTER: key of '%s' tried to register as '%s'; refused", m->user_id,
                 m->client_id);
        send_error(c, m, APEX_ERR_AUTH, "this key is allowed under another client id");
        return;
    }
    pthread_mutex_lock(&c->mu);
    peer *p = registry_find(&c->reg, m->client_id);
    int is_new = p == NULL;
    if (!p)
        p = registry_add(&c->reg, m->client_id);
    if (p && is_new)
        c->stats.registered++;
    pthread_mutex_unlock(&c->mu);
    if (!p) {
        send_error(c, m, APEX_ERR_TOO_LARGE, "fleet is full");
        return;
    }
    /* Under CURVE the ZAP User-Id binds a client id to one key for the coordinator's lifetime. */
    if (!c->cfg.insecure) {
        if (!p->user_id[0])
            snprintf(p->user_id, sizeof p->user_id, "%s", m->user_id);
        if (strcmp(p->user_id, m->user_id) != 0) {
            LOG_WARN("REGISTER: client %s came back with a different key; refused", p->id);
            send_error(c, m, APEX_ERR_AUTH, "client id is bound to another key");
            return;
        }
    }
    pthread_mutex_lock(&c->mu);
    if (p->state == PEER_DEAD || is_new)
        c->stats.alive++;
    if (p->state == PEER_DEAD)
        p->state = p->download_ok ? PEER_READY : PEER_REGISTERED;
    p->sessions++;
    pthread_mutex_unlock(&c->mu);
    p->last_seen_ms = apex_now_ms();
    LOG_INFO("client %s registered (session %u, caps 0x%x, version %s)", p->id, p->sessions,
             r->caps, r->version[0] ? r->version : "?");

    Apex__RegisterAck a = APEX__REGISTER_ACK__INIT;
    a.heartbeat_ms = c->cfg.heartbeat_ms;
    a.liveness = c->cfg.liveness;
    a.chunk_bytes = c->cfg.chunk_bytes;
    a.window = c->cfg.window;
    a.fleet_id = (char *)c->cfg.fleet_id;
    send_to(c, p, APEX__MSG_TYPE__MSG_REGISTER_ACK, &a.base, NULL, 0);
    if (c->barrier_open) {
        offer_model(c, p);
    } else if (c->stats.registered >= c->cfg.wait_for) {
        LOG_INFO("%u clients registered: starting the round", c->stats.registered);
        c->barrier_open = 1;
        for (size_t i = 0; i < c->reg.n; i++)
            if (c->reg.peers[i].state != PEER_DEAD)
                offer_model(c, &c->reg.peers[i]);
    }
}

static void on_chunk_request(apex_coord *c, peer *p, const apex_msg *m)
{
    const Apex__ChunkRequest *q = (const Apex__ChunkRequest *)m->body;
    if (q->sha256.len != APEX_SHA256_LEN || memcmp(q->sha256.data, c->model_sha, 32) != 0) {
        send_error(c, m, APEX_ERR_NOT_FOUND, "unknown model");
        return;
    }
    if (q->offset >= c->model_size || q->offset % c->cfg.chunk_bytes != 0) {
        LOG_WARN("client %s asked for bad offset %llu", p->id, (unsigned long long)q->offset);
        send_error(c, m, APEX_ERR_RANGE, "chunk offset out of range or unaligned");
        return;
    }
    size_t len = c->model_size - q->offset;
    if (len > c->cfg.chunk_bytes)
        len = c->cfg.chunk_bytes;
    Apex__Chunk ch = APEX__CHUNK__INIT;
    ch.sha256.data = c->model_sha;
    ch.sha256.len = APEX_SHA256_LEN;
    ch.offset = q->offset;
    ch.total_size = c->model_size;
    ch.length = (uint32_t)len;
    /* Zero copy: ZeroMQ reads straight from the mapping, which outlives the context. */
    int rc = send_to(c, p, APEX__MSG_TYPE__MSG_CHUNK, &ch.base, c->model + q->offset, len);
    if (rc == APEX_OK) {
        p->bytes_sent += len;
        pthread_mutex_lock(&c->mu);
        c->stats.bytes_sent += len;
        pthread_mutex_unlock(&c->mu);
    } else if (rc == APEX_ERR_AGAIN) {
        /* Over its credit: the client re-requests what it does not receive. */
        LOG_DEBUG("client %s send queue full; chunk %llu dropped", p->id,
                  (unsigned long long)q->offset);
    }
}

static void maybe_finish(apex_coord *c)
{
    uint32_t want = c->cfg.expect_clients;
    if (want && c->stats.downloads_ok + c->stats.downloads_bad >= want) {
        LOG_INFO("all %u expected downloads finished", want);
        uv_stop(&c->loop);
    }
}

static void on_download_done(apex_coord *c, peer *p, const apex_msg *m)
{
    const Apex__DownloadDone *d = (const Apex__DownloadDone *)m->body;
    if (d->sha256.len != APEX_SHA256_LEN || memcmp(d->sha256.data, c->model_sha, 32) != 0) {
        send_error(c, m, APEX_ERR_NOT_FOUND, "unknown model");
        return;
    }
    if (p->download_ok)
        return; /* a retry of an already recorded report */
    pthread_mutex_lock(&c->mu);
    p->done_s = apex_now_s();
    p->client_seconds = d->seconds;
    if (d->ok) {
        p->download_ok = 1;
        p->state = PEER_READY;
        c->stats.downloads_ok++;
    } else {
        c->stats.downloads_bad++;
    }
    c->stats.last_done_s = p->done_s;
    pthread_mutex_unlock(&c->mu);
    LOG_INFO("client %s download %s (%.2f s, %llu bytes this session)", p->id,
             d->ok ? "verified" : "FAILED hash check", d->seconds,
             (unsigned long long)d->bytes_received);
    maybe_finish(c);
}

static void handle(apex_coord *c, apex_msg *m)
{
    if (m->type == APEX__MSG_TYPE__MSG_REGISTER) {
        on_register(c, m);
        return;
    }
    peer *p = registry_find(&c->reg, m->client_id);
    if (!p || m->routing_len != strlen(p->id) || memcmp(m->routing_id, p->id, m->routing_len)) {
        LOG_DEBUG("%s from unregistered '%s'; asking it to register", apex_wire_type_name(m->type),
                  m->client_id);
        send_error(c, m, APEX_ERR_STATE, "not registered");
        return;
    }
    if (!c->cfg.insecure && strcmp(p->user_id, m->user_id) != 0) {
        send_error(c, m, APEX_ERR_AUTH, "client id is bound to another key");
        return;
    }
    if (p->state == PEER_DEAD) {
        /* A dead peer must register again: its session state is gone. */
        send_error(c, m, APEX_ERR_STATE, "declared dead; register again");
        return;
    }
    p->last_seen_ms = apex_now_ms(); /* any message counts as a heartbeat */
    switch (m->type) {
    case APEX__MSG_TYPE__MSG_CHUNK_REQUEST:
        on_chunk_request(c, p, m);
        break;
    case APEX__MSG_TYPE__MSG_DOWNLOAD_DONE:
        on_download_done(c, p, m);
        break;
    case APEX__MSG_TYPE__MSG_HEARTBEAT:
        break;
    case APEX__MSG_TYPE__MSG_BYE:
        LOG_INFO("client %s said goodbye", p->id);
        pthread_mutex_lock(&c->mu);
        p->state = PEER_DEAD;
        c->stats.alive--;
        pthread_mutex_unlock(&c->mu);
        break;
    case APEX__MSG_TYPE__MSG_ERROR: {
        const Apex__Error *e = (const Apex__Error *)m->body;
        LOG_WARN("client %s reports error %d: %s", p->id, e->code, e->reason);
        break;
    }
    default:
        LOG_WARN("unexpected %s from %s; dropped", apex_wire_type_name(m->type), p->id);
        pthread_mutex_lock(&c->mu);
        c->stats.rejected_msgs++;
        pthread_mutex_unlock(&c->mu);
        break;
    }
}

/* ---------------------------------------------------------------- loop plumbing */

static void on_idle(uv_idle_t *h)
{
    (void)h; /* its only job is to make the loop poll without blocking */
}

static void drain(apex_coord *c)
{
    for (int i = 0; i < DRAIN_BATCH; i++) {
        uint32_t ev = 0;
        size_t evlen = sizeof ev;
        if (zmq_getsockopt(c->sock, ZMQ_EVENTS, &ev, &evlen) != 0 || !(ev & ZMQ_POLLIN)) {
            if (c->idle_on) {
                uv_idle_stop(&c->idle);
                c->idle_on = 0;
            }
            return;
        }
        apex_msg m;
        int rc = apex_wire_recv(c->sock, 1, &m, ZMQ_DONTWAIT);
        if (rc == APEX_ERR_AGAIN) {
            apex_msg_clear(&m);
            continue;
        }
        if (rc != APEX_OK) {
            char rid[65] = "";
            apex_hex(m.routing_id, m.routing_len < 32 ? m.routing_len : 32, rid);
            LOG_WARN("dropped message from peer %s (id '%s', type %s): %s", rid, m.client_id,
                     apex_wire_type_name(m.type), apex_strerror(rc));
            pthread_mutex_lock(&c->mu);
            c->stats.rejected_msgs++;
            pthread_mutex_unlock(&c->mu);
            if (rc == APEX_ERR_VERSION && m.routing_len)
                send_error(c, &m, APEX_ERR_VERSION, "unsupported wire version");
            apex_msg_clear(&m);
            continue;
        }
        handle(c, &m);
        apex_msg_clear(&m);
    }
    if (!c->idle_on) {
        uv_idle_start(&c->idle, on_idle);
        c->idle_on = 1;
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    drain(h->data);
}

static void on_check(uv_check_t *h)
{
    drain(h->data);
}

static void on_heartbeat(uv_timer_t *t)
{
    apex_coord *c = t->data;
    uint64_t now = apex_now_ms();
    uint64_t dead_after = (uint64_t)c->cfg.heartbeat_ms * c->cfg.liveness;
    for (size_t i = 0; i < c->reg.n; i++) {
        peer *p = &c->reg.peers[i];
        if (p->state == PEER_DEAD)
            continue;
        if (now - p->last_seen_ms > dead_after) {
            LOG_WARN("client %s is dead: silent for %llu ms (limit %llu)", p->id,
                     (unsigned long long)(now - p->last_seen_ms), (unsigned long long)dead_after);
            pthread_mutex_lock(&c->mu);
            p->state = PEER_DEAD;
            c->stats.alive--;
            c->stats.dead++;
            pthread_mutex_unlock(&c->mu);
            continue;
        }
        if (now - p->last_sent_ms >= c->cfg.heartbeat_ms)
            send_to(c, p, APEX__MSG_TYPE__MSG_HEARTBEAT, NULL, NULL, 0);
    }
}

static void on_deadline(uv_timer_t *t)
{
    apex_coord *c = t->data;
    LOG_WARN("run timeout of %u s reached; stopping", c->cfg.timeout_s);
    c->timed_out = 1;
    uv_stop(&c->loop);
}

static void on_wake(uv_async_t *a)
{
    uv_stop(a->loop);
}

static void on_signal(uv_signal_t *s, int signum)
{
    LOG_INFO("signal %d: shutting down", signum);
    uv_stop(s->loop);
}

/* ---------------------------------------------------------------- lifecycle */

static int load_model(apex_coord *c)
{
    int fd = open(c->cfg.model_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        LOG_ERROR("model %s: %s", c->cfg.model_path, strerror(errno));
        return errno == ENOENT ? APEX_ERR_NOT_FOUND : APEX_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > MODEL_MAX) {
        LOG_ERROR("model %s: not a regular, non-empty file below 64 GiB", c->cfg.model_path);
        close(fd);
        return APEX_ERR_INVALID;
    }
    c->model_size = (size_t)st.st_size;
    c->model = mmap(NULL, c->model_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (c->model == MAP_FAILED) {
        c->model = NULL;
        return APEX_ERR_IO;
    }
    int rc = apex_sha256(c->model, c->model_size, c->model_sha);
    if (rc != APEX_OK)
        return rc;
    const char *base = strrchr(c->cfg.model_path, '/');
    snprintf(c->model_id, sizeof c->model_id, "%s",
             c->cfg.model_id ? c->cfg.model_id
             : base          ? base + 1
                             : c->cfg.model_path);
    char hex[65];
    apex_hex(c->model_sha, 32, hex);
    LOG_INFO("model %s: %zu bytes, sha256 %s", c->model_id, c->model_size, hex);
    return APEX_OK;
}

static int open_socket(apex_coord *c)
{
    c->sock = zmq_socket(c->zctx, ZMQ_ROUTER);
    if (!c->sock)
        return APEX_ERR_IO;
    int one = 1, hwm = (int)(c->cfg.window * COORD_SNDHWM_X);
    if (apex_wire_socket_defaults(c->sock) != APEX_OK ||
        zmq_setsockopt(c->sock, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_ROUTER_HANDOVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0)
        return APEX_ERR_IO;
    if (c->cfg.insecure) {
        LOG_WARN("--insecure: CURVE is OFF; traffic is plaintext and any client may connect");
    } else {
        apex_curve_keypair kp;
        int rc = c->cfg.server_key_path ? apex_curve_read(c->cfg.server_key_path, &kp)
                                        : APEX_ERR_INVALID;
        if (rc != APEX_OK || !kp.secret_z85[0]) {
            LOG_ERROR("CURVE needs --key FILE with a secret key (apex keygen), or --insecure");
            return rc != APEX_OK ? rc : APEX_ERR_INVALID;
        }
        int err;
        c->zap = apex_zap_new(c->zctx, c->cfg.allowlist_path, &err);
        if (!c->zap)
            return err;
        if ((rc = apex_curve_server(c->sock, &kp)) != APEX_OK)
            return rc;
    }
    if (zmq_bind(c->sock, c->cfg.bind) != 0) {
        LOG_ERROR("bind %s: %s", c->cfg.bind, zmq_strerror(errno));
        return APEX_ERR_IO;
    }
    size_t n = sizeof c->endpoint;
    zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, c->endpoint, &n);
    LOG_INFO("listening on %s (%s)", c->endpoint, c->cfg.insecure ? "insecure" : "CURVE");
    if (c->cfg.endpoint_file) {
        int rc =
            apex_file_write_atomic(c->cfg.endpoint_file, c->endpoint, strlen(c->endpoint), 0644);
        if (rc != APEX_OK)
            return rc;
    }
    return APEX_OK;
}

apex_coord *apex_coord_new(const apex_coord_config *cfg, int *err)
{
    apex_coord *c = calloc(1, sizeof *c);
    if (!c) {
        *err = APEX_ERR_NOMEM;
        return NULL;
    }
    c->cfg = *cfg;
    apex_coord_config_defaults(&c->cfg);
    pthread_mutex_init(&c->mu, NULL);
    registry_init(&c->reg);
    if (!c->cfg.model_path || c->cfg.chunk_bytes > APEX_WIRE_MAX_PAYLOAD) {
        LOG_ERROR("coordinator needs --model FILE and a chunk size of at most %u bytes",
                  APEX_WIRE_MAX_PAYLOAD);
        *err = APEX_ERR_INVALID;
        apex_coord_destroy(&c);
        return NULL;
    }
    c->zctx = zmq_ctx_new();
    *err = c->zctx ? load_model(c) : APEX_ERR_IO;
    if (*err == APEX_OK)
        *err = open_socket(c);
    if (*err != APEX_OK) {
        apex_coord_destroy(&c);
        return NULL;
    }
    uv_loop_init(&c->loop);
    int fd;
    size_t fdlen = sizeof fd;
    zmq_getsockopt(c->sock, ZMQ_FD, &fd, &fdlen);
    uv_poll_init(&c->loop, &c->poll, fd);
    uv_check_init(&c->loop, &c->check);
    uv_idle_init(&c->loop, &c->idle);
    uv_timer_init(&c->loop, &c->hb_timer);
    uv_timer_init(&c->loop, &c->deadline);
    uv_async_init(&c->loop, &c->wake, on_wake);
    uv_signal_init(&c->loop, &c->sigint);
    uv_signal_init(&c->loop, &c->sigterm);
    c->poll.data = c->check.data = c->idle.data = c;
    c->hb_timer.data = c->deadline.data = c->wake.data = c;
    c->barrier_open = c->cfg.wait_for == 0;
    return c;
}

int apex_coord_run(apex_coord *c)
{
    uv_poll_start(&c->poll, UV_READABLE, on_poll);
    uv_check_start(&c->check, on_check);
    uv_timer_start(&c->hb_timer, on_heartbeat, c->cfg.heartbeat_ms, c->cfg.heartbeat_ms);
    if (c->cfg.timeout_s)
        uv_timer_start(&c->deadline, on_deadline, (uint64_t)c->cfg.timeout_s * 1000, 0);
    if (c->cfg.handle_signals) {
        uv_signal_start(&c->sigint, on_signal, SIGINT);
        uv_signal_start(&c->sigterm, on_signal, SIGTERM);
    }
    drain(c); /* messages may have queued before the fd was watched */
    uv_run(&c->loop, UV_RUN_DEFAULT);

    /* Say goodbye so clients stop at once instead of waiting for liveness. */
    for (size_t i = 0; i < c->reg.n; i++)
        if (c->reg.peers[i].state != PEER_DEAD)
            send_to(c, &c->reg.peers[i], APEX__MSG_TYPE__MSG_BYE, NULL, NULL, 0);
    uv_poll_stop(&c->poll);
    uv_check_stop(&c->check);
    uv_idle_stop(&c->idle);
    uv_timer_stop(&c->hb_timer);
    uv_timer_stop(&c->deadline);
    uv_signal_stop(&c->sigint);
    uv_signal_stop(&c->sigterm);
    return c->timed_out ? APEX_ERR_TIMEOUT : APEX_OK;
}

void apex_coord_stop(apex_coord *c)
{
    uv_async_send(&c->wake);
}

const char *apex_coord_endpoint(const apex_coord *c)
{
    return c->endpoint;
}

void apex_coord_get_stats(apex_coord *c, apex_coord_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

void apex_coord_get_client(apex_coord *c, const char *client_id, apex_coord_client_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->mu);
    peer *p = registry_find(&c->reg, client_id);
    if (p) {
        out->known = 1;
        out->alive = p->state != PEER_DEAD;
        out->download_ok = p->download_ok;
        out->bytes = p->bytes_sent;
        out->sessions = p->sessions;
    }
    pthread_mutex_unlock(&c->mu);
}

static void write_summary(apex_coord *c)
{
    if (!c->cfg.summary_path)
        return;
    json_t *clients = json_array();
    for (size_t i = 0; i < c->reg.n; i++) {
        peer *p = &c->reg.peers[i];
        json_array_append_new(
            clients, json_pack("{s:s, s:b, s:I, s:i, s:f, s:f, s:b}", "id", p->id, "download_ok",
                               p->download_ok, "bytes_sent", (json_int_t)p->bytes_sent, "sessions",
                               (int)p->sessions, "client_seconds", p->client_seconds,
                               "coord_seconds", p->done_s > 0 ? p->done_s - p->offer_s : 0.0,
                               "alive", p->state != PEER_DEAD));
    }
    char hex[65];
    apex_hex(c->model_sha, 32, hex);
    apex_coord_stats s = c->stats;
    double span = s.last_done_s > s.first_offer_s ? s.last_done_s - s.first_offer_s : 0.0;
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:i, s:i, s:i, s:i, s:I, s:I, s:f, s:b, s:o}",
                          "endpoint", c->endpoint, "model_id", c->model_id, "model_bytes",
                          (json_int_t)c->model_size, "model_sha256", hex, "registered",
                          (int)s.registered, "dead", (int)s.dead, "downloads_ok",
                          (int)s.downloads_ok, "downloads_bad", (int)s.downloads_bad, "bytes_sent",
                          (json_int_t)s.bytes_sent, "rejected_msgs", (json_int_t)s.rejected_msgs,
                          "transfer_seconds", span, "timed_out", c->timed_out, "clients", clients);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    if (text)
        apex_file_write_atomic(c->cfg.summary_path, text, strlen(text), 0644);
    free(text);
    json_decref(o);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void apex_coord_destroy(apex_coord **cp)
{
    if (!cp || !*cp)
        return;
    apex_coord *c = *cp;
    write_summary(c);
    if (c->poll.loop) {
        uv_walk(&c->loop, close_walk, NULL);
        uv_run(&c->loop, UV_RUN_DEFAULT);
        uv_loop_close(&c->loop);
    }
    apex_zap_destroy(&c->zap);
    if (c->sock) {
        int linger = 200; /* ms: let the BYE messages out */
        zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_close(c->sock);
    }
    if (c->zctx)
        zmq_ctx_term(c->zctx); /* returns once ZeroMQ released every chunk frame */
    if (c->model)
        munmap(c->model, c->model_size);
    registry_free(&c->reg);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}
