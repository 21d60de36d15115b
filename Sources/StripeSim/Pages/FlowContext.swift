import Foundation

/// Where a hosted-flow page stands: the session's client secret (in the path) and how the flow was opened
/// (in the query string of every link and form, so the flow needs no cookie, no server-side state and no
/// JavaScript).
///
/// - `key`: the publishable key the Stripe.js stand-in opened the flow with (optional). When present, its
///   account must own the session.
/// - `origin`: the host page's origin when the flow runs in the stand-in's modal iframe. The flow then ends
///   by `postMessage` to that origin instead of redirecting to the session's `return_url`.
struct FlowContext: Sendable, Equatable {
    var secret: String
    var key: String?
    var origin: String?

    init(secret: String, key: String? = nil, origin: String? = nil) {
        self.secret = secret
        self.key = key.flatMap { $0.isEmpty ? nil : $0 }
        self.origin = origin.flatMap { $0.isEmpty ? nil : $0 }
    }

    init(secret: String, query: FormFields) {
        self.init(secret: secret, key: query["key"], origin: query["origin"])
    }

    /// In the Stripe.js stand-in's modal iframe.
    var embedded: Bool { origin != nil }

    /// The `postMessage` target: the host page's origin when it is a plain `http(s)://host[:port]`, else `*`
    /// (a page opened from `file://` has the origin `null`).
    var targetOrigin: String { origin.flatMap(Self.validOrigin) ?? "*" }

    /// `/link/<secret><sub>?key=…&origin=…&<extra>`.
    func path(_ sub: String = "", _ extra: [(String, String)] = []) -> String {
        let pairs = contextPairs + extra
        let base = "/link/" + FormFields.escape(secret) + sub
        return pairs.isEmpty ? base : base + "?" + FormFields.encode(pairs)
    }

    /// The context as hidden fields, for GET forms (a GET form replaces its action's query string).
    var hiddenFields: HTML {
        contextPairs.map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\($0.1)\">" as HTML }.joined()
    }

    private var contextPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let key { pairs.append(("key", key)) }
        if let origin { pairs.append(("origin", origin)) }
        return pairs
    }

    // MARK: OAuth state

    /// The OAuth `state`: the flow position (context + institution), base64url-encoded as a real provider
    /// would carry any opaque value back to the redirect URI.
    func oauthState(institution: String) -> String {
        let pairs = [("secret", secret), ("institution", institution)] + contextPairs
        return Data(FormFields.encode(pairs).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The flow position an OAuth `state` carries, or nil when it is not one of ours.
    static func from(oauthState state: String) -> (context: FlowContext, institution: String)? {
        var base64 = state.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let fields = FormFields(text)
        guard let secret = fields["secret"], let institution = fields["institution"] else { return nil }
        return (FlowContext(secret: secret, query: fields), institution)
    }

    // MARK: Validation

    /// `fcsess_client_secret_` followed by letters and digits (the shape sessions are created with).
    static func isWellFormed(secret: String) -> Bool {
        let prefix = "fcsess_client_secret_"
        guard secret.hasPrefix(prefix), secret.count <= 200 else { return false }
        let body = secret.dropFirst(prefix.count)
        return !body.isEmpty && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// `scheme://host[:port]` with scheme http or https, or nil.
    static func validOrigin(_ origin: String) -> String? {
        guard let c = URLComponents(string: origin), let scheme = c.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = c.host, !host.isEmpty,
            c.path.isEmpty, c.query == nil, c.fragment == nil, c.user == nil
        else { return nil }
        return origin
    }
}
