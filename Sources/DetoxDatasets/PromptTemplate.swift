/// Turns a dialogue into the text the model reads.
///
/// The template holds `{dialogue}` (and optionally `{topic}`) placeholders. The default is the
/// course lab's PPO prompt, `"\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n"`.
public struct PromptTemplate: Sendable, Equatable, Codable {
    public var text: String

    public init(_ text: String) { self.text = text }

    /// The detoxification lab's prompt (Lab 3).
    public static let summarize = PromptTemplate("\nSummarize the following conversation.\n\n{dialogue}\n\nSummary:\n")
    /// The fine-tuning lab's prompt (Lab 2).
    public static let summarizeForFineTuning = PromptTemplate(
        "Summarize the following conversation.\n\n{dialogue}\n\nSummary: ")
    /// t5-small's own task prefix (`task_specific_params.summarization.prefix`).
    public static let t5Prefix = PromptTemplate("summarize: {dialogue}")

    /// Whether the template mentions the dialogue at all.
    public var isValid: Bool { text.contains("{dialogue}") }

    public func render(_ record: DialogueRecord) -> String {
        text.replacingOccurrences(of: "{dialogue}", with: record.dialogue)
            .replacingOccurrences(of: "{topic}", with: record.topic)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Substring.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) { return index..<self.index(index, offsetBy: target.count) }
            index = self.index(after: index)
        }
        return nil
    }
}
