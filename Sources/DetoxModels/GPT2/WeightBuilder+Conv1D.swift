import DetoxNN

extension WeightBuilder {
    /// A ``Conv1D`` in `slot`: weight `[in, out]` ~ `N(0, std²)` (the checkpoint's layout), bias zero.
    func conv1D<Owner>(_ slot: ModuleSlot<Owner>, inFeatures: Int, outFeatures: Int, std: Float) throws -> Conv1D {
        let scope = scoped(slot)
        return Conv1D(
            weight: try scope.tensor("weight", shape: [inFeatures, outFeatures], initialization: .normal(std: std)),
            bias: try scope.tensor("bias", shape: [outFeatures], initialization: .zeros))
    }
}
