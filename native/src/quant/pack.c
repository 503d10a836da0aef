/* Packing of ternary int8 values into the three file formats, and back; the checked entry points
 * bn_pack / bn_unpack for every ternary type (the traits table names each type's packers).
 *
 * Layouts (block = the format's unit; every tensor is a whole number of blocks):
 *  I2S  128 weights -> 32 bytes. Byte j holds weights j, j+32, j+64, j+96 as code = w + 1 in
 *       bits 7:6, 5:4, 3:2, 1:0 (bitnet.cpp's x86 layout, which the published 2B-4T file uses).
 *  TQ2  256 weights -> qs[64] + fp16 d. Each 32-byte half h covers weights 128h..128h+127; byte m
 *       of it holds weights 128h + m + 32n at bits 2n..2n+1, LSB first (llama.cpp's TQ2_0).
 *  TQ1  256 weights -> qs[48] + qh[4] + fp16 d. Base-3 digits (code = w + 1), most significant
 *       first, each byte stored as ceil(v * 256 / 243) so digit n is ((uint8)(b * 3^n) * 3) >> 8:
 *       qs[0..32) digits n of weights m + 32n (n < 5), qs[32..48) weights 160 + m + 16n,
 *       qh[0..4) weights 240 + j + 4n (n < 4, the fifth digit is 0) (llama.cpp's TQ1_0). */
#include "bn_internal.h"

#include <string.h>

static const uint8_t pow3[6] = {1, 3, 9, 27, 81, 243};

static int is_ternary(int8_t v) { return v >= -1 && v <= 1; }

void bn_pack_i2s(const int8_t* q, int32_t rows, int32_t k, float scale, uint8_t* out) {
    (void)scale; /* kept outside the codes (w_scale) */
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_I2S_BLOCK; b++) {
        const int8_t* src = q + b * BN_I2S_BLOCK;
        uint8_t* dst = out + b * (BN_I2S_BLOCK / 4);
        for (int j = 0; j < 32; j++) {
            dst[j] = (uint8_t)(((src[j] + 1) << 6) | ((src[j + 32] + 1) << 4) | ((src[j + 64] + 1) << 2) |
                               (src[j + 96] + 1));
        }
    }
}

int bn_unpack_i2s(const uint8_t* in, int32_t rows, int32_t k, int8_t* q, float* block_scales) {
    (void)block_scales;
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_I2S_BLOCK; b++) {
        const uint8_t* src = in + b * (BN_I2S_BLOCK / 4);
        int8_t* dst = q + b * BN_I2S_BLOCK;
        for (int j = 0; j < 32; j++) {
            for (int g = 0; g < 4; g++) {
                int code = (src[j] >> (6 - 2 * g)) & 3;
                if (code == 3) return 0;
                dst[j + 32 * g] = (int8_t)(code - 1);
            }
        }
    }
    return 1;
}

/* I2ST: column j as one I2S row of n_pad codes (n rounded up to 128, the padding codes 1 = weight 0). */
void bn_pack_i2st(const int8_t* q, int32_t rows, int32_t k, float scale, uint8_t* out) {
    (void)scale;
    const int32_t n_pad = (rows + BN_I2S_BLOCK - 1) / BN_I2S_BLOCK * BN_I2S_BLOCK;
    const int64_t col_bytes = n_pad / 4;
    for (int32_t j = 0; j < k; j++) {
        uint8_t* col = out + j * col_bytes;
        memset(col, 0, (size_t)col_bytes);
        for (int32_t i = 0; i < n_pad; i++) {
            const int code = i < rows ? q[(int64_t)i * k + j] + 1 : 1;
            col[(i / BN_I2S_BLOCK) * 32 + i % 32] |= (uint8_t)(code << (6 - 2 * ((i % BN_I2S_BLOCK) / 32)));
        }
    }
}

int bn_unpack_i2st(const uint8_t* in, int32_t rows, int32_t k, int8_t* q, float* block_scales) {
    (void)block_scales;
    const int64_t col_bytes = (rows + BN_I2S_BLOCK - 1) / BN_I2S_BLOCK * (BN_I2S_BLOCK / 4);
    for (int32_t j = 0; j < k; j++)
        for (int32_t i = 0; i < rows; i++) {
            const int code = (in[j * col_bytes + (i / BN_I2S_BLOCK) * 32 + i % 32] >> (6 - 2 * ((i % BN_I2S_BLOCK) / 32))) & 3;
            if (code == 3) return 0;
            q[(int64_t)i * k + j] = (int8_t)(code - 1);
        }
    return 1;
}

static void put_fp16(uint8_t* dst, float v) {
    uint16_t h = bn_fp32_to_fp16(v);
    dst[0] = (uint8_t)(h & 0xff);
    dst[1] = (uint8_t)(h >> 8);
}

static float get_fp16(const uint8_t* src) { return bn_fp16_to_fp32((uint16_t)(src[0] | (src[1] << 8))); }

void bn_pack_tq2(const int8_t* q, int32_t rows, int32_t k, float scale, uint8_t* out) {
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_TQ_BLOCK; b++) {
        const int8_t* src = q + b * BN_TQ_BLOCK;
        uint8_t* dst = out + b * BN_TQ2_BLOCK_BYTES;
        for (int h = 0; h < 2; h++)
            for (int m = 0; m < 32; m++) {
                uint8_t byte = 0;
                for (int g = 0; g < 4; g++) byte |= (uint8_t)((src[128 * h + m + 32 * g] + 1) << (2 * g));
                dst[32 * h + m] = byte;
            }
        put_fp16(dst + 64, scale);
    }
}

int bn_unpack_tq2(const uint8_t* in, int32_t rows, int32_t k, int8_t* q, float* block_scales) {
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_TQ_BLOCK; b++) {
        const uint8_t* src = in + b * BN_TQ2_BLOCK_BYTES;
        int8_t* dst = q + b * BN_TQ_BLOCK;
        for (int h = 0; h < 2; h++)
            for (int m = 0; m < 32; m++)
                for (int g = 0; g < 4; g++) {
                    int code = (src[32 * h + m] >> (2 * g)) & 3;
                    if (code == 3) return 0;
                    dst[128 * h + m + 32 * g] = (int8_t)(code - 1);
                }
        block_scales[b] = get_fp16(src + 64);
    }
    return 1;
}

/* Packs `digits` base-3 codes (most significant first), padded to five digits, into one byte. */
static uint8_t tq1_byte(const int8_t* src, int stride, int digits) {
    unsigned v = 0;
    for (int d = 0; d < 5; d++) v = v * 3u + (d < digits ? (unsigned)(src[d * stride] + 1) : 0u);
    return (uint8_t)((v * 256u + 242u) / 243u); /* ceiling division */
}

static int8_t tq1_digit(uint8_t byte, int d) {
    uint8_t shifted = (uint8_t)(byte * pow3[d]);
    return (int8_t)((((unsigned)shifted * 3u) >> 8) - 1);
}

void bn_pack_tq1(const int8_t* q, int32_t rows, int32_t k, float scale, uint8_t* out) {
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_TQ_BLOCK; b++) {
        const int8_t* src = q + b * BN_TQ_BLOCK;
        uint8_t* dst = out + b * BN_TQ1_BLOCK_BYTES;
        for (int m = 0; m < 32; m++) dst[m] = tq1_byte(src + m, 32, 5);
        for (int m = 0; m < 16; m++) dst[32 + m] = tq1_byte(src + 160 + m, 16, 5);
        for (int j = 0; j < 4; j++) dst[48 + j] = tq1_byte(src + 240 + j, 4, 4);
        put_fp16(dst + 52, scale);
    }
}

int bn_unpack_tq1(const uint8_t* in, int32_t rows, int32_t k, int8_t* q, float* block_scales) {
    const int64_t n = (int64_t)rows * k;
    for (int64_t b = 0; b < n / BN_TQ_BLOCK; b++) {
        const uint8_t* src = in + b * BN_TQ1_BLOCK_BYTES;
        int8_t* dst = q + b * BN_TQ_BLOCK;
        for (int m = 0; m < 32; m++)
            for (int d = 0; d < 5; d++) dst[m + 32 * d] = tq1_digit(src[m], d);
        for (int m = 0; m < 16; m++)
            for (int d = 0; d < 5; d++) dst[160 + m + 16 * d] = tq1_digit(src[32 + m], d);
        for (int j = 0; j < 4; j++)
            for (int d = 0; d < 4; d++) dst[240 + j + 4 * d] = tq1_digit(src[48 + j], d);
        block_scales[b] = get_fp16(src + 52);
    }
    return 1; /* every byte decodes to digits 0..2 */
}

/* The checks bn_pack and bn_unpack share: a known ternary type, a shape of whole blocks, buffers of
 * the shape's size. *out_traits and *out_bytes describe the packed matrix. */
static bn_status check_packing(const char* fn, bn_wtype wtype, int32_t n, int32_t k, const void* q, int64_t q_len,
                               const char* packed_name, const void* packed, int64_t packed_len,
                               const bn_wtype_traits** out_traits,
                               int64_t* out_bytes) {
    int64_t bytes;
    BN_CHECK(bn_wtype_bytes(wtype, n, k, &bytes));
    const bn_wtype_traits* t = bn_wtype_traits_of(wtype);
    if (!t->pack) return bn_fail(BN_STATUS_UNSUPPORTED, "%s: %s is not a ternary type", fn, t->name);
    const int64_t count = (int64_t)n * k;
    BN_CHECK(bn_check_buffer(fn, "q", q, q_len, count));
    BN_CHECK(bn_check_buffer(fn, packed_name, packed, packed_len, bytes));
    *out_traits = t;
    *out_bytes = bytes;
    return BN_STATUS_OK;
}

BN_API bn_status bn_pack(bn_wtype wtype, const int8_t* q, int64_t q_len, int32_t n, int32_t k, float scale, uint8_t* out,
                         int64_t out_len) {
    const bn_wtype_traits* t = NULL;
    int64_t bytes;
    BN_CHECK(check_packing("bn_pack", wtype, n, k, q, q_len, "out", out, out_len, &t, &bytes));
    /* Block types store the scale as fp16 (NaN fails this test too); I2S and TL1 keep it outside. */
    if (t->block_scales_per_block && !(scale >= -65504.0f && scale <= 65504.0f))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_pack: scale %g does not fit an fp16 block scale", (double)scale);
    const int64_t count = (int64_t)n * k;
    for (int64_t i = 0; i < count; i++)
        if (!is_ternary(q[i]))
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_pack: value %d at row %lld, column %lld is not in {-1, 0, 1}",
                           q[i], (long long)(i / k), (long long)(i % k));
    t->pack(q, n, k, scale, out);
    return BN_STATUS_OK;
}

BN_API bn_status bn_unpack(bn_wtype wtype, const uint8_t* packed, int64_t packed_len, int32_t n, int32_t k, int8_t* q,
                           int64_t q_len, float* block_scales, int64_t block_scales_len) {
    const bn_wtype_traits* t = NULL;
    int64_t bytes;
    BN_CHECK(check_packing("bn_unpack", wtype, n, k, q, q_len, "packed", packed, packed_len, &t, &bytes));
    const int64_t n_scales = t->block_scales_per_block ? (int64_t)n * (k / t->info.block_weights) : 0;
    BN_CHECK(bn_check_buffer("bn_unpack", "block_scales", block_scales, block_scales_len, n_scales));
    if (!t->unpack(packed, n, k, q, block_scales))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_unpack: %s code 3 is not ternary", t->name);
    return BN_STATUS_OK;
}
