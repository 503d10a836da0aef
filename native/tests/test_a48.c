/* BitNet a4.8 / v2 kernels on every ISA of this CPU against the scalar reference: the quantized KV
 * cache (block quantizer, RoPE + quantized write, attention over the packed blocks), the Hadamard
 * transform, top-K and the sparse I2ST matmul; the references against their definitions; the public
 * entry points and their argument checks. */
#include "a48_cases.h"

static const bn_config* table_of(bn_isa isa) { return bn_config_for_isa(isa); }

/* ---- the specifications -------------------------------------------------------------------- */

static void check_kv_spec(void) {
    /* absmax per block: the largest |x| maps to +-Qmax, every value reads back within d / 2 */
    bn_rng rng = {3};
    for (int t = 0; t < 3; t++) {
        const bn_kv_type type = kv_types[t];
        const int qmax = bn_kv_qmax(type);
        float x[128];
        uint8_t block[200];
        for (int i = 0; i < 128; i++) x[i] = rng_normal(&rng);
        x[77] = -5.0f;
        bn_quantize_kv__ref(x, 128, type, block);
        const float d = bn_kv_scale(block);
        CHECK(fabsf(d - 5.0f / (float)qmax) < 1e-6f, "%s: d = %g", kv_names[type], (double)d);
        CHECK(bn_kv_code(block + 4, type, 77) == -qmax, "%s: code of the max = %d", kv_names[type],
              bn_kv_code(block + 4, type, 77));
        int bad = 0;
        for (int i = 0; i < 128; i++) {
            const int c = bn_kv_code(block + 4, type, i);
            if (c < -qmax || c > qmax || fabsf(d * (float)c - x[i]) > d * 0.5001f) bad++;
        }
        CHECK(bad == 0, "%s: %d values outside d / 2 of x or outside the range", kv_names[type], bad);
        int64_t bytes = 0;
        CHECK_STATUS(bn_kv_block_bytes(type, 128, &bytes), BN_STATUS_OK);
        CHECK(bytes == (type == BN_KV_Q8 ? 132 : type == BN_KV_Q4 ? 68 : 52), "%s block bytes %lld", kv_names[type],
              (long long)bytes);
        float y[128];
        CHECK_STATUS(bn_kv_dequantize(block, bytes, 1, 128, type, y, 128), BN_STATUS_OK);
        CHECK(y[77] == -5.0f * 1.0f || fabsf(y[77] + 5.0f) < 1e-5f, "%s: dequantized max %g", kv_names[type], (double)y[77]);
    }
    /* the 3-bit layout written out: value i's low bits in plane byte i % 8 at 2 (i / 8), high bit at i % 8 of byte 8 + i / 8 */
    float x[32];
    uint8_t block[16];
    for (int i = 0; i < 32; i++) x[i] = (float)((i % 7) - 3); /* c = -3..3, u = c + 4 = 1..7 */
    bn_quantize_kv__ref(x, 32, BN_KV_Q3, block);
    int ok = 1;
    for (int i = 0; i < 32; i++) {
        const int u = (i % 7) - 3 + 4;
        ok &= ((block[4 + i % 8] >> (2 * (i / 8))) & 3) == (u & 3);
        ok &= ((block[4 + 8 + i / 8] >> (i % 8)) & 1) == (u >> 2);
    }
    CHECK(ok, "q3 layout");
    int64_t b;
    CHECK_STATUS(bn_kv_block_bytes(BN_KV_Q3, 48, &b), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_kv_block_bytes(BN_KV_F16, 48, &b), BN_STATUS_OK);
    CHECK_STATUS(bn_kv_block_bytes((bn_kv_type)9, 64, &b), BN_STATUS_INVALID_ARGUMENT);
}

static void check_hadamard_spec(void) {
    CHECK(bn_hadamard_block(2560) == 512 && bn_hadamard_block(6912) == 256 && bn_hadamard_block(4096) == 4096 &&
              bn_hadamard_block(768) == 256 && bn_hadamard_block(1) == 1 && bn_hadamard_block(0) == 0,
          "hadamard block sizes");
    /* H_4 / 2 applied to e_1 = (1, 0, 0, 0) gives (1, 1, 1, 1) / 2; applied twice it is the identity */
    float e[4] = {1, 0, 0, 0};
    bn_hadamard_f32__ref(e, 4, 0, 1);
    CHECK(e[0] == 0.5f && e[1] == 0.5f && e[2] == 0.5f && e[3] == 0.5f, "H4 e1 = %g %g %g %g", (double)e[0], (double)e[1],
          (double)e[2], (double)e[3]);
    bn_rng rng = {9};
    float x[6912], y[6912];
    for (int i = 0; i < 6912; i++) x[i] = y[i] = rng_normal(&rng);
    double n0 = 0, n1 = 0, err = 0;
    bn_hadamard_f32__ref(y, 6912, 0, 1);
    /* (plain loops: aarch64 GCC 12 crashes vectorizing a double reduction written with fmax here) */
    for (int i = 0; i < 6912; i++) {
        n0 += (double)x[i] * x[i];
        n1 += (double)y[i] * y[i];
    }
    bn_hadamard_f32__ref(y, 6912, 0, 1);
    for (int i = 0; i < 6912; i++) {
        const double diff = fabs((double)y[i] - x[i]);
        if (diff > err) err = diff;
    }
    CHECK(fabs(n1 / n0 - 1) < 1e-5 && err < 1e-5, "hadamard: norm ratio %.9f, self-inverse error %g", n1 / n0, err);
    /* public entry point with a pool, and its argument checks */
    bn_threadpool* pool = NULL;
    CHECK_STATUS(bn_threadpool_create(2, &pool), BN_STATUS_OK);
    float* big = xmalloc(16 * 2560 * sizeof(float));
    float* want = xmalloc(16 * 2560 * sizeof(float));
    for (int i = 0; i < 16 * 2560; i++) big[i] = want[i] = rng_normal(&rng);
    bn_hadamard_f32__ref(want, 2560, 0, 16);
    CHECK_STATUS(bn_hadamard_f32(big, 16 * 2560, 16, 2560, pool), BN_STATUS_OK);
    CHECK(memcmp(big, want, 16 * 2560 * sizeof(float)) == 0, "bn_hadamard_f32 with a pool");
    CHECK_STATUS(bn_hadamard_f32(big, 100, 1, 2560, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_hadamard_f32(big, 100, 1, 0, NULL), BN_STATUS_INVALID_ARGUMENT);
    free(big);
    free(want);
    bn_threadpool_free(pool);
}

static void check_topk_spec(void) {
    int8_t x[10] = {5, -7, 3, 0, 7, -3, 3, 1, -128, 2};
    bn_topk_q8__ref(x, 10, 4, 0, 1); /* |x|: 5 7 3 0 7 3 3 1 128 2 -> keep 128, 7, 7, 5 */
    const int8_t want[10] = {5, -7, 0, 0, 7, 0, 0, 0, -128, 0};
    CHECK(memcmp(x, want, 10) == 0, "topk keep 4");
    int8_t y[6] = {3, -3, 3, 1, -3, 2};
    bn_topk_q8__ref(y, 6, 2, 0, 1); /* ties at 3: the first two columns */
    const int8_t want2[6] = {3, -3, 0, 0, 0, 0};
    CHECK(memcmp(y, want2, 6) == 0, "topk ties go to lower columns");
    CHECK_STATUS(bn_topk_q8(y, 6, 1, 6, -1, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_topk_q8(y, 5, 1, 6, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_topk_q8(y, 6, 1, 6, 6, NULL), BN_STATUS_OK);
}

/* ---- RoPE + quantized write and attention through the public entry points -------------------- */

static void check_public_kv(void) {
    const int32_t n_heads = 4, n_kv = 2, hd = 64, m = 5, pos = 3, rope = 64;
    const int32_t q_dim = n_heads * hd, kv_dim = n_kv * hd, rows = pos + m;
    bn_rng rng = {51};
    float* q0 = xmalloc((size_t)m * q_dim * sizeof(float));
    float* k = xmalloc((size_t)m * kv_dim * sizeof(float));
    float* v = xmalloc((size_t)m * kv_dim * sizeof(float));
    float* table = xmalloc((size_t)m * rope * sizeof(float));
    for (int i = 0; i < m * q_dim; i++) q0[i] = rng_normal(&rng);
    for (int i = 0; i < m * kv_dim; i++) k[i] = rng_normal(&rng), v[i] = rng_normal(&rng);
    CHECK_STATUS(bn_rope_table(pos, m, rope, 10000.0f, table, (int64_t)m * rope), BN_STATUS_OK);
    /* the f16 path: the reference rotated q and keys */
    float* q_f16 = xmalloc((size_t)m * q_dim * sizeof(float));
    memcpy(q_f16, q0, (size_t)m * q_dim * sizeof(float));
    uint16_t* kc16 = calloc((size_t)rows * kv_dim, 2);
    uint16_t* vc16 = calloc((size_t)rows * kv_dim, 2);
    CHECK_STATUS(bn_rope_kv_f16(q_f16, m * q_dim, k, m * kv_dim, v, m * kv_dim, table, m * rope, m, n_heads, n_kv, hd, rope,
                                BN_ROPE_NEOX, pos, kc16, rows * kv_dim, vc16, rows * kv_dim, NULL),
                 BN_STATUS_OK);
    bn_threadpool* pool = NULL;
    CHECK_STATUS(bn_threadpool_create(2, &pool), BN_STATUS_OK);
    for (int t = 0; t < 3; t++) {
        const bn_kv_type type = kv_types[t];
        const int32_t bb = bn_kv_block_size(type, hd);
        const int64_t cache_bytes = (int64_t)rows * n_kv * bb;
        uint8_t* kc_ref = calloc((size_t)cache_bytes, 1);
        uint8_t* vc_ref = calloc((size_t)cache_bytes, 1);
        float* q_ref = xmalloc((size_t)m * q_dim * sizeof(float));
        CHECK_STATUS(bn_set_isa(BN_ISA_REF), BN_STATUS_OK);
        memcpy(q_ref, q0, (size_t)m * q_dim * sizeof(float));
        CHECK_STATUS(bn_rope_kv(q_ref, m * q_dim, k, m * kv_dim, v, m * kv_dim, table, m * rope, m, n_heads, n_kv, hd, rope,
                                BN_ROPE_NEOX, pos, type, kc_ref, cache_bytes, vc_ref, cache_bytes, NULL),
                     BN_STATUS_OK);
        CHECK(memcmp(q_ref, q_f16, (size_t)m * q_dim * sizeof(float)) == 0, "%s: q rotated as by bn_rope_kv_f16",
              kv_names[type]);
        /* keys: the quantized rotated keys read back within d / 2 + an fp16 step of the f16 cache */
        int far = 0;
        for (int32_t p = pos; p < rows; p++)
            for (int32_t h = 0; h < n_kv; h++) {
                const uint8_t* kb = kc_ref + ((int64_t)p * n_kv + h) * bb;
                const float d = bn_kv_scale(kb);
                for (int32_t j = 0; j < hd; j++) {
                    const float want = bn_fp16_to_fp32(kc16[(int64_t)p * kv_dim + h * hd + j]);
                    if (fabsf(d * (float)bn_kv_code(kb + 4, type, j) - want) > d * 0.5f + fabsf(want) * 1e-3f) far++;
                }
            }
        CHECK(far == 0, "%s: %d rotated keys read back far from the f16 cache", kv_names[type], far);
        for (int isa = 1; isa < BN_ISA_COUNT; isa++) {
            if (!should_test_isa((bn_isa)isa)) continue;
            CHECK_STATUS(bn_set_isa((bn_isa)isa), BN_STATUS_OK);
            uint8_t* kc = calloc((size_t)cache_bytes, 1);
            uint8_t* vc = calloc((size_t)cache_bytes, 1);
            float* q = xmalloc((size_t)m * q_dim * sizeof(float));
            memcpy(q, q0, (size_t)m * q_dim * sizeof(float));
            CHECK_STATUS(bn_rope_kv(q, m * q_dim, k, m * kv_dim, v, m * kv_dim, table, m * rope, m, n_heads, n_kv, hd, rope,
                                    BN_ROPE_NEOX, pos, type, kc, cache_bytes, vc, cache_bytes, pool),
                         BN_STATUS_OK);
            CHECK(memcmp(kc, kc_ref, (size_t)cache_bytes) == 0 && memcmp(vc, vc_ref, (size_t)cache_bytes) == 0 &&
                      memcmp(q, q_ref, (size_t)m * q_dim * sizeof(float)) == 0,
                  "bn_rope_kv %s on %s differs from the reference", kv_names[type], bn_isa_name((bn_isa)isa));
            free(kc);
            free(vc);
            free(q);
        }
        /* attention through the public entry point, every ISA, against the reference kernel */
        kvq_case c = {.n_heads = n_heads, .n_kv_heads = n_kv, .hd = hd, .m = m, .position = pos, .type = type, .bb = bb,
                      .q = q_ref, .kc = kc_ref, .vc = vc_ref, .scale = 0.125f};
        float* ref = kvq_reference(&c);
        float* out = xmalloc((size_t)m * q_dim * sizeof(float));
        for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
            if (!should_test_isa((bn_isa)isa)) continue;
            CHECK_STATUS(bn_set_isa((bn_isa)isa), BN_STATUS_OK);
            CHECK_STATUS(bn_attention(q_ref, m * q_dim, kc_ref, cache_bytes, vc_ref, cache_bytes, m, n_heads, n_kv, hd, pos,
                                      0.125f, type, out, m * q_dim, pool),
                         BN_STATUS_OK);
            float worst = 0;
            for (int i = 0; i < m * q_dim; i++) worst = fmaxf(worst, fabsf(out[i] - ref[i]));
            CHECK(worst < 1e-4f, "bn_attention %s on %s: max difference %g", kv_names[type], bn_isa_name((bn_isa)isa),
                  (double)worst);
        }
        CHECK_STATUS(bn_attention(q_ref, m * q_dim, kc_ref, cache_bytes - 1, vc_ref, cache_bytes, m, n_heads, n_kv, hd, pos,
                                  0.125f, type, out, m * q_dim, NULL),
                     BN_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(bn_attention(q_ref, m * q_dim, kc_ref + 1, cache_bytes - 4, vc_ref, cache_bytes, m, n_heads, n_kv, hd,
                                  0, 0.125f, type, out, m * q_dim, NULL),
                     BN_STATUS_INVALID_ARGUMENT);
        free(ref);
        free(out);
        free(kc_ref);
        free(vc_ref);
        free(q_ref);
    }
    bn_set_isa((bn_isa)bn_config_for_isa(BN_ISA_REF)->isa);
    bn_cpu_features f;
    bn_get_cpu_features(&f);
    bn_set_isa((bn_isa)f.best_isa);
    bn_threadpool_free(pool);
    free(q0); free(k); free(v); free(table); free(q_f16); free(kc16); free(vc16);
}

/* ---- every ISA's variants ------------------------------------------------------------------ */

static void check_variants(void) {
    for (int isa = 1; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        const bn_config* c = table_of((bn_isa)isa);
        const char* name = bn_isa_name((bn_isa)isa);
        kv_check_quantizer(name, c->kv_quantize);
        kvq_check_all(name, c->attention_kvq, 1);
        hadamard_check_variant(name, c->hadamard_f32);
        topk_check_variant(name, c->topk_q8);
        i2st_check_kernel(name, &c->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8]);
    }
    /* the reference I2ST kernel itself against the I2S reference */
    i2st_check_kernel("ref", &table_of(BN_ISA_REF)->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8]);
}

int main(void) {
    check_kv_spec();
    check_hadamard_spec();
    check_topk_spec();
    check_public_kv();
    check_variants();
    return test_summary("test_a48");
}
