/* Lookup tables of one int4 activation row for the AVX2 TL1 kernel (format: lut-x86.h): per unit, the
 * biased tables of its two pairs, straight from the activations (|pair sum| <= 16 fits int8). Also
 * counts activations outside [-8, 7], which the tables cannot represent (the entry point rejects
 * them). */
#include "lut-x86.h"

int32_t bn_lutbuild_tl1_q4__avx2(const int8_t* x, int32_t k, uint8_t* table) {
    return bn_lutbuild_tl1_q4_avx2(x, k, table);
}
