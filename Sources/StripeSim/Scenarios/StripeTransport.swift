import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// One HTTP request as the scenario runner and the replayer send it.
package struct TransportRequest: Sendable, Equatable {
    package var method: String
    /// Path with its query string (`/v1/customers?limit=3`).
    package var path: String
    package var headers: [(name: String, value: String)]
    package var body: String?

    package init(method: String, path: String, headers: [(name: String, value: String)] = [], body: String? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    package static func == (a: Self, b: Self) -> Bool {
        a.method == b.method && a.path == b.path && a.body == b.body
            && a.headers.map { "\($0.name): \($0.value)" } == b.headers.map { "\($0.name): \($0.value)" }
    }
}

/// A response as received.
package struct TransportResponse: Sendable {
    package var status: Int
    package var headers: [(name: String, value: String)]
    package var body: String

    package init(status: Int, headers: [(name: String, value: String)], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header's value (names compare case-insensitively).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    package var json: JSONValue? { JSONValue.parse(body) }
}

/// A request that got no response.
package enum TransportError: Error, Sendable, CustomStringConvertible {
    /// The server closed the connection without answering (a fault rule's `drop`, or a crash).
    case connectionDropped(String)
    /// Anything else: refused connection, timeout, malformed request.
    case failed(String)

    package var description: String {
        switch self {
        case .connectionDropped(let why): "connection dropped: \(why)"
        case .failed(let why): why
        }
    }
}

/// Where scenario and replay requests go: the app in this process (`InProcessTransport`) or a server at a URL
/// (`HTTPTransport`, for `--target`).
package protocol StripeTransport: Sendable {
    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse
}

// MARK: - In process

/// Sends requests straight into an app's responder, as HummingbirdTesting's router framework does: no socket,
/// no port. Each request gets its own testing channel (a fault rule's `drop` closes it).
package struct InProcessTransport: StripeTransport {
    private let respond: @Sendable (Request) async throws -> Response

    init(respond: @escaping @Sendable (Request) async throws -> Response) {
        self.respond = respond
    }

    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        guard let method = HTTPRequest.Method(request.method) else {
            throw .failed("invalid HTTP method '\(request.method)'")
        }
        var fields = HTTPFields()
        for (name, value) in request.headers {
            guard let n = HTTPField.Name(name) else { throw .failed("invalid header name '\(name)'") }
            fields.append(HTTPField(name: n, value: value))
        }
        let body = ByteBuffer(string: request.body ?? "")
        if request.body != nil { fields[.contentLength] = String(body.readableBytes) }
        let head = HTTPRequest(
            method: method,
            scheme: "http",
            authority: "localhost",
            path: request.path,
            headerFields: fields
        )
        do {
            let response = try await respond(Request(head: head, body: RequestBody(buffer: body)))
            let collector = BodyCollector()
            try await response.body.write(collector)
            return TransportResponse(
                status: response.status.code,
                headers: response.headers.map { ($0.name.rawName, $0.value) },
                body: String(buffer: collector.collected)
            )
        } catch let dropped as ConnectionDropped {
            throw .connectionDropped(dropped.description)
        } catch {
            throw .failed("\(error)")
        }
    }
}

/// Gathers a response body written by Hummingbird.
package final class BodyCollector: ResponseBodyWriter, Sendable {
    private let buffer = Mutex(ByteBuffer())

    package init() {}
    package var collected: ByteBuffer { buffer.withLock { $0 } }
    package func write(_ b: ByteBuffer) async throws { _ = buffer.withLock { $0.writeImmutableBuffer(b) } }
    package func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Runs an app without a server: its background services (test-clock advancer, …) run in a service group
/// while `body` sends requests through the returned transport; they shut down when `body` returns.
///
/// ```swift
/// let app = try await buildApplication(config, deps)
/// let reply = try await InProcessServer.run(app, logger: deps.logger) { transport in
///     try await transport.send(TransportRequest(method: "GET", path: "/v1/customers", headers: auth))
/// }
/// ```
package enum InProcessServer {
    package static func run<App: ApplicationProtocol, T: Sendable>(
        _ app: App,
        logger: Logger,
        _ body: @escaping @Sendable (InProcessTransport) async throws -> T
    ) async throws -> T {
        let responder = try await app.responder
        let transport = InProcessTransport { request in
            let context = App.Context(source: .init(channel: NIOAsyncTestingChannel(), logger: logger))
            return try await responder.respond(to: request, context: context)
        }
        for process in app.processesRunBeforeServerStart { try await process() }
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(
            configuration: .init(
                services: app.services + [StartedSignal(continuation: startedContinuation)],
                logger: logger
            )
        )
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                // Also ends the wait below if the group stops before it ever started.
                defer { startedContinuation.finish() }
                try await group.run()
                return nil
            }
            // Wait until the group runs, or an early graceful shutdown could leave services never started.
            for await _ in started {}
            do {
                let value = try await body(transport)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Finishes the "started" stream once the group runs, then waits for shutdown.
    private struct StartedSignal: Service {
        let continuation: AsyncStream<Void>.Continuation
        func run() async throws {
            continuation.finish()
            try? await gracefulShutdown()
        }
    }
}

// MARK: - HTTP

/// Sends requests to a server at a base URL (`--target http://127.0.0.1:12111`, or any server that speaks the
/// API). A connection the server closes without answering is `TransportError.connectionDropped`.
package struct HTTPTransport: StripeTransport {
    package let baseURL: String
    package var timeout: TimeAmount = .seconds(30)

    package init(baseURL: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
    }

    package func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        var req = HTTPClientRequest(url: baseURL + request.path)
        req.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { req.headers.add(name: name, value: value) }
        if let body = request.body { req.body = .bytes(ByteBuffer(string: body)) }
        do {
            let response = try await HTTPClient.shared.execute(req, timeout: timeout)
            let body = try await response.body.collect(upTo: 64 << 20)
            return TransportResponse(
                status: Int(response.status.code),
                headers: response.headers.map { ($0.name, $0.value) },
                body: String(buffer: body)
            )
        } catch {
            if Self.isDrop(error) { throw .connectionDropped("the server closed the connection without a response") }
            throw .failed("\(request.method) \(baseURL + request.path): \(error)")
        }
    }

    private static func isDrop(_ error: any Error) -> Bool {
        if let e = error as? HTTPClientError, e == .remoteConnectionClosed { return true }
        if let e = error as? ChannelError, e == .eof || e == .ioOnClosedChannel || e == .outputClosed {
            return true
        }
        if let e = error as? IOError, e.errnoCode == ECONNRESET || e.errnoCode == EPIPE { return true }
        return false
    }
}
