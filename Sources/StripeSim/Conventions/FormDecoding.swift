import Foundation

/// A decoded request parameter before validation: what `application/x-www-form-urlencoded` (v1, query strings)
/// or a JSON body (v2) carried, as a tree.
package enum RawParam: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    /// `a[]=x&a[]=y` (or a JSON array).
    case list([RawParam])
    /// `a[b]=x` (or a JSON object); keys in request order.
    case hash(RawHash)
}

/// An insertion-ordered string-keyed map, so the first offending parameter is the one reported.
///
/// A list of members searched in order: a request names a handful of parameters at each level, and comparing a
/// few short keys costs less than hashing one (a hash map here was a fifth of decoding a form body). A hash map
/// indexes the members once there are more than `indexedFrom`, so a request with thousands of keys (at most
/// `FormDecoding.maxPairs`) stays linear.
package struct RawHash: Sendable, Equatable {
    private var members: [(key: String, value: RawParam)] = []
    /// Each key's position in `members`, kept once `members` grows past `indexedFrom`.
    private var index: [String: Int]?
    private static let indexedFrom = 16

    package init() {}

    package var keys: [String] { members.map(\.key) }

    package subscript(key: String) -> RawParam? {
        get { position(of: key).map { members[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let at?, let value?): members[at].value = value
            case (nil, let value?):
                members.append((key, value))
                if index != nil {
                    index?[key] = members.count - 1
                } else if members.count > Self.indexedFrom {
                    reindex()
                }
            case (let at?, nil):
                members.remove(at: at)
                if index != nil { reindex() }
            case (nil, nil): break
            }
        }
    }

    package var isEmpty: Bool { members.isEmpty }
    package var entries: [(key: String, value: RawParam)] { members }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    private mutating func reindex() {
        var positions = [String: Int](minimumCapacity: members.count)
        for (n, member) in members.enumerated() { positions[member.key] = n }
        index = positions
    }

    package static func == (a: RawHash, b: RawHash) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Stripe's bracket notation: `a[b][c]=`, `a[]=`, `a[0]=`, `+` and `%20` for spaces, repeated keys (last wins for
/// scalars, appended for `[]`), brackets raw or percent-encoded.
package enum FormDecoding {
    /// Deeper nesting than this is refused (Stripe's deepest real parameters have six levels).
    package static let maxDepth = 12
    /// More pairs than this is refused.
    package static let maxPairs = 5_000

    /// Splits and decodes on bytes (`&`, `=`, `[`, `]`, `%`, `+` are ASCII, as every form decoder reads them):
    /// stepping through `Character`s, which finds grapheme boundaries at every step, made decoding a six-parameter
    /// body a tenth of a customer create. The bytes are read from the text's contiguous UTF-8 with plain integer
    /// positions: stepping through `Substring.UTF8View`'s indices, each step checked, and splitting it into an
    /// array of slices first, cost twice as much again.
    package static func decode(_ text: Substring) throws(StripeError) -> RawHash {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(StripeError) in try decode(bytes: bytes) } }.get()
    }

    private static func decode(bytes: UnsafeBufferPointer<UInt8>) throws(StripeError) -> RawHash {
        var root = RawHash()
        var pairs = 0
        var position = 0
        while position < bytes.count {
            let start = position
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            position = end + 1
            if end == start { continue }  // `a=1&&b=2`: empty pairs do not count
            pairs += 1
            if pairs > maxPairs {
                throw .validation("Too many parameters in the request (at most \(maxPairs)).")
            }
            var eq = start
            while eq < end, bytes[eq] != UInt8(ascii: "=") { eq += 1 }
            let key = try percentDecode(UnsafeBufferPointer(rebasing: bytes[start..<eq]))
            let value = eq < end ? try percentDecode(UnsafeBufferPointer(rebasing: bytes[(eq + 1)..<end])) : ""
            if key.isEmpty { continue }
            let path = splitKey(key)
            if path.count > maxDepth {
                throw .validation(
                    "The parameter \(key) is nested too deeply (at most \(maxDepth) levels).",
                    param: path[0]
                )
            }
            root[path[0]] = try put(root[path[0]], path.dropFirst(), value, name: path[0])
        }
        return root
    }

    package static func decode(_ text: String) throws(StripeError) -> RawHash { try decode(Substring(text)) }

    /// `a[b][]` → `["a", "b", ""]`; a malformed key (`a[b`) stays one literal name.
    static func splitKey(_ key: String) -> [String] {
        let bytes = key.utf8
        let open = UInt8(ascii: "[")
        let close = UInt8(ascii: "]")
        guard let first = bytes.firstIndex(of: open), first != bytes.startIndex else { return [key] }
        var parts = [String(Substring(bytes[..<first]))]
        var i = first
        while i < bytes.endIndex {
            guard bytes[i] == open, let end = bytes[i...].firstIndex(of: close) else { return [key] }
            parts.append(String(Substring(bytes[bytes.index(after: i)..<end])))
            i = bytes.index(after: end)
        }
        return parts
    }

    private static func put(
        _ existing: RawParam?,
        _ rest: ArraySlice<String>,
        _ value: String,
        name: String
    )
        throws(StripeError) -> RawParam
    {
        guard let segment = rest.first else {
            switch existing {
            case .hash, .list: throw .invalidString(name)
            default: return .string(value)
            }
        }
        if segment.isEmpty {
            var list: [RawParam]
            switch existing {
            case nil: list = []
            case .list(let l): list = l
            default: throw .invalidArray(name)
            }
            if rest.count == 1 {
                list.append(.string(value))
            } else if let last = list.last, case .hash(let h) = last, let next = rest.dropFirst().first,
                h[next] == nil
            {
                list[list.count - 1] = try put(last, rest.dropFirst(), value, name: name + "[]")
            } else {
                list.append(try put(nil, rest.dropFirst(), value, name: name + "[]"))
            }
            return .list(list)
        }
        var hash: RawHash
        switch existing {
        case nil: hash = RawHash()
        case .hash(let h): hash = h
        default: throw .invalidHash(name)
        }
        let child = name + "[" + segment + "]"
        hash[segment] = try put(hash[segment], rest.dropFirst(), value, name: child)
        return .hash(hash)
    }

    /// `+` is a space; `%XX` must be two hex digits and the result valid UTF-8. `s` is a piece of valid UTF-8 cut
    /// at ASCII bytes.
    static func percentDecode(_ s: UnsafeBufferPointer<UInt8>) throws(StripeError) -> String {
        if !s.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(decoding: s, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
                i += 1
            } else if b == UInt8(ascii: "%") {
                guard i + 2 < s.count, let hv = hexValue(s[i + 1]), let lv = hexValue(s[i + 2]) else {
                    throw .validation(
                        "Invalid percent-encoding in the request parameters near '\(near(s))'."
                    )
                }
                bytes.append(hv << 4 | lv)
                i += 3
            } else {
                bytes.append(b)
                i += 1
            }
        }
        guard let out = String(validating: bytes, as: UTF8.self) else {
            throw .validation("The request parameters are not valid UTF-8 near '\(near(s))'.")
        }
        return out
    }

    /// The start of an undecodable piece, for its error message.
    private static func near(_ s: UnsafeBufferPointer<UInt8>) -> Substring {
        String(decoding: s, as: UTF8.self).prefix(40)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    /// A JSON request body (v2) as the same tree.
    package static func raw(from json: JSONValue) -> RawParam {
        switch json {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let a): .list(a.map(raw(from:)))
        case .object(let o):
            .hash(
                o.keys.sorted().reduce(into: RawHash()) { h, k in h[k] = raw(from: o[k]!) }
            )
        }
    }
}
