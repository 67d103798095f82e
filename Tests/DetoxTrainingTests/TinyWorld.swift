import DetoxDatasets
import DetoxLoRA
import DetoxModels
import DetoxNN
import DetoxTensor
import DetoxTokenizers
import Foundation

/// A tiny T5, a word-level tokenizer and a small dialogue set written here, for training tests.
enum TinyWorld {
    static let items = ["apple", "book", "coat", "lamp", "phone", "table", "ticket", "watch"]
    static let names = ["anna", "ben", "carl", "dora"]

    static func dialogues(count: Int, offset: Int = 0) -> [DialogueRecord] {
        (0..<count).map { k in
            let i = k + offset
            let item = items[i % items.count]
            let name = names[(i / items.count) % names.count]
            let price = 2 + i % 7
            return DialogueRecord(
                id: "d\(i)",
                dialogue:
                    "#Person1#: hello , i am \(name) . i want to buy a \(item) .\n#Person2#: the \(item) costs \(price) dollars .",
                summary: "\(name) buys a \(item) for \(price) dollars .")
        }
    }

    static var vocabulary: [String] {
        var words = [
            "<pad>", "</s>", "<unk>", "summarize", ":", "#", "person1", "person2", "hello", ",", "i", "am", ".",
            "want", "to", "buy", "a", "the", "costs", "dollars", "buys", "for",
        ]
        words += items + names + (2...8).map(String.init)
        return words
    }

    /// A WordPiece `tokenizer.json` over whole words with T5's special ids (pad 0, eos 1, unk 2)
    /// and `</s>` appended, as T5's post-processor does.
    static func tokenizer(extraWords: [String] = []) throws -> Tokenizer {
        let vocab = (vocabulary + extraWords).enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
        let json = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 2, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
               "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
               "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
             "model": {"type": "WordPiece", "unk_token": "<unk>", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                       "vocab": {\(vocab)}}}
            """
        return try Tokenizer(tokenizerJSONData: Data(json.utf8))
    }

    static func configuration(dropout: Float = 0.1) throws -> T5Configuration {
        try T5Configuration(
            vocabularySize: 64, modelDimension: 32, keyValueDimension: 8, feedForwardDimension: 64,
            encoderLayerCount: 2, decoderLayerCount: 2, headCount: 4, relativeAttentionBucketCount: 8,
            relativeAttentionMaxDistance: 32, dropoutRate: dropout)
    }

    /// A fresh tiny T5 with LoRA (r 4 on q and v) applied.
    static func adaptedModel(seed: UInt64 = 5) throws -> (T5ForConditionalGeneration, LoRAConfiguration) {
        let model = try T5ForConditionalGeneration(configuration: configuration(), seed: seed)
        let lora = LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.05, targets: .names(["q", "v"]))
        var generator = SeededGenerator(seed: seed &+ 1)
        try LoRA.apply(lora, to: model, generator: &generator)
        return (model, lora)
    }
}
