import DetoxModels
import DetoxNN
import DetoxPipeline
import DetoxQuantization
import DetoxTensor
import Testing

/// 4-bit quantization of a GPT-2 base: its `Conv1D` layers (`[in, out]` weights) become
/// `Linear4Bit` layers over the `[out, in]` view, as transformers' bitsandbytes path does.
@Suite struct PolicyQuantizationTests {
    @Test func gpt2Conv1DLayersQuantizeAsOutByIn() throws {
        let configuration = try GPT2Configuration(
            vocabularySize: 40, positionCount: 16, hiddenSize: 64, layerCount: 1, headCount: 4, bosTokenID: 39,
            eosTokenID: 39)
        let model = try GPT2LMHeadModel(configuration: configuration, seed: 5)
        let original = try #require(model.transformer.blocks[0].attention.cAttn as? Conv1D)
        var generator = SeededGenerator(seed: 9)
        let input = Tensor.randomNormal([3, 64], generator: &generator)
        let expected = Tensor.withNoGrad { original(input) }

        let count = try PolicyLoading.quantize(model, as: .nf4, doubleQuantization: true)
        #expect(count == 4)
        let quantized = try #require(model.transformer.blocks[0].attention.cAttn as? Linear4Bit)
        #expect(quantized.weight.shape == [192, 64])
        let actual = Tensor.withNoGrad { quantized(input) }
        // NF4 keeps each output within a small fraction of its scale; a transposed layout would not.
        let scale = expected.values.map(Swift.abs).max() ?? 0
        let error = zip(actual.values, expected.values).map { Swift.abs($0 - $1) }.max() ?? .infinity
        #expect(actual.shape == expected.shape)
        #expect(error <= 0.2 * scale, "max |Δ| \(error) against outputs up to \(scale)")
    }
}
