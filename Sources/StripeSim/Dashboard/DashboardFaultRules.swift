import Foundation
import Hummingbird

// MARK: - Fault rules
//
// The viewing account's fault rules (`deps.faults`, the registry `POST /v1/test_helpers/fault_rules` fills), on the
// overview and on `/dashboard/fault_rules`: each rule's match (method, path pattern, parameter), trigger, effect and
// its `matched` / `fired` counters, with a form to add a rule, a button to delete one and one to clear them all.
//
// The add form posts the API's own parameter names (`match[path]`, `effect[error][status]`…; the trigger as a kind
// and a value, `trigger_kind` + `trigger_value`, sent on as `trigger[<kind>]`). Empty fields are left out, the rest
// goes through the API's parsing and validation (`FormDecoding`, `FaultRule.Spec.schema()`, `FaultRule.Spec(_:)`),
// so a bad form gets the error the API would answer (shown as a 400 page) and a rule means the same wherever it
// was written. Like the API, the dashboard only ever touches the viewer's account's rules.

extension Dashboard.Controller {
    func addFaultRuleRoutes(to router: Router<AppRequestContext>) {
        router.get("/dashboard/fault_rules") { request, context in
            await self.page(request, context) { viewer in self.faultRulesPage(viewer) }
        }
        router.post("/dashboard/fault_rules") { request, context in
            await self.action(request, context) { viewer, form in try self.addFaultRule(viewer, form) }
        }
        router.post("/dashboard/fault_rules/clear") { request, context in
            await self.action(request, context) { viewer, form in self.clearFaultRules(viewer, form) }
        }
        router.post("/dashboard/fault_rules/:id/delete") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.action(request, context) { viewer, form in try self.deleteFaultRule(id, viewer, form) }
        }
    }

    func faultRulesPage(_ viewer: Viewer) -> HTML {
        Dashboard.layout(
            title: "Fault rules",
            viewer: viewer,
            active: "/dashboard/fault_rules",
            body: """
                <h1>Fault rules</h1>
                \(Dashboard.faultRulesSection(viewer, rules: deps.faults.list(account: viewer.account), onPage: true))
                """
        )
    }

    /// The section of the overview and of the fault-rules page.
    func faultRulesSection(_ viewer: Viewer) -> HTML {
        Dashboard.faultRulesSection(viewer, rules: deps.faults.list(account: viewer.account), onPage: false)
    }

    /// `POST /dashboard/fault_rules`: the effect of `POST /v1/test_helpers/fault_rules` for the viewer's account.
    func addFaultRule(_ viewer: Viewer, _ form: Dashboard.Form) throws -> Dashboard.Action {
        let raw = try Self.faultRuleParameters(form)
        let spec = try FaultRule.Spec(try ParamValidator.validate(raw, FaultRule.Spec.schema()))
        let context = storeContext(viewer)
        deps.faults.add(
            FaultRule(id: context.ids.make("fr"), account: viewer.account, created: context.now, spec: spec)
        )
        return Dashboard.Action(location: Self.faultRulesReturn(form, "fault_rule_added"))
    }

    /// `POST /dashboard/fault_rules/:id/delete`: as `DELETE /v1/test_helpers/fault_rules/:id`.
    func deleteFaultRule(_ id: String, _ viewer: Viewer, _ form: Dashboard.Form) throws -> Dashboard.Action {
        guard deps.faults.remove(id, account: viewer.account) != nil else {
            throw StripeError.resourceMissing("fault_rule", id)
        }
        return Dashboard.Action(location: Self.faultRulesReturn(form, "fault_rule_deleted"))
    }

    /// `POST /dashboard/fault_rules/clear`: as `DELETE /v1/test_helpers/fault_rules`.
    func clearFaultRules(_ viewer: Viewer, _ form: Dashboard.Form) -> Dashboard.Action {
        _ = deps.faults.clear(account: viewer.account)
        return Dashboard.Action(location: Self.faultRulesReturn(form, "fault_rules_cleared"))
    }

    /// The form's page (without its query) with the notice.
    private static func faultRulesReturn(_ form: Dashboard.Form, _ notice: String) -> String {
        let back = safeReturnPath(form.value("return_to")) ?? "/dashboard/fault_rules"
        return done(back.split(separator: "?").first.map(String.init) ?? back, notice)
    }

    /// The add form as the API's parameters: every non-empty field but the form's own (`csrf`, `return_to`),
    /// and `trigger_kind` + `trigger_value` as `trigger[<kind>]` (an empty value is sent as such, so the API's
    /// "empty string" error names the field). Decoded by the API's form decoder, bracket notation included.
    static func faultRuleParameters(_ form: Dashboard.Form) throws(StripeError) -> RawHash {
        let own: Set<String> = ["csrf", "return_to", "trigger_kind", "trigger_value"]
        var pairs: [(String, String)] = form.pairs.compactMap { name, value in
            let value = value.trimmingCharacters(in: .whitespaces)
            return own.contains(name) || value.isEmpty ? nil : (name, value)
        }
        let kinds = ["always", "nth", "times", "every", "probability"]
        let value = form.value("trigger_value")
        switch form.value("trigger_kind") ?? "always" {
        case "always":
            if let value {
                throw .validation(
                    "Choose a trigger (nth, times, every or probability) for the value '\(value)', or leave the value empty to fire on every matched request.",
                    param: "trigger"
                )
            }
        case let kind where kinds.contains(kind):
            pairs.append(("trigger[\(kind)]", value ?? ""))
        case let kind:
            throw .invalidEnum("trigger", kind, allowed: kinds)
        }
        let text = pairs.map { Dashboard.encode($0.0) + "=" + Dashboard.encode($0.1) }.joined(separator: "&")
        return try FormDecoding.decode(text)
    }
}

extension Dashboard {
    /// The rules (newest first, as the API lists them) with their counters, the add form and "clear all". On
    /// the overview (`onPage: false`) the add form is folded and the heading links to the page.
    static func faultRulesSection(_ viewer: Viewer, rules: [FaultRule], onPage: Bool) -> HTML {
        let rows: [HTML] = rules.map { faultRuleRow($0, viewer: viewer) }
        let clear: HTML =
            rules.isEmpty
            ? .empty
            : """
            <form method="post" action="/dashboard/fault_rules/clear" class="inline" data-testid="fault-rules-clear-form">
              \(hidden(viewer))<button type="submit" class="danger" data-testid="fault-rules-clear">Delete all rules</button>
            </form>
            """
        let open: HTML = onPage ? " open" : ""
        let more: HTML = onPage ? .empty : " <a class=\"more\" href=\"/dashboard/fault_rules\">page →</a>"
        let list = table(
            ["Rule", "Method", "Path", "Parameter", "Trigger", "Effect", "Matched", "Fired", "Created", ""],
            rows,
            empty: "No fault rules: this account's requests run normally.",
            testID: "fault-rules-table"
        )
        return """
            <section class="card" id="fault-rules" data-testid="fault-rules">
              <h2>Fault rules\(more)</h2>
              <p class="muted">Fault rules make this account's matching API requests fail on purpose: a Stripe error, added
              latency, a dropped connection. Every matched request counts; the oldest rule that fires applies. Rules live in
              memory until deleted or the server restarts. Also through the API:
              <a href="/v1/test_helpers/fault_rules"><code>GET /v1/test_helpers/fault_rules</code></a> (with this account's secret key).</p>
              \(list)
              \(clear)
              <details\(open) data-testid="fault-rule-add"><summary>Add a rule</summary>\(faultRuleForm(viewer))</details>
            </section>
            """
    }

    static func faultRuleRow(_ rule: FaultRule, viewer: Viewer) -> HTML {
        let match = rule.spec.match
        var parameter: HTML = "<span class=\"muted\">—</span>"
        if let p = match.parameter {
            parameter = "<code>\(p.name)</code> "
            parameter += p.value.map { v -> HTML in "= <code>\(v)</code>" } ?? "<span class=\"muted\">any value</span>"
        }
        return """
            <tr data-testid="row-\(rule.id)"><td><code>\(rule.id)</code></td><td><code>\(match.method ?? "*")</code></td>
            <td><code>\(match.path.description)</code></td><td>\(parameter)</td><td>\(describe(rule.spec.trigger))</td>
            <td>\(describe(rule.spec.effect))</td><td class="num" data-testid="matched-\(rule.id)">\(rule.matched)</td>
            <td class="num" data-testid="fired-\(rule.id)">\(rule.fired)</td><td>\(time(rule.created))</td>
            <td><form method="post" action="/dashboard/fault_rules/\(encode(rule.id))/delete" class="inline" data-testid="fault-rule-delete-\(rule.id)">
              \(hidden(viewer))<button type="submit" class="secondary">Delete</button></form></td></tr>
            """
    }

    static func describe(_ trigger: FaultRule.Trigger) -> HTML {
        switch trigger {
        case .always: "every matched request"
        case .nth(let n): "only the \(ordinal(n)) matched request"
        case .times(let n): n == 1 ? "the first matched request" : "the first \(n) matched requests"
        case .every(let k): k == 1 ? "every matched request" : "every \(ordinal(k)) matched request"
        case .probability(let p, let seed):
            "probability \(String(p)) <span class=\"muted\">(seed \(String(seed)))</span>"
        }
    }

    static func describe(_ effect: FaultRule.Effect) -> HTML {
        var parts: [HTML] = []
        if let ms = effect.latencyMillis { parts.append("+\(ms) ms latency") }
        if let e = effect.error {
            let code: HTML = e.code.map { " <code>\($0)</code>" } ?? .empty
            parts.append(
                """
                error \(statusCode(e.status)) <code>\(e.type)</code>\(code)<br><span class="muted">\(e.message)</span>
                """
            )
        }
        if let d = effect.drop {
            parts.append(d == .before ? "drop the connection before applying" : "drop the connection after applying")
        }
        return parts.joined("<br>")
    }

    /// `1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`…
    static func ordinal(_ n: Int) -> String {
        let suffix =
            (11...13).contains(n % 100) ? "th" : n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th"
        return "\(n)\(suffix)"
    }

    /// The add form: the API's parameter names (see `Controller.faultRuleParameters`); empty fields are left out.
    static func faultRuleForm(_ viewer: Viewer) -> HTML {
        let methods: [HTML] = ["GET", "POST", "DELETE"].map { "<option value=\"\($0)\">\($0)</option>" }
        let types: [HTML] = ["api_error", "card_error", "idempotency_error", "invalid_request_error"].map {
            "<option value=\"\($0)\"></option>"
        }
        return """
            <form method="post" action="/dashboard/fault_rules" class="stack" data-testid="fault-rule-form">
              \(hidden(viewer))
              <fieldset><legend>Match</legend>
                <div class="inputs">
                  <label>Method <select name="match[method]" data-testid="fault-rule-method"><option value="">any</option>\(methods)</select></label>
                  <label>Path pattern <input name="match[path]" required placeholder="/v1/payment_intents/*/confirm" data-testid="fault-rule-path"></label>
                </div>
                <div class="inputs">
                  <label>Parameter <input name="match[parameter][name]" placeholder="metadata[order] (optional)"></label>
                  <label>Value <input name="match[parameter][value]" placeholder="any value"></label>
                </div>
                <p class="muted"><code>*</code> is one path segment, <code>**</code> any number; <code>items[]</code> matches any element of a list.</p>
              </fieldset>
              <fieldset><legend>Trigger</legend>
                <div class="inputs">
                  <label>Fire on <select name="trigger_kind" data-testid="fault-rule-trigger">
                    <option value="always">every matched request</option><option value="nth">only the Nth</option>
                    <option value="times">the first N</option><option value="every">every Kth</option>
                    <option value="probability">with probability p</option></select></label>
                  <label>N, K or p <input name="trigger_value" placeholder="3, or 0.25" size="8" data-testid="fault-rule-trigger-value"></label>
                  <label>Seed <input name="trigger[seed]" type="number" min="0" placeholder="0 (probability)" size="8"></label>
                </div>
              </fieldset>
              <fieldset><legend>Effect</legend>
                <div class="inputs">
                  <label>Error status <input name="effect[error][status]" type="number" min="400" max="599" placeholder="429" size="5" data-testid="fault-rule-status"></label>
                  <label>Type <input name="effect[error][type]" list="fault-error-types" placeholder="by status"></label>
                  <label>Code <input name="effect[error][code]" placeholder="rate_limit"></label>
                </div>
                <label>Message <input name="effect[error][message]" placeholder="Stripe's message for the status"></label>
                <datalist id="fault-error-types">\(types)</datalist>
                <div class="inputs">
                  <label>Latency (ms) <input name="effect[latency_ms]" type="number" min="0" max="60000" placeholder="0" size="7"></label>
                  <label>Drop the connection <select name="effect[drop]"><option value="">no</option>
                    <option value="before">before applying</option><option value="after">after applying</option></select></label>
                </div>
                <p class="muted">An error (any of its fields), latency, a drop, or latency with one of the others.</p>
              </fieldset>
              <div><button type="submit" data-testid="fault-rule-submit">Add rule</button></div>
            </form>
            """
    }
}
