import Foundation
import Hummingbird

/// Events (with their JSON), webhook deliveries (attempts, codes, next retry), and redelivering an event.
extension Dashboard.Controller {
    func addEventRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/events") { request, context in
            await self.page(request, context) { viewer in try await self.events(viewer) }
        }
        router.get("/dashboard/webhook_deliveries") { request, context in
            await self.page(request, context) { viewer in try await self.deliveries(viewer) }
        }
        router.post("/dashboard/events/:id/redeliver") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.action(request, context) { viewer, form in try await self.redeliver(id, viewer, form) }
        }
    }

    func events(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            if let type = viewer.param("type") { filters.append(.like("type", "%" + Dashboard.likeEscape(type) + "%")) }
            let page = try Dashboard.listPage(store, Event.self, filters, viewer)
            let typeInput: HTML = """
                <input name="type" value="\(viewer.param("type"))" placeholder="type contains… (payment_intent.)" aria-label="Event type" data-testid="event-type">
                """
            return Dashboard.listPage(
                title: "Events",
                viewer: viewer,
                active: "/dashboard/events",
                filters: Dashboard.filterForm(viewer, placeholder: "id, object id, any text…", extra: typeInput),
                table: Dashboard.eventTable(page.items, viewer: viewer, withJSON: true),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }

    func deliveries(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            if let status = viewer.param("status") { filters.append(.equals("status", .text(status))) }
            let page = try Dashboard.listPage(store, WebhookDelivery.self, filters, viewer)
            let pending = page.items.contains { $0.status == .pending }
            return Dashboard.listPage(
                title: "Webhook deliveries",
                viewer: viewer,
                active: "/dashboard/webhook_deliveries",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "event id, endpoint, URL, type…",
                    extra: Dashboard.select(
                        "status",
                        ["pending", "succeeded", "failed"],
                        selected: viewer.param("status")
                    )
                ),
                table: Dashboard.deliveryTable(
                    page.items,
                    nowMs: Int(deps.wallClock.now().timeIntervalSince1970 * 1000)
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore),
                intro: """
                    <p class="muted">Each row is one event on its way to one endpoint (or the <code>--forward-to</code> target), with every attempt.
                    Retries follow the server's schedule; attempt times are wall-clock time.</p>
                    """,
                refreshSeconds: pending ? 2 : nil
            )
        }
    }

    /// `POST /dashboard/events/:id/redeliver`: a new single-attempt delivery to the chosen endpoint, or to every
    /// enabled endpoint receiving the event (as `POST /v1/test_helpers/events/:id/redeliver`).
    func redeliver(_ id: String, _ viewer: Viewer, _ form: Dashboard.Form) async throws -> Dashboard.Action {
        let endpointID = form.value("webhook_endpoint")
        let (_, signals) = try await deps.database.write(storeContext(viewer, requestID: viewer.requestID)) { store in
            _ = try store.redeliver(event: id, to: endpointID)
        }
        deps.dispatch(signals)
        return Dashboard.Action(location: Self.done("/dashboard/objects/\(Dashboard.encode(id))", "redelivered"))
    }
}

extension Dashboard {
    /// Events, newest first; `withJSON` adds each event's JSON in a disclosure.
    static func eventTable(_ events: [Event], viewer: Viewer, withJSON: Bool) -> HTML {
        let rows: [HTML] = events.map { e in
            let objectID = e.isThin ? e.object["related_object"]?["id"]?.stringValue : e.object["id"]?.stringValue
            let json: HTML =
                withJSON
                ? "<tr class=\"attempts\"><td colspan=\"6\"><details><summary>JSON</summary>\(Dashboard.json(e.render()))</details></td></tr>"
                : .empty
            let origin: HTML = e.requestID.map { "\(idLink($0))" } ?? "<span class=\"muted\">automatic</span>"
            return """
                <tr data-testid="row-\(e.id)"><td>\(idLink(e.id))</td><td><code>\(e.type)</code></td><td>\(idLink(objectID))</td>
                <td>\(origin)</td><td class="num">\(e.pendingWebhooks)</td><td>\(time(e.created))</td></tr>\(json)
                """
        }
        return table(
            ["Event", "Type", "Object", "Request", "Pending webhooks", "Created"],
            rows,
            empty: "No events match.",
            testID: "events"
        )
    }

    static func deliveryTable(_ deliveries: [WebhookDelivery], nowMs: Int) -> HTML {
        let rows: [HTML] = deliveries.map { d in
            let last = d.attempts.last
            let next: HTML
            if d.status == .pending, let at = d.nextAttemptAt {
                next =
                    at <= nowMs
                    ? "now"
                    : "\(time((at + 999) / 1000)) <span class=\"muted\">in \(max(0, (at - nowMs + 999) / 1000))s</span>"
            } else {
                next = "<span class=\"muted\">—</span>"
            }
            let endpoint: HTML = d.forwarded ? "<span class=\"muted\">--forward-to</span>" : idLink(d.endpoint)
            let kind: HTML = d.redelivery ? " <span class=\"badge neutral\">redelivery</span>" : .empty
            return """
                <tr data-testid="row-\(d.id)"><td>\(idLink(d.id))\(kind)</td><td>\(idLink(d.event)) <code>\(d.eventType)</code></td>
                <td>\(endpoint)<div class="muted">\(d.url)</div></td><td>\(badge(d.status.rawValue))</td>
                <td class="num">\(d.attempts.count)</td><td>\(last.map { statusCode($0.statusCode) } ?? "<span class=\"muted\">—</span>")</td>
                <td>\(next)</td></tr>
                <tr class="attempts"><td></td><td colspan="6">\(attemptsHTML(d))</td></tr>
                """
        }
        return table(
            ["Delivery", "Event", "Endpoint", "Status", "Attempts", "Last code", "Next retry"],
            rows,
            empty: "No webhook deliveries match. Create an endpoint with POST /v1/webhook_endpoints to get some.",
            testID: "deliveries"
        )
    }

    static func attemptsHTML(_ d: WebhookDelivery) -> HTML {
        guard !d.attempts.isEmpty else { return "<span class=\"muted\">no attempt yet</span>" }
        let rows: [HTML] = d.attempts.enumerated().map { n, a in
            let outcome: HTML = a.error.map { "<span class=\"muted\">\($0)</span>" } ?? .empty
            let excerpt: HTML =
                a.responseBodyExcerpt.map { "<code>\(SecretMask.mask(String($0.prefix(200))))</code>" } ?? .empty
            return """
                <tr><td class="num">#\(n + 1)</td><td>\(time(a.attemptedAt))</td><td>\(statusCode(a.statusCode)) \(outcome)</td>
                <td class="num">\(a.latencyMs) ms</td><td>\(excerpt)</td></tr>
                """
        }
        return "<details><summary>\(d.attempts.count) attempt(s)</summary><table>\(rows)</table></details>"
    }

    /// Redeliver an event: to every endpoint receiving it, or one chosen endpoint.
    static func redeliverForm(_ event: Event, endpoints: [WebhookEndpoint], viewer: Viewer) -> HTML {
        let options: [HTML] = endpoints.map { "<option value=\"\($0.id)\">\($0.id) — \($0.url)</option>" }
        return """
            <form method="post" action="/dashboard/events/\(encode(event.id))/redeliver" class="filters" data-testid="redeliver-form">
              \(hidden(viewer))
              <select name="webhook_endpoint" aria-label="Endpoint"><option value="">every endpoint receiving \(event.type)</option>\(options)</select>
              <button type="submit" data-testid="redeliver-submit">Redeliver</button>
            </form>
            """
    }
}
