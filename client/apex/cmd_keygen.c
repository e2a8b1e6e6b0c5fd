/* apex keygen: write a CURVE keypair (PREFIX.key, 0600) and its public half (PREFIX.pub). */
#include <stdio.h>
#include <string.h>

#include "apex/cmds.h"
#include "core/core.h"
#include "wire/wire.h"

int cmd_keygen(int argc, char **argv)
{
    const char *prefix = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: apex keygen --out PREFIX\n\n"
                   "Writes PREFIX.key (public and secret key, mode 0600) and PREFIX.pub (the\n"
                   "public key to hand to the other side). A coordinator passes its .key with\n"
                   "--key; clients pass the coordinator's .pub with --server-key. The\n"
                   "coordinator's --allow file lists client public keys, one per line,\n"
                   "optionally followed by the client id: `<key> client-7`.\n");
            return APEX_EXIT_OK;
        }
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            prefix = argv[++i];
        else {
            fprintf(stderr, "apex keygen: unknown argument '%s' (try --help)\n", argv[i]);
            return APEX_EXIT_USAGE;
        }
    }
    if (!prefix) {
        fprintf(stderr, "apex keygen: --out PREFIX is required\n");
        return APEX_EXIT_USAGE;
    }
    apex_curve_keypair kp;
    int rc = apex_curve_keygen(&kp);
    if (rc == APEX_OK)
        rc = apex_curve_write(prefix, &kp);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex keygen: %s\n", apex_strerror(rc));
        return apex_exit_code(rc);
    }
    printf("%s\n", kp.public_z85);
    fprintf(stderr, "wrote %s.key (secret, 0600) and %s.pub\n", prefix, prefix);
    return APEX_EXIT_OK;
}
