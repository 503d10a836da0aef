/* ggml's 4-bit, k-quant, 2-bit and 1-bit blocks (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q1_0) as the scalar references, the
 * tests and the SIMD kernels' scale unpacking read them. Checked against ggml-org/llama.cpp's ggml-common.h
 * (block_q4_0, block_q4_K, block_q5_K, block_q6_K, block_q2_0, block_q1_0) and ggml-quants.c (dequantize_row_q4_0 / _q4_K /
 * _q5_K / _q6_K, get_scale_min_k4). Blocks are read through byte offsets: a block starts at any even
 * address inside a row, and the fp16 fields are read with memcpy-free byte arithmetic. */
#ifndef BN_KQUANTS_H
#define BN_KQUANTS_H

#include "bn_internal.h"

#include <stddef.h>

/* The structs document the layouts (ggml's field order) and pin their sizes; kernels use the offsets. */
/* One fp16 scale d and 16 code bytes: Q4_0 (32 4-bit codes, 4.5 bits per weight), Q2_0 (64 2-bit codes, 2.25),
 * Q1_0 (128 signs, 1.125). */
typedef struct bn_block_d16 {
    uint16_t d;
    uint8_t qs[16];
} bn_block_q4_0, bn_block_q2_0, bn_block_q1_0;
typedef struct bn_block_q2_0_g128 { /* 2.125 bits per weight: two Q2_0 halves under one d */
    uint16_t d;
    uint8_t qs[32];
} bn_block_q2_0_g128;
typedef struct bn_block_q4_k { /* 4.5 bits per weight */
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[128];
} bn_block_q4_k;
typedef struct bn_block_q5_k { /* 5.5 bits per weight */
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
} bn_block_q5_k;
typedef struct bn_block_q6_k { /* 6.5625 bits per weight */
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
} bn_block_q6_k;
_Static_assert(sizeof(bn_block_q4_0) == BN_Q4_0_BLOCK_BYTES, "block_q4_0 is 18 bytes");
_Static_assert(sizeof(bn_block_q2_0) == BN_Q2_0_BLOCK_BYTES, "block_q2_0 is 18 bytes");
_Static_assert(sizeof(bn_block_q1_0) == BN_Q1_0_BLOCK_BYTES, "block_q1_0 is 18 bytes");
_Static_assert(sizeof(bn_block_q2_0_g128) == BN_Q2_0_G128_BLOCK_BYTES, "block_q2_0_g128 is 34 bytes");
_Static_assert(sizeof(bn_block_q4_k) == BN_Q4_K_BLOCK_BYTES, "block_q4_K is 144 bytes");
_Static_assert(sizeof(bn_block_q5_k) == BN_Q5_K_BLOCK_BYTES, "block_q5_K is 176 bytes");
_Static_assert(sizeof(bn_block_q6_k) == BN_Q6_K_BLOCK_BYTES, "block_q6_K is 210 bytes");

#define BN_Q4_K_SCALES_AT offsetof(bn_block_q4_k, scales) /* 4 (d at 0, dmin at 2) */
#define BN_Q4_K_QS_AT offsetof(bn_block_q4_k, qs)         /* 16 */
#define BN_Q5_K_SCALES_AT offsetof(bn_block_q5_k, scales) /* 4, as in Q4_K */
#define BN_Q5_K_QH_AT offsetof(bn_block_q5_k, qh)         /* 16 */
#define BN_Q5_K_QS_AT offsetof(bn_block_q5_k, qs)         /* 48 */
#define BN_Q6_K_QH_AT offsetof(bn_block_q6_k, qh)         /* 128 */
#define BN_Q6_K_SCALES_AT offsetof(bn_block_q6_k, scales) /* 192 */
#define BN_Q6_K_D_AT offsetof(bn_block_q6_k, d)           /* 208 */

/* The fp16 at p (little-endian) as a float, exactly. */
static inline float bn_kq_fp16(const uint8_t* p) { return bn_fp16_to_fp32((uint16_t)(p[0] | (p[1] << 8))); }

/* Code 0..15 of weight j (0..31) of a Q4_0 block (w = d (c - 8)). */
static inline int bn_q4_0_code(const uint8_t* block, int j) {
    const uint8_t q = block[2 + (j & 15)];
    return j < 16 ? q & 15 : q >> 4;
}

/* Code 0..3 of weight j (0..63) of a Q2_0 block (w = d (c - 1)): four consecutive weights per byte, LSB first
 * (upstream ggml-quants.c dequantize_row_q2_0). The same for weight j (0..127) of a Q2_0_G128 block, whose codes
 * continue in that order over 32 bytes. */
static inline int bn_q2_0_code(const uint8_t* block, int j) { return (block[2 + j / 4] >> (2 * (j & 3))) & 3; }

/* Weight j (0..127) of a Q1_0 block as +1 or -1 (w = d times it): bit j % 8 of qs[j / 8], 1 meaning +1 (upstream
 * ggml-quants.c dequantize_row_q1_0). */
static inline int bn_q1_0_sign(const uint8_t* block, int j) { return (block[2 + j / 8] >> (j & 7)) & 1 ? 1 : -1; }

/* Code 0..15 of weight j (0..255) of a Q4_K block: chunk p = j / 64 of 32 bytes, low nibbles first. */
static inline int bn_q4_k_code(const uint8_t* block, int j) {
    const uint8_t q = block[BN_Q4_K_QS_AT + 32 * (j / 64) + (j & 31)];
    return (j & 32) ? q >> 4 : q & 15;
}

/* Code 0..31 of weight j of a Q5_K block: Q4_K's nibble plus 16 times bit j / 32 of qh[j % 32]. */
static inline int bn_q5_k_code(const uint8_t* block, int j) {
    const uint8_t q = block[BN_Q5_K_QS_AT + 32 * (j / 64) + (j & 31)];
    const int high = (block[BN_Q5_K_QH_AT + (j & 31)] >> (j / 32)) & 1;
    return ((j & 32) ? q >> 4 : q & 15) | high << 4;
}

/* Code 0..63 of weight j of a Q6_K block (w = d sc[j / 16] (c - 32)): half h = j / 128, group g of 32 in
 * the half, l = j % 32; nibble g / 2 of ql[64 h + 32 (g % 2) + l], two high bits from qh[32 h + l] >> 2 g. */
static inline int bn_q6_k_code(const uint8_t* block, int j) {
    const int h = j / 128, g = (j / 32) & 3, l = j & 31;
    const uint8_t low = block[64 * h + 32 * (g & 1) + l];
    const int high = (block[BN_Q6_K_QH_AT + 32 * h + l] >> (2 * g)) & 3;
    return (g < 2 ? low & 15 : low >> 4) | high << 4;
}

/* The eight 6-bit scales (sc[0..7]) and mins (m[0..7]) of a Q4_K / Q5_K block from its 12 packed bytes q:
 * sub-block s < 4 keeps sc in q[s] & 63 and m in q[s + 4] & 63; s >= 4 keeps their low four bits in the
 * nibbles of q[s + 4] and their top two bits in bits 6..7 of q[s - 4] (sc) and q[s] (m) (ggml's
 * get_scale_min_k4), done here as three little-endian words for the eight bytes at once. */
static inline void bn_k4_scales_mins(const uint8_t* q, uint64_t* sc, uint64_t* m) {
    const uint32_t w0 = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    const uint32_t w1 = (uint32_t)q[4] | (uint32_t)q[5] << 8 | (uint32_t)q[6] << 16 | (uint32_t)q[7] << 24;
    const uint32_t w2 = (uint32_t)q[8] | (uint32_t)q[9] << 8 | (uint32_t)q[10] << 16 | (uint32_t)q[11] << 24;
    const uint32_t sc_lo = w0 & 0x3f3f3f3fu, m_lo = w1 & 0x3f3f3f3fu;
    const uint32_t sc_hi = (w2 & 0x0f0f0f0fu) | ((w0 >> 6) & 0x03030303u) << 4;
    const uint32_t m_hi = ((w2 >> 4) & 0x0f0f0f0fu) | ((w1 >> 6) & 0x03030303u) << 4;
    *sc = (uint64_t)sc_lo | (uint64_t)sc_hi << 32;
    *m = (uint64_t)m_lo | (uint64_t)m_hi << 32;
}

#endif
