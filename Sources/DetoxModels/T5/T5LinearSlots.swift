import DetoxNN

/// A T5 module that holds swappable linear projections under checkpoint names (`q`, `wi_0`, ...);
/// `T5+LinearContainer.swift` exposes them through NN's `LinearContainer`.
protocol T5LinearSlots: AnyObject {
    /// Local names of the slots, in declaration order.
    var linearSlotNames: [String] { get }
    func setLinearSlot(_ name: String, _ layer: any LinearLayer)
}
