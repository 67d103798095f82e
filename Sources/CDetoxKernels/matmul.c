#include "CDetoxKernels.h"

#if defined(__linux__) && __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <string.h>

// oneDNN's matmul primitive (brgemm kernels) for large products. Its primitives are made once per
// shape and kept in a small cache; `dnnl_sgemm`, the older driver, is 10–25% slower on most of
// t5-small's training shapes here. One caller at a time: a call from inside a parallel region, or
// one that finds the cache busy (another thread is inside), returns 1 and the caller uses sgemm,
// so nothing ever waits.

typedef struct {
    char transposeA, transposeB;
    long m, n, k, lda, ldb, ldc;
    float beta;
} detox_matmul_key;

typedef struct {
    detox_matmul_key key;
    dnnl_primitive_t primitive;
    dnnl_memory_t a, b, c;
    unsigned long lastUse;
} detox_matmul_entry;

enum { detox_matmul_capacity = 64 };
static detox_matmul_entry detox_matmul_entries[detox_matmul_capacity];
static unsigned long detox_matmul_clock = 0;
static dnnl_engine_t detox_matmul_engine = 0;
static dnnl_stream_t detox_matmul_stream = 0;
static int detox_matmul_broken = 0;
static pthread_mutex_t detox_matmul_lock = PTHREAD_MUTEX_INITIALIZER;

static void detox_matmul_release(detox_matmul_entry *entry) {
    dnnl_primitive_destroy(entry->primitive);
    dnnl_memory_destroy(entry->a);
    dnnl_memory_destroy(entry->b);
    dnnl_memory_destroy(entry->c);
    memset(entry, 0, sizeof *entry);
}

// A row-major matrix of `rows` × `columns` stored transposed or not, with leading dimension `ld`.
static dnnl_status_t detox_matmul_describe(dnnl_memory_desc_t *desc, long rows, long columns, int transposed, long ld) {
    dnnl_dims_t dims = {rows, columns};
    dnnl_dims_t strides = {transposed ? 1 : ld, transposed ? ld : 1};
    return dnnl_memory_desc_init_by_strides(desc, 2, dims, dnnl_f32, strides);
}

static int detox_matmul_make(const detox_matmul_key *key, detox_matmul_entry *entry) {
    dnnl_memory_desc_t aDesc, bDesc, cDesc;
    if (detox_matmul_describe(&aDesc, key->m, key->k, key->transposeA, key->lda) != dnnl_success) return 1;
    if (detox_matmul_describe(&bDesc, key->k, key->n, key->transposeB, key->ldb) != dnnl_success) return 1;
    if (detox_matmul_describe(&cDesc, key->m, key->n, 0, key->ldc) != dnnl_success) return 1;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &aDesc, &bDesc, NULL, &cDesc) != dnnl_success) return 1;

    dnnl_primitive_attr_t attributes = 0;
    dnnl_post_ops_t postOps = 0;
    int failed = dnnl_primitive_attr_create(&attributes) != dnnl_success;
    if (!failed && key->beta != 0) {
        // C = A·B + beta·C through the "sum" post-operation.
        failed = dnnl_post_ops_create(&postOps) != dnnl_success
            || dnnl_post_ops_append_sum(postOps, key->beta) != dnnl_success
            || dnnl_primitive_attr_set_post_ops(attributes, postOps) != dnnl_success;
    }
    dnnl_primitive_desc_t primitiveDesc = 0;
    if (!failed)
        failed = dnnl_primitive_desc_create(&primitiveDesc, &desc, attributes, detox_matmul_engine, NULL) != dnnl_success;
    if (!failed) failed = dnnl_primitive_create(&entry->primitive, primitiveDesc) != dnnl_success;
    if (primitiveDesc) dnnl_primitive_desc_destroy(primitiveDesc);
    if (postOps) dnnl_post_ops_destroy(postOps);
    if (attributes) dnnl_primitive_attr_destroy(attributes);
    if (failed) return 1;

    // Memory objects without buffers; each call points them at its operands.
    if (dnnl_memory_create(&entry->a, &aDesc, detox_matmul_engine, DNNL_MEMORY_NONE) != dnnl_success
        || dnnl_memory_create(&entry->b, &bDesc, detox_matmul_engine, DNNL_MEMORY_NONE) != dnnl_success
        || dnnl_memory_create(&entry->c, &cDesc, detox_matmul_engine, DNNL_MEMORY_NONE) != dnnl_success) {
        detox_matmul_release(entry);
        return 1;
    }
    entry->key = *key;
    return 0;
}

static detox_matmul_entry *detox_matmul_find(const detox_matmul_key *key) {
    // A live entry with this key, else the least recently used slot (an empty one has lastUse 0).
    detox_matmul_entry *slot = &detox_matmul_entries[0];
    for (int i = 0; i < detox_matmul_capacity; i++) {
        detox_matmul_entry *entry = &detox_matmul_entries[i];
        if (entry->primitive && memcmp(&entry->key, key, sizeof *key) == 0) return entry;
        if (entry->lastUse < slot->lastUse) slot = entry;
    }
    if (slot->primitive) detox_matmul_release(slot);
    return detox_matmul_make(key, slot) == 0 ? slot : 0;
}

// libgomp's: true inside a parallel region, where products run one per thread on sgemm.
extern int omp_in_parallel(void);

int detox_matmul(int transposeA, int transposeB, long m, long n, long k, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc) {
    if (omp_in_parallel()) return 1;
    if (pthread_mutex_trylock(&detox_matmul_lock) != 0) return 1;
    int status = 1;
    if (!detox_matmul_broken && !detox_matmul_engine) {
        if (dnnl_engine_create(&detox_matmul_engine, dnnl_cpu, 0) != dnnl_success
            || dnnl_stream_create(&detox_matmul_stream, detox_matmul_engine, dnnl_stream_default_flags) != dnnl_success)
            detox_matmul_broken = 1;
    }
    if (!detox_matmul_broken) {
        detox_matmul_key key;
        memset(&key, 0, sizeof key);   // padding bytes too: keys are compared with memcmp
        key.transposeA = (char)(transposeA != 0);
        key.transposeB = (char)(transposeB != 0);
        key.m = m; key.n = n; key.k = k; key.lda = lda; key.ldb = ldb; key.ldc = ldc; key.beta = beta;
        detox_matmul_entry *entry = detox_matmul_find(&key);
        if (entry
            && dnnl_memory_set_data_handle(entry->a, (void *)a) == dnnl_success
            && dnnl_memory_set_data_handle(entry->b, (void *)b) == dnnl_success
            && dnnl_memory_set_data_handle(entry->c, c) == dnnl_success) {
            dnnl_exec_arg_t arguments[3] = {
                {DNNL_ARG_SRC, entry->a}, {DNNL_ARG_WEIGHTS, entry->b}, {DNNL_ARG_DST, entry->c}};
            // Past this point C may be partly written: a failure can no longer fall back.
            status = dnnl_primitive_execute(entry->primitive, detox_matmul_stream, 3, arguments) == dnnl_success
                && dnnl_stream_wait(detox_matmul_stream) == dnnl_success ? 0 : 2;
            entry->lastUse = ++detox_matmul_clock;
        }
    }
    pthread_mutex_unlock(&detox_matmul_lock);
    return status;
}

#else

int detox_matmul(int transposeA, int transposeB, long m, long n, long k, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc) {
    (void)transposeA; (void)transposeB; (void)m; (void)n; (void)k; (void)a; (void)lda;
    (void)b; (void)ldb; (void)beta; (void)c; (void)ldc;
    return 1;
}

#endif
