// How `PPOTrainer` shares a step between the ranks of a data-parallel run: the rows each rank
// passes, the allgather of the rollout, and the weighting and reduction of minibatch losses,
// statistics and gradients.

import DetoxDistributed
import DetoxNN
import DetoxTensor
import Foundation

extension PPOTrainer {
    /// Where a trainer's steps waited for the other ranks, summed over the steps this process ran.
    public struct Communication: Sendable, Equatable {
        /// Seconds in the allgathers of the rollout's per-row numbers.
        public var gatherSeconds = 0.0
        /// Seconds in the allreduces of minibatch statistics and gradients (waiting for the slower
        /// rank included).
        public var allreduceSeconds = 0.0
        /// Bytes this rank contributed to those allreduces.
        public var allreduceBytes = 0
    }

    /// This rank's share of `rows` (a minibatch): its contiguous block (``DetoxDistributed/Communicator/share(of:)``);
    /// all of them in one process.
    func ownRows(_ rows: [Int]) -> [Int] { Array(rows[communicator.share(of: rows.count)]) }

    /// The first epoch's minibatches, the chunks in which the rollout is evaluated.
    func evaluationChunks(_ permutation: [Int]) -> [[Int]] {
        let size = configuration.miniBatchSize
        return stride(from: 0, to: permutation.count, by: size).map {
            Array(permutation[$0..<Swift.min($0 + size, permutation.count)])
        }
    }

    /// Every rank's rows of `parts` on every rank, in batch row order. Each part lists `[rows, width]`
    /// tensors: this rank's share of each of `chunks`, in order. One allgather carries them all.
    func gatherRows(_ parts: [[Tensor]], chunks: [[Int]], width: Int) throws -> [Tensor] {
        let payload = Tensor.withNoGrad { parts.flatMap { $0.isEmpty ? [] : Tensor.concatenate($0, axis: 0).values } }
        let start = DispatchTime.now().uptimeNanoseconds
        let gathered = try communicator.allGather(payload)
        if communicator.size > 1 { communication.gatherSeconds += Self.seconds(since: start) }
        var evaluated: [Int] = []
        var columns = [[Float]](repeating: [], count: parts.count)
        for (rank, values) in gathered.enumerated() {
            let rows = chunks.flatMap { chunk in
                chunk[SingleProcessCommunicator.share(of: chunk.count, rank: rank, size: communicator.size)]
            }
            let length = rows.count * width
            guard values.count == length * parts.count else {
                throw TrainingError.shapeMismatch(
                    what: "the rollout rows of rank \(rank)", expected: [parts.count, rows.count, width],
                    actual: [values.count])
            }
            for part in 0..<parts.count { columns[part] += values[(part * length)..<((part + 1) * length)] }
            evaluated += rows
        }
        var position = [Int](repeating: 0, count: evaluated.count)
        for (index, row) in evaluated.enumerated() { position[row] = index }
        return Tensor.withNoGrad { columns.map { Tensor($0, shape: [evaluated.count, width]).indexSelect(position) } }
    }

    /// The weight of this rank's minibatch loss — its rows' share of the minibatch's response tokens,
    /// so the ranks' weighted masked means add up to the minibatch's — and the whole minibatch's
    /// statistics.
    ///
    /// Under several ranks the token means of every rank's share (`own`, nil for a rank without
    /// rows) are weighted and summed by one allreduce, and the variances of returns and values, which
    /// do not add up, come from the minibatch's rollout rows, which every rank holds. The minibatch is
    /// `skipped` when its mean ratio passes `ratio_threshold`; its losses then read 0, as in TRL.
    func minibatchStatistics(
        _ own: PPOLossStatistics?, rows: [Int], minibatch: [Int], rollout: Rollout,
        targets: (values: Tensor, advantages: Tensor, returns: Tensor)
    ) throws -> (weight: Float, statistics: PPOLossStatistics) {
        let tokens = Tensor.withNoGrad { rollout.mask.sum(axis: 1).values }
        let total = minibatch.reduce(Float(0)) { $0 + tokens[$1] }
        guard total > 0 else { throw TrainingError.emptyMask(what: "minibatch") }
        let weight = rows.reduce(Float(0)) { $0 + tokens[$1] } / total
        var statistics = own ?? PPOLossStatistics()
        if communicator.size > 1 {
            let keys = PPOLossStatistics.tokenMeans
            var means = keys.map { statistics[keyPath: $0] * weight }
            try allreduce(&means)
            for (key, value) in zip(keys, means) { statistics[keyPath: key] = value }
            try Tensor.withNoGrad {
                let mask = rollout.mask.indexSelect(minibatch)
                statistics.returnsVariance =
                    try PPOMath.maskedVariance(targets.returns.indexSelect(minibatch), mask).item
                statistics.valuesVariance = try PPOMath.maskedVariance(targets.values.indexSelect(minibatch), mask).item
            }
        }
        statistics.skipped = Double(statistics.ratioMean) > configuration.ratioThreshold
        if statistics.skipped {
            statistics.policyLoss *= 0
            statistics.valueLoss *= 0
            statistics.totalLoss *= 0
        }
        return (weight, statistics)
    }

    /// Sums `values` over the ranks, timing the wait.
    func allreduce(_ values: inout [Float]) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try communicator.allreduceSum(&values)
        communication.allreduceSeconds += Self.seconds(since: start)
        communication.allreduceBytes += values.count * MemoryLayout<Float>.size
    }

    /// Sums this rank's gradients of the trainable parameters with the other ranks' (one bucketed
    /// allreduce); nothing in one process.
    func reduceGradients(_ grads: inout GradStore) throws {
        guard communicator.size > 1 else { return }
        let trainable = policy.trainableParameters().map(\.parameter)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try communicator.allreduceGradients(&grads, parameters: trainable, extras: [])
        communication.allreduceSeconds += Self.seconds(since: start)
        let values = trainable.reduce(0) { $0 + $1.tensor.count } + trainable.count
        communication.allreduceBytes += values * MemoryLayout<Float>.size
    }

    static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

extension PPOLossStatistics {
    /// All zero: the statistics of a rank without rows in a minibatch, before the ranks' are summed.
    init() {
        self.init(
            policyLoss: 0, valueLoss: 0, totalLoss: 0, entropy: 0, approxKL: 0, policyKL: 0, policyClipFraction: 0,
            advantagesMean: 0, returnsMean: 0, returnsVariance: 0, valuePrediction: 0, valueError: 0,
            valueClipFraction: 0, valuesMean: 0, valuesVariance: 0, ratioMean: 0, skipped: false)
    }

    /// The statistics that are masked means over a minibatch's response tokens (all but the two
    /// variances): a share's, weighted by its share of the tokens, add up to the minibatch's.
    static var tokenMeans: [WritableKeyPath<PPOLossStatistics, Float>] {
        [
            \.policyLoss, \.valueLoss, \.totalLoss, \.entropy, \.approxKL, \.policyKL, \.policyClipFraction,
            \.advantagesMean, \.returnsMean, \.valuePrediction, \.valueError, \.valueClipFraction, \.valuesMean,
            \.ratioMean,
        ]
    }
}
