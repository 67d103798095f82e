// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture script writes)
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// Detox → PEFT on the tiny GPT-2 of `gpt2-lora/base`: the adapter in `gpt2-detox-adapter/adapter`
/// is what ``writeAdapter(to:)`` writes (the first test rewrites it and requires the same bytes);
/// `Scripts/fixtures/make_gpt2_detox_adapter_logits.py` loaded that folder into peft 0.13.2 and
/// recorded PEFT's logits and how PEFT's own `save_pretrained` of it differs (`peft_logits.json`).
/// Tolerance: logits max |Δ| ≤ 1e-5.
@Suite struct GPT2DetoxAdapterTests {
    static let tolerance: Float = 1e-5
    static let targets = ["c_attn", "c_proj", "c_fc"]

    struct Reference: Decodable {
        let input_ids: [[Int]]
        let attention_mask: [[Int]]
        let logits_shape: [Int]
        let logits: [Float]
        /// Keys whose values differ between Detox's `adapter_config.json` and PEFT's rewrite of it.
        let config_differences: [String]
        /// Whether PEFT's rewrite holds the same tensors (names, shapes, values).
        let weights_equal: Bool
    }

    static func fixtures() throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "the Fixtures folder is missing")
    }

    /// Loads the tiny GPT-2, puts an r 4 / alpha 8 adapter on `c_attn`, `c_proj` and `c_fc` with
    /// deterministic weights (element `i` of each `lora_A` is `0.05·sin(0.7·i + k)`, of each
    /// `lora_B` `0.05·cos(0.3·i + k)`, `k` the tensor's index in name order), and saves it in `folder`.
    static func writeAdapter(to folder: URL) throws {
        let model = try GPT2LMHeadModel.load(
            folder: try fixtures().appendingPathComponent("gpt2-lora").appendingPathComponent("base"))
        let configuration = LoRAConfiguration(rank: 4, alpha: 8, targets: .names(targets), taskType: "CAUSAL_LM")
        var generator = SeededGenerator(seed: 0)
        try LoRA.apply(configuration, to: model, generator: &generator)
        var tensors: [String: Tensor] = [:]
        for (k, (name, tensor)) in LoRA.adapterTensors(of: model).sorted(by: { $0.key < $1.key }).enumerated() {
            let isA = name.hasSuffix("lora_A.weight")
            let values: [Float] = (0..<tensor.count).map { (i: Int) -> Float in
                let x = Double(i)
                let offset = Double(k)
                let wave: Double = isA ? sin(0.7 * x + offset) : cos(0.3 * x + offset)
                return Float(0.05 * wave)
            }
            tensors[name] = try Tensor(shape: tensor.shape, values: values)
        }
        try LoRA.loadWeights(tensors, file: "generated", into: model)
        try LoRA.save(model, configuration: configuration, to: folder)
    }

    /// With `DETOX_WRITE_FIXTURES=1` in the environment, the first test (re)writes the committed
    /// adapter into the source tree instead of comparing, after which
    /// `make_gpt2_detox_adapter_logits.py` must be run again.
    static let sourceFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/gpt2-detox-adapter/adapter")

    @Test func detoxWritesTheCommittedAdapter() throws {
        let committed = try Self.fixtures().appendingPathComponent("gpt2-detox-adapter").appendingPathComponent(
            "adapter")
        if ProcessInfo.processInfo.environment["DETOX_WRITE_FIXTURES"] == "1" {
            try Self.writeAdapter(to: Self.sourceFixture)
        }
        let scratch = try TemporaryFolder()
        defer { scratch.cleanUp() }
        try Self.writeAdapter(to: scratch.url)
        for name in [LoRA.configFileName, LoRA.weightsFileName] {
            let written = try Data(contentsOf: scratch.url.appendingPathComponent(name))
            let expected = try Data(contentsOf: committed.appendingPathComponent(name))
            #expect(written == expected, "\(name) differs from the committed fixture")
        }
        let configuration =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: scratch.url.appendingPathComponent(LoRA.configFileName))) as? [String: Any]
        // PEFT turns fan_in_fan_out on for a Conv1D target before it saves; so does Detox.
        #expect(configuration?["fan_in_fan_out"] as? Bool == true)
    }

    @Test func peftComputesDetoxLogitsWithTheAdapter() throws {
        let folder = try Self.fixtures().appendingPathComponent("gpt2-detox-adapter")
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: folder.appendingPathComponent("peft_logits.json")))
        #expect(reference.config_differences.isEmpty, "PEFT rewrites \(reference.config_differences)")
        #expect(reference.weights_equal)

        let model = try GPT2LMHeadModel.load(
            folder: try Self.fixtures().appendingPathComponent("gpt2-lora").appendingPathComponent("base"))
        try LoRA.load(from: folder.appendingPathComponent("adapter"), into: model)
        #expect(LoRA.adapters(in: model).count == 8)
        let inputs = try CausalInputs(
            ids: reference.input_ids, mask: reference.attention_mask, vocabularySize: model.vocabularySize)
        let logits = try Tensor.withNoGrad { try model.forward(inputs).logits }
        #expect(logits.shape == reference.logits_shape)
        // Only real positions: a left-padding query's row is not a prediction anyone reads.
        let length = reference.attention_mask[0].count
        let vocabulary = model.vocabularySize
        func real(_ values: [Float]) -> [Float] {
            reference.attention_mask.enumerated().flatMap { b, row in
                row.enumerated().filter { $0.element == 1 }.flatMap { i, _ in
                    values[((b * length + i) * vocabulary)..<((b * length + i + 1) * vocabulary)]
                }
            }
        }
        let difference = try TestSupport.maxAbsDifference(real(logits.values), real(reference.logits))
        #expect(difference <= Self.tolerance, "logits differ from PEFT's by \(difference)")
    }
}
