import DetoxNN

// MARK: - Swappable linear slots through NN's LinearContainer (LoRA, 4-bit)

extension T5Attention: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard linearSlotNames.contains(name) else { return false }
        setLinearSlot(name, layer)
        return true
    }
}

extension T5DenseActDense: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard linearSlotNames.contains(name) else { return false }
        setLinearSlot(name, layer)
        return true
    }
}

extension T5DenseGatedActDense: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard linearSlotNames.contains(name) else { return false }
        setLinearSlot(name, layer)
        return true
    }
}

extension T5ForConditionalGeneration: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "lm_head", lmHead != nil else { return false }
        lmHead = layer
        return true
    }
}
