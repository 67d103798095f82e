// swift-format-ignore-file: AlwaysUseLowerCamelCase

// (fixture fields keep the snake_case keys the Python fixture scripts write)
import DetoxLoRA
import DetoxModels
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// Detox → PEFT on tiny T5s: an adapter written here loads in PEFT with the same logits.
///
/// The test writes each adapter deterministically (seeded ``LoRA/apply(_:to:generator:)``, then
/// seeded non-zero `lora_B`) and compares its bytes with the committed `swift_adapter/`;
/// `Scripts/fixtures/make_t5_lora_fixtures.py` loads that folder with `PeftModel.from_pretrained`
/// on the base and records PEFT's logits in `swift_adapter_check.json`, which must match the
/// logits here to max |Δ| ≤ 1e-4. Set `DETOX_REGENERATE_FIXTURES=1` to rewrite the committed
/// folders, then rerun the script.
@Suite struct T5LoRAWriteTests {
    /// What each fixture's Swift adapter targets: a pattern on one model, names (with the untied
    /// `lm_head`) on the other, both differing from the PEFT adapter's.
    static func configuration(_ name: String) -> LoRAConfiguration {
        switch name {
        case T5LoRAFixture.reluTied:
            return LoRAConfiguration(
                rank: 4, alpha: 6,
                targets: .pattern(
                    #"decoder\.block\.\d+\.layer\.1\.EncDecAttention\.(k|o)|encoder\.block\.0\.layer\.1\.DenseReluDense\.w[io]"#
                ))
        default:
            return LoRAConfiguration(rank: 2, alpha: 3, targets: .names(["k", "wi_1", "wo", "lm_head"]))
        }
    }

    static func expectedPaths(_ name: String) -> Set<String> {
        switch name {
        case T5LoRAFixture.reluTied:
            return [
                "decoder.block.0.layer.1.EncDecAttention.k", "decoder.block.0.layer.1.EncDecAttention.o",
                "decoder.block.1.layer.1.EncDecAttention.k", "decoder.block.1.layer.1.EncDecAttention.o",
                "encoder.block.0.layer.1.DenseReluDense.wi", "encoder.block.0.layer.1.DenseReluDense.wo",
            ]
        default:
            var paths: Set<String> = ["lm_head"]
            for stack in ["encoder", "decoder"] {
                let ff = stack == "encoder" ? 1 : 2
                for block in 0..<2 {
                    paths.insert("\(stack).block.\(block).layer.0.SelfAttention.k")
                    paths.insert("\(stack).block.\(block).layer.\(ff).DenseReluDense.wi_1")
                    paths.insert("\(stack).block.\(block).layer.\(ff).DenseReluDense.wo")
                    if stack == "decoder" { paths.insert("decoder.block.\(block).layer.1.EncDecAttention.k") }
                }
            }
            return paths
        }
    }

    /// The base with a seeded adapter whose `lora_B` is seeded normal (std 0.2), not zero.
    static func swiftAdaptedModel(_ fixture: T5LoRAFixture) throws -> (T5ForConditionalGeneration, LoRAConfiguration) {
        let model = try fixture.baseModel()
        let configuration = configuration(fixture.name)
        var generator = SeededGenerator(seed: 31)
        try LoRA.apply(configuration, to: model, generator: &generator)
        for (_, layer) in LoRA.adapters(in: model) {
            layer.loraB.weight.assign(Tensor.randomNormal(layer.loraB.weight.shape, std: 0.2, generator: &generator))
        }
        return (model, configuration)
    }

    @Test(arguments: T5LoRAFixture.names)
    func writtenAdapterMatchesCommittedFilesAndPeftLogits(_ name: String) throws {
        let fixture = try T5LoRAFixture(name)
        let (model, configuration) = try Self.swiftAdaptedModel(fixture)
        #expect(Set(LoRA.adapters(in: model).map(\.path)) == Self.expectedPaths(name))
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        try LoRA.save(model, configuration: configuration, to: folder)

        if ProcessInfo.processInfo.environment["DETOX_REGENERATE_FIXTURES"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Fixtures/\(name)/swift_adapter")
            try? FileManager.default.removeItem(at: source)
            try FileManager.default.copyItem(at: folder, to: source)
        }
        for file in [LoRA.configFileName, LoRA.weightsFileName] {
            let written = try Data(contentsOf: folder.appendingPathComponent(file))
            let committed = try Data(contentsOf: fixture.swiftAdapter.appendingPathComponent(file))
            #expect(written == committed, "\(name): \(file) differs from the committed swift_adapter")
        }

        // Read back here: the same configuration and exactly the same logits.
        let ours = try fixture.logits(model)
        let reloaded = try fixture.baseModel()
        let reread = try LoRA.load(from: folder, into: reloaded)
        #expect(
            reread.rank == configuration.rank && reread.alpha == configuration.alpha
                && reread.targets == configuration.targets)
        #expect(try fixture.logits(reloaded) == ours)
        // The adapter matters.
        #expect(try TestSupport.maxAbsDifference(ours, try fixture.referenceValues("logits_disabled")) > 0.1)

        // PEFT read the committed copy and computed these logits.
        struct Check: Decodable {
            let peft_loaded: Bool
            let adapted_modules: [String]
            let logits_shape: [Int]
            let logits: [Float]
        }
        let check = try JSONDecoder().decode(Check.self, from: Data(contentsOf: fixture.swiftAdapterCheck))
        #expect(check.peft_loaded)
        #expect(Set(check.adapted_modules) == Self.expectedPaths(name), "\(name): PEFT adapted other modules")
        #expect(check.logits_shape == (try fixture.reference.tensor("logits").shape))
        #expect(check.logits.count == ours.count)
        let error = try TestSupport.maxAbsDifference(ours, check.logits)
        #expect(error <= T5LoRAParityTests.logitsTolerance, "\(name): logits vs PEFT on swift_adapter max |Δ| \(error)")
    }
}
