/* Lookup tables of one int4 activation row for the AVX2 TL1 kernel (format: lut-x86.h): per unit, the
 * biased tables of its two pairs, straight from the activations (|pair sum| <= 16 fits int8). Also
 * counts activations outside [-8, 7], which the tables cannot represent (the entry point rejects
 * them). */
#include "lut-x86.h"

int32_t bn_lutbuild_tl1_q4__avx2(const int8_t* x, int32_t k, uint8_t* table) {
    const __m256i hi = _mm256_set1_epi8(7), lo = _mm256_set1_epi8(-8);
    int32_t out_of_range = 0;
    for (int32_t j = 0; j < k; j += 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i*)(x + j));
        const __m256i bad = _mm256_or_si256(_mm256_cmpgt_epi8(v, hi), _mm256_cmpgt_epi8(lo, v));
        out_of_range += __builtin_popcount((unsigned)_mm256_movemask_epi8(bad));
        uint8_t* out = table + (int64_t)(j / 4) * 32;
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) _mm256_store_si256((__m256i*)(out + 32 * u), bn_lut_unit_table_avx2(v, u));
    }
    return out_of_range;
}
