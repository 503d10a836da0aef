/* Reference quantizer of one KV-cache block (bitnative.h, "Quantized KV cache"): symmetric absmax
 * per head and position, a = max(max|x|, 1e-5), c = clamp(round(x * (Qmax / a)), -Qmax, Qmax) with the
 * clamp written as `v > lo ? v : lo` then `v < hi ? v : hi` (a NaN becomes -Qmax), d = a / Qmax, then
 * the codes packed in groups of 32 as the header describes. Also the reference decoder (bn_kv_code)
 * every attention kernel's unpacking is checked against. */
#include "bn_internal.h"

int32_t bn_kv_block_size(bn_kv_type type, int32_t hd) {
    switch (type) {
    case BN_KV_F16: return 2 * hd;
    case BN_KV_Q8: return 4 + hd;
    case BN_KV_Q4: return 4 + hd / 2;
    case BN_KV_Q3:
    default: return 4 + 3 * hd / 8;
    }
}

int bn_kv_code(const uint8_t* codes, bn_kv_type type, int32_t j) {
    const int32_t g = j / BN_KV_GROUP, i = j % BN_KV_GROUP;
    switch (type) {
    case BN_KV_Q8: return (int8_t)codes[j];
    case BN_KV_Q4: {
        const uint8_t b = codes[16 * g + i % 16];
        return (i < 16 ? (b & 15) : (b >> 4)) - 8;
    }
    case BN_KV_Q3:
    default: {
        const uint8_t* group = codes + 12 * g;
        const int low = (group[i % 8] >> (2 * (i / 8))) & 3;
        const int high = (group[8 + i / 8] >> (i % 8)) & 1;
        return (low | high << 2) - 4;
    }
    }
}

void bn_quantize_kv__ref(const float* x, int32_t hd, bn_kv_type type, uint8_t* block) {
    const int qmax = bn_kv_qmax(type);
    float amax = 0.0f;
    for (int32_t j = 0; j < hd; j++) {
        const float a = fabsf(x[j]);
        amax = a > amax ? a : amax; /* a NaN is skipped (the comparison is false) */
    }
    const float s = bn_kv_block_start(amax, qmax, block), lo = (float)-qmax, hi = (float)qmax;
    uint8_t* codes = block + 4;
    if (type != BN_KV_Q8) memset(codes, 0, (size_t)(bn_kv_block_size(type, hd) - 4));
    for (int32_t j = 0; j < hd; j++) {
        float v = x[j] * s;
        v = v > lo ? v : lo;
        v = v < hi ? v : hi;
        const int c = bn_round_even(v);
        const int32_t g = j / BN_KV_GROUP, i = j % BN_KV_GROUP;
        if (type == BN_KV_Q8) {
            codes[j] = (uint8_t)(int8_t)c;
        } else if (type == BN_KV_Q4) {
            codes[16 * g + i % 16] |= (uint8_t)((c + 8) << (i < 16 ? 0 : 4));
        } else {
            const int u = c + 4;
            codes[12 * g + i % 8] |= (uint8_t)((u & 3) << (2 * (i / 8)));
            codes[12 * g + 8 + i / 8] |= (uint8_t)((u >> 2) << (i % 8));
        }
    }
}
