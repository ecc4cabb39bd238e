// LZ4 block decompression (liblz4), for LZ4_RAW Parquet pages.
#include <lz4.h>
