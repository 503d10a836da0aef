/* Reference top-K of int8 rows (bitnative.h): keep the `keep` entries of largest |x|, ties at the
 * threshold broken toward lower indices, zero the rest. A histogram of |x| (0..128) finds the
 * threshold magnitude L and how many entries equal to L survive; one pass then keeps |x| > L and the
 * first `need` entries with |x| == L. The SIMD variants build the same histogram and vectorize the pass. */
#include "bn_internal.h"

void bn_topk_q8__ref(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end) {
    if (keep >= k) return;
    for (int32_t r = r_begin; r < r_end; r++) {
        int8_t* x = xq + (int64_t)r * k;
        int32_t level, need;
        bn_topk_threshold(x, k, keep, &level, &need);
        for (int32_t j = 0; j < k; j++) {
            const int32_t a = x[j] < 0 ? -x[j] : x[j];
            if (a > level) continue;
            if (a == level && need > 0) {
                need--;
                continue;
            }
            x[j] = 0;
        }
    }
}
