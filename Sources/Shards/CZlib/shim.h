// zlib inflate for gzip-compressed Parquet pages. inflateInit2 is a macro Swift cannot call.
#include <zlib.h>

static inline int dalle_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);  // 32: detect a gzip or zlib header
}
