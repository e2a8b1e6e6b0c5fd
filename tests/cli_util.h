/* Test helper: run the `apex` binary as a user would and capture its stdout. */
#ifndef APEX_TEST_CLI_UTIL_H
#define APEX_TEST_CLI_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "core/core.h"

/* Runs `apex ARGS > DIR/stdout` (stderr discarded) and returns the exit status (-1 when it
 * did not exit); *out_text (may be NULL) gets stdout, malloc'd, or NULL. */
static inline int cli_run(const char *apex, const char *dir, const char *args, char **out_text)
{
    char cmd[4096], out[512];
    snprintf(out, sizeof out, "%s/stdout", dir);
    snprintf(cmd, sizeof cmd, "%s %s > %s 2>/dev/null", apex, args, out);
    int st = system(cmd);
    if (out_text) {
        uint8_t *b = NULL;
        size_t n;
        *out_text = apex_file_read_all(out, 1 << 20, &b, &n) == APEX_OK ? (char *)b : NULL;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#endif
