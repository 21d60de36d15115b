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
    ///
    /// Written straight into the string's storage, measured first, each item a line at a time (found with
    /// `memchr`): appending each item byte by byte through its `utf8` view to an array, then copying that into a
    /// string, was 60% of a ten-customer list.
    package static func renderedList(_ page: Page<String>, url: String) -> String {
        var items = page.items
        var quotedURL = JSONValue.string(url).serialized()
        var capacity = 96 + quotedURL.utf8.count
        for n in items.indices {
            items[n].withUTF8 { capacity += 6 + $0.count + 4 * lineBreaks(in: $0) }
        }
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var out = ByteWriter(buffer)
            out.write("{\n  \"object\": \"list\",\n  \"data\": ")
            if items.isEmpty {
                out.write("[]")
            } else {
                out.write("[")
                for n in items.indices {
                    if n > 0 { out.write(",") }
                    out.write("\n    ")
                    items[n].withUTF8 { out.writeIndented($0) }
                }
                out.write("\n  ]")
            }
            out.write(",\n  \"has_more\": ")
            out.write(page.hasMore ? "true" : "false")
            out.write(",\n  \"url\": ")
            quotedURL.withUTF8 { out.write($0) }
            out.write("\n}")
            return out.count
        }
    }

    private static func lineBreaks(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard var at = bytes.baseAddress else { return 0 }
        let end = at + bytes.count
        var count = 0
        while at < end, let lineBreak = memchr(at, Int32(UInt8(ascii: "\n")), end - at) {
            count += 1
            at = UnsafePointer(lineBreak.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return count
    }

    /// Writes bytes into a buffer measured beforehand (a write past its end is a programming error and traps).
    private struct ByteWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var count = 0

        init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

        mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
            precondition(count + bytes.count <= buffer.count, "ByteWriter: the buffer was measured too small")
            guard let source = bytes.baseAddress, let target = buffer.baseAddress else { return }
            (target + count).update(from: source, count: bytes.count)
            count += bytes.count
        }

        mutating func write(_ text: StaticString) {
            text.withUTF8Buffer { write($0) }
        }

        /// A rendered JSON text one level deeper: four spaces after each line break (a line break inside a JSON
        /// text is always layout: strings escape theirs).
        mutating func writeIndented(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard var line = bytes.baseAddress else { return }
            let end = line + bytes.count
            while line < end {
                let lineBreak = memchr(line, Int32(UInt8(ascii: "\n")), end - line)
                let next = lineBreak.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) + 1 } ?? end
                write(UnsafeBufferPointer(start: line, count: next - line))
                if lineBreak != nil { write("    ") }
                line = next
            }
        }
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
