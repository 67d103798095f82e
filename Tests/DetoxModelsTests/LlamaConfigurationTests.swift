import DetoxModels
import DetoxNN
import DetoxTestFiles
import Foundation
import Testing

/// Llama and Qwen2 `config.json` files: transformers' defaults for absent keys, and typed errors
/// naming the file and key for bad ones.
@Suite struct LlamaConfigurationTests {
    static func settings(_ json: String) throws -> LlamaSettings {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try Data(json.utf8).write(to: folder.file("config.json"))
        return try LlamaForCausalLM.settings(configuration: folder.file("config.json"))
    }

    /// The error of loading `json`, as (file name, key), or `nil` when it loads.
    static func failure(_ json: String) -> (file: String, key: String)? {
        do {
            _ = try settings(json)
            return nil
        } catch ModelError.invalidConfiguration(let file, let key, _) {
            return (URL(fileURLWithPath: file).lastPathComponent, key)
        } catch ModelError.unsupportedModelType(let file, let modelType, _) {
            return (URL(fileURLWithPath: file).lastPathComponent, "model_type=\(modelType)")
        } catch {
            return ("?", "\(error)")
        }
    }

    @Test func absentKeysTakeTransformersDefaults() throws {
        let llama = try Self.settings(#"{"model_type": "llama"}"#)
        #expect(llama.vocabularySize == 32000 && llama.hiddenSize == 4096 && llama.intermediateSize == 11008)
        #expect(llama.layerCount == 32 && llama.headCount == 32 && llama.keyValueHeadCount == 32)
        #expect(llama.headDimension == 128 && llama.rmsNormEpsilon == 1e-6 && llama.initializerRange == 0.02)
        #expect(llama.bosTokenID == 1 && llama.eosTokenID == 2 && llama.padTokenID == nil)
        #expect(!llama.tieWordEmbeddings && !llama.queryKeyValueBias && !llama.mlpBias)
        #expect(llama.rotary == Rotary(dimension: 128, base: 10000))

        let qwen = try Self.settings(
            #"{"model_type": "qwen2", "num_key_value_heads": null, "num_attention_heads": 16, "eos_token_id": [5, 6]}"#)
        #expect(qwen.vocabularySize == 151_936 && qwen.intermediateSize == 22016 && qwen.headCount == 16)
        #expect(qwen.keyValueHeadCount == 16 && qwen.headDimension == 256)
        #expect(qwen.queryKeyValueBias && !qwen.outputBias && !qwen.mlpBias)
        #expect(qwen.bosTokenID == nil && qwen.eosTokenID == 5 && qwen.padTokenID == nil)
        let qwenDefaultHeads = try Self.settings(#"{"model_type": "qwen2"}"#)
        #expect(qwenDefaultHeads.keyValueHeadCount == 32)
    }

    @Test func badValuesNameTheFileAndKey() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "llama", "hidden_act": "gelu"}"#, "hidden_act"),
            (#"{"model_type": "llama", "num_key_value_heads": 3}"#, "num_key_value_heads"),
            (#"{"model_type": "llama", "hidden_size": "wide"}"#, "hidden_size"),
            (#"{"model_type": "llama", "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}"#, "rope_scaling"),
            (#"{"model_type": "llama", "rope_scaling": {"type": "linear"}}"#, "rope_scaling"),
            (#"{"model_type": "llama", "vocab_size": 10, "pad_token_id": 10}"#, "pad_token_id"),
            (#"{"model_type": "qwen2", "use_sliding_window": true}"#, "use_sliding_window"),
            (#"{"model_type": "qwen2", "hidden_size": 100, "num_attention_heads": 8}"#, "hidden_size"),
            (#"{"model_type": "gpt_neox"}"#, "model_type=gpt_neox"),
            ("[1, 2]", "(root)"),
        ]
        try #require(!cases.isEmpty)
        for (json, key) in cases {
            let failure = Self.failure(json)
            #expect(failure?.file == "config.json" && failure?.key == key, "\(json): \(String(describing: failure))")
        }
    }
}
