/// A module whose children are declared once, in a static table of ``ModuleSlot``s.
///
/// Conforming is all a model family's layer needs: the table gives ``Module/namedChildren`` and
/// ``LinearContainer/replaceLinear(named:with:)``, so its linear layers can be listed and swapped
/// for LoRA or 4-bit ones with no per-model code.
///
/// ```swift
/// final class Attention: SlottedModule {
///     var q: any LinearLayer
///     static let q = ModuleSlot.linear("q", \Attention.q)
///     static let slots = [q]
///     init(weights: WeightBuilder) throws {
///         q = try weights.linear(Self.q, inFeatures: 8, outFeatures: 8, bias: false, std: 0.02)
///     }
/// }
/// ```
public protocol SlottedModule: LinearContainer {
    /// The children in declaration order (the order of `namedChildren` and of checkpoints).
    static var slots: [ModuleSlot<Self>] { get }
}

extension SlottedModule {
    public var namedChildren: [(name: String, module: any Module)] {
        Self.slots.compactMap { slot in slot.read(self).map { (slot.name, $0) } }
    }

    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        for slot in Self.slots where slot.name == name {
            if let replace = slot.replace { return replace(self, layer) }
        }
        return false
    }
}
