import Foundation
import Hummingbird

/// PaymentIntents: the list with status badges, and a PaymentIntent's timeline of status changes.
extension Dashboard.Controller {
    func addPaymentRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/payment_intents") { request, context in
            await self.page(request, context) { viewer in try await self.paymentIntents(viewer) }
        }
    }

    static let paymentIntentStatuses = [
        "requires_payment_method", "requires_confirmation", "requires_action", "processing", "succeeded", "canceled",
    ]

    func paymentIntents(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            if let status = viewer.param("status") { filters.append(.equals("status", .text(status))) }
            let page = try Dashboard.listPage(store, PaymentIntent.self, filters, viewer)
            return Dashboard.listPage(
                title: "PaymentIntents",
                viewer: viewer,
                active: "/dashboard/payment_intents",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "id, customer, amount, description…",
                    extra: Dashboard.select("status", Self.paymentIntentStatuses, selected: viewer.param("status"))
                ),
                table: Dashboard.paymentIntentTable(page.items),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }
}

extension Dashboard {
    static func paymentIntentTable(_ intents: [PaymentIntent]) -> HTML {
        let rows: [HTML] = intents.map { pi in
            let error: HTML = pi.lastPaymentError?["code"]?.stringValue.map { " <code>\($0)</code>" } ?? .empty
            return """
                <tr data-testid="row-\(pi.id)"><td>\(idLink(pi.id))</td><td class="num">\(money(pi.amount, pi.currency))</td>
                <td>\(badge(pi.status.rawValue))\(error)</td><td>\(idLink(pi.customer ?? pi.customerAccount))</td>
                <td>\(idLink(pi.paymentMethod))</td><td>\(idLink(pi.testClock))</td><td>\(time(pi.created))</td></tr>
                """
        }
        return table(
            ["PaymentIntent", "Amount", "Status", "Customer", "Payment method", "Test clock", "Created"],
            rows,
            empty: "No PaymentIntents match.",
            testID: "payment-intents"
        )
    }

    /// One status change of a PaymentIntent, read from an event's snapshot.
    struct TimelineStep: Sendable {
        var at: Int
        var status: String
        var eventType: String
        var eventID: String
        var detail: String?
    }

    /// The PaymentIntent's status changes, oldest first, from its own events (`payment_intent.*` snapshots).
    static func timeline(_ pi: PaymentIntent, events: [Event]) -> [TimelineStep] {
        events.filter { $0.object["id"]?.stringValue == pi.id && $0.type.hasPrefix("payment_intent.") }
            .map { e in
                let error = e.object["last_payment_error"]
                let detail = error.flatMap { $0.isNull ? nil : $0 }.map { err in
                    [err["code"]?.stringValue, err["message"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
                }
                return TimelineStep(
                    at: e.created,
                    status: e.object["status"]?.stringValue ?? "",
                    eventType: e.type,
                    eventID: e.id,
                    detail: detail
                )
            }
    }

    static func timelineHTML(_ steps: [TimelineStep]) -> HTML {
        guard !steps.isEmpty else { return "<p class=\"muted\">No status changes recorded yet.</p>" }
        let items: [HTML] = steps.map { s in
            let detail: HTML = s.detail.map { "<div class=\"muted\">\($0)</div>" } ?? .empty
            return """
                <li data-testid="timeline-step">\(badge(s.status)) <span class="muted">\(time(s.at))</span>
                · <a href="/dashboard/objects/\(s.eventID)">\(s.eventType)</a>\(detail)</li>
                """
        }
        return "<ol class=\"timeline\" data-testid=\"timeline\">\(items)</ol>"
    }
}
