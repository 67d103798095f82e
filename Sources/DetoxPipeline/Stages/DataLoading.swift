import DetoxDatasets
import Foundation

/// How the stages read their data files: malformed rows stop the run with the file and line,
/// unless the stage's settings say to skip them, in which case the log says how many were left out
/// and why the first one was.
enum DataLoading {
    /// The dialogues of `file` under `policy`.
    static func dialogues(_ file: URL, _ policy: DialogueDataset.MalformedRowPolicy, log: (String) -> Void) throws
        -> DialogueDataset
    {
        let dataset = try DialogueDataset.load(file, malformedRows: policy)
        reportSkipped(dataset.skipped, in: file, log: log)
        return dataset
    }

    /// One log line for the rows a skipping policy left out of `file` (none when none were).
    static func reportSkipped(_ skipped: [DatasetError], in file: URL, log: (String) -> Void) {
        guard let first = skipped.first else { return }
        log("skipped \(skipped.count) malformed rows of \(file.lastPathComponent); the first: \(first)")
    }
}
