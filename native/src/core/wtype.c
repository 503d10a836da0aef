/* The weight-type traits table (ggml's type_traits, STYLE 3): one row per bn_wtype with its block
 * geometry, the activation type its kernels pair with, its GGUF type id, its packers, and how the
 * entry points cut and scale its work. The kernels per ISA are in config.c. Adding a weight type is
 * one row here, its kernels there, and their tests. */
#include "bn_internal.h"

/* GGUF / ggml type ids (ggml.h's enum ggml_type; I2_S is bitnet.cpp's). */
enum { GGML_F32 = 0, GGML_F16 = 1, GGML_Q8_0 = 8, GGML_BF16 = 30, GGML_TQ1_0 = 34, GGML_TQ2_0 = 35, GGML_I2_S = 36, GGML_NONE = -1 };
enum { GGML_Q4_0 = 2, GGML_Q4_K = 12, GGML_Q5_K = 13, GGML_Q6_K = 14, GGML_Q1_0 = 41, GGML_Q2_0 = 42 };
/* BitNative's own ids, far from upstream's sequence (which reached 42 in 2026): no other reader knows them. */
enum { GGML_BN_F8_E4M3 = 180 };

void bn_pack_i2s(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
int bn_unpack_i2s(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);
void bn_pack_tq2(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
int bn_unpack_tq2(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);
void bn_pack_tq1(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
int bn_unpack_tq1(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);
void bn_pack_tl1(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
int bn_unpack_tl1(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);
void bn_pack_i2st(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
int bn_unpack_i2st(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);

static const bn_wtype_traits wtype_traits[BN_WTYPE_COUNT] = {
    [BN_WTYPE_I2S] = {.name = "i2s",
                      .info = {.block_weights = BN_I2S_BLOCK, .block_bytes = BN_I2S_BLOCK / 4, .row_tile = 1,
                               .tensor_trailer_bytes = 32, .ggml_type = GGML_I2_S, .atype = BN_ATYPE_Q8,
                               .ternary = 1},
                      .row_grain = 8, .kernels_apply_w_scale = 1, .pack = bn_pack_i2s, .unpack = bn_unpack_i2s},
    [BN_WTYPE_TQ2] = {.name = "tq2",
                      .info = {.block_weights = BN_TQ_BLOCK, .block_bytes = BN_TQ2_BLOCK_BYTES, .row_tile = 1,
                               .ggml_type = GGML_TQ2_0, .atype = BN_ATYPE_Q8, .ternary = 1},
                      .row_grain = 8, .kernels_apply_w_scale = 1, .block_scales_per_block = 1, .pack = bn_pack_tq2,
                      .unpack = bn_unpack_tq2},
    [BN_WTYPE_TQ1] = {.name = "tq1",
                      .info = {.block_weights = BN_TQ_BLOCK, .block_bytes = BN_TQ1_BLOCK_BYTES, .row_tile = 1,
                               .ggml_type = GGML_TQ1_0, .atype = BN_ATYPE_Q8, .ternary = 1},
                      .row_grain = 8, .kernels_apply_w_scale = 1, .block_scales_per_block = 1, .pack = bn_pack_tq1,
                      .unpack = bn_unpack_tq1},
    /* 32-row tiles of k / 4 units of 32 bytes: per row, 128 weights take 32 bytes as in I2S */
    [BN_WTYPE_TL1] = {.name = "tl1",
                      .info = {.block_weights = BN_TL1_BLOCK, .block_bytes = BN_TL1_BLOCK / 4,
                               .row_tile = BN_TL1_ROW_TILE, .ggml_type = GGML_NONE, .atype = BN_ATYPE_Q8, .ternary = 1},
                      .row_grain = BN_TL1_ROW_TILE, .kernels_apply_w_scale = 1, .pack = bn_pack_tl1,
                      .unpack = bn_unpack_tl1},
    [BN_WTYPE_F16] = {.name = "f16",
                      .info = {.block_weights = 1, .block_bytes = 2, .row_tile = 1, .ggml_type = GGML_F16,
                               .atype = BN_ATYPE_F32},
                      .row_grain = 16},
    [BN_WTYPE_Q8_0] = {.name = "q8_0",
                       .info = {.block_weights = BN_Q8_0_BLOCK, .block_bytes = BN_Q8_0_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q8_0, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    [BN_WTYPE_F32] = {.name = "f32",
                      .info = {.block_weights = 1, .block_bytes = 4, .row_tile = 1, .ggml_type = GGML_F32,
                               .atype = BN_ATYPE_F32},
                      .row_grain = 16},
    /* ggml's 4-bit and k-quant blocks (heads and embeddings as llama-quantize and bitnet.cpp write them) */
    [BN_WTYPE_Q6_K] = {.name = "q6_k",
                       .info = {.block_weights = BN_QK_BLOCK, .block_bytes = BN_Q6_K_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q6_K, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    [BN_WTYPE_Q4_0] = {.name = "q4_0",
                       .info = {.block_weights = BN_Q4_0_BLOCK, .block_bytes = BN_Q4_0_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q4_0, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    [BN_WTYPE_Q4_K] = {.name = "q4_k",
                       .info = {.block_weights = BN_QK_BLOCK, .block_bytes = BN_Q4_K_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q4_K, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    [BN_WTYPE_Q5_K] = {.name = "q5_k",
                       .info = {.block_weights = BN_QK_BLOCK, .block_bytes = BN_Q5_K_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q5_K, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    /* upstream llama.cpp's 2-bit blocks (ternary Bonsai models; post-training 2-bit weights) */
    [BN_WTYPE_Q2_0] = {.name = "q2_0",
                       .info = {.block_weights = BN_Q2_0_BLOCK, .block_bytes = BN_Q2_0_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q2_0, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    /* upstream llama.cpp's 1-bit blocks (binary Bonsai models; post-training binarization) */
    [BN_WTYPE_Q1_0] = {.name = "q1_0",
                       .info = {.block_weights = BN_Q1_0_BLOCK, .block_bytes = BN_Q1_0_BLOCK_BYTES, .row_tile = 1,
                                .ggml_type = GGML_Q1_0, .atype = BN_ATYPE_Q8},
                       .row_grain = 16},
    /* PrismML's earlier 2-bit blocks under the same GGUF id (Ternary Bonsai files written by their fork) */
    [BN_WTYPE_Q2_0_G128] = {.name = "q2_0_g128",
                            .info = {.block_weights = BN_Q2_0_G128_BLOCK, .block_bytes = BN_Q2_0_G128_BLOCK_BYTES,
                                     .row_tile = 1, .ggml_type = GGML_Q2_0, .atype = BN_ATYPE_Q8},
                            .row_grain = 16},
    [BN_WTYPE_BF16] = {.name = "bf16",
                       .info = {.block_weights = 1, .block_bytes = 2, .row_tile = 1, .ggml_type = GGML_BF16,
                                .atype = BN_ATYPE_F32},
                       .row_grain = 16},
    /* FP8 E4M3 weights with a per-block scale (post-training 8-bit floating point) */
    [BN_WTYPE_F8] = {.name = "f8",
                     .info = {.block_weights = BN_F8_BLOCK, .block_bytes = BN_F8_BLOCK_BYTES, .row_tile = 1,
                              .ggml_type = GGML_BN_F8_E4M3, .atype = BN_ATYPE_F32},
                     .row_grain = 16},
    /* column-major I2S: k columns of n codes, n padded to 128 (row_tile) at 2 bits, so k only needs
     * to be a multiple of 4 (whole bytes per 128-row tile of a column) */
    [BN_WTYPE_I2ST] = {.name = "i2st",
                       .info = {.block_weights = 4, .block_bytes = 1, .row_tile = BN_I2S_BLOCK,
                                .ggml_type = GGML_NONE, .atype = BN_ATYPE_Q8, .ternary = 1},
                       .row_grain = BN_I2S_BLOCK, .kernels_apply_w_scale = 1, .pack = bn_pack_i2st,
                       .unpack = bn_unpack_i2st},
};

const bn_wtype_traits* bn_wtype_traits_of(bn_wtype wtype) { return &wtype_traits[wtype]; }

int64_t bn_wtype_matrix_bytes(const bn_wtype_traits* t, int32_t n, int32_t k) {
    const int32_t tile = t->info.row_tile;
    /* rows < 2^31 rounded to a tile, times k / block_weights * block_bytes <= 2 k: fits 64 bits */
    return ((int64_t)n + tile - 1) / tile * tile * (k / t->info.block_weights) * t->info.block_bytes;
}

static int is_wtype(bn_wtype wtype) { return (int)wtype >= 0 && wtype < BN_WTYPE_COUNT; }

BN_API bn_status bn_wtype_get_info(bn_wtype wtype, bn_wtype_info* out) {
    if (!is_wtype(wtype))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_get_info: %d is not a bn_wtype value", (int)wtype);
    if (!out) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_get_info: out is NULL");
    *out = wtype_traits[wtype].info;
    return BN_STATUS_OK;
}

BN_API const char* bn_wtype_name(bn_wtype wtype) { return is_wtype(wtype) ? wtype_traits[wtype].name : "unknown"; }

BN_API bn_status bn_wtype_bytes(bn_wtype wtype, int32_t n, int32_t k, int64_t* out_bytes) {
    if (!is_wtype(wtype))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_bytes: %d is not a bn_wtype value", (int)wtype);
    if (!out_bytes) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_bytes: out_bytes is NULL");
    if (n < 0 || k < 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_bytes: negative shape n=%d k=%d", n, k);
    const bn_wtype_traits* t = &wtype_traits[wtype];
    if (k % t->info.block_weights != 0)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "bn_wtype_bytes: k=%d is not a multiple of the %d-weight %s block", k,
                       t->info.block_weights, t->name);
    *out_bytes = bn_wtype_matrix_bytes(t, n, k);
    return BN_STATUS_OK;
}
