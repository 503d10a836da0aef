/* Helpers shared by the x86 lookup-table (TL1) kernels and their table builders. Included only by
 * files compiled with AVX2 flags or higher (or through SIMDe in the emulated test build).
 *
 * Table format of the x86 kernels (private to the lutbuild-* / matmul-tl1-* pairs of one ISA):
 * per unit u (column pairs 2u and 2u + 1), q8 tables take 64 bytes: the 16-byte tables of the high
 * parts (xh) of pairs 2u and 2u + 1, then those of the low parts (xl); q4 tables take 32 bytes, the
 * two pairs' tables. Entry c of a pair (x0, x1) is w0(c) x0 + w1(c) x1 + 16: biased to 0..32 so
 * that sums of up to seven lookups fit unsigned bytes and widen with vpmaddubsw / vpdpbusd, which
 * multiply unsigned bytes. Entries 9..15 are the bias alone: a corrupt code reads as the zero pair. */
#ifndef BN_LUT_X86_H
#define BN_LUT_X86_H

#include "x86-common.h"

/* Keeps a vector chain in the order written. GCC 12 re-associates `acc = acc + lookup` chains into
 * balanced trees, which keeps every lookup of an unrolled run live at once and spills (measured:
 * the q8 kernel 1.4x slower). An empty asm that "modifies" the accumulator pins the order. */
#if defined(__GNUC__) && !defined(BN_SIMDE)
#  define BN_LUT_KEEP(v) __asm__("" : "+x"(v))
#else
#  define BN_LUT_KEEP(v) ((void)0)
#endif

/* Table entry bias (see above) and the largest biased entry: 7 lookups stay below 256. */
#define BN_LUT_BIAS 16
#define BN_LUT_LOOKUPS_PER_WIDEN 7

/* The pair weights of codes 0..15 (w0 = c / 3 - 1, w1 = c % 3 - 1, zero for c >= 9), the sign
 * patterns vpsignb applies to broadcast activations when building a table. */
#define BN_LUT_W0_PATTERN -1, -1, -1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0
#define BN_LUT_W1_PATTERN -1, 0, 1, -1, 0, 1, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0

/* The split of int8 activations used by q8 tables: x = 16 xh + xl, xl = ((x + 8) mod 16) - 8 in
 * [-8, 7] and xh = (x - xl) / 16 in [-8, 8], so both halves' pair sums (|.| <= 16) fit int8 and
 * 16 * dot(w, xh) + dot(w, xl) = dot(w, x) exactly. */
static inline void bn_lut_split_avx2(__m256i x, __m256i* xh, __m256i* xl) {
    const __m256i eight = _mm256_set1_epi8(8), low4 = _mm256_set1_epi8(15);
    /* byte adds wrap, but only the low four bits of x + 8 matter */
    const __m256i l = _mm256_sub_epi8(_mm256_and_si256(_mm256_add_epi8(x, eight), low4), eight);
    /* (x - xl) / 16 in 16-bit lanes: x - xl can be 128, which int8 cannot hold */
    const __m256i d_lo = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(x)),
                                          _mm256_cvtepi8_epi16(_mm256_castsi256_si128(l)));
    const __m256i d_hi = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(x, 1)),
                                          _mm256_cvtepi8_epi16(_mm256_extracti128_si256(l, 1)));
    /* packs interleaves 128-bit lanes; the permute restores element order */
    const __m256i h = _mm256_packs_epi16(_mm256_srai_epi16(d_lo, 4), _mm256_srai_epi16(d_hi, 4));
    *xh = _mm256_permute4x64_epi64(h, _MM_SHUFFLE(3, 1, 2, 0));
    *xl = l;
}

/* The two biased tables of unit u (0..7) of a vector v of 32 activations (the activations of 8
 * units): lane 0 gets the table of pair 2u (activations 4u, 4u + 1), lane 1 that of pair 2u + 1. */
static inline __m256i bn_lut_unit_table_avx2(__m256i v, int u) {
    const __m256i w0 = _mm256_setr_epi8(BN_LUT_W0_PATTERN, BN_LUT_W0_PATTERN);
    const __m256i w1 = _mm256_setr_epi8(BN_LUT_W1_PATTERN, BN_LUT_W1_PATTERN);
    /* activations 4u .. 4u + 3 (mod 32) sit in 128-bit lane (u % 8) / 4 of v: copy it to both */
    const __m256i half = (u & 4) ? _mm256_permute2x128_si256(v, v, 0x11) : _mm256_permute2x128_si256(v, v, 0x00);
    const int b = 4 * (u & 3);
    const __m256i i0 = _mm256_setr_m128i(_mm_set1_epi8((char)b), _mm_set1_epi8((char)(b + 2)));
    const __m256i i1 = _mm256_setr_m128i(_mm_set1_epi8((char)(b + 1)), _mm_set1_epi8((char)(b + 3)));
    const __m256i x0 = _mm256_shuffle_epi8(half, i0), x1 = _mm256_shuffle_epi8(half, i1);
    return _mm256_add_epi8(_mm256_add_epi8(_mm256_sign_epi8(x0, w0), _mm256_sign_epi8(x1, w1)),
                           _mm256_set1_epi8(BN_LUT_BIAS));
}

/* Maps the 64 int32 partial sums a kernel keeps per (tile, activation row) to the tile's 32 rows.
 * Partial v * 8 + j holds the bytes b = 2 (2j + (v & 1)) + ((v >> 1) & 1) of the lookups of row
 * half v >> 2 (rows 0-15 or 16-31); byte b is tile row 16 (v >> 2) + b % 16 (b < 16: the first pair
 * of a unit, b >= 16: the second). Each row receives exactly two partials. */
static inline void bn_lut_rows_from_partials(const int32_t partial[64], int32_t rows[32]) {
    for (int i = 0; i < 32; i++) rows[i] = 0;
    for (int v = 0; v < 8; v++)
        for (int j = 0; j < 8; j++) {
            const int b = 2 * (2 * j + (v & 1)) + ((v >> 1) & 1);
            rows[16 * (v >> 2) + b % 16] += partial[v * 8 + j];
        }
}

#endif
