import CDetoxKernels
import DetoxTensor
import DetoxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct TensorTests {
    @Test func creationChecksCounts() throws {
        #expect(throws: TensorError.elementCountMismatch(shape: [2, 2], expected: 4, actual: 3)) {
            try Tensor(shape: [2, 2], values: [1, 2, 3])
        }
        #expect(Tensor.arange(0, 5).values == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(1, 2, step: 0.25).values == [1, 1.25, 1.5, 1.75])
        #expect(Tensor.full([2], 3).values == [3, 3])
    }

    @Test func broadcastingArithmetic() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect((a + Tensor([10, 20, 30])).values == [11, 22, 33, 14, 25, 36])
        #expect((a * Tensor([2, 3], shape: [2, 1])).values == [2, 4, 6, 12, 15, 18])
        #expect((Tensor([1, 2], shape: [2, 1]) - Tensor([1, 2, 3], shape: [1, 3])).values == [0, -1, -2, 1, 0, -1])
        #expect(Tensor.broadcastShape([2, 1, 3], [4, 1]) == [2, 4, 3])
        #expect(Tensor.broadcastShape([2, 3], [4]) == nil)
    }

    @Test func reductions() {
        let a = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
        #expect(a.sum(axis: 0).values == [5, 7, 9])
        #expect(a.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(a.max(axis: 1).values == [5, 6])
        #expect(a.argmax(axis: 1) == [1, 2])
        #expect(a.argmin(axis: 0) == [0, 1, 0])
        #expect(a.mean().item == 3.5)
        #expect(Swift.abs(a.variance().item - 3.5) < 1e-6)
        #expect(Swift.abs(a.variance(unbiased: false).item - 35.0 / 12) < 1e-6)
        #expect(Tensor([3, 1, 3, 2]).topK(3).indices == [0, 2, 3])
        #expect(Tensor([1, 2, 3, 4], shape: [2, 2]).cumsum().values == [1, 3, 3, 7])
    }

    @Test func softmaxIsStableForLargeLogits() {
        let x = Tensor([1000, 1001, 1002])
        let p = x.softmax().values
        #expect(TestSupport.closeness(p, [0.09003057, 0.24472848, 0.66524094], rtol: 1e-5, atol: 1e-7) == nil)
        let lp = x.logSoftmax().values
        #expect(TestSupport.closeness(lp, [-2.40760596, -1.40760596, -0.40760596], rtol: 1e-5, atol: 1e-6) == nil)
        let masked = Tensor([-Float.infinity, 0]).softmax().values
        #expect(masked == [0, 1])
    }

    @Test func activationsMatchReferenceValues() {
        // Values from torch.nn.functional.gelu (exact and approximate="tanh").
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        #expect(
            TestSupport.closeness(
                x.gelu().values, [-0.04550026, -0.15426877, 0, 0.34573123, 1.9544997], rtol: 1e-6, atol: 1e-7) == nil)
        #expect(
            TestSupport.closeness(
                x.geluNew().values, [-0.04540231, -0.15428599, 0, 0.34571401, 1.9545977], rtol: 1e-6, atol: 1e-7) == nil
        )
    }

    @Test func shapeOps() {
        let a = Tensor.arange(0, 6).reshaped([2, 3])
        #expect(a.transposed().values == [0, 3, 1, 4, 2, 5])
        #expect(a.permuted([1, 0]).shape == [3, 2])
        #expect(a.slice(axis: 1, 1..<3).values == [1, 2, 4, 5])
        #expect(Tensor.concatenate([a, a.slice(axis: 0, 0..<1)], axis: 0).values == [0, 1, 2, 3, 4, 5, 0, 1, 2])
        #expect(a.indexSelect([1, 1]).values == [3, 4, 5, 3, 4, 5])
        #expect(a.gatherLast([2, 0]).values == [2, 3])
        #expect(a.reshaped([-1]).shape == [6])
        #expect(Tensor([1, 2, 3]).maskedFill(Tensor([0, 1, 0]), -.infinity).values == [1, -.infinity, 3])
    }

    @Test func matmulMatchesNaiveProduct() {
        var generator = SeededGenerator(seed: 7)
        for (m, k, n) in [(1, 1, 1), (3, 5, 2), (17, 33, 9)] {
            let a = Tensor.randomNormal([m, k], generator: &generator)
            let b = Tensor.randomNormal([k, n], generator: &generator)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n { for l in 0..<k { expected[i * n + j] += a.values[i * k + l] * b.values[l * n + j] } }
            }
            #expect(TestSupport.closeness(a.matmul(b).values, expected, rtol: 1e-5, atol: 1e-5) == nil)
            #expect(
                TestSupport.closeness(
                    a.transposed().matmul(b, transposeSelf: true).values, expected, rtol: 1e-5, atol: 1e-5) == nil)
            #expect(
                TestSupport.closeness(
                    a.matmul(b.transposed(), transposeOther: true).values, expected, rtol: 1e-5, atol: 1e-5) == nil)
        }
    }

    /// `A·Bᵀ` with few rows runs on its own kernel: every row count up to the limit and past it,
    /// tails of four columns and sixteen-float slices, strided operands, accumulation onto `C`, and
    /// shapes big enough to be split across threads, against a product summed in f64.
    @Test func smallRowProductsMatchF64Reference() {
        var generator = SeededGenerator(seed: 11)
        let rowCounts = [1, 2, 3, 4, 5, 7, 8, 13, Tensor.smallRowCount, Tensor.smallRowCount + 1]
        for m in rowCounts {
            for (n, k) in [(1, 1), (5, 17), (37, 64), (130, 515)] {
                for beta: Float in [0, 1, 0.5] {
                    // Leading dimensions wider than the rows: a = [m, k + 3], b = [n, k + 1], c = [m, n + 2].
                    let lda = k + 3
                    let ldb = k + 1
                    let ldc = n + 2
                    let a = Tensor.randomNormal([m * lda], generator: &generator).values
                    let b = Tensor.randomNormal([n * ldb], generator: &generator).values
                    let c0 = Tensor.randomNormal([m * ldc], generator: &generator).values
                    var expected = c0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for l in 0..<k { sum += Double(a[i * lda + l]) * Double(b[j * ldb + l]) }
                            expected[i * ldc + j] = Float(sum + Double(beta) * Double(c0[i * ldc + j]))
                        }
                    }
                    var c = c0
                    c.withUnsafeMutableBufferPointer { out in
                        Tensor.gemm(
                            transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, b: b,
                            c: out.baseAddress!, beta: beta, lda: lda, ldb: ldb, ldc: ldc)
                    }
                    let problem = TestSupport.closeness(c, expected, rtol: 1e-5, atol: 1e-4)
                    #expect(problem == nil, "m \(m) n \(n) k \(k) beta \(beta): \(problem ?? "")")
                }
            }
        }
    }

    /// Products big enough for oneDNN's matmul primitive: every transpose pair, strided operands and
    /// beta 0, 1, 0.5, against a product summed in f64, twice each (the second run reuses the cached
    /// primitive with other buffers). On Linux the primitive itself must take them.
    @Test func largeProductsMatchF64Reference() {
        var generator = SeededGenerator(seed: 12)
        let m = 130
        let n = 260
        let k = 257
        #expect(m * n * k >= Tensor.largeProductSize)
        for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
            for beta: Float in [0, 1, 0.5] {
                for _ in 0..<2 {
                    // Stored shapes, each row 2 wider than needed: a is [m, k] or [k, m], b [k, n] or [n, k].
                    let lda = (transposeA ? m : k) + 2
                    let ldb = (transposeB ? k : n) + 2
                    let ldc = n + 2
                    let a = Tensor.randomNormal([(transposeA ? k : m) * lda], generator: &generator).values
                    let b = Tensor.randomNormal([(transposeB ? n : k) * ldb], generator: &generator).values
                    let c0 = Tensor.randomNormal([m * ldc], generator: &generator).values
                    var expected = c0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for l in 0..<k {
                                let x = transposeA ? a[l * lda + i] : a[i * lda + l]
                                let y = transposeB ? b[j * ldb + l] : b[l * ldb + j]
                                sum += Double(x) * Double(y)
                            }
                            expected[i * ldc + j] = Float(sum + Double(beta) * Double(c0[i * ldc + j]))
                        }
                    }
                    var c = c0
                    c.withUnsafeMutableBufferPointer { out in
                        Tensor.gemm(
                            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b,
                            c: out.baseAddress!, beta: beta, lda: lda, ldb: ldb, ldc: ldc)
                    }
                    let label = "transposes \(transposeA) \(transposeB) beta \(beta)"
                    let problem = TestSupport.closeness(c, expected, rtol: 1e-5, atol: 1e-4)
                    #expect(problem == nil, "\(label): \(problem ?? "")")
                    #if os(Linux)
                        // 1 also means another test's product holds the primitive cache: try again then.
                        var direct = c0
                        var status: Int32 = 1
                        for _ in 0..<1000 where status == 1 {
                            status = direct.withUnsafeMutableBufferPointer { out in
                                detox_matmul(
                                    transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, a, lda, b, ldb, beta,
                                    out.baseAddress!, ldc)
                            }
                            if status == 1 { usleep(1000) }
                        }
                        #expect(status == 0, "\(label): oneDNN's matmul did not run (status \(status))")
                        #expect(TestSupport.closeness(direct, expected, rtol: 1e-5, atol: 1e-4) == nil, "\(label)")
                    #endif
                }
            }
        }
    }

    #if os(Linux)
        /// More shapes than the matmul primitive cache holds (64): the least recently used primitives
        /// are dropped and made again, and every product stays right.
        @Test func matmulPrimitiveCacheEvictsAndRemakes() {
            var generator = SeededGenerator(seed: 13)
            let n = 256
            let k = 256
            let b = Tensor.randomNormal([n * k], generator: &generator).values
            let a = Tensor.randomNormal([(128 + 70) * k], generator: &generator).values
            for rows in Array(128..<(128 + 70)) + [128, 129] {
                #expect(rows * n * k >= Tensor.largeProductSize)
                var c = [Float](repeating: 0, count: rows * n)
                var status: Int32 = 1
                // 1 also means another test's product holds the cache: try again then.
                for _ in 0..<1000 where status == 1 {
                    status = c.withUnsafeMutableBufferPointer {
                        detox_matmul(0, 1, rows, n, k, a, k, b, k, 0, $0.baseAddress!, n)
                    }
                    if status == 1 { usleep(1000) }
                }
                #expect(status == 0, "\(rows) rows: status \(status)")
                guard [128, 129, 128 + 69].contains(rows) else { continue }
                var expected = [Float](repeating: 0, count: rows * n)
                for i in 0..<rows {
                    for j in 0..<n {
                        var sum = 0.0
                        for l in 0..<k { sum += Double(a[i * k + l]) * Double(b[j * k + l]) }
                        expected[i * n + j] = Float(sum)
                    }
                }
                #expect(TestSupport.closeness(c, expected, rtol: 1e-5, atol: 1e-4) == nil, "\(rows) rows")
            }
        }
    #endif

    @Test func noGradScopeRecordsNothing() throws {
        let w = Tensor([1, 2]).requiringGrad()
        let y = Tensor.withNoGrad { (w * 3).sum() }
        #expect(!y.requiresGrad)
        let z = (w * 3).sum()
        #expect(z.requiresGrad)
        #expect(try z.backward()[w]?.values == [3, 3])
        #expect(!w.detached().requiresGrad)
        #expect(throws: TensorError.backwardOfNonScalar(shape: [2])) { try (w * 2).backward() }
    }

    @Test func gradientsAccumulateAcrossUses() throws {
        let x = Tensor([2]).requiringGrad()
        let y = (x * x * x + x).sum() // dy/dx = 3x² + 1 = 13
        #expect(try y.backward()[x]?.values == [13])
    }

    @Test func deepGraphDoesNotOverflowTheStack() throws {
        let x = Tensor([1]).requiringGrad()
        var y = x
        for _ in 0..<100_000 { y = y + 0 }
        #expect(try y.sum().backward()[x]?.values == [1])
    }

    @Test func seededGeneratorIsReproducible() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        #expect(Tensor.randomNormal([10], generator: &a).values == Tensor.randomNormal([10], generator: &b).values)
        var c = SeededGenerator(seed: 1)
        let values = Tensor.randomNormal([20000], generator: &c)
        #expect(Swift.abs(values.mean().item) < 0.03)
        #expect(Swift.abs(values.variance().item - 1) < 0.05)
    }

    @Test func largeElementwiseKernelsSplitAcrossCoresCorrectly() {
        let n = 1 << 18
        let a = Tensor.arange(0, Float(n))
        let b = (a * 2 + 1).values
        #expect(b[0] == 1 && b[n - 1] == Float(2 * (n - 1) + 1))
        let s = a.reshaped([512, 512]).sum(axis: 1).values
        #expect(s[1] == Float((512..<1024).reduce(0, +)))
    }
}
