// Winograd F(2×2, 3×3) convolution over NHWC images: per 2×2 output tile, 16 transformed input
// values per channel, 16 channel products in the register-tile kernels, one output transform.
// 2.25x fewer multiply-adds than the direct convolution; the transforms add and halve only.
#include "conv_kernel.h"
#include "tile_kernels.h"

#include <string.h>

/// Tiles per register tile (pixels of the tile kernel).
#define GROUP TILE

int cconv_winograd_applies(const cconv_geometry *g) {
    return g->size == 3 && g->stride == 1 && g->pad_before == 1 && (g->upsample == 1 || g->upsample == 2)
        && g->output_height == g->height * g->upsample && g->output_width == g->width * g->upsample
        && g->outputs % CCONV_BLOCK == 0 && g->inputs >= 16 && g->inputs <= CCONV_WINOGRAD_MAX_INPUTS;
}

/// The 16 transformed values U = G g Gᵀ of 32 output channels' 3×3 kernels g (tap t of
/// channel j at g[t · stride + j]), into u[ξ · ustride + j].
__attribute__((target_clones("avx512f", "avx2", "default"))) static void kernel_transform(
    const float *restrict g, long stride, float *restrict u, long ustride) {
    for (int j = 0; j < CCONV_BLOCK; j++) {
        float t[4][3];
        for (int x = 0; x < 3; x++) {  // t = G g
            float g0 = g[x * stride + j], g1 = g[(3 + x) * stride + j], g2 = g[(6 + x) * stride + j];
            t[0][x] = g0;
            t[1][x] = 0.5f * (g0 + g1 + g2);
            t[2][x] = 0.5f * (g0 - g1 + g2);
            t[3][x] = g2;
        }
        for (int r = 0; r < 4; r++) {  // U = t Gᵀ
            u[(r * 4 + 0) * ustride + j] = t[r][0];
            u[(r * 4 + 1) * ustride + j] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
            u[(r * 4 + 2) * ustride + j] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
            u[(r * 4 + 3) * ustride + j] = t[r][2];
        }
    }
}

void cconv_winograd_pack(const float *kernel, long inputs, long outputs, float *packed) {
    long blocks = outputs / CCONV_BLOCK;
    for (long c = 0; c < inputs; c++) {
        for (long b = 0; b < blocks; b++) {
            kernel_transform(
                kernel + c * outputs + b * CCONV_BLOCK, inputs * outputs,
                packed + (b * inputs + c) * CCONV_BLOCK, blocks * inputs * CCONV_BLOCK);
        }
    }
}

/// v[ξ · stride + c] = (Bᵀ d B)[ξ] for every channel c < n of the 4×4 patch d[r][s][c].
__attribute__((target_clones("avx512f", "avx2", "default"))) static void input_transform(
    const float *const d[4][4], long n, float *restrict v, long stride) {
    for (long c = 0; c < n; c++) {
        float t[4][4];
        for (int s = 0; s < 4; s++) {  // t = Bᵀ d
            t[0][s] = d[0][s][c] - d[2][s][c];
            t[1][s] = d[1][s][c] + d[2][s][c];
            t[2][s] = d[2][s][c] - d[1][s][c];
            t[3][s] = d[1][s][c] - d[3][s][c];
        }
        for (int r = 0; r < 4; r++) {  // v = t B
            v[(r * 4 + 0) * stride + c] = t[r][0] - t[r][2];
            v[(r * 4 + 1) * stride + c] = t[r][1] + t[r][2];
            v[(r * 4 + 2) * stride + c] = t[r][2] - t[r][1];
            v[(r * 4 + 3) * stride + c] = t[r][1] - t[r][3];
        }
    }
}

/// y[r][x] = (Aᵀ m A)[r][x] + bias for the 32 channels of register-tile pixel i; stored into
/// the output pixels o[r][x] that exist (non-NULL), = or +=.
__attribute__((target_clones("avx512f", "avx2", "default"))) static void output_transform(
    const float *m, int i, const float *bias, float *const o[2][2], int accumulate) {
    for (int j = 0; j < CCONV_BLOCK; j++) {
        float v[16], t[2][4];
        for (int k = 0; k < 16; k++) v[k] = m[(k * GROUP + i) * CCONV_BLOCK + j];
        for (int s = 0; s < 4; s++) {  // t = Aᵀ m
            t[0][s] = v[s] + v[4 + s] + v[8 + s];
            t[1][s] = v[4 + s] - v[8 + s] - v[12 + s];
        }
        for (int r = 0; r < 2; r++) {  // y = t A
            float y0 = t[r][0] + t[r][1] + t[r][2] + bias[j];
            float y1 = t[r][1] - t[r][2] - t[r][3] + bias[j];
            if (o[r][0]) o[r][0][j] = accumulate ? o[r][0][j] + y0 : y0;
            if (o[r][1]) o[r][1][j] = accumulate ? o[r][1][j] + y1 : y1;
        }
    }
}

void cconv_winograd_rows(
    const cconv_geometry *g, const float *input, const float *packed, const float *bias,
    const float *zeros, float *out, long first, long end, int accumulate, const char *instruction_set,
    float *scratch) {
    tile_kernel kernel = cconv_kernel_for(instruction_set);
    long cin = g->inputs, blocks = g->outputs / CCONV_BLOCK, up = g->upsample;
    long vh = g->height * up, vw = g->width * up;
    long across = (g->output_width + 1) / 2;
    // Tiles whose transformed input is kept at once: whole register tiles, 16 · tiles · cin floats.
    long groups = 16L * GROUP * CCONV_WINOGRAD_MAX_INPUTS / (16L * GROUP * cin);
    if (groups > 4) groups = 4;
    long chunk_tiles = groups * GROUP;
    float *v = scratch;  // [16][chunk_tiles][cin]
    float *m = scratch + 16L * GROUP * CCONV_WINOGRAD_MAX_INPUTS;  // [16][GROUP][32]
    long first_tile = first * across, end_tile = end * across;
    for (long chunk = first_tile; chunk < end_tile; chunk += chunk_tiles) {
        long tiles = end_tile - chunk < chunk_tiles ? end_tile - chunk : chunk_tiles;
        for (long k = 0; k < tiles; k++) {
            long ty = (chunk + k) / across, tx = (chunk + k) % across;
            const float *d[4][4];
            for (int r = 0; r < 4; r++) {
                long vy = 2 * ty - 1 + r;
                for (int s = 0; s < 4; s++) {
                    long vx = 2 * tx - 1 + s;
                    d[r][s] = vy >= 0 && vy < vh && vx >= 0 && vx < vw
                        ? input + ((vy / up) * g->width + vx / up) * cin
                        : zeros;
                }
            }
            input_transform(d, cin, v + k * cin, chunk_tiles * cin);
        }
        for (long b = 0; b < blocks; b++) {
            for (long group = 0; group < tiles; group += GROUP) {
                long valid = tiles - group < GROUP ? tiles - group : GROUP;
                tile_rows rows;
                for (int xi = 0; xi < 16; xi++) {
                    for (int i = 0; i < GROUP; i++) {
                        long k = group + (i < valid ? i : valid - 1);
                        rows[0][i] = v + (xi * chunk_tiles + k) * cin;
                    }
                    kernel(
                        (const float *const(*)[TILE])rows, 1, cin, packed + ((long)xi * blocks + b) * cin * CCONV_BLOCK,
                        (float(*)[CCONV_BLOCK])(m + (long)xi * GROUP * CCONV_BLOCK));
                }
                for (int i = 0; i < valid; i++) {
                    long ty = (chunk + group + i) / across, tx = (chunk + group + i) % across;
                    float *o[2][2];
                    for (int r = 0; r < 2; r++) {
                        for (int x = 0; x < 2; x++) {
                            long y = 2 * ty + r, xx = 2 * tx + x;
                            o[r][x] = y < g->output_height && xx < g->output_width
                                ? out + (y * g->output_width + xx) * g->outputs + b * CCONV_BLOCK
                                : NULL;
                        }
                    }
                    output_transform(m, i, bias + b * CCONV_BLOCK, o, accumulate);
                }
            }
        }
    }
}
