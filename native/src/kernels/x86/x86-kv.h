/* Decoding the quantized KV-cache blocks (bitnative.h, "Quantized KV cache") with AVX2, for the
 * attention kernels of every x86 ISA. Included only by files compiled with AVX2 flags or higher. */
#ifndef BN_X86_KV_H
#define BN_X86_KV_H

#include "x86-common.h"

/* The 32 codes c of one group of a block's code bytes, as int8 in value order. */
static inline __attribute__((always_inline)) __m256i bn_kv_decode32_avx2(const uint8_t* group, bn_kv_type type) {
    if (type == BN_KV_Q8) return _mm256_loadu_si256((const __m256i*)group);
    if (type == BN_KV_Q4) {
        const __m128i b = _mm_loadu_si128((const __m128i*)group), mask = _mm_set1_epi8(0x0F);
        const __m128i lo = _mm_and_si128(b, mask), hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
        return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
    }
    /* q3: byte 8 s + b of the low plane shifted right by 2 s holds value 8 s + b's low bits; the high
     * bit of value i is bit i % 8 of high byte i / 8, spread to byte i by a shuffle and a bit test */
    int64_t low_plane;
    int32_t high_plane;
    memcpy(&low_plane, group, 8);
    memcpy(&high_plane, group + 8, 4);
    const __m256i low = _mm256_and_si256(
        _mm256_srlv_epi64(_mm256_set1_epi64x(low_plane), _mm256_setr_epi64x(0, 2, 4, 6)), _mm256_set1_epi8(3));
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(high_plane),
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bits = _mm256_set1_epi64x((int64_t)0x8040201008040201ull);
    const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bits), bits), _mm256_set1_epi8(4));
    return _mm256_sub_epi8(_mm256_or_si256(low, high), _mm256_set1_epi8(4));
}

/* out[j] = d * c_j for the hd values of one block (hd a multiple of 32). */
static inline __attribute__((always_inline)) void bn_kv_decode_row_avx2(const uint8_t* block, bn_kv_type type,
                                                                         int32_t hd, float* out) {
    const __m256 d = _mm256_set1_ps(bn_kv_scale(block));
    const uint8_t* codes = block + 4;
    const int32_t group_bytes = type == BN_KV_Q8 ? 32 : type == BN_KV_Q4 ? 16 : 12;
    for (int32_t g = 0; g < hd / BN_KV_GROUP; g++) {
        const __m256i c = bn_kv_decode32_avx2(codes + g * group_bytes, type);
        const __m128i lo = _mm256_castsi256_si128(c), hi = _mm256_extracti128_si256(c, 1);
        float* o = out + g * BN_KV_GROUP;
        _mm256_storeu_ps(o, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo))));
        _mm256_storeu_ps(o + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)))));
        _mm256_storeu_ps(o + 16, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi))));
        _mm256_storeu_ps(o + 24, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)))));
    }
}

#endif /* BN_X86_KV_H */
