/* Padded sumcheck: composition into larger joint proofs, and the canonical encoding. */
#include "zk/ligero_impl.h"
#include "zk/zksumcheck_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- composition */

/* Field-wise equality (memcmp would also compare padding bytes). */
static int params_eq(const apex_ligero_params *a, const apex_ligero_params *b)
{
    return a->log_block == b->log_block && a->npad == b->npad && a->nreq == b->nreq &&
           a->nwrow == b->nwrow;
}

int apex_zksc_prove_eval(apex_zksc_prover **pp, apex_transcript *t, apex_ligero_commitment **c_pad,
                         apex_ligero_commitment **c_eval, apex_zksc_proof *out, const char **reason)
{
    return apex_zksc_prove_eval_ex(pp, t, NULL, 0, c_pad, c_eval, out, reason);
}

int apex_zksc_prove_eval_ex(apex_zksc_prover **pp, apex_transcript *t, const apex_gl2 *extras,
                            size_t nextra, apex_ligero_commitment **c_pad,
                            apex_ligero_commitment **c_eval, apex_zksc_proof *out,
                            const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    memset(out, 0, sizeof *out);
    *c_pad = *c_eval = NULL;
    apex_zksc_prover *p = *pp;
    if (nextra > APEX_ZKSC_MAX_EXTRA || (nextra && !extras)) {
        apex_zksc_prover_destroy(pp);
        *reason = "zksc: too many extra values";
        return APEX_ERR_INVALID;
    }
    for (size_t e = 0; e < nextra; e++)
        p->extras[e] = extras[e];
    p->nextra = nextra;
    apex_ligero_dims de;
    apex_ligero_dims_of(&p->sh.eval_params, &de, NULL); /* checked by prove_rounds */
    int rc = zksc_commit_eval(p, de.wr, c_eval, &out->root_eval, reason);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "zksc.root_eval", out->root_eval.b, 32);
    if (rc == APEX_OK) {
        out->root_pad = p->root_pad;
        out->rounds = p->rounds; /* ownership moves to the proof */
        p->rounds = NULL;
        *c_pad = p->c_pad; /* and the pads' commitment to the caller */
        p->c_pad = NULL;
    } else {
        apex_ligero_commitment_destroy(c_eval);
    }
    apex_zksc_prover_destroy(pp);
    return rc;
}

int apex_zksc_verify_eval(apex_transcript *t, const apex_zksc_proof *pf)
{
    return apex_transcript_absorb_bytes(t, "zksc.root_eval", pf->root_eval.b, 32);
}

int apex_zksc_emit(const apex_zksc_shape *sh, apex_gl2 claim, const apex_gl2 *rounds,
                   const apex_gl2 *r, const apex_zksc_view *views, const apex_gl2 *pubvals,
                   const apex_ligero_params *ps, size_t n, size_t ipad, size_t ieval,
                   apex_cbuild *b, const char **reason)
{
    return apex_zksc_emit_ex(sh, claim, NULL, 0, rounds, r, views, pubvals, ps, n, ipad, ieval, b,
                             reason);
}

int apex_zksc_emit_ex(const apex_zksc_shape *sh, apex_gl2 claim, const apex_ligero_xterm *hid,
                      size_t nhid, const apex_gl2 *rounds, const apex_gl2 *r,
                      const apex_zksc_view *views, const apex_gl2 *pubvals,
                      const apex_ligero_params *ps, size_t n, size_t ipad, size_t ieval,
                      apex_cbuild *b, const char **reason)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    unsigned m;
    apex_ligero_dims dp, de;
    size_t w_off[APEX_LIGERO_MAX_COMMITS + 1], r_off[APEX_LIGERO_MAX_COMMITS + 1];
    if (zksc_shape_check(sh, &m, &dp, &de, reason) != APEX_OK)
        return APEX_ERR_INVALID;
    if (n > APEX_LIGERO_MAX_COMMITS || ipad >= n || ieval >= n || ipad == ieval ||
        !params_eq(&ps[ipad], &sh->pad_params) || !params_eq(&ps[ieval], &sh->eval_params) ||
        apex_cbuild_layout(ps, n, w_off, r_off) != APEX_OK) {
        *reason = "zksc: C_pad or C_eval not where the commitment list says";
        return APEX_ERR_INVALID;
    }
    for (unsigned t = 0; t < sh->ncommitted; t++) {
        if (views && views[t].commit == APEX_ZKSC_FREE)
            continue;
        if (!views || views[t].commit >= n || views[t].commit == ipad || views[t].commit == ieval ||
            !views[t].row_w || !views[t].slot_w) {
            *reason = "zksc: a committed factor's view names no data commitment";
            return APEX_ERR_INVALID;
        }
    }
    zk_cons z;
    if (nhid && !hid) {
        *reason = "zksc: hidden claim terms missing";
        return APEX_ERR_INVALID;
    }
    int rc = zksc_build(sh, m, claim, hid, nhid, rounds, r, views, pubvals, w_off[ipad],
                        w_off[ieval], r_off[ieval], de.wr, &z);
    if (rc != APEX_OK)
        return rc;
    /* linear copies come in pairs of terms per constraint, value 0 */
    for (size_t i = 0; i + 1 < z.cons.nterms && rc == APEX_OK; i += 2) {
        const size_t w[2] = {z.copies[i].w, z.copies[i + 1].w};
        const apex_gl c[2] = {z.copies[i].coef, z.copies[i + 1].coef};
        rc = apex_cbuild_linear(b, w, c, 2, 0);
    }
    if (rc == APEX_OK && z.cons.nquad)
        rc = apex_cbuild_quad(b, z.quad.x, z.quad.y, z.quad.z);
    for (size_t i = 0; i < z.ntn && rc == APEX_OK; i++) {
        const apex_ligero_tensor *tn = &z.tn[i];
        apex_ligero_dims dv = {0};
        if (tn->row_w)
            apex_ligero_dims_of(&ps[tn->commit], &dv, NULL);
        rc = apex_cbuild_tensor(b, tn->commit, tn->row_w, dv.nrow, tn->slot_w, dv.wr, tn->terms,
                                tn->nterms, z.tval[i]);
    }
    zksc_cons_free(&z);
    return rc;
}
/* ---------------------------------------------------------------- encoding */

/* Degree of the shape's sum of products (the shape is checked by the callers first). */
static unsigned zksc_degree(const apex_zksc_shape *sh)
{
    return apex_sumcheck_terms_degree(sh->terms, sh->nterms, sh->ntab);
}

/* The Ligero shapes of the joint proof: data..., C_pad, C_eval. */
static int joint_params(const apex_zksc_shape *sh, const apex_ligero_params *data_ps, size_t ndata,
                        apex_ligero_params *ps)
{
    apex_ligero_dims dp, de;
    const char *why;
    unsigned m;
    if (ndata > APEX_ZKSC_MAX_DATA || zksc_shape_check(sh, &m, &dp, &de, &why) != APEX_OK)
        return APEX_ERR_INVALID;
    for (size_t i = 0; i < ndata; i++)
        ps[i] = data_ps[i];
    ps[ndata] = sh->pad_params;
    ps[ndata + 1] = sh->eval_params;
    return APEX_OK;
}

int apex_zksc_proof_encode(const apex_zksc_shape *sh, const apex_ligero_params *data_ps,
                           size_t ndata, const apex_zksc_proof *pf, apex_enc_writer *w)
{
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS];
    int rc = joint_params(sh, data_ps, ndata, ps);
    if (rc == APEX_OK)
        rc = apex_enc_put_hash(w, &pf->root_pad);
    if (rc == APEX_OK)
        rc = apex_enc_put_hash(w, &pf->root_eval);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->rounds, (size_t)sh->k * (zksc_degree(sh) + 1));
    if (rc == APEX_OK)
        rc = apex_ligero_proof_encode(ps, ndata + 2, &pf->lig, w);
    return rc;
}

int apex_zksc_proof_decode(const apex_zksc_shape *sh, const apex_ligero_params *data_ps,
                           size_t ndata, apex_enc_reader *r, apex_zksc_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    apex_ligero_params ps[APEX_LIGERO_MAX_COMMITS];
    int rc = joint_params(sh, data_ps, ndata, ps);
    if (rc != APEX_OK)
        return rc;
    size_t nr = (size_t)sh->k * (zksc_degree(sh) + 1);
    if (!(pf->rounds = apex_calloc_n(nr, sizeof *pf->rounds)))
        return APEX_ERR_NOMEM;
    if ((rc = apex_enc_get_hash(r, &pf->root_pad)) != APEX_OK ||
        (rc = apex_enc_get_hash(r, &pf->root_eval)) != APEX_OK ||
        (rc = apex_enc_get_gl2_vec_exact(r, pf->rounds, nr)) != APEX_OK ||
        (rc = apex_ligero_proof_decode(ps, ndata + 2, r, &pf->lig)) != APEX_OK) {
        apex_zksc_proof_free(pf);
        return rc;
    }
    return APEX_OK;
}
