/* The walk of the reference block-quantized x int8 matmuls (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q2_0_G128, Q1_0),
 * the specification every variant reproduces:
 *   y[r, i] = (sum_b t_b, summed as floats in block order) * x_scales[r],
 * with t_b the float term of block b of weight row i against the same 32 .. 256 activations of row r, which each
 * format's reference file defines (no FMA anywhere: the library is built with -ffp-contract=off). */
#ifndef BN_MATMUL_BLOCKS_REF_H
#define BN_MATMUL_BLOCKS_REF_H

#include "bn_kquants.h"

/* t_b of one block (its bytes at block) against its activations x[0 .. block weights). */
typedef float (*bn_block_term_fn)(const uint8_t* block, const int8_t* x);
/* Weight j of a block, as an integer. */
typedef int (*bn_block_weight_fn)(const uint8_t* block, int j);

static inline void bn_matmul_blocks_ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end, int32_t block_weights,
                                        int32_t block_bytes, bn_block_term_fn term) {
    const int32_t n_blocks = a->k / block_weights;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++)
                sum = sum + term(row + (int64_t)b * block_bytes, x + (int64_t)b * block_weights);
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}

/* t_b of the blocks with one scale d, the fp16 at the block's start: (float)dot * d with dot = sum_j w_j x_j over n
 * weights, exact in int32 (every format's bound is in its file). */
static inline float bn_block_dot_d_ref(const uint8_t* block, const int8_t* x, int32_t n, bn_block_weight_fn weight) {
    int32_t dot = 0;
    for (int32_t j = 0; j < n; j++) dot += weight(block, j) * x[j];
    return (float)dot * bn_kq_fp16(block);
}

/* t_b of the Q4_K and Q5_K blocks (code(block, j): 4 or 5 bits), with the 6-bit scales sc_s and mins m_s of their
 * eight 32-weight sub-blocks and d, dmin at bytes 0 and 2:
 *   I_b = sum_s sc_s * (sum_{j in s} c_j xq_j),  M_b = sum_s m_s * (sum_{j in s} xq_j)   exactly in int32
 *         (|I_b| <= 8 * 63 * 32 * 31 * 128 < 2^26, |M_b| <= 8 * 63 * 32 * 128 < 2^22);
 *   t_b = (float)I_b * d_b - (float)M_b * dmin_b   (each product rounded, then the difference),
 * the exact sum of w_j xq_j with w_j = d sc_s c_j - dmin m_s, up to those roundings. */
static inline float bn_block_k4_ref(const uint8_t* block, const int8_t* x, bn_block_weight_fn code) {
    uint64_t sc, mn;
    bn_k4_scales_mins(block + BN_Q4_K_SCALES_AT, &sc, &mn);
    int32_t isum = 0, msum = 0;
    for (int s = 0; s < 8; s++) {
        int32_t dot = 0, xsum = 0;
        for (int j = 32 * s; j < 32 * s + 32; j++) {
            dot += code(block, j) * x[j];
            xsum += x[j];
        }
        isum += (int32_t)((sc >> 8 * s) & 0xff) * dot;
        msum += (int32_t)((mn >> 8 * s) & 0xff) * xsum;
    }
    return (float)isum * bn_kq_fp16(block) - (float)msum * bn_kq_fp16(block + 2);
}

#endif
