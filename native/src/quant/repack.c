/* bn_repack: layout conversions a model makes at load without an int8 copy of the matrix (I2S <-> TL1),
 * rows split over the pool. */
#include "bn_internal.h"

#include <stdatomic.h>
#include <string.h>

/* ---- from I2S ----------------------------------------------------------------------------------
 * Column c of an I2S row lives in block c / 128, byte c % 32, field (c % 128) / 32 (bits 7:6 for
 * field 0 ... 1:0 for field 3), as code = w + 1. Four columns 4u .. 4u + 3 never cross a 32-column
 * boundary, so they are one field of four consecutive bytes: one 32-bit load, one shift, one mask.
 * The pair code 3 c0 + c1 of codes c0, c1 in {0, 1, 2} is exactly TL1's 3 (w0 + 1) + (w1 + 1). */

typedef struct to_tl1_task {
    const uint8_t* w;
    int32_t n;
    int32_t k;
    uint8_t* out;
    _Atomic int bad_row; /* first row found holding a code 3, or -1 */
} to_tl1_task;

/* Four I2S codes of row `row` (a pointer to its k / 4 bytes) for columns 4u .. 4u + 3, one per byte
 * (the first column in the lowest byte). */
static inline uint32_t i2s_codes4(const uint8_t* row, int32_t u) {
    const int32_t col = 4 * u;
    const uint8_t* bytes = row + (int64_t)(col / BN_I2S_BLOCK) * (BN_I2S_BLOCK / 4) + col % 32;
    uint32_t v;
    memcpy(&v, bytes, sizeof v); /* byte order: the library targets little-endian CPUs only */
    const int field = (col % BN_I2S_BLOCK) / 32;
    return (v >> (6 - 2 * field)) & 0x03030303u;
}

static void i2s_to_tl1_tiles(const void* ctx, int32_t t_begin, int32_t t_end) {
    to_tl1_task* task = (to_tl1_task*)ctx;
    const int32_t n = task->n, k = task->k;
    const int64_t row_bytes = k / 4;
    for (int32_t t = t_begin; t < t_end; t++) {
        uint8_t* tile = task->out + (int64_t)t * BN_TL1_TILE_BYTES(k);
        for (int i = 0; i < 16; i++) {
            const int32_t r_lo = t * BN_TL1_ROW_TILE + i, r_hi = r_lo + 16;
            const uint8_t* lo = r_lo < n ? task->w + r_lo * row_bytes : NULL;
            const uint8_t* hi = r_hi < n ? task->w + r_hi * row_bytes : NULL;
            uint32_t code3 = 0; /* a nonzero byte marks a code 3 (both bits of a field set) */
            for (int32_t u = 0; u < k / 4; u++) {
                const uint32_t a = lo ? i2s_codes4(lo, u) : 0x01010101u; /* codes 1 = weight 0 */
                const uint32_t b = hi ? i2s_codes4(hi, u) : 0x01010101u;
                code3 |= (a & (a >> 1)) | (b & (b >> 1));
                uint8_t* unit = tile + (int64_t)u * BN_TL1_UNIT_BYTES;
                unit[i] = (uint8_t)((3 * (a & 3) + ((a >> 8) & 3)) | (3 * (b & 3) + ((b >> 8) & 3)) << 4);
                unit[16 + i] =
                    (uint8_t)((3 * ((a >> 16) & 3) + ((a >> 24) & 3)) | (3 * ((b >> 16) & 3) + ((b >> 24) & 3)) << 4);
            }
            if (code3 & 0x01010101u) {
                int expected = -1;
                atomic_compare_exchange_strong(&task->bad_row, &expected, r_lo);
            }
        }
    }
}

/* ---- from TL1 ----------------------------------------------------------------------------------
 * The reverse: each pair code c gives the I2S codes c / 3 and c % 3 (w + 1) of its two columns;
 * codes 9..15, which no packer writes, read as the zero pair as every kernel reads them. */

typedef struct to_i2s_task {
    const uint8_t* w;
    int32_t k;
    uint8_t* out;
} to_i2s_task;

static void tl1_to_i2s_rows(const void* ctx, int32_t r_begin, int32_t r_end) {
    const to_i2s_task* task = (const to_i2s_task*)ctx;
    const int32_t k = task->k;
    for (int32_t r = r_begin; r < r_end; r++) {
        const uint8_t* tile = task->w + (int64_t)(r / BN_TL1_ROW_TILE) * BN_TL1_TILE_BYTES(k);
        uint8_t* row = task->out + (int64_t)r * (k / 4);
        memset(row, 0, (size_t)(k / 4));
        for (int32_t p = 0; p < k / 2; p++) {
            const int c = bn_tl1_code(tile, p, r % BN_TL1_ROW_TILE);
            for (int h = 0; h < 2; h++) {
                const int32_t col = 2 * p + h;
                const int code = (h == 0 ? bn_tl1_w0(c) : bn_tl1_w1(c)) + 1;
                row[(col / BN_I2S_BLOCK) * (BN_I2S_BLOCK / 4) + col % 32] |=
                    (uint8_t)(code << (6 - 2 * ((col % BN_I2S_BLOCK) / 32)));
            }
        }
    }
}

/* ---- I2S -> I2ST ---------------------------------------------------------------------------------
 * Column j of the result is an I2S row of the n codes of column j (n padded to 128 with code 1).
 * Work splits over groups of 4 columns: a 32-bit read of an I2S row gives 4 of its columns. */

typedef struct to_i2st_task {
    const uint8_t* w;
    int32_t n;
    int32_t k;
    uint8_t* out;
    _Atomic int bad_row;
} to_i2st_task;

static void i2s_to_i2st_columns(const void* ctx, int32_t u_begin, int32_t u_end) {
    to_i2st_task* task = (to_i2st_task*)ctx;
    const int32_t n = task->n, k = task->k;
    const int32_t n_pad = (n + BN_I2S_BLOCK - 1) / BN_I2S_BLOCK * BN_I2S_BLOCK;
    const int64_t row_bytes = k / 4, col_bytes = n_pad / 4;
    for (int32_t u = u_begin; u < u_end; u++) {
        for (int c = 0; c < 4; c++) memset(task->out + (int64_t)(4 * u + c) * col_bytes, 0, (size_t)col_bytes);
        for (int32_t i = 0; i < n_pad; i++) {
            const uint32_t codes = i < n ? i2s_codes4(task->w + i * row_bytes, u) : 0x01010101u;
            if (codes & (codes >> 1) & 0x01010101u) {
                int expected = -1;
                atomic_compare_exchange_strong(&task->bad_row, &expected, i);
            }
            const int64_t byte = (i / BN_I2S_BLOCK) * 32 + i % 32;
            const int shift = 6 - 2 * ((i % BN_I2S_BLOCK) / 32);
            for (int c = 0; c < 4; c++)
                task->out[(int64_t)(4 * u + c) * col_bytes + byte] |= (uint8_t)(((codes >> (8 * c)) & 3) << shift);
        }
    }
}

BN_API bn_status bn_repack(bn_wtype from, const uint8_t* w, int64_t w_len, bn_wtype to, int32_t n, int32_t k,
                           uint8_t* out, int64_t out_len, bn_threadpool* pool) {
    const char* name = "bn_repack";
    int64_t need_w, need_out;
    BN_CHECK(bn_wtype_bytes(from, n, k, &need_w));
    BN_CHECK(bn_wtype_bytes(to, n, k, &need_out));
    BN_CHECK(bn_check_buffer(name, "w", w, w_len, need_w));
    BN_CHECK(bn_check_buffer(name, "out", out, out_len, need_out));
    if (from == BN_WTYPE_I2S && to == BN_WTYPE_TL1) {
        to_tl1_task task = {.w = w, .n = n, .k = k, .out = out};
        atomic_init(&task.bad_row, -1);
        bn_parallel_rows(pool, (n + BN_TL1_ROW_TILE - 1) / BN_TL1_ROW_TILE, 1, i2s_to_tl1_tiles, &task);
        const int bad = atomic_load(&task.bad_row);
        if (bad >= 0)
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: I2S code 3 (not ternary) in row %d or %d of tile %d", name,
                           bad, bad + 16, bad / BN_TL1_ROW_TILE);
        return BN_STATUS_OK;
    }
    if (from == BN_WTYPE_TL1 && to == BN_WTYPE_I2S) {
        to_i2s_task task = {.w = w, .k = k, .out = out};
        bn_parallel_rows(pool, n, 32, tl1_to_i2s_rows, &task);
        return BN_STATUS_OK;
    }
    if (from == BN_WTYPE_I2S && to == BN_WTYPE_I2ST) {
        to_i2st_task task = {.w = w, .n = n, .k = k, .out = out};
        atomic_init(&task.bad_row, -1);
        bn_parallel_rows(pool, k / 4, 8, i2s_to_i2st_columns, &task);
        const int bad = atomic_load(&task.bad_row);
        if (bad >= 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: I2S code 3 (not ternary) in row %d", name, bad);
        return BN_STATUS_OK;
    }
    return bn_fail(BN_STATUS_UNSUPPORTED, "%s: no conversion from %s to %s", name, bn_wtype_name(from),
                   bn_wtype_name(to));
}
