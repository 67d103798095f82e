import Foundation

/// A bounded, thread-safe memo of a model's tokens per word, as tokenizers' BPE and Unigram keep
/// one (`utils/cache.rs`): words up to `maxWordLength` scalars are remembered until `capacity` words
/// are held, after which new words are no longer added. Copies of a model share it.
final class WordCache: @unchecked Sendable {
    /// tokenizers' `DEFAULT_CACHE_CAPACITY`.
    static let defaultCapacity = 10_000
    /// tokenizers' `MAX_LENGTH` (it counts bytes; scalars here, a bound of the same order).
    static let maxWordLength = 256

    private let capacity: Int
    private let lock = NSLock()
    private var words: [[Unicode.Scalar]: [Token]] = [:]

    init(capacity: Int = WordCache.defaultCapacity) {
        self.capacity = capacity
    }

    /// The tokens of `word`, computed by `tokenize` unless remembered.
    func tokens(of word: [Unicode.Scalar], _ tokenize: ([Unicode.Scalar]) -> [Token]) -> [Token] {
        guard capacity > 0, word.count <= Self.maxWordLength else { return tokenize(word) }
        lock.lock()
        let known = words[word]
        lock.unlock()
        if let known { return known }
        let tokens = tokenize(word)
        lock.lock()
        if words.count < capacity { words[word] = tokens }
        lock.unlock()
        return tokens
    }
}
