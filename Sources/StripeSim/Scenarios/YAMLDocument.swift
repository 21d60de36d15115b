import Foundation
import Yams

/// A YAML document read with Yams into JSON values, keeping each node's position so errors can name a line.
///
/// Scalars follow the YAML 1.2 core schema, stricter where YAML 1.1 surprises people: quoted scalars are always
/// strings; plain `true`/`false`, `null`/`~`, decimal integers and decimal floats are typed; everything else —
/// `yes`, `no`, `on`, `NO` (the "Norway problem"), `0123` (a zip code, not octal), `1:30` — is a string.
package struct YAMLDocument {
    private let root: Node?
    /// The document as JSON values (`null` for an empty document).
    package let value: JSONValue

    package init(_ text: String) throws(ScenarioError) {
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            var line = Self.line(of: error)
            if case .duplicatedKeysInMapping(let keys, _) = error, let key = keys.first {
                line = Self.secondOccurrence(of: key, in: text, after: line ?? 1) ?? line
            }
            throw ScenarioError(message: "YAML syntax error: \(Self.describe(error))", line: line)
        } catch {
            throw ScenarioError(message: "YAML syntax error: \(error)")
        }
        value = try root.map(Self.convert) ?? .null
    }

    /// The 1-based line of the node at `path` (or of its deepest existing ancestor).
    package func line(at path: [any CodingKey]) -> Int? {
        guard var node = root else { return nil }
        for key in path {
            var next: Node?
            switch node {
            case .mapping(let m):
                next = m.first { $0.key.string == key.stringValue }?.value
            case .sequence(let s):
                if let i = key.intValue, s.indices.contains(i) { next = s[i] }
            default: break
            }
            guard let found = next else { break }
            node = found
        }
        return node.mark.map { $0.line }
    }

    private static func convert(_ node: Node) throws(ScenarioError) -> JSONValue {
        switch node {
        case .scalar(let s):
            return scalar(s)
        case .sequence(let s):
            var out: [JSONValue] = []
            for item in s { out.append(try convert(item)) }
            return .array(out)
        case .mapping(let m):
            var out: [String: JSONValue] = [:]
            for (k, v) in m {
                guard case .scalar(let key) = k else {
                    throw ScenarioError(message: "mapping keys must be plain strings", line: k.mark?.line)
                }
                if out[key.string] != nil {
                    throw ScenarioError(message: "duplicate key '\(key.string)'", line: k.mark?.line)
                }
                out[key.string] = try convert(v)
            }
            return .object(out)
        case .alias(let a):
            throw ScenarioError(message: "YAML aliases (*name) are not supported in scenarios", line: a.mark?.line)
        }
    }

    private static func scalar(_ s: Node.Scalar) -> JSONValue {
        if s.style != .plain && s.style != .any || s.tag.description == "tag:yaml.org,2002:str" {
            return .string(s.string)
        }
        return plainValue(s.string)
    }

    /// What an unquoted scalar means.
    package static func plainValue(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        let isDecimalInteger = !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit)
        let hasLeadingZero = digits.count > 1 && digits.first == "0"
        if isDecimalInteger, !hasLeadingZero, let i = Int(text) { return .int(i) }
        if !hasLeadingZero || digits.hasPrefix("0."), Self.looksDecimal(digits), let d = Double(text), d.isFinite {
            return .double(d)
        }
        return .string(text)
    }

    /// `1.5`, `.5`, `1e3`, `2.5E-3`: digits, an optional fraction, an optional exponent.
    private static func looksDecimal(_ s: Substring) -> Bool {
        var sawDigit = false
        var i = s.startIndex
        while i < s.endIndex, s[i].isASCIIDigit {
            sawDigit = true
            i = s.index(after: i)
        }
        if i < s.endIndex, s[i] == "." {
            i = s.index(after: i)
            while i < s.endIndex, s[i].isASCIIDigit {
                sawDigit = true
                i = s.index(after: i)
            }
        }
        guard sawDigit else { return false }
        if i < s.endIndex, s[i] == "e" || s[i] == "E" {
            i = s.index(after: i)
            if i < s.endIndex, s[i] == "+" || s[i] == "-" { i = s.index(after: i) }
            guard i < s.endIndex else { return false }
            while i < s.endIndex, s[i].isASCIIDigit { i = s.index(after: i) }
        }
        return i == s.endIndex
    }

    /// The line where `key:` appears a second time at the same indentation (Yams marks the mapping instead).
    private static func secondOccurrence(of key: String, in text: String, after start: Int) -> Int? {
        var indents: [Int: Int] = [:]
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where n + 1 >= start
        {
            let trimmed = line.drop { $0 == " " || $0 == "-" }
            guard trimmed.hasPrefix(key + ":") else { continue }
            let indent = line.count - trimmed.count
            if indents[indent] != nil { return n + 1 }
            indents[indent] = n + 1
        }
        return nil
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        case .duplicatedKeysInMapping(_, let context):
            return context.mark.line
        default: return nil
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate key " + duplicates.map { "'\($0)'" }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
