/* Packing into the TL1 lookup-table layout (see bitnative.h, "Lookup-table kernels"), from int8
 * ternary rows and from I2S, and back.
 *
 * A tile is 32 rows x k columns; unit u of a tile (32 bytes) covers columns 4u .. 4u + 3: byte i
 * (0..15) holds the pair code of columns (4u, 4u + 1) for tile rows i (bits 3:0) and i + 16 (bits
 * 7:4), byte 16 + i the code of columns (4u + 2, 4u + 3) for the same rows. Padding rows of the last
 * tile get code 4, the zero pair, so kernels need no special case for them. */
#include "bn_internal.h"

#include <stdatomic.h>
#include <string.h>

/* The zero pair (w0, w1) = (0, 0): 3 * 1 + 1. */
#define TL1_ZERO_CODE 4

static uint8_t pair_code(int w0, int w1) { return (uint8_t)(3 * (w0 + 1) + (w1 + 1)); }

static bn_status check_shape(const char* fn, int32_t n, int32_t k, int64_t* out_bytes) {
    if (n < 0 || k < 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape n=%d k=%d", fn, n, k);
    if (k % BN_LUT_BLOCK != 0)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "%s: k=%d is not a multiple of the %d-column TL1 block", fn, k,
                       BN_LUT_BLOCK);
    /* ceil(n / 32) < 2^26 tiles of 8 k < 2^34 bytes: the product fits easily in 64 bits. */
    *out_bytes = (int64_t)((n + BN_LUT_ROW_TILE - 1) / BN_LUT_ROW_TILE) * BN_TL1_TILE_BYTES(k);
    return BN_STATUS_OK;
}

BN_API bn_status bn_lut_packed_bytes(int32_t n, int32_t k, int64_t* out_bytes) {
    if (!out_bytes) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_lut_packed_bytes: out_bytes is NULL");
    return check_shape("bn_lut_packed_bytes", n, k, out_bytes);
}

/* Writes the codes of one tile; rows[i] is tile row i's k ternary values, or NULL for a padding row
 * (written as zero pairs). */
static void pack_tile(const int8_t* const rows[BN_LUT_ROW_TILE], int32_t k, uint8_t* tile) {
    for (int32_t u = 0; u < k / 4; u++) {
        uint8_t* unit = tile + (int64_t)u * BN_TL1_UNIT_BYTES;
        for (int half = 0; half < 2; half++) {
            const int32_t col = 4 * u + 2 * half;
            for (int i = 0; i < 16; i++) {
                const int8_t* lo = rows[i];
                const int8_t* hi = rows[i + 16];
                const uint8_t c_lo = lo ? pair_code(lo[col], lo[col + 1]) : TL1_ZERO_CODE;
                const uint8_t c_hi = hi ? pair_code(hi[col], hi[col + 1]) : TL1_ZERO_CODE;
                unit[16 * half + i] = (uint8_t)(c_lo | (c_hi << 4));
            }
        }
    }
}

BN_API bn_status bn_lut_pack(const int8_t* q, int64_t q_len, int32_t n, int32_t k, uint8_t* out, int64_t out_len) {
    int64_t bytes = 0;
    bn_status st = check_shape("bn_lut_pack", n, k, &bytes);
    if (st != BN_STATUS_OK) return st;
    const int64_t count = (int64_t)n * k;
    if (q_len < count || out_len < bytes)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "bn_lut_pack: n=%d k=%d needs q_len >= %lld and out_len >= %lld, got %lld and %lld", n, k,
                       (long long)count, (long long)bytes, (long long)q_len, (long long)out_len);
    if ((count > 0 && !q) || (bytes > 0 && !out)) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_lut_pack: NULL buffer");
    for (int64_t i = 0; i < count; i++)
        if (q[i] < -1 || q[i] > 1)
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_lut_pack: value %d at row %lld, column %lld is not in {-1, 0, 1}",
                           q[i], (long long)(i / k), (long long)(i % k));
    const int32_t n_tiles = (n + BN_LUT_ROW_TILE - 1) / BN_LUT_ROW_TILE;
    for (int32_t t = 0; t < n_tiles; t++) {
        const int8_t* rows[BN_LUT_ROW_TILE];
        for (int i = 0; i < BN_LUT_ROW_TILE; i++) {
            const int32_t r = t * BN_LUT_ROW_TILE + i;
            rows[i] = r < n ? q + (int64_t)r * k : NULL;
        }
        pack_tile(rows, k, out + (int64_t)t * BN_TL1_TILE_BYTES(k));
    }
    return BN_STATUS_OK;
}

/* ---- from I2S ----------------------------------------------------------------------------------
 * Column c of an I2S row lives in block c / 128, byte c % 32, field (c % 128) / 32 (bits 7:6 for
 * field 0 ... 1:0 for field 3), as code = w + 1. Four columns 4u .. 4u + 3 never cross a 32-column
 * boundary, so they are one field of four consecutive bytes: one 32-bit load, one shift, one mask.
 * The pair code 3 c0 + c1 of codes c0, c1 in {0, 1, 2} is exactly TL1's 3 (w0 + 1) + (w1 + 1). */

typedef struct i2s_task {
    const uint8_t* w;
    int32_t n;
    int32_t k;
    uint8_t* out;
    _Atomic int bad_row; /* first row found holding a code 3, or -1 */
} i2s_task;

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

static void i2s_tiles(const void* ctx, int32_t t_begin, int32_t t_end) {
    i2s_task* task = (i2s_task*)ctx;
    const int32_t n = task->n, k = task->k;
    const int64_t row_bytes = k / 4;
    for (int32_t t = t_begin; t < t_end; t++) {
        uint8_t* tile = task->out + (int64_t)t * BN_TL1_TILE_BYTES(k);
        for (int i = 0; i < 16; i++) {
            const int32_t r_lo = t * BN_LUT_ROW_TILE + i, r_hi = r_lo + 16;
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

BN_API bn_status bn_lut_pack_i2s(const uint8_t* w, int64_t w_len, int32_t n, int32_t k, uint8_t* out,
                                 int64_t out_len, bn_threadpool* pool) {
    int64_t bytes = 0;
    bn_status st = check_shape("bn_lut_pack_i2s", n, k, &bytes);
    if (st != BN_STATUS_OK) return st;
    const int64_t need_w = (int64_t)n * (k / 4);
    if (w_len < need_w || out_len < bytes)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "bn_lut_pack_i2s: n=%d k=%d needs w_len >= %lld and out_len >= %lld, got %lld and %lld", n, k,
                       (long long)need_w, (long long)bytes, (long long)w_len, (long long)out_len);
    if ((need_w > 0 && !w) || (bytes > 0 && !out))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_lut_pack_i2s: NULL buffer");
    i2s_task task = {.w = w, .n = n, .k = k, .out = out};
    atomic_init(&task.bad_row, -1);
    bn_parallel_rows(pool, (n + BN_LUT_ROW_TILE - 1) / BN_LUT_ROW_TILE, 1, i2s_tiles, &task);
    const int bad = atomic_load(&task.bad_row);
    if (bad >= 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "bn_lut_pack_i2s: I2S code 3 (not ternary) in row %d or %d of tile %d", bad, bad + 16,
                       bad / BN_LUT_ROW_TILE);
    return BN_STATUS_OK;
}

BN_API bn_status bn_lut_unpack(const uint8_t* packed, int64_t packed_len, int32_t n, int32_t k, int8_t* q,
                               int64_t q_len) {
    int64_t bytes = 0;
    bn_status st = check_shape("bn_lut_unpack", n, k, &bytes);
    if (st != BN_STATUS_OK) return st;
    const int64_t count = (int64_t)n * k;
    if (packed_len < bytes || q_len < count)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "bn_lut_unpack: n=%d k=%d needs packed_len >= %lld and q_len >= %lld, got %lld and %lld", n, k,
                       (long long)bytes, (long long)count, (long long)packed_len, (long long)q_len);
    if ((bytes > 0 && !packed) || (count > 0 && !q))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_lut_unpack: NULL buffer");
    for (int32_t r = 0; r < n; r++) {
        const uint8_t* tile = packed + (int64_t)(r / BN_LUT_ROW_TILE) * BN_TL1_TILE_BYTES(k);
        int8_t* row = q + (int64_t)r * k;
        for (int32_t p = 0; p < k / 2; p++) {
            const int c = bn_tl1_code(tile, p, r % BN_LUT_ROW_TILE);
            row[2 * p] = (int8_t)bn_tl1_w0(c);
            row[2 * p + 1] = (int8_t)bn_tl1_w1(c);
        }
    }
    return BN_STATUS_OK;
}
