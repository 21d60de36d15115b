import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import StripeSim

/// A fresh simulator per test: in-memory database, a manual clock, incrementing ids (deterministic output).
struct TestApp {
    let config: SimulatorConfiguration
    let deps: AppDependencies
    let clock: ManualClock

    /// - Parameter configure: adjusts the configuration (webhook retry schedule, `--forward-to`…).
    init(
        ids: IDGenerator = .incrementing(),
        databasePath: String? = nil,
        settlementDelayMillis: Int = 0,
        configure: (inout SimulatorConfiguration) -> Void = { _ in }
    ) throws {
        var config = SimulatorConfiguration()
        config.port = 0
        configure(&config)
        self.config = config
        let clock = ManualClock()
        self.clock = clock
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var deps = AppDependencies(
            clock: clock,
            ids: ids,
            database: try AppDatabase(path: databasePath),
            logger: logger
        )
        deps.achSettlementDelayMillis = settlementDelayMillis
        deps.bank = try BankFixtures.loadDefault()
        self.deps = deps
    }

    /// Runs `body` against the app in process (no socket).
    func run(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        let app = try await buildApplication(config, deps)
        try await app.test(.router) { client in try await body(Client(client: client)) }
    }
}

/// A decoded response.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPFields
    var text: String
    var json: JSONValue { JSONValue.parse(text) ?? .null }

    subscript(path: String) -> JSONValue? { json.value(at: path) }
    var id: String { json["id"]?.stringValue ?? "" }
    var error: JSONValue { json["error"] ?? .null }
}

/// Request helpers over HummingbirdTesting's client. Every response is appended to the conformance dump
/// (`STRIPE_SIM_RESPONSE_DUMP`) so CI validates every body the suite saw against Stripe's OpenAPI spec.
struct Client: Sendable {
    let client: any TestClientProtocol
    var key = "sk_test_alice"

    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        body: String? = nil,
        key: String?? = nil,
        headers extra: HTTPFields = [:],
        json: Bool = false
    ) async throws -> Reply {
        var headers = extra
        let k = key ?? self.key
        if let k { headers[.authorization] = "Bearer \(k)" }
        if body != nil {
            headers[.contentType] = json ? "application/json" : "application/x-www-form-urlencoded"
        }
        let reply = try await client.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: body.map { ByteBuffer(string: $0) }
        ) { response in
            Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
        }
        ResponseDump.shared.record(method: method.rawValue, uri: uri, reply: reply)
        return reply
    }

    func get(_ uri: String, key: String?? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await send(.get, uri, key: key, headers: headers)
    }

    func post(_ uri: String, _ body: String = "", key: String?? = nil, headers: HTTPFields = [:]) async throws -> Reply
    {
        try await send(.post, uri, body: body, key: key, headers: headers)
    }

    func postJSON(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> Reply {
        var h = headers
        if h[.stripeVersion] == nil { h[.stripeVersion] = "2026-06-24.preview" }
        return try await send(.post, uri, body: body, headers: h, json: true)
    }

    func delete(_ uri: String, key: String?? = nil) async throws -> Reply {
        try await send(.delete, uri, key: key)
    }

    func with(key: String) -> Client {
        var c = self
        c.key = key
        return c
    }

    /// Polls `uri` until `path` equals `value` (background work: settlement, clock advances, refreshes).
    @discardableResult
    func poll(_ uri: String, _ path: String, _ value: JSONValue, timeout: Duration = .seconds(10)) async throws -> Reply
    {
        let deadline = ContinuousClock.now + timeout
        var last = try await get(uri)
        while last[path] != value && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            last = try await get(uri)
        }
        #expect(last[path] == value, "\(uri) \(path): \(last[path] ?? .null) after \(timeout)")
        return last
    }

    /// Event types for an object, oldest first.
    func eventTypes(for id: String) async throws -> [String] {
        let all = try await get("/v1/events?limit=100")["data"]?.arrayValue ?? []
        return all.reversed().filter { $0["data"]?["object"]?["id"]?.stringValue == id }.compactMap {
            $0["type"]?.stringValue
        }
    }
}

/// Appends `{"method","path","status","body"}` lines for `check_response.py --batch`.
final class ResponseDump: Sendable {
    static let shared = ResponseDump()
    private let handle: Mutex<FileHandle?>

    private init() {
        guard let path = ProcessInfo.processInfo.environment["STRIPE_SIM_RESPONSE_DUMP"] else {
            handle = Mutex(nil)
            return
        }
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let h = try? FileHandle(forWritingTo: url)
        _ = try? h?.seekToEnd()
        handle = Mutex(h)
    }

    /// Simulator-only endpoints under /v1 (Stripe's spec has no schema for them).
    static let simulatorOnly = ["/v1/test_helpers/webhook_deliveries", "/v1/test_helpers/events/"]

    func record(method: String, uri: String, reply: Reply) {
        guard let body = JSONValue.parse(reply.text) else { return }
        let path = String(uri.split(separator: "?", maxSplits: 1).first ?? "")
        // Only Stripe's own endpoints are described by the spec; simulator-only helpers are not.
        guard path.hasPrefix("/v1/") || path.hasPrefix("/v2/") else { return }
        if Self.simulatorOnly.contains(where: { path.hasPrefix($0) }) { return }
        if path.hasPrefix("/v1/test_helpers/") && !path.hasPrefix("/v1/test_helpers/test_clocks") { return }
        // Preview endpoint: not in Stripe's public spec (listed under the subset's missing_paths).
        if path.hasSuffix("/inferred_balances") { return }
        // Stripe's "retrieve a customer's PaymentMethod": real, but outside the spec subset.
        let parts = path.split(separator: "/")
        if parts.count == 5, parts[1] == "customers", parts[3] == "payment_methods" { return }
        if body["error"]?["message"]?.stringValue?.hasPrefix("Unrecognized request URL") == true { return }
        let line: JSONValue = [
            "method": .string(method), "path": .string(path), "status": .int(reply.status), "body": body,
        ]
        handle.withLock { h in h?.write(Data((line.serialized(pretty: false) + "\n").utf8)) }
    }
}

/// Form-encodes pairs (keys keep their brackets raw, as the SDKs send them).
func form(_ pairs: [(String, String)]) -> String {
    pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }
        .joined(separator: "&")
}
