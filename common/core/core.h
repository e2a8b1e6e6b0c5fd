/* apex core: error codes, logging, checked allocation, files, SHA-256, RNG, clocks.
 *
 * Every other module depends on this one and this one depends on nothing of ours.
 * Conventions (docs/STYLE.md): functions return APEX_OK (0) or a negative apex_err;
 * start-up code may use the apex_x* wrappers, which exit with file:line on failure;
 * runtime paths never exit, they return an error.
 */
#ifndef APEX_CORE_H
#define APEX_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---------------------------------------------------------------- errors */

/* One enum for the whole project. Values are negative so that functions can
 * return a count or APEX_OK (0) on success. Keep apex_strerror() in sync. */
typedef enum apex_err {
    APEX_OK = 0,
    APEX_ERR_NOMEM = -1,        /* allocation failed or size overflow */
    APEX_ERR_IO = -2,           /* read/write/open failed (errno is logged) */
    APEX_ERR_INVALID = -3,      /* bad argument or configuration */
    APEX_ERR_FORMAT = -4,       /* malformed encoding (bad magic, bad field) */
    APEX_ERR_TRUNCATED = -5,    /* input ended early */
    APEX_ERR_VERSION = -6,      /* unknown or unsupported version */
    APEX_ERR_TOO_LARGE = -7,    /* a size or count above its limit */
    APEX_ERR_HASH = -8,         /* a SHA-256 did not match */
    APEX_ERR_TIMEOUT = -9,      /* a wait ran out */
    APEX_ERR_NOT_FOUND = -10,   /* missing file, client or key */
    APEX_ERR_AUTH = -11,        /* authentication refused (CURVE/ZAP) */
    APEX_ERR_PROTOCOL = -12,    /* a message out of order or for the wrong state */
    APEX_ERR_AGAIN = -13,       /* try again later (would block, no credit) */
    APEX_ERR_STATE = -14,       /* operation not valid in the current state */
    APEX_ERR_CRYPTO = -15,      /* a crypto library call failed */
    APEX_ERR_RANGE = -16,       /* a value outside its allowed range */
    APEX_ERR_REJECTED = -17,    /* a proof or request was checked and refused */
    APEX_ERR_INTERRUPTED = -18, /* stopped by a signal or a stop request */
    APEX_ERR_UNSUPPORTED = -19, /* valid but not implemented here */
    APEX_ERR_INTERNAL = -20,    /* a bug: an invariant did not hold */
    APEX_ERR_COUNT_ = -21       /* sentinel, not an error */
} apex_err;

/* Short, stable, human-readable name of an error code ("truncated input"). */
const char *apex_strerror(int err);

/* ---------------------------------------------------------------- logging */

typedef enum apex_log_level {
    APEX_LOG_TRACE = 0,
    APEX_LOG_DEBUG = 1,
    APEX_LOG_INFO = 2,
    APEX_LOG_WARN = 3,
    APEX_LOG_ERROR = 4,
    APEX_LOG_OFF = 5
} apex_log_level;

/* Configure the process-wide logger. component names the process ("coord").
 * json selects one JSON object per line instead of human text. Thread-safe
 * after this call; output goes to stderr. */
void apex_log_init(const char *component, apex_log_level level, int json);
/* Parse "trace|debug|info|warn|error|off"; returns APEX_ERR_INVALID otherwise. */
int apex_log_level_parse(const char *s, apex_log_level *out);
apex_log_level apex_log_get_level(void);
void apex_log_write(apex_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define APEX_LOG(lvl, ...)                                                                         \
    do {                                                                                           \
        if ((lvl) >= apex_log_get_level())                                                         \
            apex_log_write((lvl), __FILE__, __LINE__, __VA_ARGS__);                                \
    } while (0)
#define LOG_TRACE(...) APEX_LOG(APEX_LOG_TRACE, __VA_ARGS__)
#define LOG_DEBUG(...) APEX_LOG(APEX_LOG_DEBUG, __VA_ARGS__)
#define LOG_INFO(...)  APEX_LOG(APEX_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...)  APEX_LOG(APEX_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) APEX_LOG(APEX_LOG_ERROR, __VA_ARGS__)

/* ---------------------------------------------------------------- allocation */

/* Fatal wrappers for start-up code (llm.c's mallocCheck): on failure they
 * print file:line and exit(70). Never use them on a path a peer can reach. */
void *apex_xmalloc_at(size_t n, const char *file, int line);
void *apex_xcalloc_at(size_t count, size_t size, const char *file, int line);
void *apex_xrealloc_at(void *p, size_t n, const char *file, int line);
char *apex_xstrdup_at(const char *s, const char *file, int line);
#define apex_xmalloc(n)     apex_xmalloc_at((n), __FILE__, __LINE__)
#define apex_xcalloc(c, s)  apex_xcalloc_at((c), (s), __FILE__, __LINE__)
#define apex_xrealloc(p, n) apex_xrealloc_at((p), (n), __FILE__, __LINE__)
#define apex_xstrdup(s)     apex_xstrdup_at((s), __FILE__, __LINE__)

/* Runtime allocation of count*size bytes with overflow check; NULL on failure. */
void *apex_calloc_n(size_t count, size_t size);
/* Zero n bytes of secret data in a way the compiler cannot drop (explicit_bzero: memset's
 * speed, about twice OPENSSL_cleanse's on large buffers). p may be NULL when n is 0. */
void apex_wipe(void *p, size_t n);
/* Process-wide, at the start of a command that proves: large blocks come from the heap
 * and freed ones stay there, so a prover's later phases reuse the pages its earlier phases
 * (and the commitments before them) touched instead of faulting in fresh zeroed ones. glibc
 * otherwise maps each block over 128 KB-32 MB for itself and unmaps it on free; the faults,
 * zeroing and TLB flushes were a sixth of the proof's CPU time. The cost: the process keeps
 * its peak heap (malloc_trim gives it back). No effect outside glibc. */
void apex_heap_keep(void);
/* a*b into *out; returns 0 on success, -1 on overflow. */
int apex_mul_size(size_t a, size_t b, size_t *out);

/* ---------------------------------------------------------------- parsing */

/* Parse a whole decimal string into [lo, hi]. APEX_ERR_INVALID on an empty
 * string, a sign, trailing characters, overflow or a value out of range. */
int apex_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Command-line helper: parse opt's value into [lo, hi], or print
 * "PROG: --OPT must be an integer in [lo, hi]" to stderr and return -1. */
int apex_opt_u32(const char *prog, const char *opt, const char *val, uint32_t lo, uint32_t hi,
                 uint32_t *out);
int apex_opt_u64(const char *prog, const char *opt, const char *val, uint64_t lo, uint64_t hi,
                 uint64_t *out);
/* Command-line helper for --log-level: prints the error and returns -1 on a bad level. */
int apex_opt_log_level(const char *prog, const char *val, apex_log_level *out);

/* ---------------------------------------------------------------- files */

/* Read a whole file, refusing files larger than max_bytes (APEX_ERR_TOO_LARGE).
 * *out is malloc'd (one extra NUL byte appended, not counted in *len). */
int apex_file_read_all(const char *path, size_t max_bytes, uint8_t **out, size_t *len);
/* Write atomically: temp file in the same directory, fsync, rename, fsync dir.
 * mode is the permission of the final file (0600 for secrets). */
int apex_file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode);
/* write(2) all of buf to fd, retrying short writes and EINTR (APEX_ERR_IO). */
int apex_file_write_fd(int fd, const void *buf, size_t len);
/* fsync the directory holding path, so that a rename into it is durable. */
int apex_file_fsync_dir(const char *path);
/* mkdir -p with the given mode. */
int apex_mkdirs(const char *path, unsigned mode);

/* ---------------------------------------------------------------- SHA-256 */

#define APEX_SHA256_LEN 32

/* Streaming SHA-256 through OpenSSL EVP (the algorithm is fetched once). */
typedef struct apex_sha256_ctx apex_sha256_ctx;
apex_sha256_ctx *apex_sha256_new(void);
int apex_sha256_update(apex_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and resets the context for reuse. */
int apex_sha256_final(apex_sha256_ctx *ctx, uint8_t out[APEX_SHA256_LEN]);
void apex_sha256_destroy(apex_sha256_ctx **ctx);
/* One-shot digest. */
int apex_sha256(const void *data, size_t len, uint8_t out[APEX_SHA256_LEN]);
/* Lower-case hex of n bytes into out (2n+1 bytes incl. NUL). */
void apex_hex(const uint8_t *bytes, size_t n, char *out);
/* Parse 2n hex characters into n bytes; APEX_ERR_FORMAT on a bad string. */
int apex_unhex(const char *hex, uint8_t *out, size_t n);
/* Constant-time compare; 0 when equal. */
int apex_memeq_ct(const void *a, const void *b, size_t n);

/* ---------------------------------------------------------------- randomness */

/* Seeded deterministic generator (xoshiro256**) for tests, shuffling and
 * simulations. Never for secrets. */
typedef struct apex_rng {
    uint64_t s[4]; /* generator state; never all zero */
} apex_rng;
void apex_rng_seed(apex_rng *r, uint64_t seed);
uint64_t apex_rng_u64(apex_rng *r);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t apex_rng_below(apex_rng *r, uint64_t bound);
/* Uniform float in [0, 1). */
double apex_rng_unit(apex_rng *r);
/* Standard normal (Box-Muller). */
double apex_rng_normal(apex_rng *r);
void apex_rng_bytes(apex_rng *r, void *buf, size_t n);
/* OS randomness (getrandom) for keys and nonces. */
int apex_os_random(void *buf, size_t n);
/* Cryptographically secure bytes in bulk (salts, pads, masks): OpenSSL's private DRBG, seeded
 * from the OS. APEX_ERR_CRYPTO when it cannot be seeded. */
int apex_secure_random(void *buf, size_t n);

/* ---------------------------------------------------------------- clocks */

/* Monotonic clock in milliseconds / seconds (as double). */
uint64_t apex_now_ms(void);
double apex_now_s(void);
/* CPU seconds of the whole process (every thread), user and system. */
double apex_cpu_s(void);
/* Wall-clock seconds since the epoch, for reports and ledgers. */
double apex_wall_s(void);
/* Peak resident set size of this process, in MiB (from getrusage). */
double apex_peak_rss_mb(void);

#endif /* APEX_CORE_H */
