import DetoxCheckpoints
import DetoxFiles
import Foundation

/// A JSON-lines metrics file, one object per optimizer step with a `step` field.
///
/// Opening it for a resumed run drops the lines after the resumed step (they belong to the
/// interrupted attempt), so the file always equals that of an uninterrupted run.
public final class MetricsLog {
    public let url: URL
    private let handle: FileHandle

    /// Opens (creating if needed) the log, keeping only lines whose `step` ≤ `truncateAfterStep`.
    public init(url: URL, truncateAfterStep: Int) throws {
        self.url = url
        let kept = try MetricsLog.lines(url).filter {
            ($0.object["step"] as? NSNumber)?.intValue ?? 0 <= truncateAfterStep
        }
        var data = Data()
        for line in kept {
            data.append(line.raw)
            data.append(UInt8(ascii: "\n"))
        }
        do {
            try AtomicFileWriter.write([UInt8](data), to: url)
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "cannot open the metrics log: \(error)")
        }
    }

    deinit { try? handle.close() }

    /// Appends one record as a line and flushes it.
    public func append<Record: Encodable>(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(record)
        data.append(UInt8(ascii: "\n"))
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw TrainingError.checkpoint(path: url.path, reason: "cannot append to the metrics log: \(error)")
        }
        FaultPoint.reach("metrics.appended")
    }

    static func lines(_ url: URL) throws -> [(raw: Data, object: [String: Any])] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
            return (Data(line), object)
        }
    }

    /// Decodes every line of a log as `Record` (lines that do not decode are skipped).
    public static func read<Record: Decodable>(_ url: URL, as type: Record.Type = Record.self) throws -> [Record] {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try lines(url).compactMap { try? decoder.decode(Record.self, from: $0.raw) }
    }
}
