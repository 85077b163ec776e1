#ifndef CDISTANCE_INTERNAL_H
#define CDISTANCE_INTERNAL_H

#include "cdistance.h"

extern const cdistance_kernels cdistance_portable;
#if defined(__x86_64__)
extern const cdistance_kernels cdistance_avx2;
extern const cdistance_kernels cdistance_avx512;
#endif

#endif
