/* Layers of the engine, each _forward beside its _backward (llm.c style).
 *
 * Included by engine_f32.c and engine_f64.c after real.h, so every function
 * exists as name_f32 (production) and name_f64 (gradient-check mode).
 * Backward functions ACCUMULATE (+=) into every gradient they write, so that
 * residual branches add up; callers zero buffers first where needed. The
 * exception is the attention backward, which overwrites dqkv.
 * Shapes: n rows (batch * tokens), row-major everywhere. */
#include <string.h>

/* Hot elementwise loops of the float32 build are multi-versioned (ML_CLONES). */
#if !ML_DOUBLE
#define ML_HOT ML_CLONES
#else
#define ML_HOT
#endif

/* ------------------------------------------------------------ reductions and exp */

/* Reductions in ML_LANES interleaved partial sums, combined in a fixed order:
 * the compiler may vectorise them without -ffast-math, and the result does
 * not depend on the CPU. */
#define ML_LANES 16

static inline REAL ML_F(lanes_total)(REAL *acc)
{
    for (int w = ML_LANES / 2; w > 0; w /= 2)
        for (int k = 0; k < w; k++)
            acc[k] += acc[k + w];
    return acc[0];
}

static inline REAL ML_F(ml_sum)(const REAL *x, int n)
{
    REAL acc[ML_LANES] = {0};
    int j = 0;
    for (; j + ML_LANES <= n; j += ML_LANES)
        for (int k = 0; k < ML_LANES; k++)
            acc[k] += x[j + k];
    for (int k = 0; j + k < n; k++)
        acc[k] += x[j + k];
    return ML_F(lanes_total)(acc);
}

static inline REAL ML_F(ml_dot)(const REAL *x, const REAL *y, int n)
{
    REAL acc[ML_LANES] = {0};
    int j = 0;
    for (; j + ML_LANES <= n; j += ML_LANES)
        for (int k = 0; k < ML_LANES; k++)
            acc[k] += x[j + k] * y[j + k];
    for (int k = 0; j + k < n; k++)
        acc[k] += x[j + k] * y[j + k];
    return ML_F(lanes_total)(acc);
}

static inline REAL ML_F(ml_max)(const REAL *x, int n)
{
    REAL acc[ML_LANES];
    for (int k = 0; k < ML_LANES; k++)
        acc[k] = x[0];
    int j = 0;
    for (; j + ML_LANES <= n; j += ML_LANES)
        for (int k = 0; k < ML_LANES; k++)
            acc[k] = x[j + k] > acc[k] ? x[j + k] : acc[k];
    for (int k = 0; j + k < n; k++)
        acc[k] = x[j + k] > acc[k] ? x[j + k] : acc[k];
    for (int w = ML_LANES / 2; w > 0; w /= 2)
        for (int k = 0; k < w; k++)
            acc[k] = acc[k + w] > acc[k] ? acc[k + w] : acc[k];
    return acc[0];
}

#if ML_DOUBLE
static inline double ml_exp_f64(double x)
{
    return exp(x);
}
#else
/* exp(x) with Cody-Waite reduction and a degree-6 polynomial (about 2 ulp),
 * inline so that the softmax and GELU loops vectorise; x is clamped to
 * [-87, 88], where 2^n stays a normal float. */
static inline float ml_exp_f32(float x)
{
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    /* round to nearest by the 1.5 * 2^23 trick: no floorf call, so it vectorises */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666672f +
                                                  r * (0.0416666418f + r * (8.33336264e-3f +
                                                                            r * 1.38780482e-3f)))));
    union {
        float f;
        int32_t i;
    } e = {.i = ((int32_t)n + 127) << 23};
    return p * e.f;
}
#endif

/* ------------------------------------------------------------ linear */

/* out[n][oc] = res[n][oc] + b[oc] (either may be NULL); returns the GEMM beta
 * that adds out to a product afterwards (0 when both are NULL). */
static REAL ML_F(fill_rows)(REAL *out, const REAL *res, const REAL *b, int n, int oc)
{
    for (int i = 0; i < n; i++) {
        REAL *o = out + (size_t)i * oc;
        const REAL *r = res ? res + (size_t)i * oc : NULL;
        if (r && b)
            for (int j = 0; j < oc; j++)
                o[j] = r[j] + b[j];
        else if (r)
            memcpy(o, r, sizeof(REAL) * oc);
        else if (b)
            memcpy(o, b, sizeof(REAL) * oc);
    }
    return res || b ? 1 : 0;
}

/* out[n][oc] = res[n][oc] + inp[n][ic] . w[oc][ic]^T + b[oc]; res and b may be
 * NULL. The bias and the residual are written first and the GEMM adds to
 * them, so the output is written in one pass besides the GEMM's own. */
void ML_F(ml_linear_residual_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b,
                                      const REAL *res, int n, int ic, int oc)
{
    REAL beta = ML_F(fill_rows)(out, res, b, n, oc);
    ML_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, oc, ic, 1, inp, ic, w, ic, beta, out, oc);
}

/* out[n][oc] = inp[n][ic] . w[oc][ic]^T + b[oc] (b may be NULL). */
void ML_F(ml_linear_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b, int n,
                             int ic, int oc)
{
    ML_F(ml_linear_residual_forward)(out, inp, w, b, NULL, n, ic, oc);
}

/* As ml_linear_backward, but dinp = beta * dinp + dout . w: beta 0 overwrites
 * dinp, so it need not be zeroed first. */
void ML_F(ml_linear_backward_beta)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                                   const REAL *inp, const REAL *w, int n, int ic, int oc, REAL beta)
{
    if (dinp)
        ML_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ic, oc, 1, dout, oc, w, ic, beta,
                dinp, ic);
    if (dw)
        ML_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, oc, ic, n, 1, dout, oc, inp, ic, 1, dw,
                ic);
    if (db) {
        for (int i = 0; i < n; i++) {
            const REAL *d = dout + (size_t)i * oc;
            for (int j = 0; j < oc; j++)
                db[j] += d[j];
        }
    }
}

/* dinp[n][ic] += dout . w; dw[oc][ic] += dout^T . inp; db[oc] += column sums.
 * Any of dinp, dw, db may be NULL. */
void ML_F(ml_linear_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                              const REAL *w, int n, int ic, int oc)
{
    ML_F(ml_linear_backward_beta)(dinp, dw, db, dout, inp, w, n, ic, oc, 1);
}

/* ------------------------------------------------------------ layernorm */

#define ML_LN_EPS 1e-5

/* out = (inp - mean) * rstd * w + b per row of c; mean, rstd: [n] saved for backward. */
ML_HOT void ML_F(ml_layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp,
                                       const REAL *w, const REAL *b, int n, int c)
{
    for (int i = 0; i < n; i++) {
        const REAL *x = inp + (size_t)i * c;
        REAL *o = out + (size_t)i * c;
        REAL m = ML_F(ml_sum)(x, c) / c;
        for (int j = 0; j < c; j++)
            o[j] = x[j] - m;
        REAL s = 1 / ML_SQRT(ML_F(ml_dot)(o, o, c) / c + (REAL)ML_LN_EPS);
        for (int j = 0; j < c; j++)
            o[j] = o[j] * s * w[j] + b[j];
        mean[i] = m;
        rstd[i] = s;
    }
}

/* Sum over one row of w * d * (x - m) * s: the LayerNorm backward's second
 * reduction (the first is ml_dot(w, d)). */
static inline REAL ML_F(ln_dot_norm)(const REAL *x, const REAL *d, const REAL *w, REAL m, REAL s,
                                     int c)
{
    REAL acc[ML_LANES] = {0};
    int j = 0;
    for (; j + ML_LANES <= c; j += ML_LANES)
        for (int k = 0; k < ML_LANES; k++)
            acc[k] += w[j + k] * d[j + k] * ((x[j + k] - m) * s);
    for (int k = 0; j + k < c; k++)
        acc[k] += w[j + k] * d[j + k] * ((x[j + k] - m) * s);
    return ML_F(lanes_total)(acc);
}

/* dinp = dres + the input gradient (dres may alias dinp, which then
 * accumulates); dw, db accumulate. The parameter gradients and the input
 * gradient are separate loops so that each one vectorises. */
ML_HOT void ML_F(ml_layernorm_backward_res)(REAL *dinp, const REAL *dres, REAL *restrict dw,
                                            REAL *restrict db, const REAL *dout, const REAL *inp,
                                            const REAL *w, const REAL *mean, const REAL *rstd,
                                            int n, int c)
{
    for (int i = 0; i < n; i++) {
        const REAL *x = inp + (size_t)i * c;
        const REAL *d = dout + (size_t)i * c;
        const REAL *r = dres + (size_t)i * c;
        REAL *dx = dinp + (size_t)i * c;
        REAL m = mean[i], s = rstd[i];
        REAL dn_mean = ML_F(ml_dot)(w, d, c) / c;
        REAL dn_norm_mean = ML_F(ln_dot_norm)(x, d, w, m, s, c) / c;
        for (int j = 0; j < c; j++) {
            db[j] += d[j];
            dw[j] += (x[j] - m) * s * d[j];
        }
        for (int j = 0; j < c; j++) {
            REAL norm = (x[j] - m) * s;
            dx[j] = r[j] + (w[j] * d[j] - dn_mean - norm * dn_norm_mean) * s;
        }
    }
}

void ML_F(ml_layernorm_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                                 const REAL *w, const REAL *mean, const REAL *rstd, int n, int c)
{
    ML_F(ml_layernorm_backward_res)(dinp, dinp, dw, db, dout, inp, w, mean, rstd, n, c);
}

/* ------------------------------------------------------------ GELU (tanh form) */

#define ML_GELU_K 0.7978845608028654 /* sqrt(2 / pi) */

#if ML_DOUBLE
static inline double ml_tanh_f64(double u)
{
    return tanh(u);
}
#else
/* tanh(u) = 1 - 2 / (exp(2u) + 1) with the inline exp, so that the GELU loops
 * vectorise; libm's tanhf was a quarter of the ViT's training time. */
static inline float ml_tanh_f32(float u)
{
    float x = 2.0f * u;
    x = x < -30.0f ? -30.0f : x > 30.0f ? 30.0f : x;
    return 1.0f - 2.0f / (ml_exp_f32(x) + 1.0f);
}
#endif

/* GELU's slope at x, given t = tanh(u(x)). */
static inline REAL ML_F(gelu_slope)(REAL x, REAL t)
{
    REAL du = (REAL)ML_GELU_K * (1 + 3 * (REAL)0.044715 * x * x);
    return (REAL)0.5 * (1 + t) + (REAL)0.5 * x * (1 - t * t) * du;
}

static inline REAL ML_F(gelu_tanh)(REAL x)
{
    return ML_F(ml_tanh)((REAL)ML_GELU_K * (x + (REAL)0.044715 * x * x * x));
}

ML_HOT void ML_F(ml_gelu_forward)(REAL *out, const REAL *inp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (REAL)0.5 * inp[i] * (1 + ML_F(gelu_tanh)(inp[i]));
}

ML_HOT void ML_F(ml_gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dinp[i] += dout[i] * ML_F(gelu_slope)(inp[i], ML_F(gelu_tanh)(inp[i]));
}

/* out = gelu(inp) and slope = gelu'(inp), computed from the same tanh, so that
 * the backward is one multiply. slope may alias inp (the pre-activation is
 * then replaced by the slope, which is all the backward needs). */
ML_HOT void ML_F(ml_gelu_forward_slope)(REAL *out, REAL *slope, const REAL *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        REAL x = inp[i], t = ML_F(gelu_tanh)(x);
        out[i] = (REAL)0.5 * x * (1 + t);
        slope[i] = ML_F(gelu_slope)(x, t);
    }
}

/* dinp[n][h] = dout * slope (overwrites; dinp may alias dout) and db[h] +=
 * the column sums of dinp: the bias gradient of the linear layer before the
 * GELU, in the same pass. */
ML_HOT void ML_F(ml_gelu_backward_slope)(REAL *dinp, REAL *restrict db, const REAL *slope,
                                         const REAL *dout, int n, int h)
{
    for (int i = 0; i < n; i++) {
        size_t o = (size_t)i * h;
        for (int j = 0; j < h; j++) {
            dinp[o + j] = dout[o + j] * slope[o + j];
            db[j] += dinp[o + j];
        }
    }
}

/* ------------------------------------------------------------ multi-head self-attention */

/* Softmax over keys of nh [nt keys][nt queries] score tiles (a: [nh][s][t]),
 * in place. Keys are rows, so every reduction runs down the columns and
 * vectorises across queries, in chunks of ML_LANES; the exp runs over all
 * tiles as one flat loop. */
ML_HOT static void ML_F(softmax_keys)(REAL *a, int nh, int nt)
{
    for (int h = 0; h < nh; h++) {
        REAL *tile = a + (size_t)h * nt * nt;
        for (int t0 = 0; t0 < nt; t0 += ML_LANES) {
            int w = nt - t0 < ML_LANES ? nt - t0 : ML_LANES;
            REAL mx[ML_LANES];
            for (int k = 0; k < w; k++)
                mx[k] = tile[t0 + k];
            for (int s = 1; s < nt; s++)
                for (int k = 0; k < w; k++)
                    mx[k] = tile[(size_t)s * nt + t0 + k] > mx[k] ? tile[(size_t)s * nt + t0 + k]
                                                                  : mx[k];
            for (int s = 0; s < nt; s++)
                for (int k = 0; k < w; k++)
                    tile[(size_t)s * nt + t0 + k] -= mx[k];
        }
    }
    for (size_t i = 0; i < (size_t)nh * nt * nt; i++)
        a[i] = ML_F(ml_exp)(a[i]);
    for (int h = 0; h < nh; h++) {
        REAL *tile = a + (size_t)h * nt * nt;
        for (int t0 = 0; t0 < nt; t0 += ML_LANES) {
            int w = nt - t0 < ML_LANES ? nt - t0 : ML_LANES;
            REAL sum[ML_LANES] = {0};
            for (int s = 0; s < nt; s++)
                for (int k = 0; k < w; k++)
                    sum[k] += tile[(size_t)s * nt + t0 + k];
            for (int k = 0; k < w; k++)
                sum[k] = 1 / sum[k];
            for (int s = 0; s < nt; s++)
                for (int k = 0; k < w; k++)
                    tile[(size_t)s * nt + t0 + k] *= sum[k];
        }
    }
}

/* qkv: [b][t][3d] (q | k | v, heads contiguous inside each); out: [b][t][d];
 * att: [b][h][s][t] softmax probabilities saved for backward, stored
 * transposed (key s, query t: each column sums to 1). No causal mask. Per
 * image and head: S^T = K Q^T / sqrt(hs), P^T = softmax over s, O = P V, the
 * two products as GEMMs on strided views of qkv and out. */
void ML_F(ml_attention_forward)(REAL *out, REAL *att, const REAL *qkv, int nb, int nt, int d,
                                int nh)
{
    int hs = d / nh, ld = 3 * d;
    REAL scale = 1 / ML_SQRT((REAL)hs);
    for (int b = 0; b < nb; b++) {
        const REAL *q = qkv + (size_t)b * nt * ld;
        REAL *a = att + (size_t)b * nh * nt * nt;
        for (int h = 0; h < nh; h++)
            ML_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, nt, nt, hs, scale, q + d + h * hs, ld,
                    q + h * hs, ld, 0, a + (size_t)h * nt * nt, nt);
        ML_F(softmax_keys)(a, nh, nt);
        for (int h = 0; h < nh; h++)
            ML_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, nt, hs, nt, 1, a + (size_t)h * nt * nt,
                    nt, q + 2 * d + h * hs, ld, 0, out + (size_t)b * nt * d + h * hs, d);
    }
}

/* dS^T = P^T * (dP^T - colsum(dP^T * P^T)) for one [s][t] tile, in place in
 * dp, by columns as in the forward. */
ML_HOT static void ML_F(softmax_keys_backward)(REAL *dp, const REAL *p, int nt)
{
    for (int t0 = 0; t0 < nt; t0 += ML_LANES) {
        int w = nt - t0 < ML_LANES ? nt - t0 : ML_LANES;
        REAL dot[ML_LANES] = {0};
        for (int s = 0; s < nt; s++)
            for (int k = 0; k < w; k++)
                dot[k] += dp[(size_t)s * nt + t0 + k] * p[(size_t)s * nt + t0 + k];
        for (int s = 0; s < nt; s++)
            for (int k = 0; k < w; k++) {
                size_t i = (size_t)s * nt + t0 + k;
                dp[i] = p[i] * (dp[i] - dot[k]);
            }
    }
}

/* dqkv = gradient (overwrites: every entry is written); datt: scratch of
 * [t][t]. Per image and head, in the transposed layout of the forward:
 * dP^T = V dO^T, dV = P^T dO, dS^T through the softmax, dQ = dS K / sqrt(hs),
 * dK = dS^T Q / sqrt(hs). */
void ML_F(ml_attention_backward)(REAL *dqkv, REAL *datt, const REAL *dout, const REAL *qkv,
                                 const REAL *att, int nb, int nt, int d, int nh)
{
    int hs = d / nh, ld = 3 * d;
    REAL scale = 1 / ML_SQRT((REAL)hs);
    for (int b = 0; b < nb; b++) {
        for (int h = 0; h < nh; h++) {
            size_t off = (size_t)b * nt * ld + (size_t)h * hs;
            const REAL *q = qkv + off, *k = q + d, *v = q + 2 * d;
            REAL *dq = dqkv + off, *dk = dq + d, *dv = dq + 2 * d;
            const REAL *p = att + ((size_t)b * nh + h) * nt * nt;
            const REAL *dO = dout + (size_t)b * nt * d + (size_t)h * hs;
            ML_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, nt, nt, hs, 1, v, ld, dO, d, 0, datt,
                    nt);
            ML_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, nt, hs, nt, 1, p, nt, dO, d, 0, dv,
                    ld);
            ML_F(softmax_keys_backward)(datt, p, nt);
            ML_GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, nt, hs, nt, scale, datt, nt, k, ld, 0,
                    dq, ld);
            ML_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, nt, hs, nt, scale, datt, nt, q, ld,
                    0, dk, ld);
        }
    }
}

/* ------------------------------------------------------------ softmax cross-entropy */

/* probs[n][c] = softmax(logits); losses[n] = -log probs[y]. Returns the count
 * of rows whose argmax equals y (first maximum wins). */
int ML_F(ml_xent_forward)(REAL *probs, REAL *losses, const REAL *logits, const uint8_t *y, int n,
                          int c)
{
    int correct = 0;
    for (int i = 0; i < n; i++) {
        const REAL *l = logits + (size_t)i * c;
        REAL *p = probs + (size_t)i * c;
        int arg = 0;
        for (int j = 1; j < c; j++)
            if (l[j] > l[arg])
                arg = j;
        REAL sum = 0;
        for (int j = 0; j < c; j++) {
            p[j] = ML_EXP(l[j] - l[arg]);
            sum += p[j];
        }
        for (int j = 0; j < c; j++)
            p[j] /= sum;
        if (y) {
            losses[i] = -(l[y[i]] - l[arg] - ML_LOG(sum));
            correct += arg == y[i];
        }
    }
    return correct;
}

/* dlogits[n][c] = (probs - onehot(y)) * scale (overwrites). scale = 1/n for a
 * mean loss, 1 for per-sample gradients. */
void ML_F(ml_xent_backward)(REAL *dlogits, const REAL *probs, const uint8_t *y, int n, int c,
                            REAL scale)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < c; j++) {
            REAL g = probs[(size_t)i * c + j] - (j == y[i] ? 1 : 0);
            dlogits[(size_t)i * c + j] = g * scale;
        }
    }
}
