// Writes a file so that readers see either the old contents or the new ones, never a part.
import DetoxFiles
import Foundation

let url = FileManager.default.temporaryDirectory.appendingPathComponent("detox-snippet-\(UUID().uuidString).txt")

// All at once:
try AtomicFileWriter.write(Array("first version\n".utf8), to: url)

// Or in pieces: the file appears under its name only when the closure returns; if it throws,
// the temporary file is removed and `url` keeps what it had.
try AtomicFileWriter.write(to: url) { writer in
    try writer.write(Array("second ".utf8))
    try writer.write(Array("version\n".utf8))
}
print(try String(contentsOf: url, encoding: .utf8)) // "second version"
// snippet.hide
try FileManager.default.removeItem(at: url)
