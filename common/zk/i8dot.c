/* int8 x F_p2 sums for the passes over G~ (see zk/i8dot.h). */
#include "zk/i8dot.h"

#include <string.h>

#include "core/core.h"
#include "zk/ntt_simd.h"

static int simd_off = 0;

void apex_i8dot_set_simd(int on)
{
    simd_off = !on;
}

static void rows_plain(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *c,
                       unsigned __int128 (*acc)[2])
{
    for (size_t i = 0; i < nrow; i++) {
        const int8_t *gr = g + i * len;
        unsigned __int128 a0 = 0, a1 = 0;
        for (size_t q = 0; q < len; q++) {
            uint64_t x = (uint64_t)(gr[q] + 128);
            a0 += (unsigned __int128)c[q].c0 * x;
            a1 += (unsigned __int128)c[q].c1 * x;
        }
        acc[i][0] = a0;
        acc[i][1] = a1;
    }
}

static void cols_plain(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *e,
                       unsigned __int128 (*acc)[2])
{
    memset(acc, 0, len * sizeof *acc);
    for (size_t i = 0; i < nrow; i++) {
        const int8_t *gr = g + i * len;
        const uint64_t e0 = e[i].c0, e1 = e[i].c1;
        for (size_t q = 0; q < len; q++) {
            uint64_t x = (uint64_t)(gr[q] + 128);
            acc[q][0] += (unsigned __int128)e0 * x;
            acc[q][1] += (unsigned __int128)e1 * x;
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

/* lo + 2^32 hi as a 128-bit integer. */
static inline unsigned __int128 join(uint64_t lo, uint64_t hi)
{
    return (unsigned __int128)lo + ((unsigned __int128)hi << 32);
}

#define SIMD2 __attribute__((target("avx2")))

/* Four bytes at p as x = g + 128 (g ^ 0x80 as unsigned), one per 64-bit lane. */
SIMD2 static inline __m256i x4(const int8_t *p)
{
    int32_t w;
    memcpy(&w, p, sizeof w);
    __m128i b = _mm_xor_si128(_mm_cvtsi32_si128(w), _mm_set1_epi8((char)0x80));
    return _mm256_cvtepu8_epi64(b);
}

SIMD2 static inline uint64_t hsum(__m256i v)
{
    __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_extract_epi64(s, 1);
}

/* Rows, len a multiple of 4: the four coordinate halves of c[q..q+3] in lanes, multiplied
 * by _mm256_mul_epu32 (the low 32 bits of each lane) against x. */
SIMD2 static void rows_avx2(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *c,
                            unsigned __int128 (*acc)[2])
{
    for (size_t i = 0; i < nrow; i++) {
        const int8_t *gr = g + i * len;
        __m256i a[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                        _mm256_setzero_si256()};
        for (size_t q = 0; q < len; q += 4) {
            /* c[q..q+3] as (c0, c1) pairs: the unpacks give the c0s and the c1s in the order
             * q, q+2, q+1, q+3, and x is brought into the same order (the lanes are summed) */
            __m256i x = _mm256_permute4x64_epi64(x4(gr + q), _MM_SHUFFLE(3, 1, 2, 0));
            __m256i u = _mm256_loadu_si256((const __m256i *)(c + q));
            __m256i v = _mm256_loadu_si256((const __m256i *)(c + q + 2));
            __m256i c0 = _mm256_unpacklo_epi64(u, v), c1 = _mm256_unpackhi_epi64(u, v);
            a[0] = _mm256_add_epi64(a[0], _mm256_mul_epu32(c0, x));
            a[1] = _mm256_add_epi64(a[1], _mm256_mul_epu32(_mm256_srli_epi64(c0, 32), x));
            a[2] = _mm256_add_epi64(a[2], _mm256_mul_epu32(c1, x));
            a[3] = _mm256_add_epi64(a[3], _mm256_mul_epu32(_mm256_srli_epi64(c1, 32), x));
        }
        acc[i][0] = join(hsum(a[0]), hsum(a[1]));
        acc[i][1] = join(hsum(a[2]), hsum(a[3]));
    }
}

/* Columns, len a multiple of 8: eight columns at a time in registers, the rows inner. */
SIMD2 static void cols_avx2(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *e,
                            unsigned __int128 (*acc)[2])
{
    for (size_t q = 0; q < len; q += 8) {
        __m256i a[4][2];
        for (int k = 0; k < 4; k++)
            a[k][0] = a[k][1] = _mm256_setzero_si256();
        for (size_t i = 0; i < nrow; i++) {
            const int8_t *p = g + i * len + q;
            __m256i x0 = x4(p), x1 = x4(p + 4);
            /* the halves of e[i] (the multiply reads the low 32 bits of each lane) */
            const __m256i h[4] = {_mm256_set1_epi64x((long long)e[i].c0),
                                  _mm256_set1_epi64x((long long)(e[i].c0 >> 32)),
                                  _mm256_set1_epi64x((long long)e[i].c1),
                                  _mm256_set1_epi64x((long long)(e[i].c1 >> 32))};
            for (int k = 0; k < 4; k++) {
                a[k][0] = _mm256_add_epi64(a[k][0], _mm256_mul_epu32(h[k], x0));
                a[k][1] = _mm256_add_epi64(a[k][1], _mm256_mul_epu32(h[k], x1));
            }
        }
        uint64_t s[4][8];
        for (int k = 0; k < 4; k++) {
            _mm256_storeu_si256((__m256i *)s[k], a[k][0]);
            _mm256_storeu_si256((__m256i *)(s[k] + 4), a[k][1]);
        }
        for (int l = 0; l < 8; l++) {
            acc[q + l][0] = join(s[0][l], s[1][l]);
            acc[q + l][1] = join(s[2][l], s[3][l]);
        }
        apex_wipe(s, sizeof s); /* partial sums of G~ */
    }
}

static int use_avx2(void)
{
    return !simd_off && apex_ntt_cpu_has_avx2();
}

void apex_i8_rows_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *c,
                      unsigned __int128 (*acc)[2])
{
    if (len % 4 == 0 && len <= APEX_I8DOT_VEC_MAX && use_avx2())
        rows_avx2(g, nrow, len, c, acc);
    else
        rows_plain(g, nrow, len, c, acc);
}

void apex_i8_cols_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *e,
                      unsigned __int128 (*acc)[2])
{
    if (len % 8 == 0 && nrow <= APEX_I8DOT_VEC_MAX && use_avx2())
        cols_avx2(g, nrow, len, e, acc);
    else
        cols_plain(g, nrow, len, e, acc);
}

#else

void apex_i8_rows_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *c,
                      unsigned __int128 (*acc)[2])
{
    rows_plain(g, nrow, len, c, acc);
}

void apex_i8_cols_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *e,
                      unsigned __int128 (*acc)[2])
{
    cols_plain(g, nrow, len, e, acc);
}

#endif
