/* Q5_K matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI): the block of q4_k-x86.h (vpmaddubsw and vpdpwssd
 * per 64 weights) on the shared walk of kquant-walk.h. Bit-exact with bn_matmul_q5_k_q8__ref. */
#define BN_AVX512VNNI 1
#define KQ_Q5_K 1
#include "q4_k-x86.h"

void bn_matmul_q5_k_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
