/* Internals of zk/logup for the tests. Not a public API. */
#ifndef APEX_ZK_LOGUP_IMPL_H
#define APEX_ZK_LOGUP_IMPL_H

#include "zk/logup.h"

/* apex_logup_prove; cheat = 1, 2 or 3 plays a prover that hides out-of-range entries in the
 * ways listed in logup.c, each caught by exactly one of the checks (tests only). */
int logup_prove_impl(apex_transcript *t, const apex_logup_shape *sh, apex_ligero_commitment *ca,
                     apex_rng *test_rng, int cheat, apex_logup_proof *out, const char **reason);

#endif /* APEX_ZK_LOGUP_IMPL_H */
