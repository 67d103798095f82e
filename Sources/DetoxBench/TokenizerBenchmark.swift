import DetoxTokenizers
import Foundation

/// Encoding speed of each tokenizer family (encoder and decoder-only fixtures) on the parity corpus
/// (560 strings), one string at a time, as `tokenizers.Tokenizer.encode` is called in `Scripts/bench/torch_bench.py`.
enum TokenizerBenchmark {
    static let families = [
        "t5", "bert_cased", "bert_uncased", "roberta", "gpt2", "llama", "llama_nonlegacy", "qwen2",
    ]

    static func run(fixtures: URL, report: Report) throws {
        let corpusData = try Data(contentsOf: fixtures.appendingPathComponent("corpus.json"))
        guard let corpus = try JSONSerialization.jsonObject(with: corpusData) as? [String] else {
            print("tokenizers: corpus.json is not a list of strings; skipped")
            return
        }
        for family in families {
            let tokenizer = try Tokenizer.load(from: fixtures.appendingPathComponent(family))
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
}
