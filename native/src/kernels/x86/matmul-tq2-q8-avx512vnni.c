/* TQ2_0 x int8 matmul, AVX-512 VNNI (F/BW/VL/VNNI), on the shared walk of tq2-walk-x86.h (bit-exact with
 * bn_matmul_tq2_q8__ref).
 *
 * vpdpbusd multiplies unsigned codes c in {0,1,2} (w = c - 1) by signed int8 activations, adding
 * groups of four products into int32 lanes.
 *
 * Decode without rearranging activations: byte m of 32-byte half h holds the codes of activations
 * 128h + m + 32n at bits 2n..2n+1. The half is broadcast to both 256-bit halves of a zmm; with
 * t = p >> 4 (16-bit shift; the masks keep only bits that come from the same byte):
 *   z1 = p & [0x03 | 0x0C] = [c(m) | 4 c(m+32)]     pairs with x[128h + 0..64),
 *   z2 = t & [0x03 | 0x0C] = [c(m+64) | 4 c(m+96)]  pairs with x[128h + 64..128),
 * so activations are contiguous 64-byte loads. The high 256-bit half of an accumulator sums codes
 * scaled by 4 and is divided by 4 (exact: every term is a multiple of 4) before the horizontal sum.
 * Bounds: a block adds at most 16 products of |4 c x| <= 1536 to one lane; nothing comes close to
 * 2^31. */
#include "x86-common.h"

/* [0x03 x 32 | 0x0C x 32]: the decode masks of the low and high halves. */
static inline __m512i decode_mask(void) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(0x03)), _mm256_set1_epi8(0x0c), 1);
}

/* The eight int32 partial sums of sum c x of one block from its accumulator (high half / 4). */
static inline __m256i unscale(__m512i acc) {
    return _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm256_srai_epi32(_mm512_extracti64x4_epi64(acc, 1), 2));
}

/* Lanes of sum c x over one block of one weight row against activations xb[0..256). */
static inline __m256i tq2_block_dot(const uint8_t* block, const int8_t* xb) {
    const __m512i mask = decode_mask();
    __m512i acc = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++) {
        __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(block + 32 * h)));
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(p, mask), _mm512_loadu_si512((const void*)(xb + 128 * h)));
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(p, 4), mask),
                                  _mm512_loadu_si512((const void*)(xb + 128 * h + 64)));
    }
    return unscale(acc);
}

/* Block b of one weight row against four activation rows: the block is decoded once. */
static inline __attribute__((always_inline)) void tq2_block_dots4(const uint8_t* block, const int8_t* const x[4],
                                                                  int32_t b, __m256i part[4]) {
    const __m512i mask = decode_mask();
    const __m512i p0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)block));
    const __m512i p1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(block + 32)));
    const __m512i z[4] = {_mm512_and_si512(p0, mask), _mm512_and_si512(_mm512_srli_epi16(p0, 4), mask),
                          _mm512_and_si512(p1, mask), _mm512_and_si512(_mm512_srli_epi16(p1, 4), mask)};
    for (int r = 0; r < 4; r++) {
        const int8_t* xb = x[r] + (int64_t)b * BN_TQ_BLOCK;
        __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), z[0], _mm512_loadu_si512((const void*)xb));
        s = _mm512_dpbusd_epi32(s, z[1], _mm512_loadu_si512((const void*)(xb + 64)));
        s = _mm512_dpbusd_epi32(s, z[2], _mm512_loadu_si512((const void*)(xb + 128)));
        s = _mm512_dpbusd_epi32(s, z[3], _mm512_loadu_si512((const void*)(xb + 192)));
        part[r] = unscale(s);
    }
}

#include "tq2-walk-x86.h"

void bn_matmul_tq2_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    tq2_matmul(a, i_begin, i_end);
}
