import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import StripeSim

/// A real HTTP server on 127.0.0.1 (a free port) that records every webhook POSTed to `/hooks/<name>` — the
/// exact body bytes and the headers — and answers as scripted per name: fail the next N requests, hang for a
/// while, or answer 200 `ok`.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var name: String
        var body: String
        var headers: HTTPFields
        var at: ContinuousClock.Instant

        var signature: String { headers[HTTPField.Name("Stripe-Signature")!] ?? "" }
        var json: JSONValue { JSONValue.parse(body) ?? .null }
        var eventID: String { json["id"]?.stringValue ?? "" }
        var type: String { json["type"]?.stringValue ?? "" }
        /// `t` of the signature header.
        var timestamp: Int {
            signature.split(separator: ",").first { $0.hasPrefix("t=") }.flatMap { Int($0.dropFirst(2)) } ?? 0
        }
    }

    private struct Script {
        var failures = 0
        var failureStatus = 500
        var failureBody = "receiver says no"
        var hangs: [Duration] = []
        var alwaysFail = false
    }

    private let state = Mutex<(received: [Received], scripts: [String: Script])>(([], [:]))
    var port: Int { portBox.withLock { $0 } }

    /// `http://127.0.0.1:<port>/hooks/<name>`.
    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/hooks/\(name)" }

    /// Answers the next `count` requests to `name` with `status` (and `body`).
    func fail(_ name: String, times count: Int, status: Int = 500, body: String = "receiver says no") {
        state.withLock { s in
            s.scripts[name, default: Script()].failures = count
            s.scripts[name, default: Script()].failureStatus = status
            s.scripts[name, default: Script()].failureBody = body
        }
    }

    /// Answers every request to `name` with a 503 until `recover`.
    func down(_ name: String) { state.withLock { $0.scripts[name, default: Script()].alwaysFail = true } }
    func recover(_ name: String) { state.withLock { $0.scripts[name, default: Script()].alwaysFail = false } }

    /// Holds the next requests to `name` for these durations (one per request) before answering.
    func hang(_ name: String, _ durations: Duration...) {
        state.withLock { $0.scripts[name, default: Script()].hangs += durations }
    }

    func received(_ name: String? = nil) -> [Received] {
        state.withLock { s in s.received.filter { name == nil || $0.name == name } }
    }

    /// Waits (polling, with a deadline) until `name` has received at least `count` requests.
    @discardableResult
    func waitFor(_ count: Int, at name: String, timeout: Duration = .seconds(20)) async throws -> [Received] {
        try await eventually("\(count) deliveries at /hooks/\(name)", timeout: timeout) {
            let r = self.received(name)
            return r.count >= count ? r : nil
        }
    }

    private func handle(_ name: String, _ body: String, _ headers: HTTPFields) async -> Response {
        let (script, hang) = state.withLock { s -> (Script, Duration?) in
            s.received.append(Received(name: name, body: body, headers: headers, at: .now))
            var script = s.scripts[name, default: Script()]
            let hang = script.hangs.isEmpty ? nil : script.hangs.removeFirst()
            let current = script
            if script.failures > 0 { script.failures -= 1 }
            s.scripts[name] = script
            return (current, hang)
        }
        if let hang { try? await Task.sleep(for: hang) }
        if script.alwaysFail { return Self.text(503, "down") }
        if script.failures > 0 { return Self.text(script.failureStatus, script.failureBody) }
        return Self.text(200, "ok")
    }

    private static func text(_ status: Int, _ body: String) -> Response {
        Response(
            status: .init(code: status),
            headers: [.contentType: "text/plain"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// Runs `body` while the receiver listens.
    static func run(_ body: @escaping @Sendable (WebhookReceiver) async throws -> Void) async throws {
        let receiver = WebhookReceiver()
        let router = Router()
        router.post("/hooks/:name") { request, context in
            let bytes = try await request.body.collect(upTo: 1 << 22)
            return await receiver.handle(context.parameters.get("name") ?? "", String(buffer: bytes), request.headers)
        }
        var logger = Logger(label: "receiver")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: logger
        )
        try await app.test(.live) { client in
            receiver.setPort(client.port ?? 0)
            try await body(receiver)
        }
    }

    private let portBox = Mutex(0)
    private func setPort(_ p: Int) { portBox.withLock { $0 = p } }
}

/// Polls `check` every 20 ms until it returns a value, or fails the test after `timeout`.
@discardableResult
func eventually<T>(
    _ what: String,
    timeout: Duration = .seconds(20),
    _ check: @Sendable () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        if ContinuousClock.now >= deadline { throw TestFailure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
