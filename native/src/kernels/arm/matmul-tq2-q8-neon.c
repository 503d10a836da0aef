/* TQ2_0 x int8 matmul, plain Armv8 NEON (no SDOT). Bit-exact with bn_matmul_tq2_q8__ref: every
 * 256-weight block's dot is computed exactly in integers, then, per output, the same float steps
 * in the same order: sum += (float)dot_b * d_b over blocks b in order, y = sum * (x_scale * w_scale).
 * The library is built with -ffp-contract=off, so the multiply and add stay separate (FMUL, FADD),
 * exactly as in the reference. Vector lanes hold different outputs, never parts of one sum.
 *
 * Block layout: qs[64] then fp16 d. Half h (bytes 32h..32h+31) holds weights 128h..128h+127;
 * byte m of it holds weights m, m+32, m+64, m+96 in bits 1:0, 3:2, 5:4, 7:6 (code = w + 1).
 *
 * m == 1 (decoding a token): 4 weight rows x 1 activation row. We multiply codes c (0..3) and
 * subtract the block's activation sum X_b, computed once per block for all four rows:
 * dot_b = sum c x - X_b. SMLAL/SMLAL2 accumulate c x in int16 lanes: each of a row's two
 * accumulators gets 16 products per block per lane (2 halves x 2 vectors x 4 fields), at most
 * 16 * 3 * 128 = 6144 for any code 0..3 (a corrupt 3 counts as +2, like the reference) and any
 * int8 including -128, far below 32767; they are widened (SADDLP/SADALP) once per block. X_b: SADALP
 * of 16 activation vectors into int16 lanes, at most 32 * 128 = 4096 per lane. The four rows'
 * dots then sit in the four lanes of one vector, so the float epilogue is one convert, one
 * multiply by the four rows' d (FCVTL from fp16) and one add per block for all four rows.
 *
 * m > 1 (a prompt batch) and leftover rows: 1 weight row x up to 4 activation rows, decoding each
 * field once for all of them. Here there is no shared X_b to amortise, so we decode to signed
 * weights w = c - 1 (one extra subtract per field, shared by the activation rows): |w x| <= 256,
 * 16 products per lane per block, at most 4096. The activation rows' dots share one d. */
#include "tq2-walk-arm.h"

/* Four weight rows (i..i+3) against activation row 0; writes y[i..i+3]. */
static void rows4_x1(const bn_matmul_args* a, int32_t i, float* y) {
    const int32_t n_blocks = a->k / BN_TQ_BLOCK;
    const uint8_t* w0 = a->w + (int64_t)i * a->row_bytes;
    const uint8_t* w[4] = {w0, w0 + a->row_bytes, w0 + 2 * a->row_bytes, w0 + 3 * a->row_bytes};
    const int8_t* x = a->xq;
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const int64_t off = (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const int8_t* xb = x + (int64_t)b * BN_TQ_BLOCK;
        int16x8_t lo[4], hi[4];
        int16x8_t xs = vdupq_n_s16(0);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) lo[r] = hi[r] = vdupq_n_s16(0);
#pragma GCC unroll 4
        for (int hq = 0; hq < 4; hq++) { /* h = hq / 2 (128-weight half), q = hq % 2 (16-byte vector) */
            const int h = hq >> 1, q = hq & 1;
            uint8x16_t p[4];
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) p[r] = vld1q_u8(w[r] + off + 32 * h + 16 * q);
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++) {
                /* weights 128h + 32g + 16q .. +15 */
                const int8x16_t xv = vld1q_s8(xb + 128 * h + 32 * g + 16 * q);
                xs = vpadalq_s8(xs, xv);
#pragma GCC unroll 4
                for (int r = 0; r < 4; r++) {
                    const int8x16_t c = bn_tq2_field(p[r], g);
                    lo[r] = vmlal_s8(lo[r], vget_low_s8(c), vget_low_s8(xv));
                    hi[r] = vmlal_high_s8(hi[r], c, xv);
                }
            }
        }
        int32x4_t s[4];
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) s[r] = vpadalq_s16(vpaddlq_s16(lo[r]), hi[r]);
        const int32x4_t dots = vsubq_s32(bn_hsum4_s32(s[0], s[1], s[2], s[3]), vdupq_n_s32(vaddlvq_s16(xs)));
        sum = tq2_add_blocks4(sum, w, off, dots);
    }
    vst1q_f32(y, vmulq_n_f32(sum, a->x_scales[0] * a->w_scale));
}

/* One weight row i against activation rows r0..r0+C-1 (C constant, 1..4). */
BN_ALWAYS_INLINE void row1_xn(const bn_matmul_args* a, int32_t i, int32_t r0, const int C) {
    const int32_t n_blocks = a->k / BN_TQ_BLOCK;
    const uint8_t* wr[4];
    const int8_t* x[4];
    bn_tile_rows(a, i, 1, r0, C, wr, x);
    const uint8_t* w = wr[0];
    const int8x16_t one = vdupq_n_s8(1);
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const uint8_t* block = w + (int64_t)b * BN_TQ2_BLOCK_BYTES;
        int16x8_t lo[4], hi[4];
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) lo[c] = hi[c] = vdupq_n_s16(0);
#pragma GCC unroll 4
        for (int hq = 0; hq < 4; hq++) {
            const int h = hq >> 1, q = hq & 1;
            const uint8x16_t p = vld1q_u8(block + 32 * h + 16 * q);
#pragma GCC unroll 4
            for (int g = 0; g < 4; g++) {
                const int8x16_t wv = vsubq_s8(bn_tq2_field(p, g), one); /* -1..2 */
#pragma GCC unroll 4
                for (int c = 0; c < C; c++) {
                    const int8x16_t xv = vld1q_s8(x[c] + (int64_t)b * BN_TQ_BLOCK + 128 * h + 32 * g + 16 * q);
                    lo[c] = vmlal_s8(lo[c], vget_low_s8(wv), vget_low_s8(xv));
                    hi[c] = vmlal_high_s8(hi[c], wv, xv);
                }
            }
        }
        int32x4_t s[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) s[c] = vpadalq_s16(vpaddlq_s16(lo[c]), hi[c]);
        const float d = vgetq_lane_f32(bn_fp16x4_to_f32(bn_read_u16(block + 64), 0, 0, 0), 0);
        sum = vaddq_f32(sum, vmulq_n_f32(vcvtq_f32_s32(bn_hsum4_s32(s[0], s[1], s[2], s[3])), d));
    }
    float out[4];
    vst1q_f32(out, sum);
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) a->y[(int64_t)(r0 + c) * a->n + i] = out[c] * (a->x_scales[r0 + c] * a->w_scale);
}

void bn_matmul_tq2_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { tq2_matmul(a, i_begin, i_end); }
