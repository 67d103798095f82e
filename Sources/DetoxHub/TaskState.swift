import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - TaskOutcome

/// What a finished task hands back.
struct TaskOutcome: Sendable {
    let response: HTTPResponse
    let body: Data
}

// MARK: - TaskState

/// Per-task state, touched only on the delegate's serial queue.
final class TaskState {
    let request: URLRequest
    let followRedirects: Bool
    let sink: FileSink?
    let progress: (@Sendable (Int64) -> Void)?
    let limit: Int
    let continuation: CheckedContinuation<TaskOutcome, Error>
    var response: HTTPURLResponse?
    var body = Data()
    var writing = false
    var failure: TransportFailure?
    var redirects = 0

    init(
        request: URLRequest, followRedirects: Bool, sink: FileSink?, progress: (@Sendable (Int64) -> Void)?,
        limit: Int, continuation: CheckedContinuation<TaskOutcome, Error>
    ) {
        self.request = request
        self.followRedirects = followRedirects
        self.sink = sink
        self.progress = progress
        self.limit = limit
        self.continuation = continuation
    }
}
