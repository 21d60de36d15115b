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

    /// Whether `text` contains `secret` (any case), `sk_`, `pk_`, `rk_` or `whsec_` (which covers `sk_…`/`whsec_…`).
    static func mayHoldSecret(_ text: String) -> Bool {
        var window: UInt64 = 0  // the last eight bytes, lowercased
        for byte in text.utf8 {
            let b = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            window = (window << 8) | UInt64(b)
            let last3 = window & 0xFF_FFFF
            if last3 == 0x73_6B_5F || last3 == 0x70_6B_5F || last3 == 0x72_6B_5F { return true }  // sk_ pk_ rk_
            let last6 = window & 0xFFFF_FFFF_FFFF
            if last6 == 0x73_65_63_72_65_74 || last6 == 0x77_68_73_65_63_5F { return true }  // secret, whsec_
        }
        return false
    }

    /// `text` with every secret it contains masked.
    package static func mask(_ text: String) -> String {
        // Most bodies hold no candidate at all: one pass over the bytes decides that (Foundation's
        // case-insensitive search cost more than the request it was logging).
        guard mayHoldSecret(text) else { return text }
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
            appendMasked(token, to: &out)
            i = end
            // `secret`/`*_secret` named field: mask its value (`": "value"`, `=value`) whatever its form.
            if isSecretName(token), let valueStart = assignedValueStart(bytes, after: end) {
                out += bytes[end..<valueStart]
                var valueEnd = valueStart
                while valueEnd < bytes.count && isValueByte(bytes[valueEnd]) { valueEnd += 1 }
                let value = bytes[valueStart..<valueEnd]
                if value.isEmpty || value.elementsEqual(null) {
                    out += value
                } else {
                    let before = out.count
                    appendMasked(value, to: &out)
                    if out.count - before == value.count && out[before...].elementsEqual(value) {
                        out.removeSubrange(before...)
                        out += maskBytes
                    }
                }
                i = valueEnd
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let maskBytes = Array(mask.utf8)

    /// Appends one token, masked if it is a key or a secret.
    private static func appendMasked(_ token: ArraySlice<UInt8>, to out: inout [UInt8]) {
        // Every masked form has an underscore after at least two characters.
        guard token.count > 6 else {
            out += token
            return
        }
        let first = token[token.startIndex]
        if first == UInt8(ascii: "s") || first == UInt8(ascii: "p") || first == UInt8(ascii: "r") {
            for prefix in keyPrefixes where token.count > prefix.count && token.starts(with: prefix) {
                out += prefix
                out += maskBytes
                if token.count - prefix.count >= 16 { out += token.suffix(4) }
                return
            }
        }
        if first == UInt8(ascii: "w") && token.count > webhookSecretPrefix.count
            && token.starts(with: webhookSecretPrefix)
        {
            out += webhookSecretPrefix
            out += maskBytes
            return
        }
        if let marker = lastRange(of: secretMarker, in: token), marker.upperBound < token.endIndex {
            out += token[token.startIndex..<marker.upperBound]
            out += maskBytes
            return
        }
        out += token
    }

    private static func lastRange(of needle: [UInt8], in token: ArraySlice<UInt8>) -> Range<Int>? {
        guard token.count >= needle.count else { return nil }
        var start = token.endIndex - needle.count
        while start >= token.startIndex {
            // Cheap first-byte check before comparing the whole marker.
            if token[start] == needle[0] && token[start..<start + needle.count].elementsEqual(needle) {
                return start..<start + needle.count
            }
            start -= 1
        }
        return nil
    }

    private static let secretWord = Array("secret".utf8)

    /// `secret`, `client_secret`, `webhook_secret`… (ASCII, any case).
    private static func isSecretName(_ token: ArraySlice<UInt8>) -> Bool {
        guard token.count >= secretWord.count else { return false }
        let tail = token.suffix(secretWord.count)
        guard zip(tail, secretWord).allSatisfy({ ($0 | 0x20) == $1 }) else { return false }
        return token.count == secretWord.count || token[tail.startIndex - 1] == UInt8(ascii: "_")
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

    static func isTokenByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    /// A value runs to the next quote, `&`, `,`, `}`, `]`, whitespace or backslash.
    private static func isValueByte(_ b: UInt8) -> Bool {
        !(b == UInt8(ascii: "\"") || b == UInt8(ascii: "&") || b == UInt8(ascii: ",") || b == UInt8(ascii: "}")
            || b == UInt8(ascii: "]") || b == UInt8(ascii: "\\") || b <= 0x20)
    }
}
