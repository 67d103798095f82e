import DetoxLoRA
import Yams

/// A typed view of a parsed YAML mapping that reports every problem with its key path
/// (`stages.ppo.steps: expected an integer, found "ten"`) and rejects keys it was not asked about.
struct RecipeNode {
    let file: String
    let path: String
    let node: Node
    /// Keys read so far; ``checkNoUnknownKeys()`` reports the rest.
    private var used: Set<String> = []

    init(file: String, path: String, node: Node) {
        self.file = file
        self.path = path
        self.node = node
    }

    func error(_ key: String?, _ reason: String) -> RecipeError {
        .invalid(
            file: file, keyPath: [path, key].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "."),
            reason: reason)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "\"\(s.string)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    var mapping: Node.Mapping? { node.mapping }

    func value(_ key: String) -> Node? {
        guard let mapping else { return nil }
        for (k, v) in mapping where k.string == key { return v }
        return nil
    }

    mutating func child(_ key: String) throws -> RecipeNode? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        guard v.mapping != nil else { throw error(key, "expected a mapping, found \(describe(v))") }
        return RecipeNode(file: file, path: path.isEmpty ? key : "\(path).\(key)", node: v)
    }

    mutating func string(_ key: String) throws -> String? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v else { throw error(key, "expected text, found \(describe(v))") }
        return s.string
    }

    mutating func int(_ key: String) throws -> Int? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v, let n = Int(s.string) else {
            throw error(key, "expected an integer, found \(describe(v))")
        }
        return n
    }

    mutating func double(_ key: String) throws -> Double? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        // `Double("nan")` and `Double("inf")` parse; no setting means either.
        guard case .scalar(let s) = v, let n = Double(s.string), n.isFinite else {
            throw error(key, "expected a finite number, found \(describe(v))")
        }
        return n
    }

    mutating func bool(_ key: String) throws -> Bool? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        guard case .scalar(let s) = v, let b = Bool.construct(from: s) else {
            throw error(key, "expected true or false, found \(describe(v))")
        }
        return b
    }

    mutating func strings(_ key: String) throws -> [String]? {
        used.insert(key)
        guard let v = value(key) else { return nil }
        guard let items = v.sequence else { throw error(key, "expected a list, found \(describe(v))") }
        return try items.map { item in
            guard case .scalar(let s) = item else {
                throw error(key, "expected a list of text, found \(describe(item)) in it")
            }
            return s.string
        }
    }

    mutating func ints(_ key: String) throws -> [Int]? {
        guard let items = try strings(key) else { return nil }
        return try items.map { item in
            guard let n = Int(item) else { throw error(key, "expected a list of integers, found \"\(item)\" in it") }
            return n
        }
    }

    /// Text that must be a case of `T`; `reason` describes what else was found.
    mutating func choice<T: RawRepresentable>(_ key: String, otherwise reason: (String) -> String) throws -> T?
    where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else { throw error(key, reason(text)) }
        return value
    }

    /// `[min, max]`, a range of lengths.
    mutating func closedRange(_ key: String) throws -> ClosedRange<Int>? {
        guard let bounds = try ints(key) else { return nil }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { throw error(key, "expected [min, max]") }
        return bounds[0]...bounds[1]
    }

    /// Fails on the first key of this mapping that was never read.
    func checkNoUnknownKeys() throws {
        guard let mapping else { return }
        for (k, _) in mapping where !used.contains(k.string ?? "") {
            throw error(k.string ?? "?", "unknown key")
        }
    }
}

extension RecipeNode {
    /// A `lora` mapping: rank, alpha, target modules and, where the stage trains with it, dropout.
    mutating func readAdapter(into adapter: inout LoRAConfiguration, dropout readsDropout: Bool) throws {
        adapter.rank = try int("rank") ?? adapter.rank
        adapter.alpha = Float(try double("alpha") ?? Double(adapter.alpha))
        if readsDropout { adapter.dropout = Float(try double("dropout") ?? Double(adapter.dropout)) }
        adapter.targets = try strings("targets").map { .names($0) } ?? adapter.targets
        if let (name, reason) = adapter.invalidSetting { throw error(name, reason) }
        try checkNoUnknownKeys()
    }
}

/// Errors in a recipe file.
public enum RecipeError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalid(file: String, keyPath: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .invalid(let file, let keyPath, let reason): return "\(file): \(keyPath): \(reason)"
        }
    }
}
