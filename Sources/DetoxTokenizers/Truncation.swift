/// How encodings are cut to a maximum length (special tokens included), as tokenizers'
/// `TruncationParams` with stride 0.
public struct Truncation: Sendable, Equatable {
    public enum Strategy: Sendable, Equatable {
        /// Remove from the longer sequence of a pair first (the default in transformers).
        case longestFirst
        case onlyFirst
        case onlySecond
    }

    public enum Direction: Sendable, Equatable {
        /// Keep the start.
        case right
        /// Keep the end.
        case left
    }

    public var maxLength: Int
    public var strategy: Strategy
    public var direction: Direction

    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.direction = direction
    }

    /// Truncates one encoding or a pair to `maxLength` tokens in total (tokenizers
    /// `utils/truncation.rs` `truncate_encodings`). A strategy that cannot fit leaves them as is.
    func apply(_ a: inout Encoding, _ b: inout Encoding?, maxLength: Int) {
        if maxLength <= 0 {
            a.truncate(to: 0, direction: direction)
            b?.truncate(to: 0, direction: direction)
            return
        }
        let total = a.count + (b?.count ?? 0)
        guard total > maxLength else { return }
        let toRemove = total - maxLength
        switch strategy {
        case .longestFirst:
            guard var second = b else {
                a.truncate(to: total - toRemove, direction: direction)
                return
            }
            var n1 = a.count
            var n2 = second.count
            var swapped = false
            if n1 > n2 {
                swapped = true
                swap(&n1, &n2)
            }
            if n1 > maxLength {
                n2 = n1
            } else {
                n2 = max(n1, maxLength - n1)
            }
            if n1 + n2 > maxLength {
                n1 = maxLength / 2
                n2 = n1 + maxLength % 2
            }
            if swapped { swap(&n1, &n2) }
            a.truncate(to: n1, direction: direction)
            second.truncate(to: n2, direction: direction)
            b = second
        case .onlyFirst:
            if a.count > toRemove { a.truncate(to: a.count - toRemove, direction: direction) }
        case .onlySecond:
            if var second = b, second.count > toRemove {
                second.truncate(to: second.count - toRemove, direction: direction)
                b = second
            }
        }
    }
}
