import DetoxNN
import DetoxQuantization
import DetoxTensor
import Testing

// MARK: - Memory accounting

@Suite("Quantized byte counts")
struct ByteCountTests {
    /// A 512×2048 weight: 1,048,576 values in 16,384 blocks of 64.
    static func weight() -> Tensor {
        var generator = SeededGenerator(seed: 7)
        return Tensor.randomNormal([512, 2048], std: 0.02, generator: &generator)
    }

    @Test("NF4 + double quantization of a 512×2048 weight: codes + 8-bit scales + nested scales + offset")
    func doubleQuantizedBytes() throws {
        let q = try QuantizedTensor4Bit.quantize(Self.weight(), type: .nf4, blocksize: 64, doubleQuantization: true)
        let values = 512 * 2048
        let blocks = values / 64
        let nestedBlocks = (blocks + 255) / 256
        #expect(q.blockCount == 16_384)
        #expect(q.byteCount == values / 2 + blocks + 4 * nestedBlocks + 4)
        #expect(q.byteCount == 540_932)
        let bytesPerValue = Double(q.byteCount) / Double(values)
        #expect(abs(bytesPerValue - 0.5159) < 1e-4) // vs 4 bytes per f32 value
    }

    @Test("without double quantization the scales take 4 bytes per block")
    func plainBytes() throws {
        let q = try QuantizedTensor4Bit.quantize(Self.weight(), type: .fp4, blocksize: 64)
        #expect(q.byteCount == 512 * 2048 / 2 + 4 * 16_384)
        #expect(q.byteCount == 589_824)
        let odd = try QuantizedTensor4Bit.quantize(
            Tensor.ones([3, 7]), type: .nf4, blocksize: 32, doubleQuantization: true)
        #expect(odd.packed.count == 11)
        #expect(odd.byteCount == 11 + 1 + 4 + 4)
    }

    final class Block: Module {
        let projection: Linear4Bit
        let head: Linear
        init(projection: Linear4Bit, head: Linear) {
            self.projection = projection
            self.head = head
        }
        var namedChildren: [(name: String, module: any Module)] { [("projection", projection), ("head", head)] }
    }

    @Test("a module tree counts 4-bit weights packed and every other parameter as f32")
    func moduleFootprint() throws {
        let projection = try Linear4Bit(weight: Self.weight(), bias: Tensor.zeros([512]), type: .nf4)
        let head = Linear(weight: Tensor.zeros([10, 512]), bias: Tensor.zeros([10]))
        let block = Block(projection: projection, head: head)
        let footprint = block.quantizedFootprint
        #expect(footprint.fourBitValueCount == 512 * 2048)
        #expect(footprint.fourBitBytes == 540_932)
        #expect(footprint.float32ValueCount == 512 + 10 * 512 + 10)
        #expect(block.quantizedByteCount == 540_932 + 4 * (512 + 5120 + 10))
        #expect(projection.byteCount == 540_932 + 4 * 512)
        #expect(footprint.unquantizedBytes == 4 * (512 * 2048 + 512 + 5120 + 10))
    }
}
