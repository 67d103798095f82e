import DetoxNN

extension ModelError {
    /// Runs `build` and reports a weight builder's missing or misshapen tensor as the
    /// ``ModelError`` cases model loading has always thrown (naming the file and key).
    static func building<T>(_ build: () throws -> T) throws -> T {
        do {
            return try build()
        } catch NNError.missingTensor(let source, let key) {
            throw ModelError.missingTensor(source: source, key: key)
        } catch NNError.tensorShapeMismatch(let source, let key, let expected, let actual) {
            throw ModelError.shapeMismatch(source: source, key: key, expected: expected, actual: actual)
        }
    }
}
