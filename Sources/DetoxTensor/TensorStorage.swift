import CDetoxBLAS

// MARK: - Storage

/// The contiguous f32 buffer behind one or more tensors.
///
/// Storage is written only while its tensor is being built (by the kernel that produces it);
/// after that every tensor that refers to it treats it as immutable. That discipline is what
/// makes the `@unchecked Sendable` below sound: no two threads ever write the same storage.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` uninitialized floats; the caller must write every element.
    public init(uninitializedCount count: Int) {
        _ = TensorStorage.allocatorTuned
        self.count = count
        self.pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    }

    public convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    public convenience init(copying values: UnsafeBufferPointer<Float>) {
        self.init(uninitializedCount: values.count)
        if let base = values.baseAddress { pointer.initialize(from: base, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Keeps large tensor buffers in the malloc heap instead of fresh `mmap`s, and the heap from
    /// shrinking, so a freed activation's pages are reused by the next one rather than returned to
    /// the kernel and faulted in and zeroed again (a training step's peak can pass 1 GB; with a
    /// 1 GB trim threshold a quarter of the step went to the kernel zeroing pages). Like PyTorch's
    /// caching allocator, the process keeps its peak footprint.
    static let allocatorTuned: Bool = {
        #if os(Linux)
            _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
            _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
        return true
    }()

    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
    public var mutableBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
