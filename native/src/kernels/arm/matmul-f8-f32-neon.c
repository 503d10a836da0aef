/* FP8 (E4M3 blocks) matrix x float activation rows, NEON: the shared float-weight walk of dense-float-neon.h. Eight
 * codes become fp16 bit patterns by two masks and shifts (bn_f8_e4m3_as_fp16), FCVTL widens them, and one multiply
 * by 256 d gives the exact weights. */
#include "dense-float-neon.h"

void bn_matmul_f8_f32__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_neon(a, i_begin, i_end, BN_DENSE_F8);
}
