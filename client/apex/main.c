/* apex: offline tools for providers, clients and auditors. */
#include <stdio.h>
#include <string.h>

#include "apex/cmds.h"
#include "core/core.h"

struct apex_cmd {
    const char *name;    /* verb on the command line */
    apex_cmd_fn fn;      /* implementation */
    const char *summary; /* one line for --help */
};

static const struct apex_cmd commands[] = {
    {"keygen", cmd_keygen, "write a CURVE keypair for a coordinator or client"},
    {"bench", cmd_bench, "benchmarks; each prints one JSON object (apex bench --help)"},
    {"train", cmd_train, "train a global model on Fashion-MNIST (mlp, vit-tiny, vit-small)"},
    {"personalize", cmd_personalize, "personalize a global model on a client's private shard"},
    {"eval", cmd_eval, "test accuracy, per-class accuracy, a client's validation accuracy"},
    {"mask", cmd_mask, "provider: saliency mask of a forget set on the global model"},
    {"unlearn", cmd_unlearn, "client: apply a mask to a personalized model with Group-OBS"},
    {"commit", cmd_commit, "client: commit to G~ and w~ for compliance proofs (registration)"},
    {"verify", cmd_verify, "auditor: check an unlearning proof against a stored commitment"},
};

int apex_exit_code(int err)
{
    switch (err) {
    case APEX_OK:
        return APEX_EXIT_OK;
    case APEX_ERR_REJECTED:
        return APEX_EXIT_FAIL;
    case APEX_ERR_INVALID:
        return APEX_EXIT_USAGE;
    case APEX_ERR_NOT_FOUND:
    case APEX_ERR_FORMAT:
    case APEX_ERR_TRUNCATED:
    case APEX_ERR_VERSION:
    case APEX_ERR_HASH:
    case APEX_ERR_TOO_LARGE:
    case APEX_ERR_RANGE:
        return APEX_EXIT_INPUT;
    default:
        return APEX_EXIT_RUNTIME;
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: apex <command> [options]   (apex <command> --help for details)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit codes: 0 ok/accepted, 1 rejected or target missed, 2 usage error,\n"
               "            3 missing or malformed input, 4 runtime failure\n"
               "common options: --log-level trace|debug|info|warn|error, --log-json\n");
}

/* Take the common options (--log-level L, --log-json) out of argv, wherever they are, and
 * set up logging; -1 on a bad level. */
static int common_opts(int *argc, char **argv)
{
    apex_log_level level = APEX_LOG_INFO;
    int json = 0, k = 1;
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], "--log-json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--log-level") == 0) {
            if (i + 1 >= *argc || apex_opt_log_level("apex", argv[i + 1], &level) != 0)
                return -1;
            i++;
        } else {
            argv[k++] = argv[i];
        }
    }
    argv[k] = NULL;
    *argc = k;
    apex_log_init("apex", level, json);
    return 0;
}

int main(int argc, char **argv)
{
    if (common_opts(&argc, argv) != 0)
        return APEX_EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? APEX_EXIT_USAGE : APEX_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "apex: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return APEX_EXIT_USAGE;
}
