// Reads DialogSum-style dialogues, keeps those the course lab keeps, splits them and renders the
// summarization prompt.
import DetoxDatasets
import Foundation

// snippet.hide
let url = FileManager.default.temporaryDirectory.appendingPathComponent("detox-snippet-\(UUID().uuidString).jsonl")
let lines = (0..<10).map { index in
    ##"{"id": "train_\##(index)", "dialogue": "#Person1#: Hello.\n#Person2#: Hi!", "summary": "They greet.", "topic": "greeting"}"##
}
try Data(lines.joined(separator: "\n").utf8).write(to: url)
// snippet.show
// `.csv` (DialogSum's train/validation/test files) or `.jsonl`; every character of the text is
// kept, a leading U+FEFF inside a value included.
let dataset = try DialogueDataset.load(url, malformedRows: .skip)
print(dataset.count, "dialogues,", dataset.skipped.count, "rows skipped")

let kept = dataset.filtered(dialogueLength: 1...1000)
let (train, test) = try kept.split(testFraction: 0.2)
print(train.count, test.count) // 8 2

if let first = test.records.first {
    print(PromptTemplate.summarize.render(first))
}
// snippet.hide
try FileManager.default.removeItem(at: url)
