import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `--record FILE`: the outermost middleware when recording, so it sees each request as the client sent it
/// and each response as it leaves (with `Request-Id`, errors rendered), and a dropped connection as such.
package struct RecordingMiddleware: RouterMiddleware {
    package typealias Context = AppRequestContext
    let recorder: Recorder
    let maxBodyBytes: Int

    package init(recorder: Recorder, maxBodyBytes: Int) {
        self.recorder = recorder
        self.maxBodyBytes = maxBodyBytes
    }

    package func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let arrived = recorder.elapsedMillis
        var request = request
        let body: String
        switch await BodyReading.text(of: &request, upTo: maxBodyBytes) {
        case .success(let text): body = text
        case .failure(let error):
            // Too large or unreadable: answer as the pipeline would, and record that answer.
            let requestID = "req_" + IDGenerator.random.token(14)
            var response = StripeMiddleware.errorResponse(
                StripeError.body(error),
                request: request,
                requestID: requestID,
                logger: context.logger
            )
            response.headers[.requestID] = requestID
            let kept =
                switch error {
                case .tooLarge: "<body larger than \(maxBodyBytes) bytes>"
                case .unreadable: "<body unreadable>"
                case .notUTF8: "<body not UTF-8>"
                }
            return try await recorded(request, kept, response, arrived)
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let dropped as ConnectionDropped {
            record(request, body, status: nil, headers: [], responseBody: "", dropped: dropped.moment.rawValue, arrived)
            throw dropped
        }
        return try await recorded(request, body, response, arrived)
    }

    private func recorded(
        _ request: Request,
        _ body: String,
        _ response: Response,
        _ arrived: Int
    ) async throws
        -> Response
    {
        let collector = BodyCollector()
        var response = response
        try await response.body.write(collector)
        let bytes = collector.collected
        response.body = ResponseBody(byteBuffer: bytes)
        record(
            request,
            body,
            status: response.status.code,
            headers: response.headers.map { ($0.name.rawName, $0.value) },
            responseBody: String(buffer: bytes),
            dropped: nil,
            arrived
        )
        return response
    }

    private func record(
        _ request: Request,
        _ body: String,
        status: Int?,
        headers: [(String, String)],
        responseBody: String,
        dropped: String?,
        _ arrived: Int
    ) {
        recorder.record(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query ?? "",
            authorization: request.headers.value(.authorization),
            headers: request.headers.map { ($0.name.rawName, $0.value) },
            body: body,
            status: status,
            responseHeaders: headers,
            responseBody: responseBody,
            dropped: dropped,
            arrivedAt: arrived
        )
    }
}
