import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Applies fault rules: the one place they act. Sits right inside `StripeMiddleware`, so an `error` effect is
/// rendered like any Stripe error (v1 or v2 envelope, `Request-Id`), and in front of routing and the API
/// pipeline, so a faulted request never reaches its handler (except `drop: after`, which runs it first).
///
/// Effects, in order: `latency_ms` (sleep), then `error` (answer with it; nothing is applied and no
/// idempotency record is kept, as with Stripe's own 429s), or `drop` (close the connection without an answer,
/// `before` or `after` applying the request).
package struct FaultMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let faults: FaultRegistry
    let logger: Logger
    let maxBodyBytes: Int

    package init(faults: FaultRegistry, logger: Logger, maxBodyBytes: Int) {
        self.faults = faults
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard !faults.isEmpty, !FaultRegistry.isExempt(path),
            let credentials = try? context.credentials(request)
        else { return try await next(request, context) }
        let method = request.method.rawValue
        var request = request
        var parameters: [(String, String)]?
        if faults.needsParameters(method: method, path: path, account: credentials.account) {
            parameters = try await Self.parameters(of: &request, maxBodyBytes: maxBodyBytes)
        }
        guard
            let rule = faults.evaluate(
                method: method,
                path: path,
                account: credentials.account,
                parameters: parameters
            )
        else { return try await next(request, context) }
        logger.info(
            "fault rule \(rule.id) fired on \(method) \(HostedFlowPages.redacted(path: path)) \(context.requestID)"
        )

        let effect = rule.spec.effect
        if let ms = effect.latencyMillis, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
        if let error = rule.stripeError() { throw error }
        switch effect.drop {
        case nil:
            return try await next(request, context)
        case .before:
            try? await context.channel.close()
            throw ConnectionDropped(rule: rule.id, moment: .before)
        case .after:
            _ = try? await next(request, context)
            try? await context.channel.close()
            throw ConnectionDropped(rule: rule.id, moment: .after)
        }
    }

    /// The request's parameters in bracket notation: query string, then the body (form, or JSON on /v2). The
    /// body is collected into the request so the pipeline reads it again.
    static func parameters(of request: inout Request, maxBodyBytes: Int) async throws -> [(String, String)] {
        var pairs = FaultRegistry.flatten((try? FormDecoding.decode(request.uri.query ?? "")) ?? RawHash())
        let text = try await BodyReading.text(of: &request, upTo: maxBodyBytes).mapError(StripeError.body).get()
        if text.isEmpty { return pairs }
        if request.uri.path.hasPrefix("/v2/") {
            if let json = JSONValue.parse(text), case .hash(let h) = FormDecoding.raw(from: json) {
                pairs += FaultRegistry.flatten(h)
            }
        } else if let form = try? FormDecoding.decode(text) {
            pairs += FaultRegistry.flatten(form)
        }
        return pairs
    }
}

/// A fault rule closed the connection: no response is written. In process the transport sees this error; over
/// HTTP the channel is already closed when Hummingbird tries to answer, so the client sees the socket close.
package struct ConnectionDropped: Error, Sendable, CustomStringConvertible {
    package var rule: String
    package var moment: FaultRule.DropMoment

    package var description: String {
        "connection dropped by fault rule \(rule) (\(moment == .before ? "before" : "after") the request was applied)"
    }
}
