import Crypto
import Foundation

/// Masks secrets in recorded text, so a recording can be shared: API keys, client secrets and webhook signing
/// secrets. Each secret becomes a stable alias derived from a salted hash (the same secret always gets the same
/// alias, in one recording or across sessions appended to one file; different secrets get different ones), so a
/// replay can still tell them apart and map them to the secrets of the replayed run.
///
/// - `sk_test_X`, `pk_test_X`, `rk_test_X` (and `_live_`) → `sk_test_rec<hash of X>`: the key kinds of one
///   account keep sharing an alias, so `pk_test_X` still belongs to `sk_test_X`'s account in a replay.
/// - `whsec_…` → `whsec_masked<hash>`.
/// - `…_secret_…` client secrets (`pi_…_secret_…`, `fcsess_client_secret_…`) → `…_secret_masked<hash>`.
package enum SecretMasker {
    package static func mask(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var run = ""
        for ch in text.unicodeScalars {
            if ch.isASCII, ch.properties.isAlphabetic || ("0"..."9").contains(ch) || ch == "_" {
                run.unicodeScalars.append(ch)
            } else {
                out += maskWord(run)
                run = ""
                out.unicodeScalars.append(ch)
            }
        }
        return out + maskWord(run)
    }

    /// One `[A-Za-z0-9_]+` word.
    package static func maskWord(_ word: String) -> String {
        guard word.count > 6, word.contains("_") else { return word }
        for kind in ["sk_", "pk_", "rk_"] where word.hasPrefix(kind) {
            for mode in ["test_", "live_"] where word.dropFirst(3).hasPrefix(mode) {
                let suffix = word.dropFirst(3 + mode.count)
                guard !suffix.isEmpty else { return word }
                return kind + mode + alias(forKeySuffix: String(suffix))
            }
        }
        if word.hasPrefix("whsec_") { return "whsec_masked" + hash(word) }
        if let r = word.range(of: "_secret_") {
            let tail = word[r.upperBound...]
            if !tail.hasPrefix("masked"), tail.contains(where: { $0.isNumber || $0.isUppercase }) {
                return word[..<r.upperBound] + "masked" + hash(word)
            }
        }
        return word
    }

    /// The alias a key's suffix gets (`rec` + 10 hex characters).
    package static func alias(forKeySuffix suffix: String) -> String {
        if suffix.hasPrefix("rec"), suffix.count == 13 { return suffix }  // already an alias
        return "rec" + hash("key:" + suffix)
    }

    private static func hash(_ s: String) -> String {
        SHA256.hash(data: Data(("stripe-sim-record:" + s).utf8)).prefix(5).map { String(format: "%02x", $0) }.joined()
    }
}
