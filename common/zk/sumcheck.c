/* Sumcheck over products of multilinear F_p2 tables (protocol in sumcheck.h). */
#include "zk/sumcheck.h"

#include "core/core.h"
#include "zk/mle.h"

apex_gl2 apex_sumcheck_interp(const apex_gl2 *v, unsigned m, apex_gl2 x)
{
    /* Lagrange basis over the nodes 0..m: L_i(x) = prod_{j != i} (x - j) / (i - j). The
     * denominators are small nonzero integers, so their inverses always exist. */
    apex_gl2 acc = apex_gl2_from_gl(0);
    for (unsigned i = 0; i <= m; i++) {
        apex_gl2 num = apex_gl2_from_gl(1);
        apex_gl den = 1;
        for (unsigned j = 0; j <= m; j++) {
            if (j == i)
                continue;
            num = apex_gl2_mul(num, apex_gl2_sub(x, apex_gl2_from_gl(j)));
            den = apex_gl_mul(den, apex_gl_from_i64((int64_t)i - (int64_t)j));
        }
        apex_gl dinv = 1;
        apex_gl_inv(den, &dinv);
        acc = apex_gl2_add(acc, apex_gl2_mul(v[i], apex_gl2_mul_gl(num, dinv)));
    }
    return acc;
}

static int absorb_start(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim)
{
    int rc = apex_transcript_absorb_u64(t, "sumcheck.shape", ((uint64_t)m << 32) | k);
    return rc == APEX_OK ? apex_transcript_absorb_gl2(t, "sumcheck.claim", &claim, 1) : rc;
}

static int shape_ok(unsigned m, unsigned k)
{
    return m >= 1 && m <= APEX_SUMCHECK_MAX_DEG && k <= APEX_MLE_MAX_VARS;
}

int apex_sumcheck_prove(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                        apex_gl2 claim, apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *finals)
{
    return apex_sumcheck_prove_padded(t, f, m, k, claim, NULL, rounds, r, finals);
}

int apex_sumcheck_prove_padded(apex_transcript *t, apex_gl2 *const *f, unsigned m, unsigned k,
                               apex_gl2 claim, const apex_gl2 *pads, apex_gl2 *rounds, apex_gl2 *r,
                               apex_gl2 *finals)
{
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    int rc = absorb_start(t, m, k, claim);
    size_t n = (size_t)1 << k; /* live length of every table */
    for (unsigned j = 0; j < k && rc == APEX_OK; j++, n /= 2) {
        apex_gl2 *h = rounds + (size_t)j * (m + 1);
        for (unsigned x = 0; x <= m; x++)
            h[x] = apex_gl2_from_gl(0);
        for (size_t b = 0; b < n / 2; b++) {
            /* each table restricted to this pair is the line lo + X (hi - lo); walk X = 0..m
             * by repeated addition and multiply the tables pointwise */
            apex_gl2 val[APEX_SUMCHECK_MAX_DEG], step[APEX_SUMCHECK_MAX_DEG];
            for (unsigned s = 0; s < m; s++) {
                val[s] = f[s][2 * b];
                step[s] = apex_gl2_sub(f[s][2 * b + 1], f[s][2 * b]);
            }
            for (unsigned x = 0; x <= m; x++) {
                apex_gl2 prod = val[0];
                for (unsigned s = 1; s < m; s++)
                    prod = apex_gl2_mul(prod, val[s]);
                h[x] = apex_gl2_add(h[x], prod);
                for (unsigned s = 0; s < m; s++)
                    val[s] = apex_gl2_add(val[s], step[s]);
            }
        }
        if (pads) /* send h - pad: uniform, the pads are committed beforehand */
            for (unsigned x = 0; x <= m; x++)
                h[x] = apex_gl2_sub(h[x], pads[(size_t)j * (m + 1) + x]);
        rc = apex_transcript_absorb_gl2(t, "sumcheck.round", h, m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
        for (unsigned s = 0; s < m && rc == APEX_OK; s++)
            rc = apex_mle_fold_gl2(f[s], n, r[j]);
    }
    for (unsigned s = 0; s < m && rc == APEX_OK; s++)
        finals[s] = f[s][0];
    return rc;
}

int apex_sumcheck_verify(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r, apex_gl2 *final_claim,
                         const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *reason = NULL;
    if (!shape_ok(m, k)) {
        *reason = "sumcheck: degree or variable count outside the parameters";
        return APEX_ERR_REJECTED;
    }
    int rc = absorb_start(t, m, k, claim);
    if (rc != APEX_OK) {
        *reason = "sumcheck: non-canonical claim";
        return rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
    }
    for (unsigned j = 0; j < k; j++) {
        const apex_gl2 *h = rounds + (size_t)j * (m + 1);
        if (!apex_gl2_eq(apex_gl2_add(h[0], h[1]), claim)) {
            *reason = "sumcheck: h(0) + h(1) differs from the running claim";
            return APEX_ERR_REJECTED;
        }
        rc = apex_transcript_absorb_gl2(t, "sumcheck.round", h, m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
        if (rc != APEX_OK) {
            *reason = "sumcheck: non-canonical round value";
            return rc == APEX_ERR_RANGE ? APEX_ERR_REJECTED : rc;
        }
        claim = apex_sumcheck_interp(h, m, r[j]);
    }
    *final_claim = claim;
    return APEX_OK;
}

int apex_sumcheck_replay(apex_transcript *t, unsigned m, unsigned k, apex_gl2 claim,
                         const apex_gl2 *rounds, apex_gl2 *r)
{
    if (!shape_ok(m, k))
        return APEX_ERR_INVALID;
    int rc = absorb_start(t, m, k, claim);
    for (unsigned j = 0; j < k && rc == APEX_OK; j++) {
        rc = apex_transcript_absorb_gl2(t, "sumcheck.round", rounds + (size_t)j * (m + 1), m + 1);
        if (rc == APEX_OK)
            rc = apex_transcript_challenge_gl2(t, &r[j], 1);
    }
    return rc;
}
