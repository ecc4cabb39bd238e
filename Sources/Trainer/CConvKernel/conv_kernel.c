// Direct convolution: tiles of 12 output pixels × 32 output channels accumulated in registers
// (AVX-512, else AVX2 in four 6 × 16 parts, else a scalar loop), input values broadcast from
// their NHWC rows through a table of per-pixel, per-tap row pointers.
#include "conv_kernel.h"
#include "tile_kernels.h"

#include <string.h>

/// Tiles whose pointer tables are built at once (864 bytes each at 3×3).
#define CHUNK_TILES 48

void cconv_pack(const float *kernel, long depth, long outputs, float *packed) {
    long blocks = outputs / CCONV_BLOCK;
    for (long b = 0; b < blocks; b++) {
        float *dst = packed + b * depth * CCONV_BLOCK;
        for (long k = 0; k < depth; k++) {
            memcpy(dst + k * CCONV_BLOCK, kernel + k * outputs + b * CCONV_BLOCK, CCONV_BLOCK * sizeof(float));
        }
    }
}

const char *cconv_instruction_set(void) {
    static const char *const widest_first[] = {"avx512f", "avx2", "scalar"};
    for (int i = 0; i < 3; i++) {
        if (cconv_kernel_named(widest_first[i])) return widest_first[i];
    }
    return "scalar";
}

int cconv_supports(const char *instruction_set) { return cconv_kernel_named(instruction_set) != NULL; }

tile_kernel cconv_kernel_for(const char *instruction_set) {
    tile_kernel kernel = cconv_kernel_named(instruction_set ? instruction_set : cconv_instruction_set());
    return kernel ? kernel : cconv_kernel_named("scalar");
}

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
    tile_kernel kernel = cconv_kernel_for(instruction_set);
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
