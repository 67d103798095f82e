import DetoxNN

// MARK: - Swappable linear slots (LoRA, 4-bit)

extension BertSelfAttention: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        switch name {
        case "query": query = layer
        case "key": key = layer
        case "value": value = layer
        default: return false
        }
        return true
    }
}

extension BertSelfOutput: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "dense" else { return false }
        dense = layer
        return true
    }
}

extension BertIntermediate: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "dense" else { return false }
        dense = layer
        return true
    }
}

extension BertOutput: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "dense" else { return false }
        dense = layer
        return true
    }
}

extension BertPooler: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "dense" else { return false }
        dense = layer
        return true
    }
}

extension ClassificationHead: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        switch name {
        case "dense": dense = layer
        case "out_proj": outProj = layer
        default: return false
        }
        return true
    }
}

extension BertModel: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "embeddings_project", embeddingsProject != nil else { return false }
        embeddingsProject = layer
        return true
    }
}

extension BertForSequenceClassification: LinearContainer {
    public func replaceLinear(named name: String, with layer: any LinearLayer) -> Bool {
        guard name == "classifier" else { return false }
        classifier = layer
        return true
    }
}
