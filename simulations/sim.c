/* apex-sim: runs a whole fleet from a scenario file. One coordinator and N
 * clients run as real processes on loopback (ephemeral port); the report
 * puts the fleet's aggregate throughput next to raw ZeroMQ measured in the
 * same run. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "sim.h"
#include "wire/wire.h"

extern char **environ;

#define SIM_ENDPOINT_WAIT_S 15 /* coordinator start-up budget */

static void path_join(char *out, const char *dir, const char *name)
{
    if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        out[0] = 0; /* an empty path fails loudly where it is used */
}

static int spawn(sim_proc *p, char *const argv[], const char *log_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int rc = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        LOG_ERROR("cannot start %s: %s", argv[0], strerror(rc));
        p->pid = 0;
        return APEX_ERR_IO;
    }
    return APEX_OK;
}

/* Deterministic synthetic model bytes: the spine streams opaque files; the
 * ML issue replaces this with a trained model file. */
static int make_model(sim *s)
{
    if (s->sc.model_path[0]) {
        snprintf(s->model, sizeof s->model, "%s", s->sc.model_path);
        return access(s->model, R_OK) == 0 ? APEX_OK : APEX_ERR_NOT_FOUND;
    }
    path_join(s->model, s->dir, "model.bin");
    uint8_t *buf = malloc(s->sc.model_bytes);
    if (!buf)
        return APEX_ERR_NOMEM;
    apex_rng r;
    apex_rng_seed(&r, s->sc.model_seed);
    apex_rng_bytes(&r, buf, s->sc.model_bytes);
    int rc = apex_file_write_atomic(s->model, buf, s->sc.model_bytes, 0644);
    free(buf);
    return rc;
}

static int make_keys(sim *s)
{
    char prefix[PATH_MAX], allow[PATH_MAX];
    apex_curve_keypair kp;
    path_join(prefix, s->dir, "coordinator");
    int rc = apex_curve_keygen(&kp);
    if (rc == APEX_OK)
        rc = apex_curve_write(prefix, &kp);
    path_join(allow, s->dir, "allow.txt");
    FILE *f = rc == APEX_OK ? fopen(allow, "w") : NULL;
    if (!f)
        return rc != APEX_OK ? rc : APEX_ERR_IO;
    for (uint32_t i = 0; i < s->sc.clients && rc == APEX_OK; i++) {
        char name[64];
        snprintf(name, sizeof name, "client-%u", i);
        path_join(prefix, s->dir, name);
        rc = apex_curve_keygen(&kp);
        if (rc == APEX_OK)
            rc = apex_curve_write(prefix, &kp);
        fprintf(f, "%s %s\n", kp.public_z85, name);
    }
    if (fclose(f) != 0 && rc == APEX_OK)
        rc = APEX_ERR_IO;
    return rc;
}

static int wait_endpoint(sim *s, char *ep, size_t eplen)
{
    char path[PATH_MAX];
    path_join(path, s->dir, "endpoint");
    double until = apex_now_s() + SIM_ENDPOINT_WAIT_S;
    while (apex_now_s() < until) {
        uint8_t *buf;
        size_t len;
        if (apex_file_read_all(path, 255, &buf, &len) == APEX_OK) {
            snprintf(ep, eplen, "%s", (char *)buf);
            free(buf);
            return APEX_OK;
        }
        int st;
        if (waitpid(s->coord.pid, &st, WNOHANG) == s->coord.pid) {
            s->coord.exited = 1;
            s->coord.status = st;
            LOG_ERROR("coordinator exited during start-up; see %s/coordinator.log", s->dir);
            return APEX_ERR_IO;
        }
        usleep(10000);
    }
    LOG_ERROR("coordinator did not report its endpoint within %d s", SIM_ENDPOINT_WAIT_S);
    return APEX_ERR_TIMEOUT;
}

static int start_coordinator(sim *s)
{
    char exe[PATH_MAX], ep[PATH_MAX], sum[PATH_MAX], key[PATH_MAX], allow[PATH_MAX], logp[PATH_MAX];
    char n[16], to[16], hb[16], lv[16];
    path_join(exe, s->bindir, "apex-coordinator");
    path_join(ep, s->dir, "endpoint");
    path_join(sum, s->dir, "coordinator.json");
    path_join(key, s->dir, "coordinator.key");
    path_join(allow, s->dir, "allow.txt");
    path_join(logp, s->dir, "coordinator.log");
    snprintf(n, sizeof n, "%u", s->sc.clients);
    snprintf(to, sizeof to, "%u", s->sc.timeout_s);
    snprintf(hb, sizeof hb, "%u", s->sc.heartbeat_ms);
    snprintf(lv, sizeof lv, "%u", s->sc.liveness);
    char *argv[32];
    int a = 0;
    argv[a++] = exe;
    argv[a++] = "--bind";
    argv[a++] = "tcp://127.0.0.1:*";
    argv[a++] = "--model";
    argv[a++] = s->model;
    argv[a++] = "--endpoint-file";
    argv[a++] = ep;
    argv[a++] = "--summary";
    argv[a++] = sum;
    argv[a++] = "--expect";
    argv[a++] = n;
    argv[a++] = "--wait-for";
    argv[a++] = n;
    argv[a++] = "--timeout";
    argv[a++] = to;
    argv[a++] = "--heartbeat-ms";
    argv[a++] = hb;
    argv[a++] = "--liveness";
    argv[a++] = lv;
    char chunk[16], win[16];
    snprintf(chunk, sizeof chunk, "%u", s->sc.chunk_kib);
    snprintf(win, sizeof win, "%u", s->sc.window);
    if (s->sc.chunk_kib) {
        argv[a++] = "--chunk-kib";
        argv[a++] = chunk;
    }
    if (s->sc.window) {
        argv[a++] = "--window";
        argv[a++] = win;
    }
    if (s->sc.curve) {
        argv[a++] = "--key";
        argv[a++] = key;
        argv[a++] = "--allow";
        argv[a++] = allow;
    } else {
        argv[a++] = "--insecure";
    }
    argv[a] = NULL;
    snprintf(s->coord.id, sizeof s->coord.id, "coordinator");
    return spawn(&s->coord, argv, logp);
}

static int start_client(sim *s, uint32_t i, const char *endpoint)
{
    sim_proc *p = &s->clients[i];
    snprintf(p->id, sizeof p->id, "client-%u", i);
    char exe[PATH_MAX], wd[PATH_MAX], key[PATH_MAX], skey[PATH_MAX], rep[PATH_MAX], logp[PATH_MAX];
    char name[64], to[16], hb[16], lv[16], drop[32] = "0";
    path_join(exe, s->bindir, "apex-client");
    snprintf(name, sizeof name, "%s.key", p->id);
    path_join(key, s->dir, name);
    path_join(skey, s->dir, "coordinator.pub");
    snprintf(name, sizeof name, "%s.json", p->id);
    path_join(rep, s->dir, name);
    snprintf(name, sizeof name, "%s.log", p->id);
    path_join(logp, s->dir, name);
    path_join(wd, s->dir, p->id);
    snprintf(to, sizeof to, "%u", s->sc.timeout_s);
    snprintf(hb, sizeof hb, "%u", s->sc.heartbeat_ms);
    snprintf(lv, sizeof lv, "%u", s->sc.liveness);
    for (uint32_t f = 0; f < s->sc.nfaults; f++) {
        if (s->sc.faults[f].client != i)
            continue;
        if (s->sc.faults[f].drop_after_bytes)
            snprintf(drop, sizeof drop, "%llu",
                     (unsigned long long)s->sc.faults[f].drop_after_bytes);
        if (s->sc.faults[f].kill_after_s > 0)
            p->kill_at = apex_now_s() + s->sc.faults[f].kill_after_s;
    }
    char *argv[32];
    int a = 0;
    argv[a++] = exe;
    argv[a++] = "--connect";
    argv[a++] = (char *)endpoint;
    argv[a++] = "--id";
    argv[a++] = p->id;
    argv[a++] = "--workdir";
    argv[a++] = wd;
    argv[a++] = "--report";
    argv[a++] = rep;
    argv[a++] = "--timeout";
    argv[a++] = to;
    argv[a++] = "--heartbeat-ms";
    argv[a++] = hb;
    argv[a++] = "--liveness";
    argv[a++] = lv;
    argv[a++] = "--exit-after-download";
    if (!s->sc.persist)
        argv[a++] = "--no-persist";
    char win[16];
    snprintf(win, sizeof win, "%u", s->sc.window);
    if (s->sc.window) {
        argv[a++] = "--window";
        argv[a++] = win;
    }
    argv[a++] = "--drop-after-bytes";
    argv[a++] = drop;
    if (s->sc.curve) {
        argv[a++] = "--key";
        argv[a++] = key;
        argv[a++] = "--server-key";
        argv[a++] = skey;
    } else {
        argv[a++] = "--insecure";
    }
    argv[a] = NULL;
    return spawn(p, argv, logp);
}

/* Reap children until all exited or the deadline; kill stragglers after it. */
static void wait_all(sim *s, double deadline)
{
    uint32_t left = s->sc.clients + 1;
    while (left > 0) {
        left = 0;
        double now = apex_now_s();
        for (uint32_t i = 0; i <= s->sc.clients; i++) {
            sim_proc *p = i < s->sc.clients ? &s->clients[i] : &s->coord;
            if (p->exited || p->pid == 0)
                continue;
            if (p->kill_at > 0 && now >= p->kill_at) {
                LOG_INFO("fault: killing %s (SIGKILL)", p->id);
                kill(p->pid, SIGKILL);
                p->kill_at = 0;
            }
            if (now > deadline)
                kill(p->pid, SIGKILL);
            if (waitpid(p->pid, &p->status, WNOHANG) == p->pid)
                p->exited = 1;
            else
                left++;
        }
        /* Clients are done: the coordinator exits by itself (--expect); a killed
         * client never reports, so stop it once every client process is gone. */
        int clients_left = 0;
        for (uint32_t i = 0; i < s->sc.clients; i++)
            clients_left += !s->clients[i].exited && s->clients[i].pid;
        if (!clients_left && !s->coord.exited && s->coord.pid && left == 1) {
            usleep(300000);
            if (waitpid(s->coord.pid, &s->coord.status, WNOHANG) == s->coord.pid)
                s->coord.exited = 1;
            else
                kill(s->coord.pid, SIGTERM);
        }
        if (left)
            usleep(5000);
    }
}

/* Model copies are the bulk of a run directory; logs and reports stay. */
static void remove_models(const sim *s)
{
    char p[PATH_MAX];
    for (uint32_t i = 0; i < s->sc.clients; i++) {
        if (snprintf(p, sizeof p, "%s/%s/model.bin", s->dir, s->clients[i].id) < (int)sizeof p)
            unlink(p);
    }
    if (!s->sc.model_path[0])
        unlink(s->model);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: apex-sim --scenario FILE [--report OUT.json] [--workdir DIR] [--json]\n"
               "\n"
               "Runs one coordinator and N clients as real processes on loopback (an ephemeral\n"
               "port), as the scenario says, then writes a JSON report and prints a table.\n"
               "Scenarios live in simulations/scenarios/ (see simulations/README.md).\n"
               "\n"
               "  --scenario FILE   scenario JSON (required)\n"
               "  --report FILE     write the JSON report here\n"
               "  --workdir DIR     run directory with logs, keys and models (default: a new\n"
               "                    directory under /tmp)\n"
               "  --json            print the report JSON on stdout instead of the table\n"
               "  --keep            keep the model copies in the run directory (by default\n"
               "                    only logs, keys and reports are kept)\n"
               "  --log-level L     trace|debug|info|warn|error (default info)\n"
               "\n"
               "exit codes: 0 every client verified its model, 1 some did not, 2 usage,\n"
               "            3 bad scenario, 4 runtime failure\n");
}

int main(int argc, char **argv)
{
    const char *scenario = NULL, *report = NULL, *workdir = NULL;
    int json_out = 0, keep = 0;
    apex_log_level level = APEX_LOG_INFO;
    static const struct option opts[] = {
        {"scenario", required_argument, 0, 's'},
        {"report", required_argument, 0, 'r'},
        {"workdir", required_argument, 0, 'w'},
        {"json", no_argument, 0, 'j'},
        {"log-level", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},
        {"keep", no_argument, 0, 'k'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "s:r:w:jh", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            scenario = optarg;
            break;
        case 'r':
            report = optarg;
            break;
        case 'w':
            workdir = optarg;
            break;
        case 'j':
            json_out = 1;
            break;
        case 'k':
            keep = 1;
            break;
        case 'l':
            if (apex_opt_log_level("apex-sim", optarg, &level))
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!scenario || optind != argc) {
        usage(stderr);
        return 2;
    }
    apex_log_init("sim", level, 0);
    sim s;
    memset(&s, 0, sizeof s);
    char err[512] = "";
    if (sim_scenario_load(scenario, &s.sc, err, sizeof err) != APEX_OK) {
        fprintf(stderr, "apex-sim: bad scenario: %s\n", err);
        return 3;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 4;
    self[n] = 0;
    snprintf(s.bindir, sizeof s.bindir, "%s", self);
    *strrchr(s.bindir, '/') = 0;
    if (workdir) {
        snprintf(s.dir, sizeof s.dir, "%s", workdir);
        if (apex_mkdirs(s.dir, 0755) != APEX_OK) {
            fprintf(stderr, "apex-sim: cannot create %s\n", s.dir);
            return 4;
        }
    } else {
        /* tmpfs when there is one: a fleet's model copies are many and short-lived. */
        snprintf(s.dir, sizeof s.dir, "%s/apex-sim-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(s.dir))
            return 4;
    }
    LOG_INFO("scenario %s: %u clients, %s, run directory %s", s.sc.name, s.sc.clients,
             s.sc.curve ? "CURVE" : "insecure", s.dir);
    int rc = make_model(&s);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex-sim: model: %s\n", apex_strerror(rc));
        return 3;
    }
    if (s.sc.raw_baseline_mb) {
        LOG_INFO("measuring raw ZeroMQ loopback throughput (%u MiB)", s.sc.raw_baseline_mb);
        apex_wire_raw_throughput(APEX_WIRE_CHUNK_BYTES, (uint64_t)s.sc.raw_baseline_mb << 20, 0,
                                 &s.raw_plain_gbps);
        if (s.sc.curve)
            apex_wire_raw_throughput(APEX_WIRE_CHUNK_BYTES, (uint64_t)s.sc.raw_baseline_mb << 20, 1,
                                     &s.raw_gbps);
        else
            s.raw_gbps = s.raw_plain_gbps;
    }
    if (s.sc.curve && (rc = make_keys(&s)) != APEX_OK) {
        fprintf(stderr, "apex-sim: keys: %s\n", apex_strerror(rc));
        return 4;
    }
    s.clients = calloc(s.sc.clients, sizeof *s.clients);
    if (!s.clients)
        return 4;
    signal(SIGPIPE, SIG_IGN);
    double t0 = apex_now_s();
    char ep[256];
    if (start_coordinator(&s) != APEX_OK || wait_endpoint(&s, ep, sizeof ep) != APEX_OK) {
        if (s.coord.pid && !s.coord.exited) {
            kill(s.coord.pid, SIGKILL);
            waitpid(s.coord.pid, NULL, 0);
        }
        return 4;
    }
    LOG_INFO("coordinator at %s; starting %u clients", ep, s.sc.clients);
    for (uint32_t i = 0; i < s.sc.clients; i++)
        start_client(&s, i, ep);
    wait_all(&s, t0 + s.sc.timeout_s + 10);
    s.wall_s = apex_now_s() - t0;
    int all_ok = sim_report(&s, report, json_out);
    if (!keep)
        remove_models(&s);
    free(s.clients);
    return all_ok ? 0 : 1;
}
