/* The normalized Walsh-Hadamard transform of rows (bitnative.h), NEON: stages h = 1, 2 pair lanes of
 * a 4-float vector (REV64 / EXT give each lane its partner, the sum goes to the lower lane and
 * lower - upper to the upper one, the reference's a + b and a - b), stages h >= 4 pair whole vectors.
 * Blocks shorter than 4 run the reference loop. */
#include "arm-decode.h"
#include "../hadamard-walk.h"

/* One block of at least 4 values. */
BN_ALWAYS_INLINE void transform(float* v, int32_t block, float scale) {
    const uint32x4_t odd = {0, ~0u, 0, ~0u}, upper = {0, 0, ~0u, ~0u};
    for (int32_t j = 0; j < block; j += 4) {
        float32x4_t a = vld1q_f32(v + j), p = vrev64q_f32(a);
        a = vbslq_f32(odd, vsubq_f32(p, a), vaddq_f32(a, p));
        p = vextq_f32(a, a, 2);
        a = vbslq_f32(upper, vsubq_f32(p, a), vaddq_f32(a, p));
        vst1q_f32(v + j, a);
    }
    for (int32_t h = 4; h < block; h *= 2)
        for (int32_t j0 = 0; j0 < block; j0 += 2 * h)
            for (int32_t j = j0; j < j0 + h; j += 4) {
                const float32x4_t a = vld1q_f32(v + j), b = vld1q_f32(v + j + h);
                vst1q_f32(v + j, vaddq_f32(a, b));
                vst1q_f32(v + j + h, vsubq_f32(a, b));
            }
    const float32x4_t vscale = vdupq_n_f32(scale);
    for (int32_t j = 0; j < block; j += 4) vst1q_f32(v + j, vmulq_f32(vld1q_f32(v + j), vscale));
}

void bn_hadamard_f32__neon(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    bn_hadamard_walk(x, k, r_begin, r_end, 4, transform);
}
