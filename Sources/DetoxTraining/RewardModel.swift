import DetoxModels
import DetoxTensor
import DetoxTokenizers
import Foundation

/// Scores texts with a sequence classifier, as the reward of PPO.
///
/// The score of a text is the logit (default), the softmax probability, or the margin (this
/// label's logit minus the largest other logit) of one configured label — for the seed's
/// `DaNLP/da-electra-hatespeech-detection` the `not offensive` label, for
/// `facebook/roberta-hate-speech-dynabench-r4-target` `nothate`. The label is chosen by name, not
/// by rank: the course lab's pipeline call sorted labels by score and so rewarded whichever label
/// won, a bug this does not copy.
public struct RewardModel {
    public enum Output: String, Sendable, Codable {
        case logit, probability, margin
    }

    public let classifier: any SequenceClassifier
    public let tokenizer: Tokenizer
    public let labelIndex: Int
    public let output: Output
    /// Tokens kept per text (the classifier's `model_max_length`); longer texts are truncated.
    public let maxLength: Int
    public let batchSize: Int

    public init(
        classifier: any SequenceClassifier, tokenizer: Tokenizer, label: String, output: Output = .logit,
        maxLength: Int = 512, batchSize: Int = 16
    ) throws {
        let index: Int
        do {
            index = try classifier.classIndex(of: label)
        } catch ModelError.invalidInput(let reason) {
            throw TrainingError.invalidSetting(name: "reward label", reason: reason)
        }
        guard maxLength > 1, batchSize > 0 else {
            throw TrainingError.invalidSetting(
                name: "reward model", reason: "max length and batch size must be positive")
        }
        self.classifier = classifier
        self.tokenizer = tokenizer
        self.labelIndex = index
        self.output = output
        self.maxLength = maxLength
        self.batchSize = batchSize
    }

    /// One score per text, computed in batches without gradients and with dropout off.
    public func scores(_ texts: [String]) throws -> [Float] {
        classifier.setTraining(false)
        var result: [Float] = []
        result.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: batchSize) {
            let chunk = Array(texts[start..<Swift.min(start + batchSize, texts.count)])
            let encodings = tokenizer.encodeBatch(
                chunk, padding: .longest, truncation: Truncation(maxLength: maxLength))
            let batch = try ClassifierBatch(
                inputIDs: encodings.map(\.ids), attentionMask: encodings.map(\.attentionMask))
            let logits = try classifier.classify(batch).logits
            let width = logits.shape[1]
            let values = logits.values
            for row in 0..<chunk.count {
                let rowLogits = Array(values[(row * width)..<((row + 1) * width)])
                result.append(Self.score(rowLogits, label: labelIndex, output: output))
            }
        }
        return result
    }

    static func score(_ logits: [Float], label: Int, output: Output) -> Float {
        switch output {
        case .logit: return logits[label]
        case .probability:
            let m = logits.max() ?? 0
            let exps = logits.map { exp(Double($0 - m)) }
            return Float(exps[label] / exps.reduce(0, +))
        case .margin:
            let others = logits.enumerated().filter { $0.offset != label }.map(\.element)
            return logits[label] - (others.max() ?? 0)
        }
    }
}

/// TRL's `LengthSampler(min, max)`: a uniformly drawn length in `min..<max` (upper bound
/// exclusive), here from Detox's seeded generator.
public struct LengthSampler: Sendable, Codable, Equatable {
    public let range: Range<Int>

    public init(_ lower: Int, _ upper: Int) throws {
        guard lower < upper, lower > 0 else {
            throw TrainingError.invalidSetting(
                name: "length sampler", reason: "needs 0 < min < max, got \(lower)..<\(upper)")
        }
        range = lower..<upper
    }

    /// The course lab's `LengthSampler(100, 400)`, a constant that needs no check.
    public static let courseLab = LengthSampler(checked: 100..<400)
    /// TRL's toxicity example's response lengths, `LengthSampler(20, 30)`.
    public static let toxicityResponses = LengthSampler(checked: 20..<30)
    /// TRL's toxicity example's query lengths over RealToxicityPrompts, `LengthSampler(30, 40)`.
    public static let toxicityQueries = LengthSampler(checked: 30..<40)

    private init(checked range: Range<Int>) { self.range = range }

    /// Decodes `{"range": [min, max]}` with the same check as ``init(_:_:)``, so a file cannot give
    /// an empty or non-positive range.
    public init(from decoder: any Decoder) throws {
        let range = try decoder.container(keyedBy: CodingKeys.self).decode(Range<Int>.self, forKey: .range)
        try self.init(range.lowerBound, range.upperBound)
    }

    public func sample(_ generator: inout SeededGenerator) -> Int {
        range.lowerBound + generator.nextInt(below: range.count)
    }
}
