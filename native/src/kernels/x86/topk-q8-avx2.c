/* Top-K of int8 rows (bitnative.h), AVX2: the reference's histogram, then its keep / zero pass on 32
 * values at a time. |x| > L survives, |x| == L survives for the first `need` such columns (their bits
 * walked in column order), everything else becomes 0. |-128| reads as 128 (an unsigned byte). */
#include "x86-common.h"

static inline __attribute__((always_inline)) void pass(int8_t* x, int32_t k, int32_t level, int32_t need) {
    /* unsigned compare a > level as max(a, level + 1) == a; level + 1 = 129 keeps nothing above */
    const __m256i lv = _mm256_set1_epi8((char)level);
    const __m256i lv1 = _mm256_set1_epi8((char)(level + 1));
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i*)(x + j));
        const __m256i a = _mm256_abs_epi8(v);
        __m256i keepm = level >= 128 ? _mm256_setzero_si256() : _mm256_cmpeq_epi8(_mm256_max_epu8(a, lv1), a);
        if (need > 0) {
            uint32_t eq = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, lv));
            uint32_t take = 0;
            while (eq && need > 0) {
                const uint32_t low = eq & (0u - eq);
                take |= low;
                eq ^= low;
                need--;
            }
            if (take) {
                const __m256i bytes = _mm256_shuffle_epi8(
                    _mm256_set1_epi32((int32_t)take),
                    _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3,
                                     3, 3, 3, 3));
                const __m256i bits = _mm256_set1_epi64x((int64_t)0x8040201008040201ull);
                keepm = _mm256_or_si256(keepm, _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bits), bits));
            }
        }
        _mm256_storeu_si256((__m256i*)(x + j), _mm256_and_si256(v, keepm));
    }
    bn_topk_pass__ref(x, j, k, level, &need);
}

void bn_topk_q8__avx2(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end) {
    bn_topk_walk(xq, k, keep, r_begin, r_end, pass);
}
