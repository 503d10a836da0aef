/* fp16 matrix x float activation rows, NEON (FCVTL widening + FMLA; the F16 output head).
 *
 * Tiles of up to 4 weight rows x 2 activation rows as in matmul-f16-f32-avx2.c: each 8-column step
 * widens every weight row once and multiplies it into both activation rows. Every (row, token)
 * result has two 4-lane accumulators (columns 8c..8c+3 and 8c+4..8c+7) over the whole 8-column
 * blocks and a sequential scalar tail, whatever tile computed it, so results do not depend on how
 * rows are split over threads. */
#include "arm-decode.h"

BN_ALWAYS_INLINE void tile(const bn_dense_args* a, int32_t i0, const int R, int32_t r0, const int T) {
    const int32_t k = a->k;
    const uint16_t* w[4];
    const float* x[2];
    for (int r = 0; r < R; r++) w[r] = (const uint16_t*)(a->w + (int64_t)(i0 + r) * a->row_bytes);
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    float32x4_t lo[4][2], hi[4][2];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) lo[r][t] = hi[r][t] = vdupq_n_f32(0.0f);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
        float32x4_t xl[2], xh[2];
        for (int t = 0; t < T; t++) {
            xl[t] = vld1q_f32(x[t] + j);
            xh[t] = vld1q_f32(x[t] + j + 4);
        }
        for (int r = 0; r < R; r++) {
            float32x4_t wl, wh;
            bn_load_f16x8_neon(w[r] + j, &wl, &wh);
            for (int t = 0; t < T; t++) {
                lo[r][t] = vfmaq_f32(lo[r][t], wl, xl[t]);
                hi[r][t] = vfmaq_f32(hi[r][t], wh, xh[t]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = vaddvq_f32(vaddq_f32(lo[r][t], hi[r][t]));
            for (int32_t jj = j; jj < k; jj++) sum += bn_fp16_to_fp32(w[r][jj]) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

BN_ALWAYS_INLINE void rows(const bn_dense_args* a, int32_t i0, const int R) {
    int32_t r0 = 0;
    for (; r0 + 2 <= a->m; r0 += 2) tile(a, i0, R, r0, 2);
    if (r0 < a->m) tile(a, i0, R, r0, 1);
}

void bn_matmul_f16_f32__neon(const bn_dense_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) rows(a, i, 4);
    for (; i < i_end; i++) rows(a, i, 1);
}
