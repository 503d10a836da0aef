/* I2ST (transposed I2S) x int8 matmul over a sparse activation row, AVX-512 VNNI.
 *
 * Loop order: nonzero columns outside, output rows inside. Each column's codes are contiguous (n / 4 bytes), so the
 * columns of a step stream as a few sequential reads, which the prefetchers follow; the int32 sums of the thread's
 * output rows wait in a small table in L1 (the other order, a tile of outputs in registers over every column, jumps
 * n / 4 bytes between reads and waits on DRAM latency for each one).
 *
 * Per pair of 128-row tiles (64 bytes of a column), four columns' bytes are interleaved into 4-byte groups (byte b of
 * columns j0..j3 side by side), then each 2-bit field is masked in place: the group holds (c_j0, .., c_j3) << s with
 * s = 6, 4, 2, 0 for the four fields, and one vpdpbusd adds its dot with (x_j0, .., x_j3) into the output's int32 lane.
 * The shift stays in the sum: it is exact (every term is a multiple of 2^s, |sum| <= 3 * 64 * 128 * k < 2^31 for
 * k <= 2^16) and is shifted out once at the end, which saves the per-field shift. Eight columns (two groups) update
 * the table at a time. The dot is sum_j code * x - sum_j x: the reference's bits. Rows beyond CHUNK_PAIRS tile pairs
 * run in chunks; an odd last tile runs the AVX2 kernel (same bits). */
#include "x86-common.h"

#define CHUNK_PAIRS 16 /* 4096 output rows: a 16 KiB table of sums */
#define PREFETCH_AHEAD 2

/* (c << s) . x for one field of one group of four columns, into acc. */
#define FIELD_DOTS(acc, q0, q1, q2, q3, m, xq)                                                                         \
    do {                                                                                                               \
        acc[0] = _mm512_dpbusd_epi32(acc[0], _mm512_and_si512(q0, m), xq);                                             \
        acc[1] = _mm512_dpbusd_epi32(acc[1], _mm512_and_si512(q1, m), xq);                                             \
        acc[2] = _mm512_dpbusd_epi32(acc[2], _mm512_and_si512(q2, m), xq);                                             \
        acc[3] = _mm512_dpbusd_epi32(acc[3], _mm512_and_si512(q3, m), xq);                                             \
    } while (0)

/* The four 4-byte-interleaved vectors of four columns' 64 bytes: q[s] lane L element i is byte 16 L + 4 s + i. */
static inline __attribute__((always_inline)) void interleave4(const uint8_t* const col[4], int64_t off, __m512i q[4]) {
    const __m512i w0 = _mm512_loadu_si512((const void*)(col[0] + off)), w1 = _mm512_loadu_si512((const void*)(col[1] + off));
    const __m512i w2 = _mm512_loadu_si512((const void*)(col[2] + off)), w3 = _mm512_loadu_si512((const void*)(col[3] + off));
    const __m512i t01l = _mm512_unpacklo_epi8(w0, w1), t01h = _mm512_unpackhi_epi8(w0, w1);
    const __m512i t23l = _mm512_unpacklo_epi8(w2, w3), t23h = _mm512_unpackhi_epi8(w2, w3);
    q[0] = _mm512_unpacklo_epi16(t01l, t23l);
    q[1] = _mm512_unpackhi_epi16(t01l, t23l);
    q[2] = _mm512_unpacklo_epi16(t01h, t23h);
    q[3] = _mm512_unpackhi_epi16(t01h, t23h);
}

void bn_matmul_i2st_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n = a->n;
    const int64_t col_bytes = ((int64_t)n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    const int32_t pair_end = i_begin + (i_end - i_begin) / (2 * BN_I2ST_TILE) * (2 * BN_I2ST_TILE);
    __m512i masks[4];
    for (int f = 0; f < 4; f++) masks[f] = _mm512_set1_epi8((char)(3 << (6 - 2 * f)));
    _Alignas(64) int32_t sums[CHUNK_PAIRS][4][4][16]; /* [pair][field][quarter][lane] */
    for (int32_t r = 0; r < a->m; r++) {
        const bn_sparse_row x = bn_sparse_row_at(a, r);
        for (int32_t c0 = i_begin; c0 < pair_end; c0 += CHUNK_PAIRS * 2 * BN_I2ST_TILE) {
            const int32_t left = (pair_end - c0) / (2 * BN_I2ST_TILE), pairs = left < CHUNK_PAIRS ? left : CHUNK_PAIRS;
            const int64_t chunk_bytes = (int64_t)pairs * 64;
            const uint8_t* base = a->w + (int64_t)(c0 / BN_I2ST_TILE) * 32;
            memset(sums, 0, sizeof(int32_t) * 256 * (size_t)pairs);
            int32_t e = 0;
            for (; e < x.count; e += 8) {
                const int two = e + 8 <= x.count; /* two groups of four columns, or the last one */
                const uint8_t* ca[4];
                const uint8_t* cb[4];
                for (int c = 0; c < 4; c++) {
                    ca[c] = base + x.idx[e + c] * col_bytes;
                    cb[c] = two ? base + x.idx[e + 4 + c] * col_bytes : ca[c];
                }
                bn_sparse_prefetch(&x, e + 8 * PREFETCH_AHEAD, 8, base, col_bytes, chunk_bytes); /* whole columns */
                int32_t quad_a, quad_b = 0;
                memcpy(&quad_a, x.val + e, 4);
                if (two) memcpy(&quad_b, x.val + e + 4, 4);
                const __m512i xa = _mm512_set1_epi32(quad_a), xb = _mm512_set1_epi32(quad_b);
                for (int32_t p = 0; p < pairs; p++) {
                    __m512i qa[4], qb[4];
                    interleave4(ca, 64 * p, qa);
                    interleave4(cb, 64 * p, qb);
                    for (int f = 0; f < 4; f++) {
                        int32_t* s = sums[p][f][0];
                        __m512i acc[4];
                        for (int q = 0; q < 4; q++) acc[q] = _mm512_load_si512((const void*)(s + 16 * q));
                        FIELD_DOTS(acc, qa[0], qa[1], qa[2], qa[3], masks[f], xa);
                        FIELD_DOTS(acc, qb[0], qb[1], qb[2], qb[3], masks[f], xb); /* xb = 0 for the last lone group */
                        for (int q = 0; q < 4; q++) _mm512_store_si512((void*)(s + 16 * q), acc[q]);
                    }
                }
            }
            /* sums[p][f][q] lane L, element i: byte B = 16 L + 4 q + i of the pair's 64 bytes, field f shifted left by
             * 6 - 2 f: output (B / 32) * 128 + 32 f + B % 32 of the pair */
            float* y = a->y + (int64_t)r * n + c0;
            for (int32_t p = 0; p < pairs; p++)
                for (int f = 0; f < 4; f++)
                    for (int q = 0; q < 4; q++)
                        for (int L = 0; L < 4; L++)
                            for (int i = 0; i < 4; i++) {
                                const int B = 16 * L + 4 * q + i;
                                const int32_t dot = sums[p][f][q][4 * L + i] >> (6 - 2 * f);
                                y[p * 2 * BN_I2ST_TILE + (B / 32) * BN_I2ST_TILE + 32 * f + B % 32] = (float)(dot - x.sum) * x.scale;
                            }
        }
    }
    if (pair_end < i_end) bn_matmul_i2st_q8__avx2(a, pair_end, i_end);
}
