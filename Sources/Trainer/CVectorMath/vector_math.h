// Element-wise kernels Swift cannot vectorize itself: its Float.squareRoot() lowers to the
// libm call `sqrtf` (errno on negative input), which keeps LLVM from using packed `sqrtps`.
#include <stddef.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/// values[i] = sqrt(values[i]) for i < count: correctly rounded IEEE square roots (bit-identical
/// to `Float.squareRoot()`), four lanes at a time on x86-64.
static inline void cvm_square_root_in_place(float *values, size_t count) {
    size_t i = 0;
#if defined(__SSE__)
    for (; i + 4 <= count; i += 4) {
        _mm_storeu_ps(values + i, _mm_sqrt_ps(_mm_loadu_ps(values + i)));
    }
#endif
    for (; i < count; i++) {
        values[i] = __builtin_sqrtf(values[i]);
    }
}
