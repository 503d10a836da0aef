/* Reference TL1 x int4 matmul. int4 activations (BitNet a4.8, values in [-8, 7] held in int8) are a
 * range restriction, not a different formula: the result is the q8 reference's, which is what the
 * SIMD q4 variants must reproduce. The entry point rejects values outside [-8, 7] before any kernel
 * runs (their q4 tables hold int8 sums that assume the range). */
#include "bn_internal.h"

void bn_matmul_tl1_q4__ref(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end) {
    bn_matmul_tl1_q8__ref(a, tile_begin, tile_end);
}
