import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One signed POST of an event.
package struct WebhookRequest: Sendable {
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: String
    package var timeout: Duration

    package init(url: String, headers: [(name: String, value: String)], body: String, timeout: Duration) {
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// What came back: a response (any status) or a transport failure (refused, timeout, bad address…).
package enum WebhookResponse: Sendable, Equatable {
    case response(status: Int, bodyExcerpt: String)
    case failure(String)
}

/// Sends webhook POSTs. The boundary the dispatcher is tested through; the live one speaks HTTP.
package protocol WebhookTransport: Sendable {
    /// Never throws: every failure is a `.failure` the dispatcher records and retries.
    func send(_ request: WebhookRequest) async -> WebhookResponse
}

/// The live transport: AsyncHTTPClient with Stripe's delivery rules. Its own client (not `HTTPClient.shared`)
/// because a webhook must not follow redirects (a 3xx is a failed delivery) and a refused connection must
/// fail the attempt at once rather than be retried inside the client until the timeout.
///
/// Owned by `WebhookDispatcher.run()`, which shuts it down when the service stops.
package final class HTTPWebhookTransport: WebhookTransport {
    private let client: HTTPClient

    /// - Parameter timeout: the longest a connect or a wait for response bytes may take (each request also
    ///   carries its own deadline).
    package init(timeout: Duration = .seconds(10)) {
        let limit = TimeAmount.milliseconds(timeout.milliseconds)
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: limit, read: limit)
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    package func send(_ request: WebhookRequest) async -> WebhookResponse {
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        http.body = .bytes(ByteBuffer(string: request.body))
        let timeout = TimeAmount.milliseconds(request.timeout.milliseconds)
        do {
            let response = try await client.execute(http, timeout: timeout)
            // Read only what the excerpt needs; the rest is dropped.
            var collected: [UInt8] = []
            for try await chunk in response.body {
                collected += chunk.readableBytesView.prefix(4 * WebhookDelivery.excerptLength - collected.count)
                if collected.count >= 4 * WebhookDelivery.excerptLength { break }
            }
            let text = String(decoding: collected, as: UTF8.self)
            return .response(
                status: Int(response.status.code),
                bodyExcerpt: String(text.prefix(WebhookDelivery.excerptLength))
            )
        } catch {
            return .failure(Self.describe(error, timeout: request.timeout))
        }
    }

    /// A short, secret-free reason.
    static func describe(_ error: any Error, timeout: Duration) -> String {
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return "timeout after \(RetrySchedule([timeout]).description)"
            case .remoteConnectionClosed: return "connection closed by the receiver before a response"
            case .invalidURL, .emptyHost, .emptyScheme: return "invalid URL"
            default: return "\(e)"
            }
        }
        let text = "\(error)"
        if text.contains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111") {
            return "connection refused"
        }
        return text
    }
}
