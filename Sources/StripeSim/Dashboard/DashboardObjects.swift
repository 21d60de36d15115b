import Foundation
import Hummingbird

// MARK: - Kinds of objects

extension Dashboard {
    /// Every kind of stored object the dashboard can show, by id prefix.
    enum ObjectKind: String, Sendable, CaseIterable {
        // In the order related objects are listed: customer → sessions → accounts → payment methods → intents →
        // charges → … (events have their own section).
        case customer, v2Account, testClock, fcSession, fcAccount, fcOwnership, paymentMethod, mandate, setupIntent,
            paymentIntent, charge, webhookEndpoint, webhookDelivery, fcTransaction, event

        static let byPrefix: [String: ObjectKind] = [
            "cus": .customer, "acct": .v2Account, "clock": .testClock, "fcsess": .fcSession, "fca": .fcAccount,
            "fcaowns": .fcOwnership, "pm": .paymentMethod, "mandate": .mandate, "seti": .setupIntent,
            "pi": .paymentIntent, "py": .charge, "ch": .charge, "we": .webhookEndpoint, "whdel": .webhookDelivery,
            "fctxn": .fcTransaction, "evt": .event,
        ]

        static func of(_ id: String) -> ObjectKind? {
            guard let underscore = id.firstIndex(of: "_") else { return nil }
            return byPrefix[String(id[..<underscore])]
        }

        var type: any DashboardObject.Type {
            switch self {
            case .customer: Customer.self
            case .v2Account: V2Account.self
            case .testClock: TestClock.self
            case .fcSession: FCSession.self
            case .fcAccount: FCAccount.self
            case .fcOwnership: FCOwnership.self
            case .paymentMethod: PaymentMethod.self
            case .mandate: Mandate.self
            case .setupIntent: SetupIntent.self
            case .paymentIntent: PaymentIntent.self
            case .charge: Charge.self
            case .webhookEndpoint: WebhookEndpoint.self
            case .webhookDelivery: WebhookDelivery.self
            case .fcTransaction: FCTransaction.self
            case .event: Event.self
            }
        }

        var title: String {
            switch self {
            case .customer: "Customers"
            case .v2Account: "v2 accounts"
            case .testClock: "Test clocks"
            case .fcSession: "Financial Connections sessions"
            case .fcAccount: "Financial Connections accounts"
            case .fcOwnership: "Ownership"
            case .paymentMethod: "Payment methods"
            case .mandate: "Mandates"
            case .setupIntent: "SetupIntents"
            case .paymentIntent: "PaymentIntents"
            case .charge: "Charges"
            case .webhookEndpoint: "Webhook endpoints"
            case .webhookDelivery: "Webhook deliveries"
            case .fcTransaction: "Transactions"
            case .event: "Events"
            }
        }

        /// The list page showing this kind (its `q` search finds what mentions an id).
        var listPath: String? {
            switch self {
            case .customer: "/dashboard/customers"
            case .v2Account: "/dashboard/accounts"
            case .testClock: "/dashboard/test_clocks"
            case .fcSession: "/dashboard/fc_sessions"
            case .fcAccount: "/dashboard/fc_accounts"
            case .paymentIntent: "/dashboard/payment_intents"
            case .webhookDelivery: "/dashboard/webhook_deliveries"
            case .event: "/dashboard/events"
            default: nil
            }
        }
    }

    /// An object as the dashboard shows it anywhere: kind, id, one-line label, status, wire JSON.
    struct Shown: Sendable {
        var kind: ObjectKind
        var id: String
        var created: Int
        var label: String
        var status: String?
        var json: JSONValue
    }
}

/// A stored resource the dashboard can show.
protocol DashboardObject: StoredResource {
    /// The object as the API returns it.
    func dashboardJSON(_ store: Store) throws -> JSONValue
    /// A short description (name, amount, bank…).
    var dashboardLabel: String { get }
    var dashboardStatus: String? { get }
}

extension DashboardObject {
    func shown(_ store: Store) throws -> Dashboard.Shown {
        Dashboard.Shown(
            kind: Dashboard.ObjectKind.of(id) ?? .event,
            id: id,
            created: created,
            label: dashboardLabel,
            status: dashboardStatus,
            json: try dashboardJSON(store)
        )
    }
}

/// Objects whose `render()` is Stripe's deleted stub once deleted: the dashboard still shows what they were.
private protocol SoftDeleted {
    var deleted: Bool { get set }
    func render() -> JSONValue
}

extension SoftDeleted {
    var renderedEvenIfDeleted: JSONValue {
        var copy = self
        copy.deleted = false
        var json = copy.render()
        if deleted { json["deleted"] = true }
        return json
    }
}

extension Customer: SoftDeleted {}
extension TestClock: SoftDeleted {}

extension Customer: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { renderedEvenIfDeleted }
    var dashboardLabel: String { [name, email].compactMap { $0 }.joined(separator: " · ") }
    var dashboardStatus: String? { deleted ? "deleted" : nil }
}

extension V2Account: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render(include: Set(V2Account.includable)) }
    var dashboardLabel: String { [displayName, contactEmail].compactMap { $0 }.joined(separator: " · ") }
    var dashboardStatus: String? { closed ? "closed" : nil }
}

extension TestClock: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { renderedEvenIfDeleted }
    var dashboardLabel: String { [name, Dashboard.displayTime(frozenTime)].compactMap { $0 }.joined(separator: " · ") }
    var dashboardStatus: String? { deleted ? "deleted" : status.rawValue }
}

extension FCSession: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { try FCSessionsController.render(self, store: store) }
    var dashboardLabel: String { permissions.joined(separator: ", ") }
    var dashboardStatus: String? { status.rawValue }
}

extension FCAccount: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { "\(institutionName) · \(displayName) ••\(last4)" }
    var dashboardStatus: String? { status.rawValue }
}

extension FCOwnership: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { owners.map(\.name).joined(separator: ", ") }
    var dashboardStatus: String? { nil }
}

extension FCTransaction: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { "\(description) · \(Dashboard.money(amount, currency))" }
    var dashboardStatus: String? { status }
}

extension PaymentMethod: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { "\(bankName) ••\(last4)" }
    var dashboardStatus: String? { blocked == nil ? nil : "blocked" }
}

extension Mandate: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { multiUse ? "multi-use" : "single use" }
    var dashboardStatus: String? { status }
}

extension SetupIntent: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { usage }
    var dashboardStatus: String? { status.rawValue }
}

extension PaymentIntent: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String {
        [Dashboard.money(amount, currency), description].compactMap { $0 }.joined(separator: " · ")
    }
    var dashboardStatus: String? { status.rawValue }
}

extension Charge: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String {
        [Dashboard.money(amount, currency), failureCode].compactMap { $0 }.joined(separator: " · ")
    }
    var dashboardStatus: String? { status }
}

extension WebhookEndpoint: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue {
        var copy = self
        copy.deleted = false
        var json = copy.render()
        if deleted { json["deleted"] = true }
        return json
    }
    var dashboardLabel: String { url }
    var dashboardStatus: String? { deleted ? "deleted" : status.rawValue }
}

extension WebhookDelivery: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { "\(eventType) → \(url)" }
    var dashboardStatus: String? { status.rawValue }
}

extension Event: DashboardObject {
    func dashboardJSON(_ store: Store) throws -> JSONValue { render() }
    var dashboardLabel: String { type }
    var dashboardStatus: String? { nil }
}

// MARK: - The detail page

extension Dashboard.Controller {
    func addObjectRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/objects/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.page(request, context) { viewer in try await self.object(id, viewer) }
        }
    }

    /// Loads one object of the viewer's account.
    static func load(_ id: String, _ store: Store) throws -> Dashboard.Shown? {
        guard let kind = Dashboard.ObjectKind.of(id) else { return nil }
        return try load(kind.type, id, store)
    }

    private static func load<T: DashboardObject>(
        _ type: T.Type,
        _ id: String,
        _ store: Store
    ) throws -> Dashboard.Shown? {
        try store.find(T.self, id)?.shown(store)
    }

    /// Objects of a kind whose JSON holds `id` as a value (what refers to it), newest first.
    static func mentioning(
        _ kind: Dashboard.ObjectKind,
        _ id: String,
        _ store: Store,
        limit: Int
    ) throws
        -> Page<Dashboard.Shown>
    {
        try mentioning(kind.type, id, store, limit: limit)
    }

    private static func mentioning<T: DashboardObject>(
        _ type: T.Type,
        _ id: String,
        _ store: Store,
        limit: Int
    ) throws
        -> Page<Dashboard.Shown>
    {
        let page = try store.list(T.self, where: [Dashboard.mentions(id)], page: PageRequest(limit: limit))
        return Page(items: try page.items.filter { $0.id != id }.map { try $0.shown(store) }, hasMore: page.hasMore)
    }

    /// `GET /dashboard/objects/:id`: the object's summary, actions, related objects (what it refers to and what
    /// refers to it), its events (a PaymentIntent's as a timeline) and its JSON.
    func object(_ id: String, _ viewer: Viewer) async throws -> HTML {
        let bank = deps.bank
        let nowMs = Int(deps.wallClock.now().timeIntervalSince1970 * 1000)
        return try await read(viewer) { store in
            guard let shown = try Self.load(id, store) else {
                throw StripeError(
                    status: 404,
                    code: "resource_missing",
                    message:
                        "No object \(id) in this account. Ids from other accounts (other API keys) are not visible here."
                )
            }
            let kind = shown.kind

            // Related: what the object refers to (ids in its JSON), then what refers to it, grouped by kind.
            var related: [Dashboard.ObjectKind: [Dashboard.Shown]] = [:]
            var more: Set<Dashboard.ObjectKind> = []
            for ref in Dashboard.referencedIDs(shown.json.serialized(pretty: false)) where ref != id {
                if let other = try Self.load(ref, store), other.kind != .event {
                    related[other.kind, default: []].append(other)
                }
            }
            for other in Dashboard.ObjectKind.allCases where other != .event {
                let page = try Self.mentioning(other, id, store, limit: 20)
                for item in page.items where !(related[other]?.contains { $0.id == item.id } ?? false) {
                    related[other, default: []].append(item)
                }
                if page.hasMore { more.insert(other) }
            }
            let events = try store.list(Event.self, where: [Dashboard.mentions(id)], page: PageRequest(limit: 100))

            var actions: HTML = .empty
            var extra: HTML = .empty
            switch kind {
            case .fcSession:
                if let session = try store.find(FCSession.self, id), session.status == .pending {
                    actions = """
                        <section class="card"><h2>Complete this session</h2>
                        <p class="muted">As the hosted flow or <code>POST /v1/test_helpers/financial_connections/sessions/:id/complete</code> would.</p>
                        \(Dashboard.completeForm(session, bank: bank, viewer: viewer))</section>
                        """
                }
            case .testClock:
                if let clock = try store.find(TestClock.self, id), !clock.deleted {
                    actions =
                        "<section class=\"card\"><h2>Advance</h2>\(Dashboard.advanceForm(clock, viewer: viewer))</section>"
                }
            case .event:
                if let event = try store.find(Event.self, id), !event.isThin {
                    let endpoints = try store.all(WebhookEndpoint.self, where: [.equals("deleted", .int(0))])
                    actions =
                        "<section class=\"card\"><h2>Redeliver</h2>\(Dashboard.redeliverForm(event, endpoints: endpoints, viewer: viewer))</section>"
                    let deliveries = try store.all(WebhookDelivery.self, where: [.equals("event", .text(id))])
                    extra =
                        "<section class=\"card\"><h2>Deliveries</h2>\(Dashboard.deliveryTable(deliveries, nowMs: nowMs))</section>"
                }
            case .paymentIntent:
                if let pi = try store.find(PaymentIntent.self, id) {
                    let steps = Dashboard.timeline(pi, events: events.items.reversed())
                    extra = "<section class=\"card\"><h2>Timeline</h2>\(Dashboard.timelineHTML(steps))</section>"
                }
            case .webhookDelivery:
                if let d = try store.find(WebhookDelivery.self, id) {
                    extra =
                        "<section class=\"card\"><h2>Attempts</h2>\(Dashboard.deliveryTable([d], nowMs: nowMs))</section>"
                }
            default: break
            }

            let relatedHTML: [HTML] = Dashboard.ObjectKind.allCases.compactMap { k in
                guard let items = related[k], !items.isEmpty else { return nil }
                let rows: [HTML] = items.map { o in
                    "<tr><td>\(Dashboard.idLink(o.id))</td><td>\(o.label)</td><td>\(Dashboard.badge(o.status))</td><td>\(Dashboard.time(o.created))</td></tr>"
                }
                let all: HTML =
                    more.contains(k)
                    ? k.listPath.map { " <a class=\"more\" href=\"\(Dashboard.url($0, [("q", id)]))\">all →</a>" }
                        ?? " <span class=\"more muted\">(first 20)</span>"
                    : .empty
                return
                    "<h3>\(k.title)\(all)</h3><table class=\"related\" data-testid=\"related-\(k.rawValue)\">\(rows)</table>"
            }
            let eventsHTML: HTML =
                kind == .event
                ? .empty
                : """
                <section class="card"><h2>Events <a class="more" href="\(Dashboard.url("/dashboard/events", [("q", id)]))">all →</a></h2>
                \(Dashboard.eventTable(events.items, viewer: viewer, withJSON: true))</section>
                """
            // The webhook deliveries of those events.
            var deliveriesHTML: HTML = .empty
            if kind != .event && kind != .webhookDelivery && !events.items.isEmpty {
                let deliveries = try store.list(
                    WebhookDelivery.self,
                    where: [.oneOf("event", events.items.map(\.id))],
                    page: PageRequest(limit: 50)
                )
                if !deliveries.items.isEmpty {
                    deliveriesHTML = """
                        <section class="card" data-testid="object-deliveries"><h2>Webhook deliveries of these events</h2>
                        \(Dashboard.deliveryTable(deliveries.items, nowMs: nowMs))</section>
                        """
                }
            }
            let status: HTML = shown.status.map { Dashboard.badge($0) } ?? .empty
            let advancing = kind == .testClock && shown.status == "advancing"
            let body: HTML = """
                <h1>\(kind.title.hasSuffix("s") ? String(kind.title.dropLast()) : kind.title) <code data-testid="object-id">\(shown.id)</code> \(status)</h1>
                <section class="card"><dl class="fields"><dt>Summary</dt><dd>\(shown.label.isEmpty ? "—" : shown.label)</dd>
                <dt>Created</dt><dd>\(Dashboard.time(shown.created))</dd></dl></section>
                \(actions)\(extra)
                <section class="card" data-testid="related"><h2>Related objects</h2>\(relatedHTML.isEmpty ? "<p class=\"muted\">None.</p>" : relatedHTML.joined())</section>
                \(eventsHTML)\(deliveriesHTML)
                <section class="card"><h2>JSON</h2>\(Dashboard.json(shown.json))</section>
                """
            return Dashboard.layout(
                title: shown.id,
                viewer: viewer,
                active: kind.listPath,
                refreshSeconds: advancing ? 1 : nil,
                body: body
            )
        }
    }
}
