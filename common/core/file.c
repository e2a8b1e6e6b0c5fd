/* File helpers: bounded whole-file reads and crash-safe atomic writes. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int apex_file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        LOG_DEBUG("open %s: %s", path, strerror(errno));
        return errno == ENOENT ? APEX_ERR_NOT_FOUND : APEX_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return APEX_ERR_IO;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return APEX_ERR_TOO_LARGE;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return APEX_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            close(fd);
            return r == 0 ? APEX_ERR_TRUNCATED : APEX_ERR_IO;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return APEX_OK;
}

int apex_file_write_fd(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return APEX_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return APEX_OK;
}

int apex_file_fsync_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return APEX_ERR_NOMEM;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return APEX_ERR_IO;
    int rc = fsync(fd) == 0 ? APEX_OK : APEX_ERR_IO;
    close(fd);
    return rc;
}

int apex_file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return APEX_ERR_NOMEM;
    snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        LOG_ERROR("create temp file for %s: %s", path, strerror(errno));
        free(tmp);
        return APEX_ERR_IO;
    }
    int rc = apex_file_write_fd(fd, buf, len);
    if (rc == APEX_OK && fchmod(fd, (mode_t)mode) != 0)
        rc = APEX_ERR_IO;
    if (rc == APEX_OK && fsync(fd) != 0)
        rc = APEX_ERR_IO;
    if (close(fd) != 0 && rc == APEX_OK)
        rc = APEX_ERR_IO;
    if (rc == APEX_OK && rename(tmp, path) != 0)
        rc = APEX_ERR_IO;
    if (rc != APEX_OK) {
        LOG_ERROR("atomic write of %s failed: %s", path, strerror(errno));
        unlink(tmp);
    } else {
        rc = apex_file_fsync_dir(path);
    }
    free(tmp);
    return rc;
}

int apex_mkdirs(const char *path, unsigned mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return APEX_ERR_INVALID;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, (mode_t)mode) != 0 && errno != EEXIST)
                return APEX_ERR_IO;
            buf[i] = c;
        }
    }
    return APEX_OK;
}
