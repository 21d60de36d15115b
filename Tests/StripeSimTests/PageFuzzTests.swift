import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import StripeSim

/// Every route outside the API (the dashboard, the hosted bank-login flow, the fake bank's OAuth pages, Stripe.js)
/// as a browser, or something pretending to be one, could call it: real and missing objects in the path, query
/// strings and forms with and without the dashboard's CSRF token, values of the wrong kind, broken encodings.
/// Pages render their own errors as HTML; whatever comes in, none answers 5xx.
@Suite(.timeLimit(.minutes(2))) struct PageFuzzTests {
    /// Every route the API table does not serve, as "METHOD path" (Hummingbird's router lists them).
    static let routes: [String] = {
        guard let app = try? TestApp() else { return [] }
        return buildRouter(app.config, app.deps).fallback.routes.map { "\($0.method.rawValue) \($0.path)" }
    }()

    @Test func thePagesAreListed() {
        #expect(Self.routes.contains("GET /link/{secret}"))
        #expect(Self.routes.contains("POST /dashboard/test_clocks/{id}/advance"))
        #expect(Self.routes.count > 30)
    }

    /// Query strings and form fields the pages read, with values of every kind, and broken ones.
    static let fields = [
        "", "q=cus", "q=%FF", "q=<script>alert(1)</script>", "starting_after=zz_missing", "ending_before=cus_x",
        "status=bogus", "status=succeeded", "type=customer.created", "type=", "limit=-1", "state=bogus",
        "code=x&state=y", "error=access_denied&state=z", "institution=zz", "key=sk_test_alice", "key=pk_live_x",
        "confirm=yes", "frozen_time=abc", "frozen_time=99999999999", "frozen_time=1767618000", "frozen_time=-5",
        "path=/v1/*&method=POST&status=500&message=boom", "path=&method=&status=abc", "username=x&password=y",
        "username=&password=", "accounts[]=checking-success", "accounts[]=zz&accounts[]=", "decision=approve",
        "decision=deny", "decision=", "account=sk_test_bob", "id=" + String(repeating: "x", count: 5000),
    ]

    @Test(arguments: routes)
    func noPageAnswers5xx(_ route: String) async throws {
        let app = try TestApp()
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        let (method, pattern) = (parts[0], parts[1])
        try await app.run { c in
            let objects = try await EndpointFuzzTests.walkTheIntegration(c)
            // A browser signed in to the dashboard: its cookie and the CSRF token of its forms.
            let signIn = try await c.get("/?key=sk_test_alice", key: .some(nil))
            let cookie = signIn.headers[.setCookie]?.split(separator: ";").first.map(String.init) ?? ""
            var browser = HTTPFields()
            browser[.cookie] = cookie
            let home = try await c.get("/", key: .some(nil), headers: browser).text
            let csrf = home.firstMatch(of: /name="csrf" value="([^"]+)"/).map { String($0.output.1) } ?? ""

            var failures: [String] = []
            var sent = 0
            for path in Self.paths(pattern, objects) {
                for signedIn in [true, false] {
                    for field in Self.fields + RouteFuzz.malformed {
                        let headers = signedIn ? browser : HTTPFields()
                        let reply: Reply
                        if method == "POST" {
                            let body = signedIn && !field.hasPrefix("%") ? "csrf=\(csrf)&\(field)" : field
                            reply = try await c.send(.post, path, body: body, key: .some(nil), headers: headers)
                        } else {
                            let uri = field.isEmpty ? path : path + "?" + field
                            reply = try await c.send(.get, uri, key: .some(nil), headers: headers)
                        }
                        sent += 1
                        if reply.status >= 500 || reply.status < 200 {
                            failures.append(
                                "\(method) \(path) [\(field.prefix(80))] → \(reply.status) \(reply.text.prefix(200))"
                            )
                        }
                        if pattern.hasPrefix("/dashboard/fault_rules") {
                            // A rule the fuzz created must not fault the requests after it.
                            _ = try await c.delete(FaultRulesController.url)
                        }
                    }
                }
            }
            #expect(sent > 0)
            #expect(
                failures.isEmpty,
                "\(failures.count) of \(sent) pages answered 5xx:\n\(failures.prefix(8).joined(separator: "\n"))"
            )
        }
    }

    /// The route's path with its parameters filled: objects of every kind the walk made (client secrets for
    /// `:secret`, the fixtures' institutions for `:institution`), and values nothing has.
    static func paths(_ pattern: String, _ objects: Objects) -> [String] {
        let components = pattern.split(separator: "/").map(String.init)
        // Hummingbird describes a parameter as `{name}`.
        guard let index = components.firstIndex(where: { $0.hasPrefix("{") }) else { return [pattern] }
        let name = components[index]
        var values: [String]
        switch name {
        case "{secret}": values = objects.ids(for: "client_secret")
        case "{institution}":
            values = [FinancialConnectionsTests.testOAuth, FinancialConnectionsTests.bankNonOAuth, "fcinst_down"]
        default:
            // The kind the path names first (`test_clocks/{id}` → the walk's clock), then one of every kind.
            let named = index > 0 ? objects.ids(for: components[index - 1]) : []
            values = named + objects.byType.keys.sorted().compactMap { objects.byType[$0]?.sorted().first }
        }
        values += ["zz_missing", "%FF", String(repeating: "a", count: 300)]
        return values.map { value in
            var filled = components
            filled[index] = value
            // Later parameters (none today) take the same value.
            return "/" + filled.map { $0.hasPrefix("{") ? value : $0 }.joined(separator: "/")
        }
    }
}
