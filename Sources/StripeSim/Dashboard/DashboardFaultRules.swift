import Foundation

// MARK: - Fault rules (placeholder, to be wired)
//
// Fault rules (match method / path / account; fire N times, every Kth time or with a seeded probability; answer
// with a Stripe error, latency or a dropped connection) are being built on another branch, with
// `GET /v1/test_helpers/fault_rules`. Until they land the dashboard only points there.
//
// To wire them:
// 1. In `faultRulesSection`, read the account's rules (through the same store/API the fault-rules branch adds)
//    and list them (match, mode, response, times fired).
// 2. Add `POST /dashboard/fault_rules` (add) and `POST /dashboard/fault_rules/:id/clear` in
//    `addFaultRuleRoutes`, each through `Controller.action` (cookie + CSRF), then call
//    `addFaultRuleRoutes(to:)` from `Controller.addRoutes`.
// 3. Extend `DashboardTests.faultRules…` and the README's Dashboard section.

extension Dashboard {
    /// The fault-rules section of the overview and of `/dashboard/fault_rules`.
    static func faultRulesSection(_ viewer: Viewer) -> HTML {
        """
        <section class="card" id="fault-rules" data-testid="fault-rules">
          <h2>Fault rules</h2>
          <p>Fault rules make chosen requests fail on purpose (a Stripe error, added latency, a dropped connection).
          They are managed through the API: <a href="/v1/test_helpers/fault_rules"><code>GET /v1/test_helpers/fault_rules</code></a>
          (with this account's secret key, e.g. <code>curl -u sk_test_…: http://127.0.0.1:12111/v1/test_helpers/fault_rules</code>).</p>
          <p class="muted">Listing, adding and clearing rules from this page will come with the fault-rules feature.</p>
        </section>
        """
    }
}

extension Dashboard.Controller {
    func faultRulesPage(_ viewer: Viewer) -> HTML {
        Dashboard.layout(
            title: "Fault rules", viewer: viewer, active: "/dashboard/fault_rules",
            body: "<h1>Fault rules</h1>\(Dashboard.faultRulesSection(viewer))")
    }
}
