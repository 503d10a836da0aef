/* Top-K of int8 rows (bitnative.h), NEON: the reference's histogram and threshold; the columns up to
 * the last kept |x| == L entry run the reference's scalar pass, the rest 16 at a time (there only
 * |x| > L survives). |-128| reads as 128 (an unsigned byte). */
#include "arm-common.h"
#include "bn_internal.h"

BN_ALWAYS_INLINE void pass(int8_t* x, int32_t k, int32_t level, int32_t need) {
    int32_t j = 0;
    for (; j < k && need > 0; j++) {
        const int32_t a = x[j] < 0 ? -x[j] : x[j];
        if (a > level) continue;
        if (a == level) {
            need--;
            continue;
        }
        x[j] = 0;
    }
    const uint8x16_t lv = vdupq_n_u8((uint8_t)level);
    for (; j + 16 <= k; j += 16) {
        const int8x16_t v = vld1q_s8(x + j);
        const uint8x16_t keepm = vcgtq_u8(vreinterpretq_u8_s8(vabsq_s8(v)), lv);
        vst1q_s8(x + j, vandq_s8(v, vreinterpretq_s8_u8(keepm)));
    }
    bn_topk_pass__ref(x, j, k, level, &need); /* need is 0 here: |x| > L survives */
}

void bn_topk_q8__neon(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end) {
    bn_topk_walk(xq, k, keep, r_begin, r_end, pass);
}
