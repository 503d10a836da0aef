/* Status strings and the thread-local error detail behind bn_last_error(). */
#include "bn_internal.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char bn_error_text[512];

bn_status bn_fail(bn_status status, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(bn_error_text, sizeof bn_error_text, fmt, args);
    va_end(args);
    return status;
}

void bn_clear_error(void) { bn_error_text[0] = '\0'; }

bn_status bn_check_buffer(const char* name, const char* what, const void* p, int64_t len, int64_t need) {
    if (len < need)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %s_len %lld < %lld the shape needs", name, what, (long long)len,
                       (long long)need);
    if (need > 0 && !p) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %s is NULL", name, what);
    return BN_STATUS_OK;
}

BN_API const char* bn_last_error(void) { return bn_error_text; }

BN_API const char* bn_status_string(bn_status status) {
    switch (status) {
    case BN_STATUS_OK: return "ok";
    case BN_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case BN_STATUS_SHAPE_MISMATCH: return "shape mismatch";
    case BN_STATUS_UNSUPPORTED: return "unsupported";
    case BN_STATUS_OUT_OF_MEMORY: return "out of memory";
    case BN_STATUS_INTERNAL: return "internal error";
    }
    return "unknown status";
}

BN_API int32_t bn_abi_version(void) { return BN_ABI_VERSION; }
