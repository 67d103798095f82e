import DetoxTokenizers
import Foundation

/// A prompt and the text a model should answer it with: one supervised example, whatever the
/// model family.
public struct PromptCompletion: Sendable, Equatable {
    public var prompt: String
    public var completion: String

    public init(prompt: String, completion: String) {
        self.prompt = prompt
        self.completion = completion
    }

    /// The fields of a prompt/completion file (JSON Lines, CSV) and their default names.
    public struct Fields: Sendable, Equatable, Codable {
        public var prompt = "prompt"
        public var completion = "completion"

        public init(prompt: String = "prompt", completion: String = "completion") {
            self.prompt = prompt
            self.completion = completion
        }

        /// The fields named by whichever of `prompt` and `completion` is given (the other keeps its
        /// default); `nil` when neither is (a flag or recipe key that was not set).
        public init?(naming prompt: String?, _ completion: String?) {
            guard prompt != nil || completion != nil else { return nil }
            self.init()
            self.prompt = prompt ?? self.prompt
            self.completion = completion ?? self.completion
        }
    }

    /// Reads the examples of a JSON Lines or CSV file (``TextTable``: dotted names reach into nested
    /// objects).
    /// - Throws: ``DatasetError`` naming the file, line and field.
    public static func load(
        _ url: URL, fields: Fields = Fields(), malformedRows: DialogueDataset.MalformedRowPolicy = .fail
    ) throws -> (examples: [PromptCompletion], skipped: [DatasetError]) {
        let table = try TextTable.load(
            url, fields: [TextTable.Field(fields.prompt), TextTable.Field(fields.completion)],
            malformedRows: malformedRows)
        let examples = table.rows.map { PromptCompletion(prompt: $0.values[0] ?? "", completion: $0.values[1] ?? "") }
        return (examples, table.skipped)
    }

    /// The example as unpadded token rows, as a supervised trainer feeds them to a model: the prompt
    /// as the tokenizer encodes a text (its special tokens included, `tokenizer(prompt)`), truncated
    /// to `maxPromptLength` tokens; the completion's own tokens, truncated to `maxCompletionLength − 1`,
    /// then `eos`. (For T5 that is exactly `tokenizer(summary)`, whose only special token is the
    /// closing `</s>`; for a decoder-only model it is the completion followed by EOS, so the model
    /// learns to stop.)
    public func tokens(tokenizer: Tokenizer, eos: Int, maxPromptLength: Int, maxCompletionLength: Int) -> (
        prompt: [Int], completion: [Int]
    ) {
        let prompt = tokenizer.encode(prompt, pair: nil, truncation: Truncation(maxLength: maxPromptLength)).ids
        let completion = tokenizer.encode(
            completion, pair: nil, addSpecialTokens: false,
            truncation: Truncation(maxLength: Swift.max(maxCompletionLength - 1, 0))
        ).ids
        return (prompt, completion + [eos])
    }
}

extension DialogueDataset {
    /// Each dialogue rendered by `template` as the prompt, its summary as the completion.
    public func examples(template: PromptTemplate) -> [PromptCompletion] {
        records.map { PromptCompletion(prompt: template.render($0), completion: $0.summary) }
    }
}
