/* int8 absmax activation quantization, Armv8 NEON. Bit-exact with bn_quantize_q8__ref: the same
 * float operations per element (|x| max, which is order-free; x * s; round half to even; clamp).
 *
 * FCVTNS (vcvtnq_s32_f32) rounds to nearest, ties to even, independently of FPCR, exactly like the
 * reference's nearbyintf in the default rounding mode. The reference clamps the float to
 * [-128, 127] before rounding; we round first and let the saturating narrows (SQXTN, int32 ->
 * int16 -> int8) clamp. Both give the same integer: rounding is monotonic and the bounds are
 * integers, so round(clamp(v)) = clamp(round(v)) (e.g. 127.5: clamp then round gives 127, round
 * gives 128 and saturation 127). That saves the two float clamps per vector. Inputs are finite (the
 * entry point rejects NaN and infinity). */
#include "arm-common.h"

void bn_quantize_q8__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        /* Four independent max chains, so FMAX latency does not serialise the loop. */
        float32x4_t m0 = vdupq_n_f32(0.0f), m1 = m0, m2 = m0, m3 = m0;
        int32_t j = 0;
        for (; j + 16 <= k; j += 16) {
            m0 = vmaxq_f32(m0, vabsq_f32(vld1q_f32(row + j)));
            m1 = vmaxq_f32(m1, vabsq_f32(vld1q_f32(row + j + 4)));
            m2 = vmaxq_f32(m2, vabsq_f32(vld1q_f32(row + j + 8)));
            m3 = vmaxq_f32(m3, vabsq_f32(vld1q_f32(row + j + 12)));
        }
        float amax = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m0, m1), vmaxq_f32(m2, m3)));
        for (; j < k; j++) {
            float v = fabsf(row[j]);
            amax = v > amax ? v : amax;
        }
        if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
        const float s = 127.0f / amax;
        const float32x4_t vs = vdupq_n_f32(s);
        j = 0;
        for (; j + 16 <= k; j += 16) {
            int32x4_t q[4];
            for (int t = 0; t < 4; t++) {
                q[t] = vcvtnq_s32_f32(vmulq_f32(vld1q_f32(row + j + 4 * t), vs));
            }
            int16x8_t h01 = vqmovn_high_s32(vqmovn_s32(q[0]), q[1]);
            int16x8_t h23 = vqmovn_high_s32(vqmovn_s32(q[2]), q[3]);
            vst1q_s8(out + j, vqmovn_high_s16(vqmovn_s16(h01), h23));
        }
        for (; j < k; j++) {
            float v = row[j] * s;
            v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = amax / 127.0f;
    }
}
