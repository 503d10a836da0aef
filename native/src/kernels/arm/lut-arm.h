/* Helpers shared by the AArch64 lookup-table (TL1) kernels and their table builders.
 *
 * Table format of the NEON kernels (private to the lutbuild-* / matmul-tl1-* pairs): per unit u
 * (column pairs 2u and 2u + 1), q8 tables take 64 bytes: the 16-byte tables of the high parts (xh)
 * of pairs 2u and 2u + 1, then those of the low parts (xl); q4 tables take 32 bytes, the two pairs'
 * tables. Entry c of a pair (x0, x1) is w0(c) x0 + w1(c) x1, signed (|.| <= 16): NEON widens signed
 * bytes directly (saddw, smlal), so no bias. Entries 9..15 are 0: a corrupt code reads as the zero
 * pair, as in the reference. */
#ifndef BN_LUT_ARM_H
#define BN_LUT_ARM_H

#include "arm-common.h"

/* The pair weights of codes 0..15 (w0 = c / 3 - 1, w1 = c % 3 - 1, zero for c >= 9). */
static const int8_t bn_lut_w0_pattern[16] = {-1, -1, -1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const int8_t bn_lut_w1_pattern[16] = {-1, 0, 1, -1, 0, 1, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0};

/* Lookups per signed byte accumulator before it is widened: |pair sum| <= 16, 7 * 16 = 112 < 128. */
#define BN_LUT_NEON_LOOKUPS 7

/* The split of int8 activations used by q8 tables: x = 16 xh + xl with xl in [-8, 7], xh in [-8, 8].
 * With x = 16 q + r (q = x >> 4, r in 0..15): xl = r if r < 8 else r - 16, and xh = q + (r >= 8) =
 * (x >> 4) + bit 3 of x, computed in bytes without the overflow of x - xl (which can be 128). */
BN_ALWAYS_INLINE void bn_lut_split_neon(int8x16_t x, int8x16_t* xh, int8x16_t* xl) {
    const uint8x16_t u = vreinterpretq_u8_s8(x);
    *xl = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vaddq_u8(u, vdupq_n_u8(8)), vdupq_n_u8(15))), vdupq_n_s8(8));
    *xh = vaddq_s8(vshrq_n_s8(x, 4), vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(u, 3), vdupq_n_u8(1))));
}

/* The table of pair (v[2j], v[2j + 1]) of a 16-activation vector v, j = 0..7 (a constant after
 * inlining): entry c = w0(c) v[2j] + w1(c) v[2j + 1] (no overflow: |.| <= 16 for |v| <= 8). */
BN_ALWAYS_INLINE int8x16_t bn_lut_pair_table_neon(int8x16_t v, const int j) {
    const int8x16_t w0 = vld1q_s8(bn_lut_w0_pattern), w1 = vld1q_s8(bn_lut_w1_pattern);
    int8x16_t x0, x1;
    switch (j) { /* DUP (element) needs a constant lane */
    case 0: x0 = vdupq_laneq_s8(v, 0); x1 = vdupq_laneq_s8(v, 1); break;
    case 1: x0 = vdupq_laneq_s8(v, 2); x1 = vdupq_laneq_s8(v, 3); break;
    case 2: x0 = vdupq_laneq_s8(v, 4); x1 = vdupq_laneq_s8(v, 5); break;
    case 3: x0 = vdupq_laneq_s8(v, 6); x1 = vdupq_laneq_s8(v, 7); break;
    case 4: x0 = vdupq_laneq_s8(v, 8); x1 = vdupq_laneq_s8(v, 9); break;
    case 5: x0 = vdupq_laneq_s8(v, 10); x1 = vdupq_laneq_s8(v, 11); break;
    case 6: x0 = vdupq_laneq_s8(v, 12); x1 = vdupq_laneq_s8(v, 13); break;
    default: x0 = vdupq_laneq_s8(v, 14); x1 = vdupq_laneq_s8(v, 15); break;
    }
    return vmlaq_s8(vmulq_s8(x0, w0), x1, w1);
}

/* The tiling of both NEON TL1 kernels (lut-walk.h): three units per signed byte accumulator, groups of 8 tiles and
 * 4 activation rows for a batch, and of 4 tiles for one activation row (as measured on AVX2: a chunk of tables
 * serves 4 tiles from L1; more interleaved tiles lose the prefetch streams). */
#define BN_TL1_NEON_UNITS_PER_WIDEN 3
#define BN_TL1_NEON_TILE_GROUP 8
#define BN_TL1_NEON_GEMV_TILE_GROUP 4
#define BN_TL1_NEON_ROW_BLOCK 4

/* dots[0..32) += the int16 row sums acc16[q] (rows 8q .. 8q + 7), widened. */
BN_ALWAYS_INLINE void bn_lut_add_dots_neon(const int16x8_t acc16[4], int32_t* dots) {
    for (int q = 0; q < 4; q++) {
        int32_t* d = dots + 8 * q;
        vst1q_s32(d, vaddw_s16(vld1q_s32(d), vget_low_s16(acc16[q])));
        vst1q_s32(d + 4, vaddw_high_s16(vld1q_s32(d + 4), acc16[q]));
    }
}

/* One unit of a tile (codes c, 32 bytes; its tables t) into the signed byte accumulators acc8 (rows 0-15 in the
 * even, rows 16-31 in the odd entries); and the byte accumulators of up to three units widened into the int16 row
 * sums acc16[q] (rows 8q .. 8q + 7). */
typedef void (*bn_tl1_unit_neon_fn)(const uint8_t* c, const int8_t* t, int8x16_t acc8[4]);
typedef void (*bn_tl1_widen_neon_fn)(const int8x16_t acc8[4], int16x8_t acc16[4]);

/* The chunk step of both NEON TL1 kernels (lut-walk.h's chunk): dots[32] (the tile's rows in order) += units
 * [0, units) of one tile (codes w) against one activation row's tables for the same units (tables, table_unit_bytes
 * per unit), the codes one chunk ahead (pf) prefetched as on x86. */
BN_ALWAYS_INLINE void bn_tl1_chunk_neon(const uint8_t* w, const uint8_t* tables, int32_t units, int32_t* dots,
                                        const uint8_t* pf, const int table_unit_bytes, bn_tl1_unit_neon_fn unit,
                                        bn_tl1_widen_neon_fn widen) {
    const int8_t* tab = (const int8_t*)tables; /* this ISA's table entries are signed */
    int16x8_t acc16[4] = {vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s16(0)};
    for (int32_t u = 0; u < units;) {
        const int32_t end = units - u < BN_TL1_NEON_UNITS_PER_WIDEN ? units : u + BN_TL1_NEON_UNITS_PER_WIDEN;
        int8x16_t acc8[4] = {vdupq_n_s8(0), vdupq_n_s8(0), vdupq_n_s8(0), vdupq_n_s8(0)};
        for (; u < end; u++) {
            __builtin_prefetch(pf + (int64_t)u * 32);
            unit(w + (int64_t)u * 32, tab + (int64_t)u * table_unit_bytes, acc8);
        }
        widen(acc8, acc16);
    }
    bn_lut_add_dots_neon(acc16, dots);
}

/* y of tile t for activation row r from its 32 exact row dots (the NEON kernels' epilogue). */
static inline void bn_lut_store_dots_neon(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* dots) {
    const float scale = a->x_scales[r] * a->w_scale;
    const int32_t rows = a->n - t * BN_TL1_ROW_TILE < BN_TL1_ROW_TILE ? a->n - t * BN_TL1_ROW_TILE : BN_TL1_ROW_TILE;
    float* y = a->y + (int64_t)r * a->n + (int64_t)t * BN_TL1_ROW_TILE;
    for (int32_t i = 0; i < rows; i++) y[i] = (float)dots[i] * scale;
}

#endif
