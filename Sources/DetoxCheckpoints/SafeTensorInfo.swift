// MARK: - SafeTensorInfo

/// One tensor's entry in a safetensors header, after validation.
public struct SafeTensorInfo: Equatable, Hashable, Sendable {
    /// The tensor's name (the header key).
    public let name: String
    /// The stored element type.
    public let dtype: SafeTensorsDType
    /// The size of each dimension; `[]` is a scalar.
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the data buffer (which begins right after the
    /// header).
    public let dataOffsets: Range<Int>

    /// The number of elements: the product of ``shape`` (1 for a scalar, 0 for an empty tensor).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Creates an entry. Validation happens where entries are parsed, not here.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }
}
