import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import Testing

@testable import StripeSim

/// `SimulatorRouter`: API routes in an `APIRouteTable`, the rest in Hummingbird's router; and the small pieces
/// on every request's path beside it (`HTTPFields.value`, `SimulatorLogHandler`).
@Suite struct RoutingTests {
    /// A responder that only says which route it is.
    private struct Route: HTTPResponder {
        let name: String
        func respond(to request: Request, context: AppRequestContext) throws -> Response { Response(status: .ok) }
    }

    private func table(_ routes: [(HTTPRequest.Method, String)]) -> APIRouteTable {
        var table = APIRouteTable()
        for (method, path) in routes { table.add(path, method: method, responder: Route(name: "\(method) \(path)")) }
        return table
    }

    /// The route `path` resolves to, with its parameters as `name=value` pairs.
    private func resolve(_ table: APIRouteTable, _ method: HTTPRequest.Method, _ path: String) -> String? {
        guard let (responder, parameters) = table.resolve(method, path) else { return nil }
        let name = (responder as? Route)?.name ?? "?"
        let values = parameters.map { "\($0.key)=\($0.value)" }
        return values.isEmpty ? name : name + " " + values.joined(separator: " ")
    }

    @Test func literalsWinOverParametersAndAPathFailingDownALiteralTriesTheParameter() {
        let t = table([
            (.get, "/v1/customers"), (.post, "/v1/customers"), (.get, "/v1/customers/search"),
            (.get, "/v1/customers/:id"), (.get, "/v1/customers/:id/payment_methods/:pm"),
        ])
        #expect(resolve(t, .get, "/v1/customers") == "GET /v1/customers")
        #expect(resolve(t, .post, "/v1/customers") == "POST /v1/customers")
        #expect(resolve(t, .get, "/v1/customers/search") == "GET /v1/customers/search")
        #expect(resolve(t, .get, "/v1/customers/cus_1") == "GET /v1/customers/:id id=cus_1")
        // `search` has no child `payment_methods`: the parameter branch takes it.
        #expect(
            resolve(t, .get, "/v1/customers/search/payment_methods/pm_2")
                == "GET /v1/customers/:id/payment_methods/:pm id=search pm=pm_2"
        )
    }

    @Test func emptyComponentsDoNotCountAndUnknownPathsOrMethodsAreNotFound() {
        let t = table([(.get, "/v1/customers/:id"), (.delete, "/v1/customers/:id")])
        #expect(resolve(t, .get, "//v1///customers/cus_1/") == "GET /v1/customers/:id id=cus_1")
        #expect(resolve(t, .get, "/v1/customers/cüs_é1") == "GET /v1/customers/:id id=cüs_é1")
        #expect(resolve(t, .delete, "/v1/customers/cus_1") == "DELETE /v1/customers/:id id=cus_1")
        #expect(resolve(t, .put, "/v1/customers/cus_1") == nil)
        #expect(resolve(t, .get, "/v1/customers") == nil)  // a place on the way to a route is not one
        #expect(resolve(t, .get, "/v1/customers/cus_1/extra") == nil)
        #expect(resolve(t, .get, "/") == nil)
        #expect(resolve(t, .get, "") == nil)
        #expect(resolve(t, .get, "/V1/customers/cus_1") == nil)  // case-sensitive, as Stripe
    }

    @Test func addingAMethodTwiceKeepsTheLastAndDifferentParameterNamesCoexist() {
        var t = table([(.get, "/v1/things/:id"), (.get, "/v1/things/:thing/parts")])
        t.add("/v1/things/:id", method: .get, responder: Route(name: "again"))
        #expect(resolve(t, .get, "/v1/things/t_1") == "again id=t_1")
        #expect(resolve(t, .get, "/v1/things/t_1/parts") == "GET /v1/things/:thing/parts thing=t_1")
    }

    /// Through the whole app: API routes, the router's own routes and unknown paths all get the middleware.
    @Test func theAppRoutesAPICallsAndEverythingElse() async throws {
        try await TestApp().run { c in
            let created = try await c.post("/v1/customers", "email=a%40example.com")
            #expect(created.status == 200)
            let again = try await c.get("//v1/customers/\(created.id)/")
            #expect(again.status == 200 && again.id == created.id)
            #expect(again.headers[.requestID]?.hasPrefix("req_") == true)
            let search = try await c.get("/v1/customers/search?query=email:'a@example.com'")
            #expect(search["object"] == "search_result")
            let health = try await c.get("/healthz", key: .some(nil))
            #expect(health.status == 200 && health.headers[.requestID]?.hasPrefix("req_") == true)
            let unknown = try await c.get("/v1/customers/\(created.id)/nope")
            #expect(unknown.status == 404 && unknown["error.type"] == "invalid_request_error")
            let noKey = try await c.get("/v1/customers/\(created.id)", key: .some(nil))
            #expect(noKey.status == 401)
        }
    }

    @Test func headerValuesJoinRepeatedFields() {
        var fields = HTTPFields()
        #expect(fields.value(.stripeVersion) == nil)
        fields.append(HTTPField(name: .stripeVersion, value: "2024-06-20"))
        fields.append(HTTPField(name: .contentType, value: "text/plain"))
        #expect(fields.value(.stripeVersion) == "2024-06-20")
        fields.append(HTTPField(name: .stripeVersion, value: "2025-01-01"))
        #expect(fields.value(.stripeVersion) == "2024-06-20, 2025-01-01")
        #expect(fields.value(.stripeVersion) == fields[.stripeVersion])
    }

    @Test func theLogHandlerWritesTheLoggersMetadataWithEachLine() {
        let lines = Lines()
        var logger = Logger(label: "t") { SimulatorLogHandler(label: $0, stream: lines) }
        logger.logLevel = .info
        logger[metadataKey: "hb.request.id"] = "7"
        logger.debug("hidden")
        logger.info("shown", metadata: ["a": "b"])
        logger[metadataKey: "hb.request.id"] = nil
        logger.warning("bare")
        let written = lines.text.withLock { $0 }.split(separator: "\n")
        #expect(written.count == 2)
        #expect(written.first?.hasSuffix(" info t: a=b hb.request.id=7 [StripeSimTests] shown") == true)
        #expect(written.last?.hasSuffix(" warning t: [StripeSimTests] bare") == true)
    }

    private final class Lines: TextOutputStream, Sendable {
        let text = Mutex("")
        func write(_ string: String) { text.withLock { $0 += string } }
    }
}
