// The register-tile kernels both convolutions share: sums over taps and input channels for 12
// output pixels × 32 output channels, in AVX-512, AVX2 or scalar code (internal to this target).
#ifndef DALLE_TRAIN_TILE_KERNELS_H
#define DALLE_TRAIN_TILE_KERNELS_H

#include "conv_kernel.h"

/// Output pixels (or Winograd tiles) per register tile.
#define TILE 12
/// Taps of the largest kernel.
#define MAX_TAPS (CCONV_MAX_SIZE * CCONV_MAX_SIZE)

/// A tile's row pointers: rows[t][i] = the `inputs` values tap t reads for the tile's pixel i.
typedef const float *tile_rows[MAX_TAPS][TILE];

/// sums[i][j] = Σ over taps t < `taps`, channels c < `inputs` of
/// rows[t][i][c] · block[(t·inputs + c)·32 + j], in that order, one fused multiply-add each.
typedef void (*tile_kernel)(const tile_rows, long taps, long inputs, const float *block, float sums[TILE][CCONV_BLOCK]);

/// The tile kernel for `name` ("avx512f", "avx2", "scalar"), or NULL when this CPU cannot run it.
tile_kernel cconv_kernel_named(const char *name);

/// The tile kernel for `instruction_set`, or the widest this CPU runs when it is NULL.
tile_kernel cconv_kernel_for(const char *instruction_set);

#endif
