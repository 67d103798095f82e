// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxCheckpoints
import DetoxModels
import DetoxTensor
import Foundation
import Testing

/// One folder of `Scripts/fixtures/make_t5_lora_fixtures.py` (`Fixtures/t5-lora-<name>/`): a tiny
/// T5 base model, the PEFT adapter saved for it, fixed inputs and PEFT's reference outputs.
struct T5LoRAFixture {
    /// T5 v1.0 (relu, tied), PEFT adapter r 8 / alpha 16 on `["q", "v"]`.
    static let reluTied = "t5-lora-relu-tied"
    /// flan-style (gated-gelu, untied `lm_head`), PEFT adapter r 4 / alpha 12 on every projection.
    static let gatedUntied = "t5-lora-gated-untied"
    static let names = [reluTied, gatedUntied]

    /// `inputs.json`.
    struct Inputs: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let labels: [[Int]]
        let loss: Float
        let loss_disabled: Float
    }

    let name: String
    let folder: URL
    let inputs: Inputs
    /// `reference.safetensors`: `logits`, `logits_disabled`, `logits_merged`, `loss` and
    /// `grad.<adapter file key>` for every `lora_A` / `lora_B`.
    let reference: SafeTensorsFile

    init(_ name: String) throws {
        self.name = name
        folder = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        inputs = try JSONDecoder().decode(
            Inputs.self, from: Data(contentsOf: folder.appendingPathComponent("inputs.json")))
        reference = try SafeTensorsFile(url: folder.appendingPathComponent("reference.safetensors"))
    }

    var baseFolder: URL { folder.appendingPathComponent("base") }
    var peftAdapter: URL { folder.appendingPathComponent("peft_adapter") }
    var swiftAdapter: URL { folder.appendingPathComponent("swift_adapter") }
    var swiftAdapterCheck: URL { folder.appendingPathComponent("swift_adapter_check.json") }

    /// The base model as saved by `save_pretrained`, without an adapter.
    func baseModel() throws -> T5ForConditionalGeneration { try T5ForConditionalGeneration.load(folder: baseFolder) }

    /// Teacher-forced forward on the fixed inputs with labels (decoder inputs are the shifted labels).
    func forward(_ model: T5ForConditionalGeneration) throws -> T5Output {
        try model(inputIDs: inputs.input_ids, attentionMask: inputs.attention_mask, labels: inputs.labels)
    }

    /// Logits `[B, T, vocab]` of the fixed inputs, recording no graph.
    func logits(_ model: T5ForConditionalGeneration) throws -> [Float] {
        try Tensor.withNoGrad { try forward(model).logits.values }
    }

    func referenceValues(_ key: String) throws -> [Float] { try reference.tensor(key).values }
}
