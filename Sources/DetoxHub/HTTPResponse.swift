import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - HTTPResponse

/// Status and headers of a response (header names lower-cased), and the URL that answered.
struct HTTPResponse: Sendable {
    let status: Int
    let headers: [String: String]
    let url: URL

    init(_ response: HTTPURLResponse, fallbackURL: URL) {
        status = response.statusCode
        var lowered: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let name = key as? String, let text = value as? String { lowered[name.lowercased()] = text }
        }
        headers = lowered
        url = response.url ?? fallbackURL
    }

    /// A header by case-insensitive name.
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}
