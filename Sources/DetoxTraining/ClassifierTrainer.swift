import DetoxDatasets
import DetoxDistributed
import DetoxModels
import DetoxNN
import DetoxOptimizers
import DetoxTensor
import DetoxTokenizers
import Foundation

/// A labeled text for classifier training.
public struct LabeledText: Sendable, Codable, Equatable {
    public var text: String
    public var label: String

    public init(text: String, label: String) {
        self.text = text
        self.label = label
    }
}

/// Fine-tunes a BERT/ELECTRA/RoBERTa sequence classifier on labeled texts (all parameters,
/// AdamW, linear decay, cross-entropy), so users can train a reward or toxicity model for their
/// own language or policy.
///
/// Under `mpirun` the ranks of ``communicator`` split every batch by rows and one allreduce per
/// step sums their row-weighted gradients into the single-process batch gradient (see
/// ``SupervisedTrainer``), so every rank takes the same optimizer step.
public final class ClassifierTrainer {
    public struct Parameters: Sendable, Codable, Equatable {
        public var learningRate = 5e-5
        public var weightDecay = 0.01
        public var epochs = 3
        public var batchSize = 16
        public var warmupSteps = 0
        public var maxLength = 128
        public var maxGradNorm: Float? = 1.0
        public var seed: UInt64 = 42
        public init() {}
    }

    public let classifier: any SequenceClassifier
    public let tokenizer: Tokenizer
    public let parameters: Parameters
    /// The ranks that share each batch (one process unless started by `mpirun`).
    public let communicator: any Communicator
    let labelIndex: [String: Int]

    public init(
        classifier: any SequenceClassifier, tokenizer: Tokenizer, parameters: Parameters,
        communicator: any Communicator = SingleProcessCommunicator()
    ) throws {
        guard parameters.batchSize > 0, parameters.epochs > 0, parameters.learningRate > 0,
            parameters.learningRate.isFinite, parameters.maxLength > 1
        else {
            throw TrainingError.invalidSetting(
                name: "classifier training", reason: "batch size, epochs, learning rate and max length must be positive"
            )
        }
        self.classifier = classifier
        self.tokenizer = tokenizer
        self.parameters = parameters
        self.communicator = communicator
        var labelIndex: [String: Int] = [:]
        for (index, label) in classifier.labels.enumerated() {
            guard labelIndex.updateValue(index, forKey: label) == nil else {
                throw TrainingError.invalidSetting(
                    name: "classifier labels", reason: "\"\(label)\" names more than one class: \(classifier.labels)")
            }
        }
        self.labelIndex = labelIndex
    }

    func batch(_ examples: ArraySlice<LabeledText>) throws -> (ClassifierBatch, [Int]) {
        let encodings = tokenizer.encodeBatch(
            examples.map(\.text), padding: .longest, truncation: Truncation(maxLength: parameters.maxLength))
        let targets = try examples.map { example -> Int in
            guard let index = labelIndex[example.label] else {
                throw TrainingError.invalidSetting(
                    name: "label", reason: "\"\(example.label)\" is not one of \(classifier.labels)")
            }
            return index
        }
        return (
            try ClassifierBatch(inputIDs: encodings.map(\.ids), attentionMask: encodings.map(\.attentionMask)), targets
        )
    }

    /// Trains on `examples`; returns the mean loss of each epoch.
    @discardableResult
    public func train(_ examples: [LabeledText], progress: (Int, Float) -> Void = { _, _ in }) throws -> [Float] {
        guard !examples.isEmpty else { throw TrainingError.invalidSetting(name: "training set", reason: "is empty") }
        let stepsPerEpoch = (examples.count + parameters.batchSize - 1) / parameters.batchSize
        let optimizer = try Adam(
            module: classifier, learningRate: parameters.learningRate, weightDecay: parameters.weightDecay,
            decoupledWeightDecay: true)
        let schedule = try LearningRateSchedule.linear(
            warmupSteps: parameters.warmupSteps, totalSteps: stepsPerEpoch * parameters.epochs)
        var generator = SeededGenerator(seed: parameters.seed)
        var epochLosses: [Float] = []
        classifier.setTraining(true)
        defer { classifier.setTraining(false) }
        for _ in 0..<parameters.epochs {
            var order = examples
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, generator.nextInt(below: i + 1)) }
            var total: Double = 0
            for start in stride(from: 0, to: order.count, by: parameters.batchSize) {
                let rows = order[start..<Swift.min(start + parameters.batchSize, order.count)]
                let share = communicator.share(of: rows.count)
                var grads = GradStore()
                var lossValue: Float = 0
                if !share.isEmpty {
                    let (batch, targets) = try self.batch(rows[(start + share.lowerBound)..<(start + share.upperBound)])
                    // Masks keyed by the rows' places in the global batch: the same for any number of ranks.
                    var loss = try DropoutRows.withGlobalRows(Array(share)) {
                        try Losses.crossEntropy(try classifier.logits(batch), targets: targets)
                    }
                    guard loss.item.isFinite else {
                        throw TrainingError.nonFinite(
                            what: "classifier loss", step: optimizer.stepCount + 1, value: loss.item)
                    }
                    // This rank's rows' weight in the batch's row-mean loss.
                    if communicator.size > 1 { loss = loss * (Float(share.count) / Float(rows.count)) }
                    grads = try loss.backward()
                    lossValue = loss.item
                }
                try communicator.alignDropoutGenerators(of: classifier, batchRows: rows.count)
                lossValue = try communicator.allreduceGradients(
                    &grads, parameters: classifier.trainableParameters().map(\.parameter), extras: [lossValue])[0]
                if let maxNorm = parameters.maxGradNorm { optimizer.clipGradientNorm(&grads, maxNorm: maxNorm) }
                optimizer.applySchedule(schedule)
                try optimizer.step(grads: grads)
                total += Double(lossValue)
                progress(optimizer.stepCount, lossValue)
            }
            epochLosses.append(Float(total / Double(stepsPerEpoch)))
        }
        return epochLosses
    }

    /// Fraction of `examples` whose arg-max label is right (under several ranks, each scores every
    /// `size`-th batch and the counts are summed).
    public func accuracy(_ examples: [LabeledText]) throws -> Double {
        classifier.setTraining(false)
        var correct: [Double] = [0]
        for (index, start) in stride(from: 0, to: examples.count, by: parameters.batchSize).enumerated()
        where index % communicator.size == communicator.rank {
            let (batch, targets) = try self.batch(
                examples[start..<Swift.min(start + parameters.batchSize, examples.count)])
            let predicted = try classifier.classify(batch).logits.argmax(axis: -1)
            correct[0] += Double(zip(predicted, targets).filter { $0 == $1 }.count)
        }
        if communicator.size > 1 { try communicator.allreduceSum(&correct) }
        return examples.isEmpty ? 0 : correct[0] / Double(examples.count)
    }
}

// MARK: - Files

extension LabeledText {
    /// Reads labeled texts from a CSV with `text` and `label` columns or JSON Lines with those keys.
    public static func load(_ url: URL) throws -> [LabeledText] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        if ["jsonl", "json"].contains(url.pathExtension.lowercased()) {
            var result: [LabeledText] = []
            for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .enumerated() where !line.isEmpty
            {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    let text = object["text"] as? String
                else {
                    throw DatasetError.malformedRecord(
                        file: url.path, line: index + 1, reason: "expected an object with a \"text\" string")
                }
                guard let label = (object["label"] as? String) ?? (object["label"] as? NSNumber)?.stringValue else {
                    throw DatasetError.missingColumn(file: url.path, column: "label", line: index + 1)
                }
                result.append(LabeledText(text: text, label: label))
            }
            return result
        }
        let rows = try CSVReader(file: url.path).records(in: data)
        guard let header = rows.first else { throw DatasetError.empty(file: url.path) }
        guard let textColumn = header.fields.firstIndex(of: "text") else {
            throw DatasetError.missingColumn(file: url.path, column: "text", line: 1)
        }
        guard let labelColumn = header.fields.firstIndex(of: "label") else {
            throw DatasetError.missingColumn(file: url.path, column: "label", line: 1)
        }
        return try rows.dropFirst().map { row in
            guard row.fields.count == header.fields.count else {
                throw DatasetError.raggedRow(
                    file: url.path, line: row.line, expected: header.fields.count, actual: row.fields.count)
            }
            return LabeledText(text: row.fields[textColumn], label: row.fields[labelColumn])
        }
    }
}
