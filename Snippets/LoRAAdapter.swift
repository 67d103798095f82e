// Puts LoRA adapters on a tiny T5's attention projections by module name, trains them for a step,
// and saves them as a PEFT adapter folder that `PeftModel.from_pretrained` reads.
import DetoxLoRA
import DetoxModels
import DetoxOptimizers
import DetoxTensor
import Foundation

let configuration = try T5Configuration(
    vocabularySize: 32, modelDimension: 16, keyValueDimension: 4, feedForwardDimension: 32,
    encoderLayerCount: 1, decoderLayerCount: 1, headCount: 4, relativeAttentionBucketCount: 8,
    relativeAttentionMaxDistance: 16)
let model = try T5ForConditionalGeneration(configuration: configuration, seed: 7)

// Targets match module paths as PEFT's `target_modules` does: a name matches every path ending in it.
let lora = LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["q", "v"]))
var generator = SeededGenerator(seed: 1)
let paths = try LoRA.apply(lora, to: model, generator: &generator)
// The base is frozen; only the adapters train.
print(paths.count, "adapted layers, e.g.", paths[0]) // 6 adapted layers, e.g. encoder.block.0.layer.0.SelfAttention.q
print(model.trainableParameters().count, "trainable tensors of", model.parameters().count) // 12 trainable tensors of 38

// One supervised step; only the adapters move.
let optimizer = try Adam(module: model, learningRate: 1e-2)
let before = try model.supervisedLoss(prompts: [[5, 9, 12, 1]], targets: [[4, 6, 1]])
try optimizer.step(grads: before.backward())
let after = try model.supervisedLoss(prompts: [[5, 9, 12, 1]], targets: [[4, 6, 1]])
print(before.item, "→", after.item) // 4.9122796 → 4.7266417

// adapter_config.json and adapter_model.safetensors, under PEFT's names.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("detox-snippet-\(UUID().uuidString)")
try LoRA.save(model, configuration: lora, to: folder)
print(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted())
// ["adapter_config.json", "adapter_model.safetensors"]

// Loading the folder into a fresh base model gives the adapted model back.
let reloaded = try T5ForConditionalGeneration(configuration: configuration, seed: 7)
_ = try LoRA.load(from: folder, into: reloaded)
print(try reloaded.supervisedLoss(prompts: [[5, 9, 12, 1]], targets: [[4, 6, 1]]).item == after.item) // true
// snippet.hide
try FileManager.default.removeItem(at: folder)
