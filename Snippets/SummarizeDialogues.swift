// Runs the summarize stage on a model folder and a dialogue file, as `detox summarize` does, and
// reads back a summary with its ROUGE scores per dialogue.
import DetoxModels
import DetoxPipeline
import Foundation

// snippet.hide
// A tiny untrained T5 and a word-level tokenizer written to a scratch folder, so that the snippet
// runs offline; a real run points at a downloaded snapshot such as google/flan-t5-base.
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("detox-snippet-\(UUID().uuidString)")
let modelFolder = scratch.appendingPathComponent("model")
let words = [
    "<pad>", "</s>", "<unk>", "summarize", ":", "#", "person1", "person2", "hello", "hi", ".", "they", "greet", "bye",
    "buy", "book",
]
let vocabulary = words.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
let special = { (id: Int, content: String) in
    #"{"id": \#(id), "content": "\#(content)", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
}
let tokenizerJSON = """
    {"version": "1.0", "truncation": null, "padding": null,
     "added_tokens": [\(special(0, "<pad>")), \(special(1, "</s>")), \(special(2, "<unk>"))],
     "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
     "pre_tokenizer": {"type": "BertPreTokenizer"},
     "post_processor": {"type": "TemplateProcessing",
       "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
       "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
       "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
     "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
     "model": {"type": "WordPiece", "unk_token": "<unk>", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
               "vocab": {\(vocabulary)}}}
    """
let configuration = try T5Configuration(
    vocabularySize: 16, modelDimension: 16, keyValueDimension: 4, feedForwardDimension: 32,
    encoderLayerCount: 1, decoderLayerCount: 1, headCount: 4, relativeAttentionBucketCount: 8,
    relativeAttentionMaxDistance: 16)
try ModelFolderWriter.write(
    configuration: configuration, module: try T5ForConditionalGeneration(configuration: configuration, seed: 3),
    to: modelFolder)
try Data(tokenizerJSON.utf8).write(to: modelFolder.appendingPathComponent("tokenizer.json"))
let dataFile = scratch.appendingPathComponent("dialogues.jsonl")
let lines = (0..<3).map { index in
    ##"{"id": "test_\##(index)", "dialogue": "#Person1#: Hello.\n#Person2#: Hi!", "summary": "They greet."}"##
}
try Data(lines.joined(separator: "\n").utf8).write(to: dataFile)
// snippet.show

// Settings hold every choice a run makes apart from its files; their defaults are the only ones
// (a recipe's section and the command's flags change fields of a `Settings()`).
var settings = SummarizeStage.Settings()
settings.limit = 2
settings.generation = .greedy(maxNewTokens: 4)

let options = SummarizeStage.Options(model: modelFolder, dataFile: dataFile, settings: settings)
for row in try SummarizeStage.run(options) {
    print(row.id, "|", row.summary, "|", row.reference, "|", row.rouge?["rouge1"] ?? 0)
}
// test_0 | hi hi hi hi | They greet. | 0.0
// test_1 | hi hi hi hi | They greet. | 0.0 (an untrained model, as the hidden setup writes it)
// snippet.hide
try FileManager.default.removeItem(at: scratch)
