import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// One API request as the dashboard's request log shows it. Secrets are masked (`SecretMask`) in everything the
/// log hands out, so no key, client secret or signing secret is ever shown whole; headers (and so
/// `Authorization`) are not kept at all.
package struct RequestLogEntry: Sendable, Equatable {
    /// `req_…`, as returned in `Request-Id`.
    package var requestID: String
    /// The account (`acct_…`) the request's key names.
    package var account: String
    /// Wall time the request arrived, Unix milliseconds.
    package var atMillis: Int
    package var method: String
    /// The path and (masked) query string.
    package var path: String
    package var status: Int
    package var latencyMs: Double
    /// The request body as received (masked, truncated to `RequestLog.maxBodyBytes`).
    package var requestBody: String
    /// The response body as sent (masked, truncated).
    package var responseBody: String
    /// Whether the bodies are masked yet: the log masks a short body when it is read, not on the request path
    /// (`RequestLog.entries`); every entry the log hands out is masked.
    package var bodiesMasked = true

    /// This entry with its bodies masked.
    var masked: RequestLogEntry {
        guard !bodiesMasked else { return self }
        var entry = self
        entry.requestBody = SecretMask.mask(requestBody)
        entry.responseBody = SecretMask.mask(responseBody)
        entry.bodiesMasked = true
        return entry
    }
}

/// A bounded in-memory log of API requests per account: the last `capacity` requests of each of the
/// `maxAccounts` most recently active accounts (older entries and accounts drop off). Fed by `StripeMiddleware`
/// for every `/v1` and `/v2` request made with a well-formed key; read by the dashboard. Not persisted: a restart
/// starts it empty.
package final class RequestLog: Sendable {
    /// Requests kept per account.
    package let capacity: Int
    /// Accounts kept; the least recently active one is dropped first.
    package let maxAccounts: Int
    /// Longest body kept, in bytes; the rest is cut with a note of how much was left out.
    package static let maxBodyBytes = 16_384

    private struct Ring {
        var entries: [RequestLogEntry] = []
        /// Where the next entry goes once `entries` is full.
        var next = 0
        var lastUsed = 0

        mutating func append(_ entry: RequestLogEntry, capacity: Int) {
            if entries.count < capacity {
                entries.append(entry)
            } else {
                entries[next] = entry
                next = (next + 1) % capacity
            }
        }

        /// Newest first.
        func newestFirst(capacity: Int) -> [RequestLogEntry] {
            let ordered = entries.count < capacity || next == 0 ? entries : Array(entries[next...] + entries[..<next])
            return ordered.reversed()
        }
    }

    private struct State {
        var rings: [String: Ring] = [:]
        var tick = 0
    }

    private let state = Mutex(State())

    package init(capacity: Int = 1000, maxAccounts: Int = 64) {
        self.capacity = max(1, capacity)
        self.maxAccounts = max(1, maxAccounts)
    }

    package func append(_ entry: RequestLogEntry) {
        state.withLock { state in
            state.tick += 1
            if state.rings[entry.account] == nil, state.rings.count >= maxAccounts,
                let oldest = state.rings.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key
            {
                state.rings[oldest] = nil
            }
            // Mutate the ring in place: copying it out and back would copy its whole entry array every request.
            state.rings[entry.account, default: Ring()].append(entry, capacity: capacity)
            state.rings[entry.account]?.lastUsed = state.tick
        }
    }

    /// The account's logged requests, newest first.
    package func entries(account: String) -> [RequestLogEntry] {
        state.withLock { $0.rings[account]?.newestFirst(capacity: capacity) ?? [] }.map(\.masked)
    }

    package func entry(account: String, requestID: String) -> RequestLogEntry? {
        state.withLock { $0.rings[account]?.entries.first { $0.requestID == requestID } }?.masked
    }

    package func count(account: String) -> Int {
        state.withLock { $0.rings[account]?.entries.count ?? 0 }
    }

    /// Forgets the account's requests (the dashboard's reset).
    package func clear(account: String) {
        state.withLock { _ = $0.rings.removeValue(forKey: account) }
    }

    // MARK: Feeding the log

    /// Appends the entry of a finished request: the bodies come from `draft`, where the API pipeline (or
    /// `StripeMiddleware`, for an error) left them. Called before the response is written, so a client that reads
    /// the log right after a call finds it.
    package func record(
        request: Request,
        account: String,
        requestID: String,
        status: Int,
        draft: RequestLogDraft,
        startedAtMillis: Int,
        latencyMs: Double
    ) {
        let query = request.uri.query.map { "?" + SecretMask.mask($0) } ?? ""
        let (requestBody, responseBody) = draft.bodies
        let requestText = requestBody ?? ""
        let responseText = responseBody ?? ""
        // Short bodies are kept whole and masked when read; a long one is cut now (masked first, so that no
        // secret is cut in half).
        let cut = requestText.utf8.count > Self.maxBodyBytes || responseText.utf8.count > Self.maxBodyBytes
        append(
            RequestLogEntry(
                requestID: requestID,
                account: account,
                atMillis: startedAtMillis,
                method: request.method.rawValue,
                path: request.uri.path + query,
                status: status,
                latencyMs: latencyMs,
                requestBody: cut ? Self.clean(requestText) : requestText,
                responseBody: cut ? Self.clean(responseText) : responseText,
                bodiesMasked: cut
            )
        )
    }

    /// Masks and truncates a body. Only what is kept is masked (plus the token crossing the cut, masked whole
    /// before the cut is made), so a large list response costs no more than a small one.
    static func clean(_ text: String) -> String {
        let total = text.utf8.count
        guard total > maxBodyBytes else { return SecretMask.mask(text) }
        let bytes = Array(text.utf8.prefix(maxBodyBytes + 4096))
        var end = maxBodyBytes
        while end < bytes.count && SecretMask.isTokenByte(bytes[end]) { end += 1 }
        let masked = Array(SecretMask.mask(String(decoding: bytes[..<end], as: UTF8.self)).utf8)
        let kept = String(decoding: masked.prefix(maxBodyBytes), as: UTF8.self)
        return kept + "\n… (\(total - maxBodyBytes) more bytes not kept)"
    }
}

/// The parts of a log entry only the API pipeline knows: the request body it collected and the response body it
/// rendered. Created by `StripeMiddleware` for a logged request and carried in `AppRequestContext.requestLogDraft`.
package final class RequestLogDraft: Sendable {
    private struct Bodies {
        var request: String?
        var response: String?
    }

    private let state = Mutex(Bodies())

    package init() {}

    package var bodies: (request: String?, response: String?) { state.withLock { ($0.request, $0.response) } }

    package func setRequestBody(_ text: String) { state.withLock { $0.request = text } }

    package func setResponseBody(_ text: String) { state.withLock { $0.response = text } }
}
