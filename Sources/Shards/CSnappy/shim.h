// Snappy decompression (the C API of libsnappy), for Parquet pages.
#include <snappy-c.h>
