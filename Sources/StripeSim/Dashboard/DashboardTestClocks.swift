import Foundation
import Hummingbird

/// Test clocks, and advancing one (the test helper's effect: `advancing`, then `ready` once due work ran).
extension Dashboard.Controller {
    func addTestClockRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/test_clocks") { request, context in
            await self.page(request, context) { viewer in try await self.testClocks(viewer) }
        }
        router.post("/dashboard/test_clocks/:id/advance") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.action(request, context) { viewer, form in try await self.advance(id, viewer, form) }
        }
    }

    func testClocks(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            switch viewer.param("status") {
            case "deleted": filters.append(.equals("deleted", .int(1)))
            case .some(let status): filters += [.equals("status", .text(status)), .equals("deleted", .int(0))]
            case nil: break
            }
            let page = try Dashboard.listPage(store, TestClock.self, filters, viewer)
            let rows: [HTML] = try page.items.map { clock in
                let customers = try store.count(
                    Customer.self,
                    where: [.equals("testClock", .text(clock.id)), .equals("deleted", .int(0))]
                )
                let state = clock.deleted ? "deleted" : clock.status.rawValue
                let target: HTML = clock.targetFrozenTime.map { " → \(Dashboard.time($0))" } ?? .empty
                return """
                    <tr data-testid="row-\(clock.id)"><td>\(Dashboard.idLink(clock.id))</td><td>\(clock.name ?? "")</td>
                    <td>\(Dashboard.time(clock.frozenTime))\(target)</td><td>\(Dashboard.badge(state))</td>
                    <td class="num">\(customers)</td>
                    <td>\(clock.deleted ? .empty : Dashboard.advanceForm(clock, viewer: viewer))</td></tr>
                    """
            }
            let advancing = page.items.contains { $0.status == .advancing && !$0.deleted }
            return Dashboard.listPage(
                title: "Test clocks",
                viewer: viewer,
                active: "/dashboard/test_clocks",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "id, name…",
                    extra: Dashboard.select(
                        "status",
                        ["ready", "advancing", "deleted"],
                        selected: viewer.param("status")
                    )
                ),
                table: Dashboard.table(
                    ["Clock", "Name", "Frozen time", "Status", "Customers", "Advance"],
                    rows,
                    empty: "No test clocks. Create one with POST /v1/test_helpers/test_clocks.",
                    testID: "test-clocks"
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore),
                intro: """
                    <p class="muted">Payments of customers on a clock settle when the clock passes their due time (US business days).
                    Times are UTC.</p>
                    """,
                refreshSeconds: advancing ? 1 : nil
            )
        }
    }

    /// `POST /dashboard/test_clocks/:id/advance`: to `frozen_time` (datetime-local, UTC, or Unix seconds) or by
    /// `advance_by` seconds; the same checks and effects as `POST /v1/test_helpers/test_clocks/:id/advance`.
    func advance(_ id: String, _ viewer: Viewer, _ form: Dashboard.Form) async throws -> Dashboard.Action {
        let by = form.value("advance_by").flatMap { Int($0) }
        let at = form.value("frozen_time").flatMap { Int($0) ?? Dashboard.parseDatetimeLocal($0) }
        if by == nil && at == nil {
            throw StripeError.invalidRequest("Choose a time to advance the clock to.", param: "frozen_time")
        }
        let (_, signals) = try await deps.database.write(storeContext(viewer, requestID: viewer.requestID)) { store in
            var clock = try store.get(TestClock.self, id)
            if clock.deleted { throw StripeError.resourceMissing("test_clock", id) }
            let target = by.map { clock.frozenTime + $0 } ?? at ?? clock.frozenTime
            try clock.beginAdvance(to: target)
            try store.update(clock)
            try store.emit("test_helpers.test_clock.advancing", clock.render())
            store.signals.insert(.clockAdvancing(account: store.account, id: clock.id))
        }
        deps.dispatch(signals)
        let back = Self.safeReturnPath(form.value("return_to")) ?? "/dashboard/test_clocks"
        return Dashboard.Action(
            location: Self.done(back.split(separator: "?").first.map(String.init) ?? back, "advancing")
        )
    }
}

extension Dashboard {
    /// Quick steps (+1 hour, +1 day, +5 days: past a T+4 business-day settlement from any weekday) and a
    /// date-time field.
    static func advanceForm(_ clock: TestClock, viewer: Viewer) -> HTML {
        if clock.status == .advancing { return "<span class=\"muted\">advancing…</span>" }
        let steps: [(String, Int)] = [("+1 hour", 3600), ("+1 day", 86_400), ("+5 days", 5 * 86_400)]
        let buttons: [HTML] = steps.map { label, seconds in
            """
            <button type="submit" name="advance_by" value="\(seconds)" class="secondary" data-testid="advance-\(clock.id)-\(seconds)">\(label)</button>
            """
        }
        return """
            <form method="post" action="/dashboard/test_clocks/\(encode(clock.id))/advance" class="filters" data-testid="advance-form-\(clock.id)">
              \(hidden(viewer))\(buttons)
              <input type="datetime-local" name="frozen_time" step="1" value="\(datetimeLocal(clock.frozenTime + 86_400))" aria-label="Advance to (UTC)"> <span class="muted">UTC</span>
              <button type="submit" data-testid="advance-submit-\(clock.id)">Advance to</button>
            </form>
            """
    }
}
