import DetoxTokenizers
import Foundation

/// Encoding speed of each tokenizer family (encoder and decoder-only fixtures) on the parity corpus
/// (560 strings), one string at a time, as `tokenizers.Tokenizer.encode` is called in `Scripts/bench/torch_bench.py`;
/// then of the realistic-size tokenizers that `Scripts/bench/make_large_tokenizers.py` trains into
/// `.build/bench-tokenizers` (the Python side of the section makes them).
enum TokenizerBenchmark {
    static let families = [
        "t5", "bert_cased", "bert_uncased", "roberta", "gpt2", "llama", "llama_nonlegacy", "qwen2",
    ]
    static let largeFamilies = ["gpt2_large", "bert_large"]

    static func run(fixtures: URL, report: Report) throws {
        let corpusData = try Data(contentsOf: fixtures.appendingPathComponent("corpus.json"))
        guard let corpus = try JSONSerialization.jsonObject(with: corpusData) as? [String] else {
            print("tokenizers: corpus.json is not a list of strings; skipped")
            return
        }
        for family in families {
            try measure(family, folder: fixtures.appendingPathComponent(family), corpus: corpus, report: report)
        }
        let large = URL(fileURLWithPath: ".build/bench-tokenizers")
        for family in largeFamilies {
            let folder = large.appendingPathComponent(family)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path) else {
                print("tokenizer \(family): not in \(large.path) (Scripts/bench/make_large_tokenizers.py makes it)")
                continue
            }
            try measure(family, folder: folder, corpus: corpus, report: report)
        }
    }

    private static func measure(_ family: String, folder: URL, corpus: [String], report: Report) throws {
        let tokenizer = try Tokenizer.load(from: folder)
        var tokens = 0
        let seconds = Clock.median(warmup: 1, repeats: 5) {
            tokens = 0
            for text in corpus { tokens += tokenizer.encode(text).ids.count }
        }
        report.print(
            Figure(
                name: "tokenizer \(family) strings/s", value: Double(corpus.count) / seconds, unit: "strings/s",
                higherIsBetter: true),
            note: "\(tokens) tokens")
    }
}
