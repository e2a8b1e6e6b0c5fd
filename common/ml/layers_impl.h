/* Layers of the engine, each _forward beside its _backward (llm.c style).
 *
 * Included by engine_f32.c and engine_f64.c after real.h, so every function
 * exists as name_f32 (production) and name_f64 (gradient-check mode).
 * Backward functions ACCUMULATE (+=) into every gradient they write, so that
 * residual branches add up; callers zero buffers first where needed.
 * Shapes: n rows (batch * tokens), row-major everywhere. */

/* Hot elementwise loops are compiled for AVX-512, AVX2+FMA and baseline x86-64,
 * picked at load time (GCC target_clones), so one binary runs everywhere. */
#if !ML_DOUBLE && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ML_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ML_HOT
#endif

/* ------------------------------------------------------------ linear */

/* out[n][oc] = inp[n][ic] . w[oc][ic]^T + b[oc] (b may be NULL). */
void ML_F(ml_linear_forward)(REAL *out, const REAL *inp, const REAL *w, const REAL *b, int n,
                             int ic, int oc)
{
    ML_GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, n, oc, ic, 1, inp, ic, w, ic, 0, out, oc);
    if (b) {
        for (int i = 0; i < n; i++) {
            REAL *o = out + (size_t)i * oc;
            for (int j = 0; j < oc; j++)
                o[j] += b[j];
        }
    }
}

/* dinp[n][ic] += dout . w; dw[oc][ic] += dout^T . inp; db[oc] += column sums.
 * Any of dinp, dw, db may be NULL. */
void ML_F(ml_linear_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout, const REAL *inp,
                              const REAL *w, int n, int ic, int oc)
{
    if (dinp)
        ML_GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, ic, oc, 1, dout, oc, w, ic, 1, dinp,
                ic);
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

/* ------------------------------------------------------------ layernorm */

#define ML_LN_EPS 1e-5

/* out = (inp - mean) * rstd * w + b per row of c; mean, rstd: [n] saved for backward. */
ML_HOT void ML_F(ml_layernorm_forward)(REAL *out, REAL *mean, REAL *rstd, const REAL *inp,
                                       const REAL *w, const REAL *b, int n, int c)
{
    for (int i = 0; i < n; i++) {
        const REAL *x = inp + (size_t)i * c;
        REAL m = 0;
        for (int j = 0; j < c; j++)
            m += x[j];
        m /= c;
        REAL v = 0;
        for (int j = 0; j < c; j++) {
            REAL d = x[j] - m;
            v += d * d;
        }
        v /= c;
        REAL s = 1 / ML_SQRT(v + (REAL)ML_LN_EPS);
        REAL *o = out + (size_t)i * c;
        for (int j = 0; j < c; j++)
            o[j] = (x[j] - m) * s * w[j] + b[j];
        mean[i] = m;
        rstd[i] = s;
    }
}

ML_HOT void ML_F(ml_layernorm_backward)(REAL *dinp, REAL *dw, REAL *db, const REAL *dout,
                                        const REAL *inp, const REAL *w, const REAL *mean,
                                        const REAL *rstd, int n, int c)
{
    for (int i = 0; i < n; i++) {
        const REAL *x = inp + (size_t)i * c;
        const REAL *d = dout + (size_t)i * c;
        REAL *dx = dinp + (size_t)i * c;
        REAL m = mean[i], s = rstd[i];
        /* two reductions: mean of dnorm and mean of dnorm * norm */
        REAL dn_mean = 0, dn_norm_mean = 0;
        for (int j = 0; j < c; j++) {
            REAL norm = (x[j] - m) * s;
            REAL dn = w[j] * d[j];
            dn_mean += dn;
            dn_norm_mean += dn * norm;
        }
        dn_mean /= c;
        dn_norm_mean /= c;
        for (int j = 0; j < c; j++) {
            REAL norm = (x[j] - m) * s;
            REAL dn = w[j] * d[j];
            db[j] += d[j];
            dw[j] += norm * d[j];
            dx[j] += (dn - dn_mean - norm * dn_norm_mean) * s;
        }
    }
}

/* ------------------------------------------------------------ GELU (tanh form) */

#define ML_GELU_K 0.7978845608028654 /* sqrt(2 / pi) */

#if ML_DOUBLE
static inline double ml_tanh_f64(double u)
{
    return tanh(u);
}
#else
/* tanh(u) = 1 - 2 / (exp(2u) + 1) with an inline exp (Cody-Waite reduction and
 * a degree-6 polynomial, about 2 ulp on the clamped range) so that the GELU
 * loops vectorise; libm's tanhf was a quarter of the ViT's training time. */
static inline float ml_tanh_f32(float u)
{
    float x = 2.0f * u;
    x = x < -30.0f ? -30.0f : x > 30.0f ? 30.0f : x;
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
    return 1.0f - 2.0f / (p * e.f + 1.0f);
}
#endif

ML_HOT void ML_F(ml_gelu_forward)(REAL *out, const REAL *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        REAL x = inp[i];
        REAL u = (REAL)ML_GELU_K * (x + (REAL)0.044715 * x * x * x);
        out[i] = (REAL)0.5 * x * (1 + ML_F(ml_tanh)(u));
    }
}

ML_HOT void ML_F(ml_gelu_backward)(REAL *dinp, const REAL *inp, const REAL *dout, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        REAL x = inp[i];
        REAL u = (REAL)ML_GELU_K * (x + (REAL)0.044715 * x * x * x);
        REAL t = ML_F(ml_tanh)(u);
        REAL sech2 = 1 - t * t;
        REAL du = (REAL)ML_GELU_K * (1 + 3 * (REAL)0.044715 * x * x);
        dinp[i] += dout[i] * ((REAL)0.5 * (1 + t) + (REAL)0.5 * x * sech2 * du);
    }
}

/* ------------------------------------------------------------ multi-head self-attention */

/* Largest head size x tokens of the transposed K/V copies kept on the stack;
 * apex_ml_config_check() refuses larger configs. */
#define ML_ATT_MAX 8192

/* dst[i][s] = src_s[i] for one head: a [nt][hs] slice with row stride 3d,
 * transposed so that dot products over i vectorise across s without
 * reassociating any sum. */
static inline void ML_F(head_transpose)(REAL *dst, const REAL *src, int nt, int hs, int d)
{
    for (int s = 0; s < nt; s++)
        for (int i = 0; i < hs; i++)
            dst[i * nt + s] = src[(size_t)s * 3 * d + i];
}

/* qkv: [b][t][3d] (q | k | v, heads contiguous inside each); out: [b][t][d];
 * att: [b][h][t][t] softmax probabilities saved for backward. No causal mask. */
ML_HOT void ML_F(ml_attention_forward)(REAL *out, REAL *att, const REAL *qkv, int nb, int nt, int d,
                                       int nh)
{
    int hs = d / nh;
    REAL scale = 1 / ML_SQRT((REAL)hs);
    REAL kt[ML_ATT_MAX]; /* [hs][nt] keys of one head */
    for (int b = 0; b < nb; b++) {
        for (int h = 0; h < nh; h++) {
            const REAL *base = qkv + (size_t)b * nt * 3 * d + (size_t)h * hs;
            REAL *a = att + ((size_t)b * nh + h) * nt * nt;
            ML_F(head_transpose)(kt, base + d, nt, hs, d);
            for (int t = 0; t < nt; t++) {
                const REAL *q = base + (size_t)t * 3 * d;
                REAL *row = a + (size_t)t * nt;
                for (int s = 0; s < nt; s++)
                    row[s] = 0;
                for (int i = 0; i < hs; i++) {
                    REAL qi = q[i] * scale;
                    const REAL *kr = kt + (size_t)i * nt;
                    for (int s = 0; s < nt; s++)
                        row[s] += qi * kr[s];
                }
                REAL mx = row[0];
                for (int s = 1; s < nt; s++)
                    mx = row[s] > mx ? row[s] : mx;
                REAL sum = 0;
                for (int s = 0; s < nt; s++) {
                    row[s] = ML_EXP(row[s] - mx);
                    sum += row[s];
                }
                REAL inv = 1 / sum;
                REAL *o = out + ((size_t)b * nt + t) * d + (size_t)h * hs;
                for (int i = 0; i < hs; i++)
                    o[i] = 0;
                for (int s = 0; s < nt; s++) {
                    row[s] *= inv;
                    const REAL *v = base + (size_t)s * 3 * d + 2 * d;
                    for (int i = 0; i < hs; i++)
                        o[i] += row[s] * v[i];
                }
            }
        }
    }
}

/* dqkv += gradient; datt: scratch of [t][t]. */
ML_HOT void ML_F(ml_attention_backward)(REAL *dqkv, REAL *datt, const REAL *dout, const REAL *qkv,
                                        const REAL *att, int nb, int nt, int d, int nh)
{
    int hs = d / nh;
    REAL scale = 1 / ML_SQRT((REAL)hs);
    REAL vt[ML_ATT_MAX]; /* [hs][nt] values of one head */
    for (int b = 0; b < nb; b++) {
        for (int h = 0; h < nh; h++) {
            const REAL *base = qkv + (size_t)b * nt * 3 * d + (size_t)h * hs;
            REAL *dbase = dqkv + (size_t)b * nt * 3 * d + (size_t)h * hs;
            const REAL *a = att + ((size_t)b * nh + h) * nt * nt;
            ML_F(head_transpose)(vt, base + 2 * d, nt, hs, d);
            for (int t = 0; t < nt; t++) {
                const REAL *dO = dout + ((size_t)b * nt + t) * d + (size_t)h * hs;
                const REAL *row = a + (size_t)t * nt;
                REAL *drow = datt + (size_t)t * nt;
                /* through out = att . v: drow[s] = dO . v_s, dv_s += att[t][s] dO */
                for (int s = 0; s < nt; s++)
                    drow[s] = 0;
                for (int i = 0; i < hs; i++) {
                    REAL g = dO[i];
                    const REAL *vr = vt + (size_t)i * nt;
                    for (int s = 0; s < nt; s++)
                        drow[s] += g * vr[s];
                }
                REAL dot_sum = 0;
                for (int s = 0; s < nt; s++) {
                    REAL *dv = dbase + (size_t)s * 3 * d + 2 * d;
                    for (int i = 0; i < hs; i++)
                        dv[i] += row[s] * dO[i];
                    dot_sum += drow[s] * row[s];
                }
                /* through the softmax, then the scaled dot products */
                const REAL *q = base + (size_t)t * 3 * d;
                REAL *dq = dbase + (size_t)t * 3 * d;
                for (int s = 0; s < nt; s++) {
                    REAL ds = row[s] * (drow[s] - dot_sum) * scale;
                    const REAL *k = base + (size_t)s * 3 * d + d;
                    REAL *dk = dbase + (size_t)s * 3 * d + d;
                    for (int i = 0; i < hs; i++) {
                        dq[i] += ds * k[i];
                        dk[i] += ds * q[i];
                    }
                }
            }
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
