import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// A browser on the dashboard: its cookie (set by `/?key=`) and the CSRF token of its forms.
private struct Browser {
    let client: Client
    var cookie: String?

    /// Chooses the account of `key` as a browser would (`/?key=` answers 303 + Set-Cookie).
    static func signIn(_ c: Client, key: String = "sk_test_alice") async throws -> Browser {
        let reply = try await c.get("/?key=\(key)", key: .some(nil))
        #expect(reply.status == 303)
        #expect(reply.headers[.location] == "/")
        let setCookie = try #require(reply.headers[.setCookie])
        let pair = try #require(setCookie.split(separator: ";").first.map(String.init))
        return Browser(client: c, cookie: pair)
    }

    func get(_ path: String) async throws -> Reply {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.get(path, key: .some(nil), headers: headers)
    }

    /// Posts a form (as `application/x-www-form-urlencoded`, no API key).
    func post(_ path: String, _ pairs: [(String, String)]) async throws -> Reply {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.send(.post, path, body: form(pairs), key: .some(nil), headers: headers)
    }

    /// The CSRF token in the forms of a page.
    func csrf(_ path: String = "/") async throws -> String {
        let html = try await get(path).text
        let marker = "name=\"csrf\" value=\""
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }
}

private let mandate =
    "mandate_data[customer_acceptance][type]=online&mandate_data[customer_acceptance][online][ip_address]=127.0.0.1&mandate_data[customer_acceptance][online][user_agent]=curl"

/// The seed flow through the API: a customer on a test clock, a session completed by the helper, a debit from the
/// linked account (processing until the clock passes T+4 business days). Returns the ids.
private func seed(
    _ c: Client,
    name: String = "Jenny Rosen"
) async throws -> (
    clock: String, customer: String, session: String, fcAccount: String, paymentIntent: String
) {
    let clock = try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1767618000&name=Seed").id
    let customer = try await c.post(
        "/v1/customers",
        form([("name", name), ("email", "jenny@example.com"), ("test_clock", clock)])
    ).id
    let session = try await c.post(
        "/v1/financial_connections/sessions",
        "account_holder[type]=customer&account_holder[customer]=\(customer)&permissions[]=payment_method&permissions[]=balances"
    ).id
    let completed = try await c.post(
        "/v1/test_helpers/financial_connections/sessions/\(session)/complete",
        "accounts[]=checking-success"
    )
    let fcAccount = try #require(completed["accounts.data.0.id"]?.stringValue)
    let pi = try await c.post(
        "/v1/payment_intents",
        "amount=2000&currency=usd&customer=\(customer)&payment_method_types[]=us_bank_account&payment_method_data[type]=us_bank_account&payment_method_data[us_bank_account][financial_connections_account]=\(fcAccount)&payment_method_data[billing_details][name]=Jenny&confirm=true&"
            + mandate
    )
    #expect(pi["status"] == "processing", "\(pi.text)")
    return (clock, customer, session, fcAccount, pi.id)
}

@Suite(.timeLimit(.minutes(1))) struct DashboardTests {
    // MARK: Choosing an account

    @Test func signInKeepsOnlyTheAccountInAnHttpOnlyCookie() async throws {
        try await TestApp().run { c in
            // No cookie: the key form.
            let first = try await c.get("/", key: .some(nil))
            #expect(first.status == 200)
            #expect(first.headers[.contentType] == "text/html; charset=utf-8")
            #expect(first.text.contains("data-testid=\"signin-form\""))
            #expect(first.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)

            // ?key= sets the cookie and redirects away from the key.
            let reply = try await c.get("/?key=sk_test_alice", key: .some(nil))
            #expect(reply.status == 303)
            let cookie = reply.headers[.setCookie] ?? ""
            let account = try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            #expect(cookie.hasPrefix("stripe_sim_dashboard=\(account)."))
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!cookie.contains("sk_test") && !cookie.contains("alice"))

            // The form does the same.
            let posted = try await c.send(.post, "/dashboard/session", body: "key=sk_test_alice", key: .some(nil))
            #expect(posted.status == 303)
            #expect(posted.headers[.setCookie]?.hasPrefix("stripe_sim_dashboard=\(account).") == true)

            // The overview shows the account id, never the key.
            let browser = try await Browser.signIn(c)
            let overview = try await browser.get("/")
            #expect(overview.status == 200)
            #expect(overview.text.contains(account))
            #expect(!overview.text.contains("sk_test_alice"))
        }
    }

    @Test(arguments: [
        ("", "Enter an API key."),
        ("sk_live_abc", "Live mode keys are refused"),
        ("pk_test_alice", "A publishable key cannot open the dashboard"),
        ("nonsense", "Invalid API Key provided"),
    ])
    func signInRefusesBadKeys(key: String, message: String) async throws {
        try await TestApp().run { c in
            let reply = try await c.send(.post, "/dashboard/session", body: form([("key", key)]), key: .some(nil))
            #expect(reply.status == 400)
            #expect(reply.text.contains(message), "\(reply.text)")
            #expect(reply.headers[.setCookie] == nil)
            if !key.isEmpty && key != "nonsense" { #expect(!reply.text.contains(key)) }
        }
    }

    @Test func pagesNeedAValidCookie() async throws {
        try await TestApp().run { c in
            let anonymous = Browser(client: c, cookie: nil)
            for path in ["/dashboard/customers", "/dashboard/requests", "/dashboard/objects/cus_1"] {
                let reply = try await anonymous.get(path)
                #expect(reply.status == 303, "\(path)")
                #expect(reply.headers[.location] == "/")
            }
            // A cookie naming an account without the server's signature is ignored.
            let account = try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            let forged = Browser(client: c, cookie: "stripe_sim_dashboard=\(account).forged")
            #expect(try await forged.get("/dashboard/customers").status == 303)
            #expect(try await forged.get("/").text.contains("signin-form"))
        }
    }

    // MARK: Pages

    @Test func everyPageShowsTheSeedFlow() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            _ = try await c.post("/v1/webhook_endpoints", "url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&enabled_events[]=*")
            let ids = try await seed(c)
            let v2 = try await c.postJSON(
                "/v2/core/accounts",
                #"{"display_name": "Acme v2", "configuration": {"customer": {}}}"#
            ).id
            let browser = try await Browser.signIn(c)
            let pages: [(String, [String])] = [
                ("/", [ids.paymentIntent, "payment_intent.processing", "Fault rules", "reset-form"]),
                ("/dashboard/customers", [ids.customer, "Jenny Rosen", "jenny@example.com", ids.clock]),
                ("/dashboard/accounts", [v2, "Acme v2"]),
                ("/dashboard/fc_sessions", [ids.session, "succeeded", ids.customer]),
                ("/dashboard/fc_accounts", [ids.fcAccount, "••", ids.session]),
                ("/dashboard/payment_intents", [ids.paymentIntent, "$20.00 USD", "data-status=\"processing\""]),
                (
                    "/dashboard/events",
                    ["payment_intent.processing", "customer.created", "<details><summary>JSON</summary>"]
                ),
                ("/dashboard/webhook_deliveries", ["payment_intent.processing", "http://127.0.0.1:9/hook"]),
                ("/dashboard/test_clocks", [ids.clock, "Seed", "advance-form-\(ids.clock)"]),
                ("/dashboard/requests", ["/v1/payment_intents", "/v1/customers", "<code>POST</code>"]),
                ("/dashboard/fault_rules", ["/v1/test_helpers/fault_rules", "fault-rule-form", "No fault rules"]),
                (
                    "/dashboard/objects/\(ids.customer)",
                    [ids.session, ids.fcAccount, ids.paymentIntent, "customer.created"]
                ),
                ("/dashboard/objects/\(ids.session)", [ids.fcAccount, ids.customer]),
                ("/dashboard/objects/\(ids.fcAccount)", [ids.session, ids.customer, "pm_"]),
                (
                    "/dashboard/objects/\(ids.paymentIntent)",
                    [
                        "data-testid=\"timeline\"", "py_", "mandate_", "charge.pending",
                        "data-testid=\"object-deliveries\"",
                    ]
                ),
                ("/dashboard/objects/\(ids.clock)", [ids.customer, ids.paymentIntent, "advance-form-\(ids.clock)"]),
                ("/dashboard/objects/\(v2)", ["Acme v2"]),
            ]
            for (path, expected) in pages {
                let reply = try await browser.get(path)
                #expect(reply.status == 200, "\(path): \(reply.text.prefix(300))")
                #expect(reply.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                for text in expected {
                    #expect(reply.text.contains(text), "\(path) should show \(text)")
                }
                #expect(!reply.text.contains("<script"), "\(path) has no scripts")
            }
            // An event's page: its JSON, its deliveries, a redeliver form.
            let eventID = try #require(
                try await c.get("/v1/events?type=payment_intent.processing")["data.0.id"]?.stringValue
            )
            let event = try await browser.get("/dashboard/objects/\(eventID)")
            #expect(event.text.contains("redeliver-form") && event.text.contains("http://127.0.0.1:9/hook"))
            // A missing object: a 404 page.
            #expect(try await browser.get("/dashboard/objects/cus_nope").status == 404)
        }
    }

    @Test func theTimelineFollowsThePaymentsStatusChanges() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            let ids = try await seed(c)
            _ = try await c.post(
                "/v1/test_helpers/test_clocks/\(ids.clock)/advance",
                "frozen_time=\(1_767_618_000 + 5 * 86_400)"
            )
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(ids.clock)", "status", "ready")
            let html = try await Browser.signIn(c).get("/dashboard/objects/\(ids.paymentIntent)").text
            let start = try #require(html.range(of: "data-testid=\"timeline\"")).lowerBound
            let timeline = String(html[start...])
            let order = ["payment_intent.created", "payment_intent.processing", "payment_intent.succeeded"].map {
                timeline.range(of: $0)?.lowerBound
            }
            #expect(!order.contains(nil), "\(timeline.prefix(2000))")
            #expect(order.compactMap { $0 }.sorted() == order.compactMap { $0 })
            #expect(timeline.contains("data-status=\"succeeded\""))
        }
    }

    @Test func listsSearchAndPaginate() async throws {
        try await TestApp().run { c in
            for n in 1...30 { _ = try await c.post("/v1/customers", "name=Person+\(n)&email=p\(n)%40example.com") }
            let browser = try await Browser.signIn(c)
            let first = try await browser.get("/dashboard/customers")
            #expect(first.text.components(separatedBy: "data-testid=\"row-cus_").count - 1 == 25)
            #expect(first.text.contains("Person 30") && !first.text.contains("Person 5<"))
            let older = try #require(first.text.range(of: "href=\"/dashboard/customers?starting_after=")).lowerBound
            let href = String(first.text[first.text.index(older, offsetBy: 6)...].prefix { $0 != "\"" })
                .replacingOccurrences(of: "&amp;", with: "&")
            let second = try await browser.get(href)
            #expect(second.text.components(separatedBy: "data-testid=\"row-cus_").count - 1 == 5)
            #expect(second.text.contains("Person 1<") && second.text.contains("page-newer"))
            #expect(!second.text.contains("page-older"))
            // Search: any text of the object.
            let found = try await browser.get("/dashboard/customers?q=p17%40example")
            #expect(found.text.components(separatedBy: "data-testid=\"row-cus_").count - 1 == 1)
            #expect(found.text.contains("Person 17"))
            // LIKE wildcards are taken literally.
            #expect(try await browser.get("/dashboard/customers?q=%25").text.contains("No customers match."))
        }
    }

    // MARK: Escaping and masking

    @Test func hostileStringsAreEscapedEverywhere() async throws {
        try await TestApp().run { c in
            let hostile = "<script>alert(1)</script>"
            let attribute = "\"><img src=x onerror=alert(2)>"
            let cus = try await c.post(
                "/v1/customers",
                form([("name", hostile), ("email", "x@example.com"), ("metadata[note]", attribute)])
            ).id
            let browser = try await Browser.signIn(c)
            let paths = [
                "/", "/dashboard/customers", "/dashboard/objects/\(cus)", "/dashboard/events", "/dashboard/requests",
                "/dashboard/customers?q=" + Dashboard.encode(hostile),
                "/dashboard/events?type=" + Dashboard.encode(attribute),
            ]
            for path in paths {
                let html = try await browser.get(path).text
                #expect(!html.contains("<script"), "\(path)")
                #expect(!html.contains("<img"), "\(path)")
                #expect(!html.contains("onerror=alert(2)>"), "\(path)")
            }
            #expect(
                try await browser.get("/dashboard/customers").text.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            )
            #expect(
                try await browser.get("/dashboard/customers?q=%3Cscript%3E").text.contains("value=\"&lt;script&gt;\"")
            )
            // A request id in the log is linked only if it is one.
            let requestPage = try await browser.get("/dashboard/requests/" + Dashboard.encode(hostile))
            #expect(requestPage.status == 404 && !requestPage.text.contains("<script"))
        }
    }

    @Test(arguments: [
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_****7dc"),
        ("Bearer sk_test_alice", "Bearer sk_test_****"),
        ("rk_live_abc", "rk_live_****"),
        ("pk_test_X", "pk_test_****"),
        ("whsec_0123456789abcdef", "whsec_****"),
        (#"{"client_secret": "pi_123_secret_abc"}"#, #"{"client_secret": "pi_123_secret_****"}"#),
        (#"{"client_secret":"fcsess_client_secret_Zx9"}"#, #"{"client_secret":"fcsess_client_secret_****"}"#),
        ("client_secret=oddvalue&limit=3", "client_secret=****&limit=3"),
        (#"{"secret": "anything-at-all"}"#, #"{"secret": "****"}"#),
        (#"{"client_secret": null}"#, #"{"client_secret": null}"#),
        ("seti_1_secret_x and cus_123 stay", "seti_1_secret_**** and cus_123 stay"),
        ("nothing secret here", "nothing secret here"),
    ])
    func secretMaskHidesSecrets(input: String, masked: String) {
        let expected = masked.replacingOccurrences(of: "****7dc", with: "****p7dc")
        #expect(SecretMask.mask(input) == expected)
    }

    /// The log keeps the bodies the client got: a created object, a retrieve answered from the cache of stored
    /// bodies, an error the middleware rendered, and a long body cut with a note.
    @Test func theRequestLogKeepsTheBodiesSent() async throws {
        let app = try TestApp()
        try await app.run { c in
            let created = try await c.post(
                "/v1/customers",
                "name=Logged&description=\(String(repeating: "x", count: 3000))"
            )
            let fetched = try await c.get("/v1/customers/\(created.id)")
            let missing = try await c.get("/v1/customers/cus_nope")
            #expect(missing.status == 404)
            let long = try await c.post(
                "/v1/customers/\(created.id)",
                (0..<40).map { "metadata[k\($0)]=\(String(repeating: "v", count: 450))" }.joined(separator: "&")
            )
            let account = try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            let entries = app.deps.requestLog.entries(account: account)
            #expect(entries.count == 4)
            #expect(entries[3].responseBody == created.text && entries[3].requestBody.hasPrefix("name=Logged"))
            #expect(entries[2].responseBody == fetched.text && entries[2].status == 200)
            #expect(entries[1].responseBody == missing.text && entries[1].status == 404)
            #expect(long.text.utf8.count > RequestLog.maxBodyBytes)
            #expect(entries[0].responseBody.hasSuffix("more bytes not kept)"))
            #expect(entries[0].responseBody.hasPrefix(String(long.text.prefix(1000))))
        }
    }

    @Test func theRequestLogMasksSecretsAndNeverKeepsKeys() async throws {
        let app = try TestApp()
        try await app.run { c in
            let endpoint = try await c.post(
                "/v1/webhook_endpoints",
                "url=https%3A%2F%2Fexample.com%2Fh&enabled_events[]=*"
            )
            let whsec = try #require(endpoint["secret"]?.stringValue)
            let cus = try await c.post("/v1/customers", "description=sk_test_leakedkey1234567890&name=Key+Holder").id
            let session = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(cus)&permissions[]=balances"
            )
            let clientSecret = try #require(session["client_secret"]?.stringValue)
            let pk = c.with(key: "pk_test_alice")
            #expect(
                try await pk.get("/v1/financial_connections/sessions/\(session.id)?client_secret=\(clientSecret)")
                    .status == 200
            )
            let pi = try await c.post(
                "/v1/payment_intents",
                "amount=100&currency=usd&payment_method_types[]=us_bank_account"
            )
            let piSecret = try #require(pi["client_secret"]?.stringValue)

            let account = try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            let entries = app.deps.requestLog.entries(account: account)
            #expect(entries.count == 5)
            #expect(entries.first?.path == "/v1/payment_intents")
            #expect(entries.first?.status == 200)
            #expect(entries.first?.requestID == pi.headers[.requestID])
            let all = entries.map { "\($0.path)\n\($0.requestBody)\n\($0.responseBody)" }.joined(separator: "\n")
            for secret in [
                whsec, clientSecret, piSecret, "sk_test_leakedkey1234567890", "sk_test_alice", "pk_test_alice",
            ] {
                #expect(!all.contains(secret), "the log keeps \(secret)")
            }
            #expect(all.contains("whsec_****"))
            #expect(all.contains("fcsess_client_secret_****"))
            #expect(all.contains("\(pi.id)_secret_****"))
            #expect(all.contains("sk_test_****7890"))

            let browser = try await Browser.signIn(c)
            let pages =
                ["/dashboard/requests"] + entries.map { "/dashboard/requests/\($0.requestID)" } + [
                    "/dashboard/objects/\(session.id)", "/dashboard/objects/\(pi.id)", "/dashboard/events",
                ]
            for path in pages {
                let html = try await browser.get(path).text
                for secret in [whsec, clientSecret, piSecret, "sk_test_leakedkey1234567890"] {
                    #expect(!html.contains(secret), "\(path) shows \(secret)")
                }
            }
            let detail = try await browser.get("/dashboard/requests/\(entries[0].requestID)")
            #expect(detail.status == 200)
            #expect(detail.text.contains("amount = 100") && detail.text.contains("\(pi.id)_secret_****"))
        }
    }

    @Test func theRequestLogIsBoundedPerAccount() {
        let log = RequestLog(capacity: 3, maxAccounts: 2)
        func entry(_ account: String, _ n: Int) -> RequestLogEntry {
            RequestLogEntry(
                requestID: "req_\(n)",
                account: account,
                atMillis: n,
                method: "GET",
                path: "/v1/x",
                status: 200,
                latencyMs: 1,
                requestBody: "",
                responseBody: ""
            )
        }
        for n in 1...5 { log.append(entry("acct_a", n)) }
        #expect(log.entries(account: "acct_a").map(\.requestID) == ["req_5", "req_4", "req_3"])
        #expect(log.entry(account: "acct_a", requestID: "req_1") == nil)
        log.append(entry("acct_b", 6))
        #expect(log.entries(account: "acct_b").count == 1)
        // A third account drops the least recently active one (a).
        log.append(entry("acct_c", 7))
        #expect(log.entries(account: "acct_a").isEmpty)
        #expect(log.count(account: "acct_b") == 1 && log.count(account: "acct_c") == 1)
        log.clear(account: "acct_b")
        #expect(log.entries(account: "acct_b").isEmpty)
        // Long bodies are cut, with a note.
        let long = RequestLog.clean(String(repeating: "a", count: RequestLog.maxBodyBytes + 10))
        #expect(long.hasSuffix("(10 more bytes not kept)"))
    }

    // MARK: Isolation and CSRF

    @Test func aKeySeesOnlyItsAccount() async throws {
        let app = try TestApp()
        try await app.run { c in
            let alice = try await c.post("/v1/customers", "name=Alice+Only").id
            let bob = c.with(key: "sk_test_bob")
            let bobs = try await bob.post("/v1/customers", "name=Bob+Only").id
            let browser = try await Browser.signIn(c, key: "sk_test_bob")
            let list = try await browser.get("/dashboard/customers")
            #expect(list.text.contains(bobs) && !list.text.contains(alice) && !list.text.contains("Alice Only"))
            #expect(try await browser.get("/dashboard/objects/\(alice)").status == 404)
            #expect(!(try await browser.get("/dashboard/requests").text.contains("Alice")))
            #expect(!(try await browser.get("/dashboard/events").text.contains(alice)))
            let aliceLog = app.deps.requestLog.entries(
                account: try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            )
            #expect(try await browser.get("/dashboard/requests/\(aliceLog[0].requestID)").status == 404)
        }
    }

    @Test func formsNeedTheCookiesCSRFToken() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=Kept").id
            let alice = try await Browser.signIn(c)
            let bob = try await Browser.signIn(c, key: "sk_test_bob")
            let bobsToken = try await bob.csrf()
            let cases: [(Browser, [(String, String)], String)] = [
                (alice, [("confirm", "yes")], "no token"),
                (alice, [("confirm", "yes"), ("csrf", "forged")], "a forged token"),
                (alice, [("confirm", "yes"), ("csrf", bobsToken)], "another account's token"),
                (Browser(client: c, cookie: nil), [("confirm", "yes"), ("csrf", bobsToken)], "no cookie"),
            ]
            for (browser, pairs, why) in cases {
                let reply = try await browser.post("/dashboard/reset", pairs)
                #expect(reply.status == 403, "\(why)")
            }
            for path in [
                "/dashboard/logout", "/dashboard/test_clocks/clock_x/advance", "/dashboard/events/evt_x/redeliver",
                "/dashboard/fc_sessions/fcsess_x/complete",
            ] {
                #expect(try await alice.post(path, [("csrf", "forged")]).status == 403, "\(path)")
            }
            #expect(try await c.get("/v1/customers/\(cus)")["name"] == "Kept")
        }
    }

    // MARK: Actions

    @Test func completeASessionFromTheDashboard() async throws {
        try await TestApp().run { c in
            let cus = try await c.post("/v1/customers", "name=Jenny").id
            let session = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(cus)&permissions[]=payment_method"
            ).id
            let browser = try await Browser.signIn(c)
            let page = try await browser.get("/dashboard/objects/\(session)")
            #expect(page.text.contains("complete-form") && page.text.contains("fcinst_"))
            let csrf = try await browser.csrf("/dashboard/objects/\(session)")
            let reply = try await browser.post(
                "/dashboard/fc_sessions/\(session)/complete",
                [("csrf", csrf), ("institution", ""), ("outcome", "success"), ("accounts", "")]
            )
            #expect(reply.status == 303, "\(reply.text)")
            #expect(reply.headers[.location] == "/dashboard/objects/\(session)?done=completed")
            let done = try await c.get("/v1/financial_connections/sessions/\(session)")
            #expect(done["status"] == "succeeded")
            let linked = done["accounts.data"]?.arrayValue ?? []
            #expect(!linked.isEmpty)
            let after = try await browser.get("/dashboard/objects/\(session)?done=completed")
            #expect(after.text.contains("The session was completed."))
            #expect(!after.text.contains("complete-form"))
            for account in linked { #expect(after.text.contains(account["id"]?.stringValue ?? "?")) }
            // Completing twice: Stripe's error, as an HTML page.
            let again = try await browser.post("/dashboard/fc_sessions/\(session)/complete", [("csrf", csrf)])
            #expect(again.status == 400 && again.text.contains("has already been completed"))
            // A chosen outcome and an unknown account.
            let other = try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(cus)&permissions[]=payment_method"
            ).id
            let bad = try await browser.post(
                "/dashboard/fc_sessions/\(other)/complete",
                [("csrf", csrf), ("accounts", "no-such-account")]
            )
            #expect(bad.status == 400)
            _ = try await browser.post(
                "/dashboard/fc_sessions/\(other)/complete",
                [("csrf", csrf), ("outcome", "cancelled")]
            )
            #expect(try await c.get("/v1/financial_connections/sessions/\(other)")["status"] == "cancelled")
        }
    }

    @Test func advancingAClockFromTheDashboardSettlesThePayment() async throws {
        try await TestApp(settlementDelayMillis: 60_000).run { c in
            let ids = try await seed(c)
            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf("/dashboard/test_clocks")
            let reply = try await browser.post(
                "/dashboard/test_clocks/\(ids.clock)/advance",
                [
                    ("csrf", csrf), ("advance_by", "432000"), ("frozen_time", "2026-01-06T00:00"),
                    ("return_to", "/dashboard/test_clocks"),
                ]
            )
            #expect(reply.status == 303, "\(reply.text)")
            #expect(reply.headers[.location] == "/dashboard/test_clocks?done=advancing")
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(ids.clock)", "status", "ready")
            #expect(
                try await c.get("/v1/test_helpers/test_clocks/\(ids.clock)")["frozen_time"]
                    == .int(1_767_618_000 + 432_000)
            )
            #expect(try await c.get("/v1/payment_intents/\(ids.paymentIntent)")["status"] == "succeeded")
            let page = try await browser.get("/dashboard/payment_intents")
            #expect(page.text.contains("data-status=\"succeeded\""))
            // To a date-time (UTC), as the field sends it; not backwards.
            let to = try await browser.post(
                "/dashboard/test_clocks/\(ids.clock)/advance",
                [("csrf", csrf), ("frozen_time", "2026-01-20T12:00")]
            )
            #expect(to.status == 303)
            _ = try await c.poll("/v1/test_helpers/test_clocks/\(ids.clock)", "status", "ready")
            #expect(try await c.get("/v1/test_helpers/test_clocks/\(ids.clock)")["frozen_time"] == .int(1_768_910_400))
            let back = try await browser.post(
                "/dashboard/test_clocks/\(ids.clock)/advance",
                [("csrf", csrf), ("frozen_time", "2026-01-01T00:00")]
            )
            #expect(back.status == 400 && back.text.contains("must be after"))
        }
    }

    @Test func redeliverAnEventFromTheDashboard() async throws {
        try await WebhookReceiver.run { receiver in
            try await TestApp().run { c in
                let endpoint = try await c.post(
                    "/v1/webhook_endpoints",
                    form([("url", receiver.url("dash")), ("enabled_events[]", "*")])
                ).id
                let cus = try await c.post("/v1/customers", "name=Hook").id
                _ = try await receiver.waitFor(1, at: "dash")
                let event = try #require(try await c.get("/v1/events?type=customer.created")["data.0.id"]?.stringValue)
                let browser = try await Browser.signIn(c)
                let csrf = try await browser.csrf("/dashboard/objects/\(event)")
                let all = try await browser.post("/dashboard/events/\(event)/redeliver", [("csrf", csrf)])
                #expect(all.status == 303)
                #expect(all.headers[.location] == "/dashboard/objects/\(event)?done=redelivered")
                let one = try await browser.post(
                    "/dashboard/events/\(event)/redeliver",
                    [("csrf", csrf), ("webhook_endpoint", endpoint)]
                )
                #expect(one.status == 303)
                let received = try await receiver.waitFor(3, at: "dash")
                #expect(received.filter { $0.eventID == event }.count == 3)
                let page = try await browser.get("/dashboard/objects/\(event)")
                #expect(page.text.components(separatedBy: ">redelivery<").count - 1 == 2)
                let deliveries = try await browser.get("/dashboard/webhook_deliveries")
                #expect(deliveries.text.contains(receiver.url("dash")) && deliveries.text.contains(">200<"))
                _ = cus
            }
        }
    }

    @Test func resetDeletesOnlyThatAccountsData() async throws {
        let app = try TestApp(settlementDelayMillis: 60_000)
        try await app.run { c in
            let bob = c.with(key: "sk_test_bob")
            // The same objects in two accounts.
            for client in [c, bob] {
                _ = try await seed(client)
                _ = try await client.post(
                    "/v1/webhook_endpoints",
                    "url=http%3A%2F%2F127.0.0.1%3A9%2Fh&enabled_events[]=customer.created"
                )
                _ = try await client.post("/v1/customers", "name=Idem", headers: [.idempotencyKey: "k1"])
            }
            let aliceAccount = try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            let bobAccount = try APIKeyAuth.credentials(forKey: "sk_test_bob").account

            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf()
            // Without the confirmation box: refused, nothing deleted.
            #expect(try await browser.post("/dashboard/reset", [("csrf", csrf)]).status == 400)
            // (Customers on a test clock are listed only with `test_clock=`, as Stripe does.)
            #expect(try await c.get("/v1/customers")["data"]?.arrayValue?.count == 1)
            let reply = try await browser.post("/dashboard/reset", [("csrf", csrf), ("confirm", "yes")])
            #expect(reply.status == 303)
            #expect(reply.headers[.location] == "/?done=reset")
            #expect(app.deps.requestLog.entries(account: aliceAccount).isEmpty)
            #expect(!app.deps.requestLog.entries(account: bobAccount).isEmpty)
            #expect(try await c.get("/v1/customers")["data"] == [])
            #expect(try await c.get("/v1/events")["data"] == [])
            // Nothing of alice's is left anywhere; bob still has everything.
            let again = try await app.deps.database.resetAccount(aliceAccount)
            #expect(again.values.allSatisfy { $0 == 0 }, "\(again)")
            #expect(try await bob.get("/v1/customers")["data"]?.arrayValue?.count == 1)
            #expect(try await bob.get("/v1/webhook_endpoints")["data"]?.arrayValue?.count == 1)
            let overview = try await browser.get("/?done=reset")
            #expect(overview.text.contains("Every object of this account was deleted."))
            // The account works as new afterwards; its idempotency key is free again.
            #expect(
                try await c.post("/v1/customers", "name=Other", headers: [.idempotencyKey: "k1"])["name"] == "Other"
            )
        }
    }

    @Test func resetAccountCoversEveryTableWithAnAccountColumn() async throws {
        let app = try TestApp(settlementDelayMillis: 60_000)
        try await app.run { c in
            let bob = c.with(key: "sk_test_bob")
            for client in [c, bob] {
                _ = try await seed(client)
                _ = try await client.post("/v1/customers", "name=Idem", headers: [.idempotencyKey: "k1"])
            }
            let alice = try await app.deps.database.resetAccount(
                try APIKeyAuth.credentials(forKey: "sk_test_alice").account
            )
            let tables = [
                "customer", "v2Account", "event", "testClock", "idempotencyKey", "webhookEndpoint", "webhookDelivery",
                "job",
                "fcSession", "fcAccount", "fcOwnership", "fcTransaction", "paymentMethod", "mandate", "charge",
                "paymentIntent", "setupIntent",
            ]
            #expect(Set(tables).isSubset(of: Set(alice.keys)), "\(alice.keys.sorted())")
            for table in [
                "customer", "event", "testClock", "idempotencyKey", "job", "fcSession", "fcAccount", "paymentMethod",
                "mandate", "charge", "paymentIntent",
            ] {
                #expect(alice[table] ?? 0 > 0, "\(table): \(alice)")
            }
            // Bob's rows were all still there: resetting his account deletes exactly as many.
            let bobs = try await app.deps.database.resetAccount(
                try APIKeyAuth.credentials(forKey: "sk_test_bob").account
            )
            #expect(bobs == alice)
        }
    }

    // MARK: Fault rules

    /// The fields a browser sends for the add form: every field, the untouched ones empty.
    private static func faultRuleForm(
        _ csrf: String,
        _ fields: [(String, String)],
        returnTo: String = "/dashboard/fault_rules"
    )
        -> [(String, String)]
    {
        let blank = [
            "match[method]", "match[path]", "match[parameter][name]", "match[parameter][value]", "trigger_kind",
            "trigger_value", "trigger[seed]", "effect[error][status]", "effect[error][type]", "effect[error][code]",
            "effect[error][message]", "effect[latency_ms]", "effect[drop]",
        ]
        let given = Set(fields.map(\.0))
        return [("csrf", csrf), ("return_to", returnTo)] + fields
            + blank.filter { !given.contains($0) }.map { ($0, "") }
    }

    @Test func faultRulesAreListedWithTheirCounters() async throws {
        try await TestApp().run { c in
            let limited = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[method]=POST&match[path]=/v1/customers&trigger[times]=1&effect[error][status]=429"
            )
            #expect(limited.status == 200, "\(limited.text)")
            let slow = try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[path]=/v1/payment_intents/*/confirm&match[parameter][name]=metadata[order]&match[parameter][value]=A-1&trigger[probability]=0.25&trigger[seed]=7&effect[latency_ms]=150&effect[drop]=after"
            )
            #expect(slow.status == 200, "\(slow.text)")
            let bobs = try await c.with(key: "sk_test_bob").post(
                "/v1/test_helpers/fault_rules",
                "match[path]=/v1/bob_only&trigger[nth]=3&effect[error][status]=500"
            )
            #expect(bobs.status == 200, "\(bobs.text)")
            #expect(try await c.post("/v1/customers", "name=First").status == 429)
            #expect(try await c.post("/v1/customers", "name=Second").status == 200)

            let browser = try await Browser.signIn(c)
            for path in ["/", "/dashboard/fault_rules"] {
                let html = try await browser.get(path).text
                for text in [
                    limited.id, "<code>POST</code>", "<code>/v1/customers</code>", "the first matched request",
                    ">429<", "<code>invalid_request_error</code> <code>rate_limit</code>",
                    "Request rate limit exceeded",
                    "data-testid=\"matched-\(limited.id)\">2</td>", "data-testid=\"fired-\(limited.id)\">1</td>",
                    slow.id, "<code>*</code>", "<code>/v1/payment_intents/*/confirm</code>",
                    "<code>metadata[order]</code> = <code>A-1</code>", "probability 0.25", "(seed 7)",
                    "+150 ms latency",
                    "drop the connection after applying", "data-testid=\"matched-\(slow.id)\">0</td>",
                    "fault-rule-delete-\(limited.id)", "fault-rules-clear-form", "fault-rule-form",
                ] {
                    #expect(html.contains(text), "\(path) should show \(text)")
                }
                // Newest first, as the API lists them; another account's rules never.
                #expect(html.range(of: slow.id)!.lowerBound < html.range(of: limited.id)!.lowerBound)
                #expect(!html.contains(bobs.id) && !html.contains("/v1/bob_only"), "\(path)")
            }
            // The page opens the add form; the overview keeps it folded.
            #expect(
                try await browser.get("/dashboard/fault_rules").text.contains(
                    "<details open data-testid=\"fault-rule-add\">"
                )
            )
            #expect(try await browser.get("/").text.contains("<details data-testid=\"fault-rule-add\">"))
            // Bob sees his rule only.
            let bob = try await Browser.signIn(c, key: "sk_test_bob").get("/dashboard/fault_rules").text
            #expect(bob.contains(bobs.id) && bob.contains("only the 3rd matched request"))
            #expect(!bob.contains(limited.id) && !bob.contains(slow.id))
            // Without rules: a note.
            _ = try await c.delete("/v1/test_helpers/fault_rules")
            #expect(try await browser.get("/dashboard/fault_rules").text.contains("No fault rules"))
        }
    }

    @Test func aRuleAddedFromTheDashboardFaultsTheAPI() async throws {
        try await TestApp().run { c in
            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf("/dashboard/fault_rules")
            let reply = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(
                    csrf,
                    [
                        ("match[method]", "POST"), ("match[path]", " /v1/customers "), ("trigger_kind", "times"),
                        ("trigger_value", "2"), ("effect[error][status]", "429"),
                    ]
                )
            )
            #expect(reply.status == 303, "\(reply.text)")
            #expect(reply.headers[.location] == "/dashboard/fault_rules?done=fault_rule_added")
            let rules = try await c.get("/v1/test_helpers/fault_rules")
            #expect(rules["data"]?.arrayValue?.count == 1)
            let id = try #require(rules["data.0.id"]?.stringValue)
            #expect(rules["data.0.match.path"] == "/v1/customers" && rules["data.0.match.method"] == "POST")
            #expect(rules["data.0.trigger"] == ["type": "times", "times": 2])
            #expect(rules["data.0.effect.latency_ms"] == .null && rules["data.0.effect.drop"] == .null)

            // The next two customer creations get Stripe's 429; reads are not matched; then requests run again.
            for _ in 1...2 {
                let limited = try await c.post("/v1/customers", "name=Limited")
                #expect(limited.status == 429)
                #expect(limited.error["type"] == "invalid_request_error" && limited.error["code"] == "rate_limit")
            }
            #expect(try await c.get("/v1/customers").status == 200)
            #expect(try await c.post("/v1/customers", "name=Through").status == 200)
            #expect(try await c.get("/v1/customers")["data"]?.arrayValue?.count == 1)
            let rule = try await c.get("/v1/test_helpers/fault_rules/\(id)")
            #expect(rule["matched"] == 3 && rule["fired"] == 2)
            let page = try await browser.get("/dashboard/fault_rules?done=fault_rule_added")
            #expect(page.text.contains("The fault rule was added"))
            #expect(page.text.contains("data-testid=\"fired-\(id)\">2</td>"))

            // From the overview, back to the overview; a latency rule with a seeded probability and a parameter.
            let other = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(
                    csrf,
                    [
                        ("match[path]", "/v1/**"), ("match[parameter][name]", "metadata[slow]"),
                        ("trigger_kind", "probability"),
                        ("trigger_value", "1"), ("trigger[seed]", "42"), ("effect[latency_ms]", "1"),
                    ],
                    returnTo: "/?done=reset"
                )
            )
            #expect(other.status == 303, "\(other.text)")
            #expect(other.headers[.location] == "/?done=fault_rule_added")
            let newest = try await c.get("/v1/test_helpers/fault_rules")
            #expect(newest["data.0.trigger.type"] == "probability" && newest["data.0.trigger.seed"] == 42)
            #expect(newest["data.0.match.method"] == "*" && newest["data.0.match.parameter.name"] == "metadata[slow]")
            #expect(try await c.post("/v1/customers", "metadata[slow]=yes").status == 200)
            let slow = try #require(newest["data.0.id"]?.stringValue)
            #expect(try await c.get("/v1/test_helpers/fault_rules/\(slow)")["fired"] == 1)

            // An error and a drop from the form; rules belong to the viewer's account only.
            let dropped = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(
                    csrf,
                    [("match[path]", "/v1/events"), ("effect[drop]", "before"), ("effect[latency_ms]", "5")]
                )
            )
            #expect(dropped.status == 303, "\(dropped.text)")
            #expect(try await c.get("/v1/test_helpers/fault_rules")["data.0.effect.drop"] == "before")
            #expect(try await c.with(key: "sk_test_bob").get("/v1/test_helpers/fault_rules")["data"] == [])
            #expect(try await c.with(key: "sk_test_bob").post("/v1/customers", "name=Bob").status == 200)
        }
    }

    /// Each bad form gets the API's own validation message (a 400 page), and no rule is added.
    @Test func badFaultRuleFormsGetTheAPIsMessage() async throws {
        try await TestApp().run { c in
            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf("/dashboard/fault_rules")
            let cases: [([(String, String)], String)] = [
                (
                    [("match[method]", "POST"), ("effect[error][status]", "429")],
                    "match[method]=POST&effect[error][status]=429"
                ),
                (
                    [("match[path]", "v1/customers"), ("effect[latency_ms]", "5")],
                    "match[path]=v1/customers&effect[latency_ms]=5"
                ),
                (
                    [("match[path]", "/v1/cus*"), ("effect[latency_ms]", "5")],
                    "match[path]=/v1/cus*&effect[latency_ms]=5"
                ),
                ([("match[path]", "/v1/customers")], "match[path]=/v1/customers"),
                (
                    [("match[path]", "/v1/customers"), ("effect[error][status]", "500"), ("effect[drop]", "after")],
                    "match[path]=/v1/customers&effect[error][status]=500&effect[drop]=after"
                ),
                (
                    [("match[path]", "/v1/x"), ("effect[error][status]", "700")],
                    "match[path]=/v1/x&effect[error][status]=700"
                ),
                (
                    [("match[path]", "/v1/x"), ("effect[error][status]", "many")],
                    "match[path]=/v1/x&effect[error][status]=many"
                ),
                ([("match[path]", "/v1/x"), ("effect[latency_ms]", "-1")], "match[path]=/v1/x&effect[latency_ms]=-1"),
                ([("match[path]", "/v1/x"), ("effect[drop]", "during")], "match[path]=/v1/x&effect[drop]=during"),
                (
                    [("match[path]", "/v1/x"), ("match[method]", "PATCH"), ("effect[latency_ms]", "1")],
                    "match[path]=/v1/x&match[method]=PATCH&effect[latency_ms]=1"
                ),
                (
                    [
                        ("match[path]", "/v1/x"), ("trigger_kind", "probability"), ("trigger_value", "2"),
                        ("effect[latency_ms]", "1"),
                    ],
                    "match[path]=/v1/x&trigger[probability]=2&effect[latency_ms]=1"
                ),
                (
                    [
                        ("match[path]", "/v1/x"), ("trigger_kind", "nth"), ("trigger_value", "0"),
                        ("effect[latency_ms]", "1"),
                    ],
                    "match[path]=/v1/x&trigger[nth]=0&effect[latency_ms]=1"
                ),
                (
                    [("match[path]", "/v1/x"), ("trigger_kind", "every"), ("effect[latency_ms]", "1")],
                    "match[path]=/v1/x&trigger[every]=&effect[latency_ms]=1"
                ),
                (
                    [
                        ("match[path]", "/v1/x"), ("trigger_kind", "times"), ("trigger_value", "2"),
                        ("trigger[seed]", "3"), ("effect[latency_ms]", "1"),
                    ],
                    "match[path]=/v1/x&trigger[times]=2&trigger[seed]=3&effect[latency_ms]=1"
                ),
                (
                    [("match[path]", "/v1/x"), ("effect[latency_ms]", "1"), ("livemode", "true")],
                    "match[path]=/v1/x&effect[latency_ms]=1&livemode=true"
                ),
            ]
            for (fields, apiBody) in cases {
                let api = try await c.post("/v1/test_helpers/fault_rules", apiBody)
                #expect(api.status == 400, "\(apiBody): \(api.text)")
                let message = try #require(api.error["message"]?.stringValue)
                let reply = try await browser.post("/dashboard/fault_rules", Self.faultRuleForm(csrf, fields))
                #expect(reply.status == 400, "\(apiBody): \(reply.text.prefix(300))")
                #expect(reply.text.contains(Dashboard.HTML.escape(message)), "\(apiBody): should show \(message)")
                #expect(reply.text.contains("<a href=\"/dashboard/fault_rules\">← Back</a>"), "a way back")
            }
            // The form's own fields: a value without a kind, an unknown kind.
            let noKind = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(
                    csrf,
                    [("match[path]", "/v1/x"), ("trigger_value", "3"), ("effect[latency_ms]", "1")]
                )
            )
            #expect(noKind.status == 400 && noKind.text.contains("Choose a trigger"))
            let badKind = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(
                    csrf,
                    [("match[path]", "/v1/x"), ("trigger_kind", "sometimes"), ("effect[latency_ms]", "1")]
                )
            )
            #expect(badKind.status == 400 && badKind.text.contains("Invalid trigger: must be one of"))
            #expect(try await c.get("/v1/test_helpers/fault_rules")["data"] == [])
        }
    }

    @Test func deleteOneRuleOrClearTheAccountsRules() async throws {
        try await TestApp().run { c in
            let bob = c.with(key: "sk_test_bob")
            var ids: [String] = []
            for n in 1...3 {
                ids.append(
                    try await c.post("/v1/test_helpers/fault_rules", "match[path]=/v1/r\(n)&effect[latency_ms]=1").id
                )
            }
            let bobs = try await bob.post("/v1/test_helpers/fault_rules", "match[path]=/v1/bob&effect[latency_ms]=1").id
            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf("/dashboard/fault_rules")

            let deleted = try await browser.post(
                "/dashboard/fault_rules/\(ids[1])/delete",
                [("csrf", csrf), ("return_to", "/dashboard/fault_rules")]
            )
            #expect(deleted.status == 303)
            #expect(deleted.headers[.location] == "/dashboard/fault_rules?done=fault_rule_deleted")
            let left = try await c.get("/v1/test_helpers/fault_rules")["data"]?.arrayValue?.compactMap {
                $0["id"]?.stringValue
            }
            #expect(left == [ids[2], ids[0]])
            let page = try await browser.get("/dashboard/fault_rules?done=fault_rule_deleted")
            #expect(page.text.contains("The fault rule was deleted.") && !page.text.contains(ids[1]))
            // Twice, or another account's rule: the API's 404.
            for id in [ids[1], bobs] {
                let missing = try await browser.post("/dashboard/fault_rules/\(id)/delete", [("csrf", csrf)])
                #expect(
                    missing.status == 404 && missing.text.contains("No such fault_rule: &#39;\(id)&#39;"),
                    "\(missing.text)"
                )
            }

            let cleared = try await browser.post("/dashboard/fault_rules/clear", [("csrf", csrf), ("return_to", "/")])
            #expect(cleared.status == 303)
            #expect(cleared.headers[.location] == "/?done=fault_rules_cleared")
            #expect(try await c.get("/v1/test_helpers/fault_rules")["data"] == [])
            #expect(try await bob.get("/v1/test_helpers/fault_rules")["data.0.id"] == .string(bobs))
            let overview = try await browser.get("/?done=fault_rules_cleared")
            #expect(overview.text.contains("Every fault rule of this account was deleted."))
            #expect(overview.text.contains("No fault rules") && !overview.text.contains("fault-rules-clear-form"))
        }
    }

    @Test func faultRuleFormsNeedTheCookiesCSRFToken() async throws {
        try await TestApp().run { c in
            let id = try await c.post("/v1/test_helpers/fault_rules", "match[path]=/v1/kept&effect[latency_ms]=1").id
            let alice = try await Browser.signIn(c)
            let bobsToken = try await Browser.signIn(c, key: "sk_test_bob").csrf("/dashboard/fault_rules")
            let add = Self.faultRuleForm("", [("match[path]", "/v1/added"), ("effect[latency_ms]", "1")]).filter {
                $0.0 != "csrf"
            }
            for path in [
                "/dashboard/fault_rules", "/dashboard/fault_rules/clear", "/dashboard/fault_rules/\(id)/delete",
            ] {
                let cases: [(Browser, [(String, String)], String)] = [
                    (alice, add, "no token"),
                    (alice, [("csrf", "forged")] + add, "a forged token"),
                    (alice, [("csrf", bobsToken)] + add, "another account's token"),
                    (Browser(client: c, cookie: nil), [("csrf", bobsToken)] + add, "no cookie"),
                ]
                for (browser, pairs, why) in cases {
                    #expect(try await browser.post(path, pairs).status == 403, "\(path): \(why)")
                }
            }
            let rules = try await c.get("/v1/test_helpers/fault_rules")["data"]?.arrayValue ?? []
            #expect(rules.compactMap { $0["id"]?.stringValue } == [id])
            #expect(try await c.with(key: "sk_test_bob").get("/v1/test_helpers/fault_rules")["data"] == [])
        }
    }

    @Test func hostileFaultRulesAreEscaped() async throws {
        try await TestApp().run { c in
            let hostile = "<script>alert(1)</script>"
            let attribute = "\"><img src=x onerror=alert(2)>"
            let created = try await c.post(
                "/v1/test_helpers/fault_rules",
                form([
                    ("match[path]", "/v1/" + hostile), ("match[parameter][name]", attribute),
                    ("match[parameter][value]", hostile),
                    ("effect[error][status]", "402"), ("effect[error][type]", attribute),
                    ("effect[error][code]", hostile),
                    ("effect[error][message]", hostile + attribute),
                ])
            )
            #expect(created.status == 200, "\(created.text)")
            let browser = try await Browser.signIn(c)
            let csrf = try await browser.csrf("/dashboard/fault_rules")
            // Through the form too; and an invalid pattern whose error message repeats it.
            let added = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(csrf, [("match[path]", "/" + attribute), ("effect[error][message]", attribute)])
            )
            #expect(added.status == 303)
            let refused = try await browser.post(
                "/dashboard/fault_rules",
                Self.faultRuleForm(csrf, [("match[path]", hostile), ("effect[latency_ms]", "1")])
            )
            #expect(refused.status == 400 && refused.text.contains("must start with"))
            let pages = [
                ("/", try await browser.get("/").text),
                ("/dashboard/fault_rules", try await browser.get("/dashboard/fault_rules").text),
                ("refused", refused.text),
            ]
            for (path, html) in pages {
                #expect(!html.contains("<script"), "\(path)")
                #expect(!html.contains("<img"), "\(path)")
                #expect(!html.contains("onerror=alert(2)>"), "\(path)")
            }
            let page = pages[1].1
            #expect(page.contains("<code>/v1/&lt;script&gt;alert(1)&lt;/script&gt;</code>"))
            #expect(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
            #expect(refused.text.contains("&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; must start with"))
        }
    }
}

@Suite struct SecretMaskFastPathTests {
    @Test func candidatesAreFoundInAnyCase() {
        for text in ["a sk_test_1", "PK_test", "rk_live_x", "whsec_abc", "client_SECRET", "x_Secret_y"] {
            #expect(SecretMask.mayHoldSecret(text), "\(text)")
        }
        for text in ["", "cus_123", "{\"name\": \"Sam Skeptic\"}", "secre", "sk", "pk-"] {
            #expect(!SecretMask.mayHoldSecret(text), "\(text)")
        }
        #expect(SecretMask.mask("{\"client_secret\": \"pi_1_secret_abcdef\"}").contains("abcdef") == false)
    }
}
