import Crypto
import Foundation
import Synchronization

/// Who is calling: the account a key names and what kind of key it is.
package struct Credentials: Sendable, Equatable {
    package enum Kind: Sendable, Equatable { case secret, restricted, publishable }
    package var kind: Kind
    /// The isolated account (`acct_…`) every object of the key lives in. `sk_test_X`, `rk_test_X` and `pk_test_X`
    /// share it; any other `X` gets its own.
    package var account: String
    /// The key as it may appear in logs: prefix and last four characters only.
    package var maskedKey: String
}

/// `Authorization: Bearer sk_test_…` or HTTP Basic with the key as user. Test mode only.
package enum APIKeyAuth {
    private static let noKeyMessage =
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."

    /// Memoised (bounded) by the whole header: a client sends the same one on every request.
    package static func authenticate(authorization: String?) throws(StripeError) -> Credentials {
        if let authorization, let known = headerCache.withLock({ $0[authorization] }) { return known }
        let credentials = try parse(authorization: authorization)
        if let authorization {
            headerCache.withLock { cache in
                if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
                cache[authorization] = credentials
            }
        }
        return credentials
    }

    private static let headerCache = Mutex<[String: Credentials]>([:])

    private static func parse(authorization: String?) throws(StripeError) -> Credentials {
        guard let header = authorization?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            throw StripeError(status: 401, message: noKeyMessage)
        }
        let key: String
        let lower = header.lowercased()
        if lower.hasPrefix("bearer ") {
            key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        } else if lower.hasPrefix("basic ") {
            let encoded = String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)
            guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else {
                throw StripeError(
                    status: 401,
                    message:
                        "Invalid API Key provided: the HTTP Basic credentials are not valid base64. Use your API key as the username and leave the password empty."
                )
            }
            key = String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        } else {
            throw StripeError(
                status: 401,
                message:
                    "You did not provide an API key, though you did set your Authorization header to \"\(header.prefix(40))\". Using Bearer auth, your Authorization header should look something like 'Authorization: Bearer YOUR_SECRET_KEY'. See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
            )
        }
        if key.isEmpty { throw StripeError(status: 401, message: noKeyMessage) }
        return try credentials(forKey: key)
    }

    package static func credentials(forKey key: String) throws(StripeError) -> Credentials {
        let kinds: [(String, Credentials.Kind)] = [
            ("sk_test_", .secret), ("rk_test_", .restricted), ("pk_test_", .publishable),
        ]
        for live in ["sk_live_", "rk_live_", "pk_live_"] where key.hasPrefix(live) {
            throw StripeError(
                status: 401,
                code: "api_key_invalid",
                message:
                    "Live mode keys are refused: stripe-sim is a test-mode simulator. Use a test key (sk_test_…) instead of \(mask(key))."
            )
        }
        for (prefix, kind) in kinds where key.hasPrefix(prefix) {
            let suffix = key.dropFirst(prefix.count)
            guard !suffix.isEmpty, suffix.count <= 247,
                suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else { break }
            return Credentials(kind: kind, account: accountID(forKeySuffix: String(suffix)), maskedKey: mask(key))
        }
        if key.contains(" ") {
            throw StripeError(
                status: 401,
                message:
                    "Invalid API Key provided: \(mask(key)). This key contains at least one space. Please delete the spaces and try again. If you have any questions, we can help at https://support.stripe.com/."
            )
        }
        throw StripeError(status: 401, message: "Invalid API Key provided: \(mask(key))")
    }

    /// `acct_` + 16 hex characters of SHA-256 of the key's suffix: stable, and reveals nothing of the key.
    /// Memoised (bounded): every request derives it.
    package static func accountID(forKeySuffix suffix: String) -> String {
        if let known = accountCache.withLock({ $0[suffix] }) { return known }
        let hex = Array("0123456789abcdef")
        var id = "acct_"
        for byte in SHA256.hash(data: Data(suffix.utf8)).prefix(8) {
            id.append(hex[Int(byte >> 4)])
            id.append(hex[Int(byte & 0x0F)])
        }
        accountCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll(keepingCapacity: true) }
            cache[suffix] = id
        }
        return id
    }

    private static let accountCache = Mutex<[String: String]>([:])

    /// Stripe's masking: the prefix up to the last `_` stays, then every character but the last four becomes `*`
    /// (separators such as `-` stay): `sk_test_********************1234`.
    package static func mask(_ key: String) -> String {
        let prefixEnd = key.lastIndex(of: "_").map { key.index(after: $0) } ?? key.startIndex
        let prefix = key[..<prefixEnd]
        let rest = Array(key[prefixEnd...])
        let masked = rest.enumerated().map { i, c in
            i >= rest.count - 4 || c == "-" ? c : "*"
        }
        return prefix + String(masked)
    }

    /// The error for a publishable key on a secret-key endpoint.
    package static func secretKeyRequired() -> StripeError {
        StripeError(
            status: 403,
            code: "secret_key_required",
            message:
                "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
        )
    }
}
