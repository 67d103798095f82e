import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxQuantization
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// A tiny Llama's linear layers quantized to NF4 with double quantization, against bitsandbytes
/// 0.50.2's `Linear4bit` on the same weights (`Scripts/fixtures/make_llama_fixtures.py`,
/// `llama-nf4/`): every state-dict entry bit for bit, and the quantized model's logits at the real
/// tokens of the left-padded batch to 1e-4.
@Suite struct LlamaQuantizationTests {
    struct Reference: Decodable {
        let logits: [Float]
    }

    /// Every entry of `linear_state_dict.safetensors`, U8 as bytes and F32 as floats.
    static func expectedEntries() throws -> [String: BitsandbytesTensor] {
        let url = try LlamaFixtures.folder("llama-nf4").appendingPathComponent("linear_state_dict.safetensors")
        let file = try SafeTensorsFile(url: url)
        var entries: [String: BitsandbytesTensor] = [:]
        for info in file.infos {
            switch info.dtype {
            case .u8: entries[info.name] = .uint8(try file.withRawBytes(of: info.name) { Array($0) }, shape: info.shape)
            case .f32: entries[info.name] = .float32(try file.tensor(info.name).values, shape: info.shape)
            default: Issue.record("\(info.name) has dtype \(info.dtype)")
            }
        }
        return entries
    }

    @Test func nf4DoubleQuantizedLayersMatchBitsandbytes() throws {
        let model = try LlamaForCausalLM.load(folder: LlamaFixtures.folder("llama-untied"))
        var ours: [String: BitsandbytesTensor] = [:]
        // bitsandbytes' default skip list keeps the output projection in full precision.
        let replaced = try model.replaceLinearLayers(
            where: { $0 != "lm_head" },
            with: { path, layer in
                guard let linear = layer as? Linear else { return layer }
                let quantized = try Linear4Bit(linear: linear, type: .nf4, doubleQuantization: true)
                ours.merge(quantized.bitsandbytesStateDict(prefix: path + ".")) { first, _ in first }
                return quantized
            })
        #expect(replaced.count == 2 * 7)
        let expected = try Self.expectedEntries()
        try #require(!expected.isEmpty)
        #expect(ours.keys.sorted() == expected.keys.sorted())
        for (key, value) in expected { #expect(ours[key] == value, "\(key)") }

        let reference = try LlamaFixtures.reference("llama-untied")
        let url = try LlamaFixtures.folder("llama-nf4").appendingPathComponent("reference.json")
        let quantizedReference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let logits = try Tensor.withNoGrad {
            try model(
                inputIDs: reference.input_ids, attentionMask: reference.attention_mask,
                positionIDs: reference.position_ids
            ).logits
        }
        let vocabulary = model.settings.vocabularySize
        #expect(
            TestSupport.closeness(
                reference.atRealTokens(logits.values, width: vocabulary),
                reference.atRealTokens(quantizedReference.logits, width: vocabulary), rtol: 1e-4, atol: 1e-4) == nil)
    }
}
