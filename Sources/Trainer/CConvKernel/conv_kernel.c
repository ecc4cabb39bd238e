// Direct convolution: tiles of 12 output pixels × 32 output channels accumulated in registers
// (AVX-512, else AVX2 in four 6 × 16 parts, else a scalar loop), input values broadcast from
// their NHWC rows through a table of per-pixel, per-tap row pointers.
#include "conv_kernel.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// Output pixels per tile.
#define TILE 12
/// Taps of the largest kernel.
#define MAX_TAPS (CCONV_MAX_SIZE * CCONV_MAX_SIZE)
/// Tiles whose pointer tables are built at once (864 bytes each at 3×3).
#define CHUNK_TILES 48

/// A tile's row pointers: rows[t][i] = the `inputs` values tap t reads for the tile's pixel i.
typedef const float *tile_rows[MAX_TAPS][TILE];

void cconv_pack(const float *kernel, long depth, long outputs, float *packed) {
    long blocks = outputs / CCONV_BLOCK;
    for (long b = 0; b < blocks; b++) {
        float *dst = packed + b * depth * CCONV_BLOCK;
        for (long k = 0; k < depth; k++) {
            memcpy(dst + k * CCONV_BLOCK, kernel + k * outputs + b * CCONV_BLOCK, CCONV_BLOCK * sizeof(float));
        }
    }
}

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

typedef void (*tile_kernel)(const tile_rows, long, long, const float *, float[TILE][CCONV_BLOCK]);

/// The tile kernel for `name`, or NULL when this CPU cannot run it.
static tile_kernel kernel_named(const char *name) {
#if defined(__x86_64__)
    if (strcmp(name, "avx512f") == 0) return __builtin_cpu_supports("avx512f") ? tile_avx512 : NULL;
    if (strcmp(name, "avx2") == 0) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? tile_avx2 : NULL;
    }
#endif
    return strcmp(name, "scalar") == 0 ? tile_scalar : NULL;
}

const char *cconv_instruction_set(void) {
    static const char *const widest_first[] = {"avx512f", "avx2", "scalar"};
    for (int i = 0; i < 3; i++) {
        if (kernel_named(widest_first[i])) return widest_first[i];
    }
    return "scalar";
}

int cconv_supports(const char *instruction_set) { return kernel_named(instruction_set) != NULL; }

/// Points rows[t][i] at the input values tap t reads for output pixel first + i, or at `zeros`
/// outside the (virtually upsampled, padded) input; pixels at or past `end` repeat the last one.
static void fill_rows(
    const cconv_geometry *g, const float *input, const float *zeros, long first, long end, tile_rows rows) {
    long up = g->upsample, vh = g->height * up, vw = g->width * up;
    for (int i = 0; i < TILE; i++) {
        long p = first + i < end ? first + i : end - 1;
        long y = p / g->output_width, x = p % g->output_width;
        long t = 0;
        for (long ky = 0; ky < g->size; ky++) {
            long vy = y * g->stride + ky - g->pad_before;
            for (long kx = 0; kx < g->size; kx++, t++) {
                long vx = x * g->stride + kx - g->pad_before;
                rows[t][i] = vy >= 0 && vy < vh && vx >= 0 && vx < vw
                    ? input + ((vy / up) * g->width + vx / up) * g->inputs
                    : zeros;
            }
        }
    }
}

void cconv_pixels(
    const cconv_geometry *g, const float *input, const float *packed, const float *bias,
    const float *zeros, float *out, long first, long end, int accumulate, const char *instruction_set) {
    long taps = g->size * g->size, depth = taps * g->inputs, blocks = g->outputs / CCONV_BLOCK;
    tile_kernel kernel = kernel_named(instruction_set ? instruction_set : cconv_instruction_set());
    if (!kernel) kernel = tile_scalar;
    tile_rows rows[CHUNK_TILES];
    float sums[TILE][CCONV_BLOCK] __attribute__((aligned(64)));
    // Chunks of tiles: their row tables are built once, then every output block runs over them
    // while its packed kernel block stays in cache.
    for (long chunk = first; chunk < end; chunk += CHUNK_TILES * TILE) {
        long tiles = (end - chunk + TILE - 1) / TILE;
        if (tiles > CHUNK_TILES) tiles = CHUNK_TILES;
        for (long k = 0; k < tiles; k++) fill_rows(g, input, zeros, chunk + k * TILE, end, rows[k]);
        for (long b = 0; b < blocks; b++) {
            const float *block = packed + b * depth * CCONV_BLOCK;
            const float *block_bias = bias + b * CCONV_BLOCK;
            for (long k = 0; k < tiles; k++) {
                kernel(rows[k], taps, g->inputs, block, sums);
                long tile_first = chunk + k * TILE;
                long valid = end - tile_first < TILE ? end - tile_first : TILE;
                for (long i = 0; i < valid; i++) {
                    float *o = out + (tile_first + i) * g->outputs + b * CCONV_BLOCK;
                    for (int j = 0; j < CCONV_BLOCK; j++) {
                        float v = sums[i][j] + block_bias[j];
                        o[j] = accumulate ? o[j] + v : v;
                    }
                }
            }
        }
    }
}
