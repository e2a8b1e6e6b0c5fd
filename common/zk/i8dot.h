/* Exact sums of int8 values times F_p2 coordinates, for the prover's passes over G~
 * (zk/compliance_prove.c). Each value g enters as x = g + 128 in [0, 256), so every product
 * is a nonnegative integer below 2^72 and a sum of up to 2^16 of them fits in 128 bits; the
 * caller subtracts 128 times the coordinate sum once, as before.
 *
 * Both functions give the same integers with or without AVX2: the vector path splits each
 * coordinate into 32-bit halves, sums half * x in 64-bit lanes (below 2^56 for 2^16 terms)
 * and recombines lo + 2^32 hi, which is the same sum exactly (APEX_I8DOT_VEC_MAX bounds the
 * terms per lane). */
#ifndef APEX_ZK_I8DOT_H
#define APEX_ZK_I8DOT_H

#include <stddef.h>
#include <stdint.h>

#include "zk/field.h"

/* The vector path runs when the summed count (len for rows, nrow for columns) is at most
 * this: its 64-bit lanes hold up to 2^24 terms below 2^40 each. Longer sums take the plain
 * 128-bit loops, exact up to 2^56 terms. */
#define APEX_I8DOT_VEC_MAX ((size_t)1 << 16)

/* Rows: acc[i][k] = sum_{q < len} c[q].c_k (g[i len + q] + 128) for i < nrow. */
void apex_i8_rows_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *c,
                      unsigned __int128 (*acc)[2]);
/* Columns: acc[q][k] = sum_{i < nrow} e[i].c_k (g[i len + q] + 128) for q < len. */
void apex_i8_cols_dot(const int8_t *g, size_t nrow, size_t len, const apex_gl2 *e,
                      unsigned __int128 (*acc)[2]);
/* Tests only: 0 forces the plain loops, 1 restores the vector path where the CPU has it. */
void apex_i8dot_set_simd(int on);

#endif /* APEX_ZK_I8DOT_H */
