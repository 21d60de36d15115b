import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard's namespace (its types are nested here so they never clash with the hosted-flow pages').
package enum Dashboard {}

// MARK: - Escaping and templating

extension Dashboard {
    /// A fragment of HTML that is safe to emit: literals are kept as written, interpolated strings are escaped,
    /// interpolated fragments are kept. So `"<td>\(customer.name)</td>" as HTML` can never inject markup.
    ///
    /// ```swift
    /// let row: Dashboard.HTML = "<tr><td>\(name)</td><td>\(Dashboard.badge(status))</td></tr>"
    /// ```
    package struct HTML: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
        package private(set) var raw: String

        package init(raw: String) { self.raw = raw }
        package init(stringLiteral value: String) { raw = value }
        package init(stringInterpolation: Interpolation) { raw = stringInterpolation.out }

        package var description: String { raw }
        package static let empty = HTML(raw: "")

        package struct Interpolation: StringInterpolationProtocol {
            var out = ""
            package init(literalCapacity: Int, interpolationCount: Int) { out.reserveCapacity(literalCapacity * 2) }
            package mutating func appendLiteral(_ literal: String) { out += literal }
            package mutating func appendInterpolation(_ text: String) { out += HTML.escape(text) }
            package mutating func appendInterpolation(_ text: String?) { if let text { out += HTML.escape(text) } }
            package mutating func appendInterpolation(_ number: Int) { out += String(number) }
            package mutating func appendInterpolation(_ html: HTML) { out += html.raw }
            package mutating func appendInterpolation(_ parts: [HTML]) { for p in parts { out += p.raw } }
        }

        /// Escapes `& < > " '` (so the result is safe in text and in quoted attributes).
        package static func escape(_ text: String) -> String { StripeSim.HTML.escape(text) }

        package static func + (a: HTML, b: HTML) -> HTML { HTML(raw: a.raw + b.raw) }
        package static func += (a: inout HTML, b: HTML) { a.raw += b.raw }
    }
}

extension Array where Element == Dashboard.HTML {
    func joined(_ separator: Dashboard.HTML = .empty) -> Dashboard.HTML {
        Dashboard.HTML(raw: map(\.raw).joined(separator: separator.raw))
    }
}

// MARK: - URLs

extension Dashboard {
    /// `path?name=value&…` with every value percent-encoded (nil values left out).
    static func url(_ path: String, _ query: [(String, String?)] = []) -> String {
        let parts = query.compactMap { name, value in value.map { "\(name)=\(encode($0))" } }
        return parts.isEmpty ? path : path + "?" + parts.joined(separator: "&")
    }

    /// Percent-encodes a query value or path segment.
    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The detail page of an object, by id prefix; nil for strings that are not ids the dashboard can show.
    static func objectPath(_ id: String) -> String? {
        guard let underscore = id.firstIndex(of: "_"), id.index(after: underscore) < id.endIndex,
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), id.count <= 255
        else { return nil }
        let prefix = String(id[..<underscore])
        if prefix == "req" { return "/dashboard/requests/" + id }
        return ObjectKind.byPrefix[prefix] == nil ? nil : "/dashboard/objects/" + id
    }

    /// An id as a link to its page (or plain code when it has none).
    static func idLink(_ id: String?) -> HTML {
        guard let id, !id.isEmpty else { return "<span class=\"muted\">—</span>" }
        guard let path = objectPath(id) else { return "<code>\(id)</code>" }
        return "<a class=\"id\" href=\"\(path)\"><code>\(id)</code></a>"
    }

    /// Decodes `application/x-www-form-urlencoded` text into its pairs (`+` as space), keeping repeated names.
    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

// MARK: - Formatting

extension Dashboard {
    /// `2026-01-05 13:00:00 UTC` (in a `<time>` element).
    static func time(_ unix: Int?) -> HTML {
        guard let unix else { return "<span class=\"muted\">—</span>" }
        return "<time datetime=\"\(isoTime(unix))\">\(displayTime(unix))</time>"
    }

    static func isoTime(_ unix: Int) -> String {
        let (y, m, d, hh, mm, ss) = civil(unix)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, hh, mm, ss)
    }

    static func displayTime(_ unix: Int) -> String {
        let (y, m, d, hh, mm, ss) = civil(unix)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", y, m, d, hh, mm, ss)
    }

    /// The value of an `<input type="datetime-local">` for a Unix time (UTC).
    static func datetimeLocal(_ unix: Int) -> String {
        let (y, m, d, hh, mm, ss) = civil(unix)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, hh, mm, ss)
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS]` (UTC) as `<input type="datetime-local">` sends it.
    static func parseDatetimeLocal(_ text: String) -> Int? {
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).map { Int($0) }
        guard parts.count == 5 || parts.count == 6, !parts.contains(nil) else { return nil }
        let v = parts.map { $0! }
        guard (1...12).contains(v[1]), (1...31).contains(v[2]), (0...23).contains(v[3]), (0...59).contains(v[4]) else {
            return nil
        }
        let seconds = v.count == 6 ? v[5] : 0
        return daysFromCivil(v[0], v[1], v[2]) * 86_400 + v[3] * 3600 + v[4] * 60 + seconds
    }

    /// Howard Hinnant's `civil_from_days`: UTC calendar fields of a Unix time, without a formatter.
    private static func civil(_ unix: Int) -> (Int, Int, Int, Int, Int, Int) {
        let days = Int((Double(unix) / 86_400).rounded(.down))
        let secs = unix - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }

    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `$20.00 USD` (two-decimal currencies; the simulator's ACH debits are USD).
    static func money(_ amount: Int, _ currency: String) -> String {
        let sign = amount < 0 ? "-" : ""
        let a = abs(amount)
        let symbol = currency.lowercased() == "usd" ? "$" : ""
        return "\(sign)\(symbol)\(a / 100).\(String(format: "%02d", a % 100)) \(currency.uppercased())"
    }

    /// A status as a coloured badge.
    static func badge(_ status: String?) -> HTML {
        guard let status, !status.isEmpty else { return "<span class=\"muted\">—</span>" }
        let tone: String
        switch status {
        case "succeeded", "active", "ready", "enabled", "success", "paid":
            tone = "ok"
        case "processing", "advancing", "pending":
            tone = "info"
        case "requires_payment_method", "requires_confirmation", "requires_action", "inactive":
            tone = "warn"
        case "failed", "canceled", "cancelled", "internal_failure", "error":
            tone = "bad"
        default:
            tone = "neutral"
        }
        return
            "<span class=\"badge \(tone)\" data-status=\"\(status)\">\(status.replacingOccurrences(of: "_", with: " "))</span>"
    }

    /// An HTTP status code as a badge.
    static func statusCode(_ code: Int?) -> HTML {
        guard let code else { return "<span class=\"badge bad\">no response</span>" }
        let tone = (200..<300).contains(code) ? "ok" : (400..<500).contains(code) ? "warn" : "bad"
        return "<span class=\"badge \(tone)\">\(code)</span>"
    }
}

// MARK: - JSON

extension Dashboard {
    /// Pretty JSON (Stripe's key order: `id`, `object`, then sorted) with strings masked (`SecretMask`) and ids
    /// linked to their pages.
    static func json(_ value: JSONValue) -> HTML {
        var out = ""
        writeJSON(value, indent: 0, to: &out)
        return "<pre class=\"json\">\(HTML(raw: out))</pre>"
    }

    private static func writeJSON(_ value: JSONValue, indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch value {
        case .null: out += "<span class=\"j-null\">null</span>"
        case .bool(let b): out += "<span class=\"j-bool\">\(b)</span>"
        case .int(let i): out += "<span class=\"j-num\">\(i)</span>"
        case .double: out += "<span class=\"j-num\">\(HTML.escape(value.serialized(pretty: false)))</span>"
        case .string(let s):
            let masked = SecretMask.mask(s)
            let quoted = HTML.escape(JSONValue.string(masked).serialized(pretty: false))
            if let path = objectPath(masked) {
                out += "<a class=\"j-str id\" href=\"\(path)\">\(quoted)</a>"
            } else {
                out += "<span class=\"j-str\">\(quoted)</span>"
            }
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "[\n"
            for (n, v) in a.enumerated() {
                out += pad
                writeJSON(v, indent: indent + 1, to: &out)
                out += n < a.count - 1 ? ",\n" : "\n"
            }
            out += closePad + "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            var keys = o.keys.filter { $0 != "id" && $0 != "object" }.sorted()
            if o["object"] != nil { keys.insert("object", at: 0) }
            if o["id"] != nil { keys.insert("id", at: 0) }
            out += "{\n"
            for (n, k) in keys.enumerated() {
                out += pad + "<span class=\"j-key\">" + HTML.escape(JSONValue.string(k).serialized(pretty: false))
                out += "</span>: "
                writeJSON(o[k]!, indent: indent + 1, to: &out)
                out += n < keys.count - 1 ? ",\n" : "\n"
            }
            out += closePad + "}"
        }
    }

    /// A body as the request log shows it: pretty JSON when it parses, else the (already masked) text.
    static func body(_ text: String, form: Bool = false) -> HTML {
        if text.isEmpty { return "<p class=\"muted\">(empty)</p>" }
        if let json = JSONValue.parse(text), json.objectValue != nil || json.arrayValue != nil {
            return Dashboard.json(json)
        }
        if form {
            let lines = formPairs(text).map { "\($0.0) = \($0.1)" }.joined(separator: "\n")
            return "<pre class=\"json\">\(SecretMask.mask(lines))</pre>"
        }
        return "<pre class=\"json\">\(SecretMask.mask(text))</pre>"
    }
}

// MARK: - Responses

extension Dashboard {
    /// Strict headers for every dashboard page: no scripts at all, styles only inline, forms only to the
    /// dashboard, never framed, never cached.
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (
            .contentSecurityPolicy,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ),
        (.xContentTypeOptions, "nosniff"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
        (.cacheControl, "no-store"),
    ]

    static func response(_ html: HTML, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in securityHeaders { headers[name] = value }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html.raw)))
    }

    /// `303 See Other` to `location` (after a form post, or to drop `?key=` from the address bar).
    static func redirect(_ location: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.location] = location
        for (name, value) in securityHeaders { headers[name] = value }
        return Response(status: .seeOther, headers: headers)
    }
}
