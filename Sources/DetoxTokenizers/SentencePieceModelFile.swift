import Foundation

/// The fields of a SentencePiece `ModelProto` (`spiece.model`) a tokenizer needs, read with a
/// minimal protobuf decoder (varint, 64-bit, length-delimited and 32-bit wire types).
struct SentencePieceModelFile {
    enum PieceType: Int {
        case normal = 1
        case unknown = 2
        case control = 3
        case userDefined = 4
        case unused = 5
        case byte = 6
    }

    struct Piece {
        var piece = ""
        var score: Float = 0
        var type = PieceType.normal
    }

    var pieces: [Piece] = []
    var modelType = 1
    var unkID = 0
    var byteFallback = false
    var precompiledCharsMap: [UInt8] = []
    var addDummyPrefix = true
    var removeExtraWhitespaces = true

    private init() {}

    private struct Reader {
        let bytes: [UInt8]
        var index: Int
        let end: Int
        let file: String
        let path: String

        func fail(_ expected: String) -> TokenizerError {
            .malformed(
                file: file, path: "\(path) @ byte \(index)", expected: expected, actual: "truncated or invalid data")
        }

        var atEnd: Bool { index >= end }

        mutating func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard index < end, shift < 64 else { throw fail("a varint") }
                let b = bytes[index]
                index += 1
                result |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
            }
        }

        mutating func fixed32() throws -> UInt32 {
            guard index + 4 <= end else { throw fail("4 bytes") }
            let v =
                UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            index += 4
            return v
        }

        mutating func lengthDelimited() throws -> Range<Int> {
            let length = try varint()
            guard length <= UInt64(end - index) else { throw fail("a length within the message") }
            let r = index..<(index + Int(length))
            index += Int(length)
            return r
        }

        /// Reads one field header and calls `body` with (field number, wire type); skips the value
        /// when `body` returns false.
        mutating func fields(_ body: (inout Reader, Int, Int) throws -> Bool) throws {
            while !atEnd {
                let key = try varint()
                let field = Int(key >> 3)
                let wire = Int(key & 7)
                if try body(&self, field, wire) { continue }
                switch wire {
                case 0: _ = try varint()
                case 1:
                    guard index + 8 <= end else { throw fail("8 bytes") }
                    index += 8
                case 2: _ = try lengthDelimited()
                case 5: _ = try fixed32()
                default: throw fail("a known wire type (got \(wire))")
                }
            }
        }

        func sub(_ range: Range<Int>, path: String) -> Reader {
            Reader(bytes: bytes, index: range.lowerBound, end: range.upperBound, file: file, path: path)
        }
    }

    init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(file: url.lastPathComponent, reason: "\(error)")
        }
        try self.init(bytes: [UInt8](data), file: url.lastPathComponent)
    }

    init(bytes: [UInt8], file: String) throws {
        var reader = Reader(bytes: bytes, index: 0, end: bytes.count, file: file, path: "ModelProto")
        var model = SentencePieceModelFile()
        try reader.fields { r, field, wire in
            switch (field, wire) {
            case (1, 2):
                let range = try r.lengthDelimited()
                var sub = r.sub(range, path: "ModelProto.pieces[\(model.pieces.count)]")
                var piece = Piece()
                try sub.fields { p, f, w in
                    switch (f, w) {
                    case (1, 2):
                        piece.piece = String(decoding: p.bytes[try p.lengthDelimited()], as: UTF8.self)
                    case (2, 5):
                        piece.score = Float(bitPattern: try p.fixed32())
                    case (3, 0):
                        let raw = Int(try p.varint())
                        guard let t = PieceType(rawValue: raw) else { throw p.fail("a piece type 1...6 (got \(raw))") }
                        piece.type = t
                    default:
                        return false
                    }
                    return true
                }
                model.pieces.append(piece)
            case (2, 2):
                let range = try r.lengthDelimited()
                var sub = r.sub(range, path: "ModelProto.trainer_spec")
                try sub.fields { t, f, w in
                    switch (f, w) {
                    case (3, 0): model.modelType = Int(try t.varint())
                    case (35, 0): model.byteFallback = try t.varint() != 0
                    case (40, 0): model.unkID = Int(Int32(truncatingIfNeeded: try t.varint()))
                    default: return false
                    }
                    return true
                }
            case (3, 2):
                let range = try r.lengthDelimited()
                var sub = r.sub(range, path: "ModelProto.normalizer_spec")
                try sub.fields { n, f, w in
                    switch (f, w) {
                    case (2, 2): model.precompiledCharsMap = Array(n.bytes[try n.lengthDelimited()])
                    case (3, 0): model.addDummyPrefix = try n.varint() != 0
                    case (4, 0): model.removeExtraWhitespaces = try n.varint() != 0
                    default: return false
                    }
                    return true
                }
            default:
                return false
            }
            return true
        }
        self = model
    }
}
