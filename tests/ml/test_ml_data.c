/* IDX loader: the real Debian files, and each malformed-input error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ml/ml.h"

static char g_dir[256];

static void write_gz(const char *name, const void *buf, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    gzFile f = gzopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(gzwrite(f, buf, (unsigned)n), (int)n);
    gzclose(f);
}

/* An IDX header: magic 0x000008nd then big-endian dims. */
static size_t idx_header(uint8_t *h, int ndim, const uint32_t *dims)
{
    h[0] = h[1] = 0;
    h[2] = 0x08;
    h[3] = (uint8_t)ndim;
    for (int i = 0; i < ndim; i++) {
        h[4 + 4 * i] = (uint8_t)(dims[i] >> 24);
        h[5 + 4 * i] = (uint8_t)(dims[i] >> 16);
        h[6 + 4 * i] = (uint8_t)(dims[i] >> 8);
        h[7 + 4 * i] = (uint8_t)dims[i];
    }
    return 4 + 4 * (size_t)ndim;
}

/* Writes a valid 3-image test set into g_dir. */
static void write_valid(void)
{
    uint8_t buf[16 + 3 * 784];
    uint32_t di[3] = {3, 28, 28}, dl[1] = {3};
    size_t h = idx_header(buf, 3, di);
    for (int i = 0; i < 3 * 784; i++)
        buf[h + i] = (uint8_t)(i % 256);
    write_gz("t10k-images-idx3-ubyte.gz", buf, h + 3 * 784);
    h = idx_header(buf, 1, dl);
    buf[h] = 1, buf[h + 1] = 7, buf[h + 2] = 9;
    write_gz("t10k-labels-idx1-ubyte.gz", buf, h + 3);
}

static void test_real_test_set(void **state)
{
    (void)state;
    apex_ml_dataset *d = NULL;
    assert_int_equal(apex_ml_dataset_load(NULL, 0, &d), APEX_OK);
    assert_int_equal(d->n, 10000);
    assert_int_equal(d->dim, 784);
    int hist[10] = {0};
    float mx = 0, sum = 0;
    for (int i = 0; i < d->n; i++)
        hist[d->y[i]]++;
    for (size_t i = 0; i < (size_t)d->n * d->dim; i++) {
        mx = d->x[i] > mx ? d->x[i] : mx;
        sum += d->x[i];
    }
    for (int k = 0; k < 10; k++)
        assert_int_equal(hist[k], 1000);
    assert_int_equal(d->y[0], 9); /* the first test image is an ankle boot */
    assert_true(mx == 1.0f);
    float mean = sum / ((float)d->n * d->dim);
    assert_true(mean > 0.27f && mean < 0.30f);
    apex_ml_dataset_destroy(&d);
    assert_null(d);
}

static void test_synthetic_valid(void **state)
{
    (void)state;
    write_valid();
    apex_ml_dataset *d = NULL;
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_OK);
    assert_int_equal(d->n, 3);
    assert_int_equal(d->y[2], 9);
    assert_true(d->x[255] == 1.0f && d->x[256] == 0.0f);
    apex_ml_dataset_destroy(&d);
}

static void test_missing_file(void **state)
{
    (void)state;
    apex_ml_dataset *d = NULL;
    assert_int_equal(apex_ml_dataset_load("/nonexistent-apex-dir", 1, &d), APEX_ERR_NOT_FOUND);
    assert_null(d);
}

static void test_bad_magic(void **state)
{
    (void)state;
    write_valid();
    uint8_t buf[16 + 784];
    uint32_t di[3] = {1, 28, 28};
    size_t h = idx_header(buf, 3, di);
    memset(buf + h, 0, 784);
    buf[2] = 0x0D; /* float type: not ubyte */
    write_gz("t10k-images-idx3-ubyte.gz", buf, h + 784);
    apex_ml_dataset *d = NULL;
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_FORMAT);
    buf[2] = 0x08;
    buf[3] = 2; /* wrong number of dimensions */
    write_gz("t10k-images-idx3-ubyte.gz", buf, h + 784);
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_FORMAT);
    assert_null(d);
}

static void test_truncated(void **state)
{
    (void)state;
    write_valid();
    uint8_t buf[16 + 784];
    uint32_t di[3] = {3, 28, 28}; /* claims 3 images, holds 1 */
    size_t h = idx_header(buf, 3, di);
    memset(buf + h, 0, 784);
    write_gz("t10k-images-idx3-ubyte.gz", buf, h + 784);
    apex_ml_dataset *d = NULL;
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_TRUNCATED);
    /* header cut short */
    write_gz("t10k-images-idx3-ubyte.gz", buf, 9);
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_TRUNCATED);
    assert_null(d);
}

static void test_corrupt_gzip_and_shapes(void **state)
{
    (void)state;
    write_valid();
    /* a gzip stream cut in the middle */
    uint8_t *raw;
    size_t n;
    assert_int_equal(apex_file_read_all(APEX_ML_DEFAULT_DATA_DIR "/t10k-labels-idx1-ubyte.gz",
                                        1 << 20, &raw, &n),
                     APEX_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte.gz", g_dir);
    assert_int_equal(apex_file_write_atomic(path, raw, n / 2, 0644), APEX_OK);
    free(raw);
    apex_ml_dataset *d = NULL;
    int rc = apex_ml_dataset_load(g_dir, 0, &d);
    assert_true(rc == APEX_ERR_TRUNCATED || rc == APEX_ERR_FORMAT);
    /* label count that does not match the image count */
    write_valid();
    uint8_t buf[16];
    uint32_t dl[1] = {2};
    size_t h = idx_header(buf, 1, dl);
    buf[h] = 0, buf[h + 1] = 1;
    write_gz("t10k-labels-idx1-ubyte.gz", buf, h + 2);
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_FORMAT);
    /* a label outside 0..9 */
    dl[0] = 3;
    h = idx_header(buf, 1, dl);
    buf[h] = 0, buf[h + 1] = 10, buf[h + 2] = 1;
    write_gz("t10k-labels-idx1-ubyte.gz", buf, h + 3);
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_FORMAT);
    /* absurd dimension */
    uint32_t di[3] = {0xffffffffu, 28, 28};
    uint8_t big[16];
    write_gz("t10k-images-idx3-ubyte.gz", big, idx_header(big, 3, di));
    assert_int_equal(apex_ml_dataset_load(g_dir, 0, &d), APEX_ERR_FORMAT);
    assert_null(d);
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/apex-test-ml-data-XXXXXX");
    if (!mkdtemp(g_dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_test_set), cmocka_unit_test(test_synthetic_valid),
        cmocka_unit_test(test_missing_file),  cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_truncated),     cmocka_unit_test(test_corrupt_gzip_and_shapes),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
