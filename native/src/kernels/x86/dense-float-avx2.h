/* Float-weight (fp16, bf16, f32 or FP8 blocks) matrix x float activation rows, AVX2 + F16C + FMA: the walk the
 * F16, BF16, F32 and F8 kernels share, the weight format a compile-time constant after inlining.
 *
 * Every (row, token) result is summed the same way whatever path computed it: 8-column block c goes
 * to accumulator c % 4 (four independent FMA chains), the four are added as (a0 + a1) + (a2 + a3) and
 * summed across lanes, then the columns past the last whole block are added one by one. Results do
 * not depend on how rows are split over threads, or on the batch size.
 *
 * One token (decoding) reads the matrix row after row: one sequential stream, which the hardware
 * prefetchers follow at the plain-read bandwidth. Four rows side by side (four interleaved streams,
 * 20 KB apart for an F16 head) reached 9-12 GB/s from DRAM on Zen 4 with or without software
 * prefetches, one row at a time 21 GB/s, a plain read 23-25 GB/s. A batch converts each weight row
 * once for two tokens. */
#ifndef BN_DENSE_FLOAT_AVX2_H
#define BN_DENSE_FLOAT_AVX2_H

#include "x86-decode.h"

#include "../dense-float.h"

/* Eight weights of row w from column j (a multiple of 8) as floats, exactly (bn_dense_weight's values). F8 rows are
 * 32-weight blocks and k a multiple of 32, so an 8-column step lies inside one block. */
static inline __attribute__((always_inline)) __m256 bn_dense_load8(const uint8_t* w, int32_t j, const int fmt) {
    switch (fmt) {
    case BN_DENSE_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + 2 * (int64_t)j)));
    case BN_DENSE_BF16:
        return _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)(w + 2 * (int64_t)j))), 16));
    case BN_DENSE_F32: return _mm256_loadu_ps((const float*)(w + 4 * (int64_t)j));
    default: {
        const uint8_t* block = w + (int64_t)(j / BN_F8_BLOCK) * BN_F8_BLOCK_BYTES;
        const __m128i q = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i*)(block + 2 + j % BN_F8_BLOCK)));
        const __m128i h = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(q, _mm_set1_epi16(0x7f)), 7),
                                       _mm_slli_epi16(_mm_and_si128(q, _mm_set1_epi16(0x80)), 8));
        const __m256 d256 = _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi16((short)(block[0] | (block[1] << 8)))),
                                          _mm256_set1_ps(256.0f));
        return _mm256_mul_ps(_mm256_cvtph_ps(h), d256);
    }
    }
}

/* Thirty-two weights of row w from column j (a multiple of 32) as four vectors of eight: F8 decodes its whole block
 * with 256-bit integer operations and reads its scale once (half the instructions of four 8-weight decodes, each with
 * the scale); the other formats load eight at a time. */
static inline __attribute__((always_inline)) void bn_dense_load32(const uint8_t* w, int32_t j, const int fmt, __m256 out[4]) {
    if (fmt != BN_DENSE_F8) {
        for (int q = 0; q < 4; q++) out[q] = bn_dense_load8(w, j + 8 * q, fmt);
        return;
    }
    const uint8_t* block = w + (int64_t)(j / BN_F8_BLOCK) * BN_F8_BLOCK_BYTES;
    const __m256i codes = _mm256_loadu_si256((const __m256i*)(block + 2));
    const __m256 d256 = _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi16((short)(block[0] | (block[1] << 8)))),
                                      _mm256_set1_ps(256.0f));
    for (int half = 0; half < 2; half++) {
        const __m256i q = _mm256_cvtepu8_epi16(half ? _mm256_extracti128_si256(codes, 1) : _mm256_castsi256_si128(codes));
        const __m256i h = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(q, _mm256_set1_epi16(0x7f)), 7),
                                          _mm256_slli_epi16(_mm256_and_si256(q, _mm256_set1_epi16(0x80)), 8));
        out[2 * half] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), d256);
        out[2 * half + 1] = _mm256_mul_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)), d256);
    }
}

/* Row i against activation rows [r0, r0 + T): the summation order above. */
static inline __attribute__((always_inline)) void bn_dense_row_avx2(const bn_matmul_args* a, int32_t i, int32_t r0,
                                                                    const int T, const int fmt) {
    const int32_t k = a->k;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    const float* x[2];
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    __m256 acc[2][4];
    for (int t = 0; t < T; t++)
        for (int q = 0; q < 4; q++) acc[t][q] = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        __m256 wv[4];
        bn_dense_load32(w, j, fmt, wv);
        for (int q = 0; q < 4; q++)
            for (int t = 0; t < T; t++) acc[t][q] = _mm256_fmadd_ps(wv[q], _mm256_loadu_ps(x[t] + j + 8 * q), acc[t][q]);
    }
    for (int q = 0; j + 8 <= k; j += 8, q++) {
        const __m256 wv = bn_dense_load8(w, j, fmt);
        for (int t = 0; t < T; t++) acc[t][q] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x[t] + j), acc[t][q]);
    }
    for (int t = 0; t < T; t++) {
        float sum = bn_hsum_ps_avx2(_mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][1]), _mm256_add_ps(acc[t][2], acc[t][3])));
        for (int32_t jj = j; jj < k; jj++) sum += bn_dense_weight(w, jj, fmt) * x[t][jj];
        a->y[(int64_t)(r0 + t) * a->n + i] = sum;
    }
}

/* Output rows [i_begin, i_end), each against every activation row (two at a time). */
static inline __attribute__((always_inline)) void bn_dense_rows_avx2(const bn_matmul_args* a, int32_t i_begin,
                                                                     int32_t i_end, const int fmt) {
    for (int32_t i = i_begin; i < i_end; i++) {
        int32_t r0 = 0;
        for (; r0 + 2 <= a->m; r0 += 2) bn_dense_row_avx2(a, i, r0, 2, fmt);
        if (r0 < a->m) bn_dense_row_avx2(a, i, r0, 1, fmt);
    }
}

#endif
