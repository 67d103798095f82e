import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - HTTPTransport

/// URLSession with the redirect rules the Hub protocol needs: `HEAD` follows none (the caller
/// follows relative ones itself), `GET` follows all but drops `authorization` when a redirect
/// leaves the original host and port (an LFS file served by a CDN gets a signed URL, never the
/// token). Downloads stream into a file, appending after a `Range` resume.
final class HTTPTransport: Sendable {
    private let session: URLSession
    private let delegate: TransportDelegate

    init(configuration: URLSessionConfiguration) {
        let delegate = TransportDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        self.delegate = delegate
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        session.invalidateAndCancel()
    }

    /// A session configuration without any HTTP cache or cookies, with `timeout` per request.
    static func configuration(timeout: Double) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = timeout
        return configuration
    }

    // MARK: - Requests

    /// `HEAD` without following any redirect: a 3xx comes back as the response.
    func head(_ url: URL, headers: [String: String]) async throws -> HTTPResponse {
        var request = URLRequest(url: url)
        request.httpMethod = "HEAD"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = try await run(request, followRedirects: false, sink: nil, progress: nil)
        return outcome.response
    }

    /// `GET` into memory (at most `limit` bytes kept), following redirects.
    func get(_ url: URL, headers: [String: String], limit: Int = 64 << 20) async throws -> (HTTPResponse, Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = try await run(request, followRedirects: true, sink: nil, progress: nil, limit: limit)
        return (outcome.response, outcome.body)
    }

    /// `GET` appended to `file` from byte `offset` (sending `Range: bytes=<offset>-` when it is
    /// not 0), following redirects. A 200 answer to a range request restarts the file; a 206
    /// must start at `offset`. Non-2xx bodies are not written. Returns the response and the file's
    /// final size.
    func download(
        _ url: URL, headers: [String: String], to file: URL, offset: Int64,
        progress: (@Sendable (Int64) -> Void)?
    ) async throws -> (HTTPResponse, Int64) {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let sink = try FileSink(file: file, offset: offset)
        let outcome = try await run(request, followRedirects: true, sink: sink, progress: progress)
        return (outcome.response, sink.size)
    }

    // MARK: - Tasks

    private func run(
        _ request: URLRequest, followRedirects: Bool, sink: FileSink?,
        progress: (@Sendable (Int64) -> Void)?, limit: Int = 1 << 16
    ) async throws -> TaskOutcome {
        let task = session.dataTask(with: request)
        let box = CancelBox(task)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<TaskOutcome, Error>) in
                let state = TaskState(
                    request: request, followRedirects: followRedirects, sink: sink,
                    progress: progress, limit: limit, continuation: continuation)
                delegate.register(task.taskIdentifier, state)
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }
    }
}

// MARK: - Task bookkeeping

/// Cancels a URLSession task from a Swift task's cancellation handler.
///
/// `@unchecked Sendable`: it holds one immutable reference, and `URLSessionTask.cancel()` may be
/// called from any thread.
private final class CancelBox: @unchecked Sendable {
    private let task: URLSessionTask
    init(_ task: URLSessionTask) { self.task = task }
    func cancel() { task.cancel() }
}
