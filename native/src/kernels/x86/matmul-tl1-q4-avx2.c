/* TL1 x int4 matmul with lookup tables, AVX2. Bit-exact with bn_matmul_tl1_q4__ref.
 *
 * The q8 kernel (matmul-tl1-q8-avx2.c) with one table per pair instead of two: int4 pair sums fit
 * the table bytes directly, so a unit costs two vpshufb and two byte adds per 128 weights, about 60 %
 * of the q8 work. This is where BitNet a4.8's 4-bit activations pay on a CPU.
 *
 * Bounds: seven biased lookups (0..32 each) sum to at most 224 in an unsigned byte; vpunpck{l,h}bw
 * with zero widens the bytes to int16 lanes (<= 224 per widening), so a chunk of 112 units (16
 * widenings, <= 3584) cannot overflow them; vpmaddwd moves them to int32 sums (<= 32 k / 2 < 2^31).
 * The bias, 16 per pair, comes off at the end: dot = sum - 8 k. Partial sums are ordered as in the
 * q8 kernel (lut-x86.h), loop order and tiling are the same (chunks of 112 units: 3.5 KB of tables
 * per row). */
#include "lut-x86.h"
#include "../lut-walk.h"


#define UNITS_PER_CHUNK 112
#define TILE_GROUP 8
/* One activation row: groups of 4 tiles (see "Loop order"). */
#define GEMV_TILE_GROUP 4
#define ROW_BLOCK 4

/* One unit: codes at wp, the unit's 32 bytes of tables at tp, into the two byte accumulators. */
#define BN_TL1_Q4_UNIT(wp, tp)                                                                                         \
    do {                                                                                                               \
        __m256i c_ = _mm256_loadu_si256((const __m256i*)(wp));                                                         \
        __m256i t_ = _mm256_load_si256((const __m256i*)(tp));                                                          \
        BN_LUT_KEEP(c_); /* loaded once: see BN_LUT_KEEP */                                                            \
        BN_LUT_KEEP(t_);                                                                                               \
        l0 = _mm256_add_epi8(l0, _mm256_shuffle_epi8(t_, _mm256_and_si256(c_, nibble)));                               \
        l1 = _mm256_add_epi8(l1, _mm256_shuffle_epi8(t_, _mm256_and_si256(_mm256_srli_epi16(c_, 4), nibble)));         \
        BN_LUT_KEEP(l0);                                                                                               \
        BN_LUT_KEEP(l1);                                                                                               \
    } while (0)

/* Units [u, end) (end - u <= 7, unrolled when 7), then widened into a0 b0 (rows 0-15), a1 b1. */
#define BN_TL1_Q4_RUN(w, tab, pf, u, end)                                                                                  \
    do {                                                                                                               \
        __m256i l0 = _mm256_setzero_si256(), l1 = l0;                                                                  \
        if ((end) - (u) == BN_LUT_LOOKUPS_PER_WIDEN) {                                                                 \
            BN_LUT_PREFETCH_7_UNITS((pf) + (int64_t)(u) * 32);                                                         \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32, (tab) + (int64_t)(u) * 32);                                        \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 32, (tab) + (int64_t)(u) * 32 + 32);                              \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 64, (tab) + (int64_t)(u) * 32 + 64);                              \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 96, (tab) + (int64_t)(u) * 32 + 96);                              \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 128, (tab) + (int64_t)(u) * 32 + 128);                            \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 160, (tab) + (int64_t)(u) * 32 + 160);                            \
            BN_TL1_Q4_UNIT((w) + (int64_t)(u) * 32 + 192, (tab) + (int64_t)(u) * 32 + 192);                            \
        } else {                                                                                                       \
            for (int32_t i_ = (u); i_ < (end); i_++) BN_TL1_Q4_UNIT((w) + (int64_t)i_ * 32, (tab) + (int64_t)i_ * 32);  \
        }                                                                                                              \
        a0 = _mm256_add_epi16(a0, _mm256_unpacklo_epi8(l0, zero));                                                    \
        b0 = _mm256_add_epi16(b0, _mm256_unpackhi_epi8(l0, zero));                                                    \
        a1 = _mm256_add_epi16(a1, _mm256_unpacklo_epi8(l1, zero));                                                    \
        b1 = _mm256_add_epi16(b1, _mm256_unpackhi_epi8(l1, zero));                                                    \
    } while (0)

/* partial[64] += units [0, units) (at most UNITS_PER_CHUNK) of one tile (codes w) against one
 * activation row's tables for the same units (tab), in the order bn_lut_store_rows_avx2 reads. */
static void chunk(const uint8_t* w, const uint8_t* tab, int32_t units, int32_t* partial, const uint8_t* pf) {
    const __m256i nibble = _mm256_set1_epi8(15), zero = _mm256_setzero_si256();
    __m256i a0 = zero, b0 = zero, a1 = zero, b1 = zero;
    for (int32_t u = 0; u < units; u += BN_LUT_LOOKUPS_PER_WIDEN) {
        const int32_t end = units - u < BN_LUT_LOOKUPS_PER_WIDEN ? units : u + BN_LUT_LOOKUPS_PER_WIDEN;
        BN_TL1_Q4_RUN(w, tab, pf, u, end);
    }
    bn_lut_flush_avx2(a0, b0, partial);
    bn_lut_flush_avx2(a1, b1, partial + 32);
}

/* y for tile t, activation row r, from its 64 partial sums. */
static void store_rows(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial) {
    const int32_t bias = BN_LUT_BIAS * (a->k / 2) /* 16 per pair */;
    const int32_t rows = a->n - t * BN_TL1_ROW_TILE < BN_TL1_ROW_TILE ? a->n - t * BN_TL1_ROW_TILE : BN_TL1_ROW_TILE;
    bn_lut_store_rows_avx2(partial, bias, a->x_scales[r] * a->w_scale, rows,
                           a->y + (int64_t)r * a->n + (int64_t)t * BN_TL1_ROW_TILE);
}

void bn_matmul_tl1_q4__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 1, 32, 64, GEMV_TILE_GROUP, TILE_GROUP, ROW_BLOCK, chunk, store_rows);
}
