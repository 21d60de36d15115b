import Foundation

/// A scenario file: metadata, fixtures, fault rules and steps (see the README's "Scenarios" section and
/// `Scenarios/scenario.schema.json`).
///
/// Read in two stages: Yams parses the YAML into JSON values (`YAMLDocument`, which keeps line numbers), then
/// these `Decodable` types decode them, rejecting unknown keys, so a typo is an error with its line rather than
/// a silently ignored step.
///
/// ```swift
/// let scenario = try Scenario.load("Scenarios/customer-lifecycle.yaml")
/// ```
package struct Scenario: Sendable {
    package static let defaultKey = "sk_test_scenario"

    package var name: String
    package var description: String?
    package var tags: [String]
    /// The API key every step uses unless it names another (default `sk_test_scenario`).
    package var key: String
    /// Sent as `Stripe-Version` on every request (unless a step sets the header).
    package var stripeVersion: String?
    /// Institutions to add or override, kept as written (JSON-compatible) and handed to the in-process app as
    /// `AppDependencies.fixtureOverrides`, for the bank fixtures to merge over their defaults.
    package var fixtures: JSONValue?
    package var faults: [FaultRule.Spec]
    package var steps: [ScenarioStep]
    /// Where it was read from (reports, JUnit).
    package var file: String?

    /// Parses scenario YAML; errors carry the line and the key path (`steps[2].expect.status`).
    package static func parse(_ text: String, file: String? = nil) throws(ScenarioError) -> Scenario {
        let document: YAMLDocument
        do {
            document = try YAMLDocument(text)
        } catch {
            var e = error
            e.file = file
            throw e
        }
        guard case .object = document.value else {
            throw ScenarioError(message: "a scenario is a mapping with `name` and `steps`", file: file, line: 1)
        }
        do {
            var scenario = try JSONDecoder().decode(
                Scenario.self,
                from: Data(document.value.serialized(pretty: false).utf8)
            )
            scenario.file = file
            for i in scenario.steps.indices {
                scenario.steps[i].line = document.line(at: [AnyKey("steps"), AnyKey(i)])
            }
            return scenario
        } catch let error as DecodingError {
            throw ScenarioError(decoding: error, document: document, file: file)
        } catch {
            throw ScenarioError(message: "\(error)", file: file)
        }
    }

    package static func load(_ path: String) throws(ScenarioError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioError(message: "cannot read the file: \(error.localizedDescription)", file: path)
        }
        return try parse(text, file: path)
    }

    /// The scenario files named by `paths`: files as given, directories searched (recursively) for `*.yaml` and
    /// `*.yml`, sorted.
    package static func files(in paths: [String]) throws(ScenarioError) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ScenarioError(message: "no such file or directory", file: path)
            }
            guard isDirectory.boolValue else {
                out.append(path)
                continue
            }
            let found = (fm.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted()
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            out += found.map { base + "/" + $0 }
        }
        return out
    }
}

/// One step: an action, then expectations on its response, then captures from it.
package struct ScenarioStep: Sendable {
    package var name: String?
    package var action: ScenarioAction
    package var expect: Expectation
    /// `save: {customer: $.id}`, sorted by name.
    package var save: [Capture]
    /// The step's line in its file.
    package var line: Int?
}

package struct Capture: Sendable, Equatable {
    package var name: String
    /// A JSON path (may itself use `{{…}}`).
    package var path: String
}

package enum ScenarioAction: Sendable {
    /// An API request.
    case request(RequestAction)
    /// `POST /v1/test_helpers/financial_connections/sessions/{session}/complete`.
    case completeSession(CompleteSessionAction)
    /// Advances a test clock and waits until it is `ready` again.
    case advanceClock(AdvanceClockAction)
    /// Polls until an event, a webhook delivery or an object state shows up.
    case waitFor(WaitForAction)
    /// In process: moves the scenario's clock forward (virtual time, no waiting); against `--target`: sleeps.
    case sleep(millis: Int)

    package var kind: String {
        switch self {
        case .request: "request"
        case .completeSession: "complete_session"
        case .advanceClock: "advance_clock"
        case .waitFor: "wait_for"
        case .sleep: "sleep"
        }
    }
}

package struct RequestAction: Sendable {
    package var method: String
    package var path: String
    /// A mapping: form-encoded in Stripe's bracket notation on /v1 (query string for GET and DELETE), a JSON
    /// body on /v2.
    package var params: JSONValue?
    /// A raw body, sent as written (instead of `params`): for malformed-body tests and recordings whose body
    /// is not a parameter map.
    package var body: String?
    package var headers: [String: String]
    /// The key for this request (`""`: no `Authorization` header).
    package var key: String?
    package var idempotencyKey: String?
    /// Retries like a Stripe SDK: on a dropped connection, 409, 429 and 5xx (unless `Stripe-Should-Retry: false`),
    /// reusing the idempotency key (one is generated for a POST without one).
    package var retries: Int

    package static let methods = ["GET", "POST", "DELETE"]
}

package struct CompleteSessionAction: Sendable {
    package var session: String
    package var institution: String?
    package var accounts: [String]?
    package var outcome: String?
    package var key: String?
}

package struct AdvanceClockAction: Sendable {
    package var clock: String
    /// An absolute `frozen_time` (Unix seconds; a number or a `{{…}}` string)…
    package var to: JSONValue?
    /// …or a duration from the clock's current `frozen_time`.
    package var byMillis: Int?
    package var timeoutMillis: Int
    package var key: String?
}

package struct WaitForAction: Sendable {
    package enum Condition: Sendable {
        /// An event of this type (exact, or `*` wildcard as `/v1/events` takes it), optionally about one object.
        case event(type: String, objectID: String?)
        /// A webhook delivery (`GET /v1/test_helpers/webhook_deliveries` with `query`) whose fields match `where`.
        case webhookDelivery(query: JSONValue?, where: [PathExpectation])
        /// A `GET path` whose response matches `until`.
        case get(path: String, until: [PathExpectation])
    }

    package var condition: Condition
    package var timeoutMillis: Int
    package var key: String?
}

/// What a step's response must satisfy. Every kind is checked; the report shows the first failure.
package struct Expectation: Sendable {
    package var status: Int?
    /// `true`: the request must get no response (a dropped connection).
    package var transportError: Bool?
    /// How many attempts a request with `retries` took.
    package var attempts: Int?
    package var headers: [(name: String, matcher: Matcher)]
    /// JSON path expectations, sorted by path.
    package var json: [PathExpectation]
    package var eventSequence: EventSequence?

    package static let none = Expectation(headers: [], json: [])

    package var isEmpty: Bool {
        status == nil && transportError == nil && attempts == nil && headers.isEmpty && json.isEmpty
            && eventSequence == nil
    }
}

package struct PathExpectation: Sendable {
    package var path: String
    package var matcher: Matcher
}

/// `equals` (the shorthand `$.path: value`), `matches` (a regular expression searched in the value's text),
/// `exists`, `absent`, `count` (elements of an array, keys of an object, characters of a string). All given
/// must hold.
package struct Matcher: Sendable {
    package var equals: JSONValue?
    package var matches: String?
    package var exists: Bool?
    package var count: Int?

    package static let keys = ["equals", "matches", "exists", "absent", "count"]

    package init(equals: JSONValue? = nil, matches: String? = nil, exists: Bool? = nil, count: Int? = nil) {
        self.equals = equals
        self.matches = matches
        self.exists = exists
        self.count = count
    }
}

/// The event types written about one object, oldest first (`exact: false`: these types in this order,
/// others allowed in between).
package struct EventSequence: Sendable {
    package var object: String
    package var types: [String]
    package var exact: Bool
}

// MARK: - Errors

/// A scenario that cannot be read, or a step that cannot be rendered; with the file, line and key path.
package struct ScenarioError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var file: String?
    package var line: Int?
    /// The key path in the document: `steps[2].expect.status`.
    package var path: String?

    package init(message: String, file: String? = nil, line: Int? = nil, path: String? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.path = path
    }

    package var description: String {
        var location = file ?? ""
        if let line { location += (location.isEmpty ? "line " : ":") + String(line) }
        var text = location.isEmpty ? "" : location + ": "
        if let path, !path.isEmpty { text += path + ": " }
        return text + message
    }

    init(decoding error: DecodingError, document: YAMLDocument, file: String?) {
        let codingPath: [any CodingKey]
        var message: String
        switch error {
        case .keyNotFound(let key, let context):
            codingPath = context.codingPath
            message = "missing required key '\(key.stringValue)'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            codingPath = context.codingPath
            let found = Self.value(at: codingPath, in: document.value)
            message = "expected \(Self.describe(type)), found \(found.map(Self.describe) ?? "nothing")"
        case .dataCorrupted(let context):
            codingPath = context.codingPath
            message = context.debugDescription
        @unknown default:
            codingPath = []
            message = "\(error)"
        }
        self.init(message: message, file: file, line: document.line(at: codingPath), path: Self.render(codingPath))
    }

    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue {
                out += "[\(i)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out
    }

    private static func value(at path: [any CodingKey], in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        for key in path {
            if let i = key.intValue, case .array(let a)? = current {
                guard a.indices.contains(i) else { return nil }
                current = a[i]
            } else {
                current = current?[key.stringValue]
            }
        }
        return current
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default:
            "\(type)".hasPrefix("Array") ? "a list" : ("\(type)".hasPrefix("Dictionary") ? "a mapping" : "\(type)")
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .int(let i): "the integer \(i)"
        case .double(let d): "the number \(d)"
        case .string(let s): "the string \"\(s.prefix(60))\""
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}

// MARK: - Durations

/// `500ms`, `2s`, `1m`, `1h`, `5d`, or a number of seconds.
package enum ScenarioDuration {
    package static func millis(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let seconds) where seconds >= 0: return seconds * 1000
        case .double(let seconds) where seconds >= 0: return Int(seconds * 1000)
        case .string(let text): return millis(text)
        default: return nil
        }
    }

    package static func millis(_ text: String) -> Int? {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = Double(t), n >= 0 { return Int(n * 1000) }
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let n = Double(t.dropLast(suffix.count)), n >= 0 else { return nil }
            return Int(n * scale)
        }
        return nil
    }
}

// MARK: - Decoding

/// Any key: lets each type list the keys it knows and reject the rest.
package struct AnyKey: CodingKey {
    package var stringValue: String
    package var intValue: Int?
    package init(_ s: String) { stringValue = s }
    package init(_ i: Int) {
        stringValue = String(i)
        intValue = i
    }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { self.init(intValue) }
}

extension KeyedDecodingContainer where K == AnyKey {
    /// Fails on a key not in `allowed`, naming the ones that are.
    func only(_ allowed: [String]) throws {
        for key in allKeys where !allowed.contains(key.stringValue) {
            let suggestion = allowed.first { Self.isNear($0, key.stringValue) }.map { " (did you mean '\($0)'?)" } ?? ""
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [key],
                    debugDescription:
                        "unknown key '\(key.stringValue)'\(suggestion); expected one of: \(allowed.joined(separator: ", "))"
                )
            )
        }
    }

    func fail(_ key: String, _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: codingPath + [AnyKey(key)], debugDescription: message))
    }

    func value<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        try decodeIfPresent(T.self, forKey: AnyKey(key))
    }

    func required<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        try decode(T.self, forKey: AnyKey(key))
    }

    func millis(_ key: String, max: Int? = nil) throws -> Int? {
        guard let raw = try value(key, as: JSONValue.self) else { return nil }
        guard let ms = ScenarioDuration.millis(raw) else {
            throw fail(key, "expected a duration such as 500ms, 2s, 1m, 1h, 5d or a number of seconds")
        }
        if let max, ms > max { throw fail(key, "at most \(max / 1000)s") }
        return ms
    }

    /// A mapping of path → matcher.
    func pathExpectations(_ key: String) throws -> [PathExpectation]? {
        guard let raw = try value(key, as: [String: JSONValue].self) else { return nil }
        var out: [PathExpectation] = []
        for (path, value) in raw.sorted(by: { $0.key < $1.key }) {
            do {
                _ = try JSONPath(Self.placeholder(path))
                out.append(PathExpectation(path: path, matcher: try Matcher(value)))
            } catch {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath + [AnyKey(key), AnyKey(path)], debugDescription: error.message)
                )
            }
        }
        return out
    }

    /// The text with `{{…}}` replaced, to check its shape before captures exist.
    static func placeholder(_ text: String) -> String {
        var vars: [String: JSONValue] = [:]
        for name in Template.names(in: text) { vars[name] = "x" }
        return (try? Template.render(text, vars)) ?? text
    }

    /// A likely typo: a prefix of the other, or at most two edits away.
    private static func isNear(_ a: String, _ b: String) -> Bool {
        if a.hasPrefix(b) || b.hasPrefix(a) { return true }
        let x = Array(a)
        let y = Array(b)
        guard abs(x.count - y.count) <= 2, !x.isEmpty, !y.isEmpty else { return false }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[y.count] <= 2
    }
}

extension Scenario: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["name", "description", "tags", "key", "stripe_version", "fixtures", "faults", "steps"])
        name = try c.required("name")
        description = try c.value("description")
        tags = try c.value("tags") ?? []
        key = try c.value("key") ?? Self.defaultKey
        stripeVersion = try c.value("stripe_version")
        if let v = stripeVersion, !StripeVersion.isWellFormed(v) {
            throw c.fail("stripe_version", "'\(v)' is not a Stripe API version (YYYY-MM-DD, optionally .name)")
        }
        fixtures = try c.value("fixtures")
        if let f = fixtures {
            switch f {
            case .object, .array: break
            default: throw c.fail("fixtures", "expected a mapping or a list of institutions")
            }
        }
        let rawFaults = try c.value("faults", as: [JSONValue].self) ?? []
        faults = []
        for (i, raw) in rawFaults.enumerated() {
            do {
                guard case .hash(let hash) = FormDecoding.raw(from: raw) else {
                    throw StripeError.validation("a fault rule is a mapping with match, trigger and effect")
                }
                let params = try ParamValidator.validate(hash, FaultRule.Spec.schema(scenario: true))
                faults.append(try FaultRule.Spec(params))
            } catch let error as StripeError {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: c.codingPath + [AnyKey("faults"), AnyKey(i)],
                        debugDescription: error.message
                    )
                )
            }
        }
        steps = try c.required("steps")
        if steps.isEmpty { throw c.fail("steps", "a scenario needs at least one step") }
    }
}

extension ScenarioStep: Decodable {
    static let actions = ["request", "complete_session", "advance_clock", "wait_for", "sleep"]

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["name"] + Self.actions + ["expect", "save"])
        name = try c.value("name")
        let given = Self.actions.filter { c.contains(AnyKey($0)) }
        guard given.count == 1 else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath,
                    debugDescription: given.isEmpty
                        ? "a step needs one action: \(Self.actions.joined(separator: ", "))"
                        : "a step has one action; found \(given.joined(separator: " and "))"
                )
            )
        }
        switch given[0] {
        case "request": action = .request(try c.required("request"))
        case "complete_session": action = .completeSession(try c.required("complete_session"))
        case "advance_clock": action = .advanceClock(try c.required("advance_clock"))
        case "wait_for": action = .waitFor(try c.required("wait_for"))
        default:
            guard let ms = try c.millis("sleep", max: 60_000) else { throw c.fail("sleep", "expected a duration") }
            action = .sleep(millis: ms)
        }
        expect = try c.value("expect") ?? .none
        let save = try c.value("save", as: [String: String].self) ?? [:]
        self.save = []
        for (name, path) in save.sorted(by: { $0.key < $1.key }) {
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }), !name.isEmpty
            else {
                throw c.fail("save", "capture names use letters, digits, `_`, `-` and `.`; got '\(name)'")
            }
            do {
                _ = try JSONPath(KeyedDecodingContainer<AnyKey>.placeholder(path))
            } catch {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: c.codingPath + [AnyKey("save"), AnyKey(name)], debugDescription: error.message)
                )
            }
            if ["run", "now"].contains(name) {
                throw c.fail("save", "'\(name)' is built in ({{\(name)}}); choose another capture name")
            }
            self.save.append(Capture(name: name, path: path))
        }
        if case .sleep = action, !expect.isEmpty || !self.save.isEmpty {
            throw c.fail("sleep", "a sleep step has no response to expect or save from")
        }
    }
}

extension RequestAction: Decodable {
    package init(from decoder: any Decoder) throws {
        // Shorthand: `request: GET /v1/customers/{{customer}}`.
        if let single = try? decoder.singleValueContainer(), let line = try? single.decode(String.self) {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, Self.methods.contains(parts[0]) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription:
                            "expected `METHOD /path` (METHOD one of \(Self.methods.joined(separator: ", "))) or a mapping with method and path; got '\(line)'"
                    )
                )
            }
            self.init(method: parts[0], path: parts[1].trimmingCharacters(in: .whitespaces))
            return
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["method", "path", "params", "body", "headers", "key", "idempotency_key", "retries"])
        let method: String = try c.required("method")
        guard Self.methods.contains(method) else {
            throw c.fail("method", "expected one of \(Self.methods.joined(separator: ", ")); got '\(method)'")
        }
        self.init(method: method, path: try c.required("path"))
        guard path.hasPrefix("/") || path.hasPrefix("{{") else {
            throw c.fail("path", "a path starts with `/` (e.g. /v1/customers)")
        }
        params = try c.value("params")
        if let p = params {
            guard case .object = p else { throw c.fail("params", "expected a mapping of parameter names to values") }
        }
        body = try c.value("body")
        if params != nil, body != nil { throw c.fail("body", "a request takes `params` or a raw `body`, not both") }
        headers = (try c.value("headers", as: [String: JSONValue].self) ?? [:]).mapValues(Template.text(of:))
        key = try c.value("key")
        idempotencyKey = try c.value("idempotency_key")
        retries = try c.value("retries") ?? 0
        if !(0...20).contains(retries) { throw c.fail("retries", "between 0 and 20") }
    }

    init(method: String, path: String) {
        self.method = method
        self.path = path
        headers = [:]
        retries = 0
    }
}

extension CompleteSessionAction: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["session", "institution", "accounts", "outcome", "key"])
        session = try c.required("session")
        institution = try c.value("institution")
        accounts = try c.value("accounts")
        outcome = try c.value("outcome")
        if let o = outcome, !["success", "cancelled", "failed"].contains(o) {
            throw c.fail("outcome", "expected success, cancelled or failed; got '\(o)'")
        }
        key = try c.value("key")
    }
}

extension AdvanceClockAction: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["clock", "to", "by", "timeout", "key"])
        clock = try c.required("clock")
        to = try c.value("to")
        byMillis = try c.millis("by")
        guard (to == nil) != (byMillis == nil) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath,
                    debugDescription:
                        "advance_clock takes `to` (Unix seconds) or `by` (a duration such as 5d), not both"
                )
            )
        }
        if let to {
            switch to {
            case .int: break
            case .string(let s) where s.contains("{{") || Int(s) != nil: break
            default: throw c.fail("to", "expected Unix seconds (an integer) or a {{capture}}")
            }
        }
        timeoutMillis = try c.millis("timeout", max: 600_000) ?? 10_000
        key = try c.value("key")
    }
}

extension WaitForAction: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["event", "object_id", "webhook_delivery", "get", "until", "timeout", "key"])
        let given = ["event", "webhook_delivery", "get"].filter { c.contains(AnyKey($0)) }
        guard given.count == 1 else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath,
                    debugDescription: "wait_for takes one of `event`, `webhook_delivery` or `get` (with `until`)"
                )
            )
        }
        if given[0] != "event", c.contains(AnyKey("object_id")) {
            throw c.fail("object_id", "object_id goes with `event`")
        }
        if given[0] != "get", c.contains(AnyKey("until")) { throw c.fail("until", "until goes with `get`") }
        switch given[0] {
        case "event":
            condition = .event(type: try c.required("event"), objectID: try c.value("object_id"))
        case "webhook_delivery":
            let d = try c.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("webhook_delivery"))
            try d.only(["query", "where"])
            let query = try d.value("query", as: JSONValue.self)
            if let q = query, case .object = q {
            } else if query != nil {
                throw d.fail("query", "expected a mapping of query parameters")
            }
            condition = .webhookDelivery(query: query, where: try d.pathExpectations("where") ?? [])
        default:
            guard let until = try c.pathExpectations("until"), !until.isEmpty else {
                throw c.fail("until", "`get` needs `until`: the JSON path expectations to wait for")
            }
            condition = .get(path: try c.required("get"), until: until)
        }
        timeoutMillis = try c.millis("timeout", max: 600_000) ?? 10_000
        key = try c.value("key")
    }
}

extension Expectation: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["status", "transport_error", "attempts", "headers", "json", "event_sequence"])
        status = try c.value("status")
        if let s = status, !(100...599).contains(s) { throw c.fail("status", "an HTTP status code (100–599)") }
        transportError = try c.value("transport_error")
        attempts = try c.value("attempts")
        var headers: [(name: String, matcher: Matcher)] = []
        for (name, value) in (try c.value("headers", as: [String: JSONValue].self) ?? [:]).sorted(by: {
            $0.key < $1.key
        }) {
            do {
                headers.append((name, try Matcher(value)))
            } catch {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: c.codingPath + [AnyKey("headers"), AnyKey(name)],
                        debugDescription: error.message
                    )
                )
            }
        }
        self.headers = headers
        json = try c.pathExpectations("json") ?? []
        eventSequence = try c.value("event_sequence")
        if transportError == true, status != nil || !json.isEmpty || !headers.isEmpty {
            throw c.fail("transport_error", "a dropped connection has no status, headers or body to expect")
        }
    }
}

extension EventSequence: Decodable {
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.only(["object", "types", "exact"])
        object = try c.required("object")
        types = try c.required("types")
        exact = try c.value("exact") ?? true
    }
}

extension Matcher {
    /// A mapping whose keys are all matcher names is a matcher; any other value is `equals` (use
    /// `{equals: {…}}` to compare with a mapping).
    package init(_ value: JSONValue) throws(ScenarioError) {
        self.init()
        guard case .object(let o) = value, !o.isEmpty, o.keys.allSatisfy(Self.keys.contains) else {
            equals = value
            return
        }
        equals = o["equals"]
        if let m = o["matches"] {
            guard case .string(let pattern) = m else {
                throw ScenarioError(message: "`matches` takes a regular expression string")
            }
            if !pattern.contains("{{") {
                do { _ = try Regex(pattern) } catch {
                    throw ScenarioError(message: "`matches`: '\(pattern)' is not a valid regular expression: \(error)")
                }
            }
            matches = pattern
        }
        if let e = o["exists"] {
            guard case .bool(let b) = e else { throw ScenarioError(message: "`exists` takes true or false") }
            exists = b
        }
        if let a = o["absent"] {
            guard case .bool(let b) = a else { throw ScenarioError(message: "`absent` takes true or false") }
            if exists != nil, exists == b {
                throw ScenarioError(message: "`exists` and `absent` contradict each other")
            }
            exists = !b
        }
        if let n = o["count"] {
            guard case .int(let i) = n, i >= 0 else {
                throw ScenarioError(message: "`count` takes a non-negative integer")
            }
            count = i
        }
    }
}
