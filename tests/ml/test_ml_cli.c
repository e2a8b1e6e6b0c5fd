/* The ML verbs of the apex tool end to end on small subsets: train, eval,
 * personalize, and the exit codes for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli_util.h"
#include "ml/ml.h"

static char g_dir[256];
static char g_apex[512];

static int run(const char *args, char **out_text)
{
    return cli_run(g_apex, g_dir, args, out_text);
}

static double json_num(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = text ? strstr(text, pat) : NULL;
    return p ? atof(p + strlen(pat)) : -1;
}

static void test_train_eval_personalize(void **state)
{
    (void)state;
    char args[1024], *out;
    snprintf(args, sizeof args,
             "train --model mlp --out %s/g.model --epochs 2 --limit 3000 --threads 1 --json",
             g_dir);
    assert_int_equal(run(args, &out), 0);
    assert_non_null(strstr(out, "\"event\":\"epoch\""));
    double acc = json_num(strstr(out, "\"event\":\"done\""), "test_acc");
    assert_true(acc > 0.7 && acc <= 1.0);
    free(out);

    snprintf(args, sizeof args, "eval --model %s/g.model --client 2", g_dir);
    assert_int_equal(run(args, &out), 0);
    assert_true(json_num(out, "test_acc") == acc);
    assert_non_null(strstr(out, "\"test_per_class\":["));
    double val_global = json_num(out, "val_acc");
    assert_true(val_global >= 0 && val_global <= 1);
    free(out);

    snprintf(args, sizeof args,
             "personalize --model %s/g.model --client 2 --out %s/c2.model --json", g_dir, g_dir);
    assert_int_equal(run(args, &out), 0);
    assert_true(json_num(out, "frac_bits") > 0);
    free(out);
    snprintf(args, sizeof args, "eval --model %s/c2.model --client 2", g_dir);
    assert_int_equal(run(args, &out), 0);
    if (!(json_num(out, "val_acc") > val_global))
        fail_msg("personalized val %.3f vs global %.3f", json_num(out, "val_acc"), val_global);
    free(out);
}

static void test_exit_codes(void **state)
{
    (void)state;
    char args[1024], path[300];
    assert_int_equal(run("train --model resnet --out /dev/null", NULL), 2);
    assert_int_equal(run("eval", NULL), 2);
    snprintf(args, sizeof args, "eval --model %s/absent.model", g_dir);
    assert_int_equal(run(args, NULL), 3);
    /* a truncated model file */
    snprintf(path, sizeof path, "%s/bad.model", g_dir);
    assert_int_equal(apex_file_write_atomic(path, "APEXMODL\1\0\0\0", 12, 0644), APEX_OK);
    snprintf(args, sizeof args, "eval --model %s", path);
    assert_int_equal(run(args, NULL), 3);
    snprintf(args, sizeof args, "train --model mlp --out %s/x.model --data %s", g_dir, g_dir);
    assert_int_equal(run(args, NULL), 3); /* no Fashion-MNIST in --data */
}

int main(void)
{
    const char *bin = getenv("APEX_BIN_DIR");
    snprintf(g_apex, sizeof g_apex, "%s/apex", bin ? bin : "build/bin");
    snprintf(g_dir, sizeof g_dir, "/tmp/apex-test-ml-cli-XXXXXX");
    if (!mkdtemp(g_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_eval_personalize),
        cmocka_unit_test(test_exit_codes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
