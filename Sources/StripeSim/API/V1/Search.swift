import Foundation

/// Search endpoints' shared shape: `query` (required), `limit`, `page`; `{object: "search_result", data,
/// has_more, next_page, url}`; `total_count` only with `expand[]=total_count`.
enum Search {
    static let schema: ParamSchema = [
        "query": .string(max: 5000).isRequired, "limit": .integer, "page": .string(max: 5000),
    ]

    static func page(_ matches: [JSONValue], _ p: Params, url: String) throws(StripeError) -> JSONValue {
        let limit = p.int("limit") ?? 10
        if limit < 1 { throw .validation("This value must be greater than or equal to 1.", param: "limit") }
        if limit > 100 { throw .validation("This value must be less than or equal to 100.", param: "limit") }
        let offset =
            try p.string("page").map { t throws(StripeError) in try Pagination.offset(fromToken: t, param: "page") }
            ?? 0
        let slice = Array(matches.dropFirst(offset).prefix(limit))
        let hasMore = offset + slice.count < matches.count
        return [
            "object": "search_result", "data": .array(slice), "has_more": .bool(hasMore),
            "next_page": hasMore ? .string(Pagination.token(offset: offset + slice.count)) : .null,
            "url": .string(url), "__total_count": .int(matches.count),
        ]
    }
}
