import Foundation

/// A path into a JSON response: `$` (the whole body), `$.id`, `$.data[0].id`, `$.data[-1]` (last element),
/// `$['key.with.dots']`. Used by expectations (`json:`) and captures (`save:`).
///
/// `$.data.0.id` reads like `$.data[0].id` (a number after a dot indexes an array): handy inside YAML flow
/// mappings (`{…}`), where a plain `[` is not allowed.
package struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    package enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    package let components: [Component]
    package let description: String

    package init(_ text: String) throws(ScenarioError) {
        description = text
        var chars = Array(text)[...]
        guard chars.first == "$" else {
            throw ScenarioError(message: "invalid JSON path '\(text)': it must start with `$` (e.g. `$.data[0].id`)")
        }
        chars = chars.dropFirst()
        var out: [Component] = []
        func fail(_ why: String) -> ScenarioError { ScenarioError(message: "invalid JSON path '\(text)': \(why)") }
        while let c = chars.first {
            if c == "." {
                chars = chars.dropFirst()
                let name = chars.prefix { $0 != "." && $0 != "[" }
                if name.isEmpty { throw fail("empty key after `.`") }
                out.append(.key(String(name)))
                chars = chars.dropFirst(name.count)
            } else if c == "[" {
                chars = chars.dropFirst()
                if let quote = chars.first, quote == "'" || quote == "\"" {
                    chars = chars.dropFirst()
                    let name = chars.prefix { $0 != quote }
                    chars = chars.dropFirst(name.count)
                    guard chars.first == quote, chars.dropFirst().first == "]" else {
                        throw fail("unclosed `[\(quote)`")
                    }
                    chars = chars.dropFirst(2)
                    out.append(.key(String(name)))
                } else {
                    let inside = chars.prefix { $0 != "]" }
                    guard chars.dropFirst(inside.count).first == "]", let i = Int(String(inside)) else {
                        throw fail("`[…]` takes an index (`[0]`, `[-1]`) or a quoted key (`['name']`)")
                    }
                    chars = chars.dropFirst(inside.count + 1)
                    out.append(.index(i))
                }
            } else {
                throw fail("unexpected '\(c)'; use `.key` or `[index]`")
            }
        }
        components = out
    }

    /// The value at the path, or `nil` when some part is missing (a JSON `null` is a value: `.null`).
    package func evaluate(_ json: JSONValue) -> JSONValue? {
        var current = json
        for component in components {
            switch (component, current) {
            case (.key(let k), .object(let o)):
                guard let next = o[k] else { return nil }
                current = next
            case (.index(let i), .array(let a)):
                guard let next = Self.element(a, i) else { return nil }
                current = next
            case (.key(let k), .array(let a)):
                guard let i = Int(k), let next = Self.element(a, i) else { return nil }
                current = next
            default:
                return nil
            }
        }
        return current
    }

    private static func element(_ a: [JSONValue], _ i: Int) -> JSONValue? {
        let index = i < 0 ? a.count + i : i
        guard a.indices.contains(index) else { return nil }
        return a[index]
    }
}
