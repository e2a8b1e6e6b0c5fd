/* Strict number parsing for command lines and configuration files. */
#include "core/core.h"

#include <errno.h>
#include <stdlib.h>

int apex_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return APEX_ERR_INVALID; /* empty, sign or space */
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != 0 || v < lo || v > hi)
        return APEX_ERR_INVALID;
    *out = v;
    return APEX_OK;
}

int apex_opt_u64(const char *prog, const char *opt, const char *val, uint64_t lo, uint64_t hi,
                 uint64_t *out)
{
    if (apex_parse_u64(val, lo, hi, out) == APEX_OK)
        return 0;
    fprintf(stderr, "%s: --%s must be an integer in [%llu, %llu], got '%s'\n", prog, opt,
            (unsigned long long)lo, (unsigned long long)hi, val ? val : "");
    return -1;
}

int apex_opt_u32(const char *prog, const char *opt, const char *val, uint32_t lo, uint32_t hi,
                 uint32_t *out)
{
    uint64_t v;
    if (apex_opt_u64(prog, opt, val, lo, hi, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int apex_opt_log_level(const char *prog, const char *val, apex_log_level *out)
{
    if (apex_log_level_parse(val, out) == APEX_OK)
        return 0;
    fprintf(stderr, "%s: --log-level must be trace, debug, info, warn, error or off, got '%s'\n",
            prog, val ? val : "");
    return -1;
}
