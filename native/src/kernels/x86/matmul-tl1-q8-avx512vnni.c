/* TL1 x int8 matmul with lookup tables, AVX-512 BW + VNNI. Bit-exact with bn_matmul_tl1_q8__ref.
 *
 * The AVX2 kernel's scheme (matmul-tl1-q8-avx2.c) at twice the width: one 64-byte load holds two
 * units, whose four pairs index the four 128-bit lanes' tables (vpshufb looks up within each lane),
 * and the byte sums of up to seven lookups (biased entries 0..32, <= 224) are widened straight to
 * int32 by vpdpbusd: with the selector [16, 0, 0, 0] (high parts) or [1, 0, 0, 0] (low parts)
 * shifted to byte position q of each dword, one vpdpbusd adds 16 h + l of every fourth byte to an
 * int32 lane. Eight int32 accumulators (two row halves x four byte positions) need no int16 stage and
 * no overflow flushes: a lane gains at most 16 * 224 + 224 per seven units, <= 272 k / 2 < 2^31.
 *
 * Why not VBMI's vpermb: its 64-entry table is one table for all 64 lanes, while TL1 gives each lane
 * its own pair; and vpermb would not drop the AND of the low nibble either (it reads 6 index bits).
 * vpshufb's per-lane tables fit the layout as they are. */
#include "lut-x86.h"
#include "../lut-walk.h"

#define UNITS_PER_CHUNK 56
#define TILE_GROUP 8
/* One activation row: groups of 4 tiles (as measured on AVX2: a chunk of tables serves 4 tiles from L1;
 * more interleaved tiles lose the prefetch streams). */
#define GEMV_TILE_GROUP 4
#define ROW_BLOCK 4

/* partial[128] += two-unit steps [0, units / 2) of one tile (codes w) against one activation row's
 * tables (tab, 128 bytes per step). */
static inline void chunk(const uint8_t* w, const uint8_t* tab, int32_t units, int32_t* partial, const uint8_t* pf) {
    const __m512i nibble = _mm512_set1_epi8(15);
    __m512i sel16[4], sel1[4];
    for (int q = 0; q < 4; q++) {
        sel16[q] = _mm512_set1_epi32(16 << (8 * q));
        sel1[q] = _mm512_set1_epi32(1 << (8 * q));
    }
    __m512i acc[8];
    for (int v = 0; v < 8; v++) acc[v] = _mm512_setzero_si512();
    const int32_t steps = units / 2;
    for (int32_t s = 0; s < steps;) {
        const int32_t end = steps - s < BN_LUT_LOOKUPS_PER_WIDEN ? steps : s + BN_LUT_LOOKUPS_PER_WIDEN;
        __m512i h0 = _mm512_setzero_si512(), l0 = h0, h1 = h0, l1 = h0;
        for (; s < end; s++) {
            _mm_prefetch((const char*)(pf + (int64_t)s * 64), _MM_HINT_T0); /* one chunk ahead (lut-x86.h) */
            const __m512i v = _mm512_loadu_si512((const void*)(w + (int64_t)s * 64));
            const __m512i lo = _mm512_and_si512(v, nibble);
            const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble);
            const __m512i th = _mm512_load_si512((const void*)(tab + (int64_t)s * 128));
            const __m512i tl = _mm512_load_si512((const void*)(tab + (int64_t)s * 128 + 64));
            h0 = _mm512_add_epi8(h0, _mm512_shuffle_epi8(th, lo));
            l0 = _mm512_add_epi8(l0, _mm512_shuffle_epi8(tl, lo));
            h1 = _mm512_add_epi8(h1, _mm512_shuffle_epi8(th, hi));
            l1 = _mm512_add_epi8(l1, _mm512_shuffle_epi8(tl, hi));
        }
        for (int q = 0; q < 4; q++) {
            acc[q] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[q], h0, sel16[q]), l0, sel1[q]);
            acc[4 + q] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[4 + q], h1, sel16[q]), l1, sel1[q]);
        }
    }
    for (int v = 0; v < 8; v++) {
        void* p = partial + 16 * v;
        _mm512_storeu_si512(p, _mm512_add_epi32(_mm512_loadu_si512(p), acc[v]));
    }
}

/* y of tile t for activation row r. */
static void store_rows(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial) {
    bn_lut_store_partials128(a, t, r, partial, (BN_LUT_BIAS * 16 + BN_LUT_BIAS) * (a->k / 2) /* per pair 16 * 16 + 16 */);
}

/* Chunks of whole two-unit steps (the kernel consumes units in pairs). */
void bn_matmul_tl1_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 2, 64, 128, GEMV_TILE_GROUP, TILE_GROUP, ROW_BLOCK, chunk, store_rows);
}
