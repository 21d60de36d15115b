import Foundation

/// v1 list conventions: `limit` (1–100, default 10), `starting_after` / `ending_before` (exclusive), newest first,
/// `{object: "list", data, has_more, url}`.
package enum Pagination {
    package static let schema: ParamSchema = [
        "limit": .integer, "starting_after": .string(max: 5000), "ending_before": .string(max: 5000),
    ]

    package static func pageRequest(_ p: Params) throws(StripeError) -> PageRequest {
        let limit = p.int("limit") ?? 10
        if limit < 1 { throw .validation("This value must be greater than or equal to 1.", param: "limit") }
        if limit > 100 { throw .validation("This value must be less than or equal to 100.", param: "limit") }
        if p.has("starting_after"), p.has("ending_before") {
            throw .parametersExclusive("starting_after", "ending_before")
        }
        return PageRequest(
            limit: limit,
            startingAfter: p.string("starting_after"),
            endingBefore: p.string("ending_before")
        )
    }

    package static func list(_ data: [JSONValue], hasMore: Bool, url: String) -> JSONValue {
        ["object": "list", "data": .array(data), "has_more": .bool(hasMore), "url": .string(url)]
    }

    package static func list<T>(_ page: Page<T>, url: String, _ render: (T) -> JSONValue) -> JSONValue {
        list(page.items.map(render), hasMore: page.hasMore, url: url)
    }

    /// The same list around items already rendered (`Store.renderedPage`): byte for byte what `list(…)`
    /// serialises to, each item indented to its depth, without parsing or rendering an item again.
    package static func renderedList(_ page: Page<String>, url: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(page.items.reduce(128) { $0 + $1.utf8.count + $1.utf8.count / 8 })
        out += Array("{\n  \"object\": \"list\",\n  \"data\": ".utf8)
        if page.items.isEmpty {
            out += Array("[]".utf8)
        } else {
            out.append(UInt8(ascii: "["))
            for (n, item) in page.items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                out += Array("\n    ".utf8)
                for byte in item.utf8 {
                    out.append(byte)
                    // A line break inside a JSON text is always layout (strings escape theirs).
                    if byte == UInt8(ascii: "\n") { out += [0x20, 0x20, 0x20, 0x20] }
                }
            }
            out += Array("\n  ]".utf8)
        }
        out += Array(",\n  \"has_more\": \(page.hasMore),\n  \"url\": ".utf8)
        out += Array(JSONValue.string(url).serialized().utf8)
        out += Array("\n}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Offsets for search pages and v2 lists, as an opaque token.
    package static func token(offset: Int) -> String {
        Data("o:\(offset)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    package static func offset(fromToken token: String, param: String) throws(StripeError) -> Int {
        var t = token
        while t.count % 4 != 0 { t += "=" }
        guard let d = Data(base64Encoded: t), let s = String(data: d, encoding: .utf8), s.hasPrefix("o:"),
            let n = Int(s.dropFirst(2)), n >= 0
        else {
            throw .validation("Invalid \(param): '\(token)' is not a page token returned by this API.", param: param)
        }
        return n
    }
}
