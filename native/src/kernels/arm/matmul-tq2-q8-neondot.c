/* TQ2_0 x int8 matmul with the Armv8.2 dot-product extension (SDOT). Bit-exact with
 * bn_matmul_tq2_q8__ref: each 256-weight block's dot is exact in int32, then per output the
 * reference's float steps in its order, sum += (float)dot_b * d_b over blocks, then
 * y = sum * (x_scale * w_scale); -ffp-contract=off keeps FMUL and FADD separate. Vector lanes hold
 * different outputs, never parts of one float sum.
 *
 * Block layout: qs[64] then fp16 d. Half h (bytes 32h..32h+31) holds weights 128h..128h+127; byte m
 * of it holds weights m, m+32, m+64, m+96 in bits 1:0, 3:2, 5:4, 7:6 (code = w + 1).
 *
 * Decoding with one instruction per field: the middle fields are masked in place instead of being
 * shifted down, p & 0x03 = c, p & 0x0C = 4c, p & 0x30 = 16c, p >> 6 = c, and they feed separate
 * int32 accumulators acc1 / acc4 / acc16 that are recombined once per block with exact arithmetic
 * shifts (SSRA): acc1 + acc4 / 4 + acc16 / 16. SDOT forms the int8 x int8 products in 32 bits, so
 * x = -128 needs no care. Per block a lane of acc16 gets at most 4 SDOTs x 4 products x 16 * 3 * 128
 * = 98304: no overflow anywhere, for any code 0..3 (a corrupt 3 counts as +2, like the reference).
 *
 * m == 1 (decoding a token): 4 weight rows x 1 activation row. Codes c = w + 1 are multiplied and
 * the block's activation sum X_b, one SDOT against a vector of ones per activation vector shared
 * by all four rows, is subtracted: dot_b = sum c x - X_b. The four rows' dots end up in the four
 * lanes of one vector (ADDP tree), so the float epilogue costs one convert, one FMUL by the four
 * rows' d (FCVTL from fp16) and one FADD per block for all four rows.
 *
 * m > 1 (a prompt batch) and leftover rows: 1 weight row x up to 4 activation rows, each field
 * decoded once for all of them. Without a shared X_b we decode to signed weights in the same scaled
 * form: (p & 3) - 1 = w, (p & 0x0C) - 4 = 4w, (p & 0x30) - 16 = 16w, (p >> 6) - 1 = w (int8 values
 * -16..32); one extra subtract per field, shared by the activation rows. */
#include "tq2-walk-arm.h"

/* Field g of 16 code bytes scaled in place (0: c, 1: 4c, 2: 16c, 3: c) for weights m + 32g. */
BN_ALWAYS_INLINE int8x16_t scaled_field(uint8x16_t p, int g) {
    switch (g) {
    case 0: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x03)));
    case 1: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x0C)));
    case 2: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x30)));
    default: return vreinterpretq_s8_u8(vshrq_n_u8(p, 6));
    }
}

/* The same field as a signed weight in the same scale: 0: w, 1: 4w, 2: 16w, 3: w. */
BN_ALWAYS_INLINE int8x16_t scaled_weight(uint8x16_t p, int g) {
    static const int8_t offset[4] = {1, 4, 16, 1};
    return vsubq_s8(scaled_field(p, g), vdupq_n_s8(offset[g]));
}

/* acc1 + acc4 / 4 + acc16 / 16, lane-wise and exact (lanes of acc4 / acc16 are multiples of 4 / 16). */
BN_ALWAYS_INLINE int32x4_t combine(int32x4_t acc1, int32x4_t acc4, int32x4_t acc16) {
    return vsraq_n_s32(vsraq_n_s32(acc1, acc4, 2), acc16, 4);
}

/* Four weight rows (i..i+3) against activation row 0; writes y[i..i+3]. */
static void rows4_x1(const bn_matmul_args* a, int32_t i, float* y) {
    const int32_t n_blocks = a->k / BN_TQ_BLOCK;
    const uint8_t* w0 = a->w + (int64_t)i * a->row_bytes;
    const uint8_t* w[4] = {w0, w0 + a->row_bytes, w0 + 2 * a->row_bytes, w0 + 3 * a->row_bytes};
    const int8x16_t ones = vdupq_n_s8(1);
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const int64_t off = (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const int8_t* xb = a->xq + (int64_t)b * BN_TQ_BLOCK;
        int32x4_t acc1[4], acc4[4], acc16[4];
        int32x4_t xs = vdupq_n_s32(0);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) acc1[r] = acc4[r] = acc16[r] = vdupq_n_s32(0);
#pragma GCC unroll 4
        for (int hq = 0; hq < 4; hq++) { /* h = hq / 2 (128-weight half), q = hq % 2 (16-byte vector) */
            const int h = hq >> 1, q = hq & 1;
            const int8_t* xh = xb + 128 * h + 16 * q; /* + 32g: weights 128h + 32g + 16q .. +15 */
            const int8x16_t x0 = vld1q_s8(xh), x1 = vld1q_s8(xh + 32), x2 = vld1q_s8(xh + 64), x3 = vld1q_s8(xh + 96);
            xs = vdotq_s32(vdotq_s32(xs, x0, ones), x1, ones);
            xs = vdotq_s32(vdotq_s32(xs, x2, ones), x3, ones);
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++) {
                const uint8x16_t p = vld1q_u8(w[r] + off + 32 * h + 16 * q);
                acc1[r] = vdotq_s32(acc1[r], scaled_field(p, 0), x0);
                acc4[r] = vdotq_s32(acc4[r], scaled_field(p, 1), x1);
                acc16[r] = vdotq_s32(acc16[r], scaled_field(p, 2), x2);
                acc1[r] = vdotq_s32(acc1[r], scaled_field(p, 3), x3);
            }
        }
        const int32x4_t s = bn_hsum4_s32(combine(acc1[0], acc4[0], acc16[0]), combine(acc1[1], acc4[1], acc16[1]),
                                         combine(acc1[2], acc4[2], acc16[2]), combine(acc1[3], acc4[3], acc16[3]));
        const int32x4_t dots = vsubq_s32(s, vdupq_n_s32(vaddvq_s32(xs)));
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
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const uint8_t* block = w + (int64_t)b * BN_TQ2_BLOCK_BYTES;
        int32x4_t acc1[4], acc4[4], acc16[4];
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) acc1[c] = acc4[c] = acc16[c] = vdupq_n_s32(0);
#pragma GCC unroll 4
        for (int hq = 0; hq < 4; hq++) {
            const int h = hq >> 1, q = hq & 1;
            const uint8x16_t p = vld1q_u8(block + 32 * h + 16 * q);
            const int8x16_t w0 = scaled_weight(p, 0), w1 = scaled_weight(p, 1), w2 = scaled_weight(p, 2),
                            w3 = scaled_weight(p, 3);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) {
                const int8_t* xh = x[c] + (int64_t)b * BN_TQ_BLOCK + 128 * h + 16 * q;
                acc1[c] = vdotq_s32(acc1[c], w0, vld1q_s8(xh));
                acc4[c] = vdotq_s32(acc4[c], w1, vld1q_s8(xh + 32));
                acc16[c] = vdotq_s32(acc16[c], w2, vld1q_s8(xh + 64));
                acc1[c] = vdotq_s32(acc1[c], w3, vld1q_s8(xh + 96));
            }
        }
        int32x4_t s[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) s[c] = combine(acc1[c], acc4[c], acc16[c]);
        const float d = vgetq_lane_f32(bn_fp16x4_to_f32(bn_read_u16(block + 64), 0, 0, 0), 0);
        sum = vaddq_f32(sum, vmulq_n_f32(vcvtq_f32_s32(bn_hsum4_s32(s[0], s[1], s[2], s[3])), d));
    }
    float out[4];
    vst1q_f32(out, sum);
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) a->y[(int64_t)(r0 + c) * a->n + i] = out[c] * (a->x_scales[r0 + c] * a->w_scale);
}

void bn_matmul_tq2_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    tq2_matmul(a, i_begin, i_end);
}
