import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension Dashboard {
    /// The dashboard: server-rendered pages over one account's state, and forms that drive the test helpers.
    /// Served wherever the server listens (127.0.0.1 by default), one account at a time, chosen by API key
    /// (see `Auth`). Pages are plain HTML with inline CSS and no JavaScript.
    ///
    /// | Method | Path | Notes |
    /// |---|---|---|
    /// | GET | /, /dashboard | the key form, or the overview of the chosen account; `?key=sk_test_…` chooses once and redirects |
    /// | POST | /dashboard/session | `key`: choose the account (sets the cookie) |
    /// | POST | /dashboard/logout | forget the account (clears the cookie) |
    /// | GET | /dashboard/customers, /dashboard/accounts | v1 customers, v2 accounts |
    /// | GET | /dashboard/fc_sessions, /dashboard/fc_accounts | Financial Connections sessions and accounts |
    /// | GET | /dashboard/payment_intents | PaymentIntents with status badges |
    /// | GET | /dashboard/events, /dashboard/webhook_deliveries | events (JSON), deliveries (attempts, codes, next retry) |
    /// | GET | /dashboard/test_clocks | clocks with an "advance" form |
    /// | GET | /dashboard/requests, /dashboard/requests/:id | the request log (masked bodies) |
    /// | GET | /dashboard/fault_rules | the account's fault rules (match, trigger, effect, counters) and the add form |
    /// | GET | /dashboard/objects/:id | any object: its JSON, related objects, events (a PaymentIntent's timeline) |
    /// | POST | /dashboard/fc_sessions/:id/complete | `institution`, `outcome`, `accounts` (default: every eligible) |
    /// | POST | /dashboard/test_clocks/:id/advance | `frozen_time` (datetime-local, UTC) or `advance_by` (seconds) |
    /// | POST | /dashboard/events/:id/redeliver | `webhook_endpoint` (default: every endpoint receiving it) |
    /// | POST | /dashboard/fault_rules | add a rule: the API's parameters (`match[…]`, `effect[…]`, `trigger[seed]`) plus `trigger_kind` + `trigger_value` |
    /// | POST | /dashboard/fault_rules/:id/delete, /dashboard/fault_rules/clear | delete one rule, or every rule of the account |
    /// | POST | /dashboard/reset | deletes every object of the account (`confirm=yes`) |
    ///
    /// Lists take `q` (text anywhere in the object's JSON), `starting_after` / `ending_before` (25 a page) and
    /// their own filters (`status`, `type`). Every POST needs the cookie and its `csrf` token.
    struct Controller: Sendable {
        let deps: AppDependencies
        let auth: Auth

        init(deps: AppDependencies, auth: Auth = Auth()) {
            self.deps = deps
            self.auth = auth
        }

        func addRoutes(to router: Router<AppRequestContext>) {
            router.get("/") { request, context in await self.home(request, context) }
            router.get("/dashboard") { _, _ in Dashboard.redirect("/") }
            router.post("/dashboard/session") { request, _ in await self.signIn(request) }
            router.post("/dashboard/logout") { request, context in
                await self.action(request, context) { _, _ in
                    Action(location: "/", setCookie: Auth.clearCookie)
                }
            }
            router.post("/dashboard/reset") { request, context in
                await self.action(request, context) { viewer, form in try await self.reset(viewer, form) }
            }
            addCustomerRoutes(to: router)
            addFinancialConnectionsRoutes(to: router)
            addPaymentRoutes(to: router)
            addEventRoutes(to: router)
            addTestClockRoutes(to: router)
            addRequestLogRoutes(to: router)
            addObjectRoutes(to: router)
            addFaultRuleRoutes(to: router)
        }

        /// The transaction context of the viewer's account.
        func storeContext(_ viewer: Viewer, requestID: String? = nil) -> StoreContext {
            deps.storeContext(account: viewer.account, requestID: requestID)
        }

        /// Reads the viewer's account.
        func read<T: Sendable>(_ viewer: Viewer, _ body: @escaping @Sendable (Store) throws -> T) async throws -> T {
            try await deps.database.read(storeContext(viewer), body)
        }
    }

    /// Who is looking (the account from the cookie) and what they asked for (the query string).
    struct Viewer: Sendable {
        let account: String
        let csrf: String
        let path: String
        let query: [String: String]
        let requestID: String

        /// A non-empty query parameter.
        func param(_ name: String) -> String? {
            guard let v = query[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
    }

    /// What a successful form post leads to.
    struct Action: Sendable {
        var location: String
        var setCookie: String?
    }

    /// A form post's fields (first value per name, and every value).
    struct Form: Sendable {
        let pairs: [(String, String)]

        func value(_ name: String) -> String? {
            guard let v = pairs.first(where: { $0.0 == name })?.1.trimmingCharacters(in: .whitespaces), !v.isEmpty
            else { return nil }
            return v
        }

        func values(_ name: String) -> [String] {
            pairs.filter { $0.0 == name || $0.0 == name + "[]" }.map(\.1).filter { !$0.isEmpty }
        }
    }
}

// MARK: - Pages and actions: the common frame

extension Dashboard.Controller {
    typealias HTML = Dashboard.HTML
    typealias Viewer = Dashboard.Viewer

    /// The viewer of a request with a valid cookie.
    func viewer(_ request: Request, _ context: AppRequestContext) -> Viewer? {
        guard let account = auth.account(request) else { return nil }
        var query: [String: String] = [:]
        for (k, v) in Dashboard.formPairs(request.uri.query ?? "") where query[k] == nil { query[k] = v }
        return Viewer(
            account: account,
            csrf: auth.csrfToken(account: account),
            path: request.uri.path,
            query: query,
            requestID: context.requestID
        )
    }

    /// Renders a page for a signed-in viewer (others go to the key form); storage and Stripe errors become an
    /// error page.
    func page(
        _ request: Request,
        _ context: AppRequestContext,
        _ build: @escaping @Sendable (Viewer) async throws -> HTML
    ) async -> Response {
        guard let viewer = viewer(request, context) else { return Dashboard.redirect("/") }
        do {
            return Dashboard.response(try await build(viewer))
        } catch {
            return errorPage(error, viewer: viewer, back: "/")
        }
    }

    /// Runs a form post: cookie and CSRF token first, then `perform`, then a redirect (303) to what it returns.
    func action(
        _ request: Request,
        _ context: AppRequestContext,
        _ perform: @escaping @Sendable (Viewer, Dashboard.Form) async throws -> Dashboard.Action
    ) async -> Response {
        var request = request
        let text: String
        switch await BodyReading.text(of: &request, upTo: 64 * 1024) {
        case .success(let body): text = body
        case .failure(.tooLarge):
            return message(status: .contentTooLarge, title: "Form too large", text: "The form is larger than 64 KB.")
        case .failure(.unreadable), .failure(.notUTF8):
            return message(
                status: .badRequest,
                title: "Form not received",
                text: "The form's data ended early or was not UTF-8."
            )
        }
        let form = Dashboard.Form(pairs: Dashboard.formPairs(text))
        guard let viewer = viewer(request, context) else {
            return message(
                status: .forbidden,
                title: "Choose an account first",
                text: "This form needs the dashboard's cookie; enter an API key on the dashboard's first page."
            )
        }
        guard auth.isValidCSRF(form.value("csrf"), account: viewer.account) else {
            return message(
                status: .forbidden,
                title: "Invalid form token",
                text:
                    "The form's CSRF token does not match this browser's dashboard session (the server may have restarted). Reload the page and try again."
            )
        }
        let back = Self.safeReturnPath(form.value("return_to")) ?? "/"
        do {
            let result = try await perform(viewer, form)
            var headers = HTTPFields()
            if let cookie = result.setCookie { headers[.setCookie] = cookie }
            return Dashboard.redirect(result.location, headers: headers)
        } catch {
            return errorPage(error, viewer: viewer, back: back)
        }
    }

    /// A same-site dashboard path (never `//host` or a scheme), for `return_to`.
    static func safeReturnPath(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"),
            !path.contains(where: { $0.isNewline })
        else { return nil }
        return path
    }

    /// `path` with `done=<notice>` added (the notice is a fixed code, never free text).
    static func done(_ path: String, _ notice: String) -> String {
        path + (path.contains("?") ? "&" : "?") + "done=" + notice
    }

    func errorPage(_ error: any Error, viewer: Viewer?, back: String) -> Response {
        let status: Int
        let text: String
        if let e = error as? StripeError {
            status = e.status
            text = e.message
        } else {
            deps.logger.error("dashboard: \(error)")
            status = 500
            text = "The dashboard failed: \(error)"
        }
        let body: HTML = """
            <section class="card error"><h1>Error \(status)</h1><p>\(text)</p>
            <p><a href="\(back)">← Back</a></p></section>
            """
        return Dashboard.response(
            Dashboard.layout(title: "Error", viewer: viewer, active: nil, body: body),
            status: HTTPResponse.Status(code: status)
        )
    }

    func message(status: HTTPResponse.Status, title: String, text: String) -> Response {
        let body: HTML = """
            <section class="card error"><h1>\(title)</h1><p>\(text)</p><p><a href="/">Dashboard</a></p></section>
            """
        return Dashboard.response(Dashboard.layout(title: title, viewer: nil, active: nil, body: body), status: status)
    }

    // MARK: Choosing an account

    /// `GET /`: `?key=` chooses the account and redirects; without a cookie, the key form; else the overview.
    func home(_ request: Request, _ context: AppRequestContext) async -> Response {
        let query = Dashboard.formPairs(request.uri.query ?? "")
        if let key = query.first(where: { $0.0 == "key" })?.1 {
            return choose(key: key)
        }
        guard viewer(request, context) != nil else { return Dashboard.response(signInPage(error: nil)) }
        return await page(request, context) { viewer in try await self.overview(viewer) }
    }

    /// `POST /dashboard/session`.
    func signIn(_ request: Request) async -> Response {
        var request = request
        let text = (try? await BodyReading.text(of: &request, upTo: 16 * 1024).get()) ?? ""
        return choose(key: Dashboard.Form(pairs: Dashboard.formPairs(text)).value("key") ?? "")
    }

    /// Sets the cookie for the key's account (the key itself is dropped here) and redirects to the overview.
    private func choose(key: String) -> Response {
        let key = key.trimmingCharacters(in: .whitespaces)
        do {
            let credentials = try APIKeyAuth.credentials(forKey: key)
            guard credentials.kind != .publishable else {
                return Dashboard.response(
                    signInPage(
                        error:
                            "A publishable key cannot open the dashboard: enter the secret key (sk_test_…) of the account."
                    ),
                    status: .badRequest
                )
            }
            var headers = HTTPFields()
            headers[.setCookie] = auth.setCookie(account: credentials.account)
            return Dashboard.redirect("/", headers: headers)
        } catch {
            // Stripe's message shows the key's last characters; the dashboard masks it fully.
            let text = key.isEmpty ? "Enter an API key." : SecretMask.mask(error.message)
            return Dashboard.response(signInPage(error: text), status: .badRequest)
        }
    }

    func signInPage(error: String?) -> HTML {
        let problem: HTML = error.map { "<p class=\"flash bad\" role=\"alert\">\($0)</p>" } ?? .empty
        let body: HTML = """
            <section class="card signin">
              <h1>Choose an account</h1>
              <p>Every API key names its own isolated account. Enter the secret key your tests use to see that account's
              objects, events, webhooks, clocks and requests.</p>
              \(problem)
              <form method="post" action="/dashboard/session" data-testid="signin-form">
                <label for="key">API key</label>
                <input id="key" name="key" type="password" placeholder="sk_test_…" autocomplete="off" required autofocus data-testid="signin-key">
                <button type="submit" data-testid="signin-submit">Open dashboard</button>
              </form>
              <p class="muted">The key is not kept: the dashboard stores only the account id it names (<code>acct_…</code>),
              signed, in an HttpOnly cookie. Opening <code>/?key=sk_test_…</code> does the same and removes the key from the address bar.</p>
            </section>
            """
        return Dashboard.layout(title: "Choose an account", viewer: nil, active: nil, body: body)
    }

    // MARK: Overview

    func overview(_ viewer: Viewer) async throws -> HTML {
        let requests = deps.requestLog.entries(account: viewer.account)
        let content: HTML = try await read(viewer) { store in
            func count<T: StoredResource>(_ t: T.Type, _ filters: [Filter] = []) throws -> Int {
                try store.count(T.self, where: filters)
            }
            let cards: [(String, String, Int, String?)] = [
                ("Customers", "/dashboard/customers", try count(Customer.self), nil),
                ("v2 accounts", "/dashboard/accounts", try count(V2Account.self), nil),
                (
                    "FC sessions", "/dashboard/fc_sessions", try count(FCSession.self),
                    "\(try count(FCSession.self, [.equals("status", .text("pending"))])) pending"
                ),
                ("FC accounts", "/dashboard/fc_accounts", try count(FCAccount.self), nil),
                (
                    "PaymentIntents", "/dashboard/payment_intents", try count(PaymentIntent.self),
                    "\(try count(PaymentIntent.self, [.equals("status", .text("processing"))])) processing"
                ),
                ("Events", "/dashboard/events", try count(Event.self), nil),
                (
                    "Webhook deliveries", "/dashboard/webhook_deliveries", try count(WebhookDelivery.self),
                    "\(try count(WebhookDelivery.self, [.equals("status", .text("pending"))])) pending, \(try count(WebhookDelivery.self, [.equals("status", .text("failed"))])) failed"
                ),
                (
                    "Test clocks", "/dashboard/test_clocks", try count(TestClock.self, [.equals("deleted", .int(0))]),
                    nil
                ),
                ("Requests logged", "/dashboard/requests", requests.count, nil),
            ]
            let cardHTML: [HTML] = cards.map { title, path, n, note in
                let sub: HTML = note.map { "<span class=\"muted\">\($0)</span>" } ?? .empty
                return "<a class=\"stat\" href=\"\(path)\"><strong>\(n)</strong><span>\(title)</span>\(sub)</a>"
            }
            let intents = try store.list(PaymentIntent.self, page: PageRequest(limit: 5)).items
            let events = try store.list(Event.self, page: PageRequest(limit: 8)).items
            return """
                <div class="stats">\(cardHTML)</div>
                <section class="card"><h2>Latest PaymentIntents <a class="more" href="/dashboard/payment_intents">all →</a></h2>
                \(Dashboard.paymentIntentTable(intents))</section>
                <section class="card"><h2>Latest events <a class="more" href="/dashboard/events">all →</a></h2>
                \(Dashboard.eventTable(events, viewer: viewer, withJSON: false))</section>
                """
        }
        let body: HTML = """
            <h1>Overview</h1>
            \(content)
            <section class="card"><h2>Latest requests <a class="more" href="/dashboard/requests">all →</a></h2>
            \(Dashboard.requestTable(Array(requests.prefix(8)), withBodies: false))</section>
            \(faultRulesSection(viewer))
            <section class="card danger" id="reset"><h2>Reset this account</h2>
              <p>Deletes every object of <code>\(viewer.account)</code> — customers, accounts, sessions, payments, events,
              webhook endpoints and deliveries, clocks, scheduled work, idempotency keys — and its request log. Other accounts
              are untouched. This cannot be undone.</p>
              <form method="post" action="/dashboard/reset" data-testid="reset-form">
                \(Dashboard.hidden(viewer))
                <label><input type="checkbox" name="confirm" value="yes" required data-testid="reset-confirm"> I understand</label>
                <button type="submit" class="danger" data-testid="reset-submit">Delete all data of this account</button>
              </form>
            </section>
            """
        return Dashboard.layout(title: "Overview", viewer: viewer, active: "/", body: body)
    }

    // MARK: Reset

    func reset(_ viewer: Viewer, _ form: Dashboard.Form) async throws -> Dashboard.Action {
        guard form.value("confirm") == "yes" else {
            throw StripeError.invalidRequest("Tick \"I understand\" to delete this account's data.")
        }
        try await deps.database.resetAccount(viewer.account)
        deps.requestLog.clear(account: viewer.account)
        return Dashboard.Action(location: Self.done("/", "reset"))
    }
}

// MARK: - Layout

extension Dashboard {
    static let navigation: [(path: String, title: String)] = [
        ("/", "Overview"),
        ("/dashboard/customers", "Customers"),
        ("/dashboard/accounts", "v2 accounts"),
        ("/dashboard/fc_sessions", "FC sessions"),
        ("/dashboard/fc_accounts", "FC accounts"),
        ("/dashboard/payment_intents", "Payments"),
        ("/dashboard/events", "Events"),
        ("/dashboard/webhook_deliveries", "Webhooks"),
        ("/dashboard/test_clocks", "Test clocks"),
        ("/dashboard/requests", "Requests"),
        ("/dashboard/fault_rules", "Fault rules"),
    ]

    /// Messages for `?done=` after an action (fixed texts: the query cannot inject any).
    static let notices: [String: String] = [
        "completed": "The session was completed.",
        "advancing":
            "The clock is advancing; due work runs in the background and the page refreshes until it is ready.",
        "redelivered": "A redelivery was queued for every chosen endpoint.",
        "reset": "Every object of this account was deleted.",
        "fault_rule_added": "The fault rule was added: it applies to this account's API requests from now on.",
        "fault_rule_deleted": "The fault rule was deleted.",
        "fault_rules_cleared": "Every fault rule of this account was deleted.",
    ]

    /// The CSRF token and the page to come back to, for a form.
    static func hidden(_ viewer: Viewer, returnTo: String? = nil) -> HTML {
        """
        <input type="hidden" name="csrf" value="\(viewer.csrf)"><input type="hidden" name="return_to" value="\(returnTo ?? viewer.path)">
        """
    }

    /// The page frame: header with the account, navigation, an optional notice, the content.
    static func layout(
        title: String,
        viewer: Viewer?,
        active: String?,
        refreshSeconds: Int? = nil,
        body: HTML
    ) -> HTML {
        let refresh: HTML = refreshSeconds.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? .empty
        var header: HTML = .empty
        var nav: HTML = .empty
        var notice: HTML = .empty
        if let viewer {
            let links: [HTML] = navigation.map { item in
                let current: HTML = item.path == active ? " aria-current=\"page\"" : ""
                return "<a href=\"\(item.path)\"\(current)>\(item.title)</a>"
            }
            nav = "<nav>\(links)</nav>"
            header = """
                <div class="who"><span class="muted">Account</span> <code data-testid="account-id">\(viewer.account)</code>
                <form method="post" action="/dashboard/logout" class="inline">\(hidden(viewer, returnTo: "/"))<button type="submit" class="link">switch account</button></form></div>
                """
            if let code = viewer.param("done"), let text = notices[code] {
                notice = "<p class=\"flash ok\" role=\"status\" data-testid=\"notice\">\(text)</p>"
            }
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">\(refresh)<title>\(title) · stripe-sim</title><style>\(HTML(raw: stylesheet))</style></head>
            <body><header><a class="brand" href="/">stripe-sim <span>dashboard</span></a>\(header)</header>
            \(nav)<main>\(notice)\(body)</main>
            <footer>stripe-sim · test mode only · served where the server listens</footer></body></html>
            """
    }

    static let stylesheet = """
        :root{--fg:#1a1f36;--muted:#697386;--line:#e3e8ee;--bg:#f6f9fc;--card:#fff;--accent:#635bff}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;align-items:center;justify-content:space-between;gap:1em;padding:.6em 1.2em;background:#0a2540;color:#fff}
        header .brand{color:#fff;font-weight:600;text-decoration:none;font-size:16px}header .brand span{color:#adbdcc;font-weight:400}
        header .who{display:flex;align-items:center;gap:.5em}header .who code{color:#fff;background:#1d3a5c}header .muted{color:#adbdcc}
        nav{display:flex;flex-wrap:wrap;gap:.2em;padding:.4em 1.2em;background:#fff;border-bottom:1px solid var(--line)}
        nav a{padding:.3em .7em;border-radius:6px;color:var(--fg);text-decoration:none}nav a:hover{background:var(--bg)}
        nav a[aria-current=page]{background:var(--accent);color:#fff}
        main{padding:1em 1.2em;max-width:1400px}h1{font-size:22px;margin:.2em 0 .6em}h2{font-size:16px;margin:0 0 .6em}
        footer{padding:1em 1.2em;color:var(--muted);font-size:12px}
        a{color:var(--accent)}code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);padding:.05em .3em;border-radius:4px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1em;margin:0 0 1em}
        .card.error{border-color:#f5c2c7}.card.danger{border-color:#f5c2c7}.card.signin{max-width:560px;margin:2em auto}
        .muted{color:var(--muted)}.more{font-size:12px;font-weight:400;margin-left:.5em}
        table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.45em .5em;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
        tr:last-child td{border-bottom:0}td.num{text-align:right;white-space:nowrap}
        .badge{display:inline-block;padding:.05em .55em;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap;background:#e3e8ee;color:#3c4257}
        .badge.ok{background:#d7f7c2;color:#05690d}.badge.info{background:#cff5f6;color:#0055bc}.badge.warn{background:#fcedb9;color:#a82c00}.badge.bad{background:#ffe7f2;color:#b3093c}
        .stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.6em;margin-bottom:1em}
        .stat{display:flex;flex-direction:column;background:#fff;border:1px solid var(--line);border-radius:8px;padding:.7em .9em;text-decoration:none;color:var(--fg)}
        .stat strong{font-size:22px}.stat span{color:var(--muted)}
        form.filters{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;margin-bottom:.8em}
        input,select,button{font:inherit;padding:.35em .6em;border:1px solid #c4cdd5;border-radius:6px;background:#fff}
        input[type=search]{min-width:260px}input[type=password]{width:100%;margin:.3em 0 .8em}
        button{background:var(--accent);border-color:var(--accent);color:#fff;cursor:pointer}button.secondary{background:#fff;color:var(--fg);border-color:#c4cdd5}
        button.danger{background:#df1b41;border-color:#df1b41}button.link{background:none;border:0;color:#adbdcc;text-decoration:underline;padding:0}
        form.inline{display:inline}form.stack{display:grid;gap:.5em;max-width:560px}form.stack label{display:grid;gap:.2em}
        .pager{display:flex;gap:1em;margin-top:.6em}
        .flash{padding:.6em .9em;border-radius:6px;margin:0 0 1em}.flash.ok{background:#d7f7c2}.flash.bad{background:#ffe7f2}
        pre.json{background:#0a2540;color:#e3e8ee;padding:.8em;border-radius:6px;overflow:auto;max-height:560px;font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:.4em 0}
        pre.json a{color:#9fe3ff}.j-key{color:#c1c9d2}.j-str{color:#a8f0b6}.j-num{color:#ffd27a}.j-bool,.j-null{color:#ff9f9f}
        details>summary{cursor:pointer;color:var(--accent)}dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1em;margin:0}dl.fields dt{color:var(--muted)}dl.fields dd{margin:0}
        ol.timeline{list-style:none;padding:0;margin:0;border-left:2px solid var(--line)}ol.timeline li{position:relative;padding:.2em 0 .8em 1.2em}
        ol.timeline li::before{content:"";position:absolute;left:-6px;top:.55em;width:10px;height:10px;border-radius:50%;background:var(--accent)}
        .grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em}
        time{white-space:nowrap}td pre.json{max-width:55vw}h3{font-size:14px;margin:1em 0 .3em}
        table.related{table-layout:fixed}table.related td:nth-child(1){width:34%}table.related td:nth-child(2){width:36%}
        table.related td:nth-child(3){width:12%}table.related td{overflow:hidden;text-overflow:ellipsis}
        tr.attempts td{border-bottom:1px solid var(--line);padding-top:0}
        fieldset{border:1px solid var(--line);border-radius:6px;display:grid;gap:.5em}legend{color:var(--muted);padding:0 .3em}
        .inputs{display:flex;flex-wrap:wrap;gap:.5em 1em;align-items:end}fieldset p{margin:0}
        """
}
