/// Detox: making a seq2seq model's outputs less toxic with reinforcement learning, in Swift.
///
/// This module is what the `detox` command calls; it ties the lower targets together.
public enum Detox {
    /// The library version, printed by `detox --version`.
    public static let version = "0.1.0"
}
