/* apex-client: registers with a coordinator, downloads and verifies the model. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "core/core.h"

static volatile int g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: apex-client --connect EP --id ID [options]\n"
               "\n"
               "Registers with the coordinator, downloads the model in chunks (resuming after a\n"
               "lost connection), verifies its SHA-256, heartbeats, and reconnects with back-off\n"
               "when the coordinator restarts.\n"
               "\n"
               "  --connect EP            coordinator endpoint, e.g. tcp://10.0.0.5:7700\n"
               "  --id ID                 client id ([A-Za-z0-9._-], at most 64 characters)\n"
               "  --workdir DIR           where the model is stored (default .)\n"
               "  --key FILE              our CURVE keypair (apex keygen)\n"
               "  --server-key FILE       the coordinator's public key (.pub)\n"
               "  --insecure              no CURVE (only if the coordinator runs --insecure)\n"
               "  --heartbeat-ms N        heartbeat interval until the coordinator sets it (1000)\n"
               "  --liveness N            missed heartbeats before reconnecting (3)\n"
               "  --window N              chunk requests in flight (10)\n"
               "  --timeout S             give up after S seconds (default: never)\n"
               "  --exit-after-download   exit 0 once the model is verified\n"
               "  --no-persist            verify the hash while streaming and keep no copy\n"
               "                          (fleet benchmarks on one machine)\n"
               "  --drop-after-bytes N    fault injection: drop the connection once after N\n"
               "                          bytes, then resume\n"
               "  --report FILE           write a JSON report at exit\n"
               "  --log-level L           trace|debug|info|warn|error (default info)\n"
               "  --log-json              log JSON lines\n"
               "\n"
               "exit codes: 0 ok, 2 usage, 3 bad input (keys), 4 runtime error, 5 timed out,\n"
               "            6 the coordinator refused our key, 7 model hash check failed\n");
}

int main(int argc, char **argv)
{
    apex_client_config cfg = {0};
    apex_log_level level = APEX_LOG_INFO;
    int log_json = 0;
    enum {
        O_CONNECT = 256,
        O_ID,
        O_WORKDIR,
        O_KEY,
        O_SKEY,
        O_INSECURE,
        O_HB,
        O_LIVE,
        O_WINDOW,
        O_TIMEOUT,
        O_EXIT,
        O_NOPERSIST,
        O_DROP,
        O_REPORT,
        O_LOGLEVEL,
        O_LOGJSON
    };
    static const struct option opts[] = {
        {"connect", required_argument, 0, O_CONNECT},
        {"id", required_argument, 0, O_ID},
        {"workdir", required_argument, 0, O_WORKDIR},
        {"key", required_argument, 0, O_KEY},
        {"server-key", required_argument, 0, O_SKEY},
        {"insecure", no_argument, 0, O_INSECURE},
        {"heartbeat-ms", required_argument, 0, O_HB},
        {"liveness", required_argument, 0, O_LIVE},
        {"window", required_argument, 0, O_WINDOW},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"exit-after-download", no_argument, 0, O_EXIT},
        {"no-persist", no_argument, 0, O_NOPERSIST},
        {"drop-after-bytes", required_argument, 0, O_DROP},
        {"report", required_argument, 0, O_REPORT},
        {"log-level", required_argument, 0, O_LOGLEVEL},
        {"log-json", no_argument, 0, O_LOGJSON},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case O_CONNECT:
            cfg.connect = optarg;
            break;
        case O_ID:
            cfg.client_id = optarg;
            break;
        case O_WORKDIR:
            cfg.workdir = optarg;
            break;
        case O_KEY:
            cfg.key_path = optarg;
            break;
        case O_SKEY:
            cfg.server_pub_path = optarg;
            break;
        case O_INSECURE:
            cfg.insecure = 1;
            break;
        case O_HB:
            if (apex_opt_u32("apex-client", "heartbeat-ms", optarg, 10, 600000, &cfg.heartbeat_ms))
                return 2;
            break;
        case O_LIVE:
            if (apex_opt_u32("apex-client", "liveness", optarg, 1, 1000, &cfg.liveness))
                return 2;
            break;
        case O_WINDOW:
            if (apex_opt_u32("apex-client", "window", optarg, 1, 1000, &cfg.window))
                return 2;
            break;
        case O_TIMEOUT:
            if (apex_opt_u32("apex-client", "timeout", optarg, 0, 31536000, &cfg.timeout_s))
                return 2;
            break;
        case O_EXIT:
            cfg.exit_after_download = 1;
            break;
        case O_NOPERSIST:
            cfg.no_persist = 1;
            break;
        case O_DROP:
            if (apex_opt_u64("apex-client", "drop-after-bytes", optarg, 0, UINT64_MAX,
                             &cfg.drop_after_bytes))
                return 2;
            break;
        case O_REPORT:
            cfg.report_path = optarg;
            break;
        case O_LOGLEVEL:
            if (apex_opt_log_level("apex-client", optarg, &level))
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
    if (optind != argc || !cfg.connect || !cfg.client_id) {
        fprintf(stderr, "apex-client: --connect and --id are required\n\n");
        usage(stderr);
        return 2;
    }
    char comp[80];
    snprintf(comp, sizeof comp, "client %s", cfg.client_id);
    apex_log_init(comp, level, log_json);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cfg.stop_flag = &g_stop;

    apex_client_result res;
    int rc = apex_client_run(&cfg, &res);
    switch (rc) {
    case APEX_OK:
    case APEX_ERR_INTERRUPTED:
        return 0;
    case APEX_ERR_INVALID:
        LOG_ERROR("bad configuration");
        return 2;
    case APEX_ERR_NOT_FOUND:
    case APEX_ERR_FORMAT:
        LOG_ERROR("bad input: %s", apex_strerror(rc));
        return 3;
    case APEX_ERR_TIMEOUT:
        return 5;
    case APEX_ERR_AUTH:
        return 6;
    case APEX_ERR_HASH:
        return 7;
    default:
        LOG_ERROR("failed: %s", apex_strerror(rc));
        return 4;
    }
}
