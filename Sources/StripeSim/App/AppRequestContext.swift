import Hummingbird
import NIOCore

/// Per-request state shared by the middleware and the API pipeline.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// `req_…`, set first by `StripeMiddleware`, returned in `Request-Id`.
    package var requestID = ""
    /// The connection the request came on: a fault rule's `drop` effect closes it without answering.
    package var channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
