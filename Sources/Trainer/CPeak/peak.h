// The FP32 FMA peak of one core, measured by a register-only loop of independent fused
// multiply-adds in the widest vectors the CPU supports (AVX-512, else AVX2+FMA, else SSE).
// Header-only: Swift cannot select these instructions without per-function target attributes.
#include <stdint.h>
#include <time.h>

static inline double cpeak_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
/* The loops are inline assembly so that the measurement does not depend on how the importing
   compiler optimizes this header: 12 independent FMA chains hide the FMA latency. */
__attribute__((target("avx512f"))) static inline double cpeak_avx512(int64_t iterations) {
    int64_t n = iterations;
    __asm__ volatile(
        "vxorps %%zmm0, %%zmm0, %%zmm0\n"
        "vxorps %%zmm1, %%zmm1, %%zmm1\n"
        "vxorps %%zmm2, %%zmm2, %%zmm2\n"
        "vxorps %%zmm3, %%zmm3, %%zmm3\n"
        "vxorps %%zmm4, %%zmm4, %%zmm4\n"
        "vxorps %%zmm5, %%zmm5, %%zmm5\n"
        "vxorps %%zmm6, %%zmm6, %%zmm6\n"
        "vxorps %%zmm7, %%zmm7, %%zmm7\n"
        "vxorps %%zmm8, %%zmm8, %%zmm8\n"
        "vxorps %%zmm9, %%zmm9, %%zmm9\n"
        "vxorps %%zmm10, %%zmm10, %%zmm10\n"
        "vxorps %%zmm11, %%zmm11, %%zmm11\n"
        "vxorps %%zmm12, %%zmm12, %%zmm12\n"
        "vxorps %%zmm13, %%zmm13, %%zmm13\n"
        "1:\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm0\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm1\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm2\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm3\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm4\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm5\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm6\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm7\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm8\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm9\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm10\n"
        "vfmadd231ps %%zmm12, %%zmm13, %%zmm11\n"
        "dec %0\n"
        "jnz 1b\n"
        "vzeroupper\n"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
    return (double)iterations * 12 * 16 * 2;
}

__attribute__((target("avx2,fma"))) static inline double cpeak_avx2(int64_t iterations) {
    int64_t n = iterations;
    __asm__ volatile(
        "vxorps %%ymm0, %%ymm0, %%ymm0\n"
        "vxorps %%ymm1, %%ymm1, %%ymm1\n"
        "vxorps %%ymm2, %%ymm2, %%ymm2\n"
        "vxorps %%ymm3, %%ymm3, %%ymm3\n"
        "vxorps %%ymm4, %%ymm4, %%ymm4\n"
        "vxorps %%ymm5, %%ymm5, %%ymm5\n"
        "vxorps %%ymm6, %%ymm6, %%ymm6\n"
        "vxorps %%ymm7, %%ymm7, %%ymm7\n"
        "vxorps %%ymm8, %%ymm8, %%ymm8\n"
        "vxorps %%ymm9, %%ymm9, %%ymm9\n"
        "vxorps %%ymm10, %%ymm10, %%ymm10\n"
        "vxorps %%ymm11, %%ymm11, %%ymm11\n"
        "vxorps %%ymm12, %%ymm12, %%ymm12\n"
        "vxorps %%ymm13, %%ymm13, %%ymm13\n"
        "1:\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm1\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm3\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm5\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm7\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm9\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n"
        "vfmadd231ps %%ymm12, %%ymm13, %%ymm11\n"
        "dec %0\n"
        "jnz 1b\n"
        "vzeroupper\n"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "cc");
    return (double)iterations * 12 * 8 * 2;
}
#endif

/// Best GFLOP/s of `repeats` runs of `iterations` loop trips; `isa` receives the instruction set used.
static inline double cpeak_gflops(int64_t iterations, int repeats, const char **isa) {
    double best = 0;
    float sink = 0;
    for (int r = 0; r < repeats; r++) {
        double start = cpeak_now(), flops = 0;
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx512f")) {
            flops = cpeak_avx512(iterations);
            *isa = "AVX-512";
        } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            flops = cpeak_avx2(iterations);
            *isa = "AVX2+FMA";
        }
#endif
        if (flops == 0) {
            float a = 1, b = 1, c = 1, d = 1;
            for (int64_t n = 0; n < iterations; n++) {
                a = a * 0.999999f + 1e-7f;
                b = b * 0.999999f + 1e-7f;
                c = c * 0.999999f + 1e-7f;
                d = d * 0.999999f + 1e-7f;
            }
            sink = a + b + c + d;
            flops = (double)iterations * 8;
            *isa = "scalar";
        }
        double seconds = cpeak_now() - start;
        if (sink == 12345.0f) best += 1e-9;  /* keep the result alive */
        if (seconds > 0 && flops / seconds / 1e9 > best) best = flops / seconds / 1e9;
    }
    return best;
}
