/* apex unlearn: a client applies the public mask to its personalized model and compensates
 * with Group-OBS on its own private data (UNLEARNING.md §2). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apex/cmds.h"
#include "apex/ml_cli.h"
#include "apex/zk_cli.h"
#include "unlearn/saliency.h"

static void unl_usage(FILE *f)
{
    fprintf(f,
            "usage: apex unlearn --model CLIENT --mask MASK --client ID --out FILE [options]\n"
            "Zeroes the masked fc1 weights of the personalized model and moves the other\n"
            "weights of each masked block to the Group-OBS optimum on the client's private\n"
            "training images (per-sample gradients G at the model before the change):\n"
            "  min ½δᵀCδ  s.t. (w+δ)_S = 0,   C = λI + GᵀG/(m·N)  (float)\n"
            "                                 Ĥ = G̃ᵀG̃ + Λ̃I       (quantized, the proof's form)\n"
            "Blocks without a masked weight and all other tensors stay bit-identical.\n\n"
            "options:\n"
            "  --client ID --seed S --exclude LIST   which client's data (as for personalize)\n"
            "  --global FILE    also check that the mask was made on this global model\n"
            "  --path P         quantized (default: int8 G̃, fixed-point w̃, certificate τ),\n"
            "                   float (float64 reference) or mask-only (no compensation)\n"
            "  --block B        weights per block (default %u)\n"
            "  --samples N      use the first N private images (default: all)\n"
            "  --rel-damp R     float: λ = R·mean diag of GᵀG/(m·N) (default %.2f)\n"
            "  --fisher-m M     float: m (default %.0f)\n"
            "  --tau-log2 T     quantized: residual tolerance τ = 2^T (default %u)\n"
            "  --sequential-layers  ablation: the authors' order, each layer's G taken after the\n"
            "                   earlier layers are compensated (default: every G at the input)\n"
            "  --data DIR  --threads T  --json\n\n"
            "compliance proof (after `apex commit`; quantized path, the committed G~):\n"
            "  --commit client.commit --key KEY --proof proof.bin [--nonce HEX]\n"
            "                   compensate with the G~ committed at registration for the\n"
            "                   cumulative mask, prove the step, advance KEY to the next epoch\n"
            "exit: 0 written, 1 the certificate check failed (τ) or the prover refused,\n"
            "      2 usage, 3 bad model, mask or commitment file, or a mask made for another\n"
            "      model\n",
            APEX_OBS_DEFAULT_BLOCK, APEX_OBS_DEFAULT_REL_DAMP, APEX_OBS_DEFAULT_FISHER_M,
            APEX_OBSQ_DEFAULT_TAU_LOG2);
}

int cmd_unlearn(int argc, char **argv)
{
    static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                         {"mask", required_argument, 0, 'k'},
                                         {"out", required_argument, 0, 'o'},
                                         {"client", required_argument, 0, 'c'},
                                         {"seed", required_argument, 0, 's'},
                                         {"exclude", required_argument, 0, 'x'},
                                         {"global", required_argument, 0, 'g'},
                                         {"path", required_argument, 0, 'p'},
                                         {"block", required_argument, 0, 'B'},
                                         {"samples", required_argument, 0, 'N'},
                                         {"rel-damp", required_argument, 0, 'R'},
                                         {"fisher-m", required_argument, 0, 'M'},
                                         {"tau-log2", required_argument, 0, 'T'},
                                         {"data", required_argument, 0, 'd'},
                                         {"threads", required_argument, 0, 't'},
                                         {"json", no_argument, 0, 'j'},
                                         {"sequential-layers", no_argument, 0, 'S'},
                                         {"commit", required_argument, 0, 'C'},
                                         {"key", required_argument, 0, 'K'},
                                         {"proof", required_argument, 0, 'P'},
                                         {"nonce", required_argument, 0, 'n'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    zk_unlearn_args za;
    memset(&za, 0, sizeof za);
    uint8_t nonce[32];
    const char *in = NULL, *mpath = NULL, *out = NULL, *gpath = NULL, *data = NULL;
    long client = -1, seed = 1, exclude = 0, threads = 0, v;
    int json = 0, mask_only = 0, c;
    apex_unl_params up;
    apex_unl_params_default(&up);
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            in = optarg;
            break;
        case 'k':
            mpath = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'g':
            gpath = optarg;
            break;
        case 'c':
            if ((client = ml_cli_long(optarg)) < 0)
                goto bad;
            break;
        case 's':
            if ((seed = ml_cli_long(optarg)) < 0)
                goto bad;
            break;
        case 'x':
            if ((exclude = ml_cli_class_mask(optarg)) < 0)
                goto bad;
            break;
        case 'p':
            if (strcmp(optarg, "quantized") == 0)
                up.quantized = 1;
            else if (strcmp(optarg, "float") == 0)
                up.quantized = 0;
            else if (strcmp(optarg, "mask-only") == 0)
                mask_only = 1;
            else
                goto bad;
            break;
        case 'B':
            if ((v = ml_cli_long(optarg)) < 1 || v > (long)APEX_OBS_MAX_BLOCK)
                goto bad;
            up.obs.block = up.obsq.block = (size_t)v;
            break;
        case 'N':
            if ((v = ml_cli_long(optarg)) < 1 || v > (long)APEX_OBS_MAX_SAMPLES)
                goto bad;
            up.max_samples = (int)v;
            break;
        case 'R':
            up.obs.rel_damp = strtod(optarg, &end);
            if (*end || !(up.obs.rel_damp > 0) || up.obs.rel_damp > 1e6)
                goto bad;
            break;
        case 'M':
            up.obs.fisher_m = strtod(optarg, &end);
            if (*end || !(up.obs.fisher_m > 0) || up.obs.fisher_m > 1e6)
                goto bad;
            break;
        case 'T':
            if ((v = ml_cli_long(optarg)) < 1 || v > (long)APEX_OBSQ_MAX_TAU_LOG2)
                goto bad;
            up.obsq.tau_log2 = (unsigned)v;
            break;
        case 'd':
            data = optarg;
            break;
        case 't':
            if ((threads = ml_cli_long(optarg)) <= 0)
                goto bad;
            break;
        case 'j':
            json = 1;
            break;
        case 'S':
            up.sequential_layers = 1;
            break;
        case 'C':
            za.commit = optarg;
            break;
        case 'K':
            za.key = optarg;
            break;
        case 'P':
            za.proof = optarg;
            break;
        case 'n':
            if (apex_unhex(optarg, nonce, sizeof nonce) != APEX_OK)
                goto bad;
            za.nonce = nonce;
            break;
        case 'h':
            unl_usage(stdout);
            return APEX_EXIT_OK;
        default:
            goto bad;
        }
    }
    int proved = za.commit || za.key || za.proof;
    if (proved)
        apex_heap_keep(); /* the prover's phases reuse each other's pages: see core.h */
    if (proved && (!za.commit || !za.key || !za.proof || mask_only || !up.quantized))
        goto bad; /* the proof path needs all three files and the quantized path */
    if (!in || !mpath || !out || (client < 0 && !mask_only && !proved) || optind != argc)
        goto bad;
    apex_ml_set_threads((int)threads);
    char why[APEX_MASK_WHY_LEN] = "";
    apex_ml_model *m = NULL;
    apex_mask *mask = NULL;
    apex_ml_dataset *pool = NULL, *tr = NULL, *va = NULL;
    apex_unl_report rep;
    memset(&rep, 0, sizeof rep);
    int rc = apex_ml_model_load(in, &m);
    if (rc != APEX_OK) {
        fprintf(stderr, "apex unlearn: %s: %s\n", in, apex_strerror(rc));
        return apex_exit_code(rc);
    }
    if ((rc = apex_mask_load(mpath, &mask, why)) != APEX_OK) {
        fprintf(stderr, "apex unlearn: %s: %s: %s\n", mpath, apex_strerror(rc), why);
        goto done;
    }
    /* the mask's layer table names the targets (fc1, or fc1 and fc2); checked exactly below */
    unsigned tset = apex_sal_targets_of_mask(mask);
    if (tset)
        apex_ml_model_set_targets(m, tset);
    if ((rc = apex_unl_check_layers(m, mask, why)) != APEX_OK) {
        fprintf(stderr, "apex unlearn: %s does not fit %s: %s\n", mpath, in, why);
        rc = APEX_ERR_FORMAT; /* a wrong input pairing: exit 3 */
        goto done;
    }
    if (gpath) {
        uint8_t gid[APEX_SHA256_LEN];
        if ((rc = apex_mask_model_id_file(gpath, gid)) != APEX_OK) {
            fprintf(stderr, "apex unlearn: %s: %s\n", gpath, apex_strerror(rc));
            goto done;
        }
        if (memcmp(gid, mask->model_id, APEX_SHA256_LEN) != 0) {
            fprintf(stderr, "apex unlearn: %s was made on another global model than %s\n", mpath,
                    gpath);
            rc = APEX_ERR_FORMAT;
            goto done;
        }
    }
    if (proved) {
        za.threads = threads;
        rc = zk_unlearn_proved(m, mpath, &za, &rep);
    } else if (mask_only) {
        rc = apex_unl_mask_only(m, mask, why);
        rep.masked = mask->count;
    } else {
        apex_ml_client_spec spec;
        if ((rc = apex_ml_client_spec_make((uint32_t)client, (uint64_t)seed, (unsigned)exclude,
                                           &spec)) != APEX_OK) {
            fprintf(stderr, "apex unlearn: too many classes excluded\n");
            rc = APEX_ERR_INVALID;
            goto done;
        }
        if ((rc = ml_cli_load(data, 1, &pool)) != APEX_OK ||
            (rc = apex_ml_client_data(&spec, pool, &tr, &va)) != APEX_OK)
            goto done;
        rc = apex_unl_compensate(m, mask, tr, &up, &rep, why);
        if (rc != APEX_OK)
            fprintf(stderr, "apex unlearn: %s\n", why);
    }
    if (rc == APEX_OK)
        rc = apex_ml_model_save(m, out);
    if (rc == APEX_OK) {
        const char *path = proved         ? "proved"
                           : mask_only    ? "mask-only"
                           : up.quantized ? "quantized"
                                          : "float";
        if (proved && json)
            printf("{\"event\":\"proved\",\"proof\":\"%s\",\"proof_bytes\":%zu,"
                   "\"prove_s\":%.3f,\"tableau_cache\":%s,\"w_tableau_cache\":%s}\n",
                   za.proof, za.proof_bytes, za.prove_s, za.tableau ? "true" : "false",
                   za.w_tableau ? "true" : "false");
        else if (proved)
            printf("proof: %s (%zu bytes, %.2f s to prove)\n", za.proof, za.proof_bytes,
                   za.prove_s);
        if (json)
            printf(
                "{\"event\":\"unlearned\",\"path\":\"%s\",\"samples\":%zu,\"masked\":%zu,"
                "\"blocks\":%zu,\"sequential_blocks\":%zu,\"max_rho\":%lld,\"tau_log2\":%u,"
                "\"frac_bits\":%d,\"grid_overflow\":%zu,\"delta_l2\":%.6g,\"seconds_grads\":%.3f,"
                "\"seconds_solve\":%.3f,\"out\":\"%s\"}\n",
                path, rep.n, rep.masked, rep.blocks, rep.sequential, (long long)rep.max_rho,
                up.obsq.tau_log2, m->frac_bits, rep.grid_overflow, rep.delta_l2, rep.seconds_grads,
                rep.seconds_solve, out);
        else
            printf("unlearn (%s): %zu weights zeroed, %zu blocks compensated on %zu samples, "
                   "|δ| off the mask %.4g, %.2f s -> %s\n",
                   path, rep.masked, rep.blocks, rep.n, rep.delta_l2,
                   rep.seconds_grads + rep.seconds_solve, out);
    }
done:
    if (rc != APEX_OK)
        fprintf(stderr, "apex unlearn: %s\n", apex_strerror(rc));
    apex_mask_destroy(&mask);
    apex_ml_model_destroy(&m);
    apex_ml_dataset_destroy(&pool);
    apex_ml_dataset_destroy(&tr);
    apex_ml_dataset_destroy(&va);
    return apex_exit_code(rc);
bad:
    unl_usage(stderr);
    return APEX_EXIT_USAGE;
}
