import Hummingbird
import NIOCore

/// Reading a request's body: the one place a body that cannot be read becomes an error. It is larger than the
/// reader accepts (413); or it cannot be read at all (400): it ended before its `Content-Length`, or its chunked
/// framing is broken; or its bytes are not UTF-8 (400, like a percent-encoded value that is not: nothing is
/// silently replaced). None is the server's failure, so none may answer 5xx.
package enum BodyReading {
    package enum Failure: Error, Equatable {
        case tooLarge(max: Int)
        case unreadable
        case notUTF8
    }

    /// The body as text, collected into `request` (whoever reads it next gets it again).
    package static func text(of request: inout Request, upTo max: Int) async -> Result<String, Failure> {
        do {
            let buffer = try await request.collectBody(upTo: max)
            guard let text = buffer.withUnsafeReadableBytes({ String(validating: $0, as: UTF8.self) }) else {
                return .failure(.notUTF8)
            }
            return .success(text)
        } catch let error where error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge {
            return .failure(.tooLarge(max: max))
        } catch {
            return .failure(.unreadable)
        }
    }
}

extension StripeError {
    /// A body the API could not read, in Stripe's envelope.
    package static func body(_ failure: BodyReading.Failure) -> StripeError {
        switch failure {
        case .tooLarge(let max):
            StripeError(
                status: 413,
                message: "The request body is larger than the simulator accepts (\(max) bytes).",
                isValidationFailure: true
            )
        case .unreadable:
            StripeError(
                status: 400,
                message:
                    "The request body could not be read: it ended before its Content-Length, or its chunked framing is invalid.",
                isValidationFailure: true
            )
        case .notUTF8:
            StripeError(status: 400, message: "The request body is not valid UTF-8.", isValidationFailure: true)
        }
    }
}
