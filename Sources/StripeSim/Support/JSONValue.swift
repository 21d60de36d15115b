import Foundation

/// A JSON document as Stripe renders it: the wire form of every response, event and stored bag.
///
/// Objects serialise with `id` and `object` first, then the other keys sorted, which is the order
/// Stripe's own responses use and makes output deterministic (golden files, byte-for-byte replays).
package enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package subscript(key: String) -> JSONValue? {
        get { if case .object(let o) = self { return o[key] } else { return nil } }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    package var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    package var intValue: Int? { if case .int(let i) = self { return i } else { return nil } }
    package var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    package var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    package var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
    package var isNull: Bool { self == .null }

    /// Walks a dotted path (`data.object.id`; array elements by index).
    package func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let c = current else { return nil }
            switch c {
            case .object(let o): current = o[String(part)]
            case .array(let a):
                guard let i = Int(part), a.indices.contains(i) else { return nil }
                current = a[i]
            default: return nil
            }
        }
        return current
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(stringLiteral value: String) { self = .string(value) }
    package init(integerLiteral value: Int) { self = .int(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(nilLiteral: ()) { self = .null }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
}

extension JSONValue {
    /// An object of distinct members (a later one would replace an earlier one), its dictionary sized once.
    package static func object(_ members: [(key: String, value: JSONValue)]) -> JSONValue {
        var dictionary = [String: JSONValue](minimumCapacity: members.count)
        for member in members { dictionary[member.key] = member.value }
        return .object(dictionary)
    }

    /// `.string(s)` or `.null`.
    package static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    package static func optional(_ i: Int?) -> JSONValue { i.map(JSONValue.int) ?? .null }
    package static func strings(_ a: [String]) -> JSONValue { .array(a.map(JSONValue.string)) }
    package static func stringMap(_ m: [String: String]) -> JSONValue { .object(m.mapValues(JSONValue.string)) }
}

// MARK: - Serialisation

extension JSONValue {
    /// Stripe-style output: pretty-printed with two spaces, `id`/`object` first.
    package func serialized(pretty: Bool = true) -> String {
        Self.text { write(to: &$0, indent: pretty ? 0 : -1) }
    }

    /// The UTF-8 text `write` puts into a buffer.
    private static func text(_ write: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)  // (a customer's event is about 2 KB: no regrowth on the way)
        write(&out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The members in Stripe's order: `id`, `object`, then the rest sorted by key (`String`'s order: by their
    /// bytes for ASCII keys, Stripe's own; by Unicode scalars after normalisation for any other metadata key).
    ///
    /// Pairs rather than keys, so writing needs no lookup (a hash) per member. `String`'s `<` compares two ASCII
    /// keys with one `memcmp` (two short ones with one integer comparison); comparing their `utf8` views element
    /// by element through the generic `lexicographicallyPrecedes` cost ten times that, a twentieth of a create.
    private static func orderedMembers(_ o: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(o.count)
        var id: JSONValue?
        var object: JSONValue?
        for member in o {
            switch member.key {
            case "id": id = member.value
            case "object": object = member.value
            default: members.append(member)
            }
        }
        members.sort { $0.key < $1.key }
        if let object { members.insert(("object", object), at: 0) }
        if let id { members.insert(("id", id), at: 0) }
        return members
    }

    /// Writes UTF-8 bytes (appending to a `String` cost twice as much on every response).
    private func write(to out: inout [UInt8], indent: Int) {
        switch self {
        case .null: Self.append("null", &out)
        case .bool(let b): Self.append(b ? "true" : "false", &out)
        case .int(let i): Self.append(String(i), &out)
        case .double(let d):
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
                Self.append(String(Int(d)), &out)
            } else {
                Self.append(String(d), &out)
            }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let a):
            if a.isEmpty {
                Self.append("[]", &out)
                return
            }
            out.append(UInt8(ascii: "["))
            for (n, v) in a.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                if indent >= 0 { Self.newline(indent + 2, &out) }
                v.write(to: &out, indent: indent >= 0 ? indent + 2 : -1)
            }
            if indent >= 0 { Self.newline(indent, &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let o): Self.writeObject(o.isEmpty ? [] : Self.orderedMembers(o), to: &out, indent: indent)
        }
    }

    /// An object's members, in the order given.
    private static func writeObject(_ members: [(key: String, value: JSONValue)], to out: inout [UInt8], indent: Int) {
        if members.isEmpty {
            Self.append("{}", &out)
            return
        }
        out.append(UInt8(ascii: "{"))
        for (n, member) in members.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            if indent >= 0 { Self.newline(indent + 2, &out) }
            Self.writeString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            if indent >= 0 { out.append(UInt8(ascii: " ")) }
            member.value.write(to: &out, indent: indent >= 0 ? indent + 2 : -1)
        }
        if indent >= 0 { Self.newline(indent, &out) }
        out.append(UInt8(ascii: "}"))
    }

    /// The text of an object whose members are given already in Stripe's order (`id`, `object`, then by key,
    /// the order `serialized` gives a dictionary's): the same bytes as serialising `.object` of them, without
    /// building a dictionary to sort again. For the objects written on every create (a customer's API body and
    /// state), where hashing the keys into a dictionary and sorting them back out was a tenth of the work. The
    /// caller keeps the order (its tests compare the two).
    package static func serializedObject(_ members: [(key: String, value: JSONValue)], pretty: Bool = true) -> String {
        text { writeObject(members, to: &$0, indent: pretty ? 0 : -1) }
    }

    private static func append(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    /// A line break and `n` spaces (copied from a line of them: appending `repeatElement` went through generic
    /// sequence code, a sixtieth of a create).
    private static func newline(_ n: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        var left = n
        while left > 0 {
            let count = min(left, spaces.count)
            spaces.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<count])) }
            left -= count
        }
    }

    private static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 64)

    private static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Fast path: nothing to escape (the common case: ids, enums, names).
            guard bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                out.append(contentsOf: bytes)
                return
            }
            let hex = Array("0123456789abcdef".utf8)
            for b in bytes {
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])  // \"
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])  // \\
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case ..<0x20:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
                default: out.append(b)  // UTF-8 sequences pass through whole
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

// MARK: - Parsing and Codable

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON text; `nil` when it is not valid JSON (or nests deeper than 64 levels).
    package static func parse(_ data: Data) -> JSONValue? {
        var parser = JSONParser(bytes: [UInt8](data))
        return parser.parseDocument()
    }

    package static func parse(_ string: String) -> JSONValue? { parse(Data(string.utf8)) }
}

/// A small strict JSON parser (RFC 8259) over UTF-8 bytes.
private struct JSONParser {
    let bytes: [UInt8]
    var i = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() -> JSONValue? {
        guard let v = parseValue() else { return nil }
        skipSpace()
        return i == bytes.count ? v : nil
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: String, _ value: JSONValue) -> JSONValue? {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { return nil }
        i += w.count
        return value
    }

    mutating func parseValue() -> JSONValue? {
        skipSpace()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "n"): return literal("null", .null)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "\""): return parseString().map(JSONValue.string)
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { return nil }
            i += 1
            var out: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(out)
            }
            while true {
                guard let v = parseValue() else { return nil }
                out.append(v)
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(out)
                }
                return nil
            }
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { return nil }
            i += 1
            var out: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(out)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let k = parseString() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let v = parseValue() else { return nil }
                out[k] = v
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(out)
                }
                return nil
            }
        default: return parseNumber()
        }
    }

    mutating func parseNumber() -> JSONValue? {
        let start = i
        var isInt = true
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
        guard i > digitsStart else { return nil }
        if bytes[digitsStart] == 0x30, i - digitsStart > 1 { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isInt = false
            i += 1
            let f = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            guard i > f else { return nil }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInt = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
            guard i > e else { return nil }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInt, let n = Int(text) { return .int(n) }
        return Double(text).map(JSONValue.double)
    }

    mutating func parseString() -> String? {
        i += 1  // opening quote
        var out = [UInt8]()
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(validating: out, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var code = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(code) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                        else { return nil }
                        i += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        return nil
                    }
                    guard let scalar = Unicode.Scalar(code) else { return nil }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: return nil
                }
                continue
            }
            out.append(b)
            i += 1
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            return nil
        }
        i += 4
        return v
    }
}
