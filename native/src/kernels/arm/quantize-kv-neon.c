/* The KV-cache block quantizer (bitnative.h, "Quantized KV cache"), NEON: the reference's operations
 * on four lanes (FMAXNM skips a NaN |x| as the reference's comparison does, FMAXNM / FMINNM clamp a
 * NaN product to lo, FCVTNS rounds half to even), so the bytes are identical. The 3-bit high plane
 * is gathered with scalar shifts (one 32-bit word per 32 values). */
#include "arm-decode.h"

void bn_quantize_kv__neon(const float* x, int32_t hd, bn_kv_type type, uint8_t* block) {
    const int qmax = bn_kv_qmax(type);
    float32x4_t vmax = vdupq_n_f32(0.0f);
    for (int32_t j = 0; j < hd; j += 4) vmax = vmaxnmq_f32(vabsq_f32(vld1q_f32(x + j)), vmax);
    const float s = bn_kv_block_start(vmaxnmvq_f32(vmax), qmax, block);
    uint8_t* codes = block + 4;
    const float32x4_t vs = vdupq_n_f32(s), vlo = vdupq_n_f32((float)-qmax), vhi = vdupq_n_f32((float)qmax);
    for (int32_t g = 0; g < hd / BN_KV_GROUP; g++) {
        int8_t c[BN_KV_GROUP];
        for (int t = 0; t < 8; t++) {
            const float32x4_t v = vmulq_f32(vld1q_f32(x + g * BN_KV_GROUP + 4 * t), vs);
            const int32x4_t q = vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(v, vlo), vhi));
            vst1_lane_s32((int32_t*)(void*)(c + 4 * t), vreinterpret_s32_s8(vmovn_s16(vcombine_s16(vmovn_s32(q), vdup_n_s16(0)))), 0);
        }
        const int8x16_t c0 = vld1q_s8(c), c1 = vld1q_s8(c + 16);
        if (type == BN_KV_Q8) {
            vst1q_s8((int8_t*)codes + g * 32, c0);
            vst1q_s8((int8_t*)codes + g * 32 + 16, c1);
        } else if (type == BN_KV_Q4) {
            const uint8x16_t u0 = vreinterpretq_u8_s8(vaddq_s8(c0, vdupq_n_s8(8)));
            const uint8x16_t u1 = vreinterpretq_u8_s8(vaddq_s8(c1, vdupq_n_s8(8)));
            vst1q_u8(codes + g * 16, vorrq_u8(u0, vshlq_n_u8(u1, 4)));
        } else {
            const uint8x16_t u0 = vreinterpretq_u8_s8(vaddq_s8(c0, vdupq_n_s8(4)));
            const uint8x16_t u1 = vreinterpretq_u8_s8(vaddq_s8(c1, vdupq_n_s8(4)));
            const uint8x16_t three = vdupq_n_u8(3);
            /* byte i (0..15) = low[i] | low[i + 16] << 4, then byte i (0..7) |= byte i + 8 << 2 */
            const uint8x16_t t = vorrq_u8(vandq_u8(u0, three), vshlq_n_u8(vandq_u8(u1, three), 4));
            const uint8x8_t plane = vorr_u8(vget_low_u8(t), vshl_n_u8(vget_high_u8(t), 2));
            uint8_t* group = codes + g * 12;
            vst1_u8(group, plane);
            uint32_t high = 0;
            for (int i = 0; i < BN_KV_GROUP; i++) high |= (uint32_t)(((uint8_t)(c[i] + 4) >> 2) & 1) << i;
            memcpy(group + 8, &high, 4);
        }
    }
}
