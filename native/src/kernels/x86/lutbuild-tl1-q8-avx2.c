/* Lookup tables of one int8 activation row for the AVX2 TL1 kernel (format: lut-x86.h): per unit of
 * four activations, the biased nine-entry tables of the high and low parts of its two pairs. Eight
 * units come from one 32-activation vector; a table costs two broadcasts (pshufb), two vpsignb and
 * two adds, about 1 % of the lookups it serves at 2B-4T shapes. */
#include "lut-x86.h"

int32_t bn_lutbuild_tl1_q8__avx2(const int8_t* x, int32_t k, uint8_t* table) {
    for (int32_t j = 0; j < k; j += 32) {
        __m256i xh, xl;
        bn_lut_split_avx2(_mm256_loadu_si256((const __m256i*)(x + j)), &xh, &xl);
        uint8_t* out = table + (int64_t)(j / 4) * 64;
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) {
            _mm256_store_si256((__m256i*)(out + 64 * u), bn_lut_unit_table_avx2(xh, u));
            _mm256_store_si256((__m256i*)(out + 64 * u + 32), bn_lut_unit_table_avx2(xl, u));
        }
    }
    return 0;
}
