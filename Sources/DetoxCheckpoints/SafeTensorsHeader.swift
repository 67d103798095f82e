import Foundation

// MARK: - SafeTensorsHeader

/// The parsed and validated header of a safetensors file, and the encoder of new headers.
///
/// Layout (`huggingface/safetensors` README, "Format"): an 8-byte little-endian header length
/// `N`, `N` bytes of UTF-8 JSON, then the data buffer. Validation follows `Metadata::validate` in
/// `safetensors/src/tensor.rs`: entries sorted by offset must tile the data buffer exactly, with
/// no hole and no overlap, and each entry's byte count must equal its element count times the
/// dtype size.
struct SafeTensorsHeader: Sendable {
    /// The largest header length accepted (`MAX_HEADER_SIZE` in `tensor.rs`).
    static let maxHeaderBytes = 100_000_000
    /// The header key that holds the string-to-string metadata.
    static let metadataKey = "__metadata__"

    /// `N`: the byte length of the JSON header, padding included.
    let headerBytes: Int
    /// The tensors by name.
    let entries: [String: SafeTensorInfo]
    /// The `__metadata__` map (empty when absent).
    let metadata: [String: String]

    /// Where the data buffer begins in the file.
    var dataStart: Int { 8 + headerBytes }
}

// MARK: - Parsing

extension SafeTensorsHeader {
    /// Parses and validates the header of the file whose complete bytes are `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws -> SafeTensorsHeader {
        guard bytes.count >= 8 else {
            throw CheckpointError.truncated(file: file, tensor: nil, expectedBytes: 8, actualBytes: bytes.count)
        }
        var length: UInt64 = 0
        for index in (0..<8).reversed() { length = length << 8 | UInt64(bytes[index]) }
        guard length <= UInt64(maxHeaderBytes) else {
            throw CheckpointError.headerTooLarge(file: file, headerBytes: length, limit: maxHeaderBytes)
        }
        let headerBytes = Int(length)
        guard 8 + headerBytes <= bytes.count else {
            throw CheckpointError.truncated(
                file: file, tensor: nil, expectedBytes: 8 + headerBytes, actualBytes: bytes.count)
        }

        let json = try parseJSONObject(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerBytes)]), file: file)
        var metadata: [String: String] = [:]
        var entries: [String: SafeTensorInfo] = [:]
        for key in json.keys.sorted(by: byteOrder) {
            guard let value = json[key] else { continue }
            if key == metadataKey {
                metadata = try parseMetadata(value, file: file)
            } else {
                entries[key] = try parseEntry(name: key, value, file: file)
            }
        }
        try validateLayout(
            Array(entries.values), bufferBytes: bytes.count - 8 - headerBytes, headerBytes: headerBytes,
            fileBytes: bytes.count, file: file)
        return SafeTensorsHeader(headerBytes: headerBytes, entries: entries, metadata: metadata)
    }

    /// Decodes the header text as a JSON object. Leading JSON whitespace (padding some writers put
    /// before the data) is allowed; the first other byte must be `{`.
    private static func parseJSONObject(_ text: UnsafeRawBufferPointer, file: String) throws -> [String: Any] {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = text.first(where: { !whitespace.contains($0) }) else {
            throw CheckpointError.invalidHeader(file: file, reason: "header is empty")
        }
        guard first == UInt8(ascii: "{") else {
            throw CheckpointError.invalidHeader(file: file, reason: "header does not start with '{'")
        }
        guard String(validating: text, as: UTF8.self) != nil else {
            throw CheckpointError.invalidHeader(file: file, reason: "header is not valid UTF-8")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text), options: [])
        } catch {
            throw CheckpointError.invalidHeader(file: file, reason: "header is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw CheckpointError.invalidHeader(file: file, reason: "header is not a JSON object")
        }
        return dictionary
    }

    /// `__metadata__`: a string-to-string object, or `null`.
    private static func parseMetadata(_ value: Any, file: String) throws -> [String: String] {
        if value is NSNull { return [:] }
        guard let object = value as? [String: Any] else {
            throw CheckpointError.invalidValue(
                file: file, key: metadataKey, reason: "must be an object mapping strings to strings")
        }
        var metadata: [String: String] = [:]
        for (key, item) in object {
            guard let text = item as? String else {
                throw CheckpointError.invalidValue(
                    file: file, key: "\(metadataKey).\(key)",
                    reason: "metadata values must be strings, found \(jsonKind(item))")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// One tensor entry: `{"dtype": ..., "shape": [...], "data_offsets": [begin, end]}`.
    private static func parseEntry(name: String, _ value: Any, file: String) throws -> SafeTensorInfo {
        func invalid(_ reason: String) -> CheckpointError {
            .invalidEntry(file: file, tensor: name, reason: reason)
        }
        guard let object = value as? [String: Any] else {
            throw invalid("entry must be a JSON object, found \(jsonKind(value))")
        }
        guard let dtypeValue = object["dtype"] else { throw invalid("missing 'dtype'") }
        guard let dtypeName = dtypeValue as? String else {
            throw invalid("'dtype' must be a string, found \(jsonKind(dtypeValue))")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }
        guard let shapeValue = object["shape"] else { throw invalid("missing 'shape'") }
        let shapeItems = shapeValue as? [Any]
        let shape = shapeItems?.compactMap(strictNonNegativeInteger) ?? []
        guard let shapeItems, shape.count == shapeItems.count else {
            throw invalid("'shape' must be a list of non-negative integers")
        }
        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("element count of shape \(shape) overflows") }
            elementCount = product
        }
        guard let offsetsValue = object["data_offsets"] else { throw invalid("missing 'data_offsets'") }
        guard let offsetItems = offsetsValue as? [Any], offsetItems.count == 2,
            let begin = strictNonNegativeInteger(offsetItems[0]),
            let end = strictNonNegativeInteger(offsetItems[1])
        else {
            throw invalid("'data_offsets' must be two non-negative integers [begin, end]")
        }
        guard begin <= end else { throw invalid("data_offsets [\(begin), \(end)] end before they begin") }
        guard let byteCount = dtype.byteCount(elementCount: elementCount) else {
            throw invalid("\(elementCount) elements of \(dtype.rawValue) are not a whole number of bytes")
        }
        guard end - begin == byteCount else {
            throw CheckpointError.byteLengthMismatch(
                file: file, tensor: name, expectedBytes: byteCount, actualBytes: end - begin)
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Checks that the entries, sorted by offset, tile the data buffer exactly.
    ///
    /// A hole or an overlap means a corrupt header. When the entries tile consistently but reach
    /// past the end of the buffer, the header is self-consistent and the file was cut short: that
    /// is reported as truncation, naming the first tensor whose bytes are missing.
    private static func validateLayout(
        _ entries: [SafeTensorInfo], bufferBytes: Int, headerBytes: Int, fileBytes: Int, file: String
    ) throws {
        let ordered = entries.sorted { a, b in
            let (rangeA, rangeB) = (a.dataOffsets, b.dataOffsets)
            if rangeA != rangeB {
                return (rangeA.lowerBound, rangeA.upperBound) < (rangeB.lowerBound, rangeB.upperBound)
            }
            return byteOrder(a.name, b.name)
        }
        var covered = 0
        var previous: String?
        for entry in ordered {
            let range = entry.dataOffsets
            let offsets = "data_offsets [\(range.lowerBound), \(range.upperBound)]"
            if range.lowerBound < covered {
                throw CheckpointError.invalidEntry(
                    file: file, tensor: entry.name,
                    reason: "\(offsets) overlap tensor '\(previous ?? "")', which ends at \(covered)")
            }
            if range.lowerBound > covered {
                throw CheckpointError.invalidEntry(
                    file: file, tensor: entry.name,
                    reason: "\(offsets) leave a hole: bytes [\(covered), \(range.lowerBound)) belong to no tensor")
            }
            covered = range.upperBound
            previous = entry.name
        }
        if covered > bufferBytes {
            let first = ordered.first { $0.dataOffsets.upperBound > bufferBytes }
            throw CheckpointError.truncated(
                file: file, tensor: first?.name, expectedBytes: 8 + headerBytes + covered, actualBytes: fileBytes)
        }
        if covered < bufferBytes {
            throw CheckpointError.invalidHeader(
                file: file,
                reason: "the data buffer has \(bufferBytes) bytes but the tensors cover only \(covered)")
        }
    }

    // MARK: JSON values

    /// The value as an `Int` when it is a JSON integer ≥ 0 that fits; `nil` for floats (`2.0`),
    /// booleans, strings and anything else.
    ///
    /// `JSONSerialization` returns every number as an `NSNumber`; its `objCType` tells integers
    /// (`i`, `q`, `Q`, …) from doubles (`d`) and booleans (`c`).
    static func strictNonNegativeInteger(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        switch String(cString: number.objCType) {
        case "i", "l", "q", "s":
            let signed = number.int64Value
            return signed >= 0 ? Int(exactly: signed) : nil
        case "I", "L", "Q", "S":
            return Int(exactly: number.uint64Value)
        default:
            return nil
        }
    }

    /// A short name of a JSON value's kind, for messages.
    private static func jsonKind(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case let number as NSNumber: return String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        default: return "a \(type(of: value))"
        }
    }

    /// Orders strings by their UTF-8 bytes, as the Rust implementation does.
    static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

// MARK: - Encoding

extension SafeTensorsHeader {
    /// One tensor to describe in a new header.
    struct Slot {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let byteCount: Int
    }

    /// The JSON header for `slots` laid out contiguously in the given order, padded with spaces to
    /// a multiple of 8 bytes so that the data buffer is 8-byte aligned.
    static func encode(_ slots: [Slot], metadata: [String: String]?) -> [UInt8] {
        var parts: [String] = []
        if let metadata {
            let pairs = metadata.keys.sorted(by: byteOrder).map { key in
                "\(jsonString(key)):\(jsonString(metadata[key] ?? ""))"
            }
            parts.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for slot in slots {
            let shape = slot.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(jsonString(slot.name)):{\"dtype\":\"\(slot.dtype.rawValue)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + slot.byteCount)]}")
            offset += slot.byteCount
        }
        var bytes = Array("{\(parts.joined(separator: ","))}".utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
