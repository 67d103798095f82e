import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: - RecordedRequest

/// A request the loopback server received: method, path with query, headers (names lower-cased).
struct RecordedRequest: Sendable {
    let method: String
    let path: String
    let headers: [String: String]

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

// MARK: - ScriptedResponse

/// What the server answers: status, headers, body; `dropAfter` closes the connection after that
/// many body bytes (a connection dropped mid-body). `Content-Length` defaults to the body size;
/// a `HEAD` gets the headers only.
struct ScriptedResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()
    var dropAfter: Int?

    static func status(_ status: Int, _ headers: [(String, String)] = [], body: Data = Data()) -> ScriptedResponse {
        ScriptedResponse(status: status, headers: headers, body: body)
    }
}

// MARK: - LoopbackServer

/// A minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the Hub tests: one thread,
/// one connection at a time, `Connection: close` after every response, each answer computed by
/// the test's handler. It stops on `stop()` or by itself after `lifetime` seconds, so a failing
/// test never leaves it running. It binds the loopback address only.
final class LoopbackServer: @unchecked Sendable {
    typealias Handler = @Sendable (RecordedRequest) -> ScriptedResponse

    /// The port it listens on.
    let port: Int
    /// The loopback address it listens on (`127.0.0.1` unless a test asks for a second host).
    let address: String
    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var recorded: [RecordedRequest] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// `http://<address>:<port>`.
    var baseURL: URL { URL(string: "http://\(address):\(port)")! }

    /// Every request received so far, in order.
    var requests: [RecordedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    init(address: String = "127.0.0.1", lifetime: Double = 60, handler: @escaping Handler) throws {
        self.handler = handler
        self.address = address
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError.socket("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(self.address)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ServerError.socket("bind/listen")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        let deadline = Date().addingTimeInterval(lifetime)
        let thread = Thread { [self] in
            serve(until: deadline)
        }
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting, waits for the serving thread to end and closes the socket.
    func stop() {
        lock.lock()
        let already = stopped
        stopped = true
        lock.unlock()
        guard !already else { return }
        finished.wait()
        close(listener)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    // MARK: - Serving

    private func serve(until deadline: Date) {
        defer { finished.signal() }
        while !isStopped, Date() < deadline {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
            close(connection)
        }
        // Self-stop after the lifetime: mark stopped so `stop()` does not wait again.
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let terminator: [UInt8] = [13, 10, 13, 10]
        while buffer.count < 65536 {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            buffer.append(contentsOf: chunk[0..<count])
            if buffer.count >= 4, (0...buffer.count - 4).contains(where: { Array(buffer[$0..<$0 + 4]) == terminator }) {
                break
            }
        }
        guard let text = String(bytes: buffer, encoding: .utf8),
            let headEnd = text.range(of: "\r\n\r\n")
        else { return }
        var lines = text[..<headEnd.lowerBound].components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let request = RecordedRequest(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers)
        lock.lock()
        recorded.append(request)
        lock.unlock()

        let response = handler(request)
        var head = "HTTP/1.1 \(response.status) \(LoopbackServer.reason(response.status))\r\n"
        var hasLength = false
        for (name, value) in response.headers {
            if name.lowercased() == "content-length" { hasLength = true }
            head += "\(name): \(value)\r\n"
        }
        if !hasLength { head += "Content-Length: \(response.body.count)\r\n" }
        head += "Connection: close\r\n\r\n"
        guard send(connection, Array(head.utf8)) else { return }
        if request.method == "HEAD" { return }
        let body = response.dropAfter.map { Data(response.body.prefix($0)) } ?? response.body
        _ = send(connection, [UInt8](body))
        if response.dropAfter == nil { shutdown(connection, Int32(SHUT_WR)) }
    }

    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            #if canImport(Glibc)
                let sent = bytes.withUnsafeBytes {
                    Glibc.send(connection, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
            #else
                let sent = bytes.withUnsafeBytes {
                    Darwin.send(connection, $0.baseAddress! + offset, bytes.count - offset, 0)
                }
            #endif
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 206: return "Partial Content"
        case 302: return "Found"
        case 307: return "Temporary Redirect"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 416: return "Range Not Satisfiable"
        case 500: return "Internal Server Error"
        default: return "Status"
        }
    }

    enum ServerError: Error { case socket(String) }
}
