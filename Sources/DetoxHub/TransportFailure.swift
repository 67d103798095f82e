import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// MARK: - TransportFailure

/// A request that ended below HTTP; `written` counts body bytes already in the file (downloads).
struct TransportFailure: Error {
    enum Kind { case network, tooManyRedirects, badRange, write }
    let kind: Kind
    let reason: String
    let response: HTTPResponse?
    let written: Int64
    /// The URLSession error code of a `.network` failure.
    var code: URLError.Code?

    /// Worth another try: a timeout or a dropped connection, not a host that is unreachable
    /// (no network at all answers at once from the cache instead of after retries).
    var isTransient: Bool {
        guard kind == .network else { return false }
        switch code {
        case .some(.cannotConnectToHost), .some(.cannotFindHost), .some(.dnsLookupFailed),
            .some(.notConnectedToInternet), .some(.cancelled):
            return false
        default:
            return true
        }
    }
}
