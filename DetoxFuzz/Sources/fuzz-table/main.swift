import DetoxDatasets
import Foundation
import FuzzSupport

/// libFuzzer entry: the input is a data file, read as JSON Lines, CSV and plain text, with rows
/// that fail stopping the read and with them skipped.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTable(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let data = Data(FuzzInput.bytes(start, count))
    let fields = [TextTable.Field("dialogue", "text"), TextTable.Field("summary", required: false)]
    for format in [TextTable.Format.jsonLines, .csv] {
        for policy in [DialogueDataset.MalformedRowPolicy.fail, .skip] {
            _ = try? TextTable.parse(data, file: "data", fields: fields, format: format, malformedRows: policy)
        }
    }
    _ = try? TextTable.parse(data, file: "data.txt", fields: [TextTable.Field("text")], format: .textLines)
    _ = try? CSVReader(file: "data.csv").records(in: data)
    return 0
}
