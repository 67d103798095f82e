// MARK: - Inflate

/// A raw DEFLATE (RFC 1951) decoder for the deflated entries of zip archives.
///
/// Stored, fixed-Huffman and dynamic-Huffman blocks are decoded with canonical Huffman codes
/// (checks after zlib's `contrib/puff`) looked up in one table per code, indexed by the next
/// 15 or fewer input bits. PyTorch writes its archives uncompressed, so only re-packed
/// checkpoints come through here. Every malformed stream ends in ``InflateError``; output is
/// capped at `expectedCount` bytes so a hostile stream cannot grow without bound.
enum Inflate {
    /// Why a stream could not be decoded.
    struct InflateError: Error, Equatable, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    /// Decodes the raw DEFLATE stream `input` (no zlib or gzip wrapper), which must produce
    /// exactly `expectedCount` bytes.
    static func decompress(_ input: UnsafeRawBufferPointer, expectedCount: Int) throws -> [UInt8] {
        guard expectedCount >= 0 else { throw InflateError(reason: "negative expected size") }
        var produced = 0
        var failure: Error?
        let output = [UInt8](unsafeUninitializedCapacity: expectedCount) { buffer, count in
            var state = State(input: input, output: buffer)
            do {
                try state.run()
            } catch {
                failure = error
            }
            // Bytes past `written` were never produced; zero them so the array is initialized.
            for i in state.written..<buffer.count { buffer[i] = 0 }
            produced = state.written
            count = buffer.count
        }
        if let failure { throw failure }
        guard produced == expectedCount else {
            throw InflateError(reason: "stream produced \(produced) bytes, the directory says \(expectedCount)")
        }
        return output
    }

    // MARK: Tables (RFC 1951 §3.2.5)

    private static let lengthBase: [Int] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    private static let lengthExtra: [Int] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    private static let distanceBase: [Int] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtra: [Int] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    /// The order in which code-length code lengths are sent (§3.2.7).
    private static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    // MARK: Huffman codes

    /// A canonical Huffman code as a lookup table indexed by the next `maxLength` input bits
    /// (codes are packed starting from their most significant bit, so each is stored
    /// bit-reversed and repeated for every value of the bits after it).
    private struct Huffman {
        /// `symbol << 4 | length` per index; 0 where no code matches (an incomplete code).
        var table: [UInt32]
        var maxLength: Int
        /// More codes of some length than the lengths allow: not a valid code.
        var isOversubscribed: Bool

        /// The code for `lengths`, or an error when they are over-subscribed.
        static func checked(_ lengths: ArraySlice<Int>) throws -> Huffman {
            let code = Huffman(lengths: lengths)
            guard !code.isOversubscribed else { throw InflateError(reason: "over-subscribed Huffman code lengths") }
            return code
        }

        /// Builds the code from per-symbol lengths (0 = unused). Incomplete sets are allowed (a
        /// single distance code is legal) and fail on use; over-subscribed ones are flagged.
        init(lengths: ArraySlice<Int>) {
            var counts = [Int](repeating: 0, count: 16)
            for length in lengths { counts[length] += 1 }
            counts[0] = 0
            var left = 1
            isOversubscribed = false
            for length in 1..<16 {
                left <<= 1
                left -= counts[length]
                if left < 0 { isOversubscribed = true }
            }
            maxLength = Swift.max(1, (1..<16).last { counts[$0] > 0 } ?? 1)
            var next = [Int](repeating: 0, count: 16)
            var code = 0
            for length in 1..<16 {
                code = (code + counts[length - 1]) << 1
                next[length] = code
            }
            table = [UInt32](repeating: 0, count: 1 << maxLength)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                let code = next[length]
                next[length] += 1
                var reversed = 0
                for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                let entry = UInt32(symbol << 4 | length)
                var index = reversed
                while index < table.count {
                    table[index] = entry
                    index += 1 << length
                }
            }
        }
    }

    private static let fixedLiteralCode: Huffman = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        return Huffman(lengths: lengths[...])
    }()
    private static let fixedDistanceCode = Huffman(lengths: [Int](repeating: 5, count: 30)[...])

    // MARK: Decoder state

    private struct State {
        let input: UnsafeRawBufferPointer
        let output: UnsafeMutableBufferPointer<UInt8>
        var written = 0
        var position = 0
        var bitBuffer: UInt64 = 0
        var bitCount = 0

        init(input: UnsafeRawBufferPointer, output: UnsafeMutableBufferPointer<UInt8>) {
            self.input = input
            self.output = output
        }

        /// Tops the bit buffer up to at least 57 bits, or to the end of the input.
        @inline(__always)
        mutating func refill() {
            while bitCount <= 56, position < input.count {
                bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
                position += 1
                bitCount += 8
            }
        }

        @inline(__always)
        mutating func bits(_ need: Int) throws -> Int {
            if bitCount < need {
                refill()
                guard bitCount >= need else { throw InflateError(reason: "stream ends early") }
            }
            let value = Int(bitBuffer & ((1 << UInt64(need)) - 1))
            bitBuffer >>= UInt64(need)
            bitCount -= need
            return value
        }

        mutating func run() throws {
            var last = false
            while !last {
                last = try bits(1) == 1
                switch try bits(2) {
                case 0: try stored()
                case 1: try codes(Inflate.fixedLiteralCode, Inflate.fixedDistanceCode)
                case 2: try dynamic()
                default: throw InflateError(reason: "invalid block type 3")
                }
            }
        }

        mutating func stored() throws {
            // Drop to a byte boundary, then give back whole bytes still in the bit buffer.
            _ = try bits(bitCount % 8)
            position -= bitCount / 8
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else {
                throw InflateError(reason: "stream ends in a stored block header")
            }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == (~complement & 0xFFFF) else {
                throw InflateError(reason: "stored block length check fails")
            }
            guard position + length <= input.count else { throw InflateError(reason: "stream ends in a stored block") }
            guard written + length <= output.count else {
                throw InflateError(reason: "output exceeds the expected size")
            }
            for i in 0..<length { output[written + i] = input[position + i] }
            written += length
            position += length
        }

        @inline(__always)
        mutating func decode(_ code: Huffman) throws -> Int {
            if bitCount < code.maxLength { refill() }
            let entry = code.table[Int(bitBuffer & ((1 << UInt64(code.maxLength)) - 1))]
            let length = Int(entry & 0xF)
            guard length != 0 else { throw InflateError(reason: "invalid Huffman code") }
            guard length <= bitCount else { throw InflateError(reason: "stream ends early") }
            bitBuffer >>= UInt64(length)
            bitCount -= length
            return Int(entry >> 4)
        }

        mutating func codes(_ literals: Huffman, _ distances: Huffman) throws {
            while true {
                let symbol = try decode(literals)
                if symbol < 256 {
                    guard written < output.count else { throw InflateError(reason: "output exceeds the expected size") }
                    output[written] = UInt8(symbol)
                    written += 1
                } else if symbol == 256 {
                    return
                } else {
                    let lengthIndex = symbol - 257
                    guard lengthIndex < 29 else { throw InflateError(reason: "invalid length symbol \(symbol)") }
                    let length = Inflate.lengthBase[lengthIndex] + (try bits(Inflate.lengthExtra[lengthIndex]))
                    let distanceSymbol = try decode(distances)
                    guard distanceSymbol < 30 else {
                        throw InflateError(reason: "invalid distance symbol \(distanceSymbol)")
                    }
                    let distance =
                        Inflate.distanceBase[distanceSymbol] + (try bits(Inflate.distanceExtra[distanceSymbol]))
                    guard distance <= written else {
                        throw InflateError(reason: "distance \(distance) reaches before the start")
                    }
                    guard written + length <= output.count else {
                        throw InflateError(reason: "output exceeds the expected size")
                    }
                    // Byte by byte, front to back: an overlapping copy repeats the pattern.
                    let start = written - distance
                    for i in 0..<length { output[written + i] = output[start + i] }
                    written += length
                }
            }
        }

        mutating func dynamic() throws {
            let literalCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let lengthCodeCount = try bits(4) + 4
            guard literalCount <= 286, distanceCount <= 30 else {
                throw InflateError(reason: "too many length or distance codes")
            }
            var lengths = [Int](repeating: 0, count: 320)
            for i in 0..<lengthCodeCount { lengths[Inflate.codeLengthOrder[i]] = try bits(3) }
            let lengthCode = try Huffman.checked(lengths[0..<19])
            var index = 0
            let total = literalCount + distanceCount
            while index < total {
                var symbol = try decode(lengthCode)
                if symbol < 16 {
                    lengths[index] = symbol
                    index += 1
                    continue
                }
                var repeated = 0
                if symbol == 16 {
                    guard index > 0 else { throw InflateError(reason: "repeat with no previous length") }
                    repeated = lengths[index - 1]
                    symbol = 3 + (try bits(2))
                } else if symbol == 17 {
                    symbol = 3 + (try bits(3))
                } else {
                    symbol = 11 + (try bits(7))
                }
                guard index + symbol <= total else { throw InflateError(reason: "too many code lengths") }
                for _ in 0..<symbol {
                    lengths[index] = repeated
                    index += 1
                }
            }
            guard lengths[256] != 0 else { throw InflateError(reason: "no end-of-block code") }
            let literals = try Huffman.checked(lengths[0..<literalCount])
            let distances = try Huffman.checked(lengths[literalCount..<total])
            try codes(literals, distances)
        }
    }
}

// MARK: - CRC-32

/// The CRC-32 (IEEE 802.3, reflected, as in zip and zlib) of a byte buffer, eight bytes per
/// step ("slicing-by-8": eight 256-entry tables, one per byte position of a 64-bit word).
enum CRC32 {
    /// `tables[k * 256 + n]`: the CRC register after byte `n` followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[n] = c
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = tables[(k - 1) * 256 + n]
                tables[k * 256 + n] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32 of `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var crc: UInt32 = 0xFFFF_FFFF
        tables.withUnsafeBufferPointer { t in
            var i = 0
            while count - i >= 8 {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc =
                    t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                i += 8
            }
            while i < count {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
