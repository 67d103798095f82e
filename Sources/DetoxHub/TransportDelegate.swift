import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - TransportDelegate

/// The URLSession delegate behind `HTTPTransport`: applies each task's redirect rule, streams
/// download bodies into their `FileSink` (checking a 206's `Content-Range` against the resume
/// offset), keeps small bodies in memory, and resumes the task's continuation exactly once.
///
/// `@unchecked Sendable`: its only mutable field, `states`, is read and written under `lock`.
final class TransportDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private var states: [Int: TaskState] = [:]
    private let lock = NSLock()

    func register(_ identifier: Int, _ state: TaskState) {
        lock.lock()
        states[identifier] = state
        lock.unlock()
    }

    private func state(_ identifier: Int) -> TaskState? {
        lock.lock()
        defer { lock.unlock() }
        return states[identifier]
    }

    private func remove(_ identifier: Int) -> TaskState? {
        lock.lock()
        defer { lock.unlock() }
        return states.removeValue(forKey: identifier)
    }

    // MARK: Redirects

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        guard let state = state(task.taskIdentifier), state.followRedirects else {
            completionHandler(nil)
            return
        }
        state.redirects += 1
        if state.redirects > 10 {
            state.failure = TransportFailure(
                kind: .tooManyRedirects, reason: "more than 10 redirects",
                response: nil, written: state.sink?.size ?? 0)
            completionHandler(nil)
            task.cancel()
            return
        }
        // Carry the original headers (Range, Accept-Encoding) but never the token to another host.
        var next = request
        let sameHost = state.request.url.flatMap { old in request.url.map { HubClient.sameOrigin(old, $0) } } ?? false
        for (name, value) in state.request.allHTTPHeaderFields ?? [:] {
            if name.lowercased() == "authorization", !sameHost { continue }
            next.setValue(value, forHTTPHeaderField: name)
        }
        if !sameHost { next.setValue(nil, forHTTPHeaderField: "Authorization") }
        completionHandler(next)
    }

    // MARK: Data

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let state = state(dataTask.taskIdentifier) else {
            completionHandler(.cancel)
            return
        }
        let http = response as? HTTPURLResponse
        state.response = http
        if let sink = state.sink, let http {
            if http.statusCode == 200 {
                do {
                    if sink.size > 0 { try sink.restart() }
                    state.writing = true
                } catch {
                    state.failure = TransportFailure(
                        kind: .write, reason: error.localizedDescription,
                        response: nil, written: sink.size)
                    completionHandler(.cancel)
                    return
                }
            } else if http.statusCode == 206 {
                let range = http.value(forHTTPHeaderField: "Content-Range") ?? ""
                if TransportDelegate.rangeStart(range) == sink.size {
                    state.writing = true
                } else {
                    state.failure = TransportFailure(
                        kind: .badRange,
                        reason: "Content-Range '\(range)' does not "
                            + "start at byte \(sink.size)", response: nil, written: sink.size)
                    completionHandler(.cancel)
                    return
                }
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let state = state(dataTask.taskIdentifier), state.failure == nil else { return }
        if state.writing, let sink = state.sink {
            do {
                try sink.write(data)
                state.progress?(sink.size)
            } catch {
                state.failure = TransportFailure(
                    kind: .write, reason: error.localizedDescription,
                    response: nil, written: sink.size)
                dataTask.cancel()
            }
        } else if state.body.count < state.limit {
            state.body.append(data.prefix(state.limit - state.body.count))
        }
    }

    // MARK: Completion

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let state = remove(task.taskIdentifier) else { return }
        state.sink?.close()
        let fallback = state.request.url ?? URL(fileURLWithPath: "/")
        let response = state.response.map { HTTPResponse($0, fallbackURL: fallback) }
        let written = state.sink?.size ?? 0
        if let failure = state.failure {
            state.continuation.resume(
                throwing: TransportFailure(
                    kind: failure.kind, reason: failure.reason,
                    response: response, written: written))
        } else if let error {
            let reason =
                (error as? URLError).map { "\($0.code) (\($0.localizedDescription))" }
                ?? error.localizedDescription
            state.continuation.resume(
                throwing: TransportFailure(
                    kind: .network, reason: reason,
                    response: response, written: written,
                    code: (error as? URLError)?.code))
        } else if let response {
            state.continuation.resume(returning: TaskOutcome(response: response, body: state.body))
        } else {
            state.continuation.resume(
                throwing: TransportFailure(
                    kind: .network, reason: "no HTTP response",
                    response: nil, written: written))
        }
    }

    /// First byte of `Content-Range: bytes <start>-<end>/<total>`.
    static func rangeStart(_ header: String) -> Int64? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes ") else { return nil }
        let spec = trimmed.dropFirst(6)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        return Int64(spec[..<dash])
    }
}
