/* apex-sim report: per-client rows, aggregate throughput against raw ZeroMQ. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/core.h"
#include "sim.h"

static json_t *load_json(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return json_load_file(path, 0, NULL);
}

static int exit_code_of(const sim_proc *p)
{
    if (!p->exited)
        return -1;
    if (WIFSIGNALED(p->status))
        return 128 + WTERMSIG(p->status);
    return WEXITSTATUS(p->status);
}

int sim_report(const sim *s, const char *path, int json_out)
{
    json_t *summary = load_json(s->dir, "coordinator.json");
    json_t *clients = json_array();
    uint32_t ok = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->sc.clients; i++) {
        const sim_proc *p = &s->clients[i];
        char name[64];
        snprintf(name, sizeof name, "%s.json", p->id);
        json_t *r = load_json(s->dir, name);
        int sha_ok = r && json_is_true(json_object_get(r, "model_sha256_ok"));
        json_int_t bytes = r ? json_integer_value(json_object_get(r, "bytes")) : 0;
        json_t *row = json_pack(
            "{s:s, s:b, s:I, s:I, s:f, s:i, s:i}", "id", p->id, "model_sha256_ok", sha_ok, "bytes",
            bytes, "bytes_received",
            r ? json_integer_value(json_object_get(r, "bytes_received")) : (json_int_t)0, "seconds",
            r ? json_number_value(json_object_get(r, "seconds")) : 0.0, "reconnects",
            r ? (int)json_integer_value(json_object_get(r, "reconnects")) : 0, "exit_code",
            exit_code_of(p));
        json_array_append_new(clients, row);
        ok += sha_ok;
        total += sha_ok ? (uint64_t)bytes : 0;
        json_decref(r);
    }
    double span = summary ? json_number_value(json_object_get(summary, "transfer_seconds")) : 0;
    double agg = span > 0 ? (double)total / span / 1e9 : 0;
    double ratio = s->raw_gbps > 0 ? agg / s->raw_gbps : 0;
    json_t *o = json_pack(
        "{s:s, s:s, s:i, s:i, s:b, s:s, s:b, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:s, "
        "s:o}",
        "scenario", s->sc.name, "description", s->sc.description, "clients_total",
        (int)s->sc.clients, "clients_ok", (int)ok, "all_ok", ok == s->sc.clients, "security",
        s->sc.curve ? "curve" : "insecure", "clients_persist_model", s->sc.persist,
        "bytes_delivered", (json_int_t)total, "transfer_seconds", span, "aggregate_gbps", agg,
        "raw_zmq_gbps", s->raw_gbps, "raw_zmq_plain_gbps", s->raw_plain_gbps, "aggregate_over_raw",
        ratio, "wall_seconds", s->wall_s, "coordinator_exit_code", exit_code_of(&s->coord),
        "dead_declared", summary ? (int)json_integer_value(json_object_get(summary, "dead")) : -1,
        "run_dir", s->dir, "clients", clients);
    json_decref(summary);
    if (path) {
        char *text = json_dumps(o, JSON_INDENT(2));
        if (!text || apex_file_write_atomic(path, text, strlen(text), 0644) != APEX_OK)
            fprintf(stderr, "apex-sim: cannot write report %s\n", path);
        free(text);
    }
    if (json_out) {
        char *text = json_dumps(o, JSON_INDENT(2));
        printf("%s\n", text ? text : "{}");
        free(text);
    } else {
        printf("\napex-sim: scenario '%s' (%s)\n", s->sc.name, s->sc.description);
        printf("%-14s %-8s %12s %12s %9s %6s %5s\n", "client", "sha256", "bytes", "received",
               "seconds", "recon", "exit");
        size_t i;
        json_t *row;
        uint32_t shown = 0;
        json_array_foreach(clients, i, row)
        {
            int good = json_is_true(json_object_get(row, "model_sha256_ok"));
            /* Large fleets: show the first 20 rows and every failure. */
            if (shown >= 20 && good)
                continue;
            shown++;
            printf("%-14s %-8s %12lld %12lld %9.3f %6d %5d\n",
                   json_string_value(json_object_get(row, "id")), good ? "ok" : "FAILED",
                   json_integer_value(json_object_get(row, "bytes")),
                   json_integer_value(json_object_get(row, "bytes_received")),
                   json_number_value(json_object_get(row, "seconds")),
                   (int)json_integer_value(json_object_get(row, "reconnects")),
                   (int)json_integer_value(json_object_get(row, "exit_code")));
        }
        if (shown < s->sc.clients)
            printf("... %u more clients, all verified\n", s->sc.clients - shown);
        printf("\nverified: %u/%u clients   security: %s\n", ok, s->sc.clients,
               s->sc.curve ? "CURVE + allow-list" : "insecure");
        printf("aggregate: %.3f GB/s (%.2f GB in %.3f s)   raw ZeroMQ loopback: %.3f GB/s   "
               "ratio: %.1f%%\n",
               agg, (double)total / 1e9, span, s->raw_gbps, 100.0 * ratio);
        printf("wall time: %.2f s   run directory: %s\n", s->wall_s, s->dir);
    }
    json_decref(o);
    return ok == s->sc.clients;
}
