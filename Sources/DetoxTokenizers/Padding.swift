/// How `Tokenizer.encodeBatch` pads its encodings.
public struct Padding: Sendable, Equatable {
    public enum Strategy: Sendable, Equatable {
        /// No padding.
        case none
        /// To the longest encoding of the batch (`padding=True` in transformers).
        case longest
        /// To a fixed length (`padding="max_length"`); longer encodings are left as they are.
        case fixed(Int)
    }

    public enum Side: Sendable, Equatable {
        case right, left
    }

    public var strategy: Strategy
    public var side: Side
    /// Rounds the target length up to a multiple of this, when set.
    public var multipleOf: Int?

    public init(_ strategy: Strategy, side: Side = .right, multipleOf: Int? = nil) {
        self.strategy = strategy
        self.side = side
        self.multipleOf = multipleOf
    }

    public static let none = Padding(.none)
    public static let longest = Padding(.longest)
}
