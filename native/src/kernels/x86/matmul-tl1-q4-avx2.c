/* TL1 x int4 matmul with lookup tables, AVX2. Bit-exact with bn_matmul_tl1_q4__ref.
 *
 * The q8 kernel's loop (matmul-tl1-q8-avx2.c) with one table per pair instead of two: int4 pair
 * sums fit the table bytes directly, so a unit costs two vpshufb and two byte adds per 128 weights,
 * about 60 % of the q8 work. This is where BitNet a4.8's 4-bit activations pay on a CPU.
 *
 * Bounds: seven biased lookups (0..32 each) sum to at most 224 in an unsigned byte; vpmaddubsw
 * widens even and odd bytes to int16 lanes (<= 224 per widening), so a chunk of 112 units (16
 * widenings, <= 3584) cannot overflow them; vpmaddwd moves them to int32 partial sums
 * (<= 32 * k / 2 < 2^31). The bias, 16 per pair, comes off at the end: dot = sum - 8 k. */
#include "lut-x86.h"

#include <string.h>

#define UNITS_PER_CHUNK 112
#define TILE_GROUP 8
#define ROW_BLOCK 4

#define BN_TL1_Q4_UNIT(wp, tp)                                                                                         \
    do {                                                                                                               \
        const __m256i v_ = _mm256_loadu_si256((const __m256i*)(wp));                                                   \
        const __m256i t_ = _mm256_load_si256((const __m256i*)(tp));                                                    \
        l0 = _mm256_add_epi8(l0, _mm256_shuffle_epi8(t_, _mm256_and_si256(v_, nibble)));                               \
        l1 = _mm256_add_epi8(l1, _mm256_shuffle_epi8(t_, _mm256_and_si256(_mm256_srli_epi16(v_, 4), nibble)));         \
        BN_LUT_KEEP(l0);                                                                                               \
        BN_LUT_KEEP(l1);                                                                                               \
    } while (0)

/* partial[64] += the lookups of `units` (<= UNITS_PER_CHUNK) units of one tile against one activation
 * row's tables, in the order bn_lut_rows_from_partials reads. */
static inline void chunk(const uint8_t* w, const uint8_t* tab, int32_t units, int32_t* partial) {
    const __m256i nibble = _mm256_set1_epi8(15);
    const __m256i by1_even = _mm256_set1_epi16(1), by1_odd = _mm256_set1_epi16(1 << 8);
    __m256i e0 = _mm256_setzero_si256(), o0 = e0, e1 = e0, o1 = e0;
    for (int32_t u = 0; u < units;) {
        __m256i l0 = _mm256_setzero_si256(), l1 = l0;
        if (units - u >= BN_LUT_LOOKUPS_PER_WIDEN) {
#pragma GCC unroll 7
            for (int s = 0; s < BN_LUT_LOOKUPS_PER_WIDEN; s++)
                BN_TL1_Q4_UNIT(w + (int64_t)(u + s) * 32, tab + (int64_t)(u + s) * 32);
            u += BN_LUT_LOOKUPS_PER_WIDEN;
        } else {
            for (; u < units; u++) BN_TL1_Q4_UNIT(w + (int64_t)u * 32, tab + (int64_t)u * 32);
        }
        e0 = _mm256_add_epi16(e0, _mm256_maddubs_epi16(l0, by1_even));
        o0 = _mm256_add_epi16(o0, _mm256_maddubs_epi16(l0, by1_odd));
        e1 = _mm256_add_epi16(e1, _mm256_maddubs_epi16(l1, by1_even));
        o1 = _mm256_add_epi16(o1, _mm256_maddubs_epi16(l1, by1_odd));
    }
    const __m256i even32 = _mm256_set1_epi32(1), odd32 = _mm256_set1_epi32(1 << 16);
    const __m256i acc16[4] = {e0, o0, e1, o1};
    for (int a = 0; a < 4; a++) {
        __m256i* p = (__m256i*)(partial + 16 * a);
        _mm256_storeu_si256(p, _mm256_add_epi32(_mm256_loadu_si256(p), _mm256_madd_epi16(acc16[a], even32)));
        _mm256_storeu_si256(p + 1, _mm256_add_epi32(_mm256_loadu_si256(p + 1), _mm256_madd_epi16(acc16[a], odd32)));
    }
}

void bn_matmul_tl1_q4__avx2(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end) {
    const int32_t k = a->k, units = k / 4;
    const int64_t tile_bytes = BN_TL1_TILE_BYTES(k);
    const int32_t bias = BN_LUT_BIAS * (k / 2); /* 16 per pair */
    int32_t partial[TILE_GROUP][ROW_BLOCK][64];
    for (int32_t g0 = tile_begin; g0 < tile_end; g0 += TILE_GROUP) {
        const int32_t g1 = tile_end - g0 < TILE_GROUP ? tile_end : g0 + TILE_GROUP;
        for (int32_t r0 = 0; r0 < a->m; r0 += ROW_BLOCK) {
            const int32_t r1 = a->m - r0 < ROW_BLOCK ? a->m : r0 + ROW_BLOCK;
            memset(partial, 0, sizeof partial);
            for (int32_t u0 = 0; u0 < units; u0 += UNITS_PER_CHUNK) {
                const int32_t cu = units - u0 < UNITS_PER_CHUNK ? units - u0 : UNITS_PER_CHUNK;
                for (int32_t t = g0; t < g1; t++)
                    for (int32_t r = r0; r < r1; r++)
                        chunk(a->w + t * tile_bytes + (int64_t)u0 * 32, a->tables + r * a->table_bytes + (int64_t)u0 * 32,
                              cu, partial[t - g0][r - r0]);
            }
            for (int32_t t = g0; t < g1; t++)
                for (int32_t r = r0; r < r1; r++) {
                    int32_t dots[BN_LUT_ROW_TILE];
                    bn_lut_rows_from_partials(partial[t - g0][r - r0], dots);
                    const float scale = a->x_scales[r] * a->w_scale;
                    const int32_t rows = a->n - t * BN_LUT_ROW_TILE < BN_LUT_ROW_TILE ? a->n - t * BN_LUT_ROW_TILE
                                                                                      : BN_LUT_ROW_TILE;
                    float* y = a->y + (int64_t)r * a->n + (int64_t)t * BN_LUT_ROW_TILE;
                    for (int32_t i = 0; i < rows; i++) y[i] = (float)(dots[i] - bias) * scale;
                }
        }
    }
}
