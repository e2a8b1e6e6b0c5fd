/* Overflow budget and parameter digest of the compliance statement (rules in stmt.h). */
#include "zk/stmt.h"

#include <string.h>

/* floor(log2(x)) + 1 for x > 0: the bit length. */
static unsigned bit_len(unsigned __int128 x)
{
    unsigned n = 0;
    while (x) {
        n++;
        x >>= 1;
    }
    return n;
}

unsigned __int128 apex_stmt_rho_bound(const apex_stmt_params *s, int *overflow)
{
    *overflow = 0;
    if (s->bits_g < 1 || s->bits_g > APEX_STMT_MAX_BITS_G || s->bits_w > 126) {
        *overflow = 1; /* outside what the formula below can represent */
        return 0;
    }
    /* N B 2^(2 (b_G - 1)) + Lambda, then times 2^b_w - 1; guard each step by bit length */
    unsigned __int128 nb = (unsigned __int128)s->n_samples * s->block; /* < 2^128 */
    unsigned gsq = 2 * (s->bits_g - 1);
    if (bit_len(nb) + gsq > 126) {
        *overflow = 1;
        return 0;
    }
    unsigned __int128 h = (nb << gsq) + s->lambda; /* < 2^127 */
    unsigned __int128 dmax = ((unsigned __int128)1 << s->bits_w) - 1;
    if (bit_len(h) + s->bits_w > 127) {
        *overflow = 1;
        return 0;
    }
    return h * dmax;
}

int apex_stmt_check_budget(const apex_stmt_params *s, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *reason = NULL;
    if (s->n_samples == 0 || s->block == 0 || s->lambda == 0) {
        *reason = "stmt: N, B and Lambda must be positive";
        return APEX_ERR_INVALID;
    }
    if (s->bits_g < 1 || s->bits_g > APEX_STMT_MAX_BITS_G || s->bits_w < 1 ||
        s->bits_w > APEX_STMT_MAX_RANGE_BITS || s->limb_bits < 1 ||
        s->limb_bits > APEX_STMT_MAX_RANGE_BITS) {
        *reason = "stmt: a bit width is outside its range";
        return APEX_ERR_INVALID;
    }
    int over;
    unsigned __int128 rho = apex_stmt_rho_bound(s, &over);
    if (over || rho > (APEX_GL_P - 1) / 2) {
        *reason = "stmt: residual bound (N B 2^(2 b_G - 2) + Lambda)(2^b_w - 1) exceeds (p-1)/2";
        return APEX_ERR_RANGE;
    }
    if ((uint64_t)s->tau_log2 + 1 > APEX_STMT_MAX_RANGE_BITS) {
        *reason = "stmt: tau = 2^t needs t + 1 <= 63 bits of limbs";
        return APEX_ERR_RANGE;
    }
    return APEX_OK;
}

int apex_stmt_digest(const apex_stmt_params *s, const apex_ligero_params *lp,
                     uint8_t out[APEX_SHA256_LEN])
{
    int rc = apex_stmt_check_budget(s, NULL);
    apex_ligero_dims d;
    if (rc != APEX_OK)
        return rc;
    if (apex_ligero_dims_of(lp, &d, NULL) != APEX_OK)
        return APEX_ERR_INVALID;
    /* domain, version, field and extension identity, statement integers, commitment shape,
     * each fixed-width little-endian */
    static const char domain[] = APEX_STMT_DIGEST_DOMAIN;
    const uint64_t fields[] = {APEX_ZK_VERSION,
                               APEX_GL_P,
                               APEX_GL2_NONRESIDUE,
                               APEX_LIGERO_RATE_INV,
                               APEX_MERKLE_SALT_LEN,
                               s->n_samples,
                               s->block,
                               s->bits_g,
                               s->bits_w,
                               s->lambda,
                               s->tau_log2,
                               s->limb_bits,
                               lp->log_block,
                               lp->npad,
                               lp->nreq,
                               lp->nwrow};
    uint8_t buf[sizeof domain - 1 + 8 + 8 * sizeof fields / sizeof fields[0]];
    size_t o = 0;
    memcpy(buf, domain, sizeof domain - 1);
    o += sizeof domain - 1;
    uint64_t nf = sizeof fields / sizeof fields[0];
    for (int b = 0; b < 8; b++)
        buf[o++] = (uint8_t)(nf >> (8 * b));
    for (size_t i = 0; i < nf; i++)
        for (int b = 0; b < 8; b++)
            buf[o++] = (uint8_t)(fields[i] >> (8 * b));
    return apex_sha256(buf, o, out);
}
