import DetoxCheckpoints
import DetoxFiles
import DetoxPipeline
import Foundation

/// Writes a word-level tokenizer in Hugging Face's `tokenizer.json` format (a WordPiece model whose
/// vocabulary holds whole words, split on whitespace), with the special tokens and
/// post-processor of T5, BERT/ELECTRA, RoBERTa or GPT-2, plus `tokenizer_config.json` and
/// `special_tokens_map.json`. `tokenizers.Tokenizer.from_file` and transformers read it as written.
public enum WordTokenizerFile {
    public enum Family: Sendable {
        /// `<pad>` 0, `</s>` 1, `<unk>` 2; `$A </s>`.
        case t5
        /// `[PAD]` 0, `[UNK]` 1, `[CLS]` 2, `[SEP]` 3, `[MASK]` 4; `[CLS] $A [SEP]`.
        case bert
        /// `<s>` 0, `<pad>` 1, `</s>` 2, `<unk>` 3, `<mask>` 4; `<s> $A </s>`.
        case roberta
        /// `<|endoftext|>` 0 (BOS, EOS and unknown, as GPT-2's); no special tokens added, no pad.
        case gpt2

        var specials: [String] {
            switch self {
            case .t5: return ["<pad>", "</s>", "<unk>"]
            case .bert: return ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
            case .roberta: return ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
            case .gpt2: return ["<|endoftext|>"]
            }
        }

        var unknown: String {
            switch self {
            case .t5: return "<unk>"
            case .bert: return "[UNK]"
            case .roberta: return "<unk>"
            case .gpt2: return "<|endoftext|>"
            }
        }
    }

    /// Writes the three files into `folder`; returns the vocabulary size (specials + words).
    @discardableResult
    public static func write(words: [String], family: Family, maxLength: Int, to folder: URL) throws -> Int {
        let vocabulary = family.specials + words.filter { !family.specials.contains($0) }
        func quoted(_ s: String) -> String {
            let data = try? JSONSerialization.data(withJSONObject: [s])
            return data.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) }
                ?? "\"\""
        }
        let added = family.specials.enumerated().map { id, token in
            #"{"id": \#(id), "content": \#(quoted(token)), "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
        }.joined(separator: ",\n    ")
        let postProcessor: String
        switch family {
        case .t5:
            postProcessor = #"""
                {"type": "TemplateProcessing",
                  "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                  "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                  "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}}
                """#
        case .bert:
            postProcessor = #"{"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}"#
        case .roberta:
            postProcessor =
                #"{"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": true, "add_prefix_space": false}"#
        case .gpt2:
            postProcessor = "null"
        }
        let vocab = vocabulary.enumerated().map { "\(quoted($1)): \($0)" }.joined(separator: ", ")
        let json = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                \(added)
              ],
              "normalizer": {"type": "Lowercase"},
              "pre_tokenizer": {"type": "WhitespaceSplit"},
              "post_processor": \(postProcessor),
              "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
              "model": {"type": "WordPiece", "unk_token": \(quoted(family.unknown)), "continuing_subword_prefix": "##",
                        "max_input_chars_per_word": 100, "vocab": {\(vocab)}}
            }

            """
        let specials: [String: String]
        switch family {
        case .t5: specials = ["pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"]
        case .bert:
            specials = [
                "pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                "mask_token": "[MASK]",
            ]
        case .roberta:
            specials = [
                "bos_token": "<s>", "pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>",
                "mask_token": "<mask>",
            ]
        case .gpt2:
            specials = ["bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"]
        }
        var config: [String: Any] = specials
        config["model_max_length"] = maxLength
        config["clean_up_tokenization_spaces"] = true
        switch family {
        case .t5: config["tokenizer_class"] = "T5TokenizerFast"
        case .bert: config["tokenizer_class"] = "ElectraTokenizerFast"
        case .roberta: config["tokenizer_class"] = "RobertaTokenizerFast"
        case .gpt2: config["tokenizer_class"] = "GPT2TokenizerFast"
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFileWriter.write([UInt8](json.utf8), to: folder.appendingPathComponent("tokenizer.json"))
        try AtomicFileWriter.write(
            [UInt8](try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])),
            to: folder.appendingPathComponent("tokenizer_config.json"))
        try AtomicFileWriter.write(
            [UInt8](try JSONSerialization.data(withJSONObject: specials, options: [.prettyPrinted, .sortedKeys])),
            to: folder.appendingPathComponent("special_tokens_map.json"))
        return vocabulary.count
    }
}

extension WordTokenizerFile.Family: Equatable {}
