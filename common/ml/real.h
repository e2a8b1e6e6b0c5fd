/* Precision switch for the generic engine (layers_impl.h, net_impl.h).
 *
 * The engine is written once over REAL and compiled twice: engine_f32.c is the
 * production float32 path; engine_f64.c is the double-precision "check mode"
 * that the gradient tests compare against central differences. Define
 * ML_DOUBLE to 0 or 1 before including this file. */
#ifndef ML_DOUBLE
#error "define ML_DOUBLE before including real.h"
#endif

#include <cblas.h>
#include <math.h>

#undef REAL
#undef ML_F
#undef ML_T
#undef ML_GEMM
#undef ML_EXP
#undef ML_LOG
#undef ML_TANH
#undef ML_SQRT
#undef ML_COSH
#undef ML_HOT

#if ML_DOUBLE
#define REAL       double
#define ML_F(name) name##_f64
#define ML_T(name) name##_f64
#define ML_GEMM    cblas_dgemm
#define ML_EXP     exp
#define ML_LOG     log
#define ML_TANH    tanh
#define ML_SQRT    sqrt
#define ML_COSH    cosh
#else
#define REAL       float
#define ML_F(name) name##_f32
#define ML_T(name) name##_f32
#define ML_GEMM    cblas_sgemm
#define ML_EXP     expf
#define ML_LOG     logf
#define ML_TANH    tanhf
#define ML_SQRT    sqrtf
#define ML_COSH    coshf
#endif
