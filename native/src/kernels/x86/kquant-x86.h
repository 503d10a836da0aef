/* The x86 side of the block-quantized x int8 kernels (AVX2 and AVX-512 VNNI files alike): the vector vocabulary
 * of the shared walk (kernels/kquant-walk.h) and the activation sums. A block's pair lanes are eight int32 (one
 * 256-bit vector), its min lanes four. An -avx512vnni file defines BN_AVX512VNNI 1 before its includes; the
 * format headers (q*-x86.h) then pick their AVX-512 VNNI arithmetic. */
#ifndef BN_KQUANT_X86_H
#define BN_KQUANT_X86_H

#include "x86-common.h"
#include "bn_kquants.h"

#ifndef BN_AVX512VNNI
#  define BN_AVX512VNNI 0
#endif

typedef __m128 kq_f4;
typedef __m256i kq_lanes;
typedef __m128i kq_mlanes;
#define kq_f4_load _mm_loadu_ps
#define kq_f4_store _mm_storeu_ps
#define kq_f4_set1 _mm_set1_ps
#define kq_f4_add _mm_add_ps
#define kq_f4_sub _mm_sub_ps
#define kq_f4_mul _mm_mul_ps
#define kq_f4_from_i4 _mm_cvtepi32_ps
#define kq_fp16x4 bn_fp16x4_to_ps
#define kq_fp16x1 bn_fp16_to_ps_bcast

typedef __m128 kq_acc; /* lane 0 */
#define kq_acc_set _mm_set_ss
#define kq_acc_get _mm_cvtss_f32

static inline __attribute__((always_inline)) __m128 kq_acc_add_lane(__m128 acc, __m128 v, const int q) {
    switch (q) {
    case 0: return _mm_add_ss(acc, v);
    case 1: return _mm_add_ss(acc, _mm_shuffle_ps(v, v, 1));
    case 2: return _mm_add_ss(acc, _mm_shuffle_ps(v, v, 2));
    default: return _mm_add_ss(acc, _mm_shuffle_ps(v, v, 3));
    }
}

/* Constant vectors of the kernels live in static tables (one load, or a memory operand): built from set1 / insert
 * they were rematerialized for every block (movabs, broadcast, insert). KQ_R8(...) ... KQ_R32(...): the arguments
 * repeated. */
#define KQ_R8(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define KQ_R16(...) KQ_R8(__VA_ARGS__), KQ_R8(__VA_ARGS__)
#define KQ_R32(...) KQ_R16(__VA_ARGS__), KQ_R16(__VA_ARGS__)

static inline __m128i kq_isum4(const __m256i lanes[4]) {
    return bn_hsum4_epi32_avx2(lanes[0], lanes[1], lanes[2], lanes[3]);
}

static inline __m128i kq_msum4(const __m128i mlanes[4]) {
    return _mm_hadd_epi32(_mm_hadd_epi32(mlanes[0], mlanes[1]), _mm_hadd_epi32(mlanes[2], mlanes[3]));
}

/* out[g] = sum of activations [group g, group (g + 1)) of x[0 .. count), group 16 or 32; count a multiple of 32.
 * vpsadbw sums eight bytes of x + 128 (as unsigned) into a 64-bit lane; |out| <= 32 * 128 fits int16. */
static inline __attribute__((always_inline)) void kq_act_sums(const int8_t* x, int32_t count, int group,
                                                              int16_t* out) {
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int32_t j = 0; j < count; j += 32) {
        const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(x + j)), bias);
        __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
        s = _mm256_add_epi64(s, _mm256_srli_si256(s, 8)); /* 16-byte sums in lanes 0 and 2 */
        const int32_t lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(s)) - 16 * 128;
        const int32_t hi = _mm_cvtsi128_si32(_mm256_extracti128_si256(s, 1)) - 16 * 128;
        if (group == 16) {
            out[j / 16] = (int16_t)lo;
            out[j / 16 + 1] = (int16_t)hi;
        } else {
            out[j / 32] = (int16_t)(lo + hi);
        }
    }
}

#endif
