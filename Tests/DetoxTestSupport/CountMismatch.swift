/// Two arrays compared element by element have different lengths.
///
/// Thrown instead of comparing the common prefix, so a truncated or padded result fails its test
/// even where the test asserts that two outputs differ.
public struct CountMismatch: Error, CustomStringConvertible {
    /// The length of the array under test.
    public let actual: Int
    /// The length of the reference it was compared with.
    public let expected: Int

    public var description: String { "count \(actual) != expected \(expected)" }
}
