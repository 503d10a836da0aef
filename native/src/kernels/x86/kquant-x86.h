/* The walk every Q4_0 / Q4_K / Q5_K / Q6_K x int8 kernel on x86 shares (AVX2 and AVX-512 files alike):
 * which rows and blocks go together, the prefetches, the exact reduction of each block to its integer
 * sums and the float epilogue of the references (matmul-q*-q8-ref.c), so every variant gives their
 * bits. The including file supplies the block arithmetic:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t], KQ_BLOCK / KQ_GROUP of them) writes, for pair p = r * T + t, eight int32 lanes[p] summing
 *       to I_b and (with a min term) four int32 mlanes[p] summing to M_b. Called with (R, T) = (4, 1)
 *       and (1, 4) as constants, so it unrolls into registers.
 *
 * m = 1 (decoding, DRAM-bound for a head): groups of four consecutive rows share every activation load;
 * the next group is contiguous, so it is prefetched as one sequential stream, one block step of it per
 * block step here (four interleaved row streams alone reach a half or less of the plain-read bandwidth
 * on Zen 3 and Zen 4; see bn_prefetch_bytes). m > 1 (a prompt batch, rarely the head): tiles of
 * KQ_ROW_TILE weight rows stay in cache while groups of four activation rows pass over them, and each
 * weight block is decoded once per four activation rows. A short group repeats its last row; the extra
 * results are computed and dropped.
 *
 * Rows longer than KQ_CHUNK_WEIGHTS go in chunks whose activation sums fit on the stack; the running
 * float sums wait in y in between (a float store and reload is exact), and the prefetch then covers only
 * part of the next group (no head or embedding we know is that wide). */
#ifndef BN_KQUANT_X86_H
#define BN_KQUANT_X86_H

#include "x86-common.h"

/* The kernel file's block arithmetic (see above), defined after this header. */
static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes,
                                                           const uint8_t* pf);

/* Vector step `slot` of a block step prefetches line `slot` of the next group's share of the step (pf; NULL
 * for none), so the lines are requested one at a time while the block is computed. always_inline keeps the
 * prefetch (see bn_prefetch_bytes). */
static inline __attribute__((always_inline)) void kq_prefetch_slot(const uint8_t* pf, const int slot) {
    if (pf && 64 * slot < 4 * KQ_BLOCK_BYTES) _mm_prefetch((const char*)pf + 64 * slot, _MM_HINT_T0);
}

/* Weights per pass when the kernel needs activation sums (their stack array): every head and embedding
 * width we meet (2B-4T: 2560) is one pass, so the next group's prefetch covers it all. Without sums a row
 * is always one pass. */
#define KQ_CHUNK_WEIGHTS 16384
#define KQ_CHUNK (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_BLOCK : INT32_MAX)
#define KQ_SUMS_CAPACITY (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_GROUP : 1)
#define KQ_ROW_TILE 32
#define KQ_SUMS_PER_BLOCK (KQ_BLOCK / (KQ_GROUP > 0 ? KQ_GROUP : KQ_BLOCK))

/* out[g] = sum of activations [KQ_GROUP g, KQ_GROUP (g + 1)) of x[0 .. count); count a multiple of 32.
 * vpsadbw sums eight bytes of x + 128 (as unsigned) into a 64-bit lane; |out| <= 32 * 128 fits int16. */
static inline void kq_act_sums(const int8_t* x, int32_t count, int16_t* out) {
    if (KQ_GROUP == 0) return;
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int32_t j = 0; j < count; j += 32) {
        const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(x + j)), bias);
        __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
        s = _mm256_add_epi64(s, _mm256_srli_si256(s, 8)); /* 16-byte sums in lanes 0 and 2 */
        const int32_t lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(s)) - 16 * 128;
        const int32_t hi = _mm_cvtsi128_si32(_mm256_extracti128_si256(s, 1)) - 16 * 128;
        if (KQ_GROUP == 16) {
            out[j / 16] = (int16_t)lo;
            out[j / 16 + 1] = (int16_t)hi;
        } else {
            out[j / 32] = (int16_t)(lo + hi);
        }
    }
}

/* The four sums of four 128-bit vectors, in order. */
static inline __m128i kq_hsum4_128(__m128i a, __m128i b, __m128i c, __m128i d) {
    return _mm_hadd_epi32(_mm_hadd_epi32(a, b), _mm_hadd_epi32(c, d));
}

/* sum + t_b for one block of four (weight row, activation row) pairs: lanes reduced to the exact I_b (and
 * M_b), then t_b = (float)I_b * d (- (float)M_b * dmin), one rounding per operation as in the reference. */
static inline __attribute__((always_inline)) __m128 kq_epilogue(const __m256i lanes[4], const __m128i mlanes[4],
                                                                __m128 d, __m128 dmin, __m128 sum) {
    const __m128i isum = bn_hsum4_epi32_avx2(lanes[0], lanes[1], lanes[2], lanes[3]);
    __m128 t = _mm_mul_ps(_mm_cvtepi32_ps(isum), d);
    if (KQ_DMIN_AT >= 0) {
        const __m128i msum = kq_hsum4_128(mlanes[0], mlanes[1], mlanes[2], mlanes[3]);
        t = _mm_sub_ps(t, _mm_mul_ps(_mm_cvtepi32_ps(msum), dmin));
    }
    (void)dmin;
    return _mm_add_ps(sum, t);
}

/* Four weight rows w[0..3] (at the chunk's first block) against one activation row, blocks [0, nb). */
static inline __attribute__((always_inline)) __m128 kq_rows4(const uint8_t* const w[4], const int8_t* x,
                                                             const int16_t* xs, int32_t nb, const uint8_t* next,
                                                             __m128 sum) {
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * KQ_BLOCK_BYTES;
        const uint8_t* wb[4] = {w[0] + off, w[1] + off, w[2] + off, w[3] + off};
        const int8_t* xb[1] = {x + (int64_t)b * KQ_BLOCK};
        const int16_t* xsb[1] = {xs + (int64_t)b * KQ_SUMS_PER_BLOCK};
        __m256i lanes[4];
        __m128i mlanes[4];
        const uint8_t* pf = next + 4 * off;
        if (!pf) __builtin_unreachable(); /* lets kq_prefetch_slot drop its NULL test here */
        kq_block(wb, 4, xb, xsb, 1, lanes, mlanes, pf);
        const __m128 d = bn_fp16x4_to_ps(wb[0] + KQ_D_AT, wb[1] + KQ_D_AT, wb[2] + KQ_D_AT, wb[3] + KQ_D_AT);
        const __m128 dmin = KQ_DMIN_AT >= 0 ? bn_fp16x4_to_ps(wb[0] + KQ_DMIN_AT, wb[1] + KQ_DMIN_AT,
                                                              wb[2] + KQ_DMIN_AT, wb[3] + KQ_DMIN_AT)
                                            : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

/* One weight row w (at the chunk's first block) against four activation rows x[0..3], blocks [0, nb). */
static inline __attribute__((always_inline)) __m128 kq_acts4(const uint8_t* w, const int8_t* const x[4],
                                                             const int16_t* const xs[4], int32_t nb, __m128 sum) {
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* wb[1] = {w + (int64_t)b * KQ_BLOCK_BYTES};
        const int8_t* xb[4];
        const int16_t* xsb[4];
        for (int t = 0; t < 4; t++) {
            xb[t] = x[t] + (int64_t)b * KQ_BLOCK;
            xsb[t] = xs[t] + (int64_t)b * KQ_SUMS_PER_BLOCK;
        }
        __m256i lanes[4];
        __m128i mlanes[4];
        kq_block(wb, 1, xb, xsb, 4, lanes, mlanes, NULL);
        const __m128 d = bn_fp16_to_ps_bcast(wb[0] + KQ_D_AT);
        const __m128 dmin = KQ_DMIN_AT >= 0 ? bn_fp16_to_ps_bcast(wb[0] + KQ_DMIN_AT) : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

/* m = 1: groups of four rows; the group after the last one is the last one again (its prefetch is then
 * of lines already on their way). */
static inline __attribute__((always_inline)) void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int8_t* x = a->xq + (int64_t)c0 * KQ_BLOCK;
        kq_act_sums(x, cn * KQ_BLOCK, xs);
        for (int32_t i = i_begin; i < i_end; i += 4) {
            const int32_t nr = i_end - i < 4 ? i_end - i : 4;
            const uint8_t* w[4];
            float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int32_t r = 0; r < 4; r++)
                w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES;
            if (c0 > 0)
                for (int32_t r = 0; r < nr; r++) part[r] = a->y[i + r];
            const uint8_t* next = a->w + (int64_t)(i + 4 < i_end ? i + 4 : i) * a->row_bytes;
            __m128 sum = kq_rows4(w, x, xs, cn, next + (int64_t)c0 * 4 * KQ_BLOCK_BYTES, _mm_loadu_ps(part));
            if (c0 + cn == nb) sum = _mm_mul_ps(sum, _mm_set1_ps(a->x_scales[0]));
            _mm_storeu_ps(part, sum);
            for (int32_t r = 0; r < nr; r++) a->y[i + r] = part[r];
        }
    }
}

/* m > 1: KQ_ROW_TILE weight rows at a time, each against groups of four activation rows. */
static inline __attribute__((always_inline)) void kq_gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[4][KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) {
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int last = c0 + cn == nb;
        for (int32_t t0 = i_begin; t0 < i_end; t0 += KQ_ROW_TILE) {
            const int32_t t1 = i_end - t0 < KQ_ROW_TILE ? i_end : t0 + KQ_ROW_TILE;
            for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
                const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
                const int8_t* x[4];
                const int16_t* xsp[4];
                float scale[4];
                for (int32_t t = 0; t < 4; t++) {
                    const int32_t rr = r0 + (t < nr ? t : nr - 1);
                    x[t] = a->xq + (int64_t)rr * a->k + (int64_t)c0 * KQ_BLOCK;
                    scale[t] = a->x_scales[rr];
                    kq_act_sums(x[t], cn * KQ_BLOCK, xs[t]);
                    xsp[t] = xs[t];
                }
                const __m128 vscale = _mm_loadu_ps(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (c0 > 0)
                        for (int32_t t = 0; t < nr; t++) part[t] = a->y[(int64_t)(r0 + t) * a->n + i];
                    __m128 sum = kq_acts4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xsp, cn,
                                          _mm_loadu_ps(part));
                    if (last) sum = _mm_mul_ps(sum, vscale);
                    _mm_storeu_ps(part, sum);
                    for (int32_t t = 0; t < nr; t++) a->y[(int64_t)(r0 + t) * a->n + i] = part[t];
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) void kq_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) kq_gemv(a, i_begin, i_end);
    else kq_gemm(a, i_begin, i_end);
}

#endif
