/// Two arrays compared element by element have different lengths.
///
/// Thrown instead of comparing the common prefix, so a truncated or padded result fails its test
/// even where the test asserts that two outputs differ.
public struct CountMismatch: Error, CustomStringConvertible {
    public let actual: Int
    public let expected: Int

    public var description: String { "count \(actual) != expected \(expected)" }
}
