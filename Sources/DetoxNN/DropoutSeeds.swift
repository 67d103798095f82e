/// The seeds a ``WeightBuilder`` gives the dropout modules of a model, in build order:
/// `first`, `first + stride`, `first + 2·stride`, … (wrapping).
///
/// Each dropout draws its own mask stream, so two dropouts in one model never share masks; a
/// family keeps its own progression so that seeded training runs repeat exactly.
public struct DropoutSeeds: Sendable, Equatable {
    public let first: UInt64
    public let stride: UInt64

    public init(first: UInt64, stride: UInt64 = 1) {
        self.first = first
        self.stride = stride
    }

    /// The seed of the dropout built `index`-th (from 0).
    public func seed(at index: UInt64) -> UInt64 { first &+ index &* stride }
}
