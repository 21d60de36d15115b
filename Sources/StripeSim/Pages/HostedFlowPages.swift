import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The hosted Financial Connections flow a browser (or a WebView, or a plain HTTP client) walks through, and
/// the Stripe.js stand-in that opens it. Server-rendered HTML: every step is a link or a form, the flow's
/// position lives in the URL (`FlowContext`), and completing it calls `FCEngine.complete`, exactly as the
/// headless `POST /v1/test_helpers/financial_connections/sessions/:id/complete` does.
///
/// Stages: consent → institution search / featured list → (OAuth) the fake bank's page → back to the flow,
/// or (credentials) the login form and the magic-word steps → account selection → result → return
/// (`postMessage` to the Stripe.js stand-in, a 303 to the session's `return_url`, or a "close this window"
/// page). `cancel` on any pending page ends the session with nothing linked.
///
/// | Method | Path | Notes |
/// |---|---|---|
/// | GET | /v3, /v3/ | the Stripe.js stand-in (`StripeJS`) |
/// | GET | /link/:secret | consent (`consent-agree`, `cancel`); `?key=pk_test_…` must be the session's account |
/// | GET | /link/:secret/institutions | featured banks, or `?q=` search results (`institution-<id>`) |
/// | GET | /link/:secret/institutions/:institution | OAuth → 303 to the bank page; credentials → 303 to login; down → the outage page |
/// | GET | /link/:secret/login | `?institution=&step=` the credentials form or a magic-word step |
/// | POST | /link/:secret/login | `username`, `password` / `answer`: next step, retry (`incorrect`), or failed (`error`) |
/// | GET | /link/:secret/accounts | `?institution=` account selection (`account-<fixture id>`, `link-accounts`) |
/// | POST | /link/:secret/accounts | `institution`, `account` (repeated): links them, 303 to the result |
/// | POST | /link/:secret/cancel | ends the session `cancelled`, 303 to the return |
/// | GET | /link/:secret/result | linked accounts, or why none were (`done`) |
/// | GET | /link/:secret/return | the end: `postMessage` (modal), 303 to `return_url`, or "close this window" |
/// | GET | /bank-oauth/:institution | `?state=` the fake bank's OAuth page (`oauth-approve`, `oauth-deny`, `oauth-close`) |
/// | POST | /bank-oauth/:institution | `state`, `decision`: 303 to `/oauth/callback?state=&code=` (or `&error=access_denied`) |
/// | GET | /oauth/callback | the flow's OAuth redirect URI: on to account selection, or the session ends denied |
struct HostedFlowPages {
    let deps: AppDependencies
    /// Largest form body a flow page accepts.
    static let maxFormBytes = 64 * 1024

    /// Paths answered with HTML (errors included) instead of Stripe's JSON envelope.
    static func servesHTML(path: String) -> Bool {
        path == "/link" || path.hasPrefix("/link/") || path.hasPrefix("/bank-oauth/") || path.hasPrefix("/oauth/")
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v3") { _, _ in StripeJS.response() }  // the trie ignores a trailing slash: /v3/ too
        router.get("/link/:secret") { r, c in await page(r, c, consent) }
        router.get("/link/:secret/institutions") { r, c in await page(r, c, institutions) }
        router.get("/link/:secret/institutions/:institution") { r, c in await page(r, c, pick) }
        router.get("/link/:secret/login") { r, c in await page(r, c, loginForm) }
        router.post("/link/:secret/login") { r, c in await page(r, c, login) }
        router.get("/link/:secret/accounts") { r, c in await page(r, c, accountsForm) }
        router.post("/link/:secret/accounts") { r, c in await page(r, c, linkAccounts) }
        router.post("/link/:secret/cancel") { r, c in await page(r, c, cancel) }
        router.get("/link/:secret/result") { r, c in await page(r, c, result) }
        router.get("/link/:secret/return") { r, c in await page(r, c, finish) }
        router.get("/bank-oauth/:institution") { r, c in await oauthPage(r, c, bankPage) }
        router.post("/bank-oauth/:institution") { r, c in await oauthPage(r, c, bankDecision) }
        router.get("/oauth/callback") { r, c in await oauthPage(r, c, oauthCallback) }
    }

    /// What a flow handler gets: where the flow stands, the query (and for POST the form body), the path.
    struct Input: Sendable {
        var flow: FlowContext
        var query: FormFields
        var form: FormFields
        var parameters: [String: String]
        /// On the bank page and the OAuth callback: the institution the OAuth `state` names.
        var oauthInstitution: String?
    }

    typealias Handler = @Sendable (Input) async throws -> Response

    /// Runs a `/link/:secret…` handler; any error becomes an HTML error page (which, in the modal, also hands
    /// `{error}` to the Stripe.js stand-in).
    private func page(_ request: Request, _ context: AppRequestContext, _ handler: Handler) async -> Response {
        let query = FormFields(request.uri.query ?? "")
        let flow = FlowContext(secret: context.parameters.get("secret") ?? "", query: query)
        do {
            return try await handler(input(request, context, flow: flow, query: query))
        } catch {
            return Self.errorResponse(error, flow: flow, requestID: context.requestID, logger: deps.logger)
        }
    }

    /// Runs a bank-page or callback handler: the flow comes from the OAuth `state` (query or form).
    private func oauthPage(_ request: Request, _ context: AppRequestContext, _ handler: Handler) async -> Response {
        let query = FormFields(request.uri.query ?? "")
        var flow: FlowContext?
        do {
            let withoutFlow = try await input(request, context, flow: FlowContext(secret: ""), query: query)
            guard let state = withoutFlow.form["state"] ?? query["state"],
                let decoded = FlowContext.from(oauthState: state)
            else {
                throw FlowError(
                    status: 400,
                    title: "Invalid authorization request",
                    message: "The request has no valid OAuth state. Start from the Financial Connections flow."
                )
            }
            flow = decoded.context
            var full = withoutFlow
            full.flow = decoded.context
            full.oauthInstitution = decoded.institution
            return try await handler(full)
        } catch {
            return Self.errorResponse(error, flow: flow, requestID: context.requestID, logger: deps.logger)
        }
    }

    private func input(
        _ request: Request,
        _ context: AppRequestContext,
        flow: FlowContext,
        query: FormFields
    )
        async throws -> Input
    {
        var form = FormFields("")
        if request.method == .post {
            var request = request
            switch await BodyReading.text(of: &request, upTo: Self.maxFormBytes) {
            case .success(let text): form = FormFields(text)
            case .failure(.tooLarge):
                throw FlowError(
                    status: 413,
                    title: "Too much data",
                    message: "The form sent more data than a flow page accepts."
                )
            case .failure(.unreadable), .failure(.notUTF8):
                throw FlowError(
                    status: 400,
                    title: "The form did not arrive",
                    message: "The form's data ended early or was garbled on the way. Go back and send it again."
                )
            }
        }
        var parameters: [String: String] = [:]
        for (k, v) in context.parameters { parameters[String(k)] = String(v) }
        return Input(flow: flow, query: query, form: form, parameters: parameters)
    }

    // MARK: - Session access

    /// The session behind the flow's client secret, from whichever account owns it. A publishable key in the
    /// flow (`?key=`) must belong to that account, as Stripe.js's key must.
    private func load(_ flow: FlowContext) async throws -> (account: String, session: FCSession) {
        guard FlowContext.isWellFormed(secret: flow.secret),
            let account = try await deps.database.accountOwningFCSession(clientSecret: flow.secret)
        else { throw FlowError.invalidSecret() }
        if let key = flow.key { try Self.check(key: key, owner: account) }
        let secret = flow.secret
        let session = try await deps.database.read(deps.storeContext(account: account)) { store in
            try store.all(FCSession.self, where: [.equals("clientSecret", .text(secret))]).first
        }
        guard let session else { throw FlowError.invalidSecret() }
        return (account, session)
    }

    /// As `load`, for the steps before completion: a completed session gets the "already completed" page.
    private func pending(_ flow: FlowContext) async throws -> (account: String, session: FCSession) {
        let loaded = try await load(flow)
        guard loaded.session.status == .pending else { throw FlowError.completed(loaded.session) }
        return loaded
    }

    static func check(key: String, owner: String) throws {
        let credentials: Credentials
        do {
            credentials = try APIKeyAuth.credentials(forKey: key)
        } catch {
            throw FlowError(
                status: 401,
                title: "Invalid API key",
                message: error.message,
                type: error.type,
                code: "api_key_invalid"
            )
        }
        guard credentials.kind == .publishable else {
            throw FlowError(
                status: 403,
                title: "Use a publishable key",
                message:
                    "The flow was opened with \(credentials.maskedKey), which is not a publishable key. Stripe.js takes your publishable key (pk_test_…); a secret key must never reach a web page.",
                code: "secret_key_not_allowed"
            )
        }
        guard credentials.account == owner else {
            throw FlowError(
                status: 404,
                title: "This link is not valid",
                message:
                    "No such Financial Connections session for the publishable key \(credentials.maskedKey): the session was created with the secret key of another account. Use the pk_test_ key that matches the sk_test_ key that created the session.",
                code: "resource_missing"
            )
        }
    }

    /// Completes the session through `FCEngine.complete` in one transaction, then wakes the background
    /// services (refresh jobs, events), exactly as the test helper does.
    private func complete(
        _ flow: FlowContext,
        account: String,
        institution: String?,
        accounts: [String]?,
        outcome: FCEngine.Outcome,
        failureReason: String? = nil
    ) async throws -> FCSession {
        let secret = flow.secret
        let (session, signals) = try await deps.database.write(deps.storeContext(account: account)) { store in
            guard var session = try store.all(FCSession.self, where: [.equals("clientSecret", .text(secret))]).first
            else { throw FlowError.invalidSecret() }
            if let failureReason, session.status == .pending { session.failureReason = failureReason }
            _ = try FCEngine.complete(
                &session,
                institutionID: institution,
                accountIDs: accounts,
                outcome: outcome,
                store: store
            )
            return session
        }
        deps.dispatch(signals)
        return session
    }

    private func institution(_ id: String?) throws -> FixtureInstitution {
        guard let id, let found = deps.bank.institution(id: id) else {
            throw FlowError.notFound("There is no bank \"\(id ?? "")\" in this simulator's fixtures.")
        }
        return found
    }

    // MARK: - Consent and institutions

    @Sendable func consent(_ input: Input) async throws -> Response {
        let (_, session) = try await pending(input.flow)
        return PageResponse(FlowViews.consent(input.flow, session: session)).response()
    }

    @Sendable func institutions(_ input: Input) async throws -> Response {
        _ = try await pending(input.flow)
        let query = (input.query["q"] ?? "").trimmingCharacters(in: .whitespaces)
        return PageResponse(FlowViews.institutions(input.flow, query: query, results: deps.bank.search(query)))
            .response()
    }

    /// A bank was picked: OAuth banks send the user to their own page, credentials banks to the login form,
    /// banks that are down to a page saying so.
    @Sendable func pick(_ input: Input) async throws -> Response {
        _ = try await pending(input.flow)
        let bank = try institution(input.parameters["institution"])
        if let reason = FCEngine.unavailability(bank) {
            return PageResponse(FlowViews.down(input.flow, institution: bank, reason: reason)).response()
        }
        switch bank.auth {
        case .oauth:
            let state = input.flow.oauthState(institution: bank.id)
            return PageResponse.redirect("/bank-oauth/\(bank.id)?state=\(FormFields.escape(state))")
        case .credentials:
            return PageResponse.redirect(input.flow.path("/login", [("institution", bank.id)]))
        }
    }

    // MARK: - Credentials and the magic words

    /// The bank for a login or account-selection page: must exist and be up (else the outage page).
    private enum Usable {
        case bank(FixtureInstitution)
        /// The institution is down: show this page instead.
        case page(Response)
    }

    private func usableBank(_ input: Input, _ id: String?, auth: FixtureInstitution.Auth? = nil) throws -> Usable {
        let bank = try institution(id)
        if let auth, bank.auth != auth {
            throw FlowError.notFound("\(bank.name) does not sign in with a username and password.")
        }
        if let reason = FCEngine.unavailability(bank) {
            return .page(PageResponse(FlowViews.down(input.flow, institution: bank, reason: reason)).response())
        }
        return .bank(bank)
    }

    @Sendable func loginForm(_ input: Input) async throws -> Response {
        _ = try await pending(input.flow)
        let bank: FixtureInstitution
        switch try usableBank(input, input.query["institution"], auth: .credentials) {
        case .page(let page): return page
        case .bank(let b): bank = b
        }
        var step = FlowViews.LoginStep(rawValue: input.query["step"] ?? "login") ?? .login
        if !bank.features.loginKeywords { step = .login }
        return PageResponse(FlowViews.login(input.flow, institution: bank, step: step)).response()
    }

    /// Sign-in and its extra steps. With `features.login_keywords` (Bank (Non-OAuth)): `error` in any field
    /// fails the session, `incorrect` asks again, and `options` / `mfa` / `confirm_mfa` / `security_question`
    /// in the password (or a later step's answer) add that step. Otherwise any username and password work.
    @Sendable func login(_ input: Input) async throws -> Response {
        let (account, _) = try await pending(input.flow)
        let bank: FixtureInstitution
        switch try usableBank(input, input.form["institution"], auth: .credentials) {
        case .page(let page): return page
        case .bank(let b): bank = b
        }
        let form = input.form
        let step = bank.features.loginKeywords ? FlowViews.LoginStep(rawValue: form["step"] ?? "") ?? .login : .login
        let username = form["username"] ?? ""
        func again(_ message: String) -> Response {
            PageResponse(FlowViews.login(input.flow, institution: bank, step: step, error: message, username: username))
                .response()
        }
        if bank.features.loginKeywords {
            let words = ["username", "password", "answer"].compactMap { form[$0] }
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if words.contains("error") {
                _ = try await complete(
                    input.flow,
                    account: account,
                    institution: bank.id,
                    accounts: nil,
                    outcome: .failed
                )
                return PageResponse.redirect(input.flow.path("/result"))
            }
            if words.contains("incorrect") {
                return again(
                    step == .login
                        ? "The username or password is incorrect. Try again." : "That answer is incorrect. Try again."
                )
            }
            let typed = (step == .login ? form["password"] : form["answer"]) ?? ""
            if let next = FlowViews.LoginStep(rawValue: typed.trimmingCharacters(in: .whitespaces).lowercased()),
                next != .login
            {
                return PageResponse.redirect(
                    input.flow.path("/login", [("institution", bank.id), ("step", next.rawValue)])
                )
            }
        }
        if step == .login && (username.isEmpty || (form["password"] ?? "").isEmpty) {
            return again("Enter a username and a password (any will do).")
        }
        return PageResponse.redirect(input.flow.path("/accounts", [("institution", bank.id)]))
    }

    // MARK: - Account selection and completion

    @Sendable func accountsForm(_ input: Input) async throws -> Response {
        let (_, session) = try await pending(input.flow)
        switch try usableBank(input, input.query["institution"]) {
        case .page(let page): return page
        case .bank(let bank):
            return PageResponse(FlowViews.accounts(input.flow, institution: bank, session: session)).response()
        }
    }

    @Sendable func linkAccounts(_ input: Input) async throws -> Response {
        let (account, session) = try await pending(input.flow)
        let bank: FixtureInstitution
        switch try usableBank(input, input.form["institution"]) {
        case .page(let page): return page
        case .bank(let b): bank = b
        }
        let chosen = input.form.all("account")
        func again(_ message: String) -> Response {
            PageResponse(
                status: .badRequest,
                FlowViews.accounts(
                    input.flow,
                    institution: bank,
                    session: session,
                    selected: Set(chosen),
                    error: message
                )
            ).response()
        }
        guard !chosen.isEmpty else { return again("Select at least one account to link.") }
        do {
            _ = try await complete(
                input.flow,
                account: account,
                institution: bank.id,
                accounts: chosen,
                outcome: .success
            )
        } catch let error as StripeError where error.code != "financial_connections_session_completed" {
            return again(error.message)
        }
        return PageResponse.redirect(input.flow.path("/result"))
    }

    @Sendable func cancel(_ input: Input) async throws -> Response {
        let (account, session) = try await load(input.flow)
        if session.status == .pending {
            do {
                _ = try await complete(
                    input.flow,
                    account: account,
                    institution: nil,
                    accounts: nil,
                    outcome: .cancelled
                )
            } catch let error as StripeError where error.code == "financial_connections_session_completed" {
                // Completed meanwhile (another tab, the test helper): the return shows what it became.
            }
        }
        return PageResponse.redirect(input.flow.path("/return"))
    }

    // MARK: - The end

    @Sendable func result(_ input: Input) async throws -> Response {
        let (account, session) = try await load(input.flow)
        guard session.status != .pending else { return PageResponse.redirect(input.flow.path()) }
        let ids = session.accountIDs
        let linked = try await deps.database.read(deps.storeContext(account: account)) { store in
            try ids.compactMap { try store.find(FCAccount.self, $0) }
        }
        return PageResponse(FlowViews.result(input.flow, session: session, accounts: linked)).response()
    }

    /// The end of the flow: in the modal, the session goes to the host page by `postMessage`; with a
    /// `return_url`, a 303 there with `status` and `session` appended; otherwise a "close this window" page.
    @Sendable func finish(_ input: Input) async throws -> Response {
        let (account, session) = try await load(input.flow)
        guard session.status != .pending else { return PageResponse.redirect(input.flow.path()) }
        if input.flow.embedded {
            let rendered = try await deps.database.read(deps.storeContext(account: account)) { store in
                try FCSessionsController.render(session, store: store)
            }
            return PageResponse(FlowViews.postResult(input.flow, session: rendered)).response()
        }
        if let url = session.returnURL {
            return PageResponse.redirect(Self.returnLocation(url, session: session))
        }
        return PageResponse(FlowViews.closeWindow(session: session)).response()
    }

    /// `return_url` with `status=succeeded|cancelled|failed&session=fcsess_…` appended to its query (before
    /// any `#fragment`).
    static func returnLocation(_ url: String, session: FCSession) -> String {
        let status =
            switch session.status {
            case .succeeded: "succeeded"
            case .failed: "failed"
            case .cancelled, .pending: "cancelled"
            }
        var base = url
        var fragment = ""
        if let hash = url.firstIndex(of: "#") {
            base = String(url[..<hash])
            fragment = String(url[hash...])
        }
        let separator = !base.contains("?") ? "?" : base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&"
        return base + separator + FormFields.encode([("status", status), ("session", session.id)]) + fragment
    }

    // MARK: - The fake bank's OAuth page

    /// The bank's own page (as a real bank's OAuth consent screen): the bank's name, approve or deny.
    @Sendable func bankPage(_ input: Input) async throws -> Response {
        let bank = try institution(input.parameters["institution"])
        guard bank.auth == .oauth, input.oauthInstitution == bank.id else {
            throw FlowError.notFound("\(bank.name) has no OAuth page for this request.")
        }
        let (_, session) = try await pending(input.flow)
        let state = input.query["state"] ?? ""
        return PageResponse(
            FlowViews.bankOAuth(institution: bank, state: state, permissions: session.permissions, ctx: input.flow)
        ).response()
    }

    /// Approve or deny, then back to the flow's redirect URI like a real OAuth provider: `code` on approval,
    /// `error=access_denied` on denial (always, for a bank whose fixture says `"oauth": "deny"`).
    @Sendable func bankDecision(_ input: Input) async throws -> Response {
        let bank = try institution(input.parameters["institution"])
        guard bank.auth == .oauth, input.oauthInstitution == bank.id else {
            throw FlowError.notFound("\(bank.name) has no OAuth page for this request.")
        }
        let state = FormFields.escape(input.form["state"] ?? "")
        if input.form["decision"] == "approve" && bank.oauth == .approve {
            return PageResponse.redirect("/oauth/callback?state=\(state)&code=\(deps.requestIDs.token(20))")
        }
        return PageResponse.redirect("/oauth/callback?state=\(state)&error=access_denied")
    }

    /// The flow's OAuth redirect URI. `code` → account selection; `error=closed` → pick another bank; any
    /// other error → the session ends with nothing linked (`FCEngine.complete` decides, as headlessly).
    @Sendable func oauthCallback(_ input: Input) async throws -> Response {
        let flow = input.flow
        let (account, _) = try await pending(flow)
        let bank = try institution(input.oauthInstitution)
        if input.query["code"] != nil {
            return PageResponse.redirect(flow.path("/accounts", [("institution", bank.id)]))
        }
        switch input.query["error"] {
        case "closed"?:
            return PageResponse.redirect(flow.path("/institutions"))
        case _?:
            if bank.oauth == .deny {
                // The fixture's bank denies: the engine's own rule ends the session (as the test helper does).
                _ = try await complete(flow, account: account, institution: bank.id, accounts: nil, outcome: .success)
            } else {
                _ = try await complete(
                    flow,
                    account: account,
                    institution: bank.id,
                    accounts: nil,
                    outcome: .cancelled,
                    failureReason: "oauth_denied"
                )
            }
            return PageResponse.redirect(flow.path("/result"))
        case nil:
            throw FlowError(
                status: 400,
                title: "Invalid authorization response",
                message: "The bank's redirect carried neither a code nor an error."
            )
        }
    }

    // MARK: - Errors

    /// Any error on an HTML path, as a page. Unknown errors are logged and shown as a 500 with the request id.
    static func errorResponse(_ error: any Error, flow: FlowContext?, requestID: String, logger: Logger) -> Response {
        let page: FlowError
        switch error {
        case let e as FlowError:
            page = e
        case let e as StripeError:
            page = FlowError(
                status: e.status,
                title: "Something went wrong",
                message: e.message,
                type: e.type,
                code: e.code
            )
        case let e as HTTPError where e.status == .notFound || e.status == .methodNotAllowed:
            page = FlowError.notFound("There is no page here. Open the flow at /link/<client_secret>.")
        case let e as HTTPError where (400..<500).contains(e.status.code):
            page = FlowError(status: e.status.code, title: "Bad request", message: e.body ?? e.status.reasonPhrase)
        default:
            logger.error("hosted flow failed \(requestID): \(error)")
            page = FlowError(
                status: 500,
                title: "Something went wrong",
                message: "The simulator failed to show this page (request \(requestID)). Its log has the details.",
                type: "api_error"
            )
        }
        return PageResponse(status: HTTPResponse.Status(code: page.status), FlowViews.error(page, ctx: flow)).response()
    }

    /// A path for the log: client secrets in it keep only their last four characters.
    static func redacted(path: String) -> String {
        guard let range = path.range(of: "fcsess_client_secret_") else { return path }
        let rest = path[range.upperBound...]
        let secretEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let secret = rest[..<secretEnd]
        return String(path[..<range.upperBound]) + "****" + String(secret.suffix(4)) + String(rest[secretEnd...])
    }
}
