import Foundation

/// `Stripe-Version`: any well-formed version is accepted and echoed; a malformed one is Stripe's 400.
package enum StripeVersion {
    /// The version responses are rendered in when a request names none (stripe-python 15.x pins it).
    package static let current = "2026-06-24.dahlia"
    /// The version that removed `PaymentIntent.charges`.
    package static let chargesRemoved = "2022-11-15"

    /// The version to render in: the header's, or `current`.
    package static func resolve(_ header: String?) throws(StripeError) -> String {
        guard let raw = header?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return current }
        guard isWellFormed(raw) else {
            throw StripeError(status: 400, message: "Invalid Stripe API version: \(raw)", isValidationFailure: true)
        }
        return raw
    }

    /// `YYYY-MM-DD` with a real date, optionally `.name` (`.dahlia`, `.preview`): lowercase letters.
    package static func isWellFormed(_ v: String) -> Bool {
        let parts = v.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let date = parts[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
            let y = Int(date[0]), let m = Int(date[1]), let d = Int(date[2]),
            (2011...2100).contains(y), (1...12).contains(m), (1...31).contains(d)
        else { return false }
        if parts.count == 2 {
            let name = parts[1]
            guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") })
            else { return false }
        }
        return true
    }

    /// The `YYYY-MM-DD` part, for comparing versions.
    package static func date(of v: String) -> String { String(v.prefix(10)) }

    /// Whether a version predates the removal of the embedded `charges` list on PaymentIntents.
    package static func hasEmbeddedCharges(_ v: String) -> Bool { date(of: v) < chargesRemoved }
}
