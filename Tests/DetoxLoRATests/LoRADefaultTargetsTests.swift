import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import Foundation
import Testing

/// Without target modules, an adapter goes where PEFT 0.13.2 puts it for the model's family
/// (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`).
@Suite struct LoRADefaultTargetsTests {
    /// A tiny random model of each family (two layers), built from a `config.json` text, and the
    /// module names PEFT's mapping gives its `model_type`.
    static func families() throws -> [(model: any LanguageModel, expected: [String])] {
        func decode<C: Decodable>(_ type: C.Type, _ json: String) throws -> C {
            try JSONDecoder().decode(type, from: Data(json.utf8))
        }
        let gpt2 = try decode(
            GPT2Configuration.self,
            #"""
            {"model_type": "gpt2", "vocab_size": 40, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2,
             "bos_token_id": 39, "eos_token_id": 39}
            """#)
        let gptNeo = try decode(
            GPTNeoConfiguration.self,
            #"""
            {"model_type": "gpt_neo", "vocab_size": 40, "max_position_embeddings": 16, "hidden_size": 8,
             "num_layers": 2, "num_heads": 2, "attention_types": [[["global", "local"], 1]], "window_size": 4,
             "bos_token_id": 39, "eos_token_id": 39}
            """#)
        let llama = try decode(
            LlamaConfiguration.self,
            #"""
            {"model_type": "llama", "vocab_size": 40, "hidden_size": 8, "intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1}
            """#)
        let qwen2 = try decode(
            Qwen2Configuration.self,
            #"""
            {"model_type": "qwen2", "vocab_size": 40, "hidden_size": 8, "intermediate_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1}
            """#)
        let t5 = try decode(
            T5Configuration.self,
            #"""
            {"model_type": "t5", "vocab_size": 40, "d_model": 8, "d_kv": 4, "d_ff": 16, "num_layers": 2,
             "num_heads": 2}
            """#)
        return [
            (try T5ForConditionalGeneration(configuration: t5), ["q", "v"]),
            (try GPT2LMHeadModel(configuration: gpt2), ["c_attn"]),
            (try GPTNeoForCausalLM(configuration: gptNeo), ["q_proj", "v_proj"]),
            (try LlamaForCausalLM(llama: llama), ["q_proj", "v_proj"]),
            (try LlamaForCausalLM(qwen2: qwen2), ["q_proj", "v_proj"]),
        ]
    }

    @Test func familyDefaultFollowsPEFTMapping() throws {
        let families = try Self.families()
        try #require(families.count == 5)
        for (model, expected) in families {
            let requested = LoRAConfiguration(rank: 2, alpha: 4, targets: .familyDefault)
            let resolved = try requested.resolvingTargets(modelType: model.modelType)
            #expect(resolved.targets == .names(expected), "\(model.modelType)")
            #expect(LoRAConfiguration.defaultTargetNames[model.modelType] == expected)

            var generator = SeededGenerator(seed: 0)
            let paths = try LoRA.apply(resolved, to: model, generator: &generator)
            let names = Set(paths.map { String($0.split(separator: ".").last ?? "") })
            #expect(names == Set(expected), "\(model.modelType): \(paths)")
            // Decoder-only families have two layers; T5 has two encoder and two decoder blocks, the
            // decoder's with self- and cross-attention.
            let perName = model.modelType == "t5" ? 6 : 2
            #expect(paths.count == perName * expected.count, "\(model.modelType): \(paths)")
        }
    }

    /// A Detox-written adapter names its resolved targets (never `null`), and the same file with
    /// `target_modules` `null` or absent loads onto the family's default modules with the same
    /// weights, as peft 0.13.2's `PeftModel.from_pretrained` resolves it (`_prepare_adapter_config`
    /// from the base model's `model_type`).
    @Test func adapterFilesNameAndResolveTheFamilyDefault() throws {
        let families = try Self.families()
        try #require(families.count == 5)
        for (index, (model, expected)) in families.enumerated() {
            let requested = LoRAConfiguration(rank: 2, alpha: 4, targets: .familyDefault)
            let folder = try TemporaryFolder()
            defer { folder.cleanUp() }
            #expect(throws: LoRAError.self) { try LoRA.save(model, configuration: requested, to: folder.url) }
            let resolved = try requested.resolvingTargets(modelType: model.modelType)
            var generator = SeededGenerator(seed: 1)
            let paths = try LoRA.apply(resolved, to: model, generator: &generator)
            for (_, layer) in LoRA.adapters(in: model) {
                layer.loraB.weight.assign(
                    Tensor.randomNormal(layer.loraB.weight.shape, std: 0.5, generator: &generator))
            }
            try LoRA.save(model, configuration: resolved, to: folder.url)
            let file = folder.file(LoRA.configFileName)
            let written = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            #expect(written["target_modules"] as? [String] == expected, "\(model.modelType)")

            for absent in [false, true] {
                var edited = written
                if absent { edited.removeValue(forKey: "target_modules") } else { edited["target_modules"] = NSNull() }
                try JSONSerialization.data(withJSONObject: edited).write(to: file)
                #expect(try LoRAConfiguration(contentsOf: file).targets == .familyDefault)
                let fresh = try Self.families()[index].model
                let loaded = try LoRA.load(from: folder.url, into: fresh, modelType: fresh.modelType)
                #expect(loaded.targets == .names(expected), "\(model.modelType)")
                #expect(LoRA.adapters(in: fresh).map(\.path) == paths, "\(model.modelType)")
                let ours = LoRA.adapterTensors(of: model)
                let theirs = LoRA.adapterTensors(of: fresh)
                try #require(!ours.isEmpty && ours.keys.sorted() == theirs.keys.sorted())
                for (key, value) in ours { #expect(theirs[key]?.values == value.values, "\(key)") }

                // Without the model type (or with one PEFT has no default for) the file is refused,
                // naming the key.
                for modelType in [nil, "mamba"] as [String?] {
                    do {
                        try LoRA.load(from: folder.url, into: try Self.families()[index].model, modelType: modelType)
                        Issue.record("\(model.modelType): loaded without a known model type")
                    } catch LoRAError.invalidConfiguration(let badFile, let key, _) {
                        #expect(badFile == file.path && key == "target_modules")
                    }
                }
            }
        }
    }

    @Test func namedTargetsAreKept() throws {
        let named = LoRAConfiguration(targets: .names(["k_proj"]))
        #expect(try named.resolvingTargets(modelType: "llama").targets == .names(["k_proj"]))
        let pattern = LoRAConfiguration(targets: .pattern(".*attn.*"))
        #expect(try pattern.resolvingTargets(modelType: "gpt2").targets == .pattern(".*attn.*"))
    }

    @Test func unknownFamilyAndUnresolvedDefaultAreRefused() throws {
        #expect(throws: LoRAError.self) {
            _ = try LoRAConfiguration(targets: .familyDefault).resolvingTargets(modelType: "mamba")
        }
        let model = try #require(try Self.families().first?.model)
        var generator = SeededGenerator(seed: 0)
        #expect(throws: LoRAError.self) {
            try LoRA.apply(LoRAConfiguration(targets: .familyDefault), to: model, generator: &generator)
        }
    }
}
