/* Q8_0 matrix x int8 activation rows, AVX-512 VNNI (the 8-bit output head).
 *
 * As matmul-q8_0-q8-avx2.c, one 32-weight block per zmm: both operands sign-extended to int16
 * (exact for every int8, -128 included; vpdpbusd would need the unsigned-times-signed trick that
 * breaks at -128), vpdpwssd into zero to 16 int32 pair sums, converted to float and accumulated
 * lane-wise times the block scale. Four weight rows share each widened activation
 * block; each (row, token) result has the same operations in every tile. The first token's pass
 * prefetches the next group of four rows as one stream, as the AVX2 kernel does (without it: 8.5
 * against AVX2's 18.5 GB/s from DRAM on Zen 4). */
#include "x86-avx512-decode.h"

static inline __attribute__((always_inline)) void tile(const bn_matmul_args* a, int32_t i0, const int R, int32_t r,
                                                       const uint8_t* next) {
    const int32_t n_blocks = a->k / BN_Q8_0_BLOCK;
    const int8_t* x = a->xq + (int64_t)r * a->k;
    const uint8_t* w[4];
    __m512 acc[4];
    for (int i = 0; i < R; i++) {
        w[i] = a->w + (int64_t)(i0 + i) * a->row_bytes;
        acc[i] = _mm512_setzero_ps();
    }
    for (int32_t b = 0; b < n_blocks; b++) {
        const __m512i xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)(x + 32 * b)));
        if (next) bn_prefetch_bytes(next + (int64_t)b * R * BN_Q8_0_BLOCK_BYTES, R * BN_Q8_0_BLOCK_BYTES);
        for (int i = 0; i < R; i++) {
            const uint8_t* blk = w[i] + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
            const __m512i wv = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i*)(blk + 2)));
            const __m512 d = _mm512_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(blk[0] | (blk[1] << 8))));
            const __m512i dot = _mm512_dpwssd_epi32(_mm512_setzero_si512(), wv, xv);
            acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), d, acc[i]);
        }
    }
    for (int i = 0; i < R; i++) a->y[(int64_t)r * a->n + i0 + i] = bn_hsum_ps_avx512(acc[i]) * a->x_scales[r];
}

void bn_matmul_q8_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) {
        const uint8_t* next = i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL;
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 4, r, r == 0 ? next : NULL);
    }
    for (; i < i_end; i++)
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 1, r, NULL);
}
