/* The tile walk every SIMD TL1 kernel shares: which tiles, activation rows and chunks of k run in
 * which order, where the codes are prefetched from, and when partial sums become outputs. Each
 * kernel supplies only its inner loop (chunk) and its epilogue (store); inlined with constant
 * arguments, the walk compiles to the same code as a hand-written copy per kernel.
 *
 * Order, and why:
 *  - tiles in groups (group_gemv for one activation row, group_gemm otherwise), and activation rows
 *    in blocks of row_block, so a group's tables stay in L1 while its tiles stream past;
 *  - k in equal chunks of at most units_per_chunk units (boundaries on multiples of unit_step for
 *    kernels that consume units in pairs), so the partial sums of a chunk fit their integer
 *    accumulators and the next chunk can be prefetched one chunk ahead;
 *  - the first activation row of a block prefetches the codes the tile needs next: its next chunk,
 *    or after its last chunk the first chunk of the tile one group ahead (within the range; else
 *    the chunk itself, already cached). */
#ifndef BN_LUT_WALK_H
#define BN_LUT_WALK_H

#include "../core/bn_internal.h"

#include <string.h>

/* Most int32 partial sums a kernel keeps per tile and activation row (AVX-512: 128). */
#define BN_TL1_MAX_PARTIALS 128
#define BN_TL1_MAX_GROUP 8
#define BN_TL1_MAX_ROW_BLOCK 4

/* partial[0..partials) += the dots of `units` units of one tile (codes at w) against one activation
 * row's tables (tables); prefetch is where the codes needed next are. */
typedef void (*bn_tl1_chunk_fn)(const uint8_t* w, const uint8_t* tables, int32_t units, int32_t* partial,
                                const uint8_t* prefetch);
/* y of tile t for activation row r from its partial sums. */
typedef void (*bn_tl1_store_fn)(const bn_matmul_args* a, int32_t t, int32_t r, const int32_t* partial);

/* Rows [i_begin, i_end) are whole tiles (the entry point cuts on tile boundaries; only i_end may be
 * n, inside the last tile). */
static inline __attribute__((always_inline)) void bn_tl1_walk(const bn_matmul_args* a, int32_t i_begin,
                                                              int32_t i_end, int32_t units_per_chunk,
                                                              int32_t unit_step, int32_t table_unit_bytes,
                                                              int32_t partials, int32_t group_gemv,
                                                              int32_t group_gemm, int32_t row_block,
                                                              bn_tl1_chunk_fn chunk, bn_tl1_store_fn store) {
    const int32_t tile_begin = i_begin / BN_TL1_ROW_TILE;
    const int32_t tile_end = (i_end + BN_TL1_ROW_TILE - 1) / BN_TL1_ROW_TILE;
    const int32_t units = a->k / 4;
    /* equal chunks, each at most units_per_chunk units once rounded to unit_step boundaries */
    const int32_t n_chunks = (units + units_per_chunk - unit_step) / (units_per_chunk - unit_step + 1);
    const int64_t tile_bytes = BN_TL1_TILE_BYTES(a->k);
    const int32_t group = a->m == 1 ? group_gemv : group_gemm;
    int32_t partial[BN_TL1_MAX_GROUP][BN_TL1_MAX_ROW_BLOCK][BN_TL1_MAX_PARTIALS];
    for (int32_t g0 = tile_begin; g0 < tile_end; g0 += group) {
        const int32_t g1 = tile_end - g0 < group ? tile_end : g0 + group;
        for (int32_t r0 = 0; r0 < a->m; r0 += row_block) {
            const int32_t r1 = a->m - r0 < row_block ? a->m : r0 + row_block;
            for (int32_t t = g0; t < g1; t++)
                for (int32_t r = r0; r < r1; r++)
                    memset(partial[t - g0][r - r0], 0, (size_t)partials * sizeof(int32_t));
            for (int32_t c = 0; c < n_chunks; c++) {
                const int32_t u0 = bn_lut_chunk_start(units, n_chunks, c, unit_step);
                const int32_t cu = bn_lut_chunk_start(units, n_chunks, c + 1, unit_step) - u0;
                for (int32_t t = g0; t < g1; t++) {
                    const uint8_t* w = a->w + t * tile_bytes + (int64_t)u0 * 32;
                    const uint8_t* next = c + 1 < n_chunks     ? w + (int64_t)cu * 32
                                          : t + group < tile_end ? a->w + (t + group) * tile_bytes
                                                                 : w;
                    for (int32_t r = r0; r < r1; r++)
                        chunk(w, a->tables + r * a->table_bytes + (int64_t)u0 * table_unit_bytes, cu,
                              partial[t - g0][r - r0], r == r0 ? next : w);
                }
            }
            for (int32_t t = g0; t < g1; t++)
                for (int32_t r = r0; r < r1; r++) store(a, t, r, partial[t - g0][r - r0]);
        }
    }
}

#endif /* BN_LUT_WALK_H */
