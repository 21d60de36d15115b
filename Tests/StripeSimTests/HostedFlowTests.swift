import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// The hosted Financial Connections flow, page by page, through plain HTTP GET/POST as a browser without
/// JavaScript (or a WebView) drives it; and the Stripe.js stand-in's script. Real-browser tests of the same
/// flow are in `Tests/browser/`.
@Suite(.timeLimit(.minutes(1))) struct HostedFlowTests {
    static let testOAuth = "fcinst_Qn1a6jqpI0Gb84"
    static let testNonOAuth = "fcinst_Qn1a7A4KhL42se"
    static let bankNonOAuth = "fcinst_Qn1aVTBBJ4ubmQ"
    static let deniedOAuth = "fcinst_SimOAuthDenied"
    static let downScheduled = "fcinst_QH6l5zmRXAepbP"
    static let downError = "fcinst_Qn1aOU8Z6Qsvpn"

    /// A new session (all four permissions unless `extra` says otherwise): (id, client secret).
    static func session(_ c: Client, extra: String = "") async throws -> (id: String, secret: String) {
        let (_, s) = try await FinancialConnectionsTests.seedSession(c, extra: extra)
        #expect(s.status == 200, "\(s.text)")
        return (s.id, try #require(s["client_secret"]?.stringValue))
    }

    /// A page as a browser asks for it: no Authorization header.
    static func get(_ c: Client, _ uri: String) async throws -> Reply {
        try await c.send(.get, uri, key: .some(nil))
    }

    /// A form post as a browser sends it.
    static func post(_ c: Client, _ uri: String, _ pairs: [(String, String)]) async throws -> Reply {
        try await c.send(.post, uri, body: FormFields.encode(pairs), key: .some(nil))
    }

    /// Follows 303s within the simulator (an external `return_url` stops it).
    static func follow(_ c: Client, _ reply: Reply) async throws -> Reply {
        var r = reply
        var hops = 0
        while r.status == 303, let next = r.headers[.location], next.hasPrefix("/"), hops < 10 {
            r = try await get(c, next)
            hops += 1
        }
        return r
    }

    static func testIDs(_ html: String) -> [String] {
        html.matches(of: /data-testid="([^"]+)"/).map { String($0.output.1) }
    }

    /// The `href` of the element with this `data-testid` (HTML-unescaped).
    static func href(_ html: String, _ testID: String) throws -> String {
        let tag = try #require(
            html.matches(of: /<a [^>]*>/).map { String($0.output) }.first { $0.contains("data-testid=\"\(testID)\"") }
        )
        let match = try #require(tag.firstMatch(of: /href="([^"]+)"/))
        return String(match.output.1).replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The value of the hidden `state` field on the bank page.
    static func state(_ html: String) throws -> String {
        String(try #require(html.firstMatch(of: /name="state" value="([^"]+)"/)).output.1)
    }

    static func isHTML(_ r: Reply) -> Bool { r.headers[.contentType]?.hasPrefix("text/html") == true }

    /// Walks Test (OAuth) from consent to the bank's page, approving there; returns the account-selection page.
    static func throughTestOAuth(_ c: Client, _ secret: String, query: String = "") async throws -> Reply {
        let consent = try await get(c, "/link/\(secret)\(query)")
        let list = try await get(c, try href(consent.text, "consent-agree"))
        let picked = try await get(c, try href(list.text, "institution-\(testOAuth)"))
        #expect(picked.status == 303)
        let bank = try await get(c, try #require(picked.headers[.location]))
        let approved = try await post(
            c,
            "/bank-oauth/\(testOAuth)",
            [("state", try state(bank.text)), ("decision", "approve")]
        )
        return try await follow(c, approved)
    }

    // MARK: Tests

    @Test func stripeJSStandIn() async throws {
        try await TestApp().run { c in
            for path in ["/v3/", "/v3"] {
                let js = try await Self.get(c, path)
                #expect(js.status == 200)
                #expect(js.headers[.contentType] == "application/javascript; charset=utf-8")
                #expect(js.text.contains("collectFinancialConnectionsAccounts"))
                #expect(js.text.contains("is not simulated by stripe-sim"))
                #expect(js.text.contains("document.currentScript"))
                #expect(js.text.contains("new Proxy("))
            }
        }
    }

    @Test func happyPathThroughTestOAuthEqualsTheHeadlessHelper() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)

            // Consent: the permissions in words, agree and cancel.
            let consent = try await Self.get(c, "/link/\(secret)")
            #expect(consent.status == 200)
            #expect(Self.isHTML(consent))
            #expect(
                Self.testIDs(consent.text).contains(allOf: [
                    "consent-agree", "cancel", "permission-balances", "permission-transactions",
                ])
            )
            #expect(consent.text.contains("Account and routing numbers"))
            #expect(consent.text.contains("Up to 180 days of transaction history"))

            // Featured banks, down ones with their state.
            let list = try await Self.get(c, try Self.href(consent.text, "consent-agree"))
            let ids = Self.testIDs(list.text)
            #expect(
                ids.contains(allOf: [
                    "institution-\(Self.testOAuth)", "institution-\(Self.bankNonOAuth)",
                    "institution-\(Self.downScheduled)", "institution-search", "cancel",
                ])
            )
            #expect(!ids.contains("institution-\(Self.deniedOAuth)"))  // found by searching only
            #expect(
                list.text.contains(#"data-testid="institution-\#(Self.downScheduled)" data-status="down_scheduled""#)
            )
            #expect(list.text.contains("Scheduled maintenance"))

            // OAuth: a redirect to the bank's own page, which redirects back with a code.
            let picked = try await Self.get(c, try Self.href(list.text, "institution-\(Self.testOAuth)"))
            #expect(picked.status == 303)
            let bankURL = try #require(picked.headers[.location])
            #expect(bankURL.hasPrefix("/bank-oauth/\(Self.testOAuth)?state="))
            let bank = try await Self.get(c, bankURL)
            #expect(bank.status == 200)
            #expect(bank.text.contains("Test (OAuth)"))
            #expect(Self.testIDs(bank.text).contains(allOf: ["oauth-approve", "oauth-deny", "oauth-close", "cancel"]))
            let approved = try await Self.post(
                c,
                "/bank-oauth/\(Self.testOAuth)",
                [("state", try Self.state(bank.text)), ("decision", "approve")]
            )
            #expect(approved.status == 303)
            let callback = try #require(approved.headers[.location])
            #expect(callback.hasPrefix("/oauth/callback?state="))
            #expect(callback.contains("&code="))
            let back = try await Self.get(c, callback)
            #expect(back.headers[.location] == "/link/\(secret)/accounts?institution=\(Self.testOAuth)")

            // Account selection: every fixture account, the ineligible ones disabled with the reason.
            let accounts = try await Self.follow(c, back)
            #expect(accounts.status == 200)
            #expect(
                Self.testIDs(accounts.text).contains(allOf: [
                    "account-checking-success", "account-savings", "account-credit-card", "link-accounts", "cancel",
                ])
            )
            #expect(accounts.text.contains(#"data-testid="account-credit-card" disabled"#))
            #expect(accounts.text.contains("does not support ACH debits"))
            #expect(!accounts.text.contains(#"data-testid="account-savings" disabled"#))

            let linked = try await Self.post(
                c,
                "/link/\(secret)/accounts",
                [("institution", Self.testOAuth), ("account", "checking-success"), ("account", "savings")]
            )
            #expect(linked.status == 303)
            #expect(linked.headers[.location] == "/link/\(secret)/result")
            let result = try await Self.follow(c, linked)
            #expect(
                Self.testIDs(result.text).contains(allOf: [
                    "result", "linked-checking-success", "linked-savings", "done",
                ])
            )
            let end = try await Self.get(c, try Self.href(result.text, "done"))
            #expect(end.status == 200)
            #expect(Self.testIDs(end.text).contains("finished"))

            // The same as the headless helper: same accounts, same events.
            let session = try await c.get("/v1/financial_connections/sessions/\(id)")
            #expect(session["status"] == "succeeded")
            let browserAccounts = session["accounts.data"]?.arrayValue ?? []
            let (headlessID, _) = try await Self.session(c)
            let headless = try await c.post(
                "/v1/test_helpers/financial_connections/sessions/\(headlessID)/complete",
                "institution=\(Self.testOAuth)&accounts[]=checking-success&accounts[]=savings"
            )
            let headlessAccounts = headless["accounts.data"]?.arrayValue ?? []
            func comparable(_ a: JSONValue) -> JSONValue {
                var a = a
                for volatile in ["id", "account_holder", "created", "session"] { a[volatile] = nil }
                return a
            }
            #expect(browserAccounts.count == 2)
            #expect(browserAccounts.map(comparable) == headlessAccounts.map(comparable))
            for (b, h) in zip(browserAccounts, headlessAccounts) {
                #expect(
                    try await c.eventTypes(for: b["id"]?.stringValue ?? "")
                        == (try await c.eventTypes(for: h["id"]?.stringValue ?? ""))
                )
            }
            #expect(
                try await c.eventTypes(for: browserAccounts[0]["id"]?.stringValue ?? "").contains(
                    "financial_connections.account.created"
                )
            )

            // The flow is over: opening it again says so.
            let again = try await Self.get(c, "/link/\(secret)")
            #expect(again.status == 400)
            #expect(Self.isHTML(again))
            #expect(again.text.contains("already completed"))
        }
    }

    @Test func bankNonOAuthMagicWords() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            let picked = try await Self.get(c, "/link/\(secret)/institutions/\(Self.bankNonOAuth)")
            #expect(picked.headers[.location] == "/link/\(secret)/login?institution=\(Self.bankNonOAuth)")
            let login = try await Self.follow(c, picked)
            #expect(
                Self.testIDs(login.text).contains(allOf: [
                    "login-username", "login-password", "login-submit", "login-hint", "cancel",
                ])
            )
            let url = "/link/\(secret)/login"
            func submit(_ step: String, _ fields: [(String, String)]) async throws -> Reply {
                try await Self.post(c, url, [("institution", Self.bankNonOAuth), ("step", step)] + fields)
            }

            // `incorrect`: asked again, with the username kept.
            let wrong = try await submit("login", [("username", "jenny"), ("password", "incorrect")])
            #expect(wrong.status == 200)
            #expect(Self.testIDs(wrong.text).contains("login-error"))
            #expect(wrong.text.contains("incorrect"))
            #expect(wrong.text.contains(#"value="jenny""#))

            // `mfa` → one-time code; a later field's magic word adds that step, and so on.
            let mfa = try await submit("login", [("username", "jenny"), ("password", "mfa")])
            #expect(mfa.headers[.location] == "/link/\(secret)/login?institution=\(Self.bankNonOAuth)&step=mfa")
            let mfaPage = try await Self.follow(c, mfa)
            #expect(mfaPage.text.contains("one-time code"))
            #expect(Self.testIDs(mfaPage.text).contains(allOf: ["login-answer", "login-submit"]))
            let retry = try await submit("mfa", [("answer", "incorrect")])
            #expect(retry.text.contains("That answer is incorrect"))
            let question = try await submit("mfa", [("answer", "security_question")])
            #expect(question.headers[.location]?.hasSuffix("step=security_question") == true)
            #expect(try await Self.follow(c, question).text.contains("first pet"))
            let confirm = try await submit("security_question", [("answer", "confirm_mfa")])
            #expect(confirm.headers[.location]?.hasSuffix("step=confirm_mfa") == true)
            #expect(try await Self.follow(c, confirm).text.contains("Confirm your code"))
            let options = try await submit("confirm_mfa", [("answer", "options")])
            let optionsPage = try await Self.follow(c, options)
            #expect(
                Self.testIDs(optionsPage.text).contains(allOf: ["login-option-1", "login-option-2", "login-option-3"])
            )
            let chosen = try await submit("options", [("answer", "2")])
            #expect(chosen.headers[.location] == "/link/\(secret)/accounts?institution=\(Self.bankNonOAuth)")

            let picker = try await Self.follow(c, chosen)
            #expect(
                Self.testIDs(picker.text).contains(allOf: [
                    "account-everyday-checking", "account-high-yield-savings", "account-rewards-credit-card",
                ])
            )
            let linked = try await Self.post(
                c,
                "/link/\(secret)/accounts",
                [("institution", Self.bankNonOAuth), ("account", "everyday-checking")]
            )
            #expect(linked.headers[.location] == "/link/\(secret)/result")
            let session = try await c.get("/v1/financial_connections/sessions/\(id)")
            #expect(session["status"] == "succeeded")
            #expect(session["accounts.data"]?.arrayValue?.map { $0["display_name"] } == ["Everyday Checking"])
            #expect(session["accounts.data.0.institution_name"] == "Bank (Non-OAuth)")
        }
    }

    @Test func plainCredentialsIgnoreMagicWords() async throws {
        try await TestApp().run { c in
            let (_, secret) = try await Self.session(c)
            let login = try await Self.follow(
                c,
                try await Self.get(c, "/link/\(secret)/institutions/\(Self.testNonOAuth)")
            )
            #expect(!Self.testIDs(login.text).contains("login-hint"))
            let ok = try await Self.post(
                c,
                "/link/\(secret)/login",
                [("institution", Self.testNonOAuth), ("step", "login"), ("username", "u"), ("password", "error")]
            )
            #expect(ok.headers[.location] == "/link/\(secret)/accounts?institution=\(Self.testNonOAuth)")
            let empty = try await Self.post(
                c,
                "/link/\(secret)/login",
                [("institution", Self.testNonOAuth), ("step", "login"), ("username", ""), ("password", "")]
            )
            #expect(empty.status == 200)
            #expect(empty.text.contains("Enter a username and a password"))
        }
    }

    @Test(arguments: [("username", "error"), ("password", "error"), ("password", " ERROR ")])
    func errorWordFailsTheSession(_ field: String, _ value: String) async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            var fields = [
                ("institution", Self.bankNonOAuth), ("step", "login"), ("username", "jenny"), ("password", "pw"),
            ]
            fields.removeAll { $0.0 == field }
            fields.append((field, value))
            let failed = try await Self.post(c, "/link/\(secret)/login", fields)
            #expect(failed.headers[.location] == "/link/\(secret)/result")
            let page = try await Self.follow(c, failed)
            #expect(page.text.contains(#"data-status="failed""#))
            #expect(Self.testIDs(page.text).contains("done"))
            let session = try await c.get("/v1/financial_connections/sessions/\(id)")
            #expect(session["status"] == "failed")
            #expect(session["accounts.data"] == [])
        }
    }

    @Test func errorWordInALaterStepFails() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            let failed = try await Self.post(
                c,
                "/link/\(secret)/login",
                [("institution", Self.bankNonOAuth), ("step", "mfa"), ("answer", "error")]
            )
            #expect(failed.headers[.location] == "/link/\(secret)/result")
            #expect(try await c.get("/v1/financial_connections/sessions/\(id)")["status"] == "failed")
        }
    }

    @Test func denyingOAuthLinksNothing() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            let bank = try await Self.follow(c, try await Self.get(c, "/link/\(secret)/institutions/\(Self.testOAuth)"))
            let denied = try await Self.post(
                c,
                "/bank-oauth/\(Self.testOAuth)",
                [("state", try Self.state(bank.text)), ("decision", "deny")]
            )
            #expect(denied.headers[.location]?.hasSuffix("&error=access_denied") == true)
            let back = try await Self.get(c, try #require(denied.headers[.location]))
            #expect(back.headers[.location] == "/link/\(secret)/result")
            let page = try await Self.follow(c, back)
            #expect(page.text.contains("Access denied"))
            #expect(Self.testIDs(page.text).contains("done"))
            let session = try await c.get("/v1/financial_connections/sessions/\(id)")
            #expect(session["status"] == "cancelled")
            #expect(session["accounts.data"] == [])
            #expect(try await c.get("/v1/events?type=financial_connections.account.created")["data"] == [])

            // A bank whose fixture denies: approving ends the same way (FCEngine's own rule).
            let (deniedID, deniedSecret) = try await Self.session(c)
            let search = try await Self.get(c, "/link/\(deniedSecret)/institutions?q=denied")
            #expect(Self.testIDs(search.text).contains("institution-\(Self.deniedOAuth)"))
            let page2 = try await Self.follow(
                c,
                try await Self.get(c, "/link/\(deniedSecret)/institutions/\(Self.deniedOAuth)")
            )
            #expect(Self.testIDs(page2.text).contains("oauth-denies"))
            let approved = try await Self.post(
                c,
                "/bank-oauth/\(Self.deniedOAuth)",
                [("state", try Self.state(page2.text)), ("decision", "approve")]
            )
            #expect(approved.headers[.location]?.hasSuffix("&error=access_denied") == true)
            let end = try await Self.follow(c, approved)
            #expect(end.text.contains("Access denied"))
            let s2 = try await c.get("/v1/financial_connections/sessions/\(deniedID)")
            #expect(s2["status"] == "cancelled")
            #expect(s2["accounts.data"] == [])
        }
    }

    @Test func closingTheBankPageReturnsToThePicker() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            let bank = try await Self.follow(c, try await Self.get(c, "/link/\(secret)/institutions/\(Self.testOAuth)"))
            let closed = try await Self.get(c, try Self.href(bank.text, "oauth-close"))
            #expect(closed.headers[.location] == "/link/\(secret)/institutions")
            #expect(try await c.get("/v1/financial_connections/sessions/\(id)")["status"] == "pending")
            // The bank page needs a state naming this bank.
            let noState = try await Self.get(c, "/bank-oauth/\(Self.testOAuth)")
            #expect(noState.status == 400)
            #expect(Self.isHTML(noState))
            let otherBank = try await Self.get(
                c,
                "/bank-oauth/fcinst_Qn1aNn8l07746s?state=\(try Self.state(bank.text))"
            )
            #expect(otherBank.status == 404)
            #expect(try await Self.get(c, "/oauth/callback?state=\(try Self.state(bank.text))").status == 400)
        }
    }

    @Test func cancelFromAnyPage() async throws {
        try await TestApp().run { c in
            for page in [
                "", "/institutions", "/accounts?institution=\(Self.testOAuth)",
                "/login?institution=\(Self.bankNonOAuth)&step=mfa",
            ] {
                let (id, secret) = try await Self.session(c)
                let shown = try await Self.get(c, "/link/\(secret)\(page)")
                #expect(shown.text.contains(#"<form method="post" action="/link/\#(secret)/cancel">"#), "\(page)")
                let cancelled = try await Self.post(c, "/link/\(secret)/cancel", [])
                #expect(cancelled.headers[.location] == "/link/\(secret)/return")
                let end = try await Self.follow(c, cancelled)
                #expect(end.text.contains(#"data-status="cancelled""#))
                let session = try await c.get("/v1/financial_connections/sessions/\(id)")
                #expect(session["status"] == "cancelled")
                #expect(session["accounts.data"] == [])
                // Cancelling again is harmless.
                #expect(try await Self.post(c, "/link/\(secret)/cancel", []).status == 303)
            }
        }
    }

    @Test func downInstitutionsShowTheirStateAndLinkNothing() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c)
            for (bank, words) in [(Self.downScheduled, "scheduled maintenance"), (Self.downError, "unexpected error")] {
                let page = try await Self.get(c, "/link/\(secret)/institutions/\(bank)")
                #expect(page.status == 200)
                #expect(Self.testIDs(page.text).contains(allOf: ["institution-unavailable", "back", "cancel"]))
                #expect(page.text.contains(words))
                // Going around the picker does not help.
                let login = try await Self.get(c, "/link/\(secret)/login?institution=\(bank)")
                #expect(Self.testIDs(login.text).contains("institution-unavailable"))
                let link = try await Self.post(
                    c,
                    "/link/\(secret)/accounts",
                    [("institution", bank), ("account", "checking")]
                )
                #expect(Self.testIDs(link.text).contains("institution-unavailable"))
            }
            #expect(try await c.get("/v1/financial_connections/sessions/\(id)")["status"] == "pending")
        }
    }

    @Test func accountSelectionIsValidated() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c, extra: "&filters[account_subcategories][]=savings")
            let page = try await Self.get(c, "/link/\(secret)/accounts?institution=\(Self.testOAuth)")
            #expect(page.text.contains(#"data-testid="account-checking-success" disabled"#))
            #expect(page.text.contains("filters[account_subcategories]"))
            let none = try await Self.post(c, "/link/\(secret)/accounts", [("institution", Self.testOAuth)])
            #expect(none.status == 400)
            #expect(none.text.contains("Select at least one account"))
            let ineligible = try await Self.post(
                c,
                "/link/\(secret)/accounts",
                [("institution", Self.testOAuth), ("account", "checking-success")]
            )
            #expect(ineligible.status == 400)
            #expect(Self.testIDs(ineligible.text).contains("accounts-error"))
            let unknown = try await Self.post(
                c,
                "/link/\(secret)/accounts",
                [("institution", Self.testOAuth), ("account", "nope")]
            )
            #expect(unknown.status == 400)
            #expect(try await c.get("/v1/financial_connections/sessions/\(id)")["status"] == "pending")
            let unknownBank = try await Self.get(c, "/link/\(secret)/institutions/fcinst_nope")
            #expect(unknownBank.status == 404)
            #expect(Self.isHTML(unknownBank))
        }
    }

    @Test func searchFindsInstitutionsAndEscapesTheQuery() async throws {
        try await TestApp().run { c in
            let (_, secret) = try await Self.session(c)
            let found = try await Self.get(c, "/link/\(secret)/institutions?q=tokenized")
            #expect(
                Self.testIDs(found.text).contains(allOf: [
                    "institution-fcinst_SimTanExpired1", "institution-fcinst_SimTanExpiring",
                    "institution-fcinst_SimTanImmedExp",
                ])
            )
            #expect(!Self.testIDs(found.text).contains("institution-\(Self.testOAuth)"))
            let evil = "<script>alert(1)</script>\"'&"
            let page = try await Self.get(c, "/link/\(secret)/institutions?q=\(FormFields.escape(evil))")
            #expect(page.status == 200)
            #expect(!page.text.contains("<script>alert"))
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
            #expect(Self.testIDs(page.text).contains("no-results"))

            // A username echoed back on a retry is escaped too.
            let retry = try await Self.post(
                c,
                "/link/\(secret)/login",
                [
                    ("institution", Self.bankNonOAuth), ("step", "login"),
                    ("username", "\"><img src=x onerror=alert(1)>"), ("password", "incorrect"),
                ]
            )
            #expect(!retry.text.contains("<img"))
            #expect(retry.text.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))

            // So are the flow context's key and origin, in attributes and in the script that posts to the host.
            let hostile = try await Self.get(
                c,
                "/link/\(secret)/institutions?origin=\(FormFields.escape("\"></script><script>alert(1)</script>"))"
            )
            #expect(!hostile.text.contains("<script>alert"))
        }
    }

    @Test func wrongOrUsedSecretsShowAnErrorPage() async throws {
        try await TestApp().run { c in
            for path in [
                "/link/fcsess_client_secret_nope", "/link/not-a-secret", "/link/fcsess_client_secret_nope/institutions",
            ] {
                let r = try await Self.get(c, path)
                #expect(r.status == 404, "\(path)")
                #expect(Self.isHTML(r))
                #expect(Self.testIDs(r.text).contains(allOf: ["error-title", "error-message"]))
                #expect(r.text.contains("No Financial Connections session has this client secret"))
                #expect(!r.text.contains("stripe-sim:fc-error"))  // not in the modal: nothing to post
            }
            // Unknown flow paths and methods get HTML too (StripeMiddleware), not the JSON envelope.
            let (id, secret) = try await Self.session(c)
            let unknown = try await Self.get(c, "/link/\(secret)/nowhere")
            #expect(unknown.status == 404)
            #expect(Self.isHTML(unknown))
            #expect(Self.isHTML(try await Self.post(c, "/link/\(secret)", [])))
            // The API keeps its JSON errors.
            #expect(try await Self.get(c, "/v1/nowhere").headers[.contentType] == "application/json")

            // In the Stripe.js modal, the error also goes to the host page, which resolves {error}.
            let embedded = try await Self.get(
                c,
                "/link/fcsess_client_secret_nope?key=pk_test_alice&origin=http%3A%2F%2F127.0.0.1%3A8000"
            )
            #expect(embedded.text.contains(#""type":"stripe-sim:fc-error""#))
            #expect(embedded.text.contains(#""code":"resource_missing""#))
            #expect(embedded.text.contains(#"postMessage(message, "http://127.0.0.1:8000")"#))

            _ = try await c.post("/v1/test_helpers/financial_connections/sessions/\(id)/complete", "outcome=cancelled")
            let used = try await Self.get(c, "/link/\(secret)?key=pk_test_alice&origin=http%3A%2F%2F127.0.0.1%3A8000")
            #expect(used.status == 400)
            #expect(used.text.contains("already been completed"))
            #expect(used.text.contains(#""code":"financial_connections_session_completed""#))
        }
    }

    @Test func publishableKeyMustBelongToTheSessionsAccount() async throws {
        try await TestApp().run { c in
            let (_, secret) = try await Self.session(c)
            #expect(try await Self.get(c, "/link/\(secret)?key=pk_test_alice").status == 200)
            let other = try await Self.get(c, "/link/\(secret)?key=pk_test_bob")
            #expect(other.status == 404)
            #expect(other.text.contains("created with the secret key of another account"))
            let secretKey = try await Self.get(c, "/link/\(secret)?key=sk_test_alice")
            #expect(secretKey.status == 403)
            #expect(secretKey.text.contains("not a publishable key"))
            #expect(try await Self.get(c, "/link/\(secret)?key=pk_live_alice").status == 401)
            // Every later step checks it too.
            #expect(try await Self.post(c, "/link/\(secret)/cancel?key=pk_test_bob", []).status == 404)
            #expect(try await Self.get(c, "/link/\(secret)").status == 200)
        }
    }

    @Test func inTheModalTheEndIsAPostMessageWithTheSession() async throws {
        try await TestApp().run { c in
            let (id, secret) = try await Self.session(c, extra: "&return_url=myapp%3A%2F%2Fdone")
            let origin = "&origin=http%3A%2F%2F127.0.0.1%3A8000"
            let accounts = try await Self.throughTestOAuth(c, secret, query: "?key=pk_test_alice\(origin)")
            #expect(accounts.status == 200)
            #expect(
                accounts.text.contains(
                    "/link/\(secret)/accounts?key=pk_test_alice\(origin.replacingOccurrences(of: "&", with: "&amp;"))"
                )
            )
            let linked = try await Self.post(
                c,
                "/link/\(secret)/accounts?key=pk_test_alice\(origin)",
                [("institution", Self.testOAuth), ("account", "checking-success")]
            )
            let result = try await Self.follow(c, linked)
            let end = try await Self.get(c, try Self.href(result.text, "done"))
            #expect(end.status == 200)  // the modal ignores return_url
            #expect(end.text.contains(#""type":"stripe-sim:fc-result""#))
            #expect(end.text.contains(#""id":"\#(id)""#))
            #expect(end.text.contains(#""display_name":"Success""#))
            #expect(end.text.contains(#"postMessage(message, "http://127.0.0.1:8000")"#))
        }
    }

    @Test func returnURLEndsTheFlowWithARedirect() async throws {
        try await TestApp().run { c in
            let (cancelledID, cancelled) = try await Self.session(c, extra: "&return_url=myapp%3A%2F%2Fdone")
            let r = try await Self.follow(c, try await Self.post(c, "/link/\(cancelled)/cancel", []))
            #expect(r.status == 303)
            #expect(r.headers[.location] == "myapp://done?status=cancelled&session=\(cancelledID)")

            let (id, secret) = try await Self.session(
                c,
                extra: "&return_url=\(FormFields.escape("https://example.com/back?x=1#frag"))"
            )
            let accounts = try await Self.throughTestOAuth(c, secret)
            #expect(accounts.status == 200)
            let linked = try await Self.post(
                c,
                "/link/\(secret)/accounts",
                [("institution", Self.testOAuth), ("account", "savings")]
            )
            let result = try await Self.follow(c, linked)
            let end = try await Self.get(c, try Self.href(result.text, "done"))
            #expect(end.status == 303)
            #expect(end.headers[.location] == "https://example.com/back?x=1&status=succeeded&session=\(id)#frag")

            // Outside the modal, OAuth banks open as the top-level page.
            let (_, other) = try await Self.session(c)
            let list = try await Self.get(c, "/link/\(other)/institutions")
            #expect(list.text.contains(#"href="/link/\#(other)/institutions/\#(Self.testOAuth)" target="_top""#))
        }
    }

    @Test func helpers() throws {
        #expect(
            HostedFlowPages.redacted(path: "/link/fcsess_client_secret_abcdef123456/accounts")
                == "/link/fcsess_client_secret_****3456/accounts"
        )
        #expect(HostedFlowPages.redacted(path: "/v1/customers") == "/v1/customers")
        let ctx = FlowContext(secret: "fcsess_client_secret_abc", key: "pk_test_x", origin: "http://h:1")
        let state = ctx.oauthState(institution: Self.testOAuth)
        #expect(!state.contains("="))
        let decoded = try #require(FlowContext.from(oauthState: state))
        #expect(decoded.context == ctx)
        #expect(decoded.institution == Self.testOAuth)
        #expect(FlowContext.from(oauthState: "%%%") == nil)
        #expect(FlowContext(secret: "s", origin: "null").targetOrigin == "*")
        #expect(FlowContext(secret: "s", origin: "http://a:1/path").targetOrigin == "*")
        #expect(FlowContext(secret: "s", origin: "https://a.example").targetOrigin == "https://a.example")
        let html: HTML = "<p title=\"\("\"x'")\">\("<b>")</p>\(HTML("<i>ok</i>"))"
        #expect(html.description == "<p title=\"&quot;x&#39;\">&lt;b&gt;</p><i>ok</i>")
        #expect(
            HTML.scriptJSON(["a": "</script><!--\u{2028}"]).description
                == #"{"a":"\u003c/script\u003e\u003c!--\u2028"}"#
        )
        let fields = FormFields("a=1&a=2+3&b=%3Cx%3E&c")
        #expect(fields.all("a") == ["1", "2 3"])
        #expect(fields["b"] == "<x>")
        #expect(fields["c"] == "")
    }
}

extension Array where Element == String {
    fileprivate func contains(allOf wanted: [String]) -> Bool { wanted.allSatisfy(contains) }
}
