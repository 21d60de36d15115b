import Foundation

/// Every error the simulator answers with, in Stripe's terms. Thrown by conventions, domain and handlers alike;
/// rendered in one place (`StripeError+Response.swift`) as the v1 envelope or the v2 shape.
package struct StripeError: Error, Sendable, Equatable {
    /// HTTP status code.
    package var status: Int
    /// `invalid_request_error`, `api_error`, `card_error`, `idempotency_error`, `rate_limit_error`…
    package var type: String
    package var code: String?
    package var message: String
    package var param: String?
    /// Extra envelope members: `payment_intent`, `setup_intent`, `payment_method`, `decline_code`…
    package var extra: [String: JSONValue] = [:]
    /// Parameter-validation failures are not stored under an idempotency key (Stripe saves a result only once
    /// endpoint execution begins), so the same key can be retried with corrected parameters.
    package var isValidationFailure = false
    /// The request's changes are kept although it answers with this error (a declined confirmation records its
    /// failed charge; a wrong microdeposit guess uses up an attempt).
    package var commitsChanges = false

    package init(
        status: Int,
        type: String = "invalid_request_error",
        code: String? = nil,
        message: String,
        param: String? = nil,
        extra: [String: JSONValue] = [:],
        isValidationFailure: Bool = false
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.extra = extra
        self.isValidationFailure = isValidationFailure
    }

    /// This error, but committing the request's changes.
    package var committing: StripeError {
        var e = self
        e.commitsChanges = true
        return e
    }

    /// The v1 envelope body (`{"error": {…}}`); null members omitted, as Stripe does.
    package var v1Body: JSONValue {
        var e: [String: JSONValue] = ["type": .string(type), "message": .string(message)]
        if let code {
            e["code"] = .string(code)
            e["doc_url"] = .string(
                "https://stripe.com/docs/error-codes/\(code.replacingOccurrences(of: "_", with: "-"))"
            )
        }
        if let param { e["param"] = .string(param) }
        for (k, v) in extra { e[k] = v }
        return ["error": .object(e)]
    }

    /// The v2 shape: `type`, `code` (required there) and `message`.
    package var v2Body: JSONValue {
        var e: [String: JSONValue] = [
            "type": .string(type),
            "code": .string(code == "resource_missing" ? "not_found" : code ?? Self.v2Code(status: status)),
            "message": .string(message),
        ]
        if let param { e["param"] = .string(param) }
        return ["error": .object(e)]
    }

    private static func v2Code(status: Int) -> String {
        switch status {
        case 401: "unauthorized"
        case 404: "not_found"
        case 409: "idempotency_key_in_use"
        case 429: "rate_limit"
        case 500...: "internal_error"
        default: "invalid_request"
        }
    }
}

// MARK: - Factories (one per Stripe error)

extension StripeError {
    /// `No such customer: 'cus_123'` — 404 `resource_missing`.
    package static func resourceMissing(_ objectName: String, _ id: String, param: String = "id") -> StripeError {
        StripeError(
            status: param == "id" ? 404 : 400,
            code: "resource_missing",
            message: "No such \(objectName): '\(id)'",
            param: param
        )
    }

    package static func parameterMissing(_ param: String) -> StripeError {
        StripeError(
            status: 400,
            code: "parameter_missing",
            message: "Missing required param: \(param).",
            param: param,
            isValidationFailure: true
        )
    }

    package static func parameterUnknown(_ param: String) -> StripeError {
        StripeError(
            status: 400,
            code: "parameter_unknown",
            message: "Received unknown parameter: \(param)",
            param: param,
            isValidationFailure: true
        )
    }

    package static func invalidInteger(_ param: String, _ value: String) -> StripeError {
        StripeError(
            status: 400,
            code: "parameter_invalid_integer",
            message: "Invalid integer: \(value)",
            param: param,
            isValidationFailure: true
        )
    }

    package static func invalidBoolean(_ param: String, _ value: String) -> StripeError {
        StripeError(
            status: 400,
            message: "Invalid boolean: \(value)",
            param: param,
            isValidationFailure: true
        )
    }

    package static func invalidEnum(_ param: String, _ value: String, allowed: [String]) -> StripeError {
        let list: String
        if allowed.count <= 1 {
            list = allowed.first ?? ""
        } else {
            list = allowed.dropLast().joined(separator: ", ") + ", or " + allowed.last!
        }
        return StripeError(
            status: 400,
            message: "Invalid \(param): must be one of \(list)",
            param: param,
            isValidationFailure: true
        )
    }

    package static func invalidEmpty(_ param: String) -> StripeError {
        StripeError(
            status: 400,
            code: "parameter_invalid_empty",
            message:
                "You passed an empty string for '\(param)'. We assume empty values are an attempt to unset a parameter; however '\(param)' cannot be unset. You should remove '\(param)' from your request or supply a non-empty value.",
            param: param,
            isValidationFailure: true
        )
    }

    package static func invalidHash(_ param: String) -> StripeError {
        StripeError(status: 400, message: "Invalid object", param: param, isValidationFailure: true)
    }

    package static func invalidArray(_ param: String) -> StripeError {
        StripeError(status: 400, message: "Invalid array", param: param, isValidationFailure: true)
    }

    package static func invalidString(_ param: String) -> StripeError {
        StripeError(
            status: 400,
            message: "Invalid string: expected a string for \(param)",
            param: param,
            isValidationFailure: true
        )
    }

    package static func stringTooLong(_ param: String, max: Int) -> StripeError {
        StripeError(
            status: 400,
            message: "Invalid \(param): must be at most \(max) characters",
            param: param,
            isValidationFailure: true
        )
    }

    package static func parametersExclusive(_ a: String, _ b: String) -> StripeError {
        StripeError(
            status: 400,
            message: "Received both \(a) and \(b) parameters. Please pass in only one.",
            isValidationFailure: true
        )
    }

    package static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> StripeError {
        StripeError(status: 400, code: code, message: message, param: param)
    }

    package static func validation(_ message: String, param: String? = nil, code: String? = nil) -> StripeError {
        StripeError(status: 400, code: code, message: message, param: param, isValidationFailure: true)
    }

    package static func unrecognizedURL(method: String, path: String) -> StripeError {
        StripeError(
            status: 404,
            message:
                "Unrecognized request URL (\(method): \(path)). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
            isValidationFailure: true
        )
    }

    package static func internalError(_ requestID: String) -> StripeError {
        StripeError(
            status: 500,
            type: "api_error",
            message: "An unexpected error occurred in the simulator while processing request \(requestID)."
        )
    }
}
