import CDetoxBLAS

// MARK: - Storage

/// The contiguous f32 buffer behind one or more tensors.
///
/// Raw storage is the engine's business: code outside the package reads a tensor through
/// ``Tensor/withUnsafeBufferPointer(_:)`` and never gets a pointer it could write through.
///
/// `@unchecked Sendable` is sound because of how storage is written: only while its tensor is being
/// built (by the kernel that produces it, before the tensor escapes), or in place by an operation
/// that holds the only reference (an autograd sum, an optimizer's own moment buffer). After that
/// every tensor that refers to it treats it as immutable, so no two threads ever write the same
/// storage, nor read one while it is written.
package final class TensorStorage: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<Float>
    package let count: Int

    /// Allocates `count` uninitialized floats; the caller must write every element.
    package init(uninitializedCount count: Int) {
        _ = TensorStorage.allocatorTuned
        self.count = count
        self.pointer = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
    }

    package convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        pointer.initialize(repeating: value, count: count)
    }

    package convenience init(copying values: UnsafeBufferPointer<Float>) {
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

    package var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }
    package var mutableBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
