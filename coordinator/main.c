/* apex-coordinator: registers clients, streams the model, tracks liveness. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord.h"
#include "core/core.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: apex-coordinator --model FILE [options]\n"
               "\n"
               "Registers clients (they speak first), streams them the model in credit-based\n"
               "chunks with a SHA-256 check, and tracks liveness with heartbeats.\n"
               "\n"
               "  --bind EP            ZeroMQ endpoint to listen on (default tcp://*:7700;\n"
               "                       tcp://127.0.0.1:* picks a free port)\n"
               "  --model FILE         model file to stream (required)\n"
               "  --model-id NAME      name shown to clients (default: file name)\n"
               "  --fleet-id NAME      fleet name (default apex)\n"
               "  --key FILE           coordinator CURVE keypair from `apex keygen` (required\n"
               "                       unless --insecure)\n"
               "  --allow FILE         allow-list: one client public key per line, optionally\n"
               "                       followed by the client id it must use\n"
               "  --insecure           turn CURVE off (plaintext, no authentication); logged\n"
               "  --heartbeat-ms N     heartbeat interval (default 1000)\n"
               "  --liveness N         missed heartbeats before a client is dead (default 3)\n"
               "  --chunk-kib N        chunk size in KiB (default 256, max 1024)\n"
               "  --window N           chunks a client may have in flight (default 10)\n"
               "  --expect N           exit once N clients finished their download\n"
               "  --wait-for N         hold the model until N clients registered (a round\n"
               "                       that starts together; used by benchmarks)\n"
               "  --timeout S          exit after S seconds even if not done (exit code 5)\n"
               "  --endpoint-file F    write the bound endpoint (with its port) to F\n"
               "  --summary F          write a JSON summary of the fleet to F at exit\n"
               "  --log-level L        trace|debug|info|warn|error (default info)\n"
               "  --log-json           log JSON lines instead of text\n"
               "\n"
               "exit codes: 0 clean stop, 2 usage, 3 bad input (model, keys), 4 runtime error,\n"
               "            5 timed out before the expected clients finished\n");
}

int main(int argc, char **argv)
{
    apex_coord_config cfg = {0};
    apex_log_level level = APEX_LOG_INFO;
    int log_json = 0;
    enum {
        O_BIND = 256,
        O_MODEL_ID,
        O_FLEET,
        O_KEY,
        O_ALLOW,
        O_INSECURE,
        O_HB,
        O_LIVE,
        O_CHUNK,
        O_WINDOW,
        O_EXPECT,
        O_WAITFOR,
        O_TIMEOUT,
        O_EPFILE,
        O_SUMMARY,
        O_LOGLEVEL,
        O_LOGJSON
    };
    static const struct option opts[] = {
        {"bind", required_argument, 0, O_BIND},
        {"model", required_argument, 0, 'm'},
        {"model-id", required_argument, 0, O_MODEL_ID},
        {"fleet-id", required_argument, 0, O_FLEET},
        {"key", required_argument, 0, O_KEY},
        {"allow", required_argument, 0, O_ALLOW},
        {"insecure", no_argument, 0, O_INSECURE},
        {"heartbeat-ms", required_argument, 0, O_HB},
        {"liveness", required_argument, 0, O_LIVE},
        {"chunk-kib", required_argument, 0, O_CHUNK},
        {"window", required_argument, 0, O_WINDOW},
        {"expect", required_argument, 0, O_EXPECT},
        {"wait-for", required_argument, 0, O_WAITFOR},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"endpoint-file", required_argument, 0, O_EPFILE},
        {"summary", required_argument, 0, O_SUMMARY},
        {"log-level", required_argument, 0, O_LOGLEVEL},
        {"log-json", no_argument, 0, O_LOGJSON},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (o) {
        case O_BIND:
            cfg.bind = optarg;
            break;
        case 'm':
            cfg.model_path = optarg;
            break;
        case O_MODEL_ID:
            cfg.model_id = optarg;
            break;
        case O_FLEET:
            cfg.fleet_id = optarg;
            break;
        case O_KEY:
            cfg.server_key_path = optarg;
            break;
        case O_ALLOW:
            cfg.allowlist_path = optarg;
            break;
        case O_INSECURE:
            cfg.insecure = 1;
            break;
        case O_HB:
            if (apex_opt_u32("apex-coordinator", "heartbeat-ms", optarg, 10, 600000,
                             &cfg.heartbeat_ms))
                return 2;
            break;
        case O_LIVE:
            if (apex_opt_u32("apex-coordinator", "liveness", optarg, 1, 1000, &cfg.liveness))
                return 2;
            break;
        case O_CHUNK:
            if (apex_opt_u32("apex-coordinator", "chunk-kib", optarg, 1, 1024, &cfg.chunk_bytes))
                return 2;
            cfg.chunk_bytes *= 1024u;
            break;
        case O_WINDOW:
            if (apex_opt_u32("apex-coordinator", "window", optarg, 1, 1000, &cfg.window))
                return 2;
            break;
        case O_EXPECT:
            if (apex_opt_u32("apex-coordinator", "expect", optarg, 0, 1000000, &cfg.expect_clients))
                return 2;
            break;
        case O_WAITFOR:
            if (apex_opt_u32("apex-coordinator", "wait-for", optarg, 0, 1000000, &cfg.wait_for))
                return 2;
            break;
        case O_TIMEOUT:
            if (apex_opt_u32("apex-coordinator", "timeout", optarg, 0, 31536000, &cfg.timeout_s))
                return 2;
            break;
        case O_EPFILE:
            cfg.endpoint_file = optarg;
            break;
        case O_SUMMARY:
            cfg.summary_path = optarg;
            break;
        case O_LOGLEVEL:
            if (apex_opt_log_level("apex-coordinator", optarg, &level))
                return 2;
            break;
        case O_LOGJSON:
            log_json = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || !cfg.model_path) {
        fprintf(stderr, "apex-coordinator: --model FILE is required\n\n");
        usage(stderr);
        return 2;
    }
    apex_log_init("coord", level, log_json);
    cfg.handle_signals = 1;
    int err;
    apex_coord *c = apex_coord_new(&cfg, &err);
    if (!c) {
        LOG_ERROR("cannot start: %s", apex_strerror(err));
        return err == APEX_ERR_INVALID                                 ? 2
               : (err == APEX_ERR_NOT_FOUND || err == APEX_ERR_FORMAT) ? 3
                                                                       : 4;
    }
    int rc = apex_coord_run(c);
    apex_coord_destroy(&c);
    LOG_INFO("stopped");
    return rc == APEX_ERR_TIMEOUT ? 5 : rc == APEX_OK ? 0 : 4;
}
