/* Q4_0 matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI), with the numerics bitnative.h states
 * for Q8_0 and Q4_0: each 32-weight block's dot product exact in int32 lanes, the float sum over blocks in
 * SIMD lanes, within 2 (k / 32 + 3) 2^-24 |x_scale| sum_b |d_b| sum_j |(c_j - 8) xq_j| of
 * bn_matmul_q4_0_q8__ref.
 *
 * Two blocks per 512-bit vector: their sixteen-byte code runs become [lo0 | hi0 | lo1 | hi1] (128-bit
 * lanes, one permute, one variable shift, one mask), the activations' order. vpdpbusd multiplies the
 * unsigned codes c (0..15) by the int8 activations (any value, -128 included) into sixteen int32 lanes
 * that start at minus eight times the lanes' activation sums (the same instruction on the constant 8):
 * the exact lane sums of (c - 8) x. They are converted to float exactly and accumulated times d_b (FMA,
 * the low eight lanes scaled by block b's d, the high eight by block b + 1's); the lanes are summed once
 * per row. An odd last block goes through the same lanes with zero codes and a zero scale.
 *
 * One row after another (m = 1): the matrix is one sequential stream for the hardware prefetchers (see
 * kquant-walk.h for the measurements that chose it). Four activation rows share each decoded pair of blocks
 * of a prompt batch. */
#include "x86-avx512-decode.h"
#include "bn_kquants.h"
#include "../row-groups.h"

#define ACTS 4
_Static_assert(ACTS == 4, "bn_rows_by_act4 (row-groups.h) walks the activation rows in fours");

/* [q0, q0, q1, q1] from [q0, q1]; the second and fourth 128-bit lanes shifted by 4 (the high nibbles) */
static _Alignas(64) const uint64_t k_lanes01[8] = {0, 1, 0, 1, 2, 3, 2, 3};
static _Alignas(64) const uint16_t k_high_nibbles[32] = {0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4,
                                                         0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4};

/* Blocks b (and b + 1 when pair) of row w against activation rows [r0, r0 + T): acc += lanes times d. */
static inline __attribute__((always_inline)) void blocks(const bn_matmul_args* a, const uint8_t* w, int32_t b,
                                                         const int pair, int32_t r0, const int T, __m512* acc) {
    const __m512i m4 = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    const __m512i lanes01 = _mm512_load_si512((const void*)k_lanes01);
    const __m512i high_nibbles = _mm512_load_si512((const void*)k_high_nibbles);
    const uint8_t* b0 = w + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
    const uint8_t* b1 = b0 + BN_Q4_0_BLOCK_BYTES;
    const __m128i q0 = _mm_loadu_si128((const __m128i*)(b0 + 2));
    const __m256i q01 = pair ? _mm256_inserti128_si256(_mm256_castsi128_si256(q0), _mm_loadu_si128((const __m128i*)(b1 + 2)), 1)
                             : _mm256_inserti128_si256(_mm256_castsi128_si256(q0), _mm_setzero_si128(), 1);
    const __m512i c = _mm512_and_si512(_mm512_srlv_epi16(_mm512_permutexvar_epi64(lanes01, _mm512_castsi256_si512(q01)),
                                                         high_nibbles), m4);
    /* an odd last block: zero codes and a zero scale in the high half */
    const uint16_t h0 = (uint16_t)(b0[0] | b0[1] << 8), h1 = pair ? (uint16_t)(b1[0] | b1[1] << 8) : 0;
    const __m512 d = _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16((short)h0)),
                                                             _mm_set1_epi16((short)h1), 1));
    for (int t = 0; t < T; t++) {
        const int8_t* xb = a->xq + (int64_t)(r0 + t) * a->k + 32 * b;
        const __m512i xv = pair ? _mm512_loadu_si512((const void*)xb)
                                : _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_loadu_si256((const __m256i*)xb), 0);
        const __m512i init = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, xv));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_dpbusd_epi32(init, c, xv)), d, acc[t]);
    }
}

static inline __attribute__((always_inline)) void row(const bn_matmul_args* a, int32_t i, int32_t r0, const int T) {
    const int32_t n_blocks = a->k / BN_Q4_0_BLOCK;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    __m512 acc[ACTS];
    for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    int32_t b = 0;
    for (; b + 2 <= n_blocks; b += 2) blocks(a, w, b, 1, r0, T, acc);
    if (b < n_blocks) blocks(a, w, b, 0, r0, T, acc);
    for (int t = 0; t < T; t++)
        a->y[(int64_t)(r0 + t) * a->n + i] = bn_hsum_ps_avx512(acc[t]) * a->x_scales[r0 + t];
}

void bn_matmul_q4_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_rows_by_act4(a, i_begin, i_end, row);
}
