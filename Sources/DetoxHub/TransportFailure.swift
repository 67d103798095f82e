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

    /// Worth another try: a dropped connection, not a host that is unreachable nor one that
    /// accepted and then did not answer within the timeout (either way the cache answers at once
    /// instead of after retries).
    var isTransient: Bool {
        guard kind == .network else { return false }
        switch code {
        case .some(.cannotConnectToHost), .some(.cannotFindHost), .some(.dnsLookupFailed),
            .some(.notConnectedToInternet), .some(.cancelled), .some(.timedOut):
            return false
        default:
            return true
        }
    }
}
