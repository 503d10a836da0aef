/* Q1_0 matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI): the block of q1_0-x86.h (products by 256-bit
 * vpdpbusd: offset-codes-x86.h) on the shared walk of kquant-walk.h. Bit-exact with bn_matmul_q1_0_q8__ref. */
#define BN_AVX512VNNI 1
#include "q1_0-x86.h"

void bn_matmul_q1_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
