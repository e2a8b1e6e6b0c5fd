/* Scenario loading: every field is type- and range-checked, unknown keys are errors. */
#include "scenario.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static const char *const known_keys[] = {
    "name",    "description",  "clients",  "model_bytes", "model_seed",      "model_path",
    "curve",   "heartbeat_ms", "liveness", "timeout_s",   "raw_baseline_mb", "faults",
    "persist", "chunk_kib",    "window"};

static int get_uint(json_t *root, const char *key, uint64_t lo, uint64_t hi, uint64_t *out,
                    char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return APEX_OK; /* keep the default */
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < lo ||
        (uint64_t)json_integer_value(v) > hi) {
        snprintf(err, errlen, "'%s' must be an integer in [%llu, %llu]", key,
                 (unsigned long long)lo, (unsigned long long)hi);
        return APEX_ERR_FORMAT;
    }
    *out = (uint64_t)json_integer_value(v);
    return APEX_OK;
}

static int get_str(json_t *root, const char *key, char *out, size_t outlen, char *err,
                   size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return APEX_OK;
    if (!json_is_string(v) || strlen(json_string_value(v)) >= outlen) {
        snprintf(err, errlen, "'%s' must be a string shorter than %zu characters", key, outlen);
        return APEX_ERR_FORMAT;
    }
    snprintf(out, outlen, "%s", json_string_value(v));
    return APEX_OK;
}

static int load_faults(json_t *root, sim_scenario *sc, char *err, size_t errlen)
{
    json_t *arr = json_object_get(root, "faults");
    if (!arr)
        return APEX_OK;
    if (!json_is_array(arr) || json_array_size(arr) > SIM_MAX_FAULTS) {
        snprintf(err, errlen, "'faults' must be an array of at most %d objects", SIM_MAX_FAULTS);
        return APEX_ERR_FORMAT;
    }
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f)
    {
        sim_fault *x = &sc->faults[sc->nfaults++];
        json_t *cl = json_object_get(f, "client"), *drop = json_object_get(f, "drop_after_bytes"),
               *kill = json_object_get(f, "kill_after_s");
        if (!json_is_object(f) || !json_is_integer(cl) || json_integer_value(cl) < 0 ||
            (uint64_t)json_integer_value(cl) >= sc->clients || (drop && !json_is_integer(drop)) ||
            (kill && !json_is_number(kill)) || (!drop && !kill)) {
            snprintf(err, errlen,
                     "faults[%zu]: needs \"client\" (0..clients-1) and \"drop_after_bytes\" "
                     "(integer) or \"kill_after_s\" (number)",
                     i);
            return APEX_ERR_FORMAT;
        }
        x->client = (uint32_t)json_integer_value(cl);
        x->drop_after_bytes = drop ? (uint64_t)json_integer_value(drop) : 0;
        x->kill_after_s = kill ? json_number_value(kill) : 0;
    }
    return APEX_OK;
}

int sim_scenario_load(const char *path, sim_scenario *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->name, sizeof sc->name, "unnamed");
    sc->clients = 4;
    sc->model_bytes = 8u << 20;
    sc->model_seed = 1;
    sc->curve = 1;
    sc->heartbeat_ms = 1000;
    sc->liveness = 3;
    sc->timeout_s = 120;
    sc->raw_baseline_mb = 512;

    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return APEX_ERR_FORMAT;
    }
    int rc = APEX_OK;
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: the scenario must be a JSON object", path);
        rc = APEX_ERR_FORMAT;
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        int known = 0;
        for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
            known |= strcmp(key, known_keys[i]) == 0;
        if (!known) {
            snprintf(err, errlen, "%s: unknown key '%s'", path, key);
            rc = APEX_ERR_FORMAT;
            goto out;
        }
    }
    uint64_t v;
    json_t *curve = json_object_get(root, "curve");
    if (curve && !json_is_boolean(curve)) {
        snprintf(err, errlen, "'curve' must be true or false");
        rc = APEX_ERR_FORMAT;
        goto out;
    }
    sc->curve = curve ? json_is_true(curve) : 1;
    json_t *persist = json_object_get(root, "persist");
    if (persist && !json_is_boolean(persist)) {
        snprintf(err, errlen, "'persist' must be true or false");
        rc = APEX_ERR_FORMAT;
        goto out;
    }
    sc->persist = persist ? json_is_true(persist) : 1;
#define UINT_FIELD(k, lo, hi, dst)                                                                 \
    do {                                                                                           \
        v = (dst);                                                                                 \
        if ((rc = get_uint(root, k, lo, hi, &v, err, errlen)) != APEX_OK)                          \
            goto out;                                                                              \
        (dst) = v;                                                                                 \
    } while (0)
    UINT_FIELD("clients", 1, SIM_MAX_CLIENTS, sc->clients);
    UINT_FIELD("model_bytes", 1, 16ull << 30, sc->model_bytes);
    UINT_FIELD("model_seed", 0, UINT64_MAX >> 1, sc->model_seed);
    UINT_FIELD("heartbeat_ms", 10, 60000, sc->heartbeat_ms);
    UINT_FIELD("liveness", 1, 100, sc->liveness);
    UINT_FIELD("timeout_s", 1, 86400, sc->timeout_s);
    UINT_FIELD("raw_baseline_mb", 0, 65536, sc->raw_baseline_mb);
    UINT_FIELD("chunk_kib", 0, 1024, sc->chunk_kib);
    UINT_FIELD("window", 0, 1000, sc->window);
#undef UINT_FIELD
    if ((rc = get_str(root, "name", sc->name, sizeof sc->name, err, errlen)) != APEX_OK ||
        (rc = get_str(root, "description", sc->description, sizeof sc->description, err, errlen)) !=
            APEX_OK ||
        (rc = get_str(root, "model_path", sc->model_path, sizeof sc->model_path, err, errlen)) !=
            APEX_OK)
        goto out;
    rc = load_faults(root, sc, err, errlen);
out:
    json_decref(root);
    return rc;
}
