// libpng behind two calls that never longjmp into Swift: every libpng error is caught here
// (setjmp in C) and returned as a message. Decoding gives 8-bit RGB; encoding writes to memory.
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char message[256];
    const unsigned char *data;
    size_t size;
    size_t offset;
    unsigned char *out;
    size_t out_size;
    size_t out_capacity;
} dt_png_state;

static void dt_png_error_fn(png_structp png, png_const_charp message) {
    dt_png_state *state = (dt_png_state *)png_get_error_ptr(png);
    snprintf(state->message, sizeof state->message, "%s", message);
    longjmp(state->jump, 1);
}

static void dt_png_warning_fn(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void dt_png_read_fn(png_structp png, png_bytep out, size_t count) {
    dt_png_state *state = (dt_png_state *)png_get_io_ptr(png);
    if (count > state->size - state->offset) png_error(png, "truncated file");
    memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

/// Decodes a PNG held in memory to 8-bit RGB: palette expanded, gray replicated, 16-bit samples
/// reduced to their high byte, alpha dropped. On success returns 0 and a malloc'ed buffer of
/// width * height * 3 bytes in *pixels (free() it). Images over max_pixels pixels are refused.
static inline int dt_png_decode_rgb(
    const unsigned char *data, size_t size, size_t max_pixels, unsigned char **pixels, unsigned *width,
    unsigned *height, char *message, size_t message_size) {
    dt_png_state state;
    memset(&state, 0, sizeof state);
    state.data = data;
    state.size = size;
    *pixels = NULL;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, message_size, "not a PNG file (bad signature)");
        return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state, dt_png_error_fn, dt_png_warning_fn);
    if (!png) {
        snprintf(message, message_size, "libpng could not start");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    unsigned char *volatile out = NULL;
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(state.jump)) {
        free(out);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(message, message_size, "%s", state.message[0] ? state.message : "libpng failed");
        return 1;
    }
    png_set_read_fn(png, &state, dt_png_read_fn);
    png_set_user_limits(png, 1 << 16, 1 << 16);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
    if ((size_t)w * h > max_pixels) png_error(png, "image has more pixels than allowed");
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) png_error(png, "unexpected row size after conversion");
    out = (unsigned char *)malloc((size_t)w * h * 3 + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h + 1));
    if (!out || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = out + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = out;
    *width = w;
    *height = h;
    return 0;
}

static void dt_png_write_fn(png_structp png, png_bytep data, size_t count) {
    dt_png_state *state = (dt_png_state *)png_get_io_ptr(png);
    if (state->out_size + count > state->out_capacity) {
        size_t capacity = state->out_capacity * 2 + count + 4096;
        unsigned char *grown = (unsigned char *)realloc(state->out, capacity);
        if (!grown) png_error(png, "out of memory");
        state->out = grown;
        state->out_capacity = capacity;
    }
    memcpy(state->out + state->out_size, data, count);
    state->out_size += count;
}

static void dt_png_flush_fn(png_structp png) { (void)png; }

/// Encodes 8-bit pixels (channels 1 gray, 3 RGB or 4 RGBA; rows top to bottom) as a PNG in
/// memory. On success returns 0 and a malloc'ed buffer in *file of *file_size bytes (free() it).
static inline int dt_png_encode(
    const unsigned char *pixels, unsigned width, unsigned height, int channels, unsigned char **file,
    size_t *file_size, char *message, size_t message_size) {
    dt_png_state state;
    memset(&state, 0, sizeof state);
    *file = NULL;
    *file_size = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, dt_png_error_fn, dt_png_warning_fn);
    if (!png) {
        snprintf(message, message_size, "libpng could not start");
        return 1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(state.jump)) {
        png_destroy_write_struct(&png, &info);
        free(state.out);
        snprintf(message, message_size, "%s", state.message[0] ? state.message : "libpng failed");
        return 1;
    }
    int type = channels == 1 ? PNG_COLOR_TYPE_GRAY
        : channels == 4      ? PNG_COLOR_TYPE_RGB_ALPHA
                             : PNG_COLOR_TYPE_RGB;
    if (channels != 1 && channels != 3 && channels != 4) png_error(png, "channels must be 1, 3 or 4");
    png_set_write_fn(png, &state, dt_png_write_fn, dt_png_flush_fn);
    png_set_IHDR(
        png, info, width, height, 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
        PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * width * channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    *file = state.out;
    *file_size = state.out_size;
    return 0;
}
