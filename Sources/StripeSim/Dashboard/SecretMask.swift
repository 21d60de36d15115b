import Foundation

/// Hides secrets in text the dashboard keeps or shows (request and response bodies, query strings, object JSON).
///
/// Scans runs of `[A-Za-z0-9_]` and masks:
/// - API keys `sk_`/`pk_`/`rk_` (`test`/`live`): the prefix stays, the rest becomes `****` (plus the last four
///   characters when the key is long enough that they reveal little, as Stripe's dashboard does);
/// - webhook signing secrets `whsec_…`: the prefix stays;
/// - client secrets and anything else of the form `*_secret_*` (`pi_…_secret_…`, `fcsess_client_secret_…`):
///   everything up to the last `_secret_` stays;
/// - the value of any field or parameter named `secret` or `*_secret` (`"client_secret": "…"`,
///   `client_secret=…`), whatever it looks like.
///
/// ```swift
/// SecretMask.mask(#"{"client_secret": "pi_1_secret_abc"}"#)   // {"client_secret": "pi_1_secret_****"}
/// ```
package enum SecretMask {
    package static let mask = "****"
    private static let keyPrefixes = ["sk_test_", "sk_live_", "pk_test_", "pk_live_", "rk_test_", "rk_live_"].map {
        Array($0.utf8)
    }
    private static let webhookSecretPrefix = Array("whsec_".utf8)
    private static let secretMarker = Array("_secret_".utf8)
    private static let null = Array("null".utf8)

    /// `text` with every secret it contains masked.
    package static func mask(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard isTokenByte(bytes[i]) else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var end = i
            while end < bytes.count && isTokenByte(bytes[end]) { end += 1 }
            let token = bytes[i..<end]
            out += maskToken(token)
            i = end
            // `secret`/`*_secret` named field: mask its value (`": "value"`, `=value`) whatever its form.
            if isSecretName(token), let valueStart = assignedValueStart(bytes, after: end) {
                out += bytes[end..<valueStart]
                var valueEnd = valueStart
                while valueEnd < bytes.count && isValueByte(bytes[valueEnd]) { valueEnd += 1 }
                let value = bytes[valueStart..<valueEnd]
                if Array(value) == null || value.isEmpty {
                    out += value
                } else {
                    let masked = maskToken(value)
                    out += masked.elementsEqual(value) ? Array(mask.utf8) : masked
                }
                i = valueEnd
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One token, masked if it is a key or a secret.
    private static func maskToken(_ token: ArraySlice<UInt8>) -> [UInt8] {
        for prefix in keyPrefixes where token.starts(with: prefix) && token.count > prefix.count {
            let rest = token.count - prefix.count
            return prefix + Array(mask.utf8) + (rest >= 16 ? Array(token.suffix(4)) : [])
        }
        if token.starts(with: webhookSecretPrefix) && token.count > webhookSecretPrefix.count {
            return webhookSecretPrefix + Array(mask.utf8)
        }
        if let marker = lastRange(of: secretMarker, in: token), marker.upperBound < token.endIndex {
            return Array(token[token.startIndex..<marker.upperBound]) + Array(mask.utf8)
        }
        return Array(token)
    }

    private static func lastRange(of needle: [UInt8], in token: ArraySlice<UInt8>) -> Range<Int>? {
        guard token.count >= needle.count else { return nil }
        var start = token.endIndex - needle.count
        while start >= token.startIndex {
            if token[start..<start + needle.count].elementsEqual(needle) { return start..<start + needle.count }
            start -= 1
        }
        return nil
    }

    /// `secret`, `client_secret`, `webhook_secret`…
    private static func isSecretName(_ token: ArraySlice<UInt8>) -> Bool {
        let name = String(decoding: token, as: UTF8.self).lowercased()
        return name == "secret" || name.hasSuffix("_secret")
    }

    /// Where the value assigned to a name starts: after `":` / `=` (and spaces and an opening quote).
    private static func assignedValueStart(_ bytes: [UInt8], after end: Int) -> Int? {
        var j = end
        if j < bytes.count && bytes[j] == UInt8(ascii: "\"") { j += 1 }
        while j < bytes.count && bytes[j] == UInt8(ascii: " ") { j += 1 }
        guard j < bytes.count, bytes[j] == UInt8(ascii: ":") || bytes[j] == UInt8(ascii: "=") else { return nil }
        j += 1
        while j < bytes.count && bytes[j] == UInt8(ascii: " ") { j += 1 }
        if j < bytes.count && bytes[j] == UInt8(ascii: "\"") { j += 1 }
        return j
    }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// A value runs to the next quote, `&`, `,`, `}`, `]`, whitespace or backslash.
    private static func isValueByte(_ b: UInt8) -> Bool {
        !(b == UInt8(ascii: "\"") || b == UInt8(ascii: "&") || b == UInt8(ascii: ",") || b == UInt8(ascii: "}")
            || b == UInt8(ascii: "]") || b == UInt8(ascii: "\\") || b <= 0x20)
    }
}
