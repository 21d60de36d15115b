import Hummingbird

/// Per-request state shared by the middleware and the API pipeline.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// `req_…`, set first by `StripeMiddleware`, returned in `Request-Id`.
    package var requestID = ""

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
