/* Q4_K matrix x int8 activation rows, AVX2: the block of q4_k-x86.h (vpmaddubsw and vpmaddwd per 32 weights) on the
 * shared walk of kquant-walk.h. Bit-exact with bn_matmul_q4_k_q8__ref. */
#include "q4_k-x86.h"

void bn_matmul_q4_k_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
