import Foundation

/// Simulator-only webhook visibility (secret keys; not Stripe endpoints, so not in Stripe's SDKs).
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | GET | /v1/test_helpers/webhook_deliveries | `event`, `webhook_endpoint`, `status`, pagination; newest first; each delivery with all its attempts |
/// | POST | /v1/test_helpers/events/:id/redeliver | `webhook_endpoint` (optional: default every enabled endpoint that receives the event, and the `--forward-to` target); a new single-attempt delivery each, sent now; pending retries continue |
struct WebhookDeliveriesController {
    static let listSchema: ParamSchema = Pagination.schema.merging([
        "event": .string(max: 5000), "webhook_endpoint": .string(max: 5000),
        "status": .oneOf("pending", "succeeded", "failed"),
    ]) { a, _ in a }

    func addRoutes(to api: APIRoutes) {
        api.get("/v1/test_helpers/webhook_deliveries", Self.listSchema, list)
        api.post("/v1/test_helpers/events/:id/redeliver", ["webhook_endpoint": .string(max: 5000)], redeliver)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let p = req.params
        var filters: [Filter] = []
        if let event = p.string("event") { filters.append(.equals("event", .text(event))) }
        if let endpoint = p.string("webhook_endpoint") { filters.append(.equals("endpoint", .text(endpoint))) }
        if let status = p.string("status") { filters.append(.equals("status", .text(status))) }
        let page = try store.list(WebhookDelivery.self, where: filters, page: try Pagination.pageRequest(p))
        return Pagination.list(page, url: "/v1/test_helpers/webhook_deliveries") { $0.render() }
    }

    @Sendable func redeliver(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let deliveries = try store.redeliver(event: req.path(), to: req.params.string("webhook_endpoint"))
        return Pagination.list(
            deliveries.map { $0.render() },
            hasMore: false,
            url: "/v1/test_helpers/webhook_deliveries"
        )
    }
}
