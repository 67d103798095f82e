/// One named child of a module type: its checkpoint name, written once, and the stored property
/// that holds it.
///
/// A module type lists its slots in a static table (``SlottedModule/slots``). From that table come
/// the children listing (``Module/namedChildren``), the swap of a linear layer for a LoRA or 4-bit
/// one (``Module/replaceLinearLayers(where:with:)``), and the scoping of a ``WeightBuilder``
/// (`weights.scoped(Self.q)` reads `"<prefix>.q.weight"`), so a name cannot drift between
/// loading, listing and swapping. This is MLX's `@ModuleInfo(key:)` without reflection: the key
/// path is the property, the string is the checkpoint name.
///
/// `@unchecked Sendable` is sound because a slot holds only its name and closures over key paths
/// to stored properties; such key paths are immutable and capture no subscript arguments (the
/// standard library leaves key paths non-`Sendable` only because some capture arguments). The
/// slot itself never touches a module except through the instance a caller passes in.
public struct ModuleSlot<Owner: AnyObject>: @unchecked Sendable {
    /// The checkpoint name of the child (`"q"`, `"SelfAttention"`, `"layer.1"`).
    public let name: String
    /// Reads the child; `nil` when an optional child is absent in this instance.
    let read: (Owner) -> (any Module)?
    /// Replaces a linear child; `nil` for slots that do not hold a linear layer.
    let replace: ((Owner, any LinearLayer) -> Bool)?

    /// The child named `name` in `owner`, if present.
    public func module(in owner: Owner) -> (any Module)? { read(owner) }

    // MARK: - Declaring slots

    /// A linear layer that can be swapped (for LoRA, 4-bit, ...).
    public static func linear(_ name: String, _ path: ReferenceWritableKeyPath<Owner, any LinearLayer>) -> ModuleSlot {
        ModuleSlot(
            name: name, read: { $0[keyPath: path] },
            replace: { owner, layer in
                owner[keyPath: path] = layer
                return true
            })
    }

    /// An optional linear layer (an untied `lm_head`); it can be swapped only where present.
    public static func linear(_ name: String, _ path: ReferenceWritableKeyPath<Owner, (any LinearLayer)?>)
        -> ModuleSlot
    {
        ModuleSlot(
            name: name, read: { $0[keyPath: path] },
            replace: { owner, layer in
                guard owner[keyPath: path] != nil else { return false }
                owner[keyPath: path] = layer
                return true
            })
    }

    /// A child module.
    public static func child<Child: Module>(_ name: String, _ path: KeyPath<Owner, Child>) -> ModuleSlot {
        ModuleSlot(name: name, read: { $0[keyPath: path] }, replace: nil)
    }

    /// A child present only in some instances (T5's `relative_attention_bias` in block 0, the
    /// decoder's cross-attention).
    public static func child<Child: Module>(_ name: String, _ path: KeyPath<Owner, Child?>) -> ModuleSlot {
        ModuleSlot(name: name, read: { $0[keyPath: path] }, replace: nil)
    }

    /// A child held as an existential (`any T5FeedForwardNetwork`), read by `read`.
    public static func child(_ name: String, _ read: @escaping (Owner) -> (any Module)?) -> ModuleSlot {
        ModuleSlot(name: name, read: read, replace: nil)
    }
}
