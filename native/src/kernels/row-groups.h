/* The groups of four rows the chunked matmul walks work on: four weight rows against one activation row (TQ2_0's
 * m = 1, x86/tq2-walk-x86.h), or one weight row against four activation rows (m > 1, kquant-walk.h and
 * x86/tq2-walk-x86.h). A short last group repeats its last row, so there is one code path; the extra outputs are
 * computed and dropped. Between chunks of k the four running float sums wait in y (a float store and reload is
 * exact). */
#ifndef BN_ROW_GROUPS_H
#define BN_ROW_GROUPS_H

#include "../core/bn_internal.h"

/* The weight rows of the group from row i, each at byte off; returns how many are real (1..4). */
static inline __attribute__((always_inline)) int32_t bn_weight_group4(const bn_matmul_args* a, int32_t i,
                                                                      int32_t i_end, int64_t off,
                                                                      const uint8_t* w[4]) {
    const int32_t nr = i_end - i < 4 ? i_end - i : 4;
    for (int32_t r = 0; r < 4; r++) w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes + off;
    return nr;
}

/* The activation rows of the group from row r0, each at column off, and their scales times w_scale; returns how
 * many are real (1..4). */
static inline __attribute__((always_inline)) int32_t bn_act_group4(const bn_matmul_args* a, int32_t r0, int64_t off,
                                                                   float w_scale, const int8_t* x[4], float scale[4]) {
    const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
    for (int32_t t = 0; t < 4; t++) {
        const int32_t rr = r0 + (t < nr ? t : nr - 1);
        x[t] = a->xq + (int64_t)rr * a->k + off;
        scale[t] = a->x_scales[rr] * w_scale;
    }
    return nr;
}

/* The running sums of a group's n outputs y[0], y[stride], ..: 0 before the first chunk of k, else as the last
 * chunk left them. */
static inline __attribute__((always_inline)) void bn_group_sums_load(const float* y, int64_t stride, int32_t n,
                                                                     int first, float part[4]) {
    for (int32_t r = 0; r < 4; r++) part[r] = 0.0f;
    if (!first)
        for (int32_t r = 0; r < n; r++) part[r] = y[r * stride];
}

static inline __attribute__((always_inline)) void bn_group_sums_store(float* y, int64_t stride, int32_t n,
                                                                      const float part[4]) {
    for (int32_t r = 0; r < n; r++) y[r * stride] = part[r];
}

/* One weight row i against the T activation rows from r0 (T a compile-time constant at each call). */
typedef void (*bn_row_acts_fn)(const bn_matmul_args* a, int32_t i, int32_t r0, const int T);

/* Weight rows [i_begin, i_end), each against the activation rows in groups of four and then the 1 to 3 left over:
 * each call of row gets its T as a constant, so a kernel's accumulator arrays unroll for every group size. */
static inline __attribute__((always_inline)) void bn_rows_by_act4(const bn_matmul_args* a, int32_t i_begin,
                                                                  int32_t i_end, bn_row_acts_fn row) {
    for (int32_t i = i_begin; i < i_end; i++) {
        int32_t r0 = 0;
        for (; r0 + 4 <= a->m; r0 += 4) row(a, i, r0, 4);
        switch (a->m - r0) {
        case 3: row(a, i, r0, 3); break;
        case 2: row(a, i, r0, 2); break;
        case 1: row(a, i, r0, 1); break;
        default: break;
        }
    }
}

#endif
