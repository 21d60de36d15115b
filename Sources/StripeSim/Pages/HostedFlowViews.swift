import Foundation

/// The hosted flow's pages as HTML: plain forms and links (no JavaScript needed, no external assets), every
/// control with a stable `data-testid`. Everything shown that came from a request, a session or a fixture is
/// escaped by `HTML` interpolation.
enum FlowViews {
    // MARK: - Layout

    /// A complete page. `bank` switches to the fake bank's look (the OAuth page is the bank's, not Stripe's).
    static func layout(_ title: String, _ body: HTML, script: HTML? = nil, bank: Bool = false) -> HTML {
        let banner: HTML =
            bank
            ? "<div class=\"banner bank\">Simulated bank website · stripe-sim</div>"
            : "<div class=\"banner\">stripe-sim · Financial Connections · test mode</div>"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>\(css)</style>
            </head>
            <body class="\(bank ? "bank" : "flow")">
            \(banner)
            <main>
            \(body)
            </main>
            \(script)
            </body>
            </html>

            """
    }

    static let css = HTML(
        unsafe: """
            *{box-sizing:border-box}
            body{margin:0;font:15px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:#1a1f36;background:#f6f8fa}
            body.bank{background:#eef3ee}
            .banner{background:#635bff;color:#fff;font-size:12px;padding:6px 16px;letter-spacing:.02em}
            .banner.bank{background:#1d5c2e}
            main{max-width:440px;margin:0 auto;padding:20px 18px 28px;background:#fff;min-height:calc(100vh - 30px)}
            h1{font-size:20px;margin:6px 0 12px}
            p{margin:8px 0}
            .muted{color:#5b6478;font-size:13px}
            .error{background:#fdecea;color:#8a1c12;border:1px solid #f5c2bd;border-radius:6px;padding:8px 10px;margin:10px 0}
            .notice{background:#fff7e0;color:#6b4e00;border:1px solid #f0dca0;border-radius:6px;padding:8px 10px;margin:10px 0}
            ul.plain{list-style:none;padding:0;margin:8px 0}
            ul.plain li{padding:8px 0;border-bottom:1px solid #eceef2}
            .btn{display:block;width:100%;text-align:center;padding:10px 14px;margin:10px 0 0;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff;font:inherit;font-weight:600;text-decoration:none;cursor:pointer}
            .btn.secondary{background:#fff;color:#635bff}
            .btn.danger{background:#fff;color:#8a1c12;border-color:#c9a19c}
            body.bank .btn{background:#1d5c2e;border-color:#1d5c2e}
            body.bank .btn.secondary{background:#fff;color:#1d5c2e}
            body.bank .btn.danger{background:#fff;color:#8a1c12;border-color:#c9a19c}
            .sticky{position:sticky;bottom:0;background:#fff;padding:2px 0 8px;box-shadow:0 -8px 8px -8px rgba(0,0,0,.15)}
            a.inst{display:flex;justify-content:space-between;align-items:center;padding:10px 12px;margin:6px 0;border:1px solid #dfe3eb;border-radius:6px;color:inherit;text-decoration:none}
            a.inst:hover{border-color:#635bff}
            a.inst.down{background:#f6f6f6;color:#6b7185}
            .badge{font-size:11px;padding:2px 6px;border-radius:10px;background:#e8e6ff;color:#3d35b5;white-space:nowrap}
            .badge.down{background:#fdecea;color:#8a1c12}
            label.acct{display:flex;gap:10px;align-items:flex-start;padding:10px 12px;margin:6px 0;border:1px solid #dfe3eb;border-radius:6px;cursor:pointer}
            label.acct.disabled{background:#f6f6f6;color:#6b7185;cursor:not-allowed}
            label.acct input{margin-top:4px}
            .why{display:block;font-size:12px;color:#8a1c12}
            form.inline{display:flex;gap:8px}
            input[type=text],input[type=password],input[type=search]{width:100%;padding:9px 10px;border:1px solid #c9cfdb;border-radius:6px;font:inherit}
            form.inline .btn{width:auto;margin:0}
            .field{margin:10px 0}
            .field label{display:block;font-size:13px;font-weight:600;margin-bottom:4px}
            code{background:#f1f2f6;padding:1px 4px;border-radius:3px}
            """
    )

    /// The `cancel` control every pending page carries: ends the session with nothing linked.
    static func cancelForm(_ ctx: FlowContext, label: String = "Cancel") -> HTML {
        """
        <form method="post" action="\(ctx.path("/cancel"))">
        <button class="btn danger" type="submit" data-testid="cancel">\(label)</button>
        </form>
        """
    }

    // MARK: - Consent

    /// Plain-words description of each permission a session may request.
    static let permissionWords: [String: (title: String, detail: String)] = [
        "payment_method": (
            "Account and routing numbers", "So the business can debit or pay into the account by bank transfer (ACH)."
        ),
        "balances": ("Balances", "The current and available balance of each account you link."),
        "ownership": (
            "Account owner details", "The names, email addresses, phone numbers and addresses on the accounts."
        ),
        "transactions": ("Transactions", "Up to 180 days of transaction history, and new transactions as they post."),
    ]

    static func consent(_ ctx: FlowContext, session: FCSession) -> HTML {
        let items = session.permissions.map { p -> HTML in
            let words = permissionWords[p] ?? (p, "")
            return
                "<li data-testid=\"permission-\(p)\"><strong>\(words.title)</strong><br><span class=\"muted\">\(words.detail)</span></li>"
        }
        let body: HTML = """
            <h1>Link your bank account</h1>
            <p>This business uses Stripe to connect your accounts. Once you pick a bank and accounts, it will be able to see:</p>
            <ul class="plain" data-testid="permissions">
            <li><strong>Basic account details</strong><br><span class="muted">Account name, type and the last 4 digits of the account number.</span></li>
            \(items.joined())
            </ul>
            <p class="muted">You choose which accounts to share. You can disconnect them later. This is a simulated flow: no real bank is contacted.</p>
            <a class="btn" data-testid="consent-agree" href="\(ctx.path("/institutions"))">Agree and continue</a>
            \(cancelForm(ctx))
            """
        return layout("Link your bank account", body)
    }

    // MARK: - Institutions

    static func institutions(_ ctx: FlowContext, query: String, results: [FixtureInstitution]) -> HTML {
        let rows = results.map { institutionLink(ctx, $0) }
        let heading: HTML =
            query.isEmpty
            ? "<h1>Select your bank</h1>"
            : "<h1>Results for “\(query)”</h1>"
        let list: HTML =
            results.isEmpty
            ? "<p class=\"notice\" data-testid=\"no-results\">No bank matches “\(query)”. Try “test”, “bank”, “down”, “tokenized”, “inactive”, “reauth” or “denied”.</p>"
            : "<div data-testid=\"institutions\">\(rows.joined())</div>"
        let hint: HTML =
            query.isEmpty
            ? "<p class=\"muted\">More test banks are found by searching: “tokenized”, “inactive”, “reauth”, “denied”.</p>"
            : "<p><a data-testid=\"featured\" href=\"\(ctx.path("/institutions"))\">Back to the featured banks</a></p>"
        let body: HTML = """
            \(heading)
            <form class="inline" method="get" action="/link/\(ctx.secret)/institutions" role="search">
            \(ctx.hiddenFields)
            <input type="search" name="q" value="\(query)" placeholder="Search for your bank" aria-label="Search for your bank" data-testid="institution-search">
            <button class="btn secondary" type="submit" data-testid="institution-search-submit">Search</button>
            </form>
            \(list)
            \(hint)
            \(cancelForm(ctx))
            """
        return layout("Select your bank", body)
    }

    static func institutionLink(_ ctx: FlowContext, _ i: FixtureInstitution) -> HTML {
        let badge: HTML
        switch i.status {
        case .up: badge = i.auth == .oauth ? "<span class=\"badge\">OAuth</span>" : ""
        case .downScheduled: badge = "<span class=\"badge down\">Scheduled maintenance</span>"
        case .downUnscheduled: badge = "<span class=\"badge down\">Unavailable</span>"
        case .error: badge = "<span class=\"badge down\">Error</span>"
        }
        // Outside the modal (a WebView, a plain browser) the OAuth bank page opens as the top-level page.
        let target: HTML = i.auth == .oauth && !ctx.embedded ? " target=\"_top\"" : ""
        return """
            <a class="inst\(i.status.isUp ? "" : " down")" data-testid="institution-\(i.id)" data-status="\(i.status.rawValue)" href="\(ctx.path("/institutions/\(i.id)"))"\(target)><span>\(i.name)</span>\(badge)</a>
            """
    }

    /// The page a down (or erroring) institution leads to: the outage in words, another bank, or cancel.
    static func down(_ ctx: FlowContext, institution: FixtureInstitution, reason: String) -> HTML {
        let title = institution.status == .error ? "Something went wrong" : "\(institution.name) is unavailable"
        let body: HTML = """
            <h1>\(title)</h1>
            <p class="error" data-testid="institution-unavailable" data-status="\(institution.status.rawValue)">\(reason)</p>
            <a class="btn secondary" data-testid="back" href="\(ctx.path("/institutions"))">Choose another bank</a>
            \(cancelForm(ctx))
            """
        return layout(title, body)
    }

    // MARK: - Credentials and the magic-word steps

    /// The steps of a credentials sign-in (Bank (Non-OAuth)'s extra steps come from the magic words).
    enum LoginStep: String, CaseIterable, Sendable {
        case login, options, mfa
        case confirmMFA = "confirm_mfa"
        case securityQuestion = "security_question"
    }

    static func login(
        _ ctx: FlowContext,
        institution: FixtureInstitution,
        step: LoginStep,
        error: String? = nil,
        username: String = ""
    ) -> HTML {
        let errorBox: HTML =
            error.map { "<p class=\"error\" role=\"alert\" data-testid=\"login-error\">\($0)</p>" } ?? ""
        let fields: HTML
        let title: String
        switch step {
        case .login:
            title = "Log in to \(institution.name)"
            fields = """
                <div class="field"><label for="username">Username</label>
                <input type="text" id="username" name="username" value="\(username)" autocomplete="off" data-testid="login-username"></div>
                <div class="field"><label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="off" data-testid="login-password"></div>
                """
        case .options:
            title = "Where should we send your code?"
            let choices = [
                "Text message to (•••) •••-4242", "Email to j•••@example.com", "Voice call to (•••) •••-4242",
            ]
            fields = choices.enumerated().map { n, text -> HTML in
                """
                <label class="acct"><input type="radio" name="answer" value="\(n + 1)"\(n == 0 ? " checked" : "") data-testid="login-option-\(n + 1)"><span>\(text)</span></label>
                """
            }.joined()
        case .mfa:
            title = "Enter your one-time code"
            fields = """
                <p>We sent a 6-digit code to your phone ending in 4242.</p>
                <div class="field"><label for="answer">Code</label>
                <input type="text" id="answer" name="answer" inputmode="numeric" autocomplete="one-time-code" data-testid="login-answer"></div>
                """
        case .confirmMFA:
            title = "Confirm your code"
            fields = """
                <p>Your bank sent a confirmation code to your device. Type it again to confirm: <strong data-testid="login-code">246 810</strong>.</p>
                <div class="field"><label for="answer">Confirmation code</label>
                <input type="text" id="answer" name="answer" inputmode="numeric" data-testid="login-answer"></div>
                """
        case .securityQuestion:
            title = "Answer your security question"
            fields = """
                <div class="field"><label for="answer">What was the name of your first pet?</label>
                <input type="text" id="answer" name="answer" autocomplete="off" data-testid="login-answer"></div>
                """
        }
        let hint: HTML =
            institution.features.loginKeywords && step == .login
            ? """
            <p class="muted" data-testid="login-hint">Any username and password work. Type <code>options</code>, <code>mfa</code>, <code>confirm_mfa</code> or <code>security_question</code> as the password for an extra step, <code>error</code> to fail, <code>incorrect</code> to be asked again.</p>
            """
            : step == .login ? "<p class=\"muted\">Any username and password work.</p>" : ""
        let body: HTML = """
            <p class="muted">\(institution.name)</p>
            <h1>\(title)</h1>
            \(errorBox)
            <form method="post" action="\(ctx.path("/login"))" data-testid="login-form" data-step="\(step.rawValue)">
            <input type="hidden" name="institution" value="\(institution.id)">
            <input type="hidden" name="step" value="\(step.rawValue)">
            \(fields)
            <button class="btn" type="submit" data-testid="login-submit">\(step == .login ? "Log in" : "Continue")</button>
            </form>
            \(hint)
            <a class="btn secondary" data-testid="back" href="\(ctx.path("/institutions"))">Choose another bank</a>
            \(cancelForm(ctx))
            """
        return layout(title, body)
    }

    // MARK: - Account selection

    static func accounts(
        _ ctx: FlowContext,
        institution: FixtureInstitution,
        session: FCSession,
        selected: Set<String> = [],
        error: String? = nil
    ) -> HTML {
        let rows = institution.accounts.map { a -> HTML in
            let why = FCEngine.eligibility(a, session: session)
            let disabled: HTML = why == nil ? "" : " disabled"
            let checked: HTML = why == nil && selected.contains(a.id) ? " checked" : ""
            let reason: HTML =
                why.map { "<span class=\"why\" data-testid=\"ineligible-\(a.id)\">Can't be linked: \($0)</span>" } ?? ""
            return """
                <label class="acct\(why == nil ? "" : " disabled")"><input type="checkbox" name="account" value="\(a.id)" data-testid="account-\(a.id)"\(checked)\(disabled)><span><strong>\(a.displayName)</strong> <span class="muted">•••• \(a.last4)</span><br><span class="muted">\(a.category.rawValue) · \(a.subcategory.rawValue.replacingOccurrences(of: "_", with: " "))</span>\(reason)</span></label>
                """
        }
        let errorBox: HTML =
            error.map { "<p class=\"error\" role=\"alert\" data-testid=\"accounts-error\">\($0)</p>" } ?? ""
        let list: HTML =
            rows.isEmpty ? "<p class=\"notice\">\(institution.name) has no accounts to link.</p>" : rows.joined()
        let body: HTML = """
            <p class="muted">\(institution.name)</p>
            <h1>Select accounts</h1>
            \(errorBox)
            <form method="post" action="\(ctx.path("/accounts"))">
            <input type="hidden" name="institution" value="\(institution.id)">
            \(list)
            <div class="sticky"><button class="btn" type="submit" data-testid="link-accounts">Link accounts</button></div>
            </form>
            \(cancelForm(ctx))
            """
        return layout("Select accounts", body)
    }

    // MARK: - The end

    /// After the session completed: what was linked (or why nothing was), and `done`.
    static func result(_ ctx: FlowContext, session: FCSession, accounts: [FCAccount]) -> HTML {
        let title: String
        let detail: HTML
        switch session.status {
        case .succeeded:
            title = accounts.count == 1 ? "Account linked" : "Accounts linked"
            let items = accounts.map { a -> HTML in
                "<li data-testid=\"linked-\(a.fixtureID)\"><strong>\(a.displayName)</strong> <span class=\"muted\">\(a.institutionName) •••• \(a.last4)</span></li>"
            }
            detail =
                "<p>You linked these accounts:</p><ul class=\"plain\" data-testid=\"linked-accounts\">\(items.joined())</ul>"
        case .cancelled where session.failureReason == "oauth_denied":
            title = "Access denied"
            detail =
                "<p class=\"error\" data-testid=\"result-message\">Access to your bank was denied, so no accounts were linked.</p>"
        case .cancelled:
            title = "Cancelled"
            detail = "<p data-testid=\"result-message\">You cancelled. No accounts were linked.</p>"
        case .failed:
            title = "We couldn't connect to your bank"
            detail =
                "<p class=\"error\" data-testid=\"result-message\">Something went wrong while signing in to your bank. No accounts were linked.</p>"
        case .pending:
            title = "Not finished"
            detail = ""
        }
        let body: HTML = """
            <h1 data-testid="result" data-status="\(session.status.rawValue)">\(title)</h1>
            \(detail)
            <a class="btn" data-testid="done" href="\(ctx.path("/return"))">Done</a>
            """
        return layout(title, body)
    }

    /// A script handing `message` to the page that embeds the flow (the Stripe.js stand-in), if there is one.
    static func postToParent(_ message: JSONValue, _ ctx: FlowContext) -> HTML {
        """
        <script>
        (function () {
          var message = \(HTML.scriptJSON(message));
          if (window.parent && window.parent !== window) window.parent.postMessage(message, \(HTML.scriptJSON(.string(ctx.targetOrigin))));
        })();
        </script>
        """
    }

    /// The last page in the Stripe.js stand-in's iframe: hands the session to the host page.
    static func postResult(_ ctx: FlowContext, session: JSONValue) -> HTML {
        let script = postToParent(["type": "stripe-sim:fc-result", "session": session], ctx)
        let body: HTML = """
            <h1 data-testid="returning">Returning to the app…</h1>
            <p class="muted">The flow is finished; this window closes by itself.</p>
            """
        return layout("Returning to the app", body, script: script)
    }

    /// The last page when there is neither a modal to close nor a `return_url` to go to.
    static func closeWindow(session: FCSession) -> HTML {
        let body: HTML = """
            <h1 data-testid="finished" data-status="\(session.status.rawValue)">You're all set</h1>
            <p>The session <code>\(session.id)</code> is <strong>\(session.status.rawValue)</strong>. You can close this window.</p>
            """
        return layout("Finished", body)
    }

    // MARK: - The fake bank's OAuth page

    static func bankOAuth(
        institution: FixtureInstitution,
        state: String,
        permissions: [String],
        ctx: FlowContext?
    )
        -> HTML
    {
        let items = permissions.map { p -> HTML in "<li>\((permissionWords[p] ?? (p, "")).title)</li>" }
        let denies: HTML =
            institution.oauth == .deny
            ? "<p class=\"notice\" data-testid=\"oauth-denies\">This test bank denies every authorization request: approving ends the same way as denying.</p>"
            : ""
        let close: HTML =
            ctx.map { c in
                "<a class=\"btn secondary\" data-testid=\"oauth-close\" href=\"/oauth/callback?state=\(FormFields.escape(c.oauthState(institution: institution.id)))&amp;error=closed\">Close and choose another bank</a>"
            } ?? ""
        let body: HTML = """
            <h1 data-testid="oauth-bank">\(institution.name)</h1>
            <p><strong>A business (through Stripe)</strong> wants to access your accounts at \(institution.name).</p>
            <ul>\(items.joined())</ul>
            \(denies)
            <form method="post" action="/bank-oauth/\(institution.id)">
            <input type="hidden" name="state" value="\(state)">
            <button class="btn" type="submit" name="decision" value="approve" data-testid="oauth-approve">Approve</button>
            <button class="btn danger" type="submit" name="decision" value="deny" data-testid="oauth-deny">Deny</button>
            </form>
            \(close)
            \(ctx.map { cancelForm($0, label: "Cancel linking") })
            """
        return layout("\(institution.name) · Authorize access", body, bank: true)
    }

    // MARK: - Errors

    /// An error page. In the Stripe.js stand-in's iframe it also hands `{error}` to the host page, which
    /// closes the modal and resolves `collectFinancialConnectionsAccounts` with it.
    static func error(_ error: FlowError, ctx: FlowContext?) -> HTML {
        var script: HTML?
        if let ctx, ctx.embedded {
            var payload: JSONValue = ["type": .string(error.type), "message": .string(error.message)]
            if let code = error.code { payload["code"] = .string(code) }
            script = postToParent(["type": "stripe-sim:fc-error", "error": payload], ctx)
        }
        let body: HTML = """
            <h1 data-testid="error-title">\(error.title)</h1>
            <p class="error" data-testid="error-message"\(error.code.map { " data-code=\"\($0)\"" as HTML })>\(error.message)</p>
            """
        return layout(error.title, body, script: script)
    }
}

/// An error a flow page shows as a page (never Stripe's JSON envelope).
struct FlowError: Error, Sendable {
    var status: Int
    var title: String
    var message: String
    /// Stripe's error type and code, for the `{error}` the Stripe.js stand-in resolves with.
    var type = "invalid_request_error"
    var code: String?

    static func invalidSecret() -> FlowError {
        FlowError(
            status: 404,
            title: "This link is not valid",
            message:
                "No Financial Connections session has this client secret. Create a session with POST /v1/financial_connections/sessions and open the flow with its client_secret.",
            code: "resource_missing"
        )
    }

    static func completed(_ session: FCSession) -> FlowError {
        FlowError(
            status: 400,
            title: "This session is already completed",
            message:
                "The Financial Connections session \(session.id) has already been completed (status: \(session.status.rawValue)). Create a new session to link more accounts.",
            code: "financial_connections_session_completed"
        )
    }

    static func notFound(_ what: String) -> FlowError {
        FlowError(status: 404, title: "Not found", message: what, code: "resource_missing")
    }
}
