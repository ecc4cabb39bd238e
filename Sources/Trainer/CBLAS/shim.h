// OpenBLAS's CBLAS interface plus its threading and core-type queries.
#include <cblas.h>
