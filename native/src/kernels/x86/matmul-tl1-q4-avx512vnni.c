/* TL1 x int4 matmul with lookup tables, AVX-512 BW + VNNI. Bit-exact with bn_matmul_tl1_q4__ref.
 *
 * The q8 AVX-512 kernel (matmul-tl1-q8-avx512vnni.c) with one table per pair: one 64-byte load holds
 * two units, vpshufb looks up the four lanes' pair tables (the q4 table format is the AVX2 one, two
 * units = 64 contiguous bytes), and vpdpbusd with the selector [1, 0, 0, 0] at byte position q widens
 * the byte sums of up to seven lookups (<= 224) to int32. A lane gains at most 224 per seven units,
 * <= 32 k / 2 < 2^31. The bias, 16 per pair, comes off at the end: dot = sum - 8 k. */
#include "lut-x86.h"
#include "../lut-walk.h"

#define UNITS_PER_CHUNK 112
#define TILE_GROUP 8
/* One activation row: groups of 4 tiles (as measured on AVX2: a chunk of tables serves 4 tiles from L1;
 * more interleaved tiles lose the prefetch streams). */
#define GEMV_TILE_GROUP 4
#define ROW_BLOCK 4

static inline void chunk(const uint8_t* w, const uint8_t* tab, int32_t units, int32_t* partial, const uint8_t* pf) {
    const __m512i nibble = _mm512_set1_epi8(15);
    __m512i sel1[4];
    for (int q = 0; q < 4; q++) sel1[q] = _mm512_set1_epi32(1 << (8 * q));
    __m512i acc[8];
    for (int v = 0; v < 8; v++) acc[v] = _mm512_setzero_si512();
    const int32_t steps = units / 2;
    for (int32_t s = 0; s < steps;) {
        const int32_t end = steps - s < BN_LUT_LOOKUPS_PER_WIDEN ? steps : s + BN_LUT_LOOKUPS_PER_WIDEN;
        __m512i l0 = _mm512_setzero_si512(), l1 = l0;
        for (; s < end; s++) {
            _mm_prefetch((const char*)(pf + (int64_t)s * 64), _MM_HINT_T0); /* one chunk ahead (lut-x86.h) */
            const __m512i v = _mm512_loadu_si512((const void*)(w + (int64_t)s * 64));
            const __m512i t = _mm512_load_si512((const void*)(tab + (int64_t)s * 64));
            l0 = _mm512_add_epi8(l0, _mm512_shuffle_epi8(t, _mm512_and_si512(v, nibble)));
            l1 = _mm512_add_epi8(l1, _mm512_shuffle_epi8(t, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble)));
        }
        for (int q = 0; q < 4; q++) {
            acc[q] = _mm512_dpbusd_epi32(acc[q], l0, sel1[q]);
            acc[4 + q] = _mm512_dpbusd_epi32(acc[4 + q], l1, sel1[q]);
        }
    }
    for (int v = 0; v < 8; v++) {
        void* p = partial + 16 * v;
        _mm512_storeu_si512(p, _mm512_add_epi32(_mm512_loadu_si512(p), acc[v]));
    }
}

/* y of tile t for activation row r. */
static void store_rows(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial) {
    bn_lut_store_partials128(a, t, r, partial, BN_LUT_BIAS * (a->k / 2) /* 16 per pair */);
}

/* Chunks of whole two-unit steps (the kernel consumes units in pairs). */
void bn_matmul_tl1_q4__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_tl1_walk(a, i_begin, i_end, UNITS_PER_CHUNK, 2, 32, 128, GEMV_TILE_GROUP, TILE_GROUP, ROW_BLOCK, chunk, store_rows);
}
