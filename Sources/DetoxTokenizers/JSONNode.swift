import Foundation

/// A JSON value read with `JSONSerialization`, remembering the file and the JSON path it came from
/// so that every accessor can throw a `TokenizerError` that names both.
struct JSONNode {
    let value: JSONValue
    let file: String
    let path: String

    // MARK: - Loading

    static func parse(_ data: Data, file: String) throws -> JSONNode {
        do {
            return JSONNode(value: try JSONParser.parse(data), file: file, path: "$")
        } catch {
            throw TokenizerError.malformed(
                file: file, path: "$", expected: "valid JSON",
                actual: "\(error.message) at byte \(error.offset)")
        }
    }

    static func load(_ url: URL) throws -> JSONNode {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.lastPathComponent, reason: "\(error)")
        }
        return try parse(data, file: url.lastPathComponent)
    }

    // MARK: - Navigation

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The member `key`, or `nil` when absent or JSON `null`.
    subscript(_ key: String) -> JSONNode? {
        guard case .object(let members) = value,
            let member = members.last(where: { $0.0.isExactly(key) })?.1
        else { return nil }
        if case .null = member { return nil }
        return JSONNode(value: member, file: file, path: "\(path).\(key)")
    }

    /// The member `key`; throws when absent.
    func required(_ key: String) throws -> JSONNode {
        guard let node = self[key] else {
            throw TokenizerError.malformed(
                file: file, path: "\(path).\(key)", expected: "a value", actual: "nothing")
        }
        return node
    }

    func array() throws -> [JSONNode] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONNode(value: $1, file: file, path: "\(path)[\($0)]") }
    }

    func object() throws -> [(String, JSONNode)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.map { ($0.0, JSONNode(value: $0.1, file: file, path: "\(path).\($0.0)")) }
    }

    func string() throws -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("a boolean") }
        return b
    }

    func int() throws -> Int {
        guard case .number(let d, _) = value, d == d.rounded(), abs(d) < 9.0e15 else {
            throw mismatch("an integer")
        }
        return Int(d)
    }

    func double() throws -> Double {
        guard case .number(let d, _) = value else { throw mismatch("a number") }
        return d
    }

    // MARK: - Typed members with defaults

    func string(_ key: String, default fallback: String) throws -> String {
        try self[key]?.string() ?? fallback
    }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        try self[key]?.bool() ?? fallback
    }

    func int(_ key: String, default fallback: Int) throws -> Int {
        try self[key]?.int() ?? fallback
    }

    /// The `"type"` member of a stage object.
    func stageType() throws -> String {
        try required("type").string()
    }

    // MARK: - Errors

    func mismatch(_ expected: String) -> TokenizerError {
        .malformed(file: file, path: path, expected: expected, actual: describe())
    }

    func unsupported(_ kind: String, _ value: String) -> TokenizerError {
        .unsupported(file: file, path: path, kind: kind, value: value)
    }

    private func describe() -> String {
        switch value {
        case .null: return "null"
        case .string(let s): return "string \"\(s.prefix(40))\""
        case .bool(let b): return "boolean \(b)"
        case .number(let d, let isInteger):
            return isInteger ? "number \(Int(exactly: d).map(String.init) ?? "\(d)")" : "number \(d)"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
