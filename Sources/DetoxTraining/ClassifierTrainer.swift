import DetoxDatasets
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
    let labelIndex: [String: Int]

    public init(classifier: any SequenceClassifier, tokenizer: Tokenizer, parameters: Parameters) throws {
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
                let (batch, targets) = try self.batch(
                    order[start..<Swift.min(start + parameters.batchSize, order.count)])
                let loss = try Losses.crossEntropy(try classifier.logits(batch), targets: targets)
                guard loss.item.isFinite else {
                    throw TrainingError.nonFinite(
                        what: "classifier loss", step: optimizer.stepCount + 1, value: loss.item)
                }
                var grads = try loss.backward()
                if let maxNorm = parameters.maxGradNorm { optimizer.clipGradientNorm(&grads, maxNorm: maxNorm) }
                optimizer.applySchedule(schedule)
                try optimizer.step(grads: grads)
                total += Double(loss.item)
                progress(optimizer.stepCount, loss.item)
            }
            epochLosses.append(Float(total / Double(stepsPerEpoch)))
        }
        return epochLosses
    }

    /// Fraction of `examples` whose arg-max label is right.
    public func accuracy(_ examples: [LabeledText]) throws -> Double {
        classifier.setTraining(false)
        var correct = 0
        for start in stride(from: 0, to: examples.count, by: parameters.batchSize) {
            let (batch, targets) = try self.batch(
                examples[start..<Swift.min(start + parameters.batchSize, examples.count)])
            let predicted = try classifier.classify(batch).logits.argmax(axis: -1)
            correct += zip(predicted, targets).filter { $0 == $1 }.count
        }
        return examples.isEmpty ? 0 : Double(correct) / Double(examples.count)
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
