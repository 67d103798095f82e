/// A ROUGE variant, named as rouge-score names them (`rouge1`, `rouge2`, `rougeL`, `rougeLsum`).
public enum RougeType: Hashable, Sendable, CustomStringConvertible {
    /// ROUGE-N: clipped n-gram overlap, n ≥ 1 (checked when a ``RougeScorer`` is made).
    case rougeN(Int)
    /// ROUGE-L: longest common subsequence of the whole token sequences.
    case rougeL
    /// ROUGE-Lsum: summary-level union-LCS over the lines (`\n`-separated sentences) of each text.
    case rougeLsum

    /// ROUGE-1 (unigrams).
    public static let rouge1: RougeType = .rougeN(1)
    /// ROUGE-2 (bigrams).
    public static let rouge2: RougeType = .rougeN(2)

    // MARK: - Names

    /// Parses rouge-score's name: `rougeL`, `rougeLsum`, or `rouge<n>` with n ≥ 1 written in
    /// decimal digits (rouge-score itself only accepts one digit, `rouge[0-9]$`).
    public init(name: String) throws {
        switch name {
        case "rougeL": self = .rougeL
        case "rougeLsum": self = .rougeLsum
        default:
            let digits = name.dropFirst(5)
            guard name.hasPrefix("rouge"), !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }),
                let n = Int(digits)
            else {
                throw EvaluationError.invalidSetting(
                    name: "rouge type", reason: "'\(name)' is not rouge<n>, rougeL or rougeLsum")
            }
            guard n >= 1 else {
                throw EvaluationError.invalidSetting(name: "rouge type", reason: "rougen requires positive n: \(name)")
            }
            self = .rougeN(n)
        }
    }

    /// rouge-score's name of the type (`rouge1`, `rougeL`, `rougeLsum`...).
    public var name: String {
        switch self {
        case .rougeN(let n): return "rouge\(n)"
        case .rougeL: return "rougeL"
        case .rougeLsum: return "rougeLsum"
        }
    }

    public var description: String { name }
}
