/* Global top-k selection of a mask from saliency scores (UNLEARNING.md §1).
 * The ML engine computes the scores; this file only ranks them. */
#include <math.h>
#include <stdlib.h>

#include "unlearn/unlearn.h"

/* One candidate: a non-negative score and its flat index. */
typedef struct cand {
    float s;    /* saliency score, >= 0 */
    uint64_t i; /* flat index */
} cand;

/* Highest score first; on a tie the lower index wins. */
static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int apex_mask_from_scores(const float *scores, size_t n, double density, uint64_t **idx,
                          size_t *count)
{
    if (!scores || !idx || !count || n == 0 || !(density > 0.0) || density > 1.0)
        return APEX_ERR_INVALID;
    *idx = NULL;
    *count = 0;
    size_t k = (size_t)llround(density * (double)n), nc = 0;
    k = k < 1 ? 1 : k > n ? n : k;
    for (size_t i = 0; i < n; i++) {
        if (isnan(scores[i])) {
            LOG_WARN("mask: score %zu is NaN", i);
            return APEX_ERR_INVALID;
        }
        nc += scores[i] >= 0.0f;
    }
    cand *c = apex_calloc_n(nc ? nc : 1, sizeof *c);
    if (!c)
        return APEX_ERR_NOMEM;
    for (size_t i = 0, m = 0; i < n; i++)
        if (scores[i] >= 0.0f)
            c[m++] = (cand){scores[i], i};
    qsort(c, nc, sizeof *c, cmp_cand);
    size_t take = k < nc ? k : nc;
    uint64_t *out = apex_calloc_n(take ? take : 1, sizeof *out);
    if (!out) {
        free(c);
        return APEX_ERR_NOMEM;
    }
    for (size_t m = 0; m < take; m++)
        out[m] = c[m].i;
    free(c);
    qsort(out, take, sizeof *out, cmp_u64);
    *idx = out;
    *count = take;
    return APEX_OK;
}
