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

/* dots[32] (the tile's rows in order) += units [0, units) (<= UNITS_PER_CHUNK) of one tile (codes w)
 * against one activation row's tables for the same units (tab, 32 bytes per unit). */
static void chunk(const uint8_t* w, const uint8_t* tables, int32_t units, int32_t* dots, const uint8_t* pf) {
    const int8_t* tab = (const int8_t*)tables; /* this ISA's table entries are signed */
    const uint8x16_t nibble = vdupq_n_u8(15);
    int16x8_t acc16[4] = {vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s16(0)};
    for (int32_t u = 0; u < units;) {
        const int32_t end = units - u < BN_TL1_NEON_UNITS_PER_WIDEN ? units : u + BN_TL1_NEON_UNITS_PER_WIDEN;
        int8x16_t l0 = vdupq_n_s8(0), l1 = l0; /* 0: rows 0-15, 1: rows 16-31 */
        for (; u < end; u++) {
            __builtin_prefetch(pf + (int64_t)u * 32); /* the codes one chunk ahead, as on x86 */
            const uint8_t* c = w + (int64_t)u * 32;
            const int8_t* t = tab + (int64_t)u * 32;
#pragma GCC unroll 2
            for (int p = 0; p < 2; p++) {
                const uint8x16_t codes = vld1q_u8(c + 16 * p);
                const int8x16_t tp = vld1q_s8(t + 16 * p);
                l0 = vaddq_s8(l0, vqtbl1q_s8(tp, vandq_u8(codes, nibble)));
                l1 = vaddq_s8(l1, vqtbl1q_s8(tp, vshrq_n_u8(codes, 4)));
            }
        }
        acc16[0] = vaddw_s8(acc16[0], vget_low_s8(l0));
        acc16[1] = vaddw_high_s8(acc16[1], l0);
        acc16[2] = vaddw_s8(acc16[2], vget_low_s8(l1));
        acc16[3] = vaddw_high_s8(acc16[3], l1);
    }
    bn_lut_add_dots_neon(acc16, dots);
}

void bn_matmul_tl1_q4__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 1, 32, BN_TL1_ROW_TILE, BN_TL1_NEON_GEMV_TILE_GROUP,
                BN_TL1_NEON_TILE_GROUP, BN_TL1_NEON_ROW_BLOCK, chunk, bn_lut_store_dots_neon);
}
