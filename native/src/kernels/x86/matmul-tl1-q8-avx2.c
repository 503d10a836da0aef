/* TL1 x int8 matmul with lookup tables, AVX2. Bit-exact with bn_matmul_tl1_q8__ref.
 *
 * Per unit (32 rows x 4 columns, 32 bytes of pair codes): the low nibbles index the tables of the
 * unit's two pairs for tile rows 0-15 (lane 0: pair 2u, lane 1: pair 2u + 1), the high nibbles for
 * rows 16-31. Each index vector is looked up in the high-part and the low-part tables (x = 16 xh +
 * xl, see lut-x86.h): four vpshufb and four byte adds per 128 weights, no multiplications.
 *
 * Accumulation and its bounds. Biased entries are 0..32, so seven lookups sum to at most 224 in an
 * unsigned byte. Then vpunpck{l,h}bw pairs each low-part byte with its high-part byte, and
 * vpmaddubsw with [1, 16] turns each pair into l + 16 h in an int16 lane: at most 224 + 16 * 224 =
 * 3808 per widening, so eight widenings (56 units) stay below 32767. vpmaddwd moves the even and
 * odd int16 lanes to int32 sums (|sum| <= 272 k / 2 < 2^31 for k <= 2^22). The bias, 16 * 16 + 16
 * per pair, comes off at the end: dot = sum - 136 k.
 *
 * Registers. Four byte accumulators, four int16 accumulators, two constants and five per-unit
 * temporaries fit the sixteen ymm registers; widening with separate even/odd vpmaddubsw constants
 * (four more registers) made GCC reload every table twice, and the loads became the bottleneck.
 *
 * Loop order. Units go in chunks of 56 (the int16 limit) over a group of tiles and up to 4 activation
 * rows: a chunk's tables (3.5 KB per row) stay in L1 while the group's tiles pass, and a tile's chunk
 * of codes (1.8 KB) stays in L1 while the rows pass. One activation row (a GEMV) uses groups of 4
 * tiles: measured against 1, 2 and 8, one tile at a time re-reads the row's whole tables (16 k
 * bytes) from L2 per tile and was 5-10 % slower at k = 6912, eight interleaved tiles lose the
 * prefetchers' streams. A batch uses groups of 8, so each weight is read from memory once per 4
 * rows and each table once per 8 tiles. */
#include "lut-x86.h"
#include "../lut-walk.h"


#define UNITS_PER_CHUNK 56
#define TILE_GROUP 8
/* One activation row: groups of 4 tiles (see "Loop order"). */
#define GEMV_TILE_GROUP 4
#define ROW_BLOCK 4

/* One unit: codes at wp, the unit's 64 bytes of tables at tp, into the four byte accumulators. */
#define BN_TL1_Q8_UNIT(wp, tp)                                                                                         \
    do {                                                                                                               \
        __m256i c_ = _mm256_loadu_si256((const __m256i*)(wp));                                                         \
        __m256i th_ = _mm256_load_si256((const __m256i*)(tp));                                                         \
        __m256i tl_ = _mm256_load_si256((const __m256i*)((tp) + 32));                                                  \
        BN_LUT_KEEP(c_); /* loaded once: see BN_LUT_KEEP */                                                            \
        BN_LUT_KEEP(th_);                                                                                              \
        BN_LUT_KEEP(tl_);                                                                                              \
        const __m256i lo_ = _mm256_and_si256(c_, nibble);                                                              \
        const __m256i hi_ = _mm256_and_si256(_mm256_srli_epi16(c_, 4), nibble);                                       \
        h0 = _mm256_add_epi8(h0, _mm256_shuffle_epi8(th_, lo_));                                                       \
        l0 = _mm256_add_epi8(l0, _mm256_shuffle_epi8(tl_, lo_));                                                       \
        h1 = _mm256_add_epi8(h1, _mm256_shuffle_epi8(th_, hi_));                                                       \
        l1 = _mm256_add_epi8(l1, _mm256_shuffle_epi8(tl_, hi_));                                                       \
        BN_LUT_KEEP(h0);                                                                                               \
        BN_LUT_KEEP(l0);                                                                                               \
        BN_LUT_KEEP(h1);                                                                                               \
        BN_LUT_KEEP(l1);                                                                                               \
    } while (0)

/* Units [u, end) (end - u <= 7, unrolled when 7) of codes w and tables tab, then widened into the
 * int16 accumulators a0 b0 (rows 0-15) and a1 b1 (rows 16-31). */
#define BN_TL1_Q8_RUN(w, tab, pf, u, end)                                                                                  \
    do {                                                                                                               \
        __m256i h0 = _mm256_setzero_si256(), l0 = h0, h1 = h0, l1 = h0;                                                \
        if ((end) - (u) == BN_LUT_LOOKUPS_PER_WIDEN) {                                                                 \
            BN_LUT_PREFETCH_7_UNITS((pf) + (int64_t)(u) * 32);                                                         \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32, (tab) + (int64_t)(u) * 64);                                        \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 32, (tab) + (int64_t)(u) * 64 + 64);                              \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 64, (tab) + (int64_t)(u) * 64 + 128);                             \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 96, (tab) + (int64_t)(u) * 64 + 192);                             \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 128, (tab) + (int64_t)(u) * 64 + 256);                            \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 160, (tab) + (int64_t)(u) * 64 + 320);                            \
            BN_TL1_Q8_UNIT((w) + (int64_t)(u) * 32 + 192, (tab) + (int64_t)(u) * 64 + 384);                            \
        } else {                                                                                                       \
            for (int32_t i_ = (u); i_ < (end); i_++) BN_TL1_Q8_UNIT((w) + (int64_t)i_ * 32, (tab) + (int64_t)i_ * 64);  \
        }                                                                                                              \
        a0 = _mm256_add_epi16(a0, _mm256_maddubs_epi16(_mm256_unpacklo_epi8(l0, h0), by_1_16));                       \
        b0 = _mm256_add_epi16(b0, _mm256_maddubs_epi16(_mm256_unpackhi_epi8(l0, h0), by_1_16));                       \
        a1 = _mm256_add_epi16(a1, _mm256_maddubs_epi16(_mm256_unpacklo_epi8(l1, h1), by_1_16));                       \
        b1 = _mm256_add_epi16(b1, _mm256_maddubs_epi16(_mm256_unpackhi_epi8(l1, h1), by_1_16));                       \
    } while (0)

/* partial[64] += units [0, units) (at most UNITS_PER_CHUNK) of one tile (codes w) against one
 * activation row's tables for the same units (tab), in the order bn_lut_store_rows_avx2 reads. */
static void chunk(const uint8_t* w, const uint8_t* tab, int32_t units, int32_t* partial, const uint8_t* pf) {
    const __m256i nibble = _mm256_set1_epi8(15);
    const __m256i by_1_16 = _mm256_set1_epi16(16 << 8 | 1); /* low byte (l) x 1, high byte (h) x 16 */
    __m256i a0 = _mm256_setzero_si256(), b0 = a0, a1 = a0, b1 = a0;
    for (int32_t u = 0; u < units; u += BN_LUT_LOOKUPS_PER_WIDEN) {
        const int32_t end = units - u < BN_LUT_LOOKUPS_PER_WIDEN ? units : u + BN_LUT_LOOKUPS_PER_WIDEN;
        BN_TL1_Q8_RUN(w, tab, pf, u, end);
    }
    bn_lut_flush_avx2(a0, b0, partial);
    bn_lut_flush_avx2(a1, b1, partial + 32);
}

/* y for tile t, activation row r, from its 64 partial sums. */
static void store_rows(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial) {
    const int32_t bias = (BN_LUT_BIAS * 16 + BN_LUT_BIAS) * (a->k / 2) /* per pair 16 * 16 + 16 */;
    const int32_t rows = a->n - t * BN_TL1_ROW_TILE < BN_TL1_ROW_TILE ? a->n - t * BN_TL1_ROW_TILE : BN_TL1_ROW_TILE;
    bn_lut_store_rows_avx2(partial, bias, a->x_scales[r] * a->w_scale, rows,
                           a->y + (int64_t)r * a->n + (int64_t)t * BN_TL1_ROW_TILE);
}

void bn_matmul_tl1_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 1, 64, 64, GEMV_TILE_GROUP, TILE_GROUP, ROW_BLOCK, chunk, store_rows);
}
