// 3×3 convolutions over NHWC images without a patch matrix, in blocks of 32 output channels: the
// direct kernel (each pixel's receptive field read straight from the input) and Winograd F(2×2, 3×3).
#ifndef DALLE_TRAIN_CONV_KERNEL_H
#define DALLE_TRAIN_CONV_KERNEL_H

/// Output channels one packed kernel block holds.
#define CCONV_BLOCK 32
/// Largest kernel side the direct convolution runs.
#define CCONV_MAX_SIZE 3

/// Geometry of one convolution (the fields of the Swift `ConvGeometry`).
typedef struct {
    long height, width, inputs, outputs, size, stride, pad_before, upsample;
    long output_height, output_width;
} cconv_geometry;

/// Copies the HWIO `kernel` (`depth` = size·size·inputs rows of `outputs`) into `packed` as
/// outputs/32 blocks of depth × 32 floats, block-major. `outputs` % 32 == 0.
void cconv_pack(const float *kernel, long depth, long outputs, float *packed);

/// out[p, :] (= or +=) conv(input)[p, :] + bias for the output pixels p in [first, end)
/// (row-major over output_height × output_width), every output block. `packed` comes from
/// cconv_pack; `zeros` holds at least `inputs` zeros (read for taps outside the input). Every
/// sum runs over the taps in (ky, kx) order and, within a tap, over the input channels in
/// order, one fused multiply-add at a time; the bias is added last. The result does not depend
/// on how the pixels are split between calls, nor on the instruction set.
/// `instruction_set` is NULL (the widest this CPU has) or one that cconv_supports.
void cconv_pixels(
    const cconv_geometry *g, const float *input, const float *packed, const float *bias,
    const float *zeros, float *out, long first, long end, int accumulate, const char *instruction_set);

/// The widest instruction set the kernel runs on this CPU: "avx512f", "avx2" or "scalar".
const char *cconv_instruction_set(void);

/// Whether this CPU runs the kernel in `instruction_set` ("avx512f", "avx2" or "scalar").
int cconv_supports(const char *instruction_set);

/// Winograd F(2×2, 3×3): whether it runs `g` (3×3, stride 1, padding 1 on every side, the
/// input optionally upsampled ×2, outputs in blocks of 32, 16 to CCONV_WINOGRAD_MAX_INPUTS inputs).
int cconv_winograd_applies(const cconv_geometry *g);

/// Most input channels the Winograd scratch holds.
#define CCONV_WINOGRAD_MAX_INPUTS 1024
/// Floats of one thread's Winograd scratch: transformed input of up to 12 tiles at the most
/// inputs (more tiles at fewer inputs), and one register tile's 16 products:
/// 16 · 12 · CCONV_WINOGRAD_MAX_INPUTS + 16 · 12 · CCONV_BLOCK (a literal, so Swift sees it).
#define CCONV_WINOGRAD_SCRATCH 202752

/// The 3×3 HWIO kernel transformed (G g Gᵀ) into 16 × outputs/32 blocks of inputs × 32 floats
/// (position-major, then block): `packed` holds 16 · inputs · outputs floats.
void cconv_winograd_pack(const float *kernel, long inputs, long outputs, float *packed);

/// out (= or +=) conv(input) + bias for the output rows of 2×2 tile rows [first, end) (output
/// rows 2·first to 2·end), every output block: per tile, the input transform (Bᵀ d B), 16
/// products over the input channels (as cconv_pixels sums them), the output transform (Aᵀ m A),
/// then the bias. The result does not depend on how the tile rows are split between calls nor
/// on the instruction set. `scratch` holds CCONV_WINOGRAD_SCRATCH floats, one per thread.
void cconv_winograd_rows(
    const cconv_geometry *g, const float *input, const float *packed, const float *bias,
    const float *zeros, float *out, long first, long end, int accumulate, const char *instruction_set,
    float *scratch);

#endif
