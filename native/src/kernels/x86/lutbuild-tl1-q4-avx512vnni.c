/* Lookup tables of one int4 activation row for the AVX-512 TL1 kernel: the AVX2 format (lut-x86.h,
 * 32 bytes per unit), whose consecutive units already give a zmm its four lanes' tables. Built with
 * AVX2 instructions (AVX-512 has no vpsignb). Counts activations outside [-8, 7]. */
#include "lut-x86.h"

int32_t bn_lutbuild_tl1_q4__avx512vnni(const int8_t* x, int32_t k, uint8_t* table) {
    return bn_lutbuild_tl1_q4_avx2(x, k, table);
}
