import Crypto
import Foundation
import HTTPTypes
import Hummingbird

extension Dashboard {
    /// Which account the dashboard shows, and the CSRF token of its forms.
    ///
    /// The viewer enters an API key once (form, or `/?key=sk_test_…` which redirects at once); the dashboard keeps
    /// only the account id that key names (`acct_…`, see `APIKeyAuth`), signed with a key made at start, in an
    /// HttpOnly, SameSite=Strict cookie. The API key itself is never stored, logged or echoed. A restart makes a
    /// new signing key, so the viewer enters the key again.
    ///
    /// Every form that changes state carries a CSRF token derived from the same signing key and the cookie's
    /// account; a post without the cookie, or with a token for another account, is refused (403).
    struct Auth: Sendable {
        static let cookieName = "stripe_sim_dashboard"
        /// The signing key's bytes (`SymmetricKey` is not `Sendable`).
        private let key: Data

        init(key: SymmetricKey = SymmetricKey(size: .bits256)) { self.key = key.withUnsafeBytes { Data($0) } }

        /// `acct_….<signature>`.
        func cookieValue(account: String) -> String { account + "." + sign("session:" + account) }

        /// `Set-Cookie` for `account` (a session cookie: it ends with the browser session).
        func setCookie(account: String) -> String {
            "\(Self.cookieName)=\(cookieValue(account: account)); Path=/; HttpOnly; SameSite=Strict"
        }

        static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"

        /// The account of a request's (valid) cookie.
        func account(_ request: Request) -> String? {
            for field in request.headers[values: .cookie] {
                for part in field.split(separator: ";") {
                    let pair = part.trimmingCharacters(in: .whitespaces)
                    guard pair.hasPrefix(Self.cookieName + "=") else { continue }
                    let value = String(pair.dropFirst(Self.cookieName.count + 1))
                    guard let dot = value.lastIndex(of: ".") else { continue }
                    let account = String(value[..<dot])
                    if account.hasPrefix("acct_"),
                        constantTimeEqual(String(value[value.index(after: dot)...]), sign("session:" + account))
                    {
                        return account
                    }
                }
            }
            return nil
        }

        /// The CSRF token of `account`'s forms.
        func csrfToken(account: String) -> String { sign("csrf:" + account) }

        func isValidCSRF(_ token: String?, account: String) -> Bool {
            guard let token else { return false }
            return constantTimeEqual(token, csrfToken(account: account))
        }

        private func sign(_ message: String) -> String {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key))
            return Data(mac).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
    }
}
