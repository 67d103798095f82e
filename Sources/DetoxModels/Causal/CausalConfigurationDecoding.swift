import Foundation

/// What the decoder-only families' configurations share: reading `config.json` with errors that name
/// the file and key, token ids given as one id or a list, and the range checks of `validate`.
enum CausalConfigurationDecoding {
    /// `*_token_id` may be one id, a list (its first id is used) or `null`.
    static func tokenID<Key: CodingKey>(_ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> Int? {
        if let single = try? c.decodeIfPresent(Int.self, forKey: key) { return single }
        return try c.decodeIfPresent([Int].self, forKey: key)?.first
    }

    /// Decodes `url` as `type`, turning decoding failures into
    /// ``ModelError/invalidConfiguration(file:key:reason:)`` naming the file and key.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let file = url.path
        guard FileManager.default.fileExists(atPath: file) else {
            throw ModelError.missingFile(folder: url.deletingLastPathComponent().path, name: url.lastPathComponent)
        }
        let data = try Data(contentsOf: url)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as ModelError {
            if case .invalidConfiguration(_, let key, let reason) = error {
                throw ModelError.invalidConfiguration(file: file, key: key, reason: reason)
            }
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ModelError.invalidConfiguration(
                file: file, key: key.isEmpty ? "(root)" : key, reason: context.debugDescription)
        } catch {
            throw ModelError.invalidConfiguration(file: file, key: "(root)", reason: "not a JSON object: \(error)")
        }
    }

    /// Range checks that throw ``ModelError/invalidConfiguration(file:key:reason:)``.
    struct Checker {
        let file: String

        func positive(_ value: Int, _ key: String) throws {
            guard value > 0 else {
                throw ModelError.invalidConfiguration(file: file, key: key, reason: "must be positive, got \(value)")
            }
        }

        func probability(_ value: Float, _ key: String) throws {
            guard value >= 0 && value < 1 else {
                throw ModelError.invalidConfiguration(file: file, key: key, reason: "must be in [0, 1), got \(value)")
            }
        }

        func epsilon(_ value: Float, _ key: String) throws {
            guard value >= 0 && value.isFinite else {
                throw ModelError.invalidConfiguration(
                    file: file, key: key, reason: "must be a non-negative number, got \(value)")
            }
        }

        func tokenID(_ value: Int, _ key: String, vocabularySize: Int) throws {
            guard value >= 0 && value < vocabularySize else {
                throw ModelError.invalidConfiguration(
                    file: file, key: key, reason: "\(value) is outside the vocabulary 0..<\(vocabularySize)")
            }
        }
    }
}
