import Hummingbird
import NIOCore

/// Per-request state shared by the middleware and the API pipeline.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// `req_…`, set first by `StripeMiddleware`, returned in `Request-Id`.
    package var requestID = ""
    /// Set by `StripeMiddleware` for an API request the dashboard's request log records; the API pipeline leaves
    /// the request body it collected here.
    package var requestLogDraft: RequestLogDraft?
    /// The `Authorization` header of a `/v1` or `/v2` request, authenticated once by `StripeMiddleware` (the
    /// request log, the fault rules and the API pipeline all need it); `nil` elsewhere.
    package var authentication: Result<Credentials, StripeError>?
    /// The connection the request came on: a fault rule's `drop` effect closes it without answering.
    package var channel: any Channel

    /// The request's credentials: those `StripeMiddleware` authenticated, or the `Authorization` header's now
    /// (a router built without the middleware).
    package func credentials(_ request: Request) throws(StripeError) -> Credentials {
        if let authentication { return try authentication.get() }
        return try APIKeyAuth.authenticate(authorization: request.headers.value(.authorization))
    }

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
