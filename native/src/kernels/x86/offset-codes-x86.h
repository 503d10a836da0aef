/* The block of the formats whose weights are unsigned codes minus one offset under one fp16 scale d at the block's
 * start (Q2_0 and Q2_0_G128: c - 1, Q1_0: 2 b - 1), AVX2 and AVX-512 VNNI: the shared walk of kernels/kquant-walk.h
 * with the block reduced to sum_j (u_j - o) x_j = sum_j u_j x_j - o sum_j x_j. The second term comes from the walk's
 * activation sums (KQ_GROUP 32: computed once per activation row, shared by every weight row) and is subtracted in
 * lane 0. The format header defines, before including this file:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_CODE_VECS               256-bit vectors of codes per block (KQ_BLOCK / 32)
 *   KQ_CODE_OFFSET, KQ_CODE_MAX  the offset o and the largest code
 *   kq_codes(block, u)         the block's codes u_j (unsigned bytes, in weight order) into u[0 .. KQ_CODE_VECS)
 *
 * AVX2: vpmaddubsw multiplies the unsigned codes by the int8 activations (any value, -128 included) into int16
 * pair sums of at most 2 * KQ_CODE_MAX * 128; the KQ_CODE_VECS vectors add in int16 (the assert below keeps that
 * exact), and vpmaddwd with ones gives eight int32 lanes. AVX-512 VNNI: 256-bit vpdpbusd adds groups of four
 * products to int32 lanes that start at minus the offset term in lane 0. A 32-weight vector is the block's natural
 * width: wider vectors would only move the reduction of small blocks to a later, costlier shuffle. */
#ifndef BN_OFFSET_CODES_X86_H
#define BN_OFFSET_CODES_X86_H

#include "kquant-x86.h"

#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

_Static_assert(KQ_CODE_VECS * KQ_CODE_MAX * 2 * 128 <= 32767, "the int16 sums of vpmaddubsw pairs stay exact");

/* o sum_j x_j of the block from its activation sums (KQ_CODE_VECS of them; |o sum| <= 4 * 32 * 128). */
static inline __attribute__((always_inline)) int32_t kq_offset_sum(const int16_t* xs) {
    int32_t sum = 0;
    for (int v = 0; v < KQ_CODE_VECS; v++) sum += xs[v];
    return KQ_CODE_OFFSET * sum;
}

/* Lanes summing to sum_j u_j x_j - off. */
static inline __attribute__((always_inline)) __m256i kq_code_dot(const __m256i* u, const int8_t* x, int32_t off) {
#if BN_AVX512VNNI
    __m256i acc = _mm256_setr_epi32(-off, 0, 0, 0, 0, 0, 0, 0);
    for (int v = 0; v < KQ_CODE_VECS; v++) acc = _mm256_dpbusd_epi32(acc, u[v], _mm256_loadu_si256((const __m256i*)(x + 32 * v)));
    return acc;
#else
    __m256i p = _mm256_maddubs_epi16(u[0], _mm256_loadu_si256((const __m256i*)x));
    for (int v = 1; v < KQ_CODE_VECS; v++)
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(u[v], _mm256_loadu_si256((const __m256i*)(x + 32 * v))));
    return _mm256_sub_epi32(_mm256_madd_epi16(p, _mm256_set1_epi16(1)), _mm256_setr_epi32(off, 0, 0, 0, 0, 0, 0, 0));
#endif
}

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        __m256i u[KQ_CODE_VECS];
        kq_codes(w[r], u);
        for (int t = 0; t < T; t++) lanes[r * T + t] = kq_code_dot(u, x[t], kq_offset_sum(xs[t]));
    }
}

#include "../kquant-walk.h"

#endif
