/* Packing into the TL1 lookup-table layout (see bitnative.h, "Lookup-table kernels") from int8
 * ternary rows, and back; bn_pack / bn_unpack reach these through the traits table.
 *
 * A tile is 32 rows x k columns; unit u of a tile (32 bytes) covers columns 4u .. 4u + 3: byte i
 * (0..15) holds the pair code of columns (4u, 4u + 1) for tile rows i (bits 3:0) and i + 16 (bits
 * 7:4), byte 16 + i the code of columns (4u + 2, 4u + 3) for the same rows. Padding rows of the last
 * tile get code 4, the zero pair, so kernels need no special case for them. */
#include "bn_internal.h"

#include <string.h>

/* The zero pair (w0, w1) = (0, 0): 3 * 1 + 1. */
#define TL1_ZERO_CODE 4

static uint8_t pair_code(int w0, int w1) { return (uint8_t)(3 * (w0 + 1) + (w1 + 1)); }

/* Writes the codes of one tile; rows[i] is tile row i's k ternary values, or NULL for a padding row
 * (written as zero pairs). */
static void pack_tile(const int8_t* const rows[BN_TL1_ROW_TILE], int32_t k, uint8_t* tile) {
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

void bn_pack_tl1(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out) {
    (void)scale; /* one scale per tensor, kept outside the codes (w_scale) */
    const int32_t n_tiles = (n + BN_TL1_ROW_TILE - 1) / BN_TL1_ROW_TILE;
    for (int32_t t = 0; t < n_tiles; t++) {
        const int8_t* rows[BN_TL1_ROW_TILE];
        for (int i = 0; i < BN_TL1_ROW_TILE; i++) {
            const int32_t r = t * BN_TL1_ROW_TILE + i;
            rows[i] = r < n ? q + (int64_t)r * k : NULL;
        }
        pack_tile(rows, k, out + (int64_t)t * BN_TL1_TILE_BYTES(k));
    }
}

int bn_unpack_tl1(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales) {
    (void)block_scales;
    for (int32_t r = 0; r < n; r++) {
        const uint8_t* tile = packed + (int64_t)(r / BN_TL1_ROW_TILE) * BN_TL1_TILE_BYTES(k);
        int8_t* row = q + (int64_t)r * k;
        for (int32_t p = 0; p < k / 2; p++) {
            const int c = bn_tl1_code(tile, p, r % BN_TL1_ROW_TILE);
            row[2 * p] = (int8_t)bn_tl1_w0(c);
            row[2 * p + 1] = (int8_t)bn_tl1_w1(c);
        }
    }
    return 1; /* codes 9..15 read as the zero pair, as every kernel reads them */
}

