/* The rows and blocks every Hadamard kernel walks (bitnative.h's normalized Walsh-Hadamard transform): each row of k
 * values in blocks of B (B = bn_hadamard_block(k), the largest power of two dividing k), each block transformed in
 * place and scaled by bn_hadamard_scale(B). A kernel supplies the transform of one block in its vectors, for blocks
 * of at least min_block values (its vector width); shorter blocks run the reference's, bn_hadamard_block__ref. */
#ifndef BN_HADAMARD_WALK_H
#define BN_HADAMARD_WALK_H

#include "../core/bn_internal.h"

/* Transforms one block of `block` values at v and multiplies each by scale. */
typedef void (*bn_hadamard_block_fn)(float* v, int32_t block, float scale);

static inline __attribute__((always_inline)) void bn_hadamard_walk(float* x, int32_t k, int32_t r_begin, int32_t r_end,
                                                                   int32_t min_block, bn_hadamard_block_fn transform) {
    const int32_t block = bn_hadamard_block(k);
    const float scale = bn_hadamard_scale(block);
    for (int32_t r = r_begin; r < r_end; r++)
        for (int32_t b0 = 0; b0 < k; b0 += block) {
            float* v = x + (int64_t)r * k + b0;
            if (block < min_block)
                bn_hadamard_block__ref(v, block, scale);
            else
                transform(v, block, scale);
        }
}

#endif /* BN_HADAMARD_WALK_H */
