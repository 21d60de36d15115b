import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A fragment of HTML. Interpolated `String`s (and anything `CustomStringConvertible`) are escaped; only other
/// `HTML` values are inserted as they are, so user input can never become markup by accident:
///
/// ```swift
/// let name = "<script>"
/// let row: HTML = "<li data-testid=\"\(id)\">\(name)</li>"    // → <li …>&lt;script&gt;</li>
/// let list: HTML = "<ul>\(rows.joined())</ul>"                 // HTML inside HTML stays markup
/// ```
struct HTML: ExpressibleByStringInterpolation, Sendable, Equatable, CustomStringConvertible {
    private(set) var text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }
    /// Markup as it is: for literals built here, never for user input.
    init(unsafe markup: String) { text = markup }

    var description: String { text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        mutating func appendInterpolation(_ html: HTML?) { text += html?.text ?? "" }
        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            text += HTML.escape(value.description)
        }
        mutating func appendInterpolation(_ value: String?) { text += HTML.escape(value ?? "") }
    }

    /// Escapes text for element content and double- or single-quoted attribute values.
    static func escape(_ s: String) -> String {
        guard s.contains(where: { "&<>\"'".contains($0) }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A JSON value made safe inside an inline `<script>`: `<`, `>`, `&` and the JavaScript line separators
    /// become `\u` escapes, so no `</script>` or `<!--` can end the script early.
    static func scriptJSON(_ value: JSONValue) -> HTML {
        var out = ""
        for c in value.serialized(pretty: false).unicodeScalars {
            switch c {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(c)
            }
        }
        return HTML(unsafe: out)
    }
}

extension Sequence where Element == HTML {
    func joined(separator: HTML = "\n") -> HTML {
        HTML(unsafe: map(\.text).joined(separator: separator.text))
    }
}

/// An HTML (or JavaScript) response: `text/html; charset=utf-8`, never cached, never framed by other origins'
/// scripts' guesses (`nosniff`).
struct PageResponse: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var body: String
    var contentType = "text/html; charset=utf-8"
    var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status = .ok, _ html: HTML) {
        self.status = status
        self.body = html.text
    }

    init(status: HTTPResponse.Status = .ok, body: String, contentType: String) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// `303 See Other` to `location` (after a POST, and for the OAuth and `return_url` redirects).
    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-cache, no-store"
        return Response(status: .seeOther, headers: headers)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache, no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}

/// An `application/x-www-form-urlencoded` body or query string as the browser sends it: repeated names kept
/// in order (`accounts=a&accounts=b`), `+` as a space. Plain HTML forms need nothing of Stripe's bracket
/// notation, so this is kept apart from `FormDecoding`.
struct FormFields: Sendable, Equatable {
    private(set) var pairs: [(String, String)] = []

    init(_ text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
    }

    init(pairs: [(String, String)]) { self.pairs = pairs }

    static func == (a: FormFields, b: FormFields) -> Bool {
        a.pairs.map { [$0.0, $0.1] } == b.pairs.map { [$0.0, $0.1] }
    }

    /// The first value of `name`, or nil.
    subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }

    /// Every value of `name`, in order.
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    private static func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Encodes pairs as a query string (RFC 3986 unreserved characters stay, everything else is %-encoded).
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128))
        )
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
