import DetoxCheckpoints
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTestFiles
import DetoxTestSupport
import Foundation
import Testing

/// Forward parity with transformers' `T5ForConditionalGeneration` and TRL's value head on the
/// fixture models. Tolerance: max absolute difference ≤ 1e-4 on every value.
@Suite struct T5ParityTests {
    static let tolerance: Float = 1e-4

    @Test(arguments: T5Fixtures.modelNames)
    func forwardWithLabelsMatchesTransformers(name: String) throws {
        let model = try T5Fixtures.model(name)
        let reference = try T5Fixtures.reference(name)
        let f = reference.forward
        let output = try Tensor.withNoGrad {
            try model(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        }
        #expect(output.encoderHiddenState.shape == f.encoder_shape)
        #expect(output.logits.shape == f.logits_shape)
        let encoderDifference = try TestSupport.maxAbsDifference(
            output.encoderHiddenState.values, f.encoder_last_hidden_state)
        #expect(encoderDifference <= Self.tolerance, "\(name): encoder output differs by \(encoderDifference)")
        let logitsDifference = try TestSupport.maxAbsDifference(output.logits.values, f.logits)
        #expect(logitsDifference <= Self.tolerance, "\(name): logits differ by \(logitsDifference)")
        let hiddenDifference = try TestSupport.maxAbsDifference(
            output.decoderHiddenState.values, f.decoder_last_hidden_state)
        #expect(hiddenDifference <= Self.tolerance, "\(name): decoder hidden state differs by \(hiddenDifference)")
        let loss = try #require(output.loss)
        #expect(Swift.abs(loss.item - f.loss) <= Self.tolerance, "\(name): loss \(loss.item) vs \(f.loss)")
        #expect(model.shiftRight(f.labels) == f.decoder_input_ids)
    }

    @Test(arguments: T5Fixtures.modelNames)
    func teacherForcedLogProbabilitiesMatchTransformers(name: String) throws {
        let model = try T5Fixtures.model(name)
        let reference = try T5Fixtures.reference(name)
        let f = reference.forward
        let t = reference.teacher_forced
        let full = try Tensor.withNoGrad {
            try model(
                inputIDs: f.input_ids, attentionMask: f.attention_mask, decoderInputIDs: t.decoder_input_ids,
                decoderAttentionMask: t.decoder_attention_mask)
        }
        let logitsDifference = try TestSupport.maxAbsDifference(full.logits.values, t.logits)
        #expect(
            logitsDifference <= Self.tolerance,
            "\(name): logits with a padded decoder mask differ by \(logitsDifference)")

        let scored = try model.logProbabilities(
            inputIDs: f.input_ids, attentionMask: f.attention_mask, decoderTokens: t.decoder_input_ids,
            decoderAttentionMask: t.decoder_attention_mask)
        let rows = t.decoder_input_ids.count
        let width = t.decoder_input_ids[0].count
        #expect(scored.logProbabilities.shape == [rows, width - 1])
        let difference = try TestSupport.maxAbsDifference(scored.logProbabilities.values, t.token_logprobs)
        #expect(difference <= Self.tolerance, "\(name): token log-probabilities differ by \(difference)")
        // Positions 0..<T of the hidden state are what the value head reads (TRL's values[:, :-1]).
        let dimension = model.configuration.modelDimension
        let expectedHidden = (0..<rows).flatMap { r in
            t.decoder_last_hidden_state[(r * width * dimension)..<((r * width + width - 1) * dimension)]
        }
        let hiddenDifference = try TestSupport.maxAbsDifference(scored.decoderHiddenState.values, Array(expectedHidden))
        #expect(hiddenDifference <= Self.tolerance, "\(name): hidden states differ by \(hiddenDifference)")
    }

    @Test(arguments: T5Fixtures.modelNames)
    func valueHeadMatchesTRL(name: String) throws {
        let folder = try T5Fixtures.folder(name)
        let reference = try T5Fixtures.reference(name)
        let f = reference.forward
        let t = reference.teacher_forced
        #expect(t.v_head_keys == ["v_head.summary.bias", "v_head.summary.weight"])
        let head = try SafeTensorsFile(url: folder.appendingPathComponent("value_head.safetensors")).tensors()
        let policy = try T5WithValueHead(model: T5Fixtures.model(name), tensors: head, source: "value_head.safetensors")
        #expect(policy.valueHead.dropout.probability == 0.1)
        let keys = Set(policy.stateDict().keys)
        #expect(
            keys.contains("v_head.summary.weight") && keys.contains("v_head.summary.bias")
                && keys.contains("shared.weight"))
        let output = try Tensor.withNoGrad {
            try policy(
                inputIDs: f.input_ids, attentionMask: f.attention_mask, decoderInputIDs: t.decoder_input_ids,
                decoderAttentionMask: t.decoder_attention_mask)
        }
        #expect(output.values.shape == [t.decoder_input_ids.count, t.decoder_input_ids[0].count])
        let difference = try TestSupport.maxAbsDifference(output.values.values, t.values)
        #expect(difference <= Self.tolerance, "\(name): values differ by \(difference)")

        // The PPO helper gives the same values at positions 0..<T and the same log-probabilities.
        let scored = try policy.logProbabilitiesAndValues(
            inputIDs: f.input_ids, attentionMask: f.attention_mask, decoderTokens: t.decoder_input_ids,
            decoderAttentionMask: t.decoder_attention_mask)
        let width = t.decoder_input_ids[0].count
        let expected = (0..<t.decoder_input_ids.count).flatMap { r in t.values[(r * width)..<(r * width + width - 1)] }
        #expect(try TestSupport.maxAbsDifference(scored.values.values, Array(expected)) <= Self.tolerance)
        #expect(try TestSupport.maxAbsDifference(scored.logProbabilities.values, t.token_logprobs) <= Self.tolerance)
    }

    @Test func valueHeadFolderLoadingAndGradients() throws {
        // A plain model folder has no v_head: TRL creates a fresh one (dropout 0.1); PPO's
        // log-probabilities and values are differentiable in the policy and the head.
        let name = "t5-relu-tied"
        let policy = try T5WithValueHead.load(folder: T5Fixtures.folder(name), seed: 4)
        #expect(policy.valueHead.summary.weight.shape == [1, 32] && policy.valueHead.summary.bias?.shape == [1])
        #expect(policy.valueHead.dropout.probability == 0.1)
        let again = try T5WithValueHead.load(folder: T5Fixtures.folder(name), seed: 4)
        #expect(
            again.valueHead.summary.weight.tensor.values == policy.valueHead.summary.weight.tensor.values, "seeded init"
        )
        let f = try T5Fixtures.reference(name).forward
        let t = try T5Fixtures.reference(name).teacher_forced
        let scored = try policy.logProbabilitiesAndValues(
            inputIDs: f.input_ids, attentionMask: f.attention_mask, decoderTokens: t.decoder_input_ids,
            decoderAttentionMask: t.decoder_attention_mask)
        let gradients = try (scored.logProbabilities.sum() + scored.values.sum()).backward()
        for key in [
            "shared.weight", "decoder.block.1.layer.1.EncDecAttention.q.weight", "v_head.summary.weight",
            "v_head.summary.bias",
        ] {
            let parameter = try #require(policy.parameters().first { $0.name == key }?.parameter, "\(key)")
            let gradient = try #require(gradients[parameter.tensor], "\(key) has no gradient")
            #expect(gradient.values.contains { $0 != 0 }, "\(key) gradient is all zero")
        }
        var bad = try SafeTensorsFile(url: T5Fixtures.folder(name).appendingPathComponent("value_head.safetensors"))
            .tensors()
        bad["v_head.summary.bias"] = nil
        #expect(throws: ModelError.missingTensor(source: "test", key: "v_head.summary.bias")) {
            try T5WithValueHead(model: T5Fixtures.model(name), tensors: bad, source: "test")
        }
    }

    @Test(arguments: T5Fixtures.modelsWithBin)
    func pytorchBinFolderLoadsTheSameModel(name: String) throws {
        // A folder with only config.json and pytorch_model.bin (torch.save of the full state dict,
        // tied copies included) loads the same weights and gives transformers' outputs.
        let source = try T5Fixtures.folder(name)
        let folder = try TemporaryFolder().url
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["config.json", "pytorch_model.bin"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let fromBin = try T5ForConditionalGeneration.load(folder: folder)
        let fromSafetensors = try T5Fixtures.model(name)
        let binState = fromBin.stateDict()
        let safeState = fromSafetensors.stateDict()
        #expect(Set(binState.keys) == Set(safeState.keys))
        for (key, value) in safeState { #expect(binState[key]?.values == value.values, "\(name): \(key)") }
        let f = try T5Fixtures.reference(name).forward
        let output = try Tensor.withNoGrad {
            try fromBin(inputIDs: f.input_ids, attentionMask: f.attention_mask, labels: f.labels)
        }
        #expect(try TestSupport.maxAbsDifference(output.logits.values, f.logits) <= Self.tolerance)
        #expect(Swift.abs((output.loss?.item ?? .nan) - f.loss) <= Self.tolerance)
    }

    @Test(arguments: T5Fixtures.modelNames)
    func stateDictHasTheSafetensorsKeys(name: String) throws {
        let folder = try T5Fixtures.folder(name)
        let stored = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors")).tensors()
        let model = try T5Fixtures.model(name)
        let state = model.stateDict()
        #expect(Set(state.keys) == Set(stored.keys), "\(name): parameter names differ from save_pretrained's keys")
        for (key, value) in stored {
            #expect(state[key]?.values == value.values, "\(name): \(key) did not load verbatim")
        }
    }
}
