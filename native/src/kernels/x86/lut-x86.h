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

/* An empty asm that "modifies" a vector, to steer GCC 12's register allocation in the unrolled
 * lookup loops. On an accumulator it pins the order of `acc = acc + lookup` chains, which GCC
 * otherwise re-associates into balanced trees that keep every lookup of a run live and spill
 * (measured: q8 1.4x slower). On a freshly loaded table or code vector it stops GCC from loading the
 * same 32 bytes again for each use (it rematerializes loads instead of keeping a register: eight
 * loads per unit instead of three made the kernels load-port bound, ~25 % slower). */
#if defined(__GNUC__) && !defined(BN_SIMDE)
#  define BN_LUT_KEEP(v) __asm__("" : "+x"(v))
#else
#  define BN_LUT_KEEP(v) ((void)0)
#endif

/* Prefetches the 224 bytes of codes of seven units at p (four cache lines, the last one partly): the
 * kernels call it once per seven units with p one chunk ahead in the same tile, so codes stream from
 * DRAM at the rate they are consumed. Without it the lookup kernels read DRAM-resident matrices ~30 %
 * slower than the multiply-add kernels, which prefetch the same way. */
#define BN_LUT_PREFETCH_7_UNITS(p)                                                                                     \
    do {                                                                                                               \
        _mm_prefetch((const char*)(p), _MM_HINT_T0);                                                                   \
        _mm_prefetch((const char*)(p) + 64, _MM_HINT_T0);                                                              \
        _mm_prefetch((const char*)(p) + 128, _MM_HINT_T0);                                                             \
        _mm_prefetch((const char*)(p) + 192, _MM_HINT_T0);                                                             \
    } while (0)

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

/* The widening both AVX2 kernels use, and the order of the 64 int32 partial sums it leaves per
 * (tile, activation row). A byte accumulator's byte b (0..31) holds the lookups of tile row b % 16
 * (b < 16: the unit's first pair, b >= 16: its second; rows 16-31 have their own accumulators).
 * vpunpcklbw / vpunpckhbw pair each byte with the matching byte of a second accumulator (the high
 * parts for q8, zero for q4) into int16 lanes: lane L of the "lo" vector is byte L + 8 (L >= 8), of
 * the "hi" vector byte L + 8 + 8 (L >= 8). vpmaddwd then takes the even (sel 0) or odd (sel 1) int16
 * lanes to int32. Partial v * 8 + j, v = half * 4 + which * 2 + sel, is therefore int16 lane
 * L = 2 j + sel of vector `which` (0: lo, 1: hi) of row half `half`: byte b = L + 8 which + 8 (L >= 8),
 * tile row 16 half + b % 16. Each row receives exactly two partials. */

/* That mapping fused with the epilogue y[i] = (float)(dot[i] - bias) * scale for the tile's first
 * `rows` rows, vectorized (a scalar epilogue cost ~10 % of a tile at k = 2560). For each row half and
 * `which`, the even-lane vector holds rows 0, 2, 4, 6 (+ 8 which) in lanes 0-3 and again in lanes 4-7
 * (the unit's two pairs), the odd-lane vector rows 1, 3, 5, 7: fold the halves, interleave even and
 * odd, and eight consecutive rows come out in order. */
static inline void bn_lut_store_rows_avx2(const int32_t partial[64], int32_t bias, float scale, int32_t rows, float* y) {
    const __m128i b = _mm_set1_epi32(bias);
    const __m128 s = _mm_set1_ps(scale);
    for (int g = 0; g < 4; g++) { /* g = 2 * half + which: rows 8 g .. 8 g + 7 */
        const int32_t* p = partial + 16 * g;
        const __m256i even = _mm256_loadu_si256((const __m256i*)p), odd = _mm256_loadu_si256((const __m256i*)(p + 8));
        const __m128i e = _mm_add_epi32(_mm256_castsi256_si128(even), _mm256_extracti128_si256(even, 1));
        const __m128i o = _mm_add_epi32(_mm256_castsi256_si128(odd), _mm256_extracti128_si256(odd, 1));
        const __m128 r0 = _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_unpacklo_epi32(e, o), b)), s);
        const __m128 r1 = _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm_unpackhi_epi32(e, o), b)), s);
        const int32_t first = 8 * g;
        if (first + 8 <= rows) {
            _mm_storeu_ps(y + first, r0);
            _mm_storeu_ps(y + first + 4, r1);
        } else if (first < rows) {
            float tmp[8];
            _mm_storeu_ps(tmp, r0);
            _mm_storeu_ps(tmp + 4, r1);
            for (int32_t i = first; i < rows; i++) y[i] = tmp[i - first];
        }
    }
}

/* partial[8 * (2 * which + sel) + j] += the sel (even/odd) int16 lanes of lo (which 0) and hi (which
 * 1) as int32, for one row half (partial points at its 32 sums). The sums live in memory, not in
 * registers: kept in registers across a chunk they crowd out the lookup temporaries and GCC then
 * reloads tables inside the unrolled loop. */
static inline void bn_lut_flush_avx2(__m256i lo, __m256i hi, int32_t* partial) {
    const __m256i even32 = _mm256_set1_epi32(1), odd32 = _mm256_set1_epi32(1 << 16);
    const __m256i add[4] = {_mm256_madd_epi16(lo, even32), _mm256_madd_epi16(lo, odd32), _mm256_madd_epi16(hi, even32),
                            _mm256_madd_epi16(hi, odd32)};
    for (int v = 0; v < 4; v++) {
        __m256i* p = (__m256i*)(partial + 8 * v);
        _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), add[v]));
    }
}

/* The AVX-512 kernels' epilogue: y of tile t for activation row r from its 128 partial sums, bias
 * (per pair, times the pairs of k) removed. Partial v * 16 + j (v = half * 4 + q) holds byte
 * b = 4 j + q of row half `half`'s lookups: tile row 16 half + b % 16 (the four 128-bit lanes are
 * four pairs of the same rows). */
static inline void bn_lut_store_partials128(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial,
                                            int32_t bias) {
    int32_t dots[BN_TL1_ROW_TILE] = {0};
    for (int v = 0; v < 8; v++)
        for (int j = 0; j < 16; j++) dots[16 * (v >> 2) + (4 * j + (v & 3)) % 16] += partial[v * 16 + j];
    const float scale = a->x_scales[r] * a->w_scale;
    const int32_t rows = a->n - t * BN_TL1_ROW_TILE < BN_TL1_ROW_TILE ? a->n - t * BN_TL1_ROW_TILE : BN_TL1_ROW_TILE;
    float* y = a->y + (int64_t)r * a->n + (int64_t)t * BN_TL1_ROW_TILE;
    for (int32_t i = 0; i < rows; i++) y[i] = (float)(dots[i] - bias) * scale;
}

/* The int4 tables of one activation row (k a multiple of 32): per unit the biased tables of its two pairs,
 * straight from the activations (|pair sum| <= 16 fits int8); returns how many activations lie outside [-8, 7],
 * which the tables cannot represent. AVX2 instructions, for the AVX2 and AVX-512 kernels alike (AVX-512 has no
 * vpsignb, and 32 bytes per unit already give a zmm its four lanes' tables). */
static inline __attribute__((always_inline)) int32_t bn_lutbuild_tl1_q4_avx2(const int8_t* x, int32_t k,
                                                                             uint8_t* table) {
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

#endif
