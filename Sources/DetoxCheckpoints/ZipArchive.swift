// MARK: - ZipArchive

/// A read-only view of the zip container PyTorch writes (`caffe2/serialize/inline_container`),
/// over a memory-mapped file.
///
/// Reads the end-of-central-directory record (and its ZIP64 locator and record, which PyTorch
/// always writes), then the central directory, taking 64-bit sizes and offsets from the ZIP64
/// extra field where the 32-bit ones are saturated. STORED entries are handed out as slices of
/// the mapping (no copy); DEFLATE entries are inflated on request. Encrypted entries, other
/// compression methods, multi-disk archives and entries that reach outside the file are
/// ``CheckpointError/invalidArchive(file:reason:)``.
struct ZipArchive {
    /// One entry of the central directory, with the position of its data resolved.
    struct Entry {
        let name: String
        /// 0 = STORED, 8 = DEFLATE.
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        /// Absolute offset of the entry's (possibly compressed) data in the file.
        let dataOffset: Int
    }

    let path: String
    let bytes: UnsafeRawBufferPointer
    /// Entries by name.
    let entries: [String: Entry]
    /// Entry names in directory order.
    let names: [String]
    /// Whether the writer computed CRC-32s. `torch.save` after
    /// `torch.serialization.set_crc32_options(False)` records 0 for every entry; `torch.load`
    /// (whose miniz is built with `MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS`) reads such a file, so
    /// Detox does too. An archive where any non-empty entry records a non-zero CRC is checked
    /// entry by entry.
    let recordsChecksums: Bool

    /// Whether `bytes` begins with a zip local-file-header signature (`PK\x03\x04`).
    static func hasZipSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && bytes[2] == 0x03 && bytes[3] == 0x04
    }

    init(path: String, bytes: UnsafeRawBufferPointer) throws {
        self.path = path
        self.bytes = bytes
        let reader = ByteReader(bytes: bytes, path: path)

        // End of central directory: 22 bytes plus a comment of at most 65535 bytes.
        let eocdSize = 22
        guard bytes.count >= eocdSize else {
            throw CheckpointError.invalidArchive(
                file: path, reason: "file is only \(bytes.count) bytes long: truncated")
        }
        var eocd: Int?
        var candidate = bytes.count - eocdSize
        let lowest = Swift.max(0, bytes.count - eocdSize - 0xFFFF)
        while candidate >= lowest {
            if reader.u32(candidate) == 0x0605_4B50
                && candidate + eocdSize + Int(reader.u16(candidate + 20)) == bytes.count
            {
                eocd = candidate
                break
            }
            candidate -= 1
        }
        guard let eocd else {
            throw CheckpointError.invalidArchive(
                file: path, reason: "no end-of-central-directory record: the zip is truncated or damaged")
        }
        var entryCount = Int(reader.u16(eocd + 10))
        var directorySize = Int(reader.u32(eocd + 12))
        var directoryOffset = Int(reader.u32(eocd + 16))
        guard reader.u16(eocd + 4) == 0 || reader.u16(eocd + 4) == 0xFFFF else {
            throw CheckpointError.invalidArchive(file: path, reason: "multi-disk archives are not supported")
        }

        // ZIP64: a locator 20 bytes before the EOCD points at the ZIP64 end record.
        let locator = eocd - 20
        if locator >= 0, reader.u32(locator) == 0x0706_4B50 {
            let recordOffset = try reader.checkedInt(reader.u64(locator + 8), what: "ZIP64 end record offset")
            guard recordOffset >= 0, recordOffset + 56 <= locator, reader.u32(recordOffset) == 0x0606_4B50 else {
                throw CheckpointError.invalidArchive(
                    file: path, reason: "the ZIP64 locator points at no ZIP64 end record")
            }
            entryCount = try reader.checkedInt(reader.u64(recordOffset + 32), what: "entry count")
            directorySize = try reader.checkedInt(reader.u64(recordOffset + 40), what: "central directory size")
            directoryOffset = try reader.checkedInt(reader.u64(recordOffset + 48), what: "central directory offset")
        }
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw CheckpointError.invalidArchive(
                file: path,
                reason: "the central directory (\(directorySize) bytes at \(directoryOffset)) lies outside the "
                    + "\(bytes.count)-byte file: truncated")
        }

        // Central directory.
        var entries: [String: Entry] = [:]
        var names: [String] = []
        var position = directoryOffset
        let end = directoryOffset + directorySize
        for _ in 0..<entryCount {
            guard position + 46 <= end, reader.u32(position) == 0x0201_4B50 else {
                throw CheckpointError.invalidArchive(
                    file: path, reason: "bad central directory entry at byte \(position)")
            }
            let flags = reader.u16(position + 8)
            let method = reader.u16(position + 10)
            let crc = reader.u32(position + 16)
            var compressed = UInt64(reader.u32(position + 20))
            var uncompressed = UInt64(reader.u32(position + 24))
            let nameLength = Int(reader.u16(position + 28))
            let extraLength = Int(reader.u16(position + 30))
            let commentLength = Int(reader.u16(position + 32))
            var localOffset = UInt64(reader.u32(position + 42))
            let nameStart = position + 46
            let extraStart = nameStart + nameLength
            let next = extraStart + extraLength + commentLength
            guard next <= end else {
                throw CheckpointError.invalidArchive(
                    file: path, reason: "central directory entry at byte \(position) overruns the directory")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<extraStart]), as: UTF8.self)

            // ZIP64 extended information (header id 1): only the saturated fields, in order.
            var extra = extraStart
            while extra + 4 <= extraStart + extraLength {
                let id = reader.u16(extra)
                let size = Int(reader.u16(extra + 2))
                let body = extra + 4
                guard body + size <= extraStart + extraLength else { break }
                if id == 0x0001 {
                    var field = body
                    func take() throws -> UInt64 {
                        guard field + 8 <= body + size else {
                            throw CheckpointError.invalidArchive(
                                file: path, reason: "short ZIP64 extra field for '\(name)'")
                        }
                        defer { field += 8 }
                        return reader.u64(field)
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                    if compressed == 0xFFFF_FFFF { compressed = try take() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try take() }
                }
                extra = body + size
            }

            guard flags & 0x0001 == 0 else {
                throw CheckpointError.invalidArchive(file: path, reason: "entry '\(name)' is encrypted")
            }
            guard method == 0 || method == 8 else {
                throw CheckpointError.invalidArchive(
                    file: path,
                    reason: "entry '\(name)' uses compression method \(method) (only stored and deflate are read)")
            }
            let compressedSize = try reader.checkedInt(compressed, what: "size of '\(name)'")
            // DEFLATE expands at most about 1032:1; a larger claim is a damaged or hostile entry.
            guard let uncompressedSize = Int(exactly: uncompressed),
                uncompressedSize <= compressedSize * 1032 + 1024 || method == 0
            else {
                throw CheckpointError.invalidArchive(
                    file: path,
                    reason: "entry '\(name)' claims \(uncompressed) bytes from \(compressedSize) compressed bytes")
            }
            let local = try reader.checkedInt(localOffset, what: "offset of '\(name)'")
            guard method != 0 || compressedSize == uncompressedSize else {
                throw CheckpointError.invalidArchive(file: path, reason: "stored entry '\(name)' has differing sizes")
            }
            guard local <= bytes.count - 30, reader.u32(local) == 0x0403_4B50 else {
                throw CheckpointError.invalidArchive(
                    file: path, reason: "entry '\(name)' has no local header at byte \(local)")
            }
            let dataOffset = local + 30 + Int(reader.u16(local + 26)) + Int(reader.u16(local + 28))
            guard dataOffset <= bytes.count, compressedSize <= bytes.count - dataOffset else {
                throw CheckpointError.invalidArchive(
                    file: path,
                    reason: "data of entry '\(name)' (\(compressedSize) bytes at \(dataOffset)) runs past the end "
                        + "of the \(bytes.count)-byte file: truncated")
            }
            guard entries[name] == nil else {
                throw CheckpointError.invalidArchive(file: path, reason: "duplicate entry '\(name)'")
            }
            entries[name] = Entry(
                name: name, method: method, crc32: crc, compressedSize: compressedSize,
                uncompressedSize: uncompressedSize, dataOffset: dataOffset)
            names.append(name)
            position = next
        }
        self.entries = entries
        self.names = names
        recordsChecksums = entries.values.contains { $0.crc32 != 0 && $0.uncompressedSize > 0 }
    }

    /// Checks the CRC-32 of `data`, the uncompressed bytes of `entry`, against the directory
    /// (unless the archive was written without CRCs, see ``recordsChecksums``).
    func verifyChecksum(of entry: Entry, data: UnsafeRawBufferPointer) throws {
        guard recordsChecksums else { return }
        let computed = CRC32.checksum(data)
        guard computed == entry.crc32 else {
            throw CheckpointError.invalidArchive(
                file: path,
                reason: "entry '\(entry.name)': CRC-32 mismatch (the directory records "
                    + "\(Self.hex(entry.crc32)), the data gives \(Self.hex(computed))): the file is damaged")
        }
    }

    /// Checks the CRC-32 of a STORED entry's bytes in place (no copy).
    func verifyStored(_ entry: Entry) throws {
        try verifyChecksum(of: entry, data: rawData(entry))
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The stored (still compressed, for DEFLATE) bytes of `entry`, as a slice of the mapping.
    func rawData(_ entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
    }

    /// The uncompressed bytes of a DEFLATE entry, checked against its size and CRC-32. Output
    /// never grows past the size the directory declares (a longer stream is an error), and
    /// that size is refused up front when it exceeds `limit`.
    func inflate(_ entry: Entry, limit: Int = .max) throws -> [UInt8] {
        try checkSize(entry, limit: limit)
        let output: [UInt8]
        do {
            output = try Inflate.decompress(rawData(entry), expectedCount: entry.uncompressedSize)
        } catch let error as Inflate.InflateError {
            throw CheckpointError.invalidArchive(
                file: path, reason: "entry '\(entry.name)': bad deflate data: \(error.reason)")
        }
        try output.withUnsafeBytes { try verifyChecksum(of: entry, data: $0) }
        return output
    }

    /// The uncompressed bytes of any entry, copied (for small entries such as `data.pkl`), at
    /// most `limit` bytes; the CRC-32 is checked.
    func contents(_ entry: Entry, limit: Int) throws -> [UInt8] {
        if entry.method == 8 { return try inflate(entry, limit: limit) }
        try checkSize(entry, limit: limit)
        try verifyStored(entry)
        return Array(rawData(entry))
    }

    private func checkSize(_ entry: Entry, limit: Int) throws {
        guard entry.uncompressedSize <= limit else {
            throw CheckpointError.invalidArchive(
                file: path,
                reason: "entry '\(entry.name)' declares \(entry.uncompressedSize) bytes, more than the "
                    + "\(limit) allowed for it")
        }
    }
}

// MARK: - ByteReader

/// Unaligned little-endian loads from a byte buffer. Callers check bounds first; the loads
/// themselves return 0 past the end rather than trapping.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    func u16(_ offset: Int) -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else { return 0 }
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int) -> UInt64 {
        guard offset >= 0, offset + 8 <= bytes.count else { return 0 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    func checkedInt(_ value: UInt64, what: String) throws -> Int {
        guard let result = Int(exactly: value), result <= bytes.count else {
            throw CheckpointError.invalidArchive(
                file: path, reason: "\(what) \(value) exceeds the \(bytes.count)-byte file")
        }
        return result
    }
}
