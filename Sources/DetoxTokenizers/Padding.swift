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

    /// The token that fills the padded positions.
    public enum Filler: Sendable, Equatable {
        /// The tokenizer's pad token (`Tokenizer.padTokenID`). A tokenizer without one (GPT-2,
        /// Llama) pads with its unknown token, then its end-of-sequence token, then id 0; pass
        /// `.eos` or `.unk` to choose instead.
        case padToken
        /// The end-of-sequence token: TRL's `tokenizer.pad_token = tokenizer.eos_token`, the usual
        /// choice for GPT-2-family tokenizers, which have no pad token.
        case eos
        /// The unknown token (`tokenizer.pad_token = tokenizer.unk_token`, common for Llama).
        case unk
        /// This id.
        case id(Int)
    }

    public var strategy: Strategy
    public var side: Side
    /// Rounds the target length up to a multiple of this, when set.
    public var multipleOf: Int?
    /// The token padded positions get (default: the tokenizer's pad token or its fallback).
    public var filler: Filler

    public init(_ strategy: Strategy, side: Side = .right, multipleOf: Int? = nil, filler: Filler = .padToken) {
        self.strategy = strategy
        self.side = side
        self.multipleOf = multipleOf
        self.filler = filler
    }

    public static let none = Padding(.none)
    public static let longest = Padding(.longest)
}
