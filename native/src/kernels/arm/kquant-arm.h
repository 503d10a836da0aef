/* The AArch64 side of the block-quantized x int8 kernels (NEON and NEON dotprod files alike): the vector
 * vocabulary of the shared walk (kernels/kquant-walk.h) and the activation sums. A block's pair lanes and min
 * lanes are four int32 each. A -neondot file defines BN_NEONDOT 1 before its includes, so the format headers'
 * dot products (bn_dot_i8, arm-common.h) become SDOT. */
#ifndef BN_KQUANT_ARM_H
#define BN_KQUANT_ARM_H

#include "arm-common.h"
#include "bn_kquants.h"

typedef float32x4_t kq_f4;
typedef int32x4_t kq_lanes;
typedef int32x4_t kq_mlanes;
#define kq_f4_load vld1q_f32
#define kq_f4_store vst1q_f32
#define kq_f4_set1 vdupq_n_f32
#define kq_f4_add vaddq_f32
#define kq_f4_sub vsubq_f32
#define kq_f4_mul vmulq_f32
#define kq_f4_from_i4 vcvtq_f32_s32
typedef float kq_acc;
#define kq_acc_set(f) (f)
#define kq_acc_get(acc) (acc)
#define kq_acc_add_lane(acc, v, q) ((acc) + vgetq_lane_f32(v, q))

BN_ALWAYS_INLINE int32x4_t kq_isum4(const int32x4_t lanes[4]) {
    return bn_hsum4_s32(lanes[0], lanes[1], lanes[2], lanes[3]);
}
#define kq_msum4 kq_isum4

BN_ALWAYS_INLINE float32x4_t kq_fp16x4(const uint8_t* p0, const uint8_t* p1, const uint8_t* p2, const uint8_t* p3) {
    return bn_fp16x4_to_f32(bn_read_u16(p0), bn_read_u16(p1), bn_read_u16(p2), bn_read_u16(p3));
}

BN_ALWAYS_INLINE float32x4_t kq_fp16x1(const uint8_t* p) {
    const uint16_t h = bn_read_u16(p);
    return bn_fp16x4_to_f32(h, h, h, h);
}


/* out[g] = sum of activations [group g, group (g + 1)) of x[0 .. count), group 16 or 32; |out| <= 32 * 128. */
BN_ALWAYS_INLINE void kq_act_sums(const int8_t* x, int32_t count, int group, int16_t* out) {
    for (int32_t j = 0; j < count; j += 16) {
        const int16_t s = vaddlvq_s8(vld1q_s8(x + j));
        if (group == 16) out[j / 16] = s;
        else if (j % 32 == 0) out[j / 32] = s;
        else out[j / 32] = (int16_t)(out[j / 32] + s);
    }
}

#endif
