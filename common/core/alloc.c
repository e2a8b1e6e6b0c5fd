/* Checked allocation: fatal wrappers for start-up, overflow-checked for runtime. */
#include "core/core.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void die_oom(size_t n, const char *file, int line)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes at %s:%d\n", n, file, line);
    exit(70);
}

void *apex_xmalloc_at(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom(n, file, line);
    return p;
}

void *apex_xcalloc_at(size_t count, size_t size, const char *file, int line)
{
    size_t n;
    if (apex_mul_size(count, size, &n) != 0)
        die_oom(SIZE_MAX, file, line);
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        die_oom(n, file, line);
    return p;
}

void *apex_xrealloc_at(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_oom(n, file, line);
    return q;
}

char *apex_xstrdup_at(const char *s, const char *file, int line)
{
    size_t n = strlen(s) + 1;
    char *d = apex_xmalloc_at(n, file, line);
    memcpy(d, s, n);
    return d;
}

int apex_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

void *apex_calloc_n(size_t count, size_t size)
{
    size_t n;
    if (apex_mul_size(count, size, &n) != 0)
        return NULL;
    return calloc(n ? n : 1, 1);
}

void apex_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void apex_heap_keep(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_MAX, 0);             /* every block from the heap, none mapped for itself */
    mallopt(M_TRIM_THRESHOLD, INT_MAX); /* and freed memory stays there */
#endif
}
