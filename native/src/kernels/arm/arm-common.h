/* Shared helpers for the AArch64 kernel files (NEON is baseline on AArch64, so nothing here needs
 * a feature check; the int8 dot products below use SDOT only in files built for it).
 *
 * Layout facts the kernels rely on (see bitnative.h and quant/pack.c):
 *  - I2S: a 128-weight block is 32 bytes; byte j holds weights j, j+32, j+64, j+96 in bits 7:6,
 *    5:4, 3:2, 1:0 (MSB first), code = w + 1. So the 16-byte vector of bytes q*16..q*16+15 gives,
 *    per 2-bit field g (g = 0 for bits 7:6), the codes of the 16 contiguous weights
 *    32g + 16q .. 32g + 16q + 15: one field of one code vector pairs with one 16-byte activation
 *    load, no shuffles needed.
 *  - TQ2_0: a 256-weight block is 66 bytes (qs[64], fp16 d). Half h (32 bytes) is an I2S-like
 *    128-weight group with the field order reversed: bits 1:0 hold weight m, bits 3:2 weight
 *    m+32, 5:4 m+64, 7:6 m+96 (LSB first).
 * The library targets little-endian AArch64 (Linux, macOS, Windows), where the fp16 d is read as
 * a plain little-endian uint16. */
#ifndef BN_ARM_COMMON_H
#define BN_ARM_COMMON_H

#include <arm_neon.h>
#include <string.h>

#include "bn_internal.h"

#if defined(__AARCH64EB__)
#  error "BitNative's ARM kernels assume little-endian AArch64"
#endif

/* A kernel whose NEON and NEON-dotprod variants differ only in their int8 dot products keeps its body in one header;
 * its -neondot file defines BN_NEONDOT 1 before any include (that file alone is built with +dotprod), and
 * bn_dot_i8 / bn_dot_i8_mla below become SDOT. */
#ifndef BN_NEONDOT
#  define BN_NEONDOT 0
#endif

/* Tile functions take their tile shape as arguments and are always inlined with constant
 * shapes, so the per-row loops unroll completely and the accumulator arrays live in registers. */
#define BN_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Codes 0..3 of 2-bit field g of 16 I2S code bytes (g = 0: bits 7:6 ... g = 3: bits 1:0). */
BN_ALWAYS_INLINE int8x16_t bn_i2s_field(uint8x16_t p, int g) {
    const uint8x16_t three = vdupq_n_u8(3);
    switch (g) {
    case 0: return vreinterpretq_s8_u8(vshrq_n_u8(p, 6)); /* the top field needs no mask */
    case 1: return vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p, 4), three));
    case 2: return vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(p, 2), three));
    default: return vreinterpretq_s8_u8(vandq_u8(p, three));
    }
}

/* Codes 0..3 of 2-bit field g of 16 TQ2_0 code bytes (g = 0: bits 1:0 ... g = 3: bits 7:6). */
BN_ALWAYS_INLINE int8x16_t bn_tq2_field(uint8x16_t p, int g) { return bn_i2s_field(p, 3 - g); }

/* Exact sum of k int8 values. A lane of the int32 accumulator gains at most 4 * 128 per 16
 * values, so it cannot overflow for any k the entry points allow (k <= 2^22). */
static inline int32_t bn_sum_i8_neon(const int8_t* x, int32_t k) {
    int32x4_t acc = vdupq_n_s32(0);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) acc = vpadalq_s16(acc, vpaddlq_s8(vld1q_s8(x + j)));
    int32_t sum = vaddvq_s32(acc);
    for (; j < k; j++) sum += x[j];
    return sum;
}

/* {hsum(a), hsum(b), hsum(c), hsum(d)} with three pairwise adds (ADDP). */
BN_ALWAYS_INLINE int32x4_t bn_hsum4_s32(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

/* Reads an unaligned little-endian fp16 bit pattern. */
BN_ALWAYS_INLINE uint16_t bn_read_u16(const uint8_t* p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Four fp16 values widened to float32 with FCVTL. The widening is exact for every finite value,
 * subnormals and infinities, so it equals bn_fp16_to_fp32 (the reference's converter); a
 * signalling NaN comes out quiet here and in the reference's first multiply, so even NaN scales
 * give the reference's bits. FPCR.AHP (alternative half precision) is 0 on every OS we target. */
BN_ALWAYS_INLINE float32x4_t bn_fp16x4_to_f32(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3) {
    uint16x4_t h = vdup_n_u16(h0);
    h = vset_lane_u16(h1, h, 1);
    h = vset_lane_u16(h2, h, 2);
    h = vset_lane_u16(h3, h, 3);
    return vcvt_f32_f16(vreinterpret_f16_u16(h));
}

/* The R weight rows from row i and the C activation rows from row r0 of a matmul (R, C <= 4, constant in the tiles
 * that call this). */
BN_ALWAYS_INLINE void bn_tile_rows(const bn_matmul_args* a, int32_t i, const int R, int32_t r0, const int C,
                                   const uint8_t* w[4], const int8_t* x[4]) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) w[r] = a->w + (int64_t)(i + r) * a->row_bytes;
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) x[c] = a->xq + (int64_t)(r0 + c) * a->k;
}

/* Four int32 lanes summing to sum_{v < nv, j < 16} w[v][j] x[16 v + j], exactly (how the sum splits over the lanes
 * differs between the variants; callers only add the lanes up). SDOT adds four products per int32 lane, exact for
 * any int8. Without it SMULL / SMLAL2 add 2 nv products per int16 lane, each at most max|w| * 128, and SADDLP widens
 * them: exact when nv * max|w| <= 127, which every caller states. */
BN_ALWAYS_INLINE int16x8_t bn_dot_i8_s16(const int8x16_t* w, const int8_t* x, int nv) {
    int8x16_t xv = vld1q_s8(x);
    int16x8_t p = vmlal_high_s8(vmull_s8(vget_low_s8(w[0]), vget_low_s8(xv)), w[0], xv);
    for (int v = 1; v < nv; v++) {
        xv = vld1q_s8(x + 16 * v);
        p = vmlal_high_s8(vmlal_s8(p, vget_low_s8(w[v]), vget_low_s8(xv)), w[v], xv);
    }
    return p;
}

BN_ALWAYS_INLINE int32x4_t bn_dot_i8(const int8x16_t* w, const int8_t* x, int nv) {
#if BN_NEONDOT
    int32x4_t acc = vdupq_n_s32(0);
    for (int v = 0; v < nv; v++) acc = vdotq_s32(acc, w[v], vld1q_s8(x + 16 * v));
    return acc;
#else
    return vpaddlq_s16(bn_dot_i8_s16(w, x, nv));
#endif
}

/* acc + scale * (the dot product of bn_dot_i8), lane by lane; |scale| < 2^15 (SMLAL by an int16 without SDOT). */
BN_ALWAYS_INLINE int32x4_t bn_dot_i8_mla(int32x4_t acc, const int8x16_t* w, const int8_t* x, int nv, int32_t scale) {
#if BN_NEONDOT
    return vmlaq_n_s32(acc, bn_dot_i8(w, x, nv), scale);
#else
    const int16x8_t p = bn_dot_i8_s16(w, x, nv);
    return vmlal_high_n_s16(vmlal_n_s16(acc, vget_low_s16(p), (int16_t)scale), p, (int16_t)scale);
#endif
}

#endif
