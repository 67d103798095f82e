#ifndef DETOX_CBLAS_SHIM_H
#define DETOX_CBLAS_SHIM_H
#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
// glibc's allocator tuning (mallopt), used by TensorStorage to keep large buffers in the heap.
#include <malloc.h>
#endif
#endif
