import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestSupport
import Foundation
import Testing

/// PEFT → Detox on tiny T5s: an adapter saved by peft 0.13.2 (`PeftModel.save_pretrained`) loads
/// with ``LoRA/load(from:into:)`` and gives PEFT's logits, loss and LoRA gradients; disabling it
/// gives the base model and merging it changes nothing (fixtures from
/// `Scripts/fixtures/make_t5_lora_fixtures.py`).
///
/// Tolerances: logits max |Δ| ≤ 1e-4; loss 1e-5 absolute + relative; gradients of the loss with
/// respect to every `lora_A` / `lora_B` 1e-4 relative with a 1e-6 absolute floor; merged versus
/// unmerged here max |Δ| ≤ 1e-5; merged here versus PEFT's merged max |Δ| ≤ 1e-4.
@Suite struct T5LoRAParityTests {
    static let logitsTolerance: Float = 1e-4
    static let mergeTolerance: Float = 1e-5

    /// The base from `base/` with PEFT's adapter from `peft_adapter/`.
    static func adaptedModel(_ fixture: T5LoRAFixture) throws -> (T5ForConditionalGeneration, LoRAConfiguration) {
        let model = try fixture.baseModel()
        let configuration = try LoRA.load(from: fixture.peftAdapter, into: model)
        return (model, configuration)
    }

    /// The module paths PEFT adapted, read from the gradient keys of the reference
    /// (`grad.base_model.model.<path>.lora_A.weight`).
    static func peftAdaptedPaths(_ fixture: T5LoRAFixture) -> Set<String> {
        Set(
            fixture.reference.names.compactMap { key -> String? in
                guard key.hasPrefix("grad."), key.hasSuffix(".lora_A.weight") else { return nil }
                return String(key.dropFirst("grad.".count + LoRA.filePrefix.count).dropLast(".lora_A.weight".count))
            })
    }

    @Test func peftAdapterConfigurations() throws {
        let (relu, reluConfiguration) = try Self.adaptedModel(T5LoRAFixture(T5LoRAFixture.reluTied))
        #expect(reluConfiguration.rank == 8 && reluConfiguration.alpha == 16 && reluConfiguration.dropout == 0)
        #expect(reluConfiguration.taskType == "SEQ_2_SEQ_LM")
        // PEFT keeps target_modules as a set, so the file's order is arbitrary.
        guard case .names(let reluNames) = reluConfiguration.targets else {
            Issue.record("expected a list of target modules, found \(reluConfiguration.targets)")
            return
        }
        #expect(Set(reluNames) == ["q", "v"])
        // q and v of every attention: 2 encoder self-attentions, 2 decoder self- and 2 cross-attentions.
        #expect(LoRA.adapters(in: relu).count == 12)
        #expect(LoRA.adapters(in: relu).allSatisfy { $0.layer.scale == 2 })

        let (gated, gatedConfiguration) = try Self.adaptedModel(T5LoRAFixture(T5LoRAFixture.gatedUntied))
        #expect(gatedConfiguration.rank == 4 && gatedConfiguration.alpha == 12 && gatedConfiguration.dropout == 0)
        #expect(gatedConfiguration.taskType == "SEQ_2_SEQ_LM")
        guard case .names(let names) = gatedConfiguration.targets else {
            Issue.record("expected a list of target modules, found \(gatedConfiguration.targets)")
            return
        }
        #expect(Set(names) == ["q", "k", "v", "o", "wi_0", "wi_1", "wo"])
        // 4 projections per attention (2 + 4 attentions) and 3 per gated feed-forward (2 + 2); not lm_head.
        #expect(LoRA.adapters(in: gated).count == 6 * 4 + 4 * 3)
        #expect(!LoRA.adapters(in: gated).contains { $0.path == "lm_head" })
        #expect(LoRA.adapters(in: gated).allSatisfy { $0.layer.scale == 3 })
    }

    @Test(arguments: T5LoRAFixture.names)
    func peftAdapterGivesPeftLogitsLossAndGradients(_ name: String) throws {
        let fixture = try T5LoRAFixture(name)
        let (model, _) = try Self.adaptedModel(fixture)
        #expect(Set(LoRA.adapters(in: model).map(\.path)) == Self.peftAdaptedPaths(fixture))

        let output = try fixture.forward(model)
        let expectedLogits = try fixture.referenceValues("logits")
        #expect(output.logits.shape == (try fixture.reference.tensor("logits").shape))
        let logitsError = try TestSupport.maxAbsDifference(output.logits.values, expectedLogits)
        #expect(output.logits.count == expectedLogits.count)
        #expect(logitsError <= Self.logitsTolerance, "\(name): logits max |Δ| \(logitsError)")

        let loss = try #require(output.loss)
        #expect(
            TestSupport.closeness([loss.item], try fixture.referenceValues("loss"), rtol: 1e-5, atol: 1e-5) == nil,
            "\(name): loss \(loss.item) vs PEFT \(fixture.inputs.loss)")

        let grads = try loss.backward()
        var checked = 0
        try #require(!LoRA.adapters(in: model).isEmpty, "the model has no LoRA layers")
        for (path, layer) in LoRA.adapters(in: model) {
            for (suffix, parameter) in [("lora_A.weight", layer.loraA.weight), ("lora_B.weight", layer.loraB.weight)] {
                let key = "grad.\(LoRA.filePrefix)\(path).\(suffix)"
                let gradient = try #require(grads[parameter.tensor], "\(name): no gradient for \(key)")
                let expected = try fixture.reference.tensor(key)
                #expect(gradient.shape == expected.shape, "\(name): \(key) shape")
                let problem = TestSupport.closeness(gradient.values, expected.values, rtol: 1e-4, atol: 1e-6)
                #expect(problem == nil, "\(name): \(key): \(problem ?? "")")
                checked += 1
            }
        }
        #expect(checked == fixture.reference.names.filter { $0.hasPrefix("grad.") }.count)

        // Only the adapters train; the base (embeddings, norms, relative biases, projections) is frozen.
        let trainable = model.trainableParameters()
        #expect(trainable.count == checked)
        #expect(trainable.allSatisfy { $0.name.hasSuffix("lora_A.weight") || $0.name.hasSuffix("lora_B.weight") })
    }

    @Test(arguments: T5LoRAFixture.names)
    func disabledAdapterIsTheBase(_ name: String) throws {
        let fixture = try T5LoRAFixture(name)
        let (model, _) = try Self.adaptedModel(fixture)
        let base = try fixture.logits(fixture.baseModel())

        let disabled = try LoRA.withAdaptersDisabled(model) { try fixture.logits(model) }
        #expect(disabled == base, "\(name): the disabled adapter is not exactly the base model")
        let error = try TestSupport.maxAbsDifference(disabled, try fixture.referenceValues("logits_disabled"))
        #expect(error <= Self.logitsTolerance, "\(name): disabled logits max |Δ| \(error)")
        #expect(LoRA.adapters(in: model).allSatisfy { $0.layer.isEnabled })

        // The adapter matters: with it on, the logits move far more than the tolerance.
        let enabled = try fixture.logits(model)
        #expect(try TestSupport.maxAbsDifference(enabled, disabled) > 0.5)
    }

    @Test(arguments: T5LoRAFixture.names)
    func mergedEqualsUnmergedAndPeftMerged(_ name: String) throws {
        let fixture = try T5LoRAFixture(name)
        let (model, _) = try Self.adaptedModel(fixture)
        let unmerged = try fixture.logits(model)

        try LoRA.mergeAndUnload(model)
        #expect(LoRA.adapters(in: model).isEmpty)
        #expect(model.linearLayers().allSatisfy { $0.layer is Linear })
        let merged = try fixture.logits(model)
        let mergeError = try TestSupport.maxAbsDifference(merged, unmerged)
        #expect(merged.count == unmerged.count)
        #expect(mergeError <= Self.mergeTolerance, "\(name): merged vs unmerged max |Δ| \(mergeError)")
        let peftError = try TestSupport.maxAbsDifference(merged, try fixture.referenceValues("logits_merged"))
        #expect(peftError <= Self.logitsTolerance, "\(name): merged vs PEFT merged max |Δ| \(peftError)")
    }
}
