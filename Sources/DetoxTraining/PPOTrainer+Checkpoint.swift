// Resumable PPO: what a checkpoint of `PPOTrainer` holds and how it is put back, for LoRA and
// full-model policies alike.

import DetoxCheckpoints
import DetoxLoRA
import DetoxNN
import DetoxTensor
import Foundation

extension PPOTrainer {
    /// The generator key of the minibatch shuffle in a checkpoint.
    public static let shuffleGeneratorKey = "ppo.shuffle"

    /// Writes a checkpoint of this trainer into `folder` (replacing what was there): the policy's
    /// weights as `weights` says — `.adapter` keeps the LoRA adapter and the value head (as extra
    /// tensors under `v_head.`), `.fullModel` the whole policy, value head included, as a model
    /// folder — the optimizer's moments, the counters and KL coefficient, the shuffle generator, every
    /// dropout layer's generator and the caller's `generators` (a rollout sampler, say).
    public func writeCheckpoint(
        to folder: URL, weights: CheckpointWeights, generators extra: [String: SeededGenerator] = [:]
    ) throws {
        var generators = policy.dropoutGenerators()
        generators[Self.shuffleGeneratorKey] = generator
        generators.merge(extra) { _, theirs in theirs }
        let model: any Module
        var extraTensors: [String: Tensor] = [:]
        switch weights {
        case .adapter:
            model = policy.model
            for (key, value) in policy.valueHead.stateDict() { extraTensors["v_head.\(key)"] = value }
        case .fullModel:
            model = policy
        }
        let checkpoint = TrainingCheckpoint(
            state: checkpointState, generators: generators, optimizer: optimizer.state(), extraTensors: extraTensors)
        try checkpoint.write(model: model, weights: weights, to: folder)
    }

    /// Puts back a checkpoint written by ``writeCheckpoint(to:weights:generators:)``: the policy's
    /// weights (the adapter and value head, or the whole model, whichever the folder holds), the
    /// dropout and shuffle generators, the optimizer state and the counters. Make the trainer from
    /// the model training started from (a frozen reference copies it), then resume. Returns the
    /// checkpoint, whose `generators` hold the caller's own.
    /// - Throws: ``TrainingError/checkpoint(path:reason:)`` when the folder cannot be read or does not
    ///   fit the policy (missing or extra tensors, other shapes, another optimizer).
    @discardableResult
    public func resume(from folder: URL) throws -> TrainingCheckpoint {
        let (checkpoint, source) = try TrainingCheckpoint.load(from: folder)
        let modelFile = TrainingCheckpoint.modelFolder(of: source).appendingPathComponent("model.safetensors")
        let adapterFile = TrainingCheckpoint.adapterFolder(of: source).appendingPathComponent(LoRA.weightsFileName)
        do {
            if FileManager.default.fileExists(atPath: modelFile.path) {
                try policy.load(SafeTensorsFile(url: modelFile).tensors())
            } else {
                try LoRA.loadWeights(
                    SafeTensorsFile(url: adapterFile).tensors(), file: adapterFile.path, into: policy.model)
                var head: [String: Tensor] = [:]
                for (key, value) in checkpoint.extraTensors where key.hasPrefix("v_head.") {
                    head[String(key.dropFirst("v_head.".count))] = value
                }
                try policy.valueHead.load(head)
            }
            policy.restoreDropoutGenerators(checkpoint.generators)
            try restore(
                state: checkpoint.state, generator: checkpoint.generators[Self.shuffleGeneratorKey] ?? generator,
                optimizerState: checkpoint.optimizer)
        } catch let error as TrainingError {
            throw error
        } catch {
            throw TrainingError.checkpoint(path: source.path, reason: "\(error)")
        }
        return checkpoint
    }
}
