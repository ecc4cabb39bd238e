// libjpeg(-turbo) decoding behind one call that never longjmps into Swift: errors and a
// premature end of data are caught here (setjmp in C) and returned as a message.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} dt_jpeg_error;

static void dt_jpeg_error_exit(j_common_ptr info) {
    dt_jpeg_error *error = (dt_jpeg_error *)info->err;
    (*info->err->format_message)(info, error->message);
    longjmp(error->jump, 1);
}

// Warnings are silent, except a premature end of data (a truncated file), which is an error.
static void dt_jpeg_emit_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) dt_jpeg_error_exit(info);
}

/// Decodes a JPEG held in memory to 8-bit RGB (grayscale replicated by libjpeg). On success
/// returns 0 and a malloc'ed buffer of width * height * 3 bytes in *pixels (free() it).
static inline int dt_jpeg_decode_rgb(
    const unsigned char *data, size_t size, size_t max_pixels, unsigned char **pixels, unsigned *width,
    unsigned *height, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    dt_jpeg_error error;
    unsigned char *volatile out = NULL;
    *pixels = NULL;
    memset(&error, 0, sizeof error);
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = dt_jpeg_error_exit;
    error.manager.emit_message = dt_jpeg_emit_message;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(out);
        snprintf(message, message_size, "%s", error.message[0] ? error.message : "libjpeg failed");
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    if ((size_t)info.image_width * info.image_height > max_pixels) {
        snprintf(error.message, sizeof error.message, "image has more pixels than allowed");
        longjmp(error.jump, 1);
    }
    jpeg_start_decompress(&info);
    if (info.output_components != 3) {
        snprintf(error.message, sizeof error.message, "decoder gave %d components", info.output_components);
        longjmp(error.jump, 1);
    }
    size_t stride = (size_t)info.output_width * 3;
    out = (unsigned char *)malloc(stride * info.output_height + 1);
    if (!out) {
        snprintf(error.message, sizeof error.message, "out of memory");
        longjmp(error.jump, 1);
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out + stride * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    *width = info.output_width;
    *height = info.output_height;
    jpeg_destroy_decompress(&info);
    *pixels = out;
    return 0;
}

/// Encodes 8-bit RGB (channels 3) or gray (channels 1) as a baseline JPEG in memory at
/// `quality`. On success returns 0 and a malloc'ed buffer in *file of *file_size bytes.
static inline int dt_jpeg_encode(
    const unsigned char *pixels, unsigned width, unsigned height, int channels, int quality,
    unsigned char **file, unsigned long *file_size, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    dt_jpeg_error error;
    *file = NULL;
    *file_size = 0;
    memset(&error, 0, sizeof error);
    info.err = jpeg_std_error(&error.manager);
    error.manager.error_exit = dt_jpeg_error_exit;
    error.manager.emit_message = dt_jpeg_emit_message;
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(*file);
        *file = NULL;
        snprintf(message, message_size, "%s", error.message[0] ? error.message : "libjpeg failed");
        return 1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, file, file_size);
    info.image_width = width;
    info.image_height = height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * width * channels);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 0;
}
