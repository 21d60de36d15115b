import Foundation

/// `/v1/webhook_endpoints`.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | POST | /v1/webhook_endpoints | `url`, `enabled_events[]` (required; names or `*`), `description`, `metadata`, `api_version`, `connect`; the only response carrying `secret` |
/// | GET | /v1/webhook_endpoints/:id | |
/// | POST | /v1/webhook_endpoints/:id | `url`, `enabled_events[]`, `description`, `disabled`, `metadata` (`secret` is unknown here) |
/// | DELETE | /v1/webhook_endpoints/:id | `{id, object, deleted: true}`; its pending deliveries stop |
/// | GET | /v1/webhook_endpoints | newest first |
struct WebhookEndpointsController {
    func addRoutes(to api: APIRoutes) {
        api.post("/v1/webhook_endpoints", WebhookEndpoint.createSchema, create)
        api.get("/v1/webhook_endpoints/:id", [:], retrieve)
        api.post("/v1/webhook_endpoints/:id", WebhookEndpoint.updateSchema, update)
        api.delete("/v1/webhook_endpoints/:id", [:], delete)
        api.get("/v1/webhook_endpoints", Pagination.schema, list)
    }

    private func live(_ store: Store, _ id: String) throws -> WebhookEndpoint {
        let endpoint = try store.get(WebhookEndpoint.self, id)
        if endpoint.deleted { throw StripeError.resourceMissing(WebhookEndpoint.objectName, id) }
        return endpoint
    }

    @Sendable func create(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var endpoint = WebhookEndpoint(
            id: store.ids.make("we"),
            created: store.now,
            url: "",
            enabledEvents: [],
            secret: WebhookEndpoint.makeSecret(store.ids)
        )
        try endpoint.apply(req.params)
        try store.insert(endpoint)
        return endpoint.render(includeSecret: true)
    }

    @Sendable func retrieve(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        try live(store, req.path()).render()
    }

    @Sendable func update(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var endpoint = try live(store, req.path())
        let wasEnabled = endpoint.status == .enabled
        try endpoint.apply(req.params)
        try store.update(endpoint)
        // Re-enabled: its waiting deliveries may go out now.
        if !wasEnabled, endpoint.status == .enabled { store.signals.insert(.webhooksQueued) }
        return endpoint.render()
    }

    @Sendable func delete(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        var endpoint = try live(store, req.path())
        endpoint.deleted = true
        try store.update(endpoint)
        try store.cancelWebhookDeliveries(endpoint: endpoint.id)
        return WebhookEndpoint.deletedStub(endpoint.id)
    }

    @Sendable func list(_ req: APIRequest, _ store: Store) throws -> JSONValue {
        let page = try store.list(
            WebhookEndpoint.self,
            where: [.equals("deleted", .int(0))],
            page: try Pagination.pageRequest(req.params)
        )
        return Pagination.list(page, url: "/v1/webhook_endpoints") { $0.render() }
    }
}
