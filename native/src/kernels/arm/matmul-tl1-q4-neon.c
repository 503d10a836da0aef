/* TL1 x int4 matmul with lookup tables, NEON (TBL). Bit-exact with bn_matmul_tl1_q4__ref.
 *
 * The q8 kernel (matmul-tl1-q8-neon.c) with one table per pair: int4 pair sums (|.| <= 16) fit the
 * table bytes directly, so a unit costs four TBL and four byte adds per 128 weights, half the q8
 * work. Bounds: three units (six lookups, |.| <= 96) per signed byte accumulator; SADDW widens to
 * int16 lanes (<= 96 per widening), so a chunk of 120 units (40 widenings, <= 3840) stays in int16;
 * SADDW moves them to int32 sums (<= 16 k / 2 < 2^31). Loop order and tiling as in the q8 kernel. */
#include "lut-arm.h"
#include "../lut-walk.h"

#define UNITS_PER_CHUNK 120

/* One unit: its two pairs' tables, the low nibbles (rows 0-15) into acc8[0], the high ones (16-31) into acc8[1]. */
BN_ALWAYS_INLINE void unit(const uint8_t* c, const int8_t* t, int8x16_t acc8[4]) {
    const uint8x16_t nibble = vdupq_n_u8(15);
#pragma GCC unroll 2
    for (int p = 0; p < 2; p++) {
        const uint8x16_t codes = vld1q_u8(c + 16 * p);
        const int8x16_t tp = vld1q_s8(t + 16 * p);
        acc8[0] = vaddq_s8(acc8[0], vqtbl1q_s8(tp, vandq_u8(codes, nibble)));
        acc8[1] = vaddq_s8(acc8[1], vqtbl1q_s8(tp, vshrq_n_u8(codes, 4)));
    }
}

BN_ALWAYS_INLINE void widen(const int8x16_t acc8[4], int16x8_t acc16[4]) {
    acc16[0] = vaddw_s8(acc16[0], vget_low_s8(acc8[0]));
    acc16[1] = vaddw_high_s8(acc16[1], acc8[0]);
    acc16[2] = vaddw_s8(acc16[2], vget_low_s8(acc8[1]));
    acc16[3] = vaddw_high_s8(acc16[3], acc8[1]);
}

/* dots[32] += units [0, units) (<= UNITS_PER_CHUNK) of a tile against a row (32 table bytes per unit). */
static void chunk(const uint8_t* w, const uint8_t* tables, int32_t units, int32_t* dots, const uint8_t* pf) {
    bn_tl1_chunk_neon(w, tables, units, dots, pf, 32, unit, widen);
}

void bn_matmul_tl1_q4__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 1, 32, BN_TL1_ROW_TILE, BN_TL1_NEON_GEMV_TILE_GROUP,
                BN_TL1_NEON_TILE_GROUP, BN_TL1_NEON_ROW_BLOCK, chunk, bn_lut_store_dots_neon);
}
