import DetoxTensor
import Testing

@testable import DetoxModels

/// What a prefill packs: the real tokens of a left-padded batch, in row-major order, and nothing
/// for a batch without padding or with a row that ends in padding (right padding, or padding alone).
@Suite struct RealTokensTests {
    @Test func packsTheRealTokensAndLaysThemBackOut() throws {
        let inputs = try CausalInputs.leftPadded([[5, 6, 7], [8]], pad: 0, vocabularySize: 10)
        let tokens = RealTokens(inputs)
        #expect(tokens.isPacked)
        #expect(tokens.shape == [4])
        #expect(tokens.pack(inputs.ids) == [5, 6, 7, 8])
        #expect(tokens.pack(inputs.positions) == [0, 1, 2, 0])
        // Two values per position: position p holds (p, −p).
        let laidOut = Tensor((0..<6).flatMap { [Float($0), -Float($0)] }, shape: [2, 3, 2])
        let packed = tokens.pack(laidOut)
        #expect(packed.shape == [4, 2])
        #expect(packed.values == [0, 0, 1, -1, 2, -2, 5, -5])
        let unpacked = tokens.unpack(packed)
        #expect(unpacked.shape == [2, 3, 2])
        #expect(unpacked.values == [0, 0, 1, -1, 2, -2, 0, 0, 0, 0, 5, -5])
    }

    @Test func packsNothingWithoutLeftPadding() throws {
        let full = try CausalInputs(ids: [[1, 2], [3, 4]], vocabularySize: 10)
        let emptyRow = try CausalInputs(ids: [[1, 2], [0, 0]], mask: [[1, 1], [0, 0]], vocabularySize: 10)
        let rightPadded = try CausalInputs(ids: [[1, 2], [3, 0]], mask: [[1, 1], [1, 0]], vocabularySize: 10)
        for inputs in [full, emptyRow, rightPadded] {
            let tokens = RealTokens(inputs)
            #expect(!tokens.isPacked)
            #expect(tokens.shape == [2, 2])
            #expect(tokens.pack(inputs.ids) == inputs.ids)
            let values = Tensor((0..<8).map(Float.init), shape: [2, 2, 2])
            #expect(tokens.pack(values).values == values.values)
            #expect(tokens.unpack(values).shape == [2, 2, 2])
        }
        #expect(!RealTokens.all(try CausalInputs.leftPadded([[5, 6], [8]], pad: 0, vocabularySize: 10)).isPacked)
    }
}
