/* The float-weight formats of the dense kernels (the output head and embeddings in F16, BF16, F32 or F8) and the
 * scalar weight every variant reads: the reference for all of a row, the SIMD kernels for their tails. F8 rows are
 * 32-weight blocks {fp16 d; 32 E4M3 codes} (bn_f8_weight); every conversion is exact. */
#ifndef BN_DENSE_FLOAT_H
#define BN_DENSE_FLOAT_H

#include "../core/bn_internal.h"

#include <string.h>

enum bn_dense_format { BN_DENSE_F16, BN_DENSE_BF16, BN_DENSE_F32, BN_DENSE_F8 };

/* Weight j of row w as a float. */
static inline __attribute__((always_inline)) float bn_dense_weight(const uint8_t* w, int64_t j, const int fmt) {
    uint16_t h;
    switch (fmt) {
    case BN_DENSE_F32: {
        float v;
        memcpy(&v, w + 4 * j, sizeof v);
        return v;
    }
    case BN_DENSE_F8: return bn_f8_weight(w + j / BN_F8_BLOCK * BN_F8_BLOCK_BYTES, (int)(j % BN_F8_BLOCK));
    default:
        memcpy(&h, w + 2 * j, sizeof h); /* little-endian 16-bit patterns */
        return fmt == BN_DENSE_BF16 ? bn_bf16_to_fp32(h) : bn_fp16_to_fp32(h);
    }
}

#endif
