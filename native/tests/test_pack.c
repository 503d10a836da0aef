/* Packing, unpacking, ternarization and fp16 conversion: round trips, byte layouts checked against
 * hand-derived values from the format descriptions, and every malformed argument. */
#include "testing.h"

static void test_fp16(void) {
    /* Every half converts to float and back unchanged (NaNs stay NaN). */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = bn_fp16_to_fp32((uint16_t)h);
        uint16_t back = bn_fp32_to_fp16(f);
        if (isnan(f)) CHECK(isnan(bn_fp16_to_fp32(back)), "fp16 NaN 0x%04x lost", h);
        else CHECK(back == h, "fp16 0x%04x -> %g -> 0x%04x", h, (double)f, back);
    }
    CHECK(bn_fp16_to_fp32(0x3c00) == 1.0f, "fp16 1.0");
    CHECK(bn_fp16_to_fp32(0xc000) == -2.0f, "fp16 -2.0");
    CHECK(bn_fp16_to_fp32(0x7bff) == 65504.0f, "fp16 max");
    CHECK(bn_fp16_to_fp32(0x0001) == 5.9604644775390625e-8f, "fp16 min subnormal");
    CHECK(bn_fp32_to_fp16(65520.0f) == 0x7c00, "65520 rounds to inf");
    CHECK(bn_fp32_to_fp16(65519.0f) == 0x7bff, "65519 rounds to max");
    CHECK(bn_fp32_to_fp16(1.0f + 1.0f / 2048.0f) == 0x3c00, "tie rounds to even (down)");
    CHECK(bn_fp32_to_fp16(1.0f + 3.0f / 2048.0f) == 0x3c02, "tie rounds to even (up)");
    CHECK(bn_fp32_to_fp16(2.9802322387695312e-8f) == 0x0000, "2^-25 ties to zero");
    CHECK(bn_fp32_to_fp16(4.4703483581542969e-8f) == 0x0001, "1.5 * 2^-25 rounds up");
}

static void test_ternarize(void) {
    const float w[6] = {0.1f, -0.2f, 0.02f, 0.0f, -0.05f, 0.05f};
    int8_t q[6];
    float scale = -1;
    CHECK_STATUS(bn_ternarize_absmean(w, 6, 6, q, 6, &scale), BN_STATUS_OK);
    /* gamma = 0.42 / 6 = 0.07; w / (gamma + 1e-5): 1.43, -2.86, 0.29, 0, -0.71, 0.71 */
    const int8_t expect[6] = {1, -1, 0, 0, -1, 1};
    CHECK(fabsf(scale - 0.07f) < 1e-7f, "absmean gamma %g", (double)scale);
    for (int i = 0; i < 6; i++) CHECK(q[i] == expect[i], "ternarize[%d] = %d, expected %d", i, q[i], expect[i]);

    const float zeros[4] = {0, 0, 0, 0};
    CHECK_STATUS(bn_ternarize_absmean(zeros, 4, 4, q, 4, &scale), BN_STATUS_OK);
    CHECK(scale == 0.0f && q[0] == 0 && q[3] == 0, "all-zero tensor");

    float bad[3] = {1.0f, NAN, 2.0f};
    CHECK_STATUS(bn_ternarize_absmean(bad, 3, 3, q, 6, &scale), BN_STATUS_INVALID_ARGUMENT);
    bad[1] = INFINITY;
    CHECK_STATUS(bn_ternarize_absmean(bad, 3, 3, q, 6, &scale), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_ternarize_absmean(w, 5, 6, q, 6, &scale), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_ternarize_absmean(w, 6, 6, q, 5, &scale), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_ternarize_absmean(NULL, 6, 6, q, 6, &scale), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_ternarize_absmean(w, 6, 6, q, 6, NULL), BN_STATUS_INVALID_ARGUMENT);
}

static void test_layouts(void) {
    int8_t q[256];
    uint8_t packed[66];
    memset(q, 0, sizeof q);

    /* I2S: byte j holds weights j, j+32, j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0 as w + 1. */
    q[0] = 1; q[32] = -1; q[64] = 0; q[96] = 1; q[31] = -1; q[127] = 1;
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 128, 1, 128, 1.0f, packed, 32), BN_STATUS_OK);
    CHECK(packed[0] == ((2 << 6) | (0 << 4) | (1 << 2) | 2), "I2S byte 0 = 0x%02x", packed[0]);
    CHECK(packed[31] == ((0 << 6) | (1 << 4) | (1 << 2) | 2), "I2S byte 31 = 0x%02x", packed[31]);
    CHECK(packed[1] == 0x55, "I2S zero byte = 0x%02x", packed[1]);

    /* TQ2_0: byte m of half h holds weights 128h + m + 32n at bits 2n..2n+1, then fp16 d. */
    memset(q, 0, sizeof q);
    q[0] = 1; q[32] = -1; q[96] = 1; q[128 + 5] = -1; q[128 + 5 + 96] = 1;
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ2, q, 256, 1, 256, 0.5f, packed, 66), BN_STATUS_OK);
    CHECK(packed[0] == (2 | (0 << 2) | (1 << 4) | (2 << 6)), "TQ2 byte 0 = 0x%02x", packed[0]);
    CHECK(packed[32 + 5] == (0 | (1 << 2) | (1 << 4) | (2 << 6)), "TQ2 byte 37 = 0x%02x", packed[37]);
    CHECK(packed[64] == 0x00 && packed[65] == 0x38, "TQ2 d = 0.5 as fp16 0x3800, got %02x%02x", packed[65], packed[64]);

    /* TQ1_0: an all-zero block is digit 1 everywhere: 11111 (base 3) = 121 -> ceil(121*256/243) = 128,
     * and 1111 followed by a 0 digit = 120 -> 127 in qh. */
    memset(q, 0, sizeof q);
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ1, q, 256, 1, 256, 1.0f, packed, 54), BN_STATUS_OK);
    CHECK(packed[0] == 128 && packed[47] == 128, "TQ1 zero qs byte = %d", packed[0]);
    CHECK(packed[48] == 127 && packed[51] == 127, "TQ1 zero qh byte = %d", packed[48]);
    CHECK(packed[52] == 0x00 && packed[53] == 0x3c, "TQ1 d = 1.0");
    /* Weight 0 is the most significant digit of qs[0]: +1 -> 21111 (base 3) = 202 -> ceil(212.8) = 213. */
    q[0] = 1;
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ1, q, 256, 1, 256, 1.0f, packed, 54), BN_STATUS_OK);
    CHECK(packed[0] == 213, "TQ1 qs[0] with w0 = +1: %d", packed[0]);
    /* Weight 160 + 16 * 4 + 15 = 239 is the least significant digit of qs[47]; weight 255 = 240 + 3 + 4*3
     * is digit 3 of qh[3]. */
    memset(q, 0, sizeof q);
    q[239] = -1; q[255] = 1;
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ1, q, 256, 1, 256, 1.0f, packed, 54), BN_STATUS_OK);
    CHECK(packed[47] == (uint8_t)((120u * 256u + 242u) / 243u), "TQ1 qs[47] = %d", packed[47]);
    CHECK(packed[51] == (uint8_t)((41u * 3u * 256u + 242u) / 243u), "TQ1 qh[3] = %d", packed[51]);
}

static void test_round_trips(void) {
    bn_rng rng = {42};
    const bn_wtype types[3] = {BN_WTYPE_I2S, BN_WTYPE_TQ2, BN_WTYPE_TQ1};
    const int64_t sizes[5] = {0, 256, 512, 2560 * 4, 6912 * 2};
    for (int t = 0; t < 3; t++)
        for (int s = 0; s < 5; s++) {
            int64_t n = sizes[s], bytes;
            CHECK_STATUS(bn_wtype_bytes(types[t], 1, (int32_t)n, &bytes), BN_STATUS_OK);
            int8_t* q = xmalloc((size_t)n);
            int8_t* back = xmalloc((size_t)n);
            uint8_t* packed = xmalloc((size_t)bytes);
            float scales[64];
            fill_ternary(&rng, q, n, s * 15);
            CHECK_STATUS(bn_pack(types[t], q, n, 1, n, 0.0375f, packed, bytes), BN_STATUS_OK);
            CHECK_STATUS(bn_unpack(types[t], packed, bytes, 1, n, back, n, types[t] == BN_WTYPE_I2S ? NULL : scales,
                                   types[t] == BN_WTYPE_I2S ? 0 : 64),
                         BN_STATUS_OK);
            CHECK(memcmp(q, back, (size_t)n) == 0, "round trip wtype %d n=%lld differs", types[t], (long long)n);
            if (types[t] != BN_WTYPE_I2S && n > 0)
                CHECK(scales[0] == bn_fp16_to_fp32(bn_fp32_to_fp16(0.0375f)), "block scale %g", (double)scales[0]);
            free(q); free(back); free(packed);
        }
}

static void test_bad_arguments(void) {
    int8_t q[512] = {0};
    uint8_t out[200];
    float scales[4];
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 512, 1, 100, 1.0f, out, 200), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ2, q, 512, 1, 128, 1.0f, out, 200), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 100, 1, 128, 1.0f, out, 200), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 512, 1, 512, 1.0f, out, 127), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ2, q, 512, 1, 256, NAN, out, 200), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_TQ2, q, 512, 1, 256, 1e6f, out, 200), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_COUNT, q, 512, 1, 256, 1.0f, out, 200), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 512, 1, -128, 1.0f, out, 200), BN_STATUS_INVALID_ARGUMENT);
    q[5] = 2;
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, 512, 1, 128, 1.0f, out, 200), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "not in {-1, 0, 1}") != NULL, "message names the bad value: %s", bn_last_error());
    q[5] = 0;
    memset(out, 0xff, sizeof out); /* code 3 everywhere */
    CHECK_STATUS(bn_unpack(BN_WTYPE_I2S, out, 200, 1, 128, q, 512, NULL, 0), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_unpack(BN_WTYPE_TQ2, out, 200, 1, 256, q, 512, scales, 4), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_unpack(BN_WTYPE_TQ2, out, 65, 1, 256, q, 512, scales, 4), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_unpack(BN_WTYPE_TQ1, out, 200, 1, 256, q, 512, NULL, 0), BN_STATUS_INVALID_ARGUMENT);
    /* Any byte is a valid TQ1 digit group: 0xff decodes to digits 2,2,2,2,2 -> +1s, as llama.cpp reads it. */
    CHECK_STATUS(bn_unpack(BN_WTYPE_TQ1, out, 200, 1, 256, q, 512, scales, 4), BN_STATUS_OK);
    CHECK(q[0] == 1 && q[255] == 1, "TQ1 0xff digits");
    int64_t bytes = -1;
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TQ1, 6912, 2560, &bytes), BN_STATUS_OK);
    CHECK(bytes == 6912LL * 10 * 54, "TQ1 bytes %lld", (long long)bytes);
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_I2S, 1, 100, &bytes), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, 33, 256, &bytes), BN_STATUS_OK);
    CHECK(bytes == 2 * 8 * 256, "TL1 pads rows to whole 32-row tiles: %lld", (long long)bytes);
    /* types that are not ternary have no packer */
    CHECK_STATUS(bn_pack(BN_WTYPE_F16, q, 512, 1, 128, 1.0f, out, 200), BN_STATUS_UNSUPPORTED);
    CHECK_STATUS(bn_unpack(BN_WTYPE_Q8_0, out, 200, 1, 32, q, 512, NULL, 0), BN_STATUS_UNSUPPORTED);
}

/* The traits table's rows: geometry, GGUF ids and names (the managed GGUF reader checks its own table
 * against these through the bindings). */
static void test_traits(void) {
    static const struct { bn_wtype w; int32_t block_weights, block_bytes, row_tile, trailer, ggml, atype, ternary; const char* name; } rows[] = {
        {BN_WTYPE_I2S, 128, 32, 1, 32, 36, BN_ATYPE_Q8, 1, "i2s"},
        {BN_WTYPE_TQ2, 256, 66, 1, 0, 35, BN_ATYPE_Q8, 1, "tq2"},
        {BN_WTYPE_TQ1, 256, 54, 1, 0, 34, BN_ATYPE_Q8, 1, "tq1"},
        {BN_WTYPE_TL1, 128, 32, 32, 0, -1, BN_ATYPE_Q8, 1, "tl1"},
        {BN_WTYPE_F16, 1, 2, 1, 0, 1, BN_ATYPE_F32, 0, "f16"},
        {BN_WTYPE_Q8_0, 32, 34, 1, 0, 8, BN_ATYPE_Q8, 0, "q8_0"},
        {BN_WTYPE_F32, 1, 4, 1, 0, 0, BN_ATYPE_F32, 0, "f32"},
        {BN_WTYPE_Q6_K, 256, 210, 1, 0, 14, BN_ATYPE_Q8, 0, "q6_k"},
        {BN_WTYPE_Q4_0, 32, 18, 1, 0, 2, BN_ATYPE_Q8, 0, "q4_0"},
        {BN_WTYPE_Q4_K, 256, 144, 1, 0, 12, BN_ATYPE_Q8, 0, "q4_k"},
        {BN_WTYPE_Q5_K, 256, 176, 1, 0, 13, BN_ATYPE_Q8, 0, "q5_k"},
        {BN_WTYPE_Q2_0, 64, 18, 1, 0, 42, BN_ATYPE_Q8, 0, "q2_0"},
        {BN_WTYPE_Q1_0, 128, 18, 1, 0, 41, BN_ATYPE_Q8, 0, "q1_0"},
        {BN_WTYPE_BF16, 1, 2, 1, 0, 30, BN_ATYPE_F32, 0, "bf16"},
        {BN_WTYPE_F8, 32, 34, 1, 0, 180, BN_ATYPE_F32, 0, "f8"},
        {BN_WTYPE_Q2_0_G128, 128, 34, 1, 0, 42, BN_ATYPE_Q8, 0, "q2_0_g128"},
        {BN_WTYPE_I2ST, 4, 1, 128, 0, -1, BN_ATYPE_Q8, 1, "i2st"},
    };
    CHECK(sizeof rows / sizeof *rows == BN_WTYPE_COUNT, "every weight type has a row here");
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        bn_wtype_info info;
        CHECK_STATUS(bn_wtype_get_info(rows[i].w, &info), BN_STATUS_OK);
        CHECK(info.block_weights == rows[i].block_weights && info.block_bytes == rows[i].block_bytes &&
                  info.row_tile == rows[i].row_tile && info.tensor_trailer_bytes == rows[i].trailer &&
                  info.ggml_type == rows[i].ggml && info.atype == rows[i].atype && info.ternary == rows[i].ternary,
              "traits of %s", rows[i].name);
        CHECK(strcmp(bn_wtype_name(rows[i].w), rows[i].name) == 0, "name of %s", rows[i].name);
    }
    bn_wtype_info info;
    CHECK_STATUS(bn_wtype_get_info(BN_WTYPE_COUNT, &info), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(bn_wtype_name((bn_wtype)-1), "unknown") == 0, "unknown name");
}

int main(void) {
    test_fp16();
    test_ternarize();
    test_layouts();
    test_round_trips();
    test_bad_arguments();
    test_traits();
    return test_summary("test_pack");
}
