/* Constraint-system builder (rules in cbuild.h). */
#include "zk/cbuild.h"

#include <stdlib.h>
#include <string.h>

/* One tensor claim's owned arrays. */
typedef struct cb_tensor {
    apex_gl2 *row_w;       /* [nrow] copy, or NULL */
    apex_gl2 *slot_w;      /* [nslot] copy, or NULL */
    apex_ligero_xterm *xt; /* [nxt] copy, or NULL */
} cb_tensor;

struct apex_cbuild {
    apex_ligero_term *terms;  /* [nterms] linear terms, c = constraint index */
    size_t nterms, cap_terms; /* used and allocated terms */
    apex_gl *b;               /* [nlin] linear values */
    size_t nlin, cap_lin;     /* used and allocated linear constraints */
    apex_ligero_quad *quads;  /* [nquad] quadratic constraints */
    size_t nquad, cap_quad;   /* used and allocated quads */
    apex_ligero_tensor *tn;   /* [ntn] tensor claims (views into own) */
    cb_tensor *own;           /* [ntn] their owned arrays */
    apex_gl2 *tval;           /* [ntn] their values */
    size_t ntn, cap_tn;       /* used and allocated claims */
};

int apex_cbuild_layout(const apex_ligero_params *ps, size_t n, size_t *w_off, size_t *r_off)
{
    w_off[0] = r_off[0] = 0;
    for (size_t k = 0; k < n; k++) {
        apex_ligero_dims d;
        if (apex_ligero_dims_of(&ps[k], &d, NULL) != APEX_OK)
            return APEX_ERR_INVALID;
        w_off[k + 1] = w_off[k] + d.nw;
        r_off[k + 1] = r_off[k] + d.nrow;
    }
    return APEX_OK;
}

apex_cbuild *apex_cbuild_new(void)
{
    return calloc(1, sizeof(apex_cbuild));
}

void apex_cbuild_destroy(apex_cbuild **pb)
{
    if (!pb || !*pb)
        return;
    apex_cbuild *b = *pb;
    for (size_t i = 0; i < b->ntn; i++) {
        free(b->own[i].row_w);
        free(b->own[i].slot_w);
        free(b->own[i].xt);
    }
    free(b->terms);
    free(b->b);
    free(b->quads);
    free(b->tn);
    free(b->own);
    free(b->tval);
    free(b);
    *pb = NULL;
}

/* Make room for one more element of size sz in *arr (count used, *cap allocated). */
static int grow(void **arr, size_t used, size_t *cap, size_t sz, size_t more)
{
    if (used + more <= *cap)
        return APEX_OK;
    size_t want = *cap ? *cap : 16;
    while (want < used + more)
        want *= 2;
    size_t bytes;
    if (apex_mul_size(want, sz, &bytes) != 0)
        return APEX_ERR_NOMEM;
    void *p = realloc(*arr, bytes);
    if (!p)
        return APEX_ERR_NOMEM;
    *arr = p;
    *cap = want;
    return APEX_OK;
}

int apex_cbuild_linear(apex_cbuild *b, const size_t *w, const apex_gl *coef, size_t n,
                       apex_gl value)
{
    if (value >= APEX_GL_P)
        return APEX_ERR_RANGE;
    size_t cap_b = b->cap_lin;
    if (grow((void **)&b->terms, b->nterms, &b->cap_terms, sizeof *b->terms, n) != APEX_OK ||
        grow((void **)&b->b, b->nlin, &cap_b, sizeof *b->b, 1) != APEX_OK)
        return APEX_ERR_NOMEM;
    b->cap_lin = cap_b;
    for (size_t i = 0; i < n; i++) {
        if (coef[i] >= APEX_GL_P)
            return APEX_ERR_RANGE;
        b->terms[b->nterms + i] = (apex_ligero_term){b->nlin, w[i], coef[i]};
    }
    b->nterms += n;
    b->b[b->nlin++] = value;
    return APEX_OK;
}

int apex_cbuild_quad(apex_cbuild *b, size_t x, size_t y, size_t z)
{
    if (grow((void **)&b->quads, b->nquad, &b->cap_quad, sizeof *b->quads, 1) != APEX_OK)
        return APEX_ERR_NOMEM;
    b->quads[b->nquad++] = (apex_ligero_quad){x, y, z};
    return APEX_OK;
}

/* A heap copy of n elements of size sz (NULL for n == 0 or src NULL). */
static void *dup_n(const void *src, size_t n, size_t sz, int *rc)
{
    if (!src || n == 0)
        return NULL;
    void *p = apex_calloc_n(n, sz);
    if (!p) {
        *rc = APEX_ERR_NOMEM;
        return NULL;
    }
    memcpy(p, src, n * sz);
    return p;
}

int apex_cbuild_tensor(apex_cbuild *b, size_t commit, const apex_gl2 *row_w, size_t nrow,
                       const apex_gl2 *slot_w, size_t nslot, const apex_ligero_xterm *xt,
                       size_t nxt, apex_gl2 value)
{
    if (value.c0 >= APEX_GL_P || value.c1 >= APEX_GL_P || (!row_w != !slot_w))
        return APEX_ERR_RANGE;
    size_t cap_own = b->cap_tn, cap_val = b->cap_tn;
    if (grow((void **)&b->tn, b->ntn, &b->cap_tn, sizeof *b->tn, 1) != APEX_OK ||
        grow((void **)&b->own, b->ntn, &cap_own, sizeof *b->own, 1) != APEX_OK ||
        grow((void **)&b->tval, b->ntn, &cap_val, sizeof *b->tval, 1) != APEX_OK)
        return APEX_ERR_NOMEM;
    int rc = APEX_OK;
    cb_tensor o = {dup_n(row_w, nrow, sizeof *row_w, &rc),
                   dup_n(slot_w, nslot, sizeof *slot_w, &rc), dup_n(xt, nxt, sizeof *xt, &rc)};
    if (rc != APEX_OK) {
        free(o.row_w);
        free(o.slot_w);
        free(o.xt);
        return rc;
    }
    b->own[b->ntn] = o;
    b->tn[b->ntn] = (apex_ligero_tensor){commit, o.row_w, o.slot_w, o.xt, nxt};
    b->tval[b->ntn++] = value;
    return APEX_OK;
}

void apex_cbuild_view(const apex_cbuild *b, apex_ligero_constraints *cons, const apex_gl **lin_b,
                      const apex_gl2 **tval)
{
    *cons =
        (apex_ligero_constraints){b->terms, b->nterms, b->nlin, b->quads, b->nquad, b->tn, b->ntn};
    if (lin_b)
        *lin_b = b->b;
    if (tval)
        *tval = b->tval;
}
