import Foundation

/// `/v1/events` (v1 snapshot events only; thin v2 events are not listed here).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | GET | /v1/events | `type` (exact or `*` wildcard), `types[]` (≤ 20, exclusive with `type`), `created`, `delivery_success` |
/// | GET | /v1/events/:id | |
struct EventsController {
    static let listSchema: ParamSchema = Pagination.schema.merging([
        "type": .string(max: 5000), "types": .array(.string(max: 5000), max: 20), "created": .range,
        "delivery_success": .boolean,
    ]) { a, _ in a }

    func addRoutes(to api: APIRoutes) {
        api.get("/v1/events/:id", [:], retrieve)
        api.get("/v1/events", Self.listSchema, list)
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let event = try store.get(Event.self, req.path())
        if event.isThin { throw StripeError.resourceMissing("event", event.id) }
        return event.render()
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = [.like("type", "v2.%", negated: true)]
        if p.has("type"), p.has("types") { throw StripeError.parametersExclusive("type", "types") }
        if let type = p.string("type") {
            if type.contains("*") {
                let escaped = type.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                    of: "%",
                    with: "\\%"
                )
                .replacingOccurrences(of: "_", with: "\\_").replacingOccurrences(of: "*", with: "%")
                filters.append(.like("type", escaped))
            } else {
                filters.append(.equals("type", .text(type)))
            }
        }
        if let types = p.strings("types"), !types.isEmpty { filters.append(.oneOf("type", types)) }
        if let created = RangeFilter(p["created"]) { filters.append(.range("created", created)) }
        // true: every endpoint answered 2xx (`pending_webhooks` 0); false: some still pending or failed for good.
        if let success = p.bool("delivery_success") {
            filters.append(
                success ? .equals("pendingWebhooks", .int(0)) : .range("pendingWebhooks", RangeFilter(gt: 0))
            )
        }
        let page = try store.list(Event.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/events") { $0.render() }
    }
}
