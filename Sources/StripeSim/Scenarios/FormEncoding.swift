import Foundation

/// Stripe's bracket notation, the inverse of `FormDecoding`: `{metadata: {order: 42}, expand: [a]}` →
/// `metadata[order]=42&expand[0]=a`. Lists are indexed (`a[0]=…`, as the SDKs send them, which also works for
/// lists of hashes); an empty list or hash, or `null`, is `name=` (Stripe's "unset").
package enum FormEncoding {
    package static func encode(_ params: JSONValue) -> String {
        guard case .object(let o) = params else { return "" }
        var pairs: [String] = []
        for key in o.keys.sorted() { append(escape(key, keepBrackets: false), o[key]!, to: &pairs) }
        return pairs.joined(separator: "&")
    }

    package static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0, keepBrackets: true) + "=" + escape($0.1, keepBrackets: false) }.joined(separator: "&")
    }

    private static func append(_ name: String, _ value: JSONValue, to pairs: inout [String]) {
        switch value {
        case .object(let o) where !o.isEmpty:
            for key in o.keys.sorted() {
                append(name + "[" + escape(key, keepBrackets: false) + "]", o[key]!, to: &pairs)
            }
        case .array(let a) where !a.isEmpty:
            for (i, v) in a.enumerated() { append(name + "[\(i)]", v, to: &pairs) }
        case .object, .array, .null:
            pairs.append(name + "=")
        default:
            pairs.append(name + "=" + escape(Template.text(of: value), keepBrackets: false))
        }
    }

    private static let unreserved: CharacterSet = {
        var set = CharacterSet()
        set.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return set
    }()

    private static let unreservedAndBrackets = unreserved.union(CharacterSet(charactersIn: "[]"))

    package static func escape(_ s: String, keepBrackets: Bool) -> String {
        s.addingPercentEncoding(withAllowedCharacters: keepBrackets ? unreservedAndBrackets : unreserved) ?? s
    }
}
