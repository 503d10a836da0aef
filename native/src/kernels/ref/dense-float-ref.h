/* The reference float-weight matrix x float activations shared by the F16, BF16, F32 and F8 references:
 * y[r, i] = sum_j W[i, j] x[r, j], every product and sum a float operation in column order, with each format's
 * weights converted exactly (bn_dense_weight). */
#ifndef BN_DENSE_FLOAT_REF_H
#define BN_DENSE_FLOAT_REF_H

#include "../dense-float.h"

static inline void bn_dense_float_ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end, int fmt) {
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const float* x = a->x + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t j = 0; j < a->k; j++) sum += bn_dense_weight(row, j, fmt) * x[j];
            a->y[(int64_t)r * a->n + i] = sum;
        }
    }
}

#endif
