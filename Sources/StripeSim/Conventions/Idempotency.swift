import Crypto
import Foundation
import Synchronization

/// `Idempotency-Key`: the first response (status and body, errors included) is stored with a fingerprint of the
/// request and replayed byte for byte to a retry; a reuse with other parameters is an `idempotency_error`; a
/// retry while the first is still running is a 409. Keys are scoped to the account and expire (v1: 24 h,
/// v2: 30 days). Parameter-validation failures are not stored, so a corrected retry can reuse the key.
package final class IdempotencyGate: Sendable {
    package static let v1Lifetime = 86_400
    package static let v2Lifetime = 30 * 86_400

    private let inFlight = Mutex<Set<String>>([])

    package init() {}

    /// Claims `key` for this account until `end`; a concurrent claim is Stripe's 409.
    package func begin(account: String, key: String) throws(StripeError) {
        let claimed = inFlight.withLock { $0.insert(account + "\u{0}" + key).inserted }
        if !claimed { throw Self.inUse(key) }
    }

    package func end(account: String, key: String) {
        _ = inFlight.withLock { $0.remove(account + "\u{0}" + key) }
    }

    package static func validate(key: String) throws(StripeError) {
        guard (1...255).contains(key.count) else {
            throw StripeError(
                status: 400,
                type: "idempotency_error",
                message:
                    "Idempotent key length is \(key.count) characters long, which is outside accepted lengths. Idempotent Keys must be 1-255 characters long. If you're looking for a decent generator, try using a UUID defined by IETF RFC 4122.",
                isValidationFailure: true
            )
        }
    }

    /// Identifies "the same request": method, path and the parameters in canonical order.
    package static func fingerprint(method: String, path: String, canonicalParams: String) -> String {
        let digest = SHA256.hash(data: Data("\(method) \(path)\n\(canonicalParams)".utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Form pairs sorted (so `a=1&b=2` and `b=2&a=1` are the same request).
    package static func canonicalForm(_ body: String) -> String {
        body.split(separator: "&").sorted().joined(separator: "&")
    }

    package static func inUse(_ key: String) -> StripeError {
        StripeError(
            status: 409,
            code: "idempotency_key_in_use",
            message:
                "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): \(key). Please try again later.",
            isValidationFailure: true
        )
    }

    package static func mismatch(_ key: String) -> StripeError {
        StripeError(
            status: 400,
            type: "idempotency_error",
            code: nil,
            message:
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '\(key)' if you meant to execute a different request.",
            isValidationFailure: true
        )
    }
}
