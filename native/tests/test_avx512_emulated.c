/* The AVX-512 kernels on any AVX2 machine: their sources are compiled a second time for this test
 * with -DBN_SIMDE (intrinsics from SIMDe, running on AVX2) and AVX2 flags only, their symbols renamed
 * to *_emu (see CMakeLists.txt), and checked bit for bit against the scalar reference on the same
 * shape and value classes as test_matmul and test_quantize. On a CPU with AVX-512 those tests also
 * run the real kernels; this one keeps them checked where the CPU cannot. */
#include "decode_cases.h"
#include "matmul_cases.h"
#include "quantize_cases.h"
#include "lut_cases.h"
#include "a48_cases.h"
#include "kquant_cases.h"

void bn_matmul_i2s_q8__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_quantize_q8__avx512_emu(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_quantize_q4__avx512_emu(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);

void bn_attention_f16__avx512_emu(const bn_attention_args* a, int32_t u_begin, int32_t u_end);
void bn_matmul_q8_0_q8__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

static void check_matmul(void) {
    bn_rng rng = {1234};
    for (int s = 0; s < N_I2S_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++) {
            matmul_case c;
            matmul_case_init(&c, BN_WTYPE_I2S, i2s_shapes[s], act, (s + act) % N_SCALE_CASES, &rng);
            matmul_check_variant(&c, bn_matmul_i2s_q8__avx512vnni_emu, "avx512vnni(emulated)");
            matmul_case_free(&c);
        }
    for (int s = 0; s < N_TQ2_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++) {
            matmul_case c;
            matmul_case_init(&c, BN_WTYPE_TQ2, tq2_shapes[s], act, (s + act) % N_SCALE_CASES, &rng);
            matmul_check_variant(&c, bn_matmul_tq2_q8__avx512vnni_emu, "avx512vnni(emulated)");
            matmul_case_free(&c);
        }
    bn_rng rng3 = {99};
    matmul_check_code3(BN_WTYPE_I2S, bn_matmul_i2s_q8__avx512vnni_emu, "avx512vnni(emulated)", &rng3);
    matmul_check_code3(BN_WTYPE_TQ2, bn_matmul_tq2_q8__avx512vnni_emu, "avx512vnni(emulated)", &rng3);
}

static void check_quantize(void) {
    bn_rng rng = {7};
    for (int wi = 0; wi < N_Q_WIDTHS; wi++)
        for (int ri = 0; ri < N_Q_ROWS; ri++)
            for (int kind = 0; kind < FILL_COUNT; kind++) {
                int32_t k = q_widths[wi], m = q_rows[ri];
                float* x = quantize_case_input(&rng, k, m, kind);
                int8_t* q_ref = xmalloc((size_t)m * (size_t)k);
                float s_ref[Q_MAX_ROWS];
                quantize_check_variant(bn_quantize_q8__ref, bn_quantize_q8__avx512_emu, 8, "avx512(emulated)", x, k,
                                       m, kind, q_ref, s_ref);
                quantize_check_variant(bn_quantize_q4__ref, bn_quantize_q4__avx512_emu, 4, "avx512(emulated)", x, k,
                                       m, kind, q_ref, s_ref);
                free(x);
                free(q_ref);
            }
}

static void attention_emulated(void* ctx, const attention_case* c, const float* ref) {
    (void)ctx;
    attention_check_variant("avx512(emulated)", bn_attention_f16__avx512_emu, c, ref);
}

static void q8_0_emulated(void* ctx, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n, int32_t k,
                          int32_t m) {
    (void)ctx;
    dense_int8_rows_check_variant("avx512(emulated)", BN_WTYPE_Q8_0, bn_matmul_q8_0_q8__avx512vnni_emu, w, xq, scales, n,
                                  k, m);
}

/* The decode-step AVX-512 kernels on the shape and value classes of test_decode. */
static void check_decode(void) {
    bn_rng rng = {29};
    attention_for_each_case(&rng, attention_emulated, NULL);
    dense_q8_for_each_case(&rng, q8_0_emulated, NULL);
}

/* The AVX-512 lookup-table (TL1) kernels and their table builders, emulated: the q8 and q4 paths on
 * the shared LUT shapes (a smaller set: SIMDe runs 512-bit code at a fraction of native speed),
 * corrupt codes, with and without a pool. */
int32_t bn_lutbuild_tl1_q8__avx512vnni_emu(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__avx512vnni_emu(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tl1_q4__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

static void check_lut(void) {
    const lut_kernels emu = {
        .q8 = {.gemv = bn_matmul_tl1_q8__avx512vnni_emu, .gemm = bn_matmul_tl1_q8__avx512vnni_emu,
               .prepare = bn_lutbuild_tl1_q8__avx512vnni_emu, .table_bytes_per_k = 16},
        .q4 = {.gemv = bn_matmul_tl1_q4__avx512vnni_emu, .gemm = bn_matmul_tl1_q4__avx512vnni_emu,
               .prepare = bn_lutbuild_tl1_q4__avx512vnni_emu, .table_bytes_per_k = 8}};
    bn_threadpool* pool = NULL;
    CHECK_STATUS(bn_threadpool_create(2, &pool), BN_STATUS_OK);
    bn_rng rng = {1234};
    for (int s = 0; s < N_LUT_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++) {
            if (lut_shapes[s].k >= 6912 && act % 2) continue; /* the widest shapes: half the value classes */
            lut_case c;
            lut_case_init(&c, lut_shapes[s], act, (s + act) % N_SCALE_CASES, &rng);
            lut_check_kernels(&c, &emu, "avx512vnni(emulated)", act % 2 ? pool : NULL);
            lut_case_free(&c);
        }
    bn_rng rng3 = {99};
    lut_check_raw_codes(&emu, "avx512vnni(emulated)", &rng3);
    bn_threadpool_free(pool);
}

/* The a4.8 / v2 AVX-512 kernels, emulated: attention over quantized caches, the Hadamard transform and
 * the sparse I2ST matmul (its sparse rows built by the reference builder, as the config pairs them). */
void bn_attention_kvq__avx512_emu(const bn_attention_args* a, int32_t u_begin, int32_t u_end);
void bn_hadamard_f32__avx512_emu(float* x, int32_t k, int32_t r_begin, int32_t r_end);
void bn_matmul_i2st_q8__avx512vnni_emu(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

static void check_a48(void) {
    kvq_check_all("avx512(emulated)", bn_attention_kvq__avx512_emu, 0);
    hadamard_check_variant("avx512(emulated)", bn_hadamard_f32__avx512_emu);
    const bn_matmul_ukernel i2st = {.gemv = bn_matmul_i2st_q8__avx512vnni_emu, .gemm = bn_matmul_i2st_q8__avx512vnni_emu,
                                    .prepare = bn_sparse_build__ref, .table_bytes_per_k = BN_SPARSE_TABLE_BYTES_PER_K};
    i2st_check_kernel("avx512vnni(emulated)", &i2st);
}

/* ggml's 4-bit, k-quant and 2-bit weights (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q1_0): the same cases as test_kquant, bit for bit. */
BN_KQUANT_KERNEL_DECLS(avx512vnni_emu)

static void each_kquant(void* ctx, bn_wtype t, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n,
                        int32_t k, int32_t m, const float* ref) {
    (void)ctx;
    bn_matmul_fn fn = t == BN_WTYPE_Q4_0   ? bn_matmul_q4_0_q8__avx512vnni_emu
                      : t == BN_WTYPE_Q4_K ? bn_matmul_q4_k_q8__avx512vnni_emu
                      : t == BN_WTYPE_Q5_K ? bn_matmul_q5_k_q8__avx512vnni_emu
                      : t == BN_WTYPE_Q2_0 ? bn_matmul_q2_0_q8__avx512vnni_emu
                      : t == BN_WTYPE_Q1_0 ? bn_matmul_q1_0_q8__avx512vnni_emu
                      : t == BN_WTYPE_Q2_0_G128 ? bn_matmul_q2_0_g128_q8__avx512vnni_emu
                                           : bn_matmul_q6_k_q8__avx512vnni_emu;
    kq_check_variant("avx512vnni(emulated)", t, fn, w, xq, scales, n, k, m, ref);
}

static void check_kquant(void) {
    bn_rng rng = {43};
    for (int ti = 0; ti < N_KQ_TYPES; ti++) kq_for_each_case(&rng, kq_types[ti], 0, each_kquant, NULL);
}

int main(void) {
    printf("  AVX-512 kernels emulated with SIMDe on this CPU (native AVX-512 VNNI: %s)\n",
           bn_isa_supported(BN_ISA_AVX512_VNNI) ? "yes, also tested natively by test_matmul" : "no");
    check_matmul();
    check_quantize();
    check_decode();
    check_lut();
    check_a48();
    check_kquant();
    return test_summary("test_avx512_emulated");
}
