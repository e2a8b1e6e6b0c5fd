/* LogUp-GKR range check over a committed vector (protocol in lgkr.h). */
#include "zk/lgkr.h"

#include <stdlib.h>
#include <string.h>

#include "zk/ligero_impl.h"
#include "zk/lgkr_impl.h"
#include "zk/mle.h"
#include "zk/sumcheck.h"

/* Below this many pairs a round runs on the calling thread only. */
#define LG_PAR_MIN 4096u

void lgkr_ctx_free(lg_ctx *c)
{
    free(c->ch);
    free(c->sent);
    c->ch = c->sent = NULL;
}

static int pow2_log(size_t n, unsigned *lg)
{
    if (!n || (n & (n - 1)))
        return 0;
    unsigned l = 0;
    while (((size_t)1 << l) < n)
        l++;
    *lg = l;
    return 1;
}

/* The tables and sections of a shape into c (C_a's dims already in c->da). */
static int tables_chk(const apex_lgkr_shape *sh, lg_ctx *c)
{
    if (sh->tabs.ntab == 0) { /* one table, every row */
        if (sh->bits < 1 || sh->bits > APEX_LGKR_MAX_BITS)
            return APEX_ERR_INVALID;
        c->ntab = c->nsec = 1;
        c->tbits[0] = sh->bits;
        c->sec_end[0] = c->da.nrow;
        c->T = (size_t)1 << sh->bits;
        return APEX_OK;
    }
    if (sh->tabs.ntab > APEX_LGKR_MAX_TABLES || sh->tabs.nsec < 1 ||
        sh->tabs.nsec > APEX_LGKR_MAX_SECS)
        return APEX_ERR_INVALID;
    size_t at = 0; /* widest first: each table starts at a multiple of its size */
    for (unsigned t = 0; t < sh->tabs.ntab; t++) {
        unsigned b = sh->tabs.bits[t];
        if (b < 1 || b > APEX_LGKR_MAX_BITS || (t > 0 && b > sh->tabs.bits[t - 1]))
            return APEX_ERR_INVALID;
        c->tbits[t] = b;
        c->tstart[t] = at;
        at += (size_t)1 << b;
    }
    c->ntab = sh->tabs.ntab;
    for (c->T = 2; c->T < at;)
        c->T *= 2;
    size_t rows = 0;
    for (unsigned s = 0; s < sh->tabs.nsec; s++) {
        if (sh->tabs.tab[s] >= sh->tabs.ntab || sh->tabs.rows[s] == 0 ||
            sh->tabs.rows[s] > c->da.nrow - rows)
            return APEX_ERR_INVALID;
        rows += sh->tabs.rows[s];
        c->sec_end[s] = rows;
        c->sec_tab[s] = sh->tabs.tab[s];
    }
    c->nsec = sh->tabs.nsec;
    return rows == c->da.nrow ? APEX_OK : APEX_ERR_INVALID;
}

/* Shapes; with need_rows == 0 C_p's row count is not checked (only its block matters). */
int lgkr_shape_chk(const apex_lgkr_shape *sh, lg_ctx *c, int need_rows, const char **reason)
{
    memset(c, 0, sizeof *c);
    if (apex_ligero_dims_of(&sh->a_params, &c->da, reason) != APEX_OK ||
        apex_ligero_dims_of(&sh->m_params, &c->dm, reason) != APEX_OK ||
        apex_ligero_dims_of(&sh->p_params, &c->dp, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    if (tables_chk(sh, c) != APEX_OK) {
        *reason = "lgkr: table widths or row sections outside the limits";
        return APEX_ERR_INVALID;
    }
    c->sh = *sh;
    c->M = c->da.nrow * c->da.wr;
    unsigned K = 0;
    while (K <= APEX_LGKR_MAX_DEPTH && ((size_t)1 << K) < c->M)
        K++;
    if (!pow2_log(c->da.wr, &c->wa) || !pow2_log(c->dm.wr, &c->wm) || c->M < 2 || c->da.wr < 4 ||
        K > APEX_LGKR_MAX_DEPTH || c->dm.nw < c->T || c->dp.wr < 4) {
        *reason = "lgkr: checked or multiplicity commitment has an unsupported shape";
        return APEX_ERR_INVALID;
    }
    unsigned B = 0;
    while (((size_t)1 << B) < c->T)
        B++;
    c->tr[0] = (lg_tree){K, 0, 0, 0};
    c->tr[1] = (lg_tree){B, 2 + 2 * (size_t)K * (K + 1), 3 * (size_t)K, (size_t)K * (K + 3) / 2};
    c->npads = c->tr[1].e0 + 2 + 2 * (size_t)B * (B + 1);
    c->nprod = 3 * (size_t)(K + B) + 2;
    c->nchal = c->tr[1].c0 + (size_t)B * (B + 3) / 2;
    c->nv = (2 * c->npads + c->dp.wr - 1) / c->dp.wr;
    c->nprow = (4 * c->nprod + c->dp.wr - 1) / c->dp.wr;
    if (need_rows && c->dp.nrow < c->nv + 3 * c->nprow) {
        *reason = "lgkr: the pad commitment has too few rows";
        return APEX_ERR_INVALID;
    }
    return APEX_OK;
}

size_t apex_lgkr_pad_rows(const apex_lgkr_shape *sh)
{
    apex_lgkr_shape s = *sh;
    const char *why;
    s.p_params.nwrow = 1;
    lg_ctx c;
    return lgkr_shape_chk(&s, &c, 0, &why) == APEX_OK ? c.nv + 3 * c.nprow : 0;
}

size_t apex_lgkr_sent_count(const apex_lgkr_shape *sh)
{
    lg_ctx c;
    const char *why;
    return lgkr_shape_chk(sh, &c, 0, &why) == APEX_OK ? c.npads : 0;
}

/* ---------------------------------------------------------------- transcript */

int lgkr_draw_x(apex_transcript *t, const apex_lgkr_shape *sh, const apex_hash *root_a,
                const apex_hash *root_m, const apex_hash *root_p, lg_ctx *c)
{
    const apex_ligero_params *ps[3] = {&sh->a_params, &sh->m_params, &sh->p_params};
    int rc = apex_transcript_absorb_u64(t, "lgkr.bits", sh->bits);
    if (rc == APEX_OK && sh->tabs.ntab) { /* the tables and sections (a one-table shape: bits) */
        rc = apex_transcript_absorb_u64(t, "lgkr.ntab", sh->tabs.ntab);
        for (unsigned i = 0; i < sh->tabs.ntab && rc == APEX_OK; i++)
            rc = apex_transcript_absorb_u64(t, "lgkr.tab_bits", sh->tabs.bits[i]);
        if (rc == APEX_OK)
            rc = apex_transcript_absorb_u64(t, "lgkr.nsec", sh->tabs.nsec);
        for (unsigned i = 0; i < sh->tabs.nsec && rc == APEX_OK; i++) {
            rc = apex_transcript_absorb_u64(t, "lgkr.sec_rows", sh->tabs.rows[i]);
            if (rc == APEX_OK)
                rc = apex_transcript_absorb_u64(t, "lgkr.sec_tab", sh->tabs.tab[i]);
        }
    }
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "lgkr.depth", c->tr[0].K);
    for (int i = 0; i < 3 && rc == APEX_OK; i++) { /* the whole shape, before any challenge */
        const uint64_t f[4] = {ps[i]->log_block, ps[i]->npad, ps[i]->nreq, ps[i]->nwrow};
        for (int k = 0; k < 4 && rc == APEX_OK; k++)
            rc = apex_transcript_absorb_u64(t, "lgkr.shape", f[k]);
    }
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "lgkr.root_a", root_a->b, APEX_SHA256_LEN);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "lgkr.root_m", root_m->b, APEX_SHA256_LEN);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "lgkr.root_p", root_p->b, APEX_SHA256_LEN);
    do {
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &c->X, 1);
    } while (rc == APEX_OK && c->X.c1 < c->ntab); /* X.c1 = 0 or a tag: a q could vanish */
    return rc;
}

int lgkr_absorb_roots(apex_transcript *t, const lg_ctx *c)
{
    const apex_gl2 v[4] = {c->sent[c->tr[0].e0], c->sent[c->tr[0].e0 + 1], c->sent[c->tr[1].e0],
                           c->sent[c->tr[1].e0 + 1]};
    return apex_transcript_absorb_gl2(t, "lgkr.roots", v, 4);
}

/* ---------------------------------------------------------------- prover: trees */

/* A layer's (p, q) table: explicit arrays, or the witness leaves computed from a. */
typedef struct lg_src {
    const apex_gl2 *p, *q; /* explicit layer, or NULL */
    const apex_gl *a;      /* witness values (leaves), or NULL */
    size_t M;              /* real leaves */
    apex_gl2 X;            /* the LogUp point */
    int drop;              /* tests only (LGKR_CHEAT_DROP): p = 0 where a is outside its table */
    apex_gl delta;         /* tests only (LGKR_CHEAT_PROD, _COPY): added to q0 q1 of every
                              leaf pair; 0: off */
    size_t cfrom;          /* entries i >= cfrom are (p, q) = (0, 1): the padding */
    const lg_ctx *c;       /* leaves: the tables and row sections (tags) */
    int retag;             /* tests only (LGKR_CHEAT_RETAG): a leaf outside its section's table
                              takes the tag of the widest table that holds it */
} lg_src;

/* The tag of leaf i (the table its row is checked against). */
static inline unsigned src_tag(const lg_src *s, size_t i)
{
    return s->c->nsec == 1 ? s->c->sec_tab[0] : lgkr_row_tab(s->c, i >> s->c->wa);
}

/* X - (v + tag x): a leaf's or a table entry's q. */
static inline apex_gl2 tagged_q(apex_gl2 X, apex_gl v, unsigned tag)
{
    return apex_gl2_make(apex_gl_sub(X.c0, v), apex_gl_sub(X.c1, (apex_gl)tag));
}

static inline void src_get(const lg_src *s, size_t i, apex_gl2 *p, apex_gl2 *q)
{
    if (!s->a) {
        *p = s->p[i];
        *q = s->q[i];
    } else if (i < s->M) {
        unsigned tag = src_tag(s, i);
        if (s->retag && s->a[i] >> s->c->tbits[tag] != 0)
            for (unsigned t = 0; t < s->c->ntab; t++)
                if (s->a[i] >> s->c->tbits[t] == 0) {
                    tag = t;
                    break;
                }
        *p = apex_gl2_from_gl(!s->drop || s->a[i] >> s->c->tbits[tag] == 0);
        *q = tagged_q(s->X, s->a[i], tag);
    } else {
        *p = apex_gl2_from_gl(0);
        *q = apex_gl2_from_gl(1);
    }
}

typedef struct lg_up {
    const lg_src *src;
    apex_gl2 *p, *q; /* the parent layer */
} lg_up;

/* The leaves 2 y, 2 y + 1 .. (count n from i) are real and no test cheat is on: p = 1 and
 * q = X - a, whose second coordinate is X.c1 for every leaf. */
static inline int src_plain(const lg_src *s, size_t i, size_t n)
{
    return s->a && !s->drop && !s->delta && !s->retag && i + n <= s->M;
}

/* (c0 + c x)(c0' + c x) = (c0 c0' + 7 c^2, c (c0 + c0')) with x^2 = 7: two base products
 * instead of the three of a general product; k7 = 7 c^2. */
static inline apex_gl2 q_prod(apex_gl a, apex_gl b, apex_gl c, apex_gl k7)
{
    return apex_gl2_make(apex_gl_add(apex_gl_mul(a, b), k7), apex_gl_mul(c, apex_gl_add(a, b)));
}

static void up_slice(par_job *j)
{
    const lg_up *u = j->arg;
    const lg_src *s = u->src;
    apex_gl c = 0, k7 = 0;
    unsigned ctag = ~0u; /* the tag c and k7 are for */
    for (size_t y = j->lo; y < j->hi; y++) {
        if (2 * y >= s->cfrom && !s->delta) { /* two padding children: padding */
            u->p[y] = apex_gl2_from_gl(0);
            u->q[y] = apex_gl2_from_gl(1);
            continue;
        }
        if (src_plain(s, 2 * y, 2)) {         /* p0 q1 + p1 q0 = q0 + q1 */
            unsigned tag = src_tag(s, 2 * y); /* one row: both leaves have it */
            if (tag != ctag) {
                ctag = tag;
                c = apex_gl_sub(s->X.c1, (apex_gl)tag);
                k7 = apex_gl_mul(APEX_GL2_NONRESIDUE, apex_gl_mul(c, c));
            }
            apex_gl q0 = apex_gl_sub(s->X.c0, s->a[2 * y]),
                    q1 = apex_gl_sub(s->X.c0, s->a[2 * y + 1]);
            u->p[y] = apex_gl2_make(apex_gl_add(q0, q1), apex_gl_add(c, c));
            u->q[y] = q_prod(q0, q1, c, k7);
            continue;
        }
        apex_gl2 p0, q0, p1, q1;
        src_get(u->src, 2 * y, &p0, &q0);
        src_get(u->src, 2 * y + 1, &p1, &q1);
        u->p[y] = apex_gl2_add(apex_gl2_mul(p0, q1), apex_gl2_mul(p1, q0));
        u->q[y] = apex_gl2_add(apex_gl2_mul(q0, q1), apex_gl2_from_gl(u->src->delta));
    }
}

static int run(void (*fn)(par_job *), void *arg, size_t n)
{
    if (n >= LG_PAR_MIN)
        return ligero_par_run(fn, arg, n);
    par_job job = {fn, 0, n, arg, APEX_OK, 0};
    fn(&job);
    return job.rc;
}

/* A caller's scratch for the witness tree (apex_lgkr_prove_commit_in): carved in order, never
 * freed here; the caller wipes it. */
typedef struct lg_arena {
    apex_gl2 *base;
    size_t n, used; /* entries */
} lg_arena;

static apex_gl2 *arena_take(lg_arena *ar, size_t n)
{
    if (!ar || !ar->base || n > ar->n - ar->used)
        return NULL;
    apex_gl2 *p = ar->base + ar->used;
    ar->used += n;
    return p;
}

/* A tree's explicit layers 0..K-1 (and K when the leaves are explicit). */
typedef struct lg_layers {
    unsigned K;
    apex_gl2 *p[APEX_LGKR_MAX_DEPTH + 1];
    apex_gl2 *q[APEX_LGKR_MAX_DEPTH + 1];
    size_t cfrom[APEX_LGKR_MAX_DEPTH + 1]; /* layer k is (0, 1) from this entry on */
    int in_arena;                          /* layers 0..K-1 live in the caller's arena */
} lg_layers;

/* The layers are functions of the witness: wiped before they are freed (the arena's owner
 * wipes the arena). */
static void layers_free(lg_layers *L)
{
    for (unsigned k = 0; k <= APEX_LGKR_MAX_DEPTH; k++) {
        if (L->in_arena && k < L->K) {
            L->p[k] = L->q[k] = NULL;
            continue;
        }
        size_t bytes = ((size_t)1 << k) * sizeof(apex_gl2);
        if (L->p[k])
            apex_wipe(L->p[k], bytes);
        if (L->q[k])
            apex_wipe(L->q[k], bytes);
        free(L->p[k]);
        free(L->q[k]);
        L->p[k] = L->q[k] = NULL;
    }
}

static lg_src layer_src(const lg_layers *L, unsigned k, const lg_src *leaves)
{
    if (k == L->K && leaves)
        return *leaves;
    return (lg_src){L->p[k], L->q[k], NULL, 0, {0, 0}, 0, 0, L->cfrom[k], NULL, 0};
}

/* Entries of layers 0..K-1 (p and q). */
static size_t layers_entries(unsigned K)
{
    return 2 * (((size_t)1 << K) - 1);
}

/* Build layers K-1 .. 0 from the leaves (leaves->a set, or L->p[K], L->q[K] explicit), in ar
 * when it has room for all of them. */
static int build_layers(lg_layers *L, const lg_src *leaves, lg_arena *ar)
{
    L->in_arena = ar && ar->base && layers_entries(L->K) <= ar->n - ar->used;
    /* padding leaves (0, 1) make (0 * 1 + 0 * 1, 1 * 1) = (0, 1) parents, unless a test's
     * delta is added to every q */
    L->cfrom[L->K] = leaves ? leaves->cfrom : (size_t)1 << L->K;
    for (unsigned k = L->K; k-- > 0;)
        L->cfrom[k] = leaves && !leaves->delta ? (L->cfrom[k + 1] + 1) / 2 : (size_t)1 << k;
    for (unsigned k = L->K; k-- > 0;) {
        size_t n = (size_t)1 << k;
        if (L->in_arena) {
            L->p[k] = arena_take(ar, n);
            L->q[k] = arena_take(ar, n);
        } else if (!(L->p[k] = apex_calloc_n(n, sizeof(apex_gl2))) ||
                   !(L->q[k] = apex_calloc_n(n, sizeof(apex_gl2))))
            return APEX_ERR_NOMEM;
        lg_src s = layer_src(L, k + 1, leaves);
        lg_up u = {&s, L->p[k], L->q[k]};
        int rc = run(up_slice, &u, n);
        if (rc != APEX_OK)
            return rc;
    }
    return APEX_OK;
}

/* ---------------------------------------------------------------- prover: one layer */

/* One round's sums: s1[z] = sum_b e_b (P0 Q1 + P1 Q0)(z), s2[z] = sum_b e_b (Q0 Q1)(z) for
 * z = 0, 1 and the leading coefficient, over the pairs b of the current tables. */
typedef struct lg_round {
    const lg_src *src; /* round 0: the layer itself */
    apex_gl2 *tab[4];  /* later rounds: P0, P1, Q0, Q1 */
    apex_gl2 *out[4];  /* fold target (never tab: the slices run in parallel) */
    const apex_gl2 *e; /* eq table of the remaining variables */
    apex_gl2 r;        /* fold: the challenge */
    size_t tail;       /* pairs b >= tail are all (P, Q) = (0, 1) at z = 0 and 1 */
    size_t ones;       /* later rounds: entries [0, ones) of P0 and P1 are exactly 1 */
    int skip1;         /* z = 1 is not summed (the running claim gives it) */
    apex_gl2 s1[APEX_ZK_THREADS][3], s2[APEX_ZK_THREADS][3];
} lg_round;

/* The pair b's values at z = 0 (v0) and z = 1 (v1): P0, P1, Q0, Q1. */
static inline void pair_values(const lg_round *g, size_t b, apex_gl2 v0[4], apex_gl2 v1[4])
{
    if (g->src) { /* y = 2 b + z: P0 = p[2 y], P1 = p[2 y + 1] */
        src_get(g->src, 4 * b, &v0[0], &v0[2]);
        src_get(g->src, 4 * b + 1, &v0[1], &v0[3]);
        src_get(g->src, 4 * b + 2, &v1[0], &v1[2]);
        src_get(g->src, 4 * b + 3, &v1[1], &v1[3]);
    } else {
        for (int i = 0; i < 4; i++) {
            v0[i] = g->tab[i][2 * b];
            v1[i] = g->tab[i][2 * b + 1];
        }
    }
}

static void sums_slice(par_job *j)
{
    lg_round *g = j->arg;
    apex_gl2_acc s1[3], s2[3]; /* reduced once, at the end of the slice */
    for (int z = 0; z < 3; z++)
        apex_gl2_acc_zero(&s1[z]), apex_gl2_acc_zero(&s2[z]);
    const lg_src *src = g->src;
    apex_gl c = 0, k7 = 0;
    unsigned ctag = ~0u; /* the tag c and k7 are for */
    for (size_t b = j->lo; b < j->hi; b++) {
        if (b >= g->tail) { /* padding: u = 0, Q0 Q1 = 1 at z = 0, 1, and no slope */
            apex_gl2_acc_add(&s2[0], g->e[b]);
            apex_gl2_acc_add(&s2[1], g->e[b]);
            continue;
        }
        if (src && src_plain(src, 4 * b, 4)) {
            /* four real leaves: P = 1 at z = 0, 1 and P's differences vanish, so u = Q0 + Q1
             * there and u = 0 at the leading coefficient, where the Q's differ by base
             * elements; the same sums as the general loop below */
            const apex_gl *a = src->a + 4 * b;
            unsigned tag = src_tag(src, 4 * b); /* rows hold >= 4 slots: one row */
            if (tag != ctag) {
                ctag = tag;
                c = apex_gl_sub(src->X.c1, (apex_gl)tag);
                k7 = apex_gl_mul(APEX_GL2_NONRESIDUE, apex_gl_mul(c, c));
            }
            apex_gl q00 = apex_gl_sub(src->X.c0, a[0]), q01 = apex_gl_sub(src->X.c0, a[1]);
            apex_gl q10 = apex_gl_sub(src->X.c0, a[2]), q11 = apex_gl_sub(src->X.c0, a[3]);
            apex_gl2 e = g->e[b];
            apex_gl2 u0 = apex_gl2_make(apex_gl_add(q00, q01), apex_gl_add(c, c));
            apex_gl2_acc_mul(&s1[0], e, u0);
            apex_gl2_acc_mul(&s2[0], e, q_prod(q00, q01, c, k7));
            if (!g->skip1) {
                apex_gl2 u1 = apex_gl2_make(apex_gl_add(q10, q11), apex_gl_add(c, c));
                apex_gl2_acc_mul(&s1[1], e, u1);
                apex_gl2_acc_mul(&s2[1], e, q_prod(q10, q11, c, k7));
            }
            apex_gl w2 = apex_gl_mul(apex_gl_sub(q10, q00), apex_gl_sub(q11, q01));
            apex_gl2_acc_mul_gl(&s2[2], e, w2);
            continue;
        }
        if (2 * b + 1 < g->ones) {
            /* the leaf layer after round 0 (real leaves only): P0 = P1 = 1 at z = 0 and 1,
             * so u = Q0 + Q1 at z = 0 and u = 0 at the leading coefficient (the general loop
             * below gives the same sums) */
            const apex_gl2 e = g->e[b];
            apex_gl2 q00 = g->tab[2][2 * b], q10 = g->tab[3][2 * b];
            apex_gl2 q01 = g->tab[2][2 * b + 1], q11 = g->tab[3][2 * b + 1];
            apex_gl2_acc_mul(&s1[0], e, apex_gl2_add(q00, q10));
            apex_gl2_acc_mul(&s2[0], e, apex_gl2_mul(q00, q10));
            if (!g->skip1) {
                apex_gl2_acc_mul(&s1[1], e, apex_gl2_add(q01, q11));
                apex_gl2_acc_mul(&s2[1], e, apex_gl2_mul(q01, q11));
            }
            apex_gl2_acc_mul(&s2[2], e,
                             apex_gl2_mul(apex_gl2_sub(q01, q00), apex_gl2_sub(q11, q10)));
            continue;
        }
        apex_gl2 v[3][4];
        pair_values(g, b, v[0], v[1]);
        for (int i = 0; i < 4; i++)
            v[2][i] = apex_gl2_sub(v[1][i], v[0][i]);
        for (int z = 0; z < 3; z++) {
            if (z == 1 && g->skip1)
                continue;
            /* e (P0 Q1 + P1 Q0) and e Q0 Q1 from e Q0 and e Q1: two reduced products and three
             * unreduced ones instead of three and two */
            apex_gl2 eq0 = apex_gl2_mul(g->e[b], v[z][2]), eq1 = apex_gl2_mul(g->e[b], v[z][3]);
            apex_gl2_acc_mul(&s1[z], eq1, v[z][0]);
            apex_gl2_acc_mul(&s1[z], eq0, v[z][1]);
            apex_gl2_acc_mul(&s2[z], eq0, v[z][3]);
        }
    }
    for (int z = 0; z < 3; z++) {
        g->s1[j->slice][z] = apex_gl2_acc_get(&s1[z]);
        g->s2[j->slice][z] = apex_gl2_acc_get(&s2[z]);
    }
}

/* Fold: out[i][b] = v0 + r (v1 - v0) for the pair b. */
static void fold_slice(par_job *j)
{
    lg_round *g = j->arg;
    const lg_src *src = g->src;
    const apex_gl r7 = apex_gl_mul7(g->r.c1);
    for (size_t b = j->lo; b < j->hi; b++) {
        if (b >= g->tail) { /* padding folds to padding */
            g->out[0][b] = g->out[1][b] = apex_gl2_from_gl(0);
            g->out[2][b] = g->out[3][b] = apex_gl2_from_gl(1);
            continue;
        }
        if (src && src_plain(src, 4 * b, 4)) { /* P stays 1; Q moves by a base difference */
            const apex_gl *a = src->a + 4 * b;
            unsigned tag = src_tag(src, 4 * b);
            for (int i = 0; i < 2; i++) {
                apex_gl d = apex_gl_sub(a[i], a[2 + i]);
                g->out[i][b] = apex_gl2_from_gl(1);
                g->out[2 + i][b] =
                    apex_gl2_add(tagged_q(src->X, a[i], tag), apex_gl2_mul_gl(g->r, d));
            }
            continue;
        }
        if (2 * b + 1 < g->ones) { /* P stays 1 (see sums_slice) */
            g->out[0][b] = g->out[1][b] = apex_gl2_from_gl(1);
            for (int i = 2; i < 4; i++) {
                apex_gl2 v0 = g->tab[i][2 * b], v1 = g->tab[i][2 * b + 1];
                g->out[i][b] = apex_gl2_lerp(v0, v1, g->r, r7);
            }
            continue;
        }
        apex_gl2 v0[4], v1[4];
        pair_values(g, b, v0, v1);
        for (int i = 0; i < 4; i++)
            g->out[i][b] = apex_gl2_lerp(v0[i], v1[i], g->r, r7);
    }
}

/* Tests only: sum G(1) as well instead of taking it from the running claim, the cheat of the
 * composed prover (apex_lgkr_prove_commit), and the leaf layer's later rounds without their
 * P = 1 shortcut. */
static int full_sums = 0, commit_cheat = LGKR_HONEST, all_ones_off = 0;

void lgkr_test_set_no_ones(int off)
{
    all_ones_off = off;
}

void lgkr_test_set_full_sums(int on)
{
    full_sums = on;
}

void lgkr_test_set_commit_cheat(int cheat)
{
    commit_cheat = cheat;
}

/* eq(rho, x) for one variable at x. */
static apex_gl2 eq1(apex_gl2 rho, apex_gl2 x)
{
    apex_gl2 one = apex_gl2_from_gl(1);
    return apex_gl2_add(apex_gl2_mul(rho, x),
                        apex_gl2_mul(apex_gl2_sub(one, rho), apex_gl2_sub(one, x)));
}

/* Prove layer k of a tree: k - 1 rounds over src with eq(rho, .), lambda, then fin = A, B,
 * C, D. sent/pads point at the layer's pads; ch at its challenges (lambda already drawn).
 * Round values are sent as h - pad. */
/* A tree's round buffers, sized for its widest layer and reused by every layer: fold targets
 * buf[0] (half / 2 entries) and buf[1] (half / 4), and the eq table e (half / 2). */
typedef struct lg_bufs {
    apex_gl2 *buf[2][4], *e;
    size_t half;  /* of the widest layer */
    int in_arena; /* all of them in the caller's arena */
} lg_bufs;

/* Entries of a tree's round buffers: e and buf[0] (half / 2 each), buf[1] (half / 4). */
static size_t bufs_entries(unsigned K)
{
    size_t half = (size_t)1 << (K >= 1 ? K - 1 : 0);
    size_t n0 = half / 2 ? half / 2 : 1, n1 = half > 4 ? half / 4 : 1;
    return 5 * n0 + 4 * n1;
}

static void bufs_free(lg_bufs *b)
{
    if (b->in_arena) {
        memset(b, 0, sizeof *b);
        return;
    }
    size_t n0 = b->half / 2 ? b->half / 2 : 1, n1 = b->half > 4 ? b->half / 4 : 1;
    for (int i = 0; i < 4; i++) { /* folded tables are functions of the witness */
        if (b->buf[0][i])
            apex_wipe(b->buf[0][i], n0 * sizeof(apex_gl2));
        if (b->buf[1][i])
            apex_wipe(b->buf[1][i], n1 * sizeof(apex_gl2));
        free(b->buf[0][i]);
        free(b->buf[1][i]);
    }
    free(b->e);
    memset(b, 0, sizeof *b);
}

static int bufs_alloc(lg_bufs *b, unsigned K, lg_arena *ar)
{
    memset(b, 0, sizeof *b);
    b->half = (size_t)1 << (K >= 1 ? K - 1 : 0); /* layer K's y's */
    size_t n0 = b->half / 2 ? b->half / 2 : 1, n1 = b->half > 4 ? b->half / 4 : 1;
    if (ar && ar->base && bufs_entries(K) <= ar->n - ar->used) {
        b->in_arena = 1;
        b->e = arena_take(ar, n0);
        for (int i = 0; i < 4; i++) {
            b->buf[0][i] = arena_take(ar, n0);
            b->buf[1][i] = arena_take(ar, n1);
        }
        return APEX_OK;
    }
    int rc = (b->e = apex_calloc_n(n0, sizeof *b->e)) ? APEX_OK : APEX_ERR_NOMEM;
    for (int i = 0; i < 4 && rc == APEX_OK; i++)
        if (!(b->buf[0][i] = apex_calloc_n(n0, sizeof(apex_gl2))) ||
            !(b->buf[1][i] = apex_calloc_n(n1, sizeof(apex_gl2))))
            rc = APEX_ERR_NOMEM;
    if (rc != APEX_OK)
        bufs_free(b);
    return rc;
}

static int layer_prove(apex_transcript *t, const lg_src *src, unsigned k, const apex_gl2 *rho,
                       apex_gl2 *ch, const apex_gl2 *pads, apex_gl2 *sent, int cheat,
                       apex_gl2 claim, lg_bufs *lb, apex_gl2 fin[4])
{
    unsigned n = k - 1;
    if (n == 0) {
        src_get(src, 0, &fin[0], &fin[2]);
        src_get(src, 1, &fin[1], &fin[3]);
        return APEX_OK;
    }
    size_t half = (size_t)1 << n; /* the y's */
    lg_round g;
    memset(&g, 0, sizeof g);
    /* fold targets alternate: round j writes buf[j % 2] (half / 2, then half / 4 entries) */
    if (half > lb->half)
        return APEX_ERR_INVALID;
    apex_gl2 *(*buf)[4] = lb->buf, *e = lb->e;
    int rc = APEX_OK;
    apex_gl2 cpre = apex_gl2_from_gl(1), lambda = ch[0];
    size_t cur = half, tail = (src->cfrom + 3) / 4; /* round 0's pairs cover 4 entries */
    size_t ones = 0; /* entries of the next round's P tables that are exactly 1 */
    for (unsigned j = 0; j < n && rc == APEX_OK; j++) {
        size_t npair = cur / 2;
        /* eq over rho_{j+1..}: built once, then halved each round, since summing a table
         * over its first variable leaves eq of the others ((1 - r) + r = 1): additions only,
         * and the same values */
        if (j == 0)
            rc = apex_mle_eq(e, rho + 1, n - 1);
        else
            for (size_t b = 0; b < (size_t)1 << (n - 1 - j); b++)
                e[b] = apex_gl2_add(e[2 * b], e[2 * b + 1]);
        if (rc != APEX_OK)
            break;
        g.src = j == 0 ? src : NULL;
        for (int i = 0; i < 4; i++) {
            g.tab[i] = buf[(j + 1) % 2][i];
            g.out[i] = buf[j % 2][i];
        }
        g.e = e;
        g.tail = tail;
        /* the leaf layer's P tables: round 0 folds four leaves into each entry, which stays 1
         * when all four are real (and no test cheat changes p); each round halves the run */
        g.ones = j == 0 ? 0 : ones;
        ones = j == 0 ? (src_plain(src, 0, 0) && !all_ones_off ? src->M / 4 : 0) : ones / 2;
        /* h(0) + h(1) = claim = cpre ((1 - rho_j) G(0) + rho_j G(1)) gives G(1) without its
         * sums (the claim is the true one: the previous values before any test forgery; a
         * test's delta on every gate is left to the full sums) */
        apex_gl2 icpre, irho;
        g.skip1 = !full_sums && !src->delta && apex_gl2_inv(cpre, &icpre) == APEX_OK &&
                  apex_gl2_inv(rho[j], &irho) == APEX_OK;
        memset(g.s1, 0, sizeof g.s1);
        memset(g.s2, 0, sizeof g.s2);
        if ((rc = run(sums_slice, &g, npair)) != APEX_OK)
            break;
        apex_gl2 G[3];
        for (int z = 0; z < 3; z++) {
            apex_gl2 s1 = {0, 0}, s2 = {0, 0};
            for (unsigned s = 0; s < APEX_ZK_THREADS; s++) {
                s1 = apex_gl2_add(s1, g.s1[s][z]);
                s2 = apex_gl2_add(s2, g.s2[s][z]);
            }
            G[z] = apex_gl2_add(apex_gl2_mul(lambda, s1), s2);
        }
        /* tests only: a constant delta on every gate adds delta to G(0) and G(1), since the
         * eq weights of the remaining variables sum to 1 */
        G[0] = apex_gl2_add(G[0], apex_gl2_from_gl(src->delta));
        G[1] = apex_gl2_add(G[1], apex_gl2_from_gl(src->delta));
        if (g.skip1) {
            apex_gl2 rest =
                apex_gl2_sub(apex_gl2_mul(claim, icpre),
                             apex_gl2_mul(apex_gl2_sub(apex_gl2_from_gl(1), rho[j]), G[0]));
            G[1] = apex_gl2_mul(rest, irho);
        }
        /* G(x) = G0 + (G1 - G0 - Ginf) x + Ginf x^2; h(x) = cpre eq1(rho_j, x) G(x) */
        apex_gl2 mid = apex_gl2_sub(apex_gl2_sub(G[1], G[0]), G[2]);
        for (unsigned x = 0; x < 4; x++) {
            apex_gl2 X = apex_gl2_from_gl(x);
            apex_gl2 gx =
                apex_gl2_add(G[0], apex_gl2_mul(X, apex_gl2_add(mid, apex_gl2_mul(X, G[2]))));
            apex_gl2 hx = apex_gl2_mul(apex_gl2_mul(cpre, eq1(rho[j], X)), gx);
            if ((cheat == LGKR_CHEAT_ROUND && j == 0) || (cheat == LGKR_CHEAT_LAST && j + 1 == n))
                hx = apex_gl2_add(hx, apex_gl2_from_gl((apex_gl)x * (x - 1))); /* same sum */
            sent[4 * (size_t)j + x] = apex_gl2_sub(hx, pads[4 * (size_t)j + x]);
        }
        if ((rc = apex_transcript_absorb_gl2(t, "lgkr.round", &sent[4 * (size_t)j], 4)) !=
                APEX_OK ||
            (rc = apex_transcript_challenge_gl2(t, &ch[1 + j], 1)) != APEX_OK)
            break;
        { /* the next claim: h_j(r_j), of the true G */
            apex_gl2 X = ch[1 + j];
            apex_gl2 gx =
                apex_gl2_add(G[0], apex_gl2_mul(X, apex_gl2_add(mid, apex_gl2_mul(X, G[2]))));
            cpre = apex_gl2_mul(cpre, eq1(rho[j], X));
            claim = apex_gl2_mul(cpre, gx);
        }
        g.r = ch[1 + j];
        rc = run(fold_slice, &g, npair);
        cur = npair;
        tail = (tail + 1) / 2; /* the next round's pairs cover 2 folded entries */
    }
    if (rc == APEX_OK)
        for (int i = 0; i < 4; i++)
            fin[i] = buf[(n - 1) % 2][i][0];
    return rc;
}

/* Prove one tree top-down. rho (size K) holds the running claim point. */
static int tree_prove(apex_transcript *t, lg_ctx *c, const lg_tree *tr, const lg_layers *L,
                      const lg_src *leaves, const apex_gl2 *pads, int cheat, lg_arena *ar)
{
    /* tests only: the GKR forgeries of the table tree are those of the witness tree */
    if (!leaves)
        cheat = cheat == LGKR_CHEAT_MID_T     ? LGKR_CHEAT_MID
                : cheat == LGKR_CHEAT_ROUND_T ? LGKR_CHEAT_ROUND
                : cheat == LGKR_CHEAT_LAST_T  ? LGKR_CHEAT_LAST
                                              : LGKR_HONEST;
    apex_gl2 rho[APEX_LGKR_MAX_DEPTH + 1], nrho[APEX_LGKR_MAX_DEPTH + 1];
    apex_gl2 prev[4] = {L->p[0][0], L->p[0][0], L->q[0][0], L->q[0][0]}; /* true values */
    apex_gl2 mu = apex_gl2_from_gl(0);
    lg_bufs lb;
    int rc = bufs_alloc(&lb, tr->K, ar);
    for (unsigned k = 1; k <= tr->K && rc == APEX_OK; k++) {
        size_t e = lay_pad(tr, k), h = lay_ch(tr, k);
        if ((rc = apex_transcript_challenge_gl2(t, &c->ch[h], 1)) != APEX_OK)
            break;
        /* the layer's claim, lambda p_{k-1}(rho_k) + q_{k-1}(rho_k), from the previous true
         * values (the root at k = 1) */
        apex_gl2 mu1 = apex_gl2_sub(apex_gl2_from_gl(1), mu);
        apex_gl2 pk = apex_gl2_add(apex_gl2_mul(mu1, prev[0]), apex_gl2_mul(mu, prev[1]));
        apex_gl2 qk = apex_gl2_add(apex_gl2_mul(mu1, prev[2]), apex_gl2_mul(mu, prev[3]));
        apex_gl2 claim = apex_gl2_add(apex_gl2_mul(c->ch[h], pk), qk);
        lg_src s = layer_src(L, k, leaves);
        apex_gl2 fin[4];
        int lc = k == tr->K && k >= 3 ? cheat : LGKR_HONEST; /* the leaf layer */
        if ((rc = layer_prove(t, &s, k, rho, &c->ch[h], &pads[e], &c->sent[e], lc, claim, &lb,
                              fin)) != APEX_OK)
            break;
        memcpy(prev, fin, sizeof prev);
        if (cheat == LGKR_CHEAT_MID && k == 1) { /* A + 1, B - D / C: same A D + B C */
            apex_gl2 inv;
            apex_gl2_inv(fin[2], &inv);
            fin[0] = apex_gl2_add(fin[0], apex_gl2_from_gl(1));
            fin[1] = apex_gl2_sub(fin[1], apex_gl2_mul(fin[3], inv));
        }
        for (int i = 0; i < 4; i++)
            c->sent[e + 4 * (size_t)(k - 1) + i] = apex_gl2_sub(fin[i], pads[e + 4 * (k - 1) + i]);
        if ((rc = apex_transcript_absorb_gl2(t, "lgkr.values", &c->sent[e + 4 * (size_t)(k - 1)],
                                             4)) != APEX_OK ||
            (rc = apex_transcript_challenge_gl2(t, &c->ch[h + k], 1)) != APEX_OK)
            break;
        nrho[0] = mu = c->ch[h + k]; /* rho_{k+1} = (mu_k, r) */
        for (unsigned j = 0; j + 1 < k; j++)
            nrho[1 + j] = c->ch[h + 1 + j];
        memcpy(rho, nrho, k * sizeof *rho);
    }
    bufs_free(&lb);
    return rc;
}

/* Uniform base elements from the secure generator (rejection sampling) or the test one. */
static int random_gl(apex_rng *test, apex_gl *out, size_t n)
{
    ligero_rand r;
    ligero_rand_init(&r, test);
    int rc = ligero_rand_gl(&r, out, n);
    apex_wipe(&r, sizeof r);
    return rc;
}

/* C_p's witness: the pads, then the X, Y, Z product blocks. Tests only: delta != 0 shifts the
 * witness leaf layer's C D product by delta, through Z (LGKR_CHEAT_PROD) or through the X
 * copy with Z = X Y kept (LGKR_CHEAT_COPY). */
static void pad_witness(const lg_ctx *c, const apex_gl *flat, apex_gl *pw, int cheat, apex_gl delta)
{
    size_t wr = c->dp.wr;
    memcpy(pw, flat, 2 * c->npads * sizeof *pw);
    size_t xb = c->nv * wr, yb = xb + c->nprow * wr, zb = yb + c->nprow * wr;
    for (size_t q = 0; q < c->nprod; q++) {
        size_t ea, eb;
        lgkr_product_pads(c, q, &ea, &eb);
        for (size_t s = 0; s < 4; s++) {
            apex_gl x = flat[2 * ea + LGKR_SX[s]], y = flat[2 * eb + LGKR_SY[s]];
            pw[xb + 4 * q + s] = x;
            pw[yb + 4 * q + s] = y;
            pw[zb + 4 * q + s] = apex_gl_mul(x, y);
        }
    }
    size_t qcd = c->tr[0].q0 + 3 * (size_t)(c->tr[0].K - 1) + 2;
    if (cheat == LGKR_CHEAT_PROD)
        pw[zb + 4 * qcd] = apex_gl_add(pw[zb + 4 * qcd], delta);
    apex_gl yinv;
    if (cheat == LGKR_CHEAT_COPY && apex_gl_inv(pw[yb + 4 * qcd], &yinv) == APEX_OK) {
        apex_gl x0 = apex_gl_add(pw[xb + 4 * qcd], apex_gl_mul(delta, yinv)); /* X0 + d / Y0 */
        pw[xb + 4 * qcd] = x0;
        pw[zb + 4 * qcd] = apex_gl_mul(x0, pw[yb + 4 * qcd]);
    }
}

const unsigned LGKR_SX[4] = {0, 1, 0, 1}, LGKR_SY[4] = {0, 1, 1, 0};

/* Pads of the product q (both sides derive them from the shape). */
void lgkr_product_pads(const lg_ctx *c, size_t q, size_t *ea, size_t *eb)
{
    size_t qr = c->nprod - 2;
    if (q >= qr) { /* the root check: P_w Q_t, P_t Q_w */
        const lg_tree *w = &c->tr[0], *tt = &c->tr[1];
        *ea = q == qr ? w->e0 : tt->e0;
        *eb = q == qr ? tt->e0 + 1 : w->e0 + 1;
        return;
    }
    const lg_tree *tr = q >= c->tr[1].q0 ? &c->tr[1] : &c->tr[0];
    size_t off = q - tr->q0;
    unsigned k = (unsigned)(off / 3) + 1;
    size_t v = lay_pad(tr, k) + 4 * (size_t)(k - 1); /* A, B, C, D */
    switch (off % 3) {
    case 0:
        *ea = v, *eb = v + 3;
        break; /* A D */
    case 1:
        *ea = v + 1, *eb = v + 2;
        break; /* B C */
    default:
        *ea = v + 2, *eb = v + 3;
        break; /* C D */
    }
}

/* ---------------------------------------------------------------- prover */

void apex_lgkr_proof_free(apex_lgkr_proof *pf)
{
    free(pf->sent);
    apex_ligero_proof_free(&pf->lig);
    memset(pf, 0, sizeof *pf);
}

/* Is slot i's value in its table? */
static int in_table(const lg_ctx *c, const apex_gl *a, size_t i)
{
    return a[i] >> c->tbits[lgkr_row_tab(c, i >> c->wa)] == 0;
}

/* Count multiplicities of in-range values; a value out of range is not counted. */
static void count(const lg_ctx *c, const apex_gl *a, apex_gl *m, int other)
{
    for (size_t i = 0; i < c->M; i++)
        if (in_table(c, a, i))
            m[c->tstart[lgkr_row_tab(c, i >> c->wa)] + a[i]]++;
        else if (other == 1) { /* tests only: count it in the narrowest table holding it */
            for (unsigned t = c->ntab; t-- > 0;)
                if (a[i] >> c->tbits[t] == 0) {
                    m[c->tstart[t] + a[i]]++;
                    break;
                }
        } else if (other == 2) /* tests only: the widest (its leaf is tagged likewise) */
            for (unsigned t = 0; t < c->ntab; t++)
                if (a[i] >> c->tbits[t] == 0) {
                    m[c->tstart[t] + a[i]]++;
                    break;
                }
}

/* Table-tree leaf e's q = X - (value + tag x). */
static apex_gl2 entry_q(const lg_ctx *c, size_t e)
{
    apex_gl v;
    unsigned tag;
    lgkr_entry(c, e, &v, &tag);
    return tagged_q(c->X, v, tag);
}

/* Tests only: the table entry LGKR_CHEAT_FREE_M and LGKR_CHEAT_TABLE_Q forge. */
static size_t cheat_entry = 0;

void lgkr_test_set_cheat_entry(size_t t)
{
    cheat_entry = t;
}

/* LGKR_CHEAT_FREE_M (tests only): the table's p_e = -m'_e (e = cheat_entry) chosen after X so
 * that the sums balance whatever a holds:
 * m'_e = (X - e) (sum_i 1/(X - a_i) - sum_{t != e} m_t/(X - t)). */
static void free_m(const lg_ctx *c, const apex_gl *a, const apex_gl *m, apex_gl2 *p)
{
    apex_gl2 s = apex_gl2_from_gl(0), inv;
    size_t e = cheat_entry % c->T;
    for (size_t i = 0; i < c->M; i++) {
        apex_gl2_inv(tagged_q(c->X, a[i], lgkr_row_tab(c, i >> c->wa)), &inv);
        s = apex_gl2_add(s, inv);
    }
    for (size_t t = 0; t < c->T; t++) {
        if (t == e)
            continue;
        apex_gl2_inv(entry_q(c, t), &inv);
        s = apex_gl2_sub(s, apex_gl2_mul_gl(inv, m[t]));
    }
    p[e] = apex_gl2_neg(apex_gl2_mul(entry_q(c, e), s));
}

/* Phase 1: values, multiplicities, C_m, pads, C_p, X, both trees, the padded values. */
static int commit_phase(apex_transcript *t, const apex_lgkr_shape *sh, apex_ligero_commitment *ca,
                        apex_rng *test_rng, int cheat, lg_ctx *c, apex_ligero_commitment **cm,
                        apex_ligero_commitment **cp, apex_lgkr_proof *out, lg_arena *ar,
                        const char **reason)
{
    *cm = *cp = NULL;
    int rc = lgkr_shape_chk(sh, c, 1, reason);
    if (rc != APEX_OK)
        return rc;
    if (ca->p.log_block != sh->a_params.log_block || ca->p.npad != sh->a_params.npad ||
        ca->p.nreq != sh->a_params.nreq || ca->p.nwrow != sh->a_params.nwrow) {
        *reason = "lgkr: the commitment does not have the shape's parameters";
        return APEX_ERR_INVALID;
    }
    size_t na = c->da.nrow, wr = c->da.wr, M = c->M, T = c->T;
    apex_gl *a = apex_calloc_n(M, sizeof *a), *m = apex_calloc_n(c->dm.nw, sizeof *m);
    apex_gl *row = apex_calloc_n(c->da.block, sizeof *row);
    apex_gl *flat = apex_calloc_n(2 * c->npads, sizeof *flat);
    apex_gl *pw = apex_calloc_n(c->dp.nw, sizeof *pw);
    apex_gl2 *pads = apex_calloc_n(c->npads, sizeof *pads);
    lg_layers L[2];
    memset(L, 0, sizeof L);
    c->ch = apex_calloc_n(c->nchal, sizeof *c->ch);
    c->sent = apex_calloc_n(c->npads, sizeof *c->sent);
    rc = APEX_ERR_NOMEM;
    *reason = "lgkr: out of memory";
    if (!a || !m || !row || !flat || !pw || !pads || !c->ch || !c->sent)
        goto done;
    *reason = "lgkr: row source failed";
    for (size_t r = 0; r < na; r++) {
        if ((rc = ligero_row_values(ca, r, row)) != APEX_OK)
            goto done;
        memcpy(a + r * wr, row, wr * sizeof *a);
    }
    apex_gl bad = 0; /* LGKR_CHEAT_TABLE_Q: the (one) out-of-range value, its tag and count */
    unsigned bad_tag = 0;
    size_t nbad = 0;
    for (size_t i = 0; i < M && cheat == LGKR_CHEAT_TABLE_Q; i++)
        if (!in_table(c, a, i))
            bad = a[i], bad_tag = lgkr_row_tab(c, i >> c->wa), nbad++;
    if (cheat == LGKR_CHEAT_LEAF)
        for (size_t i = 0; i < M; i++)
            if (!in_table(c, a, i))
                a[i] = 0;
    size_t te = cheat_entry % T;
    apex_gl delta = 0; /* LGKR_CHEAT_PROD, _COPY: the pairs (a0, a1) stand for (0, 1) */
    if (cheat == LGKR_CHEAT_PROD || cheat == LGKR_CHEAT_COPY) {
        delta = apex_gl_neg(apex_gl_mul(a[0], a[1])); /* (X - a0)(X - a1) + delta = X (X - 1) */
        m[0] = m[1] = M / 2;
    } else {
        count(c, a, m, cheat == LGKR_CHEAT_OTHER_M ? 1 : cheat == LGKR_CHEAT_RETAG ? 2 : 0);
    }
    m[te] += nbad;
    *reason = "lgkr: randomness failed";
    if ((rc = random_gl(test_rng, flat, 2 * c->npads)) != APEX_OK)
        goto done;
    for (size_t e = 0; e < c->npads; e++)
        pads[e] = apex_gl2_make(flat[2 * e], flat[2 * e + 1]);
    pad_witness(c, flat, pw, cheat, delta);
    *reason = "lgkr: commitment or transcript failure";
    rc = APEX_ERR_NOMEM;
    if (!(*cm = apex_ligero_commit(&sh->m_params, m, T, test_rng, &out->root_m, reason)) ||
        !(*cp = apex_ligero_commit(&sh->p_params, pw, c->dp.nw, test_rng, &out->root_p, reason)))
        goto done;
    if ((rc = lgkr_draw_x(t, sh, &ca->root, &out->root_m, &out->root_p, c)) != APEX_OK)
        goto done;
    /* witness tree: leaves from a; table tree: explicit leaves (-m_t, X - t) */
    lg_src leaves = {
        NULL, NULL, a, M, c->X, cheat == LGKR_CHEAT_DROP, delta, M, c, cheat == LGKR_CHEAT_RETAG};
    L[0].K = c->tr[0].K;
    L[1].K = c->tr[1].K;
    rc = APEX_ERR_NOMEM;
    if (!(L[1].p[L[1].K] = apex_calloc_n(T, sizeof(apex_gl2))) ||
        !(L[1].q[L[1].K] = apex_calloc_n(T, sizeof(apex_gl2))))
        goto done;
    for (size_t i = 0; i < T; i++) {
        L[1].p[L[1].K][i] = apex_gl2_neg(apex_gl2_from_gl(m[i]));
        L[1].q[L[1].K][i] = entry_q(c, i);
    }
    if (cheat == LGKR_CHEAT_TABLE_Q && nbad) /* entry te stands for the out-of-range value */
        L[1].q[L[1].K][te] = tagged_q(c->X, bad, bad_tag);
    if (cheat == LGKR_CHEAT_FREE_M)
        free_m(c, a, m, L[1].p[L[1].K]);
    *reason = "lgkr: tree construction failed";
    if ((rc = build_layers(&L[0], &leaves, ar)) != APEX_OK ||
        (rc = build_layers(&L[1], NULL, NULL)) != APEX_OK)
        goto done;
    for (int tr = 0; tr < 2; tr++) {
        size_t e0 = c->tr[tr].e0;
        c->sent[e0] = apex_gl2_sub(L[tr].p[0][0], pads[e0]);
        c->sent[e0 + 1] = apex_gl2_sub(L[tr].q[0][0], pads[e0 + 1]);
    }
    if (cheat == LGKR_CHEAT_ROOT) { /* P_w := -P_t Q_w / Q_t, sent padded */
        apex_gl2 inv;
        apex_gl2_inv(L[1].q[0][0], &inv);
        apex_gl2 pw_forged =
            apex_gl2_neg(apex_gl2_mul(apex_gl2_mul(L[1].p[0][0], L[0].q[0][0]), inv));
        c->sent[c->tr[0].e0] = apex_gl2_sub(pw_forged, pads[c->tr[0].e0]);
    }
    if (cheat == LGKR_CHEAT_ROOT_T) { /* P_t := -P_w Q_t / Q_w */
        apex_gl2 inv;
        apex_gl2_inv(L[0].q[0][0], &inv);
        apex_gl2 pt_forged =
            apex_gl2_neg(apex_gl2_mul(apex_gl2_mul(L[0].p[0][0], L[1].q[0][0]), inv));
        c->sent[c->tr[1].e0] = apex_gl2_sub(pt_forged, pads[c->tr[1].e0]);
    }
    *reason = "lgkr: transcript failure";
    if ((rc = lgkr_absorb_roots(t, c)) != APEX_OK)
        goto done;
    for (int tr = 0; tr < 2 && rc == APEX_OK; tr++)
        rc = tree_prove(t, c, &c->tr[tr], &L[tr], tr == 0 ? &leaves : NULL, pads, cheat,
                        tr == 0 ? ar : NULL);
    if (rc == APEX_OK) {
        out->nsent = c->npads;
        if (!(out->sent = apex_calloc_n(c->npads, sizeof *out->sent)))
            rc = APEX_ERR_NOMEM;
        else
            memcpy(out->sent, c->sent, c->npads * sizeof *out->sent);
    }
done:
    layers_free(&L[0]);
    layers_free(&L[1]);
    if (a)
        apex_wipe(a, M * sizeof *a);
    if (flat)
        apex_wipe(flat, 2 * c->npads * sizeof *flat);
    if (pw)
        apex_wipe(pw, c->dp.nw * sizeof *pw);
    if (pads)
        apex_wipe(pads, c->npads * sizeof *pads);
    if (m) /* the multiplicities and a row of C_a (with its pads) are secret too */
        apex_wipe(m, c->dm.nw * sizeof *m);
    if (row)
        apex_wipe(row, c->da.block * sizeof *row);
    free(a);
    free(m);
    free(row);
    free(flat);
    free(pw);
    free(pads);
    if (rc != APEX_OK) {
        apex_ligero_commitment_destroy(cm);
        apex_ligero_commitment_destroy(cp);
    }
    return rc;
}

int lgkr_prove_impl(apex_transcript *t, const apex_lgkr_shape *sh, apex_ligero_commitment *ca,
                    apex_rng *test_rng, int cheat, apex_lgkr_proof *out, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    lg_ctx c;
    apex_cbuild *b = NULL;
    apex_ligero_commitment *cm = NULL, *cp = NULL;
    int rc = commit_phase(t, sh, ca, test_rng, cheat, &c, &cm, &cp, out, NULL, reason);
    if (rc == APEX_OK)
        rc = lgkr_standalone_system(&c, sh, &b, reason);
    if (rc == APEX_OK) {
        apex_ligero_constraints cons;
        const apex_gl *lin_b;
        const apex_gl2 *tval;
        apex_cbuild_view(b, &cons, &lin_b, &tval);
        apex_ligero_commitment *all[3] = {ca, cm, cp};
        rc = apex_ligero_prove(all, 3, t, &cons, test_rng, &out->lig, reason);
    }
    apex_cbuild_destroy(&b);
    lgkr_ctx_free(&c);
    apex_ligero_commitment_destroy(&cm);
    apex_ligero_commitment_destroy(&cp);
    if (rc != APEX_OK)
        apex_lgkr_proof_free(out);
    return rc;
}

int apex_lgkr_prove(apex_transcript *t, const apex_lgkr_shape *sh, apex_ligero_commitment *ca,
                    apex_rng *test_rng, apex_lgkr_proof *out, const char **reason)
{
    return lgkr_prove_impl(t, sh, ca, test_rng, LGKR_HONEST, out, reason);
}

/* ---------------------------------------------------------------- composition */

void apex_lgkr_state_destroy(apex_lgkr_state **st)
{
    if (!st || !*st)
        return;
    lgkr_ctx_free(&(*st)->c);
    free(*st);
    *st = NULL;
}

size_t apex_lgkr_arena_entries(const apex_lgkr_shape *sh)
{
    lg_ctx c;
    const char *why;
    if (lgkr_shape_chk(sh, &c, 0, &why) != APEX_OK)
        return 0;
    return layers_entries(c.tr[0].K) + bufs_entries(c.tr[0].K);
}

int apex_lgkr_prove_commit(apex_transcript *t, const apex_lgkr_shape *sh,
                           apex_ligero_commitment *ca, apex_rng *test_rng,
                           apex_ligero_commitment **cm, apex_ligero_commitment **cp,
                           apex_lgkr_proof *out, apex_lgkr_state **st, const char **reason)
{
    return apex_lgkr_prove_commit_in(t, sh, ca, test_rng, cm, cp, out, st, NULL, 0, reason);
}

int apex_lgkr_prove_commit_in(apex_transcript *t, const apex_lgkr_shape *sh,
                              apex_ligero_commitment *ca, apex_rng *test_rng,
                              apex_ligero_commitment **cm, apex_ligero_commitment **cp,
                              apex_lgkr_proof *out, apex_lgkr_state **st, apex_gl2 *arena,
                              size_t arena_n, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    if (!(*st = calloc(1, sizeof **st)))
        return APEX_ERR_NOMEM;
    lg_arena ar = {arena, arena ? arena_n : 0, 0};
    int rc = commit_phase(t, sh, ca, test_rng, commit_cheat, &(*st)->c, cm, cp, out, &ar, reason);
    if (rc != APEX_OK) {
        apex_lgkr_state_destroy(st);
        apex_lgkr_proof_free(out);
    }
    return rc;
}
