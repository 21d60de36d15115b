import Foundation

/// `{{name}}` substitution of captured values (`save: {customer: $.id}` → `{{customer}}`) in every string of a
/// later step: paths, parameters, headers, keys, expectations.
///
/// A string that is exactly one `{{name}}` takes the captured value itself, so a captured number stays a number
/// in a JSON body or an `equals:`; inside longer text the value's text is spliced in.
package enum Template {
    /// Renders `text`; an unknown name is an error naming what is known.
    package static func render(_ text: String, _ vars: [String: JSONValue]) throws(ScenarioError) -> String {
        guard text.contains("{{") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw ScenarioError(message: "unclosed `{{` in '\(text)'")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            out += Self.text(of: try lookup(name, vars))
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// Renders every string in a JSON tree (object keys included).
    package static func render(_ value: JSONValue, _ vars: [String: JSONValue]) throws(ScenarioError) -> JSONValue {
        switch value {
        case .string(let s):
            if let name = soleName(s) { return try lookup(name, vars) }
            return .string(try render(s, vars))
        case .array(let a):
            var out: [JSONValue] = []
            for v in a { out.append(try render(v, vars)) }
            return .array(out)
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (k, v) in o { out[try render(k, vars)] = try render(v, vars) }
            return .object(out)
        default:
            return value
        }
    }

    /// The names a text refers to (for load-time checks).
    package static func names(in text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return out
    }

    /// A value as text: strings as they are, numbers and booleans as written, `null` as empty, the rest as JSON.
    package static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        case .null: ""
        case .array, .object: value.serialized(pretty: false)
        }
    }

    private static func soleName(_ s: String) -> String? {
        guard s.hasPrefix("{{"), s.hasSuffix("}}"), s.count >= 4 else { return nil }
        let inner = s.dropFirst(2).dropLast(2)
        guard !inner.contains("{{"), !inner.contains("}}") else { return nil }
        return inner.trimmingCharacters(in: .whitespaces)
    }

    private static func lookup(_ name: String, _ vars: [String: JSONValue]) throws(ScenarioError) -> JSONValue {
        if let v = vars[name] { return v }
        let known = vars.keys.sorted().map { "{{\($0)}}" }.joined(separator: ", ")
        throw ScenarioError(
            message: "unknown capture {{\(name)}}; available: \(known.isEmpty ? "none yet" : known)"
                + " (save one with `save: {\(name): $.id}` in an earlier step)"
        )
    }
}
