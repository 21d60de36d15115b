import Crypto
import Foundation

/// Stripe's webhook signature (reference/webhooks.md §1): `v1` = lowercase hex HMAC-SHA256 of `"<t>.<body>"`,
/// keyed with the whole secret string (`whsec_` prefix included, no decoding), sent as
/// `Stripe-Signature: t=<unix seconds>,v1=<hex>,v0=<hex>`. The `v0` is a decoy, as Stripe adds in test mode:
/// verifiers only look at `v1`.
///
/// ```swift
/// let header = WebhookSignature.header(payload: body, secret: "whsec_…", timestamp: 1_700_000_000)
/// try WebhookSignature.verify(header: header, payload: body, secret: "whsec_…", now: 1_700_000_010)
/// ```
package enum WebhookSignature {
    /// stripe-python's and stripe-node's default tolerance for the timestamp's age, in seconds.
    package static let defaultTolerance = 300

    /// `v1`: hex HMAC-SHA256 of `"<timestamp>.<payload>"` with `secret` as the key.
    package static func v1(payload: some DataProtocol, secret: String, timestamp: Int) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: payload)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return hex(mac)
    }

    package static func v1(payload: String, secret: String, timestamp: Int) -> String {
        v1(payload: Data(payload.utf8), secret: secret, timestamp: timestamp)
    }

    /// The `Stripe-Signature` value for these exact bytes.
    package static func header(payload: String, secret: String, timestamp: Int, includeV0: Bool = true) -> String {
        var out = "t=\(timestamp),v1=\(v1(payload: payload, secret: secret, timestamp: timestamp))"
        if includeV0 {
            // Same construction under a key no verifier knows: present, well-formed, never valid.
            out += ",v0=\(v1(payload: payload, secret: "stripe-sim-v0:" + secret, timestamp: timestamp))"
        }
        return out
    }

    /// Why a signature does not verify (stripe-python's `SignatureVerificationError` messages).
    package enum VerificationError: Error, Equatable, CustomStringConvertible {
        case malformedHeader
        case noV1Signatures
        case noMatch
        case timestampOutsideTolerance(Int)

        package var description: String {
            switch self {
            case .malformedHeader: "Unable to extract timestamp and signatures from header"
            case .noV1Signatures: "No signatures found with expected scheme v1"
            case .noMatch: "No signatures found matching the expected signature for payload"
            case .timestampOutsideTolerance(let t): "Timestamp outside the tolerance zone (\(t))"
            }
        }
    }

    /// Verifies a `Stripe-Signature` header as stripe-python's `WebhookSignature.verify_header` does: the first
    /// `t`, every `v1` (other schemes ignored), a constant-time compare, then only *old* timestamps fail
    /// (`tolerance` 0 disables the age check).
    package static func verify(
        header: String,
        payload: String,
        secret: String,
        tolerance: Int = defaultTolerance,
        now: Int
    ) throws(VerificationError) {
        var timestamp: Int?
        var signatures: [String] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: false) {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2 else { continue }
            let key = String(kv[0])
            let value = String(kv[1])
            if key == "t", timestamp == nil {
                guard let t = Int(value.trimmingCharacters(in: .whitespaces)) else { throw .malformedHeader }
                timestamp = t
            } else if key == "v1" {
                signatures.append(value)
            }
        }
        guard let timestamp else { throw .malformedHeader }
        guard !signatures.isEmpty else { throw .noV1Signatures }
        let expected = v1(payload: payload, secret: secret, timestamp: timestamp)
        guard signatures.contains(where: { constantTimeEqual($0, expected) }) else { throw .noMatch }
        if tolerance > 0, timestamp < now - tolerance { throw .timestampOutsideTolerance(timestamp) }
    }

    /// For logs: `whsec_****` + the last four characters.
    package static func mask(_ secret: String) -> String {
        let prefix = secret.hasPrefix("whsec_") ? "whsec_" : ""
        return prefix + "****" + String(secret.suffix(4))
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
