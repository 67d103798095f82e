// Loads a tokenizer folder (`tokenizer.json`, as transformers saves it), encodes text and decodes
// the ids back.
import DetoxTokenizers
import Foundation

// snippet.hide
// A tiny WordPiece tokenizer, written to a scratch folder so that the snippet runs offline.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("detox-snippet-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
let tokenizerJSON = """
    {"version": "1.0", "truncation": null, "padding": null,
     "added_tokens": [
       {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
       {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
     "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
     "pre_tokenizer": {"type": "BertPreTokenizer"},
     "post_processor": null,
     "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
     "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
               "vocab": {"[PAD]": 0, "[UNK]": 1, "hi": 2, "there": 3, "person": 4, "##1": 5, ",": 6}}}
    """
try Data(tokenizerJSON.utf8).write(to: folder.appendingPathComponent("tokenizer.json"))
// snippet.show

// A folder with tokenizer.json, or only the legacy files (spiece.model, vocab.txt, vocab.json
// with merges.txt), as in a model snapshot.
let tokenizer = try Tokenizer.load(from: folder)

let encoding = tokenizer.encode("Hi there, Person1")
print(encoding.tokens) // ["hi", "there", ",", "person", "##1"]
print(encoding.ids) // [2, 3, 6, 4, 5]
print(tokenizer.decode(encoding.ids, skipSpecialTokens: true)) // "hi there, person1"
// snippet.hide
try FileManager.default.removeItem(at: folder)
