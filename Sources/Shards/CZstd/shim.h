// zstd with the advanced (multithreading, checksum) parameters visible.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
