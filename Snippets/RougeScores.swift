// Scores a summary against its reference with ROUGE, as Google's rouge-score 0.1.2 does (the
// scorer behind `evaluate`'s "rouge").
import DetoxEvaluation

let scorer = try RougeScorer(types: [.rougeN(1), .rougeN(2), .rougeL, .rougeLsum], useStemmer: true)
let scores = scorer.score(
    target: "Person1 asks Person2 for the way to the station.",
    prediction: "Person1 asked the way to the station.")
for type in scorer.types {
    if let score = scores[type] {
        print(type, score.precision, score.recall, score.fmeasure)
    }
}
