/* Reference Q5_K matrix x int8 activation rows (the specification). Per 256-weight block b, with the
 * 5-bit codes c_j and the 6-bit scales sc_s and mins m_s of its eight 32-weight sub-blocks:
 *   I_b = sum_s sc_s * (sum_{j in s} c_j xq_j),  M_b = sum_s m_s * (sum_{j in s} xq_j)   exactly in int32
 *         (|I_b| <= 8 * 63 * 32 * 31 * 128 < 2^26, |M_b| <= 8 * 63 * 32 * 128 < 2^22);
 *   t_b = (float)I_b * d_b - (float)M_b * dmin_b   (each product rounded, then the difference; no FMA);
 *   y[r, i] = (sum_b t_b, summed in block order) * x_scales[r],
 * the exact sum of w_j xq_j with w_j = d sc_s c_j - dmin m_s, up to those roundings. d, dmin and the
 * packed scales sit where Q4_K keeps them; the fifth bit of each code comes from qh. */
#include "bn_kquants.h"

void bn_matmul_q5_k_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n_blocks = a->k / BN_QK_BLOCK;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++) {
                const uint8_t* block = row + (int64_t)b * BN_Q5_K_BLOCK_BYTES;
                const int8_t* xb = x + (int64_t)b * BN_QK_BLOCK;
                uint64_t sc, mn;
                bn_k4_scales_mins(block + BN_Q5_K_SCALES_AT, &sc, &mn);
                int32_t isum = 0, msum = 0;
                for (int s = 0; s < 8; s++) {
                    int32_t dot = 0, xsum = 0;
                    for (int j = 32 * s; j < 32 * s + 32; j++) {
                        dot += bn_q5_k_code(block, j) * xb[j];
                        xsum += xb[j];
                    }
                    isum += (int32_t)((sc >> 8 * s) & 0xff) * dot;
                    msum += (int32_t)((mn >> 8 * s) & 0xff) * xsum;
                }
                const float t = (float)isum * bn_kq_fp16(block) - (float)msum * bn_kq_fp16(block + 2);
                sum = sum + t;
            }
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}
