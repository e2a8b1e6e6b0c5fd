/* The compliance verifier (protocol in compliance.h). */
#include "zk/compliance_impl.h"

#include <stdlib.h>
#include <string.h>

int apex_comp_verify(const apex_comp_config *cfg, const apex_comp_public *pub,
                     const apex_comp_proof *pf, const char **reason)
{
    const char *dummy, *why = NULL;
    if (!reason)
        reason = &dummy;
    apex_comp_dims dm;
    int rc = apex_comp_dims_of(cfg, &dm, reason);
    if (rc != APEX_OK)
        return rc;
    if ((rc = comp_mask_ok(cfg, pub, reason)) != APEX_OK)
        return rc;
    if (!pf->zs.rounds || !pf->lig.ldt) {
        *reason = "compliance: malformed proof";
        return APEX_ERR_REJECTED;
    }
    if (!pf->zsb.rounds) {
        *reason = "compliance: malformed proof";
        return APEX_ERR_REJECTED;
    }
    apex_transcript *t = comp_transcript(&dm, pub);
    apex_lgkr_state *lst = NULL;
    apex_cbuild *bld = NULL;
    apex_gl2 *ra = apex_calloc_n(dm.za.k + 1, sizeof *ra);
    apex_gl2 *rb = apex_calloc_n(dm.zb.k + 1, sizeof *rb), *wa = NULL, *wb = NULL;
    comp_chal ch = {0};
    rc = APEX_ERR_NOMEM;
    *reason = "compliance: out of memory";
    if (!t || !ra || !rb)
        goto done;
    rc = apex_transcript_absorb_bytes(t, "root_u", pf->root_u.b, 32);
    if (rc == APEX_OK)
        rc = apex_transcript_absorb_bytes(t, "root_l", pf->root_l.b, 32);
    if (rc == APEX_OK)
        rc = apex_lgkr_verify_draw(t, &dm.lg, &pf->root_l, &pf->lg, &lst, &why);
    if (rc == APEX_OK)
        rc = comp_chal_draw(t, &dm, &ch);
    if (rc != APEX_OK) {
        rc = rc == APEX_ERR_NOMEM ? rc : APEX_ERR_REJECTED;
        *reason = "compliance: range-check commitments rejected";
        goto done;
    }
    apex_sumcheck_term terms_a[COMP_A_NTERMS], terms_b[COMP_B_NTERMS];
    comp_terms_a(&ch, terms_a);
    apex_zksc_shape sha = dm.za, shb = dm.zb;
    sha.terms = terms_a;
    apex_gl2 claimb, zero = apex_gl2_from_gl(0);
    if ((rc = apex_zksc_verify_rounds(t, &sha, zero, &pf->zs, ra, &why)) != APEX_OK ||
        (rc = apex_zksc_verify_eval(t, &pf->zs)) != APEX_OK ||
        (rc = apex_transcript_challenge_gl2(t, &ch.alpha2, 1)) != APEX_OK) {
        rc = rc == APEX_ERR_NOMEM ? rc : APEX_ERR_REJECTED;
        *reason = "compliance: stage A sumcheck rounds rejected";
        goto done;
    }
    comp_terms_b(cfg, &dm, &ch, terms_b, &claimb, pub);
    shb.terms = terms_b;
    if ((rc = apex_zksc_verify_rounds(t, &shb, claimb, &pf->zsb, rb, &why)) != APEX_OK ||
        (rc = apex_zksc_verify_eval(t, &pf->zsb)) != APEX_OK) {
        rc = rc == APEX_ERR_NOMEM ? rc : APEX_ERR_REJECTED;
        *reason = "compliance: stage B sumcheck rounds rejected";
        goto done;
    }
    apex_zksc_view views_a[COMP_A_NCOM], views_b[COMP_B_NCOM];
    apex_gl2 pub_a, pub_b[COMP_B_N - COMP_B_NCOM];
    apex_ligero_xterm hid_a[COMP_NHID_A], hid_b[COMP_NHID_B];
    if ((rc = comp_views_a(&dm, ra, views_a, &wa)) != APEX_OK ||
        (rc = comp_views_b(&dm, ra, rb, views_b, &wb)) != APEX_OK ||
        (rc = comp_hidden(&dm, &ch, hid_a, hid_b)) != APEX_OK)
        goto done;
    pub_a = comp_pubval_a(&dm, &ch, ra);
    comp_pubvals_b(cfg, &dm, &ch, pub, ra, rb, pub_b);
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(&dm, ps);
    rc = APEX_ERR_NOMEM;
    if (!(bld = apex_cbuild_new()))
        goto done;
    if ((rc = apex_zksc_emit_ex(&sha, zero, hid_a, COMP_NHID_A, pf->zs.rounds, ra, views_a, &pub_a,
                                ps, COMP_NCOMMIT, COMP_CPADA, COMP_CEVALA, bld, &why)) != APEX_OK ||
        (rc = apex_zksc_emit_ex(&shb, claimb, hid_b, COMP_NHID_B, pf->zsb.rounds, rb, views_b,
                                pub_b, ps, COMP_NCOMMIT, COMP_CPADB, COMP_CEVALB, bld, &why)) !=
            APEX_OK ||
        (rc = apex_lgkr_emit(lst, ps, COMP_NCOMMIT, COMP_CL, COMP_CM, COMP_CP, bld, &why)) !=
            APEX_OK) {
        rc = rc == APEX_ERR_NOMEM ? rc : APEX_ERR_REJECTED;
        *reason = "compliance: constraint system could not be built";
        goto done;
    }
    apex_ligero_constraints cons;
    const apex_gl *lin_b;
    const apex_gl2 *tval;
    apex_cbuild_view(bld, &cons, &lin_b, &tval);
    const apex_hash roots[COMP_NCOMMIT] = {pub->root_g,      pub->root_w0,     pub->root_w1,
                                           pf->root_u,       pf->root_l,       pf->lg.root_m,
                                           pf->lg.root_p,    pf->zs.root_pad,  pf->zs.root_eval,
                                           pf->zsb.root_pad, pf->zsb.root_eval};
    rc = apex_ligero_verify(ps, roots, COMP_NCOMMIT, t, &cons, lin_b, tval, &pf->lig, &why);
    if (rc == APEX_ERR_REJECTED)
        *reason = "compliance: joint proof rejected (a statement check failed)";
    else if (rc != APEX_OK)
        *reason = "compliance: joint proof could not be checked";
done:
    apex_cbuild_destroy(&bld);
    apex_lgkr_state_destroy(&lst);
    apex_transcript_destroy(&t);
    comp_chal_free(&ch);
    free(wa);
    free(wb);
    free(ra);
    free(rb);
    return rc;
}

#define COMP_NROOTS 8u

int apex_comp_proof_encode(const apex_comp_config *cfg, const apex_comp_proof *pf,
                           apex_enc_writer *w)
{
    apex_comp_dims dm;
    if (apex_comp_dims_of(cfg, &dm, NULL) != APEX_OK || !pf->zs.rounds)
        return APEX_ERR_INVALID;
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(&dm, ps);
    if (!pf->zsb.rounds)
        return APEX_ERR_INVALID;
    const apex_hash *h[COMP_NROOTS] = {&pf->root_u,       &pf->root_l,       &pf->lg.root_m,
                                       &pf->lg.root_p,    &pf->zs.root_pad,  &pf->zs.root_eval,
                                       &pf->zsb.root_pad, &pf->zsb.root_eval};
    int rc = apex_enc_put_u32(w, APEX_COMP_PROOF_VERSION);
    for (size_t i = 0; i < COMP_NROOTS && rc == APEX_OK; i++)
        rc = apex_enc_put_hash(w, h[i]);
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->zs.rounds, (size_t)dm.za.k * (COMP_A_DEG + 1));
    if (rc == APEX_OK)
        rc = apex_enc_put_gl2_vec(w, pf->zsb.rounds, (size_t)dm.zb.k * (COMP_B_DEG + 1));
    size_t ns = apex_lgkr_sent_count(&dm.lg);
    if (rc == APEX_OK)
        rc = pf->lg.sent && pf->lg.nsent == ns ? apex_enc_put_gl2_vec(w, pf->lg.sent, ns)
                                               : APEX_ERR_INVALID;
    return rc == APEX_OK ? apex_ligero_proof_encode(ps, COMP_NCOMMIT, &pf->lig, w) : rc;
}

int apex_comp_proof_decode(const apex_comp_config *cfg, apex_enc_reader *r, apex_comp_proof *pf)
{
    memset(pf, 0, sizeof *pf);
    apex_comp_dims dm;
    if (apex_comp_dims_of(cfg, &dm, NULL) != APEX_OK)
        return APEX_ERR_INVALID;
    apex_ligero_params ps[COMP_NCOMMIT];
    comp_joint_params(&dm, ps);
    uint32_t ver = 0;
    int rc = apex_enc_get_u32(r, &ver);
    if (rc == APEX_OK && ver != APEX_COMP_PROOF_VERSION)
        rc = APEX_ERR_FORMAT;
    apex_hash *h[COMP_NROOTS] = {&pf->root_u,       &pf->root_l,       &pf->lg.root_m,
                                 &pf->lg.root_p,    &pf->zs.root_pad,  &pf->zs.root_eval,
                                 &pf->zsb.root_pad, &pf->zsb.root_eval};
    for (size_t i = 0; i < COMP_NROOTS && rc == APEX_OK; i++)
        rc = apex_enc_get_hash(r, h[i]);
    size_t na = (size_t)dm.za.k * (COMP_A_DEG + 1), nb = (size_t)dm.zb.k * (COMP_B_DEG + 1);
    size_t ns = apex_lgkr_sent_count(&dm.lg);
    if (rc == APEX_OK && (!(pf->zs.rounds = apex_calloc_n(na, sizeof *pf->zs.rounds)) ||
                          !(pf->zsb.rounds = apex_calloc_n(nb, sizeof *pf->zsb.rounds)) ||
                          !(pf->lg.sent = apex_calloc_n(ns, sizeof *pf->lg.sent))))
        rc = APEX_ERR_NOMEM;
    pf->lg.nsent = ns;
    if (rc == APEX_OK)
        rc = apex_enc_get_gl2_vec_exact(r, pf->zs.rounds, na);
    if (rc == APEX_OK)
        rc = apex_enc_get_gl2_vec_exact(r, pf->zsb.rounds, nb);
    if (rc == APEX_OK)
        rc = apex_enc_get_gl2_vec_exact(r, pf->lg.sent, ns);
    if (rc == APEX_OK)
        rc = apex_ligero_proof_decode(ps, COMP_NCOMMIT, r, &pf->lig);
    if (rc != APEX_OK)
        apex_comp_proof_free(pf);
    return rc;
}
