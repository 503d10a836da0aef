/* Reference I2ST (transposed I2S) x int8 matmul: the bits of bn_matmul_i2s_q8__ref on the same values,
 * y[r, i] = (float)(sum_j (code(i, j) - 1) * xq[r, j]) * (x_scales[r] * w_scale), summed only over the
 * columns j with xq[r, j] != 0 (the others add 0). Column j is an I2S row of n_pad = n rounded up to
 * 128 codes at byte j * n_pad / 4: output i sits in block i / 128, byte i % 32, bits 7:6 .. 1:0 for
 * (i % 128) / 32 = 0 .. 3. Code 3 counts as +2, as in I2S.
 *
 * Also the sparse row builder the SIMD variants read (bn_sparse_build__ref, see bn_internal.h). */
#include "bn_internal.h"

void bn_matmul_i2st_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    const int64_t col_bytes = ((int64_t)a->n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    for (int32_t r = 0; r < a->m; r++) {
        const int8_t* x = a->xq + (int64_t)r * k;
        for (int32_t i = i_begin; i < i_end; i++) {
            const int64_t byte = (int64_t)(i / BN_I2ST_TILE) * 32 + i % 32;
            const int shift = 6 - 2 * ((i % BN_I2ST_TILE) / 32);
            int32_t acc = 0;
            for (int32_t j = 0; j < k; j++) {
                if (x[j] == 0) continue;
                const int32_t w = ((a->w[j * col_bytes + byte] >> shift) & 3) - 1;
                acc += w * x[j];
            }
            a->y[(int64_t)r * a->n + i] = (float)acc * (a->x_scales[r] * a->w_scale);
        }
    }
}

int32_t bn_sparse_build__ref(const int8_t* x, int32_t k, uint8_t* table) {
    int32_t* idx = (int32_t*)(void*)(table + 8);
    int8_t* val = (int8_t*)(table + 8 + 4 * (int64_t)k);
    int32_t count = 0, sum = 0;
    for (int32_t j = 0; j < k; j++) {
        sum += x[j];
        if (x[j] != 0) {
            idx[count] = j;
            val[count] = x[j];
            count++;
        }
    }
    while (count % 4 != 0) { /* k % 4 == 0, so the padding fits */
        idx[count] = 0;
        val[count] = 0;
        count++;
    }
    memcpy(table, &count, 4);
    memcpy(table + 4, &sum, 4);
    return 0;
}
