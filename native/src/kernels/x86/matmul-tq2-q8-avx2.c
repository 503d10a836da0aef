/* TQ2_0 x int8 matmul, AVX2, on the shared walk of tq2-walk-x86.h (bit-exact with bn_matmul_tq2_q8__ref).
 *
 * Layout (llama.cpp TQ2_0): block = qs[64] + fp16 d (66 bytes, so rows and blocks are unaligned).
 * Byte m of 32-byte half h holds the codes of weights 128h + m + 32n at bits 2n..2n+1, so
 * (qs >> 2n) & 3 is a 32-byte vector of codes in activation order for activations 128h + 32n.
 * Codes c in {0,1,2} (w = c - 1) multiply unsigned-by-signed with maddubs.
 *
 * Overflow bounds (any code 0..3, any int8 including -128): a maddubs lane is c0 x0 + c1 x1 with
 * |.| <= 2 * 3 * 128 = 768 (no saturation); one block adds eight of them per int16 lane (6144).
 * Every block is widened to int32 on its own, since each needs its own exact dot. */
#include "x86-common.h"

/* int32 lanes of sum_j c_j x_j over one whole block, for the m = 1 path where ALU throughput decides.
 * One shift and four ands per half instead of three and four: with t = qs >> 4 (16-bit shift; the
 * masks keep only bits from the same byte), qs & 3 = c(m), qs & 0x0C = 4 c(m+32), t & 3 = c(m+64),
 * t & 0x0C = 4 c(m+96). The unscaled products go to a, the scaled ones to s4, whose lanes are
 * multiples of 4 (|s4| <= 4 * 3072, |a| <= 3072 per block), so a + (s4 >> 2) is exact and fits. */
static inline __m256i tq2_block_dot(const uint8_t* block, const int8_t* x) {
    const __m256i m3 = _mm256_set1_epi8(3), mc = _mm256_set1_epi8(0x0c);
    __m256i a = _mm256_setzero_si256(), s4 = a;
    for (int h = 0; h < 2; h++) {
        const __m256i p = _mm256_loadu_si256((const __m256i*)(block + 32 * h));
        const __m256i t = _mm256_srli_epi16(p, 4);
        const int8_t* xh = x + 128 * h;
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(_mm256_and_si256(p, m3), _mm256_loadu_si256((const __m256i*)xh)));
        s4 = _mm256_add_epi16(s4, _mm256_maddubs_epi16(_mm256_and_si256(p, mc),
                                                        _mm256_loadu_si256((const __m256i*)(xh + 32))));
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(_mm256_and_si256(t, m3),
                                                      _mm256_loadu_si256((const __m256i*)(xh + 64))));
        s4 = _mm256_add_epi16(s4, _mm256_maddubs_epi16(_mm256_and_si256(t, mc),
                                                        _mm256_loadu_si256((const __m256i*)(xh + 96))));
    }
    return _mm256_madd_epi16(_mm256_add_epi16(a, _mm256_srai_epi16(s4, 2)), _mm256_set1_epi16(1));
}

/* Block b of one weight row against four activation rows: each half's four code fields are decoded once. */
static inline __attribute__((always_inline)) void tq2_block_dots4(const uint8_t* block, const int8_t* const x[4],
                                                                  int32_t b, __m256i part[4]) {
    const __m256i mask = _mm256_set1_epi8(3), ones16 = _mm256_set1_epi16(1);
    __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int h = 0; h < 2; h++) {
        __m256i packed = _mm256_loadu_si256((const __m256i*)(block + 32 * h));
        __m256i c[4] = {_mm256_and_si256(packed, mask), _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask),
                        _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask),
                        _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask)};
        for (int r = 0; r < 4; r++) {
            const int8_t* xh = x[r] + (int64_t)b * BN_TQ_BLOCK + 128 * h;
            __m256i p0 = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i*)(xh + 0)));
            __m256i p1 = _mm256_maddubs_epi16(c[1], _mm256_loadu_si256((const __m256i*)(xh + 32)));
            __m256i p2 = _mm256_maddubs_epi16(c[2], _mm256_loadu_si256((const __m256i*)(xh + 64)));
            __m256i p3 = _mm256_maddubs_epi16(c[3], _mm256_loadu_si256((const __m256i*)(xh + 96)));
            s[r] = _mm256_add_epi16(s[r], _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3)));
        }
    }
    for (int r = 0; r < 4; r++) part[r] = _mm256_madd_epi16(s[r], ones16);
}

#include "tq2-walk-x86.h"

void bn_matmul_tq2_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { tq2_matmul(a, i_begin, i_end); }
