import DetoxTensor
import Testing

/// The public, scoped ways to read and build tensors: they hand out the storage itself (no copy)
/// only for the duration of a closure.
@Suite struct ScopedAccessTests {
    @Test func readingBorrowsTheStorageWithoutCopying() {
        let tensor = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let (values, address) = tensor.withUnsafeBufferPointer { (Array($0), $0.baseAddress) }
        #expect(values == [1, 2, 3, 4, 5, 6])
        #expect(address == UnsafePointer(tensor.storage.pointer))
        // A view made by reshaping shares the storage, so it reads the same memory.
        #expect(tensor.reshaped([3, 2]).withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(Tensor.zeros([0]).withUnsafeBufferPointer { $0.count } == 0)
    }

    @Test func buildingWritesFreshStorage() throws {
        let tensor = try Tensor(shape: [2, 2]) { buffer in
            for i in buffer.indices { buffer[i] = Float(i * i) }
        }
        #expect(tensor.shape == [2, 2] && tensor.values == [0, 1, 4, 9])
        #expect(tensor.node == nil)
        #expect(throws: TensorError.invalidShape([2, -1])) { try Tensor(shape: [2, -1]) { _ in } }
        struct Refused: Error {}
        #expect(throws: Refused.self) { try Tensor(shape: [1]) { _ in throw Refused() } }
    }
}
