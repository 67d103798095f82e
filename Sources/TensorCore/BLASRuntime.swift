import CBLAS
import Foundation

/// What the BLAS library is doing on this machine, and a fix for OpenBLAS picking a slow kernel.
///
/// OpenBLAS chooses its kernels from the CPU model number when it loads. On virtual machines that
/// report a generic model, Debian's OpenBLAS 0.3.21 falls back to its oldest x86-64 kernels
/// (`Prescott`, SSE3 only) even on AVX-512 hardware, which makes `sgemm` several times slower. The
/// documented way to choose kernels is the `OPENBLAS_CORETYPE` variable, read only at load time,
/// so an executable that wants full speed restarts itself once with it set (see
/// ``BLASRuntime/restartWithMatchingKernelsIfNeeded()``). A variable the user already set is
/// always respected.
public enum BLASRuntime {
    /// The kernel family OpenBLAS is using (`"Haswell"`, `"SkylakeX"`, …), or the BLAS name elsewhere.
    public static var kernelName: String {
        #if os(Linux)
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #else
        return "Accelerate"
        #endif
    }

    /// The OpenBLAS core type matching this CPU's instruction-set flags, best first.
    public static func matchingCoreType(cpuFlags: Set<String>) -> String? {
        if cpuFlags.contains("amx_tile") || cpuFlags.contains("avx512_fp16") { return "SapphireRapids" }
        if cpuFlags.contains("avx512_bf16") { return "Cooperlake" }
        if cpuFlags.contains("avx512f") && cpuFlags.contains("avx512vl") { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// Kernel families that predate AVX2; OpenBLAS lands on these when it does not know the CPU model.
    static let legacyKernels: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "katmai", "northwood", "banias", "unknown"]

    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// Restarts the current process with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to
    /// legacy kernels on a CPU that has AVX2 or AVX-512, and nobody set the variable. Returns
    /// normally (doing nothing) everywhere else. Call it first thing in `main`.
    public static func restartWithMatchingKernelsIfNeeded() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["DETOX_BLAS_RESTARTED"] == nil,
              legacyKernels.contains(kernelName.lowercased()),
              let coreType = matchingCoreType(cpuFlags: cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv("DETOX_BLAS_RESTARTED", "1", 1)
        let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", arguments)
        // execv returned: the restart failed; carry on with the kernels already loaded.
        #endif
    }

    /// Checks one product against a plain loop: a guard against a kernel that computes wrong results.
    public static func selfCheck() -> Bool {
        let m = 37, n = 29, k = 53
        var generator = SeededGenerator(seed: 99)
        let a = Tensor.randomNormal([m, k], generator: &generator)
        let b = Tensor.randomNormal([k, n], generator: &generator)
        let product = Tensor.withNoGrad { a.matmul(b) }.values
        let av = a.values, bv = b.values
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
