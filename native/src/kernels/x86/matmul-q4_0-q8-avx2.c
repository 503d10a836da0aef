/* Q4_0 matrix x int8 activation rows, AVX2, with the numerics bitnative.h states for Q8_0 and Q4_0: each
 * 32-weight block's dot product exact in int32 lanes, the float sum over blocks in SIMD lanes, within
 * 2 (k / 32 + 3) 2^-24 |x_scale| sum_b |d_b| sum_j |(c_j - 8) xq_j| of bn_matmul_q4_0_q8__ref.
 *
 * A block's sixteen bytes become 32 codes c (0..15: low nibbles in the low 128-bit lane, high nibbles in
 * the high one, the activations' order). vpsignb moves each activation's sign onto c - 8 (in [-8, 7]) and
 * vpmaddubsw multiplies that by |x| (unsigned, 128 for -128, so every int8 works) into int16 pair sums of
 * at most 2 * 128 * 8 = 2048; vpmaddwd with ones gives eight int32 lanes, converted to float exactly and
 * accumulated lane-wise times d_b (FMA); the lanes are summed once per row. Four activation rows share
 * each decoded block of a prompt batch.
 *
 * One row after another (m = 1): the matrix is one sequential stream for the hardware prefetchers (see
 * kquant-walk.h for the measurements that chose it). */
#include "x86-decode.h"
#include "bn_kquants.h"
#include "../row-groups.h"

/* Activation rows whose results one pass over a weight row computes. */
#define ACTS 4
_Static_assert(ACTS == 4, "bn_rows_by_act4 (row-groups.h) walks the activation rows in fours");

static inline __attribute__((always_inline)) void row(const bn_matmul_args* a, int32_t i, int32_t r0, const int T) {
    const int32_t n_blocks = a->k / BN_Q4_0_BLOCK;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    const __m256i m4 = _mm256_set1_epi8(0x0f), eight = _mm256_set1_epi8(8), ones = _mm256_set1_epi16(1);
    __m256 acc[ACTS];
    for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_ps();
    for (int32_t b = 0; b < n_blocks; b++) {
        const uint8_t* blk = w + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
        const __m128i q = _mm_loadu_si128((const __m128i*)(blk + 2));
        const __m256i c = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1), m4);
        const __m256i cm8 = _mm256_sub_epi8(c, eight);
        const __m256 d = _mm256_cvtph_ps(_mm_set1_epi16((short)(blk[0] | blk[1] << 8)));
        for (int t = 0; t < T; t++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i*)(a->xq + (int64_t)(r0 + t) * a->k + 32 * b));
            const __m256i p = _mm256_maddubs_epi16(_mm256_abs_epi8(xv), _mm256_sign_epi8(cm8, xv));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones)), d, acc[t]);
        }
    }
    for (int t = 0; t < T; t++)
        a->y[(int64_t)(r0 + t) * a->n + i] = bn_hsum_ps_avx2(acc[t]) * a->x_scales[r0 + t];
}

void bn_matmul_q4_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_rows_by_act4(a, i_begin, i_end, row);
}
