/* apex_strerror: one stable string per apex_err. */
#include "core/core.h"

static const char *const err_names[] = {
    "ok",
    "out of memory",
    "I/O error",
    "invalid argument",
    "malformed input",
    "truncated input",
    "unsupported version",
    "size above limit",
    "hash mismatch",
    "timed out",
    "not found",
    "authentication refused",
    "protocol violation",
    "try again",
    "invalid state",
    "crypto failure",
    "value out of range",
    "rejected",
    "interrupted",
    "unsupported",
    "internal error",
};

_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == (size_t)(-APEX_ERR_COUNT_),
               "err_names must cover every apex_err");

const char *apex_strerror(int err)
{
    if (err > 0)
        return "ok";
    if (err <= APEX_ERR_COUNT_)
        return "unknown error";
    return err_names[-err];
}
