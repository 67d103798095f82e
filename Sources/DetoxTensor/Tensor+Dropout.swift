import CDetoxKernels

extension Tensor {
    /// Zeroes each value with probability `probability` and scales the rest by `1 / (1 − probability)`.
    ///
    /// The mask is counter-based and keyed by where each value sits in the global batch, not by the
    /// tensor's layout: the tensor is read as lines — `[B, L, F…]` as `B·L` lines of `F…` values
    /// (row, position), `[B, F]` as `B` lines (row, position 0), anything smaller as one line — and
    /// value `j` of the line at (row `b`, position `p`) is kept when the `j`-th uniform number (see
    /// `detox_dropout`) of ``DropoutRows/lineSeed(_:index:)`` of the row's seed and `p − start(b)`
    /// is below `1 − probability`. The row's seed comes from `seed` and its global index
    /// (``DropoutRows/current``), so a row gets the same mask in any shard of the batch and under
    /// any padding length. The mask does not depend on how the work is split across threads, and
    /// the backward pass regenerates it from the seed instead of storing it.
    public func dropout(probability: Float, seed: UInt64) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) is not in [0, 1)")
        let keep = 1 - probability
        let scale = 1 / keep
        let rows = DropoutRows.current.resolved(count: rank >= 2 ? shape[0] : 1)
        let y = Tensor.dropoutKernel(self, keep: keep, scale: scale, seed: seed, rows: rows)
        return Tensor.record(y, inputs: [self]) { g in
            [Tensor.dropoutKernel(g, keep: keep, scale: scale, seed: seed, rows: rows)]
        }
    }

    static func dropoutKernel(_ x: Tensor, keep: Float, scale: Float, seed: UInt64, rows: DropoutRows) -> Tensor {
        let source = x.storage.pointer
        let batch = x.rank >= 2 ? x.shape[0] : 1
        let positions = x.rank >= 3 ? x.shape[1] : 1
        let lines = batch * positions
        let width = lines == 0 ? 0 : x.count / lines
        return build(shape: x.shape) { out, _ in
            guard width > 0 else { return }
            Parallel.forChunks(lines, minimum: Swift.max(1, Parallel.minimumParallelCount / width)) { start, end in
                for line in start..<end {
                    let row = line / positions
                    let key = DropoutRows.lineSeed(rows.seed(seed, row: row), index: line % positions - rows.start(row))
                    let offset = line * width
                    detox_dropout(source + offset, out + offset, width, keep, scale, key, 0)
                }
            }
        }
    }
}

/// Where each row of the running forward pass sits in the global batch, and where its real tokens
/// start, so that dropout masks (``Tensor/dropout(probability:seed:)``, the attention weights'
/// dropout) depend on the global row and the position among the row's real tokens, not on which
/// process holds the row nor on how far its batch is padded. A data-parallel trainer declares the
/// global rows of each shard (``withGlobalRows(_:_:)``); a model that left-pads declares where each
/// row's tokens start (``withStarts(_:_:)``). Undeclared, the rows are numbered from 0 in batch
/// order and every row starts at position 0 (right padding).
public struct DropoutRows: Sendable, Equatable {
    /// The global index of each local row; `nil`: `0, 1, …`.
    public var global: [Int]?
    /// The position of each local row's first real token; `nil`: 0 for every row.
    public var starts: [Int]?

    public init(global: [Int]? = nil, starts: [Int]? = nil) {
        self.global = global
        self.starts = starts
    }

    /// The rows of the forward pass running on this task or thread.
    @TaskLocal public static var current = DropoutRows()

    /// Runs `body` with the local rows `0, 1, …` standing for the global rows `rows` (the starts
    /// already declared are kept).
    public static func withGlobalRows<R>(_ rows: [Int], _ body: () throws -> R) rethrows -> R {
        var value = current
        value.global = rows
        return try $current.withValue(value, operation: body)
    }

    /// Runs `body` with each local row's real tokens starting at `starts[row]` (the global rows
    /// already declared are kept).
    public static func withStarts<R>(_ starts: [Int], _ body: () throws -> R) rethrows -> R {
        var value = current
        value.starts = starts
        return try $current.withValue(value, operation: body)
    }

    /// This declaration for a tensor of `count` rows, both lists filled in; a list of another
    /// length than `count` is not about this tensor and counts as undeclared.
    public func resolved(count: Int) -> DropoutRows {
        DropoutRows(
            global: global?.count == count ? global : Array(0..<count),
            starts: starts?.count == count ? starts : [Int](repeating: 0, count: count))
    }

    /// The mask seed of local row `row` (of a ``resolved(count:)`` value) in a call seeded `seed`.
    public func seed(_ seed: UInt64, row: Int) -> UInt64 {
        Self.lineSeed(seed, index: global?[row] ?? row)
    }

    /// Where local row `row`'s real tokens start (of a ``resolved(count:)`` value).
    public func start(_ row: Int) -> Int { starts?[row] ?? 0 }

    /// The seed of line `index` (a head, a position; negative for padding before a row's start)
    /// under `seed`: SplitMix64's output function over `seed + (index + 1)·golden-ratio`.
    public static func lineSeed(_ seed: UInt64, index: Int) -> UInt64 {
        var z = seed &+ (UInt64(bitPattern: Int64(index)) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
