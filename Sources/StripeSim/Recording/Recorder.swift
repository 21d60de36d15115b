import Foundation
import Synchronization

/// One recorded request and its response: a line of a `--record` file.
///
/// ```json
/// {"seq":1,"method":"POST","path":"/v1/customers","query":"","auth":{"scheme":"bearer","key":"sk_test_rec3f9a…"},
///  "headers":{"idempotency-key":"k1"},"body":"email=a%40b.c","status":200,
///  "response_headers":{"request-id":"req_…"},"response":{…}}
/// ```
///
/// `auth.key` is an alias of the key (see `SecretMasker`), never the key. `dropped` (`before`/`after`) replaces
/// `status` and `response` when a fault rule closed the connection.
package struct RecordedExchange: Sendable, Equatable {
    package var seq: Int
    package var method: String
    package var path: String
    /// The raw query string (no `?`), masked.
    package var query: String
    package var auth: RecordedAuth
    /// Request headers (lowercased names) except `authorization` and transport headers.
    package var headers: [String: String]
    /// The raw body, masked.
    package var body: String
    package var status: Int?
    package var responseHeaders: [String: String]
    /// The response body: JSON, or a string when it was not JSON.
    package var response: JSONValue?
    package var dropped: String?
    /// When the request arrived, in milliseconds since the recorder started (a replay moves its clock by the
    /// same steps, so time-driven work falls due as it did).
    package var elapsedMillis: Int?

    package var json: JSONValue {
        var o: [String: JSONValue] = [
            "seq": .int(seq), "method": .string(method), "path": .string(path), "query": .string(query),
            "auth": auth.json, "headers": .stringMap(headers), "body": .string(body),
        ]
        if let status { o["status"] = .int(status) }
        if !responseHeaders.isEmpty { o["response_headers"] = .stringMap(responseHeaders) }
        if let response { o["response"] = response }
        if let dropped { o["dropped"] = .string(dropped) }
        if let elapsedMillis { o["elapsed_ms"] = .int(elapsedMillis) }
        return .object(o)
    }

    package init(json: JSONValue) throws(ScenarioError) {
        guard let seq = json["seq"]?.intValue, let method = json["method"]?.stringValue,
            let path = json["path"]?.stringValue
        else { throw ScenarioError(message: "a recorded exchange needs seq, method and path") }
        self.seq = seq
        self.method = method
        self.path = path
        query = json["query"]?.stringValue ?? ""
        auth = RecordedAuth(json: json["auth"] ?? .null)
        headers = (json["headers"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        body = json["body"]?.stringValue ?? ""
        status = json["status"]?.intValue
        responseHeaders = (json["response_headers"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        response = json["response"]
        dropped = json["dropped"]?.stringValue
        elapsedMillis = json["elapsed_ms"]?.intValue
    }

    package init(
        seq: Int,
        method: String,
        path: String,
        query: String,
        auth: RecordedAuth,
        headers: [String: String],
        body: String,
        status: Int?,
        responseHeaders: [String: String],
        response: JSONValue?,
        dropped: String?,
        elapsedMillis: Int? = nil
    ) {
        self.seq = seq
        self.method = method
        self.path = path
        self.query = query
        self.auth = auth
        self.headers = headers
        self.body = body
        self.status = status
        self.responseHeaders = responseHeaders
        self.response = response
        self.dropped = dropped
        self.elapsedMillis = elapsedMillis
    }

    /// The response as text, as the client saw it (JSON re-serialised).
    package var responseText: String {
        switch response {
        case .string(let s)?: s
        case let r?: r.serialized()
        case nil: ""
        }
    }

    /// Reads a recording (JSON lines; blank lines skipped).
    package static func load(_ path: String) throws(ScenarioError) -> [RecordedExchange] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ScenarioError(message: "cannot read the recording: \(error.localizedDescription)", file: path)
        }
        return try parse(text, file: path)
    }

    package static func parse(_ text: String, file: String? = nil) throws(ScenarioError) -> [RecordedExchange] {
        var out: [RecordedExchange] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let json = JSONValue.parse(String(line)) else {
                throw ScenarioError(message: "not a JSON line", file: file, line: n + 1)
            }
            do { out.append(try RecordedExchange(json: json)) } catch {
                throw ScenarioError(message: error.message, file: file, line: n + 1)
            }
        }
        return out
    }
}

/// How a recorded request authenticated.
package struct RecordedAuth: Sendable, Equatable {
    /// `bearer`, `basic`, `none`, or `invalid` (a malformed header, kept masked in `header`).
    package var scheme: String
    /// The key's alias (`sk_test_rec…`) for `bearer` and `basic`.
    package var key: String?
    package var header: String?

    package static let none = RecordedAuth(scheme: "none")

    package init(scheme: String, key: String? = nil, header: String? = nil) {
        self.scheme = scheme
        self.key = key
        self.header = header
    }

    /// From an `Authorization` header: the key aliased, or the header masked when it names no valid key.
    package init(authorization: String?) {
        guard let header = authorization?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            self = .none
            return
        }
        let lower = header.lowercased()
        var key: String?
        var scheme = "invalid"
        if lower.hasPrefix("bearer ") {
            scheme = "bearer"
            key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if lower.hasPrefix("basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8)
        {
            scheme = "basic"
            key = String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        // Live keys are refused anyway: kept masked as Stripe masks them, so a replay is refused the same way.
        if let k = key, (try? APIKeyAuth.credentials(forKey: k)) != nil {
            self.init(scheme: scheme, key: SecretMasker.maskWord(k))
        } else {
            let shown =
                key.map { APIKeyAuth.mask($0) } ?? APIKeyAuth.mask(String(header.split(separator: " ").last ?? ""))
            let prefix = header.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            self.init(scheme: "invalid", header: prefix.isEmpty || prefix == header ? shown : prefix + " " + shown)
        }
    }

    var json: JSONValue {
        var o: [String: JSONValue] = ["scheme": .string(scheme)]
        if let key { o["key"] = .string(key) }
        if let header { o["header"] = .string(header) }
        return .object(o)
    }

    init(json: JSONValue) {
        scheme = json["scheme"]?.stringValue ?? "none"
        key = json["key"]?.stringValue
        header = json["header"]?.stringValue
    }

    /// The `Authorization` header to send, with `key` standing in for the alias.
    package func authorization(key replacement: String?) -> String? {
        switch scheme {
        case "bearer": return (replacement ?? key).map { "Bearer \($0)" }
        case "basic": return (replacement ?? key).map { "Basic " + Data("\($0):".utf8).base64EncodedString() }
        case "invalid": return header
        default: return nil
        }
    }
}

/// Writes `--record FILE`: one JSON line per request, appended and flushed as each response goes out (a crash
/// loses at most the request in flight). Secrets are masked before anything is written (`SecretMasker`).
/// `Recorder.inMemory()` keeps the exchanges for tests instead.
package final class Recorder: Sendable {
    private struct State {
        var handle: FileHandle?
        var seq = 0
        var kept: [RecordedExchange] = []
    }

    private let state: Mutex<State>
    private let keeps: Bool
    private let started = ContinuousClock.now

    /// Request headers never recorded: credentials and transport details.
    static let skippedHeaders: Set<String> = [
        "authorization", "cookie", "host", "content-length", "connection", "transfer-encoding", "accept-encoding",
        "te", "upgrade", "keep-alive", "proxy-authorization",
    ]
    /// Response headers recorded (what a replay compares or a reader needs).
    static let keptResponseHeaders: Set<String> = [
        "request-id", "idempotent-replayed", "original-request", "stripe-should-retry", "stripe-version",
    ]

    /// Appends to `path` (created if missing; sequence numbers continue after the lines already there).
    package init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var existing = 0
        if fm.fileExists(atPath: path) {
            existing =
                (try? String(contentsOf: url, encoding: .utf8))?
                .split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count ?? 0
        } else {
            _ = fm.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        state = Mutex(State(handle: handle, seq: existing))
        keeps = false
    }

    private init() {
        state = Mutex(State())
        keeps = true
    }

    /// A recorder that keeps exchanges in memory (`exchanges`).
    package static func inMemory() -> Recorder { Recorder() }

    package var exchanges: [RecordedExchange] { state.withLock { $0.kept } }

    /// Milliseconds since the recorder started.
    package var elapsedMillis: Int {
        let d = ContinuousClock.now - started
        return Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Records one exchange, masking secrets.
    /// - Parameter arrivedAt: when the request arrived (`elapsedMillis` then); default now.
    package func record(
        method: String,
        path: String,
        query: String,
        authorization: String?,
        headers: [(String, String)],
        body: String,
        status: Int?,
        responseHeaders: [(String, String)],
        responseBody: String,
        dropped: String?,
        arrivedAt: Int? = nil
    ) {
        var kept: [String: String] = [:]
        for (name, value) in headers where !Self.skippedHeaders.contains(name.lowercased()) {
            kept[name.lowercased()] = SecretMasker.mask(value)
        }
        var responseKept: [String: String] = [:]
        for (name, value) in responseHeaders where Self.keptResponseHeaders.contains(name.lowercased()) {
            responseKept[name.lowercased()] = value
        }
        let maskedResponse = SecretMasker.mask(responseBody)
        var response: JSONValue?
        if dropped == nil, !maskedResponse.isEmpty {
            response = JSONValue.parse(maskedResponse) ?? .string(maskedResponse)
        }
        state.withLock { s in
            s.seq += 1
            let exchange = RecordedExchange(
                seq: s.seq,
                method: method,
                path: SecretMasker.mask(path),
                query: SecretMasker.mask(query),
                auth: RecordedAuth(authorization: authorization),
                headers: kept,
                body: SecretMasker.mask(body),
                status: dropped != nil ? nil : status,
                responseHeaders: responseKept,
                response: response,
                dropped: dropped,
                elapsedMillis: arrivedAt ?? elapsedMillis
            )
            if keeps { s.kept.append(exchange) }
            s.handle?.write(Data((exchange.json.serialized(pretty: false) + "\n").utf8))
        }
    }
}
