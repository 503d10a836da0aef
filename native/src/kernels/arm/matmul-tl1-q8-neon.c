/* TL1 x int8 matmul with lookup tables, NEON (TBL). Bit-exact with bn_matmul_tl1_q8__ref.
 *
 * Per unit (32 rows x 4 columns, 32 bytes of pair codes): bytes 0-15 are pair 2u's codes, the low
 * nibbles for tile rows 0-15 and the high nibbles (USHR, no mask needed) for rows 16-31; bytes
 * 16-31 are pair 2u + 1's. Each index vector is looked up in the pair's high-part and low-part
 * tables (x = 16 xh + xl, lut-arm.h) with TBL, whose out-of-range rule never triggers (indices <= 15).
 * Both pairs of a unit add into the same row accumulators: eight TBL and eight byte adds per 128
 * weights, no multiplications.
 *
 * Bounds. Signed entries |.| <= 16; an accumulator takes two lookups per unit, so three units (six
 * lookups, |.| <= 96) fit a signed byte. SMLAL by 16 (high parts) and SADDW (low parts) widen them
 * to int16 lanes, |16 * 96 + 96| = 1632 per three units, so 60 units (20 widenings, <= 32640) stay
 * in int16; SADDW then moves them to int32 sums (|sum| <= 272 k / 2 < 2^31 for k <= 2^22). Rows stay
 * in order throughout: lane i of the rows-0-15 accumulators is row i.
 *
 * Loop order as on x86 (matmul-tl1-q8-avx2.c): one activation row goes tile by tile over the whole
 * k; a batch runs chunks for groups of 8 tiles and 4 rows. */
#include "lut-arm.h"
#include "../lut-walk.h"

#define UNITS_PER_CHUNK 60

/* One unit: each pair's high-part and low-part tables, the low nibbles (rows 0-15) into acc8[0] (high parts) and
 * acc8[2] (low parts), the high nibbles (rows 16-31) into acc8[1] and acc8[3]. */
BN_ALWAYS_INLINE void unit(const uint8_t* c, const int8_t* t, int8x16_t acc8[4]) {
    const uint8x16_t nibble = vdupq_n_u8(15);
#pragma GCC unroll 2
    for (int p = 0; p < 2; p++) {
        const uint8x16_t codes = vld1q_u8(c + 16 * p);
        const uint8x16_t lo = vandq_u8(codes, nibble), hi = vshrq_n_u8(codes, 4);
        const int8x16_t th = vld1q_s8(t + 16 * p), tl = vld1q_s8(t + 32 + 16 * p);
        acc8[0] = vaddq_s8(acc8[0], vqtbl1q_s8(th, lo));
        acc8[2] = vaddq_s8(acc8[2], vqtbl1q_s8(tl, lo));
        acc8[1] = vaddq_s8(acc8[1], vqtbl1q_s8(th, hi));
        acc8[3] = vaddq_s8(acc8[3], vqtbl1q_s8(tl, hi));
    }
}

/* x = 16 xh + xl: the high parts' sums times 16 (SMLAL), plus the low parts' (SADDW). */
BN_ALWAYS_INLINE void widen(const int8x16_t acc8[4], int16x8_t acc16[4]) {
    const int8x16_t sixteen = vdupq_n_s8(16);
    acc16[0] = vaddw_s8(vmlal_s8(acc16[0], vget_low_s8(acc8[0]), vget_low_s8(sixteen)), vget_low_s8(acc8[2]));
    acc16[1] = vaddw_high_s8(vmlal_high_s8(acc16[1], acc8[0], sixteen), acc8[2]);
    acc16[2] = vaddw_s8(vmlal_s8(acc16[2], vget_low_s8(acc8[1]), vget_low_s8(sixteen)), vget_low_s8(acc8[3]));
    acc16[3] = vaddw_high_s8(vmlal_high_s8(acc16[3], acc8[1], sixteen), acc8[3]);
}

/* dots[32] += units [0, units) (<= UNITS_PER_CHUNK) of a tile against a row (64 table bytes per unit). */
static void chunk(const uint8_t* w, const uint8_t* tables, int32_t units, int32_t* dots, const uint8_t* pf) {
    bn_tl1_chunk_neon(w, tables, units, dots, pf, 64, unit, widen);
}

void bn_matmul_tl1_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 1, 64, BN_TL1_ROW_TILE, BN_TL1_NEON_GEMV_TILE_GROUP,
                BN_TL1_NEON_TILE_GROUP, BN_TL1_NEON_ROW_BLOCK, chunk, bn_lut_store_dots_neon);
}
