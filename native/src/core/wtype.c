/* The weight-type traits table: adding a packed format means adding one row (STYLE 3). */
#include "bn_internal.h"

static const bn_wtype_info wtype_traits[BN_WTYPE_COUNT] = {
    [BN_WTYPE_I2S] = {.block_weights = BN_I2S_BLOCK, .block_bytes = BN_I2S_BLOCK / 4, .tensor_trailer_bytes = 32},
    [BN_WTYPE_TQ2] = {.block_weights = BN_TQ_BLOCK, .block_bytes = BN_TQ2_BLOCK_BYTES, .tensor_trailer_bytes = 0},
    [BN_WTYPE_TQ1] = {.block_weights = BN_TQ_BLOCK, .block_bytes = BN_TQ1_BLOCK_BYTES, .tensor_trailer_bytes = 0},
};

BN_API bn_status bn_wtype_get_info(bn_wtype wtype, bn_wtype_info* out) {
    if ((int)wtype < 0 || wtype >= BN_WTYPE_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_get_info: %d is not a bn_wtype value", (int)wtype);
    if (!out) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_get_info: out is NULL");
    *out = wtype_traits[wtype];
    return BN_STATUS_OK;
}

BN_API bn_status bn_wtype_row_bytes(bn_wtype wtype, int32_t n, int32_t k, int64_t* out_bytes) {
    if ((int)wtype < 0 || wtype >= BN_WTYPE_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_row_bytes: %d is not a bn_wtype value", (int)wtype);
    if (!out_bytes) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_row_bytes: out_bytes is NULL");
    if (n < 0 || k < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_wtype_row_bytes: negative shape n=%d k=%d", n, k);
    const bn_wtype_info* t = &wtype_traits[wtype];
    if (k % t->block_weights != 0)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "bn_wtype_row_bytes: k=%d is not a multiple of %d", k,
                       t->block_weights);
    /* n, k < 2^31 and block_bytes <= 66 * k / 256: the product fits easily in 64 bits. */
    *out_bytes = (int64_t)n * (k / t->block_weights) * t->block_bytes;
    return BN_STATUS_OK;
}
