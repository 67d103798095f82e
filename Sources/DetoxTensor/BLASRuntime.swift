import CDetoxBLAS
import Foundation

/// Which matrix-product library Detox runs on, and a guard against one that computes wrong results.
///
/// On Linux products go through oneDNN's `dnnl_sgemm`, which generates its kernels at run time
/// from the instruction sets the CPU reports (so generic virtual-machine CPU models still get
/// AVX-512 kernels); on macOS through Accelerate's `cblas_sgemm`.
public enum BLASRuntime {
    /// The library and the instruction set its kernels use, e.g. `"oneDNN 2.6 avx512_core_bf16"`.
    public static var kernelName: String {
        #if os(Linux)
            let version = dnnl_version().pointee
            let isa = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()).map { String(cString: $0) } ?? "unknown"
            return "oneDNN \(version.major).\(version.minor) \(isa)"
        #else
            return "Accelerate"
        #endif
    }

    /// Checks one product against a plain loop: a guard against a kernel that computes wrong results.
    public static func selfCheck() -> Bool {
        let m = 37
        let n = 29
        let k = 53
        var generator = SeededGenerator(seed: 99)
        let a = Tensor.randomNormal([m, k], generator: &generator)
        let b = Tensor.randomNormal([k, n], generator: &generator)
        let product = Tensor.withNoGrad { a.matmul(b) }.values
        let av = a.values
        let bv = b.values
        for i in 0..<m {
            for j in 0..<n {
                var expected: Float = 0
                for l in 0..<k { expected += av[i * k + l] * bv[l * n + j] }
                if Swift.abs(product[i * n + j] - expected) > 1e-3 * (1 + Swift.abs(expected)) { return false }
            }
        }
        return true
    }
}
