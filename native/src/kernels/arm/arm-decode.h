/* NEON helpers of the decode-step kernels (norms, gated activations, RoPE, attention, dense heads).
 * Each one performs the float operations of its scalar specification in bn_internal.h in the same
 * order, so the kernels built from them match the reference bit for bit where bitnative.h says
 * they do. Clamps and maxima use FMAXNM / FMINNM, which return the number when one operand is NaN,
 * as the reference's comparisons do (FMAX would return the NaN). */
#ifndef BN_ARM_DECODE_H
#define BN_ARM_DECODE_H

#include "arm-common.h"
#include "../quantize-rows.h"

/* The reference's halving tree over 16 lanes held in a0 (lanes 0-3), a1 (4-7), a2 (8-11), a3 (12-15). */
static inline float bn_tree16_f32(float32x4_t a0, float32x4_t a1, float32x4_t a2, float32x4_t a3) {
    const float32x4_t t = vaddq_f32(vaddq_f32(a0, a2), vaddq_f32(a1, a3)); /* i + 8, then i + 4 */
    const float32x4_t u = vaddq_f32(t, vextq_f32(t, t, 2));                /* i + 2 */
    return vgetq_lane_f32(u, 0) + vgetq_lane_f32(u, 1);                    /* i + 1 */
}

/* How bn_lanes16_neon folds a value into its lane. */
enum bn_lane_fold { BN_FOLD_SQUARE_SUM, BN_FOLD_ABS_SUM, BN_FOLD_ABS_MAX };

BN_ALWAYS_INLINE float32x4_t bn_fold4_neon(float32x4_t a, float32x4_t v, enum bn_lane_fold fold) {
    return fold == BN_FOLD_SQUARE_SUM ? vaddq_f32(a, vmulq_f32(v, v))
           : fold == BN_FOLD_ABS_SUM  ? vaddq_f32(a, vabsq_f32(v))
                                      : vmaxq_f32(a, vabsq_f32(v));
}

/* Element j of x[0..k) folded into lane j % 16, in order (the lane order of bn_sum_squares__ref and
 * bn_q4_abs_sum__ref), lanes 0-3 in a[0] ... 12-15 in a[3]: four independent chains. A tail is folded as a
 * zero-padded group: adding +0 leaves a lane's non-negative sum unchanged, and |0| never raises a maximum. */
BN_ALWAYS_INLINE void bn_lanes16_neon(const float* x, int32_t k, enum bn_lane_fold fold, float32x4_t a[4]) {
    for (int t = 0; t < 4; t++) a[t] = vdupq_n_f32(0.0f);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16)
        for (int t = 0; t < 4; t++) a[t] = bn_fold4_neon(a[t], vld1q_f32(x + j + 4 * t), fold);
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = x[j + t];
        for (int t = 0; t < 4; t++) a[t] = bn_fold4_neon(a[t], vld1q_f32(tail + 4 * t), fold);
    }
}

/* bn_sum_squares__ref. */
static inline float bn_sum_squares_neon(const float* x, int32_t k) {
    float32x4_t a[4];
    bn_lanes16_neon(x, k, BN_FOLD_SQUARE_SUM, a);
    return bn_tree16_f32(a[0], a[1], a[2], a[3]);
}

/* y = (x * r) * w for 4 values. */
static inline float32x4_t bn_norm4_neon(const float* x, float32x4_t r, const float* w) {
    return vmulq_f32(vmulq_f32(vld1q_f32(x), r), vld1q_f32(w));
}

/* y = (x * r) * w for one row of k values. */
static inline void bn_norm_row_neon(const float* x, float r, const float* w, int32_t k, float* y) {
    const float32x4_t vr = vdupq_n_f32(r);
    int32_t j = 0;
    for (; j + 4 <= k; j += 4) vst1q_f32(y + j, bn_norm4_neon(x + j, vr, w + j));
    for (; j < k; j++) y[j] = x[j] * r * w[j];
}

/* out = round_half_even(clamp(x * s, lo, hi)) for k finite values, as bn_quantize_values, with lo and hi integers
 * in [-128, 127]. FCVTNS (vcvtnq_s32_f32) rounds to nearest, ties to even, independently of FPCR, exactly like the
 * reference's nearbyintf in the default rounding mode. The reference clamps the float before rounding; here the
 * rounding comes first, then the saturating narrows (SQXTN, int32 -> int16 -> int8) and, for a range narrower than
 * int8, SMAX / SMIN. Both give the same integer: rounding is monotonic and the bounds are integers, so
 * round(clamp(v)) = clamp(round(v)) (e.g. 127.5: clamp then round gives 127, round gives 128 and saturation 127).
 * That saves the two float clamps per vector. */
BN_ALWAYS_INLINE void bn_quantize_row_neon(const float* x, int32_t k, float s, float lo, float hi, int8_t* out) {
    const float32x4_t vs = vdupq_n_f32(s);
    const int8x16_t vlo = vdupq_n_s8((int8_t)lo), vhi = vdupq_n_s8((int8_t)hi);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        int32x4_t q[4];
        for (int t = 0; t < 4; t++) q[t] = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(x + j + 4 * t), vs));
        const int16x8_t h01 = vqmovn_high_s32(vqmovn_s32(q[0]), q[1]);
        const int16x8_t h23 = vqmovn_high_s32(vqmovn_s32(q[2]), q[3]);
        int8x16_t b = vqmovn_high_s16(vqmovn_s16(h01), h23);
        if (lo > -128.0f || hi < 127.0f) b = vminq_s8(vmaxq_s8(b, vlo), vhi);
        vst1q_s8(out + j, b);
    }
    bn_quantize_values(x, j, k, s, lo, hi, out);
}

/* Quantizes y = (x * r) * w times s with clamp [lo, hi] (NaN -> lo), round half to even. */
static inline void bn_quantize_norm_row_neon(const float* x, float r, const float* w, int32_t k, float s, float lo,
                                             float hi, int8_t* out) {
    const float32x4_t vr = vdupq_n_f32(r), vs = vdupq_n_f32(s), vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        int32x4_t q[4];
        for (int t = 0; t < 4; t++) {
            const float32x4_t v = vmulq_f32(bn_norm4_neon(x + j + 4 * t, vr, w + j + 4 * t), vs);
            q[t] = vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(v, vlo), vhi));
        }
        const int16x8_t lo16 = vcombine_s16(vqmovn_s32(q[0]), vqmovn_s32(q[1]));
        const int16x8_t hi16 = vcombine_s16(vqmovn_s32(q[2]), vqmovn_s32(q[3]));
        vst1q_s8(out + j, vcombine_s8(vqmovn_s16(lo16), vqmovn_s16(hi16)));
    }
    for (; j < k; j++) {
        float v = x[j] * r * w[j] * s;
        v = v > lo ? v : lo;
        v = v < hi ? v : hi;
        out[j] = (int8_t)bn_round_even(v);
    }
}

/* The q8 rule on y = (x * r) * w; returns the row's scale. */
static inline float bn_quantize_norm_q8_neon(const float* x, float r, const float* w, int32_t k, int8_t* out) {
    const float32x4_t vr = vdupq_n_f32(r);
    float32x4_t vmax = vdupq_n_f32(0.0f);
    int32_t j = 0;
    for (; j + 4 <= k; j += 4) vmax = vmaxnmq_f32(vmax, vabsq_f32(bn_norm4_neon(x + j, vr, w + j)));
    float amax = vmaxnmvq_f32(vmax);
    for (; j < k; j++) {
        float a = fabsf(x[j] * r * w[j]);
        amax = a > amax ? a : amax;
    }
    if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
    bn_quantize_norm_row_neon(x, r, w, k, 127.0f / amax, -128.0f, 127.0f, out);
    return amax / 127.0f;
}

/* The q4 rule on y = (x * r) * w (|y| summed in the 16-lane order); returns the row's scale. */
static inline float bn_quantize_norm_q4_neon(const float* x, float r, const float* w, int32_t k, int8_t* out) {
    const float sqrt7 = 2.64575131106459059f;
    const float32x4_t vr = vdupq_n_f32(r);
    float32x4_t a[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    int32_t j = 0;
    for (; j + 16 <= k; j += 16)
        for (int t = 0; t < 4; t++) a[t] = vaddq_f32(a[t], vabsq_f32(bn_norm4_neon(x + j + 4 * t, vr, w + j + 4 * t)));
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = fabsf(x[j + t] * r * w[j + t]);
        for (int t = 0; t < 4; t++) a[t] = vaddq_f32(a[t], vld1q_f32(tail + 4 * t));
    }
    float beta = bn_tree16_f32(a[0], a[1], a[2], a[3]) / (float)k;
    if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
    bn_quantize_norm_row_neon(x, r, w, k, sqrt7 / beta, -8.0f, 7.0f, out);
    return beta / sqrt7;
}

/* bn_expf__ref on four lanes: the same operations in the same order (FRINTN rounds to nearest
 * even like nearbyintf), out-of-range and NaN lanes replaced by the reference's results. */
static inline float32x4_t bn_exp_neon(float32x4_t x) {
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(BN_EXP_LOG2E)));
    float32x4_t r = vsubq_f32(x, vmulq_f32(n, vdupq_n_f32(BN_EXP_LN2_HI)));
    r = vsubq_f32(r, vmulq_f32(n, vdupq_n_f32(BN_EXP_LN2_LO)));
    float32x4_t p = vdupq_n_f32(BN_EXP_P0);
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(BN_EXP_P1));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(BN_EXP_P2));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(BN_EXP_P3));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(BN_EXP_P4));
    p = vaddq_f32(vmulq_f32(p, r), vdupq_n_f32(BN_EXP_P5));
    const float32x4_t y = vaddq_f32(vaddq_f32(vmulq_f32(p, vmulq_f32(r, r)), r), vdupq_n_f32(1.0f));
    const int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    float32x4_t res = vmulq_f32(y, vreinterpretq_f32_s32(e));
    res = vbslq_f32(vcltq_f32(x, vdupq_n_f32(BN_EXP_LO)), vdupq_n_f32(0.0f), res);
    res = vbslq_f32(vcgtq_f32(x, vdupq_n_f32(BN_EXP_HI)), vdupq_n_f32(INFINITY), res);
    return vbslq_f32(vceqq_f32(x, x), res, x);
}

/* A softmax chunk's two vector steps (attention-walk.h's bn_attend_softmax): the largest of s[0..n), and s[p]
 * replaced by exp(s[p] - m) with the sum returned; n a multiple of 4. */
static inline float bn_max_ps_neon(const float* s, int32_t n) {
    float32x4_t vmax = vdupq_n_f32(-INFINITY);
    for (int32_t p = 0; p < n; p += 4) vmax = vmaxq_f32(vmax, vld1q_f32(s + p));
    return vmaxvq_f32(vmax);
}

static inline float bn_exp_sub_sum_ps_neon(float* s, int32_t n, float m) {
    const float32x4_t vm = vdupq_n_f32(m);
    float32x4_t lsum = vdupq_n_f32(0.0f);
    for (int32_t p = 0; p < n; p += 4) {
        const float32x4_t w = bn_exp_neon(vsubq_f32(vld1q_f32(s + p), vm));
        vst1q_f32(s + p, w);
        lsum = vaddq_f32(lsum, w);
    }
    return vaddvq_f32(lsum);
}

/* bn_glu__ref on four lanes (FMAXNM turns a NaN gate into 0 like the reference). */
static inline float32x4_t bn_glu_neon(float32x4_t g, float32x4_t u, bn_activation act) {
    if (act == BN_ACTIVATION_RELU2) {
        const float32x4_t a = vmaxnmq_f32(g, vdupq_n_f32(0.0f));
        return vmulq_f32(vmulq_f32(a, a), u);
    }
    const float32x4_t e = bn_exp_neon(vnegq_f32(g));
    return vmulq_f32(vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e)), u);
}

/* Eight fp16 values at p as two float vectors (exact widening). */
static inline void bn_load_f16x8_neon(const uint16_t* p, float32x4_t* lo, float32x4_t* hi) {
    const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(p));
    *lo = vcvt_f32_f16(vget_low_f16(h));
    *hi = vcvt_high_f32_f16(h);
}

/* One fp16 value as a float with the hardware conversion (bn_fp16_to_fp32 is a call). */
static inline float bn_f16_to_f32_neon(uint16_t h) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

/* Four floats to fp16 (round to nearest even under the default FPCR, like bn_fp32_to_fp16). */
static inline uint16x4_t bn_to_f16x4_neon(float32x4_t v) { return vreinterpret_u16_f16(vcvt_f16_f32(v)); }

#endif
