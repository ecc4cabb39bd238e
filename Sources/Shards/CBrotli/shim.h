// Brotli decompression (libbrotlidec), for Parquet pages.
#include <brotli/decode.h>
