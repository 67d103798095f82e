import Foundation

/// An RFC 4180 CSV reader: fields separated by commas, records by CRLF or LF, fields in double
/// quotes may contain commas, line breaks and doubled quotes (`""` is one `"`). A UTF-8 byte-order
/// mark at the start is skipped. Works on UTF-8 bytes; every record remembers the line it starts on.
public struct CSVReader: Sendable {
    /// One parsed record.
    public struct Record: Sendable, Equatable {
        /// 1-based line number of the record's first character.
        public let line: Int
        public let fields: [String]
    }

    public let file: String

    public init(file: String) { self.file = file }

    /// Parses all records. A blank line between records is skipped (as Python's `csv` module does).
    public func records(in data: Data) throws -> [Record] {
        let bytes = [UInt8](data)
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quoteLine = 1
        var fieldStarted = false

        func finishField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func finishRecord() {
            finishField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                if !fieldStarted && field.isEmpty {
                    inQuotes = true
                    quoteLine = line
                    fieldStarted = true
                } else {
                    field.append(byte) // a stray quote inside an unquoted field is kept, as Python does
                }
            case UInt8(ascii: ","):
                finishField()
            case UInt8(ascii: "\r"):
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                finishRecord()
                line += 1
                recordLine = line
            case UInt8(ascii: "\n"):
                finishRecord()
                line += 1
                recordLine = line
            default:
                field.append(byte)
                fieldStarted = true
            }
            index += 1
        }
        if inQuotes { throw DatasetError.unterminatedQuote(file: file, line: quoteLine) }
        if fieldStarted || !field.isEmpty || !fields.isEmpty { finishRecord() }
        return records
    }
}
