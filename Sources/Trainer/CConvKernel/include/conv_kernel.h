// Direct (im2col-free) convolution over NHWC images for blocks of 32 output channels: each
// output pixel's receptive field is read straight from the input, no patch matrix.
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

#endif
