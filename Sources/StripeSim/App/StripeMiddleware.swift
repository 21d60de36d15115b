import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The outermost middleware: gives every request a `req_…` id, renders every error as Stripe's envelope (v1 or
/// v2 by path; never a bare 500), except on the hosted flow's HTML pages, which get an HTML error page; stamps
/// `Request-Id` on every response and logs one line per request at debug level (path without the query string,
/// client secrets in flow paths masked: no client secrets or keys reach the log). API calls made with a
/// well-formed key also go to the dashboard's `RequestLog`, masked.
package struct StripeMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let deps: AppDependencies

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = "req_" + deps.requestIDs.token(14)
        let started = ContinuousClock.now
        let path = request.uri.path
        var logAccount: String?
        if path.hasPrefix("/v1/") || path.hasPrefix("/v2/") {
            let authentication = Result { () throws(StripeError) in
                try APIKeyAuth.authenticate(authorization: request.headers.value(.authorization))
            }
            context.authentication = authentication
            if case .success(let credentials) = authentication {
                logAccount = credentials.account
                context.requestLogDraft = RequestLogDraft()
            }
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let dropped as ConnectionDropped {
            // No answer at all: the connection is already closed (see `FaultMiddleware`).
            deps.logger.info(
                "\(request.method.rawValue) \(HostedFlowPages.redacted(path: path)) dropped (\(dropped.rule)) \(context.requestID)"
            )
            throw dropped
        } catch {
            if HostedFlowPages.servesHTML(path: path) {
                response = HostedFlowPages.errorResponse(
                    error,
                    flow: nil,
                    requestID: context.requestID,
                    logger: deps.logger
                )
            } else {
                let (status, headers, body) = Self.errorParts(
                    error,
                    request: request,
                    requestID: context.requestID,
                    logger: deps.logger
                )
                context.requestLogDraft?.setResponseBody(body)
                response = APIPipeline.jsonResponse(status: status, body: body, headers: headers)
            }
        }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        // One line per request at debug: at info level on a busy server the log write costs more than the request.
        if deps.logger.logLevel <= .debug {
            deps.logger.debug(
                "\(request.method.rawValue) \(HostedFlowPages.redacted(path: path)) \(response.status.code) \(String(format: "%.1f", ms))ms \(context.requestID)"
            )
        }
        if let logAccount, let draft = context.requestLogDraft {
            deps.requestLog.record(
                request: request,
                account: logAccount,
                requestID: context.requestID,
                status: Int(response.status.code),
                draft: draft,
                startedAtMillis: Int(deps.wallClock.now().timeIntervalSince1970 * 1000 - ms),
                latencyMs: ms
            )
        }
        return response
    }

    package static func errorResponse(
        _ error: any Error,
        request: Request,
        requestID: String,
        logger: Logger
    )
        -> Response
    {
        if HostedFlowPages.servesHTML(path: request.uri.path) {
            return HostedFlowPages.errorResponse(error, flow: nil, requestID: requestID, logger: logger)
        }
        let (status, headers, body) = errorParts(error, request: request, requestID: requestID, logger: logger)
        return APIPipeline.jsonResponse(status: status, body: body, headers: headers)
    }

    /// Any error as Stripe's JSON envelope (v1 or v2 by path): status, headers and body.
    private static func errorParts(
        _ error: any Error,
        request: Request,
        requestID: String,
        logger: Logger
    )
        -> (Int, HTTPFields, String)
    {
        let isV2 = request.uri.path.hasPrefix("/v2/")
        let stripeError: StripeError
        switch error {
        case let e as StripeError:
            stripeError = e
        case let e as HTTPError where e.status == .notFound || e.status == .methodNotAllowed:
            stripeError = .unrecognizedURL(method: request.method.rawValue, path: request.uri.path)
        case let e as HTTPError where e.status == .contentTooLarge:
            stripeError = StripeError(status: 413, message: "The request body is too large.")
        case let e as HTTPError where (400..<500).contains(e.status.code):
            stripeError = StripeError(status: e.status.code, message: e.body ?? e.status.reasonPhrase)
        default:
            logger.error(
                "\(request.method.rawValue) \(HostedFlowPages.redacted(path: request.uri.path)) failed \(requestID): \(error)"
            )
            stripeError = .internalError(requestID)
        }
        var headers = HTTPFields()
        if stripeError.status == 409 || stripeError.status >= 500 { headers[.stripeShouldRetry] = "true" }
        if stripeError.status == 401 { headers[.wwwAuthenticate] = "Basic realm=\"Stripe\"" }
        return (stripeError.status, headers, (isV2 ? stripeError.v2Body : stripeError.v1Body).serialized())
    }
}
