// MARK: - Pickle values

/// A Python value as the restricted unpickler builds it. Nothing here can run code: globals are
/// inert markers from an allow-list, and "calling" one only builds another value.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tuple and its nesting depth (see ``RestrictedUnpickler/maximumDepth``).
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    /// A `BINPERSID` result: the persistent id, not yet checked (tensor records check it with
    /// their key known).
    case persistent(PickleValue)
    /// The arguments of a `_rebuild_tensor_v2` call.
    case tensor(PickleTensorRecord)
    /// A value a state dict may carry but that is never a tensor (a `torch.device`).
    case opaque(String)

    /// How deeply containers nest inside this value (0 for a scalar). Lists, dicts and tuples
    /// store theirs, so this walks only persistent-id and tensor-record wrappers, which are
    /// themselves bounded.
    var depth: Int {
        switch self {
        case .tuple(_, let depth): return depth
        case .list(let list): return list.depth
        case .dict(let dict): return dict.depth
        case .persistent(let inner): return inner.depth + 1
        case .tensor(let record):
            return 1
                + Swift.max(record.storage.depth, record.storageOffset.depth, record.size.depth, record.stride.depth)
        default: return 0
        }
    }

    /// A short name of the value's kind, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let global): return "global \(global.name)"
        case .persistent: return "persistent id"
        case .tensor: return "tensor"
        case .opaque(let name): return name
        }
    }
}

/// A list, shared by reference as in Python (the memo and the stack may both hold it).
final class PickleList {
    var items: [PickleValue] = []
    /// 1 + the deepest item's depth.
    var depth = 1
    /// Set once the list is placed inside another container; it may not change after that.
    var sealed = false
}

/// A dict (or `OrderedDict`), shared by reference, keeping insertion order.
final class PickleDict {
    var pairs: [(key: PickleValue, value: PickleValue)] = []
    /// 1 + the deepest key's or value's depth.
    var depth = 1
    /// Set once the dict is placed inside another container; it may not change after that.
    var sealed = false
}

/// The arguments of `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`,
/// as found; ``PyTorchBinFile`` checks them.
struct PickleTensorRecord {
    let storage: PickleValue
    let storageOffset: PickleValue
    let size: PickleValue
    let stride: PickleValue
}

/// The globals a state dict uses. Every other `module.name` is refused.
enum PickleGlobal {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case rebuildFromTypeV2
    /// `torch.<Kind>Storage`, with the element type it stores.
    case storage(name: String, dtype: SafeTensorsDType)
    case device
    /// `torch.Tensor` or `torch.nn.Parameter`, named as the type argument of
    /// `_rebuild_from_type_v2`.
    case tensorType(String)
    /// `_codecs.encode(text, "latin1")`: how protocol 2 spells a `bytes` value.
    case codecsEncode

    /// The storage classes and their element types (`torch/storage.py`).
    static let storageClasses: [String: SafeTensorsDType] = [
        "FloatStorage": .f32, "DoubleStorage": .f64, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// The allowed global called `module.name`, or `nil`.
    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            return .rebuildParameter
        case ("torch._tensor", "_rebuild_from_type_v2"): return .rebuildFromTypeV2
        case ("torch", "device"): return .device
        case ("_codecs", "encode"): return .codecsEncode
        case ("torch", "Tensor"), ("torch._tensor", "Tensor"), ("torch.nn.parameter", "Parameter"):
            return .tensorType("\(module).\(name)")
        case ("torch", _):
            return storageClasses[name].map { .storage(name: name, dtype: $0) }
        default:
            return nil
        }
    }

    var name: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildFromTypeV2: return "torch._tensor._rebuild_from_type_v2"
        case .storage(let name, _): return "torch.\(name)"
        case .device: return "torch.device"
        case .tensorType(let name): return name
        case .codecsEncode: return "_codecs.encode"
        }
    }
}

// MARK: - RestrictedUnpickler

/// Reads the pickle stream of a `torch.save` state dict without executing anything.
///
/// It implements the opcodes of protocols 2–5 that `torch.save` and `pickle` emit for dicts of
/// tensors (see the `switch` in ``load()``; after CPython `Lib/pickletools.py`). `GLOBAL` and
/// `STACK_GLOBAL` resolve names only from ``PickleGlobal/resolve(module:name:)``; any other name
/// is ``CheckpointError/disallowedGlobal(file:global:)`` at once, called or not. `REDUCE` and
/// `NEWOBJ` build values for the allowed callables only; `BUILD` state is dropped (it is the
/// instance dict of an `OrderedDict`, `_metadata`, or tensor state). Containers may nest at most
/// ``maximumDepth`` deep and may not change once placed in another container (so no cycles);
/// Python's pickler never needs either for a state dict. Every malformation is
/// ``CheckpointError/invalidPickle(file:offset:reason:)`` with the opcode's byte offset.
struct RestrictedUnpickler {
    let file: String
    let data: [UInt8]

    private var position = 0
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Values pushed so far (see ``maximumValues``).
    private var pushed = 0

    init(file: String, data: [UInt8]) {
        self.file = file
        self.data = data
    }

    /// Unpickles the stream up to `STOP` and returns the object.
    mutating func load() throws -> PickleValue {
        while true {
            opcodeStart = position
            let opcode = try byte()
            switch opcode {
            case 0x80: // PROTO
                let version = try byte()
                guard version <= 5 else { throw fail("unsupported pickle protocol \(version)") }
            case 0x95: // FRAME: an 8-byte length, framing only
                _ = try bytes(8)
            case 0x2E: // STOP
                let result = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw fail("STOP leaves values on the stack") }
                return result
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop()
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x32: // DUP
                try push(try top())

            // Constants.
            case 0x4E: try push(.none) // NONE
            case 0x88: try push(.bool(true)) // NEWTRUE
            case 0x89: try push(.bool(false)) // NEWFALSE
            case 0x4A: // BININT
                try push(.int(Int64(Int32(bitPattern: UInt32(try littleEndian(4))))))
            case 0x4B: // BININT1
                try push(.int(Int64(try byte())))
            case 0x4D: // BININT2
                try push(.int(Int64(try littleEndian(2))))
            case 0x8A: // LONG1
                try push(.int(try long(length: Int(try byte()))))
            case 0x8B: // LONG4
                let length = try littleEndian(4)
                try push(.int(try long(length: Int(length))))
            case 0x47: // BINFLOAT: big-endian f64
                let raw = try bytes(8)
                let bits = raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                try push(.float(Double(bitPattern: bits)))

            // Strings and bytes.
            case 0x58: // BINUNICODE
                try push(.string(try text(length: Int(try littleEndian(4)))))
            case 0x8C: // SHORT_BINUNICODE
                try push(.string(try text(length: Int(try byte()))))
            case 0x8D: // BINUNICODE8
                try push(.string(try text(length: try length8())))
            case 0x54: // BINSTRING (protocol 1 str): latin-1
                try push(
                    .string(String(decoding: try bytes(Int(try littleEndian(4))).map { UInt16($0) }, as: UTF16.self)))
            case 0x55: // SHORT_BINSTRING
                try push(.string(String(decoding: try bytes(Int(try byte())).map { UInt16($0) }, as: UTF16.self)))
            case 0x42: // BINBYTES
                try push(.bytes(Array(try bytes(Int(try littleEndian(4))))))
            case 0x43: // SHORT_BINBYTES
                try push(.bytes(Array(try bytes(Int(try byte())))))
            case 0x8E: // BINBYTES8
                try push(.bytes(Array(try bytes(try length8()))))

            // Containers.
            case 0x29: try push(.tuple([], depth: 1)) // EMPTY_TUPLE
            case 0x74: try push(try tuple(try popMark())) // TUPLE
            case 0x85: // TUPLE1
                let a = try pop()
                try push(try tuple([a]))
            case 0x86: // TUPLE2
                let b = try pop()
                let a = try pop()
                try push(try tuple([a, b]))
            case 0x87: // TUPLE3
                let c = try pop()
                let b = try pop()
                let a = try pop()
                try push(try tuple([a, b, c]))
            case 0x5D: try push(.list(PickleList())) // EMPTY_LIST
            case 0x6C: // LIST
                let list = PickleList()
                try append(try popMark(), to: list)
                try push(.list(list))
            case 0x61: // APPEND
                let value = try pop()
                try append([value], to: list(top()))
            case 0x65: // APPENDS
                let values = try popMark()
                try append(values, to: list(top()))
            case 0x7D: try push(.dict(PickleDict())) // EMPTY_DICT
            case 0x64: // DICT
                let items = try popMark()
                let dict = PickleDict()
                try addPairs(items, to: dict)
                try push(.dict(dict))
            case 0x73: // SETITEM
                let value = try pop()
                let key = try pop()
                try addPairs([key, value], to: dict(top()))
            case 0x75: // SETITEMS
                let items = try popMark()
                try addPairs(items, to: dict(top()))

            // Memo.
            case 0x71: memo[Int(try byte())] = try top() // BINPUT
            case 0x72: memo[Int(try littleEndian(4))] = try top() // LONG_BINPUT
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case 0x68: try push(try memoValue(Int(try byte()))) // BINGET
            case 0x6A: try push(try memoValue(Int(try littleEndian(4)))) // LONG_BINGET

            // Globals and calls.
            case 0x63: // GLOBAL
                let module = try line()
                let name = try line()
                try push(.global(try global(module: module, name: name)))
            case 0x93: // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                try push(.global(try global(module: module, name: name)))
            case 0x52: // REDUCE
                let arguments = try pop()
                let callable = try pop()
                try push(try call(callable, arguments))
            case 0x81: // NEWOBJ
                let arguments = try pop()
                let type = try pop()
                try push(try call(type, arguments))
            case 0x62: // BUILD: the state is dropped; see the type's comment.
                _ = try pop()
                _ = try top()
            case 0x51: // BINPERSID
                let id = try pop()
                let depth = try nest(id) + 1
                guard depth <= Self.maximumDepth else { throw tooDeep() }
                try push(.persistent(id))

            default:
                throw fail(
                    "unsupported opcode 0x\(opcode < 16 ? "0" : "")\(String(opcode, radix: 16)) (\(Self.printable(opcode)))"
                )
            }
        }
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "not printable"
    }

    // MARK: Calls

    private func global(module: String, name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal.resolve(module: module, name: name) else {
            throw CheckpointError.disallowedGlobal(file: file, global: "\(module).\(name)")
        }
        return global
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else {
            throw fail("cannot call a \(callable.kind)")
        }
        guard case .tuple(let args, _) = arguments else {
            throw fail("arguments of \(global.name) are a \(arguments.kind), not a tuple")
        }
        switch global {
        case .orderedDict:
            let dict = PickleDict()
            if let first = args.first {
                // OrderedDict([(key, value), ...])
                guard args.count == 1, case .list(let list) = first else {
                    throw fail("unsupported OrderedDict arguments")
                }
                for item in list.items {
                    guard case .tuple(let pair, _) = item, pair.count == 2 else {
                        throw fail("OrderedDict item is not a pair")
                    }
                    try addPairs(pair, to: dict)
                }
            }
            return .dict(dict)
        case .rebuildTensorV2:
            guard args.count >= 4 else {
                throw fail("_rebuild_tensor_v2 takes at least 4 arguments, got \(args.count)")
            }
            return .tensor(PickleTensorRecord(storage: args[0], storageOffset: args[1], size: args[2], stride: args[3]))
        case .rebuildParameter:
            guard let data = args.first, case .tensor = data else {
                throw fail("_rebuild_parameter needs a tensor as its first argument")
            }
            return data
        case .rebuildFromTypeV2:
            // (func, new_type, args, state): the tensor is func(*args); the type and state are dropped.
            guard args.count >= 3, case .global(let function) = args[0],
                function == .rebuildTensorV2 || function == .rebuildParameter
            else {
                throw fail("_rebuild_from_type_v2 needs _rebuild_tensor_v2 or _rebuild_parameter as its function")
            }
            return try call(args[0], args[2])
        case .device:
            return .opaque("torch.device")
        case .codecsEncode:
            guard args.count == 2, case .string(let text) = args[0], case .string(let encoding) = args[1],
                encoding == "latin1" || encoding == "latin-1"
            else {
                throw fail("_codecs.encode is allowed only as (str, 'latin1'), the protocol-2 form of bytes")
            }
            var bytes: [UInt8] = []
            for unit in text.unicodeScalars {
                guard unit.value < 256 else { throw fail("_codecs.encode text is not latin-1") }
                bytes.append(UInt8(unit.value))
            }
            return .bytes(bytes)
        case .storage, .tensorType:
            throw fail("cannot call \(global.name)")
        }
    }

    // MARK: Stack

    private func fail(_ reason: String) -> CheckpointError {
        .invalidPickle(file: file, offset: opcodeStart, reason: reason)
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("stack underflow")
        }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func memoValue(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("memo entry \(index) was never stored") }
        return value
    }

    private func list(_ value: PickleValue) throws -> PickleList {
        guard case .list(let list) = value else { throw fail("APPEND to a \(value.kind)") }
        return list
    }

    private func dict(_ value: PickleValue) throws -> PickleDict {
        guard case .dict(let dict) = value else { throw fail("SETITEM on a \(value.kind)") }
        return dict
    }

    // MARK: Nesting

    /// The most values one stream may push. `torch.save` pushes about 20 per tensor of a state
    /// dict (torch 2.13, protocol 2), so this allows some 50 000 tensors, more than the
    /// `data.pkl` size ceiling admits, while a hostile stream of one-byte `EMPTY_LIST`s (about 90
    /// bytes of memory each) stops near 100 MB.
    static let maximumValues = 1 << 20

    /// Pushes `value`, counting it against ``maximumValues``.
    private mutating func push(_ value: PickleValue) throws {
        pushed += 1
        guard pushed <= Self.maximumValues else {
            throw fail("more than \(Self.maximumValues) values: too many for a state dict")
        }
        stack.append(value)
    }

    /// The deepest container nesting accepted. A state dict needs about 5 (`_metadata` holds
    /// dicts of dicts); the bound keeps a hostile stream (`TUPLE1` repeated a million times)
    /// from building a value whose release would recurse a million frames deep.
    static let maximumDepth = 100

    private func tooDeep() -> CheckpointError { fail("containers nest deeper than \(Self.maximumDepth) levels") }

    private func changedAfterNesting(_ kind: String) -> CheckpointError {
        fail("a \(kind) is changed after being placed in another container (recursive structures are not supported)")
    }

    /// Marks `value` as placed inside a container (lists and dicts may not change afterwards,
    /// which also rules out cycles) and returns its depth.
    private func nest(_ value: PickleValue) throws -> Int {
        switch value {
        case .list(let list): list.sealed = true
        case .dict(let dict): dict.sealed = true
        default: break
        }
        return value.depth
    }

    private func tuple(_ items: [PickleValue]) throws -> PickleValue {
        var depth = 1
        for item in items { depth = Swift.max(depth, try nest(item) + 1) }
        guard depth <= Self.maximumDepth else { throw tooDeep() }
        return .tuple(items, depth: depth)
    }

    private func append(_ items: [PickleValue], to list: PickleList) throws {
        var depth = list.depth
        for item in items { depth = Swift.max(depth, try nest(item) + 1) }
        guard !list.sealed else { throw changedAfterNesting("list") }
        guard depth <= Self.maximumDepth else { throw tooDeep() }
        list.items.append(contentsOf: items)
        list.depth = depth
    }

    private func addPairs(_ items: [PickleValue], to dict: PickleDict) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of items for a dict") }
        var depth = dict.depth
        for item in items { depth = Swift.max(depth, try nest(item) + 1) }
        guard !dict.sealed else { throw changedAfterNesting("dict") }
        guard depth <= Self.maximumDepth else { throw tooDeep() }
        for i in stride(from: 0, to: items.count, by: 2) { dict.pairs.append((items[i], items[i + 1])) }
        dict.depth = depth
    }

    // MARK: Reading

    private mutating func byte() throws -> UInt8 {
        guard position < data.count else { throw fail("stream ends without STOP") }
        defer { position += 1 }
        return data[position]
    }

    private mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= data.count - position else { throw fail("stream ends inside an argument") }
        defer { position += count }
        return data[position..<(position + count)]
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt64 {
        try bytes(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private mutating func length8() throws -> Int {
        let value = try littleEndian(8)
        guard let length = Int(exactly: value) else { throw fail("length \(value) is too large") }
        return length
    }

    private mutating func text(length: Int) throws -> String {
        let raw = try bytes(length)
        guard let string = String(validating: raw, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return string
    }

    /// A newline-terminated ASCII line (the arguments of `GLOBAL`).
    private mutating func line() throws -> String {
        guard let end = data[position...].firstIndex(of: 0x0A) else { throw fail("GLOBAL name has no newline") }
        let raw = data[position..<end]
        position = end + 1
        guard let string = String(validating: raw, as: UTF8.self) else { throw fail("GLOBAL name is not valid UTF-8") }
        return string
    }

    /// A little-endian two's-complement integer of `length` bytes (LONG1, LONG4), up to 64 bits.
    private mutating func long(length: Int) throws -> Int64 {
        let raw = try bytes(length)
        guard length <= 8 else {
            // Accept wider encodings only when the extra bytes are pure sign extension.
            let low = raw.prefix(8)
            let fill: UInt8 = (low.last ?? 0) & 0x80 != 0 ? 0xFF : 0
            guard raw.dropFirst(8).allSatisfy({ $0 == fill }) else { throw fail("integer wider than 64 bits") }
            return try Self.signExtend(low)
        }
        return try Self.signExtend(raw)
    }

    private static func signExtend(_ raw: ArraySlice<UInt8>) throws -> Int64 {
        guard !raw.isEmpty else { return 0 }
        var value: UInt64 = 0
        for (i, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if raw.count < 8, raw.last! & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(raw.count)) }
        return Int64(bitPattern: value)
    }
}

extension PickleGlobal: Equatable {}
