import Foundation
import Hummingbird

/// Financial Connections sessions and accounts, and completing a pending session (the test helper's effect).
extension Dashboard.Controller {
    func addFinancialConnectionsRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/fc_sessions") { request, context in
            await self.page(request, context) { viewer in try await self.fcSessions(viewer) }
        }
        router.get("/dashboard/fc_accounts") { request, context in
            await self.page(request, context) { viewer in try await self.fcAccounts(viewer) }
        }
        router.post("/dashboard/fc_sessions/:id/complete") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.action(request, context) { viewer, form in try await self.complete(id, viewer, form) }
        }
    }

    func fcSessions(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            if let status = viewer.param("status") { filters.append(.equals("status", .text(status))) }
            let page = try Dashboard.listPage(store, FCSession.self, filters, viewer)
            let rows: [HTML] = page.items.map { s in
                let action: HTML =
                    s.status == .pending
                    ? "<a href=\"/dashboard/objects/\(s.id)#complete\" data-testid=\"complete-\(s.id)\">Complete…</a>"
                    : .empty
                return """
                    <tr data-testid="row-\(s.id)"><td>\(Dashboard.idLink(s.id))</td><td>\(Dashboard.holder(s.accountHolder))</td>
                    <td>\(s.permissions.joined(separator: ", "))</td><td>\(Dashboard.badge(s.status.rawValue))</td>
                    <td class="num">\(s.accountIDs.count)</td><td>\(Dashboard.time(s.created))</td><td>\(action)</td></tr>
                    """
            }
            return Dashboard.listPage(
                title: "Financial Connections sessions",
                viewer: viewer,
                active: "/dashboard/fc_sessions",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "id, customer, permission…",
                    extra: Dashboard.select(
                        "status",
                        ["pending", "succeeded", "cancelled", "failed"],
                        selected: viewer.param("status")
                    )
                ),
                table: Dashboard.table(
                    ["Session", "Account holder", "Permissions", "Status", "Accounts", "Created", ""],
                    rows,
                    empty: "No sessions match.",
                    testID: "fc-sessions"
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }

    func fcAccounts(_ viewer: Viewer) async throws -> HTML {
        try await read(viewer) { store in
            var filters: [Filter] = []
            if let status = viewer.param("status") { filters.append(.equals("status", .text(status))) }
            let page = try Dashboard.listPage(store, FCAccount.self, filters, viewer)
            let rows: [HTML] = page.items.map { a in
                """
                <tr data-testid="row-\(a.id)"><td>\(Dashboard.idLink(a.id))</td><td>\(a.institutionName)</td>
                <td>\(a.displayName) <span class="muted">••\(a.last4)</span></td><td>\(a.category) / \(a.subcategory)</td>
                <td>\(Dashboard.badge(a.status.rawValue))</td><td>\(Dashboard.holder(a.accountHolder))</td>
                <td>\(Dashboard.idLink(a.session))</td><td>\(Dashboard.time(a.created))</td></tr>
                """
            }
            return Dashboard.listPage(
                title: "Financial Connections accounts",
                viewer: viewer,
                active: "/dashboard/fc_accounts",
                filters: Dashboard.filterForm(
                    viewer,
                    placeholder: "id, institution, name, last4…",
                    extra: Dashboard.select(
                        "status",
                        ["active", "inactive", "disconnected"],
                        selected: viewer.param("status")
                    )
                ),
                table: Dashboard.table(
                    ["Account", "Institution", "Name", "Category", "Status", "Holder", "Session", "Created"],
                    rows,
                    empty: "No linked accounts match.",
                    testID: "fc-accounts"
                ),
                pager: Dashboard.pager(viewer, ids: page.items.map(\.id), hasMore: page.hasMore)
            )
        }
    }

    /// `POST /dashboard/fc_sessions/:id/complete`: the test helper's effect, through `FCEngine.complete`.
    func complete(_ id: String, _ viewer: Viewer, _ form: Dashboard.Form) async throws -> Dashboard.Action {
        let outcomeText = form.value("outcome") ?? "success"
        guard let outcome = FCEngine.Outcome(rawValue: outcomeText) else {
            throw StripeError.invalidRequest(
                "Unknown outcome \(outcomeText): use success, cancelled or failed.",
                param: "outcome"
            )
        }
        let institution = form.value("institution")
        var accounts = form.values("accounts").flatMap {
            $0.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
        }
        accounts.removeAll { $0.isEmpty }
        let chosen = accounts.isEmpty ? nil : accounts
        let (_, signals) = try await deps.database.write(storeContext(viewer, requestID: viewer.requestID)) { store in
            var session = try store.get(FCSession.self, id)
            _ = try FCEngine.complete(
                &session,
                institutionID: institution,
                accountIDs: chosen,
                outcome: outcome,
                store: store
            )
        }
        deps.dispatch(signals)
        return Dashboard.Action(location: Self.done("/dashboard/objects/\(Dashboard.encode(id))", "completed"))
    }
}

extension Dashboard {
    /// `customer cus_…` / `customer_account acct_…` / `account acct_…`.
    static func holder(_ h: AccountHolder) -> HTML {
        if let c = h.customer { return idLink(c) }
        if let a = h.customerAccount { return "\(idLink(a)) <span class=\"muted\">v2</span>" }
        if let a = h.account { return "\(idLink(a)) <span class=\"muted\">connect</span>" }
        return "<span class=\"muted\">\(h.type)</span>"
    }

    /// The form that completes a pending session: institution (default: the first one up), outcome, accounts.
    static func completeForm(_ session: FCSession, bank: BankFixtures, viewer: Viewer) -> HTML {
        let options: [HTML] = bank.institutions.map { i in
            let note = i.status.isUp ? i.auth.rawValue : i.status.rawValue.replacingOccurrences(of: "_", with: " ")
            return "<option value=\"\(i.id)\">\(i.name) (\(note))</option>"
        }
        let reference: [HTML] = bank.institutions.map { i in
            let accounts: [HTML] = i.accounts.map { a in
                let eligible = FCEngine.eligibility(a, session: session)
                let why: HTML = eligible.map { "<span class=\"muted\"> — not eligible: \($0)</span>" } ?? .empty
                return
                    "<li><code>\(a.id)</code> \(a.displayName) ••\(a.last4) <span class=\"muted\">\(a.behaviorSummary)</span>\(why)</li>"
            }
            return
                "<li><strong>\(i.name)</strong> <code>\(i.id)</code> \(Dashboard.badge(i.status.rawValue))<ul>\(accounts)</ul></li>"
        }
        return """
            <form method="post" action="/dashboard/fc_sessions/\(encode(session.id))/complete" class="stack" id="complete" data-testid="complete-form">
              \(hidden(viewer))
              <label>Institution <select name="institution" data-testid="complete-institution">
                <option value="">first available institution</option>\(options)</select></label>
              <label>Outcome <select name="outcome" data-testid="complete-outcome">
                <option value="success">success</option><option value="cancelled">cancelled</option><option value="failed">failed</option></select></label>
              <label>Accounts <input name="accounts" placeholder="fixture account ids, comma-separated (empty: every eligible account)" data-testid="complete-accounts"></label>
              <div><button type="submit" data-testid="complete-submit">Complete session</button></div>
            </form>
            <details><summary>Institutions and their accounts</summary><ul>\(reference)</ul></details>
            """
    }
}
