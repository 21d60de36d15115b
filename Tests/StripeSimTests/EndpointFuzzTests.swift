import Foundation
import HTTPTypes
import Testing

@testable import StripeSim

/// Every API route, driven from its own parameter schema: each parameter alone with edge values of its type
/// (bounds, one past them, empty, wrong types, nesting where a scalar belongs…), then seeded random
/// combinations of conforming values, against real objects (found for the route's `:id`s) and a missing one.
/// Whatever the input, the answer is a success or a Stripe-shaped JSON error (`error.type`, `error.message`):
/// never a 5xx, nor a hang (the suite's time limit). Every body also goes to the conformance dump.
///
/// Each route runs in a fresh simulator that first walks the integration once (customer, v2 account, test clock,
/// webhook endpoint, a linked Financial Connections account with transactions and a second session left open, a
/// PaymentMethod, a confirmed PaymentIntent with its charge and mandate, PaymentIntents and SetupIntents left
/// unconfirmed with and without a PaymentMethod, a fault rule), so handlers are reached with objects in the
/// states the walk leaves them in.
@Suite(.timeLimit(.minutes(2))) struct EndpointFuzzTests {
    /// Every API route, as "METHOD path".
    static let routes: [String] = {
        guard let app = try? TestApp() else { return [] }
        return buildRouter(app.config, app.deps).apiRoutes.map { "\($0.method.rawValue) \($0.path)" }
    }()

    @Test func everyRouteIsWalked() {
        // The registry the fuzz walks is the one the server serves: a route missing from it escapes the fuzz.
        #expect(Self.routes.count > 60)
        #expect(Self.routes.contains("POST /v1/customers"))
        #expect(Self.routes.contains("POST /v2/core/accounts/:id/close"))
        #expect(Set(Self.routes).count == Self.routes.count)
    }

    @Test(arguments: routes)
    func noInputMakesA5xx(_ route: String) async throws {
        let app = try TestApp()
        let all = buildRouter(app.config, app.deps).apiRoutes
        guard let description = all.first(where: { "\($0.method.rawValue) \($0.path)" == route }) else {
            Issue.record("route \(route) not registered")
            return
        }
        try await app.run { c in
            let objects = try await Self.walkTheIntegration(c)
            let fuzz = RouteFuzz(route: description, routes: all, objects: objects, client: c)
            let paths = try await fuzz.paths()
            var failures: [String] = []
            var sent = 0
            var ok = 0
            for path in paths {
                for input in fuzz.inputs() {
                    let (status, failure) = try await fuzz.send(path, input)
                    if let failure { failures.append(failure) }
                    sent += 1
                    if status == 200 { ok += 1 }
                }
                for raw in RouteFuzz.malformed {
                    if let failure = try await fuzz.send(path, raw: raw).1 { failures.append(failure) }
                    sent += 1
                }
            }
            #expect(sent > 0)
            // The fuzz reaches the handlers: a read answers some inputs (its object found, parameters that
            // conform) with the object or list.
            if description.method == .get { #expect(ok > 0, "no input of \(sent) was answered with 200") }
            #expect(
                failures.isEmpty,
                "\(failures.count) of \(sent) answers broke the contract:\n\(failures.prefix(8).joined(separator: "\n"))"
            )
        }
    }

    /// Walks the integration once; returns the objects its answers held.
    static func walkTheIntegration(_ c: Client) async throws -> Objects {
        var replies: [Reply] = []
        let cus = try await c.post("/v1/customers", "email=fuzz%40example.com&name=Fuzz&metadata[k]=v")
        replies.append(cus)
        replies.append(
            try await c.postJSON("/v2/core/accounts", #"{"display_name": "F", "configuration": {"customer": {}}}"#)
        )
        replies.append(try await c.post("/v1/test_helpers/test_clocks", "frozen_time=1700000000&name=fuzz"))
        replies.append(
            try await c.post(
                "/v1/webhook_endpoints",
                "url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&enabled_events[]=customer.created"
            )
        )
        func openSession(_ permissions: String) async throws -> Reply {
            try await c.post(
                "/v1/financial_connections/sessions",
                "account_holder[type]=customer&account_holder[customer]=\(cus.id)&\(permissions)"
            )
        }
        let session = try await openSession(FinancialConnectionsTests.allPermissions)
        replies.append(session)
        let completed = try await c.post(
            "/v1/test_helpers/financial_connections/sessions/\(session.id)/complete",
            "institution=\(FinancialConnectionsTests.testOAuth)&accounts[]=checking-success"
        )
        replies.append(completed)
        let fca = completed["accounts.data.0.id"]?.stringValue ?? ""
        _ = try await c.post(
            "/v1/financial_connections/accounts/\(fca)/refresh",
            "features[]=balance&features[]=ownership&features[]=transactions"
        )
        try await c.poll("/v1/financial_connections/accounts/\(fca)", "transaction_refresh.status", "succeeded")
        replies.append(try await c.get("/v1/financial_connections/accounts/\(fca)?expand[]=ownership"))
        replies.append(try await c.get("/v1/financial_connections/transactions?account=\(fca)&limit=3"))
        replies.append(try await openSession("permissions[]=payment_method"))  // a second session, left open
        let pm = try await c.post(
            "/v1/payment_methods",
            "type=us_bank_account&us_bank_account[financial_connections_account]=\(fca)&billing_details[name]=Fuzz"
        )
        replies.append(pm)
        replies.append(try await c.post("/v1/payment_methods/\(pm.id)/attach", "customer=\(cus.id)"))
        let confirmed = try await c.post(
            "/v1/payment_intents",
            "amount=1000&currency=usd&customer=\(cus.id)&payment_method=\(pm.id)&payment_method_types[]=us_bank_account&confirm=true&\(ACHTests.mandate)"
        )
        replies.append(confirmed)
        let charge = try await c.get("/v1/charges/\(confirmed["latest_charge"]?.stringValue ?? "")")
        replies.append(charge)
        let mandate = charge["payment_method_details.us_bank_account.mandate"]?.stringValue ?? ""
        replies.append(try await c.get("/v1/mandates/\(mandate)"))
        // PaymentIntents and SetupIntents left unconfirmed, with and without a PaymentMethod.
        for pmParam in ["", "&payment_method=\(pm.id)"] {
            replies.append(
                try await c.post(
                    "/v1/payment_intents",
                    "amount=500&currency=usd&customer=\(cus.id)&payment_method_types[]=us_bank_account\(pmParam)"
                )
            )
            replies.append(
                try await c.post(
                    "/v1/setup_intents",
                    "customer=\(cus.id)&payment_method_types[]=us_bank_account\(pmParam)"
                )
            )
        }
        replies.append(
            try await c.post(
                "/v1/test_helpers/fault_rules",
                "match[path]=/v1/zz_never&effect[error][status]=429"
            )
        )
        replies.append(try await c.get("/v1/events?limit=100"))
        var objects = Objects()
        for reply in replies { objects.collect(reply.json) }
        for reply in replies { #expect(reply.status == 200, "the walk failed: \(reply.text)") }
        #expect(objects.byType.count >= 10, "the walk found only \(objects.byType.keys.sorted())")
        return objects
    }
}

/// Objects by type (`customer`, `financial_connections.account`…), as the walk's answers held them, and the
/// client secrets they carried.
struct Objects {
    var byType: [String: Set<String>] = [:]

    mutating func collect(_ value: JSONValue) {
        switch value {
        case .object(let o):
            if case .string(let id) = o["id"], case .string(let type) = o["object"], type != "list",
                type != "search_result"
            {
                byType[type, default: []].insert(id)
            }
            if case .string(let secret) = o["client_secret"] { byType["client_secret", default: []].insert(secret) }
            for (_, v) in o { collect(v) }
        case .array(let a): for v in a { collect(v) }
        default: break
        }
    }

    /// Every id, in a fixed order.
    var all: [String] { byType.keys.sorted().flatMap { byType[$0]!.sorted() } }

    /// Ids a parameter or path component named `name` likely takes (`customer` → customers; `account` or
    /// `financial_connections_account` → FC and v2 accounts; `payment_intents` → payment intents…).
    func ids(for name: String) -> [String] {
        let singular = name.hasSuffix("s") ? String(name.dropLast()) : name
        let matching = byType.keys.sorted().filter { type in
            let last = type.split(separator: ".").last.map(String.init) ?? type
            let flat = type.replacingOccurrences(of: ".", with: "_")
            return [name, singular].contains {
                $0 == last || $0 == flat || $0.hasSuffix("_" + last) || last.hasSuffix("_" + $0)
            }
        }
        return matching.flatMap { byType[$0]!.sorted() }
    }
}

/// One route's fuzz: its inputs, derived from its schema, and the contract every answer must keep.
struct RouteFuzz {
    let route: APIRouteDescription
    /// Every API route (for the GETs that find a path's objects).
    let routes: [APIRouteDescription]
    let objects: Objects
    let client: Client

    /// A parameter setting: a JSON value per top-level parameter (form-encoded with brackets on v1).
    typealias Input = [(String, JSONValue)]

    /// The route's path with its parameters filled with objects it finds, and with ids nothing has. A
    /// parameter's object is the first id (those its name suggests first) that a GET answers 200 for: the GET
    /// of the path up to that parameter, or else the GET of the same kind of object (`…/sessions/:id/complete`
    /// → `…/sessions/:id`); without such a GET, the id its name suggests.
    func paths() async throws -> [String] {
        let components = route.path.split(separator: "/").map(String.init)
        let parameters = components.indices.filter { components[$0].hasPrefix(":") }
        guard !parameters.isEmpty else { return [route.path] }
        let missing = "/" + components.map { $0.hasPrefix(":") ? "zz_missing000" : $0 }.joined(separator: "/")
        var filled = components
        var found: [[String]] = []
        for index in parameters {
            let kind = index > 0 ? components[index - 1] : components[index]
            let likely = objects.ids(for: kind)
            let candidates = likely + objects.all.filter { !likely.contains($0) }
            filled[index] = candidates.first ?? "x"
            guard let probe = probe(components, index, filled) else { continue }
            found = []
            for id in candidates where try await client.send(.get, probe(id), headers: versionHeader).status == 200 {
                var path = filled
                path[index] = id
                found.append(path)
                // Up to three objects of the last parameter's kind (in the states the walk left them in).
                if index != parameters.last || found.count == 3 { break }
            }
            if let first = found.first { filled = first }
        }
        let objectPaths = found.isEmpty ? [filled] : found
        return objectPaths.map { "/" + $0.joined(separator: "/") } + [missing]
    }

    /// The path of a GET that finds parameter `index`'s object, given an id: the GET route of the path up to
    /// that parameter (earlier parameters as in `filled`), or else the GET of the same kind of object.
    private func probe(_ components: [String], _ index: Int, _ filled: [String]) -> ((String) -> String)? {
        let gets = routes.filter { $0.method == .get }.map { $0.path.split(separator: "/").map(String.init) }
        let prefix = Array(components[...index])
        if gets.contains(prefix) {
            return { id in "/" + (filled[..<index] + [id]).joined(separator: "/") }
        }
        guard index > 0 else { return nil }
        let kind = components[index - 1]
        guard
            let other = gets.first(where: {
                $0.count >= 2 && $0.last!.hasPrefix(":") && $0[$0.count - 2] == kind
                    && $0.filter { $0.hasPrefix(":") }.count == 1
            })
        else { return nil }
        return { id in "/" + (other.dropLast() + [id]).joined(separator: "/") }
    }

    private var versionHeader: HTTPFields {
        var h = HTTPFields()
        if route.family == .v2 { h[.stripeVersion] = "2026-06-24.preview" }
        return h
    }

    /// No parameters; an unknown one; each parameter alone with each of its samples (required ones set to a
    /// conforming value beside it); then seeded random combinations of conforming samples.
    func inputs() -> [Input] {
        let parameters = route.schema.sorted { $0.key < $1.key }
        let required: Input = parameters.compactMap { name, param in
            param.required
                ? Self.samples(param.type, name, objects).first { $0.conforms }.map { (name, $0.value) } : nil
        }
        var inputs: [Input] = [[], required, required + [("zz_unknown", .string("1"))]]
        for (name, param) in parameters {
            for sample in Self.samples(param.type, name, objects) {
                inputs.append(required.filter { $0.0 != name } + [(name, sample.value)])
            }
        }
        var rng = SplitMix(seed: Self.stableHash(route.method.rawValue + route.path))
        for _ in 0..<12 {
            var input: Input = []
            for (name, param) in parameters where param.required || rng.next() % 2 == 0 {
                let conforming = Self.samples(param.type, name, objects).filter(\.conforms)
                guard !conforming.isEmpty else { continue }
                // Half the time the likeliest value (the id the name suggests), to get past lookups.
                let pick = rng.next() % 2 == 0 ? 0 : Int(rng.next() % UInt64(conforming.count))
                input.append((name, conforming[pick].value))
            }
            inputs.append(input)
        }
        return inputs
    }

    /// Sends one input: in the query string of a GET or DELETE, else in the body.
    func send(_ path: String, _ input: Input) async throws -> (Int, String?) {
        if route.method == .get || route.method == .delete {
            let query = Self.form(input)
            return try await exchange(query.isEmpty ? path : path + "?" + query, body: nil)
        }
        if route.family == .v2 {
            return try await exchange(
                path,
                body: JSONValue.object(Dictionary(input, uniquingKeysWith: { a, _ in a })).serialized(pretty: false)
            )
        }
        return try await exchange(path, body: Self.form(input))
    }

    /// Bodies (query strings for GET and DELETE) no SDK sends: broken encodings, stray brackets, deep nesting,
    /// invalid UTF-8 once decoded, JSON to a form endpoint and a form to a JSON one.
    static let malformed = [
        "%", "a=%ZZ", "name=%FF%FE%80", "email=%C3", "a[b]]=1", "a[[b]=1", "[]=1", "=1", "&&&=&", "a[]=1&a[x]=2",
        "metadata[k][]=1", String(repeating: "a[", count: 300) + "=1", "expand[]=" + String(repeating: "a.", count: 60),
        #"{"json": true}"#, "[1, 2]", "email=a%40b.c&email[x]=1", "limit=1&limit=2&limit=x",
    ]

    /// Sends a raw body (or query string), as is.
    func send(_ path: String, raw: String) async throws -> (Int, String?) {
        route.method == .get || route.method == .delete
            ? try await exchange(path + "?" + raw, body: nil) : try await exchange(path, body: raw)
    }

    /// One request (a body is JSON on v2, a form on v1): its status, and the contract's breach, if any.
    private func exchange(_ uri: String, body: String?) async throws -> (Int, String?) {
        let reply = try await client.send(
            route.method,
            uri,
            body: body,
            headers: versionHeader,
            json: route.family == .v2
        )
        if route.path.hasPrefix(FaultRulesController.url) {
            // A rule the fuzz created must not fault the requests after it.
            _ = try await client.send(.delete, FaultRulesController.url)
        }
        let shown = "\(route.method.rawValue) \(uri) \(body ?? "") → \(reply.status) \(reply.text.prefix(300))"
        return (reply.status, Self.breach(reply, shown))
    }

    private static func breach(_ reply: Reply, _ shown: String) -> String? {
        if reply.status >= 500 { return shown }
        guard case .object = reply.json else { return "not a JSON object: " + shown }
        if reply.status >= 400 {
            guard reply["error.type"]?.stringValue?.isEmpty == false,
                reply["error.message"]?.stringValue?.isEmpty == false
            else { return "no Stripe error envelope: " + shown }
        } else if reply.status != 200 {
            return "unexpected status: " + shown
        }
        return nil
    }

    struct Sample {
        var value: JSONValue
        var conforms: Bool
    }

    /// Values for a parameter of type `type`: conforming edge values first, then ones the type refuses.
    static func samples(_ type: ParamType, _ name: String, _ objects: Objects, depth: Int = 0) -> [Sample] {
        func ok(_ v: JSONValue) -> Sample { Sample(value: v, conforms: true) }
        func bad(_ v: JSONValue) -> Sample { Sample(value: v, conforms: false) }
        switch type {
        case .string(let max):
            let limit = max ?? 5000
            // Ids the name suggests first (a required `customer` gets a customer), then values Stripe users send
            // for the name, then strings of every other kind, ids of other objects among them.
            let likely = objects.ids(for: name).prefix(3) + (Self.dictionary[name] ?? [])
            let others = objects.all.filter { !likely.contains($0) }.prefix(6)
            return (likely + ["x", "é😀 'q' \"d\" <b>&amp;", String(repeating: "a", count: limit), "0"] + others)
                .map { ok(.string($0)) }
                + [bad(.string(String(repeating: "a", count: limit + 1))), bad(["nested": "x"]), bad(["x", "y"])]
        case .integer(let min, let max):
            var values: [Sample] =
                (numbers[name] ?? []).map { ok(.int($0)) } + [
                    ok(.int(min ?? 0)), ok(.int(Swift.max(min ?? 1, 1))), bad("abc"), bad("1.5"),
                    bad("99999999999999999999999"), bad(["n": 1]),
                ]
            if let max { values += [ok(.int(max)), bad(.int(max + 1))] } else { values.append(ok(.int(Int.max))) }
            if let min { values.append(bad(.int(min - 1))) } else { values += [ok(-1), ok(.int(Int.min))] }
            return values
        case .boolean:
            return [ok(true), ok(false), bad("maybe"), bad(["b": true])]
        case .enumeration(let values):
            return values.map { ok(.string($0)) } + [bad("zz_not_an_option"), bad(["e": "x"])]
        case .hash(let schema):
            guard depth < 4 else { return [ok([:])] }
            // The required members; then those and every member with a likely value (an id its name suggests,
            // a value from the dictionary), which gets a nested object (a bank account's numbers…) past the
            // handler's own checks.
            func members(_ include: (String, Param) -> Bool) -> [(String, JSONValue)] {
                schema.compactMap { name, param in
                    include(name, param)
                        ? samples(param.type, name, objects, depth: depth + 1).first { $0.conforms }.map {
                            (name, $0.value)
                        }
                        : nil
                }
            }
            let required = members { _, param in param.required }
            let likely = members { name, param in
                param.required || dictionary[name] != nil || numbers[name] != nil || !objects.ids(for: name).isEmpty
                    || { if case .hash = param.type { true } else { false } }()
            }
            var out: [Sample] = [
                ok(.object(Dictionary(likely, uniquingKeysWith: { a, _ in a }))),
                ok(.object(Dictionary(required, uniquingKeysWith: { a, _ in a }))), bad("scalar"),
                bad(["zz_unknown": "1"]),
            ]
            for (name, param) in schema.sorted(by: { $0.key < $1.key }) {
                for s in samples(param.type, name, objects, depth: depth + 1).prefix(6) {
                    var members = Dictionary(required, uniquingKeysWith: { a, _ in a })
                    members[name] = s.value
                    out.append(Sample(value: .object(members), conforms: s.conforms))
                }
            }
            return out
        case .array(let element, let max):
            let items = samples(element, name, objects, depth: depth + 1)
            var out = items.prefix(4).map { Sample(value: [$0.value], conforms: $0.conforms) }
            if let first = items.first(where: \.conforms) {
                out.append(ok(.array(Array(repeating: first.value, count: Swift.min(max ?? 3, 120)))))
                if let max { out.append(bad(.array(Array(repeating: first.value, count: max + 1)))) }
            }
            return out + [bad(["k": "v"])]
        case .metadata:
            let many = JSONValue.object(
                Dictionary(uniqueKeysWithValues: (0..<51).map { ("k\($0)", JSONValue.string("v")) })
            )
            return [
                ok(["k": "v"]), ok(["k": ""]), ok(.string("")), ok(["order_id": "6735"]),
                bad(.object([String(repeating: "k", count: 41): "v"])),
                bad(["k": .string(String(repeating: "v", count: 501))]), bad(many), bad("scalar"),
            ]
        case .range:
            return [
                ok(5), ok(["gte": 0]), ok(["lt": .int(Int.max), "gt": -1]), bad(["gt": "abc"]), bad(["zz": 1]),
                bad("x"),
            ]
        case .booleanOr(let values):
            return [ok(true), ok(false)] + values.map { ok(.string($0)) } + [bad("zz_not_an_option")]
        case .object:
            return [ok(["a": ["b": 1]]), ok([:]), ok(.null), bad("x"), bad([1, "two", false])]
        case .stringMap:
            return [ok(["a": "b"]), ok([:]), bad("scalar")]
        }
    }

    /// Values Stripe users send for parameters of these names (beside the generic strings every string gets).
    static let dictionary: [String: [String]] = [
        "currency": ["usd", "eur"],
        "url": ["http://127.0.0.1:9/hook", "https://example.com/hook", "ftp://x"],
        "return_url": ["https://example.com/return"],
        "email": ["fuzz@example.com"],
        "query": [
            "email:'fuzz@example.com'", "name~'Fu' AND created>0", "status:'succeeded' OR amount>1",
            "metadata['k']:'v'", "customer:'x'", "(",
        ],
        "routing_number": ["110000000"],
        "account_number": ["000123456789", "000111111116", "000111111113"],
        "ip_address": ["127.0.0.1"],
        "user_agent": ["curl"],
        "path": ["/v1/customers", "/v1/*"],
        "method": ["POST", "GET"],
        "account": ["sk_test_alice"],
        "enabled_events": ["*", "customer.created"],
        "types": ["customer.created"],
        "type": ["customer.created"],
        "description": ["sim_microdeposits"],
        "name": ["Jenny Rosen"],
        "descriptor_code": ["SM11AA"],
        "institution": [FinancialConnectionsTests.testOAuth],
    ]

    /// Numbers Stripe users send for parameters of these names.
    static let numbers: [String: [Int]] = [
        "amount": [1000], "amounts": [32], "frozen_time": [1_700_086_400], "limit": [3],
    ]

    /// Stripe's bracket form encoding (`a[b][0]=c`), values percent-encoded.
    static func form(_ input: Input) -> String {
        var pairs: [String] = []
        func add(_ key: String, _ value: JSONValue) {
            switch value {
            case .object(let o):
                if o.isEmpty { pairs.append(key + "=") }
                for (k, v) in o.sorted(by: { $0.key < $1.key }) { add("\(key)[\(k)]", v) }
            case .array(let a):
                for (i, v) in a.enumerated() { add("\(key)[\(i)]", v) }
            case .null: pairs.append(key + "=")
            default:
                let text = value.stringValue ?? value.serialized(pretty: false)
                let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
                pairs.append(key + "=" + encoded)
            }
        }
        for (k, v) in input { add(k, v) }
        return pairs.joined(separator: "&")
    }

    /// FNV-1a: the same seed on every run (`hashValue` is randomised per process).
    static func stableHash(_ s: String) -> UInt64 {
        s.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// A small seeded generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
