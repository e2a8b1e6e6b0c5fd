/* CurveZMQ keys and a ZAP handler enforcing a client-key allow-list. */
#include "wire/wire.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_KEYS 100000 /* allow-list entries */
#define ZAP_POLL_MS  100    /* how often the thread checks for stop */
#define KEYFILE_MAX  4096   /* bytes of a key file */

int apex_curve_keygen(apex_curve_keypair *kp)
{
    memset(kp, 0, sizeof *kp);
    if (zmq_curve_keypair(kp->public_z85, kp->secret_z85) != 0)
        return errno == ENOTSUP ? APEX_ERR_UNSUPPORTED : APEX_ERR_CRYPTO;
    return APEX_OK;
}

int apex_curve_write(const char *prefix, const apex_curve_keypair *kp)
{
    char path[4096], text[256];
    int n = snprintf(text, sizeof text,
                     "# apex CURVE keypair: keep this file private\npublic = %s\nsecret = %s\n",
                     kp->public_z85, kp->secret_z85);
    snprintf(path, sizeof path, "%s.key", prefix);
    int rc = apex_file_write_atomic(path, text, (size_t)n, 0600);
    if (rc != APEX_OK)
        return rc;
    n = snprintf(text, sizeof text, "# apex CURVE public key\npublic = %s\n", kp->public_z85);
    snprintf(path, sizeof path, "%s.pub", prefix);
    return apex_file_write_atomic(path, text, (size_t)n, 0644);
}

/* A Z85 key is 40 characters that decode to 32 bytes. */
static int valid_z85_key(const char *s)
{
    uint8_t raw[32];
    return strlen(s) == APEX_CURVE_Z85_LEN && zmq_z85_decode(raw, s) != NULL;
}

int apex_curve_read(const char *path, apex_curve_keypair *kp)
{
    memset(kp, 0, sizeof *kp);
    uint8_t *buf;
    size_t len;
    int rc = apex_file_read_all(path, KEYFILE_MAX, &buf, &len);
    if (rc != APEX_OK)
        return rc;
    char *save = NULL;
    for (char *line = strtok_r((char *)buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char key[16], val[64];
        if (line[0] == '#' || sscanf(line, " %15[a-z] = %63s", key, val) != 2)
            continue;
        if (strcmp(key, "public") == 0 && valid_z85_key(val))
            memcpy(kp->public_z85, val, APEX_CURVE_Z85_LEN + 1);
        else if (strcmp(key, "secret") == 0 && valid_z85_key(val))
            memcpy(kp->secret_z85, val, APEX_CURVE_Z85_LEN + 1);
        else {
            free(buf);
            return APEX_ERR_FORMAT;
        }
    }
    free(buf);
    return kp->public_z85[0] ? APEX_OK : APEX_ERR_FORMAT;
}

int apex_curve_server(void *sock, const apex_curve_keypair *server)
{
    int one = 1;
    if (!server->secret_z85[0])
        return APEX_ERR_INVALID;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, server->secret_z85, APEX_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, APEX_WIRE_ZAP_DOMAIN, strlen(APEX_WIRE_ZAP_DOMAIN)) !=
            0)
        return APEX_ERR_CRYPTO;
    return APEX_OK;
}

int apex_curve_client(void *sock, const apex_curve_keypair *client, const char *server_public_z85)
{
    if (!client->secret_z85[0] || !valid_z85_key(server_public_z85))
        return APEX_ERR_INVALID;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public_z85, APEX_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, client->public_z85, APEX_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, client->secret_z85, APEX_CURVE_Z85_LEN) != 0)
        return APEX_ERR_CRYPTO;
    return APEX_OK;
}

/* ---------------------------------------------------------------- ZAP */

struct zap_entry {
    uint8_t key[32]; /* client public key, raw */
    char name[64];   /* User-Id handed to the application */
};

struct apex_zap {
    void *sock;                   /* REP bound to ZAP_ENDPOINT (owned by the thread) */
    pthread_t thread;             /* handler thread */
    atomic_int stop;              /* set by destroy */
    atomic_uint_least64_t denied; /* handshakes refused */
    int allow_all;                /* no allow-list given */
    struct zap_entry *keys;       /* allow-list */
    size_t nkeys;                 /* entries in keys */
};

static int load_allowlist(apex_zap *z, const char *path)
{
    uint8_t *buf;
    size_t len;
    int rc = apex_file_read_all(path, (size_t)ZAP_MAX_KEYS * 128, &buf, &len);
    if (rc != APEX_OK) {
        LOG_ERROR("allow-list %s: %s", path, apex_strerror(rc));
        return rc;
    }
    size_t cap = 16;
    z->keys = calloc(cap, sizeof *z->keys);
    if (!z->keys) {
        free(buf);
        return APEX_ERR_NOMEM;
    }
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r((char *)buf, "\n", &save); line && rc == APEX_OK;
         line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char key[64] = "", name[64] = "";
        if (sscanf(line, " %63s %63s", key, name) < 1 || key[0] == '#')
            continue;
        if (!valid_z85_key(key)) {
            LOG_ERROR("allow-list %s:%d: not a Z85 public key", path, lineno);
            rc = APEX_ERR_FORMAT;
            break;
        }
        if (z->nkeys == cap) {
            if (cap * 2 > ZAP_MAX_KEYS) {
                rc = APEX_ERR_TOO_LARGE;
                break;
            }
            struct zap_entry *nk = realloc(z->keys, cap * 2 * sizeof *nk);
            if (!nk) {
                rc = APEX_ERR_NOMEM;
                break;
            }
            cap *= 2;
            z->keys = nk;
        }
        struct zap_entry *e = &z->keys[z->nkeys++];
        zmq_z85_decode(e->key, key);
        snprintf(e->name, sizeof e->name, "%s", name[0] ? name : key);
    }
    free(buf);
    if (rc == APEX_OK)
        LOG_INFO("allow-list %s: %zu client keys", path, z->nkeys);
    return rc;
}

static const struct zap_entry *zap_lookup(const apex_zap *z, const uint8_t key[32])
{
    for (size_t i = 0; i < z->nkeys; i++)
        if (apex_memeq_ct(z->keys[i].key, key, 32) == 0)
            return &z->keys[i];
    return NULL;
}

static void zap_reply(void *sock, const char *reqid, size_t reqid_len, const char *code,
                      const char *text, const char *user)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(sock, reqid, reqid_len, ZMQ_SNDMORE);
    zmq_send(sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* One ZAP request: version, request id, domain, address, identity, mechanism, credentials. */
static void zap_handle(apex_zap *z)
{
    char frames[7][256];
    size_t sizes[7] = {0};
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->sock, 0) < 0) {
            zmq_msg_close(&m);
            return;
        }
        if (n < 7) {
            size_t s = zmq_msg_size(&m);
            sizes[n] = s < sizeof frames[n] ? s : sizeof frames[n];
            memcpy(frames[n], zmq_msg_data(&m), sizes[n]);
        }
        more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        n++;
    }
    if (n < 6) /* REP must still answer something: malformed request */
        return zap_reply(z->sock, "", 0, "500", "malformed ZAP request", "");
    const char *reqid = frames[1];
    size_t reqid_len = sizes[1];
    char address[64] = "";
    memcpy(address, frames[3], sizes[3] < sizeof address - 1 ? sizes[3] : sizeof address - 1);
    if (sizes[5] != 5 || memcmp(frames[5], "CURVE", 5) != 0 || n != 7 || sizes[6] != 32) {
        atomic_fetch_add(&z->denied, 1);
        LOG_WARN("ZAP: refused non-CURVE handshake from %s", address);
        return zap_reply(z->sock, reqid, reqid_len, "400", "CURVE required", "");
    }
    const uint8_t *key = (const uint8_t *)frames[6];
    char z85[APEX_CURVE_Z85_LEN + 1];
    zmq_z85_encode(z85, key, 32);
    if (z->allow_all)
        return zap_reply(z->sock, reqid, reqid_len, "200", "OK", z85);
    const struct zap_entry *e = zap_lookup(z, key);
    if (!e) {
        atomic_fetch_add(&z->denied, 1);
        LOG_WARN("ZAP: refused CURVE key %s from %s: not on the allow-list", z85, address);
        return zap_reply(z->sock, reqid, reqid_len, "400", "key not on allow-list", "");
    }
    LOG_DEBUG("ZAP: allowed %s (%s) from %s", e->name, z85, address);
    zap_reply(z->sock, reqid, reqid_len, "200", "OK", e->name);
}

static void *zap_thread(void *arg)
{
    apex_zap *z = arg;
    while (!atomic_load(&z->stop)) {
        zmq_pollitem_t it = {z->sock, 0, ZMQ_POLLIN, 0};
        int r = zmq_poll(&it, 1, ZAP_POLL_MS);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && (it.revents & ZMQ_POLLIN))
            zap_handle(z);
    }
    return NULL;
}

apex_zap *apex_zap_new(void *zmq_ctx, const char *allowlist_path, int *err)
{
    *err = APEX_OK;
    apex_zap *z = calloc(1, sizeof *z);
    if (!z) {
        *err = APEX_ERR_NOMEM;
        return NULL;
    }
    if (allowlist_path) {
        *err = load_allowlist(z, allowlist_path);
        if (*err != APEX_OK) {
            free(z->keys);
            free(z);
            return NULL;
        }
    } else {
        z->allow_all = 1;
        LOG_WARN("no client allow-list: any CURVE key may connect (traffic is still encrypted)");
    }
    z->sock = zmq_socket(zmq_ctx, ZMQ_REP);
    int zero = 0;
    if (!z->sock || zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(z->sock, ZAP_ENDPOINT) != 0) {
        LOG_ERROR("ZAP: cannot bind %s: %s", ZAP_ENDPOINT, zmq_strerror(errno));
        if (z->sock)
            zmq_close(z->sock);
        free(z->keys);
        free(z);
        *err = APEX_ERR_IO;
        return NULL;
    }
    if (pthread_create(&z->thread, NULL, zap_thread, z) != 0) {
        zmq_close(z->sock);
        free(z->keys);
        free(z);
        *err = APEX_ERR_INTERNAL;
        return NULL;
    }
    return z;
}

uint64_t apex_zap_denied(const apex_zap *z)
{
    return atomic_load(&((apex_zap *)z)->denied);
}

void apex_zap_destroy(apex_zap **zp)
{
    if (!zp || !*zp)
        return;
    apex_zap *z = *zp;
    atomic_store(&z->stop, 1);
    pthread_join(z->thread, NULL);
    zmq_close(z->sock);
    free(z->keys);
    free(z);
    *zp = NULL;
}
