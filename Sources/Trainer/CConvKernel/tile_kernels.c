// Register-tile kernels: 12 pixels × 32 outputs in AVX-512 registers, in four 6 × 16 parts in
// AVX2 registers, or a scalar loop; the same sums in the same order in each.
#include "tile_kernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__x86_64__)
#define ACC512(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
#define FMA512(i)                                   \
    a = _mm512_set1_ps(rows[t][i][c]);              \
    c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);      \
    c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1)
#define STORE512(i) _mm512_storeu_ps(sums[i], c##i##0), _mm512_storeu_ps(sums[i] + 16, c##i##1)

/// sums[i][j] = Σ over taps t, channels c of rows[t][i][c] · block[(t·inputs + c)·32 + j].
__attribute__((target("avx512f"))) static void tile_avx512(
    const tile_rows rows, long taps, long inputs, const float *block, float sums[TILE][CCONV_BLOCK]) {
    ACC512(0); ACC512(1); ACC512(2); ACC512(3); ACC512(4); ACC512(5);
    ACC512(6); ACC512(7); ACC512(8); ACC512(9); ACC512(10); ACC512(11);
    const float *b = block;
    for (long t = 0; t < taps; t++) {
        for (long c = 0; c < inputs; c++, b += CCONV_BLOCK) {
            __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16), a;
            FMA512(0); FMA512(1); FMA512(2); FMA512(3); FMA512(4); FMA512(5);
            FMA512(6); FMA512(7); FMA512(8); FMA512(9); FMA512(10); FMA512(11);
        }
    }
    STORE512(0); STORE512(1); STORE512(2); STORE512(3); STORE512(4); STORE512(5);
    STORE512(6); STORE512(7); STORE512(8); STORE512(9); STORE512(10); STORE512(11);
}

#define ACC256(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps()
#define FMA256(i)                                           \
    a = _mm256_broadcast_ss(&rows[t][first + i][c]);        \
    c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);              \
    c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1)
#define STORE256(i)                                                 \
    _mm256_storeu_ps(sums[first + i] + half, c##i##0),              \
        _mm256_storeu_ps(sums[first + i] + half + 8, c##i##1)

/// The same sums for pixels [first, first + 6) and channels [half, half + 16) in AVX2 registers.
__attribute__((target("avx2,fma"))) static void part_avx2(
    const tile_rows rows, long taps, long inputs, const float *block, int first, int half,
    float sums[TILE][CCONV_BLOCK]) {
    ACC256(0); ACC256(1); ACC256(2); ACC256(3); ACC256(4); ACC256(5);
    const float *b = block + half;
    for (long t = 0; t < taps; t++) {
        for (long c = 0; c < inputs; c++, b += CCONV_BLOCK) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), a;
            FMA256(0); FMA256(1); FMA256(2); FMA256(3); FMA256(4); FMA256(5);
        }
    }
    STORE256(0); STORE256(1); STORE256(2); STORE256(3); STORE256(4); STORE256(5);
}

static void tile_avx2(
    const tile_rows rows, long taps, long inputs, const float *block, float sums[TILE][CCONV_BLOCK]) {
    for (int first = 0; first < TILE; first += 6) {
        for (int half = 0; half < CCONV_BLOCK; half += 16) part_avx2(rows, taps, inputs, block, first, half, sums);
    }
}
#endif

/// The scalar tile: the same sums in the same order, one fused multiply-add at a time.
static void tile_scalar(
    const tile_rows rows, long taps, long inputs, const float *block, float sums[TILE][CCONV_BLOCK]) {
    memset(sums, 0, sizeof(float) * TILE * CCONV_BLOCK);
    const float *b = block;
    for (long t = 0; t < taps; t++) {
        for (long c = 0; c < inputs; c++, b += CCONV_BLOCK) {
            for (int i = 0; i < TILE; i++) {
                float a = rows[t][i][c];
                for (int j = 0; j < CCONV_BLOCK; j++) sums[i][j] = __builtin_fmaf(a, b[j], sums[i][j]);
            }
        }
    }
}

/// The tile kernel for `name`, or NULL when this CPU cannot run it.
tile_kernel cconv_kernel_named(const char *name) {
#if defined(__x86_64__)
    if (strcmp(name, "avx512f") == 0) return __builtin_cpu_supports("avx512f") ? tile_avx512 : NULL;
    if (strcmp(name, "avx2") == 0) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? tile_avx2 : NULL;
    }
#endif
    return strcmp(name, "scalar") == 0 ? tile_scalar : NULL;
}

