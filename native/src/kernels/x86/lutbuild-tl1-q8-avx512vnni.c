/* Lookup tables of one int8 activation row for the AVX-512 TL1 kernel. The entries are the x86
 * format's (lut-x86.h: biased nine-entry pair tables of the split x = 16 xh + xl), built with AVX2
 * instructions (AVX-512 has no vpsignb), but ordered for 512-bit lookups: per two units (u, u + 1),
 * 128 bytes = the high-part tables of pairs 2u .. 2u + 3, then their low-part tables, so one aligned
 * 64-byte load gives the four tables of a zmm's four 128-bit lanes. */
#include "lut-x86.h"

int32_t bn_lutbuild_tl1_q8__avx512vnni(const int8_t* x, int32_t k, uint8_t* table) {
    for (int32_t j = 0; j < k; j += 32) {
        __m256i xh, xl;
        bn_lut_split_avx2(_mm256_loadu_si256((const __m256i*)(x + j)), &xh, &xl);
        uint8_t* out = table + (int64_t)(j / 4) * 64; /* 8 units = 4 unit pairs of 128 bytes */
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) {
            uint8_t* pair = out + 128 * (u / 2) + 32 * (u % 2);
            _mm256_store_si256((__m256i*)pair, bn_lut_unit_table_avx2(xh, u));
            _mm256_store_si256((__m256i*)(pair + 64), bn_lut_unit_table_avx2(xl, u));
        }
    }
    return 0;
}
