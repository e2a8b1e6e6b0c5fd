/* The compliance statement: shapes, public inputs, the batched sumcheck's terms and public
 * tables, and the verifier (protocol in compliance.h and docs/PROOF.md). */
#include "zk/compliance_impl.h"

#include <stdlib.h>
#include <string.h>

#include "zk/mle.h"

static unsigned log2_exact(uint64_t v)
{
    unsigned l = 0;
    while (((uint64_t)1 << l) < v)
        l++;
    return ((uint64_t)1 << l) == v ? l : UINT32_MAX;
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

int apex_comp_dims_of(const apex_comp_config *cfg, apex_comp_dims *dm, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(dm, 0, sizeof *dm);
    const apex_stmt_params *s = &cfg->sp;
    if (apex_stmt_check_budget(s, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    dm->log_n = log2_exact(s->n_samples);
    dm->log_b = log2_exact(s->block);
    if (dm->log_n == UINT32_MAX || dm->log_b == UINT32_MAX || cfg->d == 0) {
        *reason = "compliance: N and B must be powers of two and d positive";
        return APEX_ERR_INVALID;
    }
    const unsigned lbits = s->limb_bits;
    if (lbits < APEX_COMP_MIN_LIMB || lbits > APEX_LOGUP_MAX_BITS || s->bits_w <= lbits ||
        s->bits_w > 2 * lbits || s->tau_log2 + 1 <= lbits || s->tau_log2 + 1 > 2 * lbits ||
        s->bits_g > 8) {
        *reason = "compliance: v1 needs two limbs: L < b_w <= 2L and L < t + 1 <= 2L, b_G <= 8";
        return APEX_ERR_INVALID;
    }
    dm->nblk_real = ceil_div(cfg->d, s->block);
    dm->log_nb = 0;
    while (((uint64_t)1 << dm->log_nb) < dm->nblk_real)
        dm->log_nb++;
    dm->k = dm->log_b + dm->log_n + dm->log_nb;
    if (cfg->log_block < 2 || cfg->log_block > APEX_LIGERO_MAX_LOG_BLOCK || cfg->nreq == 0 ||
        dm->k > 40) {
        *reason = "compliance: bad Ligero shape or statement too large";
        return APEX_ERR_INVALID;
    }
    /* every slot of H_B is witness; npad pads outside H_B hide K_max + 1 openings */
    size_t block = (size_t)1 << cfg->log_block, wr = block;
    size_t npad = ((size_t)cfg->kmax + 1) * cfg->nreq;
    if (npad > block / 2) {
        *reason = "compliance: BLOCK too short for the pads of K_max + 1 openings";
        return APEX_ERR_INVALID;
    }
    size_t dd = (size_t)1 << (dm->log_b + dm->log_nb);
    apex_ligero_params base = {cfg->log_block, npad, cfg->nreq, 1};
    dm->pg = base; /* only the real blocks: the padded ones are zero and not committed */
    dm->pg.nwrow = ceil_div((size_t)dm->nblk_real << (dm->log_n + dm->log_b), wr);
    dm->pw = base;
    dm->pw.nwrow = ceil_div(dd, wr);
    dm->pu = base;
    dm->pu.nwrow = ceil_div(dd >> dm->log_b << dm->log_n, wr);
    dm->lu.bits = lbits;
    dm->lu.a_params = base;
    dm->lu.a_params.nwrow = ceil_div(COMP_L_NSEC * dd, wr);
    dm->lu.m_params = base;
    dm->lu.m_params.nwrow = ceil_div((size_t)1 << lbits, wr);
    dm->lu.h_params = base;
    dm->lu.h_params.nwrow = 4 * dm->lu.a_params.nwrow + 2 * ceil_div((size_t)1 << lbits, wr);
    /* C_l's sections: the low limbs in T16, each top limb in a table of its own width (widest
     * first; both <= 16 by the check above) */
    unsigned kw = s->bits_w - lbits, kr = s->tau_log2 + 1 - lbits, tw = kw >= kr ? 1 : 2;
    size_t srow = ceil_div(dd, wr);
    dm->lg.bits = lbits;
    dm->lg.a_params = dm->lu.a_params;
    dm->lg.a_params.nwrow = COMP_L_NSEC * srow;
    dm->lg.tabs = (apex_lgkr_tables){3,
                                     {lbits, kw >= kr ? kw : kr, kw >= kr ? kr : kw, 0},
                                     COMP_L_NSEC,
                                     {srow, srow, srow, srow},
                                     {0, tw, 0, 3 - tw}};
    size_t tsize = ((size_t)1 << lbits) + ((size_t)1 << kw) + ((size_t)1 << kr), tpow = 2;
    while (tpow < tsize)
        tpow *= 2;
    dm->lg.m_params = dm->lu.m_params;
    dm->lg.m_params.nwrow = ceil_div(tpow, wr);
    dm->lg.p_params = base;
    dm->lg.p_params.nwrow = apex_lgkr_pad_rows(&dm->lg);
    dm->zs.k = dm->k;
    dm->zs.pad_params = base;
    dm->zs.pad_params.nwrow = ceil_div(2 * (size_t)dm->k * 4, wr);
    dm->zs.eval_params = base;
    dm->zs.eval_params.nwrow = 4;
    dm->za = dm->zs;
    dm->za.k = dm->log_n + dm->log_nb;
    dm->za.ntab = COMP_A_N;
    dm->za.ncommitted = COMP_A_NCOM;
    dm->za.nterms = COMP_A_NTERMS;
    dm->za.pad_params.nwrow = ceil_div(2 * (size_t)dm->za.k * (COMP_A_DEG + 1), wr);
    dm->zb = dm->zs;
    dm->zb.k = dm->log_b + dm->log_nb;
    dm->zb.ntab = COMP_B_N;
    dm->zb.ncommitted = COMP_B_NCOM;
    dm->zb.nterms = COMP_B_NTERMS;
    dm->zb.pad_params.nwrow = ceil_div(2 * (size_t)dm->zb.k * (COMP_B_DEG + 1), wr);
    if (wr < 2 * COMP_B_NCOM + 2 || dm->za.k == 0 || dm->pg.nwrow > APEX_LIGERO_MAX_ROWS ||
        dm->lu.h_params.nwrow > APEX_LIGERO_MAX_ROWS || dm->lg.p_params.nwrow == 0) {
        *reason = "compliance: rows too short or too many";
        return APEX_ERR_INVALID;
    }
    /* digest: the statement's digest over C_G's shape, then everything else of the config */
    uint8_t sd[APEX_SHA256_LEN];
    if (apex_stmt_digest(s, &dm->pg, sd) != APEX_OK) {
        *reason = "compliance: statement parameters fail their checks";
        return APEX_ERR_INVALID;
    }
    apex_sha256_ctx *h = apex_sha256_new();
    if (!h) {
        *reason = "compliance: out of memory";
        return APEX_ERR_NOMEM;
    }
    uint8_t tail[8 * 4];
    const uint64_t more[4] = {cfg->d, dm->log_nb, cfg->kmax,
                              APEX_COMP_PROOF_VERSION << 16 | COMP_A_NTERMS << 8 | COMP_B_NTERMS};
    for (size_t i = 0; i < 4; i++)
        for (int b = 0; b < 8; b++)
            tail[8 * i + (size_t)b] = (uint8_t)(more[i] >> (8 * b));
    int rc = apex_sha256_update(h, APEX_COMP_DOMAIN, sizeof APEX_COMP_DOMAIN - 1);
    if (rc == APEX_OK)
        rc = apex_sha256_update(h, sd, sizeof sd);
    if (rc == APEX_OK)
        rc = apex_sha256_update(h, tail, sizeof tail);
    if (rc == APEX_OK)
        rc = apex_sha256_final(h, dm->digest);
    apex_sha256_destroy(&h);
    return rc;
}

double apex_comp_ligero_bits(const apex_comp_config *cfg)
{
    if (cfg->log_block > APEX_LIGERO_MAX_LOG_BLOCK || cfg->nreq == 0)
        return 0.0;
    return apex_ligero_soundness_bits(cfg->log_block, ((size_t)cfg->kmax + 1) * cfg->nreq,
                                      cfg->nreq);
}

void comp_joint_params(const apex_comp_dims *dm, apex_ligero_params *ps)
{
    ps[COMP_CG] = dm->pg;
    ps[COMP_CW0] = dm->pw;
    ps[COMP_CW1] = dm->pw;
    ps[COMP_CU] = dm->pu;
    ps[COMP_CL] = dm->lg.a_params;
    ps[COMP_CM] = dm->lg.m_params;
    ps[COMP_CP] = dm->lg.p_params;
    ps[COMP_CPADA] = dm->za.pad_params;
    ps[COMP_CEVALA] = dm->za.eval_params;
    ps[COMP_CPADB] = dm->zb.pad_params;
    ps[COMP_CEVALB] = dm->zb.eval_params;
}

apex_ligero_commitment *apex_comp_commit_w(const apex_comp_config *cfg, const int32_t *w,
                                           apex_hash *root, const char **reason)
{
    apex_comp_dims dm;
    if (apex_comp_dims_of(cfg, &dm, reason) != APEX_OK)
        return NULL;
    apex_gl *v = apex_calloc_n(cfg->d, sizeof *v);
    if (!v)
        return NULL;
    for (uint64_t j = 0; j < cfg->d; j++)
        v[j] = apex_gl_from_i64(w[j]);
    apex_ligero_commitment *c = apex_ligero_commit(&dm.pw, v, cfg->d, NULL, root, reason);
    free(v);
    return c;
}

apex_ligero_commitment *apex_comp_commit_g(const apex_comp_config *cfg, const int8_t *g,
                                           apex_hash *root, const char **reason)
{
    apex_comp_dims dm;
    if (apex_comp_dims_of(cfg, &dm, reason) != APEX_OK)
        return NULL;
    size_t n = (size_t)dm.nblk_real * cfg->sp.n_samples * cfg->sp.block;
    apex_gl *v = apex_calloc_n(n, sizeof *v);
    if (!v)
        return NULL;
    for (size_t x = 0; x < n; x++)
        v[x] = apex_gl_from_i64(g[x]);
    apex_ligero_commitment *c = apex_ligero_commit(&dm.pg, v, n, NULL, root, reason);
    free(v);
    return c;
}

/* Rows of the caller's G~ (int8) or w~ (int32) as canonical field elements: a negative v is
 * p + v. A tight loop per source type (every proof reads all of C_G's rows through it). */
static int src_rows(void *ctx, size_t row, apex_gl *out)
{
    const apex_comp_src *s = ctx;
    size_t lo = row * s->wr, n = lo < s->n ? s->n - lo : 0;
    if (n > s->wr)
        n = s->wr;
    if (s->g) {
        const int8_t *g = s->g + lo;
        for (size_t k = 0; k < n; k++)
            out[k] = g[k] < 0 ? APEX_GL_P - (apex_gl)(-(int)g[k]) : (apex_gl)g[k];
    } else {
        const int32_t *w = s->w + lo;
        for (size_t k = 0; k < n; k++)
            out[k] = w[k] < 0 ? APEX_GL_P - (apex_gl)(-(int64_t)w[k]) : (apex_gl)w[k];
    }
    memset(out + n, 0, (s->wr - n) * sizeof *out);
    return APEX_OK;
}

/* Rows of G~ as int8 (zeros past n): the row pass reads them without converting. */
static int src_rows_i8(void *ctx, size_t row, int8_t *out)
{
    const apex_comp_src *s = ctx;
    size_t lo = row * s->wr, n = lo < s->n ? s->n - lo : 0;
    if (n > s->wr)
        n = s->wr;
    if (!s->g)
        return APEX_ERR_STATE;
    memcpy(out, s->g + lo, n);
    memset(out + n, 0, s->wr - n);
    return APEX_OK;
}

/* A source over g or w with n real entries and the shape p. */
static int src_init(const apex_comp_config *cfg, const int8_t *g, const int32_t *w,
                    apex_comp_src *s, const char **reason)
{
    apex_comp_dims dm;
    int rc = apex_comp_dims_of(cfg, &dm, reason);
    if (rc != APEX_OK)
        return rc;
    memset(s, 0, sizeof *s);
    s->g = g;
    s->w = w;
    s->n = g ? (size_t)dm.nblk_real * cfg->sp.n_samples * cfg->sp.block : (size_t)cfg->d;
    s->p = g ? dm.pg : dm.pw;
    s->wr = (size_t)1 << s->p.log_block; /* every slot of a row is witness */
    return APEX_OK;
}

int apex_comp_src_g(const apex_comp_config *cfg, const int8_t *g, apex_comp_src *s,
                    const char **reason)
{
    return src_init(cfg, g, NULL, s, reason);
}

int apex_comp_src_w(const apex_comp_config *cfg, const int32_t *w, apex_comp_src *s,
                    const char **reason)
{
    return src_init(cfg, NULL, w, s, reason);
}

apex_ligero_commitment *apex_comp_commit_src(apex_comp_src *s, const char *cache_path,
                                             apex_hash *root, const char **reason)
{
    apex_ligero_commitment *c =
        cache_path
            ? apex_ligero_commit_rows_cached(&s->p, src_rows, s, cache_path, NULL, root, reason)
            : apex_ligero_commit_rows(&s->p, src_rows, s, NULL, root, reason);
    if (c && s->g)
        apex_ligero_set_rows_i8(c, src_rows_i8);
    return c;
}

apex_ligero_commitment *apex_comp_commit_src_mem(apex_comp_src *s, const char *cache_path,
                                                 apex_hash *root, const char **reason)
{
    apex_ligero_commitment *c =
        cache_path
            ? apex_ligero_commit_rows_cached_flags(&s->p, src_rows, s, cache_path,
                                                   APEX_LIGERO_TABLEAU_MEM, NULL, root, reason)
            : apex_ligero_commit_rows_mem(&s->p, src_rows, s, NULL, root, reason);
    if (c && s->g)
        apex_ligero_set_rows_i8(c, src_rows_i8);
    return c;
}

apex_ligero_commitment *apex_comp_load_src(apex_comp_src *s, const char *path,
                                           const apex_hash *root, const char **reason)
{
    apex_ligero_commitment *c = apex_ligero_commitment_load(&s->p, src_rows, s, path, root, reason);
    if (c && s->g)
        apex_ligero_set_rows_i8(c, src_rows_i8);
    return c;
}

int comp_mask_ok(const apex_comp_config *cfg, const apex_comp_public *pub, const char **reason)
{
    if (pub->nmask > APEX_COMP_MAX_MASK || (pub->nmask && !pub->mask)) {
        *reason = "compliance: mask too large";
        return APEX_ERR_REJECTED;
    }
    for (size_t i = 0; i < pub->nmask; i++) {
        if (pub->mask[i] >= cfg->d || (i && pub->mask[i] <= pub->mask[i - 1])) {
            *reason = "compliance: mask not canonical (sorted, unique, < d)";
            return APEX_ERR_REJECTED;
        }
    }
    return APEX_OK;
}

apex_transcript *comp_transcript(const apex_comp_dims *dm, const apex_comp_public *pub)
{
    return comp_transcript_for(APEX_COMP_DOMAIN, dm, pub);
}

apex_transcript *comp_transcript_for(const char *domain, const apex_comp_dims *dm,
                                     const apex_comp_public *pub)
{
    apex_transcript *t = apex_transcript_new(domain);
    if (!t)
        return NULL;
    int rc = apex_transcript_absorb_bytes(t, "params_digest", dm->digest, sizeof dm->digest);
    const struct {
        const char *label;
        const uint8_t *v;
    } ids[] = {{"fleet_id", pub->fleet_id},     {"model_id", pub->model_id},
               {"layer_hash", pub->layer_hash}, {"client_id", pub->client_id},
               {"request_id", pub->request_id}, {"nonce", pub->nonce}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0] && rc == APEX_OK; i++)
        rc = apex_transcript_absorb_bytes(t, ids[i].label, ids[i].v, APEX_COMP_ID_LEN);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "epoch", pub->epoch);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_u64(t, "mask.count", pub->nmask);
    for (size_t i = 0; i < pub->nmask && rc == APEX_OK; i++)
        rc = apex_transcript_absorb_u64(t, "mask", pub->mask[i]);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "root_g", pub->root_g.b, sizeof pub->root_g.b);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "root_w0", pub->root_w0.b, sizeof pub->root_w0.b);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "root_w1", pub->root_w1.b, sizeof pub->root_w1.b);
    if (rc != APEX_OK)
        apex_transcript_destroy(&t);
    return t;
}

void comp_chal_free(comp_chal *c)
{
    free(c->gamma);
    free(c->beta);
    free(c->zeta);
    free(c->zeta2);
    free(c->eta);
    memset(c, 0, sizeof *c);
}

int comp_chal_draw(apex_transcript *t, const apex_comp_dims *dm, comp_chal *c)
{
    size_t nib = dm->log_n + dm->log_nb, njb = dm->log_b + dm->log_nb;
    memset(c, 0, sizeof *c);
    c->gamma = apex_calloc_n(nib + 1, sizeof *c->gamma);
    c->beta = apex_calloc_n(njb + 1, sizeof *c->beta);
    c->zeta = apex_calloc_n(njb + 1, sizeof *c->zeta);
    c->zeta2 = apex_calloc_n(njb + 1, sizeof *c->zeta2);
    c->eta = apex_calloc_n(njb + 1, sizeof *c->eta);
    if (!c->gamma || !c->beta || !c->zeta || !c->zeta2 || !c->eta) {
        comp_chal_free(c);
        return APEX_ERR_NOMEM;
    }
    int rc = apex_transcript_challenge_gl2(t, c->gamma, nib);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->beta, njb);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->zeta, njb);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->zeta2, njb);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, c->eta, njb);
    if (rc == APEX_OK)
        rc = apex_transcript_challenge_gl2(t, &c->alpha, 1);
    return rc;
}

apex_gl2 comp_eq_at(const apex_gl2 *pt, unsigned n, uint64_t x)
{
    apex_gl2 acc = apex_gl2_from_gl(1), one = apex_gl2_from_gl(1);
    for (unsigned i = 0; i < n; i++)
        acc = apex_gl2_mul(acc, (x >> i) & 1 ? pt[i] : apex_gl2_sub(one, pt[i]));
    return acc;
}

/* eq(pt, x) over n variables as lo[x mod 2^nl] * hi[x >> nl]: comp_eq_at's product split
 * at bit nl, so each point costs one multiplication instead of n. */
typedef struct eq_split {
    unsigned nl;  /* low bits */
    apex_gl2 *lo; /* [2^nl] eq over pt[0, nl) */
    apex_gl2 *hi; /* [2^(n - nl)] eq over pt[nl, n) */
} eq_split;

static int eq_split_init(eq_split *e, const apex_gl2 *pt, unsigned n)
{
    e->nl = n / 2;
    size_t nlo = (size_t)1 << e->nl, nhi = (size_t)1 << (n - e->nl);
    e->lo = apex_calloc_n(nlo + nhi, sizeof *e->lo);
    if (!e->lo)
        return APEX_ERR_NOMEM;
    e->hi = e->lo + nlo;
    for (size_t y = 0; y < nlo; y++)
        e->lo[y] = comp_eq_at(pt, e->nl, y);
    for (size_t y = 0; y < nhi; y++)
        e->hi[y] = comp_eq_at(pt + e->nl, n - e->nl, y);
    return APEX_OK;
}

static apex_gl2 eq_split_at(const eq_split *e, uint64_t x)
{
    return apex_gl2_mul(e->lo[x & (((uint64_t)1 << e->nl) - 1)], e->hi[x >> e->nl]);
}

apex_gl2 comp_sum_eq_from(const apex_gl2 *a, const apex_gl2 *b, unsigned n, uint64_t d)
{
    /* e_k(1) = a_k b_k, e_k(0) = (1 - a_k)(1 - b_k) (b NULL: a_k, 1 - a_k). Every x >= d
     * agrees with d above some bit i where d has 0 and x has 1 (lower bits free), or is d:
     * sum = prod_k e_k(d_k) + sum_{i: d_i = 0} prod_{k > i} e_k(d_k) e_i(1) prod_{k < i} s_k,
     * s_k = e_k(0) + e_k(1). From the top bit down, with free[i] = prod_{k < i} s_k. */
    if (n >= 64 || (d >> n) != 0)
        return apex_gl2_from_gl(0);
    apex_gl2 one = apex_gl2_from_gl(1), e0[64], e1[64], free_[65];
    free_[0] = one;
    for (unsigned k = 0; k < n; k++) {
        e1[k] = b ? apex_gl2_mul(a[k], b[k]) : a[k];
        e0[k] = b ? apex_gl2_mul(apex_gl2_sub(one, a[k]), apex_gl2_sub(one, b[k]))
                  : apex_gl2_sub(one, a[k]);
        free_[k + 1] = apex_gl2_mul(free_[k], apex_gl2_add(e0[k], e1[k]));
    }
    apex_gl2 acc = apex_gl2_from_gl(0), above = one; /* above: prod over bits > i of e(d) */
    for (unsigned i = n; i-- > 0;) {
        if (!((d >> i) & 1))
            acc = apex_gl2_add(acc, apex_gl2_mul(apex_gl2_mul(above, e1[i]), free_[i]));
        above = apex_gl2_mul(above, (d >> i) & 1 ? e1[i] : e0[i]);
    }
    return apex_gl2_add(acc, above); /* x = d itself */
}

/* sum over x in z = M u [d, D) (only_pad: [d, D) only) of eq(a, x) eq(b, x); b NULL: eq(a, x).
 * The verifier's cost for the public tables: O(|M|) multiplications after O(2^(n/2) n)
 * for the split tables (direct evaluation if those cannot be allocated), and O(n) for the
 * padding [d, D) (comp_sum_eq_from). */
static apex_gl2 sum_over_z(const apex_comp_config *cfg, const apex_comp_dims *dm,
                           const apex_comp_public *pub, const apex_gl2 *a, const apex_gl2 *b,
                           int only_pad)
{
    unsigned n = dm->log_b + dm->log_nb;
    uint64_t dd = (uint64_t)1 << n;
    apex_gl2 acc = apex_gl2_from_gl(0);
    eq_split ea = {0}, eb = {0};
    int fast = !only_pad && eq_split_init(&ea, a, n) == APEX_OK &&
               (!b || eq_split_init(&eb, b, n) == APEX_OK);
    for (size_t i = 0; !only_pad && i < pub->nmask; i++) {
        uint64_t x = pub->mask[i];
        apex_gl2 e = fast ? eq_split_at(&ea, x) : comp_eq_at(a, n, x);
        if (b)
            e = apex_gl2_mul(e, fast ? eq_split_at(&eb, x) : comp_eq_at(b, n, x));
        acc = apex_gl2_add(acc, e);
    }
    if (cfg->d < dd) /* the padding [d, D) */
        acc = apex_gl2_add(acc, comp_sum_eq_from(a, b, n, cfg->d));
    free(ea.lo);
    free(eb.lo);
    return acc;
}

#define TERM(i, co, n_, f0, f1, f2)                                                                \
    do {                                                                                           \
        terms[i].coef = (co);                                                                      \
        terms[i].nf = (n_);                                                                        \
        terms[i].f[0] = (f0);                                                                      \
        terms[i].f[1] = (f1);                                                                      \
        terms[i].f[2] = (f2);                                                                      \
        terms[i].f[3] = 0;                                                                         \
    } while (0)

void comp_terms_a(const comp_chal *c, apex_sumcheck_term *terms)
{
    /* gamma . (u - G~ delta) - alpha sum_(b,i) u (sum_j c G~) */
    TERM(0, apex_gl2_from_gl(1), 2, COMP_A_E1, COMP_A_U, 0);
    TERM(1, apex_gl2_from_gl(APEX_GL_P - 1), 2, COMP_A_E1, COMP_A_GD, 0);
    TERM(2, apex_gl2_neg(c->alpha), 2, COMP_A_U, COMP_A_GC, 0);
}

void comp_b_coefs(const apex_comp_config *cfg, const comp_chal *c, comp_b_coef *k)
{
    const apex_stmt_params *s = &cfg->sp;
    k->a[0] = apex_gl2_from_gl(1);
    for (int i = 1; i < 8; i++)
        k->a[i] = apex_gl2_mul(k->a[i - 1], c->alpha);
    const unsigned lbits = s->limb_bits;
    k->two16 = (apex_gl)1 << lbits;
    k->lam = apex_gl_from_i64((int64_t)s->lambda);
    k->a2 = c->alpha2;
    k->a22 = apex_gl2_mul(c->alpha2, c->alpha2);
}

void comp_terms_b(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                  apex_sumcheck_term *terms, apex_gl2 *claim, const apex_comp_public *pub)
{
    const apex_stmt_params *s = &cfg->sp;
    comp_b_coef k;
    comp_b_coefs(cfg, c, &k);
    const apex_gl2 *a = k.a;
    const apex_gl two16 = k.two16, lam = k.lam;
    const apex_gl2 a2 = k.a2, a22 = k.a22;
    /* rho + tau = lo + 2^16 hi on the residual rows: alpha sum c (lo + 2^16 hi - Lambda delta);
     * its G~^T u part is stage A's alpha term (through S_A) */
    TERM(0, a[1], 2, COMP_B_C, COMP_B_RLO, 0);
    TERM(1, apex_gl2_mul_gl(a[1], two16), 2, COMP_B_C, COMP_B_RHI, 0);
    TERM(2, apex_gl2_neg(apex_gl2_mul_gl(a[1], lam)), 2, COMP_B_C, COMP_B_W1, 0);
    TERM(3, apex_gl2_mul_gl(a[1], lam), 2, COMP_B_C, COMP_B_W0, 0);
    /* untouched blocks keep their weights; w' = 0 on z; w = 0 on the padding */
    TERM(4, a[2], 2, COMP_B_D, COMP_B_W1, 0);
    TERM(5, apex_gl2_neg(a[2]), 2, COMP_B_D, COMP_B_W0, 0);
    TERM(6, a[3], 2, COMP_B_Z, COMP_B_W1, 0);
    TERM(7, a[7], 2, COMP_B_P, COMP_B_W0, 0);
    /* limb tie: w' + 2^(b_w-1) = lo + 2^16 hi (the top limbs' own tables bound hi) */
    TERM(8, a[4], 2, COMP_B_T, COMP_B_W1, 0);
    TERM(9, apex_gl2_neg(a[4]), 2, COMP_B_T, COMP_B_WLO, 0);
    TERM(10, apex_gl2_neg(apex_gl2_mul_gl(a[4], two16)), 2, COMP_B_T, COMP_B_WHI, 0);
    /* ties to stage A at (i2, b2): sum_j G~(b2, i2, j) (delta + alpha2 c) */
    TERM(11, a2, 3, COMP_B_EB, COMP_B_G, COMP_B_W1);
    TERM(12, apex_gl2_neg(a2), 3, COMP_B_EB, COMP_B_G, COMP_B_W0);
    TERM(13, a22, 3, COMP_B_EB, COMP_B_G, COMP_B_C);
    /* public part of the claim: alpha tau sum(c) - alpha^4 2^(b_w-1) (the limb tie's offset),
     * sum(c) = 1 - sum_z eq(beta, x) */
    apex_gl2 sc = apex_gl2_sub(apex_gl2_from_gl(1), sum_over_z(cfg, dm, pub, c->beta, NULL, 0));
    apex_gl tau = (apex_gl)1 << s->tau_log2, half = (apex_gl)1 << (s->bits_w - 1);
    *claim =
        apex_gl2_sub(apex_gl2_mul_gl(apex_gl2_mul(a[1], sc), tau), apex_gl2_mul_gl(a[4], half));
}
#undef TERM

/* coef * V for V = (W[w], W[w + 1]) as an F_p2 value c0 + c1 x. */
static void hid_value(apex_ligero_xterm *out, size_t w, apex_gl2 coef)
{
    out[0] = (apex_ligero_xterm){w, coef};
    out[1] = (apex_ligero_xterm){w + 1, apex_gl2_mul(coef, apex_gl2_make(0, 1))};
}

int comp_hidden(const apex_comp_dims *dm, const comp_chal *c, apex_ligero_xterm *hid_a,
                apex_ligero_xterm *hid_b)
{
    apex_ligero_params ps[COMP_NCOMMIT];
    size_t w_off[COMP_NCOMMIT + 1], r_off[COMP_NCOMMIT + 1];
    comp_joint_params(dm, ps);
    int rc = apex_cbuild_layout(ps, COMP_NCOMMIT, w_off, r_off);
    if (rc != APEX_OK)
        return rc;
    size_t ev = w_off[COMP_CEVALA], sa = ev + 2 * COMP_A_NCOM;
    const apex_gl2 one = apex_gl2_from_gl(1);
    hid_value(hid_a, sa, one);
    hid_value(hid_b, sa, apex_gl2_neg(one));
    hid_value(hid_b + 2, ev + 2 * COMP_A_GD, c->alpha2);
    hid_value(hid_b + 4, ev + 2 * COMP_A_GC, apex_gl2_mul(c->alpha2, c->alpha2));
    return APEX_OK;
}

apex_gl2 comp_pubval_a(const apex_comp_dims *dm, const comp_chal *c, const apex_gl2 *ra)
{
    return apex_mle_eq_point(c->gamma, ra, dm->log_n + dm->log_nb);
}

void comp_pubvals_b(const apex_comp_config *cfg, const apex_comp_dims *dm, const comp_chal *c,
                    const apex_comp_public *pub, const apex_gl2 *ra, const apex_gl2 *rb,
                    apex_gl2 *vals)
{
    unsigned lb = dm->log_b, lnb = dm->log_nb;
    const apex_gl2 *pjb = rb;
    vals[COMP_B_C - COMP_B_NCOM] = apex_gl2_sub(apex_mle_eq_point(c->beta, pjb, lb + lnb),
                                                sum_over_z(cfg, dm, pub, c->beta, pjb, 0));
    /* D: eq(zeta_j, r_j) (eq(zeta_b, r_b) - sum over masked blocks eq(zeta_b, b) eq(r_b, b)) */
    apex_gl2 blocks = apex_mle_eq_point(c->zeta + lb, pjb + lb, lnb);
    uint64_t last = UINT64_MAX;
    for (size_t i = 0; i < pub->nmask; i++) {
        uint64_t b = pub->mask[i] >> lb;
        if (b == last)
            continue;
        last = b;
        blocks = apex_gl2_sub(
            blocks, apex_gl2_mul(comp_eq_at(c->zeta + lb, lnb, b), comp_eq_at(pjb + lb, lnb, b)));
    }
    vals[COMP_B_D - COMP_B_NCOM] = apex_gl2_mul(apex_mle_eq_point(c->zeta, pjb, lb), blocks);
    vals[COMP_B_Z - COMP_B_NCOM] = sum_over_z(cfg, dm, pub, c->zeta2, pjb, 0);
    vals[COMP_B_P - COMP_B_NCOM] = sum_over_z(cfg, dm, pub, c->zeta2, pjb, 1);
    vals[COMP_B_T - COMP_B_NCOM] = apex_mle_eq_point(c->eta, pjb, lb + lnb);
    vals[COMP_B_EB - COMP_B_NCOM] = apex_mle_eq_point(ra + dm->log_n, pjb + lb, lnb);
}

/* Weights of a vector of 2^n values at witness offset off (a multiple of 2^n) of a
 * commitment with nrow rows of wr slots, at point pt[n]. */
int comp_view_fill(size_t off, const apex_gl2 *pt, unsigned n, size_t wr, size_t nrow,
                   apex_gl2 *row_w, apex_gl2 *slot_w)
{
    unsigned s = 0;
    while (((size_t)1 << s) < wr)
        s++;
    if (n <= s) {
        size_t base = off % wr;
        row_w[off / wr] = apex_gl2_from_gl(1);
        return apex_mle_eq(slot_w + base, pt, n);
    }
    size_t r0 = off / wr;
    if (r0 + ((size_t)1 << (n - s)) > nrow)
        return APEX_ERR_INVALID;
    int rc = apex_mle_eq(slot_w, pt, s);
    return rc == APEX_OK ? apex_mle_eq(row_w + r0, pt + s, n - s) : rc;
}

int comp_view_fill_g(const apex_gl2 *pt, unsigned n, size_t wr, size_t nrow, apex_gl2 *row_w,
                     apex_gl2 *slot_w)
{
    unsigned s = 0;
    while (((size_t)1 << s) < wr)
        s++;
    if (n <= s || ((size_t)1 << (n - s)) <= nrow)
        return comp_view_fill(0, pt, n, wr, nrow, row_w, slot_w);
    apex_gl2 *all = apex_calloc_n((size_t)1 << (n - s), sizeof *all);
    if (!all)
        return APEX_ERR_NOMEM;
    int rc = apex_mle_eq(slot_w, pt, s);
    if (rc == APEX_OK)
        rc = apex_mle_eq(all, pt + s, n - s);
    if (rc == APEX_OK)
        memcpy(row_w, all, nrow * sizeof *row_w); /* rows past nrow hold only zeros */
    free(all);
    return rc;
}

/* Room for the weights of nv views on commitments ks[] (rows + witness slots each). */
static apex_gl2 *view_store(const apex_comp_dims *dm, const size_t *ks, size_t nv, size_t *wr)
{
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(dm, ps);
    size_t total = 0;
    *wr = (size_t)1 << ps[0].log_block;
    for (size_t v = 0; v < nv; v++)
        if (ks[v] != APEX_ZKSC_FREE)
            total += ps[ks[v]].nwrow + *wr;
    return apex_calloc_n(total ? total : 1, sizeof(apex_gl2));
}

int comp_views_a(const apex_comp_dims *dm, const apex_gl2 *ra, apex_zksc_view *views,
                 apex_gl2 **store)
{
    static const size_t commit_of[COMP_A_NCOM] = {COMP_CU, APEX_ZKSC_FREE, APEX_ZKSC_FREE};
    size_t wr;
    apex_gl2 *buf = view_store(dm, commit_of, COMP_A_NCOM, &wr);
    *store = buf;
    if (!buf)
        return APEX_ERR_NOMEM;
    for (size_t v = 1; v < COMP_A_NCOM; v++)
        views[v] = (apex_zksc_view){APEX_ZKSC_FREE, NULL, NULL};
    size_t nrow = dm->pu.nwrow;
    views[COMP_A_U] = (apex_zksc_view){COMP_CU, buf, buf + nrow};
    return comp_view_fill(0, ra, dm->log_n + dm->log_nb, wr, nrow, buf, buf + nrow);
}

int comp_views_b(const apex_comp_dims *dm, const apex_gl2 *ra, const apex_gl2 *rb,
                 apex_zksc_view *views, apex_gl2 **store)
{
    static const size_t commit_of[COMP_B_NCOM] = {COMP_CG, COMP_CW1, COMP_CW0, COMP_CL,
                                                  COMP_CL, COMP_CL,  COMP_CL};
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(dm, ps);
    size_t wr;
    apex_gl2 *buf = view_store(dm, commit_of, COMP_B_NCOM, &wr);
    *store = buf;
    if (!buf)
        return APEX_ERR_NOMEM;
    unsigned lb = dm->log_b, ln = dm->log_n, lnb = dm->log_nb;
    apex_gl2 pg[3 * 64]; /* C_G's point: (j3, i2, b3) */
    memcpy(pg, rb, lb * sizeof *rb);
    memcpy(pg + lb, ra, ln * sizeof *ra);
    memcpy(pg + lb + ln, rb + lb, lnb * sizeof *rb);
    int rc = APEX_OK;
    for (size_t v = 0; v < COMP_B_NCOM && rc == APEX_OK; v++) {
        size_t k = commit_of[v], nrow = ps[k].nwrow;
        views[v] = (apex_zksc_view){k, buf, buf + nrow};
        apex_gl2 *rw = buf, *sw = buf + nrow;
        buf += nrow + wr;
        if (v == COMP_B_G)
            rc = comp_view_fill_g(pg, dm->k, wr, nrow, rw, sw);
        else if (v == COMP_B_W1 || v == COMP_B_W0)
            rc = comp_view_fill(0, rb, lb + lnb, wr, nrow, rw, sw);
        else
            rc = comp_view_fill((v - COMP_B_WLO) * comp_l_stride(dm), rb, lb + lnb, wr, nrow, rw,
                                sw);
    }
    return rc;
}
