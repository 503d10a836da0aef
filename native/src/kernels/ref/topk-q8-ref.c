/* Reference top-K of int8 rows (bitnative.h): keep the `keep` entries of largest |x|, ties at the
 * threshold broken toward lower indices, zero the rest. A histogram of |x| (0..128) finds the
 * threshold magnitude L and how many entries equal to L survive; one pass then keeps |x| > L and the
 * first `need` entries with |x| == L. The SIMD variants build the same histogram and vectorize the pass. */
#include "bn_internal.h"

static void pass(int8_t* x, int32_t k, int32_t level, int32_t need) { bn_topk_pass__ref(x, 0, k, level, &need); }

void bn_topk_q8__ref(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end) {
    bn_topk_walk(xq, k, keep, r_begin, r_end, pass);
}
