/* Fashion-MNIST from Debian's gzip IDX files, read directly through zlib. */
#include "ml/ml_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_BYTES  (256u * 1024u * 1024u) /* refuse absurd headers */

apex_ml_dataset *apex_ml_dataset_new(int n, int dim)
{
    if (n < 0 || dim <= 0)
        return NULL;
    apex_ml_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->n = n;
    d->dim = dim;
    d->x = apex_calloc_n((size_t)(n ? n : 1) * (size_t)dim, sizeof(float));
    d->y = calloc((size_t)(n ? n : 1), 1);
    if (!d->x || !d->y)
        apex_ml_dataset_destroy(&d);
    return d;
}

void apex_ml_dataset_destroy(apex_ml_dataset **pd)
{
    if (!pd || !*pd)
        return;
    free((*pd)->x);
    free((*pd)->y);
    free(*pd);
    *pd = NULL;
}

apex_ml_dataset *apex_ml_dataset_subset(const apex_ml_dataset *src, const int *idx, int n)
{
    apex_ml_dataset *d = apex_ml_dataset_new(n, src->dim);
    if (!d)
        return NULL;
    for (int i = 0; i < n; i++) {
        memcpy(d->x + (size_t)i * d->dim, src->x + (size_t)idx[i] * src->dim,
               sizeof(float) * d->dim);
        d->y[i] = src->y[idx[i]];
    }
    return d;
}

/* Read exactly n bytes; APEX_ERR_TRUNCATED at a short read, FORMAT on a gzip error. */
static int gz_read_exact(gzFile f, const char *path, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        unsigned want = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int r = gzread(f, p, want);
        if (r < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            LOG_ERROR("%s: corrupt gzip data: %s", path, msg);
            return APEX_ERR_FORMAT;
        }
        if (r == 0) {
            LOG_ERROR("%s: truncated: %zu bytes missing", path, n);
            return APEX_ERR_TRUNCATED;
        }
        p += r;
        n -= (size_t)r;
    }
    return APEX_OK;
}

int apex_ml_idx_read(const char *path, int want_ndim, uint8_t **data, uint32_t dims[3])
{
    *data = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        LOG_ERROR("%s: %s", path, strerror(errno));
        return errno == ENOENT ? APEX_ERR_NOT_FOUND : APEX_ERR_IO;
    }
    gzFile f = gzopen(path, "rb");
    if (!f) {
        LOG_ERROR("%s: cannot open", path);
        return APEX_ERR_IO;
    }
    uint8_t hdr[4];
    int rc = gz_read_exact(f, path, hdr, 4);
    if (rc != APEX_OK)
        goto out;
    if (hdr[0] != 0 || hdr[1] != 0 || hdr[2] != IDX_TYPE_UBYTE || hdr[3] != want_ndim) {
        LOG_ERROR("%s: bad IDX magic %02x%02x%02x%02x (want 000008%02x)", path, hdr[0], hdr[1],
                  hdr[2], hdr[3], want_ndim);
        rc = APEX_ERR_FORMAT;
        goto out;
    }
    size_t total = 1;
    for (int i = 0; i < want_ndim; i++) {
        uint8_t b[4];
        if ((rc = gz_read_exact(f, path, b, 4)) != APEX_OK)
            goto out;
        dims[i] = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (dims[i] == 0 || apex_mul_size(total, dims[i], &total) != 0 || total > IDX_MAX_BYTES) {
            LOG_ERROR("%s: absurd IDX dimension %u", path, dims[i]);
            rc = APEX_ERR_FORMAT;
            goto out;
        }
    }
    *data = malloc(total);
    if (!*data) {
        rc = APEX_ERR_NOMEM;
        goto out;
    }
    rc = gz_read_exact(f, path, *data, total);
    if (rc != APEX_OK) {
        free(*data);
        *data = NULL;
    }
out:
    gzclose(f);
    return rc;
}

int apex_ml_dataset_load(const char *dir, int train, apex_ml_dataset **out)
{
    *out = NULL;
    if (!dir)
        dir = APEX_ML_DEFAULT_DATA_DIR;
    const char *pre = train ? "train" : "t10k";
    char ipath[4096], lpath[4096];
    snprintf(ipath, sizeof ipath, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    snprintf(lpath, sizeof lpath, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    uint8_t *img = NULL, *lab = NULL;
    uint32_t idim[3], ldim[3];
    int rc = apex_ml_idx_read(ipath, 3, &img, idim);
    if (rc == APEX_OK)
        rc = apex_ml_idx_read(lpath, 1, &lab, ldim);
    if (rc != APEX_OK)
        goto done;
    if (idim[1] != APEX_ML_IMAGE_SIDE || idim[2] != APEX_ML_IMAGE_SIDE || ldim[0] != idim[0]) {
        LOG_ERROR("%s: shape %ux%ux%u does not match %u labels of 28x28 images", ipath, idim[0],
                  idim[1], idim[2], ldim[0]);
        rc = APEX_ERR_FORMAT;
        goto done;
    }
    apex_ml_dataset *d = apex_ml_dataset_new((int)idim[0], APEX_ML_IMAGE_PIXELS);
    if (!d) {
        rc = APEX_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < (size_t)d->n * d->dim; i++)
        d->x[i] = (float)img[i] / 255.0f;
    for (int i = 0; i < d->n; i++) {
        if (lab[i] >= APEX_ML_NUM_CLASSES) {
            LOG_ERROR("%s: label %u at %d out of range", lpath, lab[i], i);
            apex_ml_dataset_destroy(&d);
            rc = APEX_ERR_FORMAT;
            goto done;
        }
        d->y[i] = lab[i];
    }
    *out = d;
done:
    free(img);
    free(lab);
    return rc;
}
