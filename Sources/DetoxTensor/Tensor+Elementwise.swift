import CDetoxKernels

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

// MARK: - Kernels

struct AddKernel: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
struct SubKernel: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
struct MulKernel: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
struct DivKernel: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
struct MaxKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) }
}
struct MinKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) }
}
struct PowKernel: BinaryKernel { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { powf(a, b) } }
/// 1 where the predicate holds, else 0.
struct CompareKernel: BinaryKernel {
    let predicate: Comparison
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float {
        switch predicate {
        case .greater: return a > b ? 1 : 0
        case .greaterOrEqual: return a >= b ? 1 : 0
        case .less: return a < b ? 1 : 0
        case .lessOrEqual: return a <= b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        }
    }
}
/// Gradient of max(a, b) for `a`: 1 where a wins (ties go to `a`, as PyTorch splits them evenly; see `maximum`).
struct SelectGreaterKernel: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a > b ? 1 : (a == b ? 0.5 : 0) }
}

struct NegKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
struct ExpKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { expf(x) } }
struct LogKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { logf(x) } }
struct SqrtKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
struct RsqrtKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / x.squareRoot() } }
struct TanhKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { tanhf(x) } }
struct AbsKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
struct ReluKernel: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
struct ClampKernel: UnaryKernel {
    let low: Float, high: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
}

// Backward kernels: (saved value, incoming gradient) → input gradient.
struct ExpGrad: BinaryKernel { @inline(__always) func callAsFunction(_ y: Float, _ g: Float) -> Float { g * y } }
struct LogGrad: BinaryKernel { @inline(__always) func callAsFunction(_ x: Float, _ g: Float) -> Float { g / x } }
struct SqrtGrad: BinaryKernel { @inline(__always) func callAsFunction(_ y: Float, _ g: Float) -> Float { g * 0.5 / y } }
struct RsqrtGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ y: Float, _ g: Float) -> Float { -0.5 * g * y * y * y }
}
struct TanhGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ y: Float, _ g: Float) -> Float { g * (1 - y * y) }
}
struct SigmoidGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ y: Float, _ g: Float) -> Float { g * y * (1 - y) }
}
struct ReluGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ x: Float, _ g: Float) -> Float { x > 0 ? g : 0 }
}
struct AbsGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ x: Float, _ g: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
}
struct ClampGrad: BinaryKernel {
    let low: Float, high: Float
    @inline(__always) func callAsFunction(_ x: Float, _ g: Float) -> Float { x >= low && x <= high ? g : 0 }
}
struct PowGrad: BinaryKernel {
    let exponent: Float
    @inline(__always) func callAsFunction(_ x: Float, _ g: Float) -> Float { g * exponent * powf(x, exponent - 1) }
}

/// Element-wise comparisons; results are 1 or 0.
public enum Comparison: Sendable {
    case greater, greaterOrEqual, less, lessOrEqual, equal, notEqual
}

// MARK: - Arithmetic

extension Tensor {
    /// The sum is written into an operand of the result's shape that nothing else holds (a fresh
    /// product's output, as in a residual connection), else into a new buffer. The backward pass
    /// keeps only the shapes.
    public static func + (a: consuming Tensor, b: consuming Tensor) -> Tensor {
        let shapeA = a.shape
        let shapeB = b.shape
        let nodes = [a.node, b.node]
        let sum: Tensor
        if shapeA == shapeB {
            var storageA = a.storage
            var storageB = b.storage
            _ = consume a
            _ = consume b
            if isKnownUniquelyReferenced(&storageB) {
                sum = addInPlace(into: storageB, storageA, shape: shapeA)
            } else if isKnownUniquelyReferenced(&storageA) {
                sum = addInPlace(into: storageA, storageB, shape: shapeA)
            } else {
                sum = zipMap(
                    Tensor(storage: storageA, shape: shapeA), Tensor(storage: storageB, shape: shapeB), AddKernel())
            }
        } else {
            sum = zipMap(a, b, AddKernel())
        }
        return record(sum, inputNodes: nodes) { g in
            [nodes[0] == nil ? nil : g.sumToShape(shapeA), nodes[1] == nil ? nil : g.sumToShape(shapeB)]
        }
    }

    /// `total += addend` over equal counts, on both cores.
    private static func addInPlace(into total: TensorStorage, _ addend: TensorStorage, shape: [Int]) -> Tensor {
        let t = total.pointer
        let other = addend.pointer
        Parallel.forChunks(total.count) { start, end in
            for i in start..<end { t[i] += other[i] }
        }
        return Tensor(storage: total, shape: shape)
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let shapeA = a.shape
        let shapeB = b.shape
        let nodes = [a.node, b.node]
        return record(zipMap(a, b, SubKernel()), inputNodes: nodes) { g in
            [nodes[0] == nil ? nil : g.sumToShape(shapeA), nodes[1] == nil ? nil : (-g).sumToShape(shapeB)]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        record(zipMap(a, b, MulKernel()), inputs: [a, b]) { g in
            [
                a.node == nil ? nil : zipMap(g, b, MulKernel()).sumToShape(a.shape),
                b.node == nil ? nil : zipMap(g, a, MulKernel()).sumToShape(b.shape),
            ]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        record(zipMap(a, b, DivKernel()), inputs: [a, b]) { g in
            [
                a.node == nil ? nil : zipMap(g, b, DivKernel()).sumToShape(a.shape),
                b.node == nil ? nil : (-(g * a) / (b * b)).sumToShape(b.shape),
            ]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        record(a.map(NegKernel()), inputs: [a]) { g in [g.map(NegKernel())] }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(scalar: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) + a }
    public static func - (a: Tensor, s: Float) -> Tensor { a + Tensor(scalar: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) - a }
    public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(scalar: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) * a }
    public static func / (a: Tensor, s: Float) -> Tensor { a * Tensor(scalar: 1 / s) }
    public static func / (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) / a }

    /// Element-wise maximum; where the two are equal the gradient is split evenly, as in PyTorch.
    public func maximum(_ other: Tensor) -> Tensor {
        let a = self
        let b = other
        return Tensor.record(Tensor.zipMap(a, b, MaxKernel()), inputs: [a, b]) { g in
            let pickA = Tensor.zipMap(a, b, SelectGreaterKernel())
            return [
                a.node == nil ? nil : (g * pickA).sumToShape(a.shape),
                b.node == nil ? nil : (g * (1 - pickA)).sumToShape(b.shape),
            ]
        }
    }

    /// Element-wise minimum; ties split the gradient evenly.
    public func minimum(_ other: Tensor) -> Tensor { -((-self).maximum(-other)) }

    /// `self` raised to a constant power.
    public func pow(_ exponent: Float) -> Tensor {
        let x = self
        return Tensor.record(Tensor.zipMap(x, Tensor(scalar: exponent), PowKernel()), inputs: [x]) { g in
            [Tensor.zipMap(x, g, PowGrad(exponent: exponent))]
        }
    }
}

// MARK: - Unary functions

extension Tensor {
    @inline(__always)
    private func unary<F: UnaryKernel, G: BinaryKernel>(_ f: F, _ grad: G, savesOutput: Bool) -> Tensor {
        let x = self
        let y = map(f)
        return Tensor.record(y, inputs: [x]) { g in [Tensor.zipMap(savesOutput ? y : x, g, grad)] }
    }

    public func exp() -> Tensor { unary(ExpKernel(), ExpGrad(), savesOutput: true) }
    public func log() -> Tensor { unary(LogKernel(), LogGrad(), savesOutput: false) }
    public func sqrt() -> Tensor { unary(SqrtKernel(), SqrtGrad(), savesOutput: true) }
    public func rsqrt() -> Tensor { unary(RsqrtKernel(), RsqrtGrad(), savesOutput: true) }
    public func tanh() -> Tensor { unary(TanhKernel(), TanhGrad(), savesOutput: true) }
    /// `1 / (1 + e^(−x))` on a vectorized C kernel (`detox_sigmoid`); the backward pass reads the
    /// output, `g·y·(1 − y)`.
    public func sigmoid() -> Tensor {
        let source = storage.pointer
        let y = Tensor.build(shape: shape) { out, n in
            Parallel.forChunks(n) { start, end in detox_sigmoid(source + start, out + start, end - start) }
        }
        return Tensor.record(y, inputs: [self]) { g in [Tensor.zipMap(y, g, SigmoidGrad())] }
    }
    /// `max(x, 0)`. The backward pass reads its mask from the output (positive exactly where the
    /// input is), so the input need not be kept, and an input that nothing else holds (the fresh
    /// output of the product before it) is overwritten in place.
    public consuming func relu() -> Tensor {
        let shape = self.shape
        let node = self.node
        var storage = self.storage
        _ = consume self
        guard isKnownUniquelyReferenced(&storage) else {
            return Tensor(storage: storage, shape: shape, node: node).unary(ReluKernel(), ReluGrad(), savesOutput: true)
        }
        let values = storage.pointer
        Parallel.forChunks(storage.count) { start, end in
            for i in start..<end { values[i] = ReluKernel()(values[i]) }
        }
        let y = Tensor(storage: storage, shape: shape)
        return Tensor.record(y, inputNodes: [node]) { g in [Tensor.zipMap(y, g, ReluGrad())] }
    }
    public func abs() -> Tensor { unary(AbsKernel(), AbsGrad(), savesOutput: false) }
    /// Exact GELU, `x·Φ(x)` with Φ the standard normal CDF (PyTorch's default, transformers'
    /// `"gelu"`): vectorized C kernels forward and backward (`detox_gelu`). Without a gradient to
    /// record, an input that nothing else holds is overwritten in place.
    public consuming func gelu() -> Tensor {
        activation(
            { detox_gelu($0, $1, $2) },
            backward: { detox_gelu_backward($0, $1, $2, $3) })
    }

    /// The tanh approximation of GELU, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (transformers'
    /// `"gelu_new"`, GPT-2's and T5 v1.1's activation), on vectorized C kernels as ``gelu()``.
    public consuming func geluNew() -> Tensor {
        activation(
            { detox_gelu_tanh($0, $1, $2) },
            backward: { detox_gelu_tanh_backward($0, $1, $2, $3) })
    }

    /// An element-wise function whose kernels take (input, output, count) forward and (input,
    /// output gradient, input gradient, count) backward, split over the cores. The backward pass
    /// keeps the input; without a node to record, the input's buffer is reused when unshared.
    private consuming func activation(
        _ forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
        backward: @escaping (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
    ) -> Tensor {
        let shape = self.shape
        let node = self.node
        var storage = self.storage
        _ = consume self
        let records = Tensor.gradEnabled && node != nil
        if !records && isKnownUniquelyReferenced(&storage) {
            let values = storage.pointer
            Parallel.forChunks(storage.count) { start, end in
                forward(values + start, values + start, end - start)
            }
            return Tensor(storage: storage, shape: shape)
        }
        let source = storage.pointer
        let y = Tensor.build(shape: shape) { out, n in
            Parallel.forChunks(n) { start, end in forward(source + start, out + start, end - start) }
        }
        let x = Tensor(storage: storage, shape: shape)
        return Tensor.record(y, inputNodes: [node]) { g in
            let xp = x.storage.pointer
            let gp = g.storage.pointer
            return [
                Tensor.build(shape: shape) { out, n in
                    Parallel.forChunks(n) { start, end in backward(xp + start, gp + start, out + start, end - start) }
                }
            ]
        }
    }

    /// Limits every value to `[low, high]`; the gradient passes only where the value was inside.
    public func clamped(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        unary(ClampKernel(low: low, high: high), ClampGrad(low: low, high: high), savesOutput: false)
    }
}

// MARK: - Comparisons and selection

extension Tensor {
    /// 1 where the comparison holds, else 0; never differentiable.
    public func compare(_ predicate: Comparison, _ other: Tensor) -> Tensor {
        Tensor.zipMap(self, other, CompareKernel(predicate: predicate))
    }

    public func compare(_ predicate: Comparison, _ value: Float) -> Tensor {
        compare(predicate, Tensor(scalar: value))
    }

    /// `condition ? a : b` element-wise, where `condition` holds 1/0 values (broadcasting).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let c = condition.detached()
        return c * a + (1 - c) * b
    }

    /// Replaces values where `mask` is non-zero with `value` (`masked_fill`, broadcasting the mask).
    public func maskedFill(_ mask: Tensor, _ value: Float) -> Tensor {
        let x = self
        let m = mask.detached()
        return Tensor.record(Tensor.zipMap(x, m, MaskFillKernel(value: value)), inputs: [x]) { g in
            [Tensor.zipMap(g, m, MaskFillKernel(value: 0)).sumToShape(x.shape)]
        }
    }
}

/// `mask != 0 ? value : x`.
struct MaskFillKernel: BinaryKernel {
    let value: Float
    @inline(__always) func callAsFunction(_ x: Float, _ mask: Float) -> Float { mask != 0 ? value : x }
}
