/* Q2_0_G128 (PrismML's 128-weight Q2_0) matrix x int8 activation rows, AVX2: the block of q2_0-x86.h (products by
 * vpmaddubsw and vpmaddwd: offset-codes-x86.h) on the shared walk of kquant-walk.h. Bit-exact with
 * bn_matmul_q2_0_g128_q8__ref. */
#define KQ_Q2_0_G128 1
#include "q2_0-x86.h"

void bn_matmul_q2_0_g128_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
