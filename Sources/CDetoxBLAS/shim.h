#ifndef DETOX_CBLAS_SHIM_H
#define DETOX_CBLAS_SHIM_H
#if defined(__APPLE__)
#include <Accelerate/Accelerate.h>
#else
// glibc's allocator tuning (mallopt), used by TensorStorage to keep large buffers in the heap.
#include <malloc.h>
// oneDNN's sgemm: kernels generated at run time for the CPU it finds, the fastest single-precision
// GEMM Debian ships (about 1.4x OpenBLAS 0.3.21 on AVX-512 machines). It threads with OpenMP.
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

// The OpenMP runtime oneDNN uses (GNU libgomp). Detox's own element-wise kernels run on the same
// thread team, so the two never compete for cores: `GOMP_parallel` is the entry point GCC emits for
// `#pragma omp parallel` (part of libgomp's ABI since GCC 4.9); omp.h is not on clang's path.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
void omp_set_num_threads(int num_threads);
#endif
#endif
