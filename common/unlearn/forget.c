/* Forget-set specs: which training images a deletion request names (UNLEARNING.md §3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/saliency.h"

#define WHY(...)                                                                                   \
    do {                                                                                           \
        if (why)                                                                                   \
            snprintf(why, APEX_MASK_WHY_LEN, __VA_ARGS__);                                         \
    } while (0)

/* "3,5,7" -> bit mask; -1 on an empty list, a bad or repeated class. */
static long class_list(const char *s)
{
    long mask = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        uint64_t k;
        char buf[8];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof buf)
            return -1;
        memcpy(buf, p, len);
        buf[len] = 0;
        if (apex_parse_u64(buf, 0, APEX_ML_NUM_CLASSES - 1, &k) != APEX_OK || (mask >> k & 1))
            return -1;
        mask |= 1L << k;
        p += len;
        if (*p == ',' && !*++p)
            return -1;
    }
    return mask;
}

int apex_forget_parse(const char *s, apex_forget_spec *out, char *why)
{
    if (!s || !out)
        return APEX_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (strlen(s) > APEX_FORGET_SPEC_MAX) {
        WHY("forget spec longer than %d bytes", APEX_FORGET_SPEC_MAX);
        return APEX_ERR_INVALID;
    }
    long mask;
    if (strncmp(s, "class:", 6) == 0 || strncmp(s, "classes:", 8) == 0) {
        const char *list = s + (s[5] == ':' ? 6 : 8);
        if ((mask = class_list(list)) < 0 || (s[5] == ':' && strchr(list, ','))) {
            WHY("bad class list '%s' (want class:K or classes:K,L with K in 0..9)", list);
            return APEX_ERR_INVALID;
        }
        out->kind = APEX_FORGET_CLASSES;
        out->classes = (unsigned)mask;
        return APEX_OK;
    }
    if (strncmp(s, "first:", 6) == 0) {
        const char *p = s + 6, *colon = strchr(p, ':');
        char num[16];
        uint64_t n;
        if (!colon || (size_t)(colon - p) >= sizeof num) {
            WHY("want first:N:class:LIST");
            return APEX_ERR_INVALID;
        }
        memcpy(num, p, (size_t)(colon - p));
        num[colon - p] = 0;
        if (apex_parse_u64(num, 1, 1000000, &n) != APEX_OK || strncmp(colon, ":class:", 7) != 0 ||
            (mask = class_list(colon + 7)) < 0) {
            WHY("bad first:N:class:LIST spec '%s'", s);
            return APEX_ERR_INVALID;
        }
        out->kind = APEX_FORGET_FIRST;
        out->per_class = (int)n;
        out->classes = (unsigned)mask;
        return APEX_OK;
    }
    if (strncmp(s, "samples:", 8) == 0) {
        if (!s[8] || strlen(s + 8) >= sizeof out->path) {
            WHY("samples: needs a file path shorter than %zu bytes", sizeof out->path);
            return APEX_ERR_INVALID;
        }
        out->kind = APEX_FORGET_FILE;
        strcpy(out->path, s + 8);
        return APEX_OK;
    }
    WHY("unknown forget spec '%.40s' (class:K, classes:K,L, first:N:class:LIST, samples:FILE)", s);
    return APEX_ERR_INVALID;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Parse a file of decimal indices, one per line (blank lines and # comments allowed). */
static int read_index_file(const char *path, int pool_n, int **idx, int *n, char *why)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = apex_file_read_all(path, 64u << 20, &buf, &len);
    if (rc != APEX_OK) {
        WHY("cannot read %.80s: %s", path, apex_strerror(rc));
        return rc;
    }
    int cap = 1024, cnt = 0, line = 0;
    int *v = malloc((size_t)cap * sizeof *v);
    char *txt = malloc(len + 1);
    if (!v || !txt) {
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    memcpy(txt, buf, len);
    txt[len] = 0;
    for (char *save = NULL, *tok = strtok_r(txt, "\n", &save); tok;
         tok = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t l = strlen(tok);
        while (l && (tok[l - 1] == '\r' || tok[l - 1] == ' '))
            tok[--l] = 0;
        if (l == 0 || tok[0] == '#')
            continue;
        uint64_t k;
        if (apex_parse_u64(tok, 0, UINT32_MAX, &k) != APEX_OK) {
            WHY("%.60s line %d: not an index: '%.20s'", path, line, tok);
            rc = APEX_ERR_FORMAT;
            goto out;
        }
        if (k >= (uint64_t)pool_n) {
            WHY("%.60s line %d: index %llu beyond the %d training images", path, line,
                (unsigned long long)k, pool_n);
            rc = APEX_ERR_RANGE;
            goto out;
        }
        if (cnt == cap) {
            int *nv = realloc(v, (size_t)(cap *= 2) * sizeof *v);
            if (!nv) {
                rc = APEX_ERR_NOMEM;
                goto out;
            }
            v = nv;
        }
        v[cnt++] = (int)k;
    }
    qsort(v, (size_t)cnt, sizeof *v, cmp_int);
    int u = 0;
    for (int i = 0; i < cnt; i++)
        if (u == 0 || v[i] != v[u - 1])
            v[u++] = v[i];
    *idx = v;
    *n = u;
    v = NULL;
out:
    free(v);
    free(txt);
    free(buf);
    return rc;
}

int apex_forget_select(const apex_forget_spec *s, const apex_ml_dataset *pool, int **idx, int *n,
                       char *why)
{
    if (!s || !pool || !idx || !n)
        return APEX_ERR_INVALID;
    *idx = NULL;
    *n = 0;
    int rc = APEX_OK;
    if (s->kind == APEX_FORGET_FILE) {
        rc = read_index_file(s->path, pool->n, idx, n, why);
    } else if (s->kind == APEX_FORGET_CLASSES || s->kind == APEX_FORGET_FIRST) {
        int *v = malloc((size_t)(pool->n ? pool->n : 1) * sizeof *v), cnt = 0;
        int taken[APEX_ML_NUM_CLASSES] = {0};
        if (!v)
            return APEX_ERR_NOMEM;
        for (int i = 0; i < pool->n; i++) {
            int c = pool->y[i];
            if (!(s->classes >> c & 1))
                continue;
            if (s->kind == APEX_FORGET_FIRST && taken[c] >= s->per_class)
                continue;
            taken[c]++;
            v[cnt++] = i;
        }
        *idx = v;
        *n = cnt;
    } else {
        return APEX_ERR_INVALID;
    }
    if (rc == APEX_OK && *n == 0) {
        WHY("the forget set is empty");
        free(*idx);
        *idx = NULL;
        rc = APEX_ERR_INVALID;
    }
    return rc;
}

unsigned apex_forget_classes(const apex_ml_dataset *pool, const int *idx, int n)
{
    unsigned m = 0;
    for (int i = 0; i < n; i++)
        m |= 1u << pool->y[idx[i]];
    return m;
}

apex_ml_dataset *apex_forget_complement(const apex_ml_dataset *pool, const int *idx, int n)
{
    int *keep = malloc((size_t)(pool->n ? pool->n : 1) * sizeof *keep), nk = 0;
    if (!keep)
        return NULL;
    for (int i = 0, j = 0; i < pool->n; i++) {
        while (j < n && idx[j] < i)
            j++;
        if (j < n && idx[j] == i)
            continue;
        keep[nk++] = i;
    }
    apex_ml_dataset *d = apex_ml_dataset_subset(pool, keep, nk);
    free(keep);
    return d;
}
