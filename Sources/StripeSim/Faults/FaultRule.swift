import Foundation

/// A fault rule: which requests it matches, on which of those it fires, and what it does then.
///
/// Rules come from a scenario's `faults:` or from `POST /v1/test_helpers/fault_rules`; both are validated by
/// `FaultRule.Spec.init(_:)` against the same parameter schema, so a rule means the same thing wherever it is
/// written. Counting is per rule: every request the rule *matches* advances its counter, whether it fires or not.
package struct FaultRule: Sendable {
    package var id: String
    /// The account whose requests the rule applies to (the account of the key that created it). Rules never
    /// cross accounts, so parallel test jobs sharing one server cannot fault each other.
    package var account: String
    package var created: Int
    package var spec: Spec
    /// Requests matched so far.
    package var matched = 0
    /// Requests the rule fired on so far.
    package var fired = 0
    /// The seeded generator a `probability` trigger draws from (one draw per matched request).
    var random: SplitMix64

    package init(id: String, account: String, created: Int, spec: Spec) {
        self.id = id
        self.account = account
        self.created = created
        self.spec = spec
        if case .probability(_, let seed) = spec.trigger {
            random = SplitMix64(seed: seed)
        } else {
            random = SplitMix64(seed: 0)
        }
    }

    /// What a rule says, as written (no identity or counters).
    package struct Spec: Sendable, Equatable {
        package var match: Match
        package var trigger: Trigger
        package var effect: Effect
        /// A scenario's `match.account`: the API key the rule is installed with (default: the scenario's key).
        package var accountKey: String?
    }

    package struct Match: Sendable, Equatable {
        /// `GET`, `POST`, `DELETE`; `nil` matches any method.
        package var method: String?
        package var path: PathPattern
        /// A request parameter (bracket notation, `a[b][c]`; `a[]` matches any element of a list) and optionally
        /// its value.
        package var parameter: Parameter?
    }

    package struct Parameter: Sendable, Equatable {
        package var name: String
        package var value: String?
    }

    package enum Trigger: Sendable, Equatable {
        /// Every matched request.
        case always
        /// Only the Nth matched request.
        case nth(Int)
        /// The first N matched requests.
        case times(Int)
        /// Every Kth matched request (K, 2K, 3K…).
        case every(Int)
        /// Each matched request with probability p, drawn from a generator seeded with `seed`.
        case probability(Double, seed: UInt64)
    }

    package struct Effect: Sendable, Equatable {
        package var error: ErrorEffect?
        package var latencyMillis: Int?
        package var drop: DropMoment?
    }

    package struct ErrorEffect: Sendable, Equatable {
        package var status: Int
        package var type: String
        package var code: String?
        package var message: String
        package var param: String?
        package var declineCode: String?
    }

    /// When a dropped connection closes: `before` the request is applied (nothing happened), or `after` it
    /// was applied (the change and its idempotency record are committed; only the answer is lost).
    package enum DropMoment: String, Sendable, Equatable { case before, after }

    /// Counts a matched request and says whether the rule fires on it.
    mutating func count() -> Bool {
        matched += 1
        let fires: Bool
        switch spec.trigger {
        case .always: fires = true
        case .nth(let n): fires = matched == n
        case .times(let n): fires = matched <= n
        case .every(let k): fires = matched % k == 0
        case .probability(let p, _): fires = Double(random.next() >> 11) * 0x1p-53 < p
        }
        if fires { fired += 1 }
        return fires
    }

    /// The error a fired `error` effect answers with (rendered as v1 or v2 by `StripeMiddleware`).
    package func stripeError() -> StripeError? {
        guard let e = spec.effect.error else { return nil }
        var extra: [String: JSONValue] = [:]
        if let d = e.declineCode { extra["decline_code"] = .string(d) }
        return StripeError(
            status: e.status,
            type: e.type,
            code: e.code,
            message: e.message,
            param: e.param,
            extra: extra
        )
    }
}

// MARK: - Path patterns

/// A path pattern: `/v1/payment_intents/*/confirm` (`*` is one segment), `/v1/**` (`**` is any number of
/// segments, zero included). Matched against the request path without its query string.
package struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    package let description: String
    private let segments: [Substring]

    package init(_ text: String) throws(StripeError) {
        guard text.hasPrefix("/") else {
            throw .validation("Invalid match[path]: '\(text)' must start with '/'.", param: "match[path]")
        }
        description = text
        segments = Self.split(text)
        for s in segments where s != "*" && s != "**" && s.contains("*") {
            throw .validation(
                "Invalid match[path]: '\(text)': a wildcard must be a whole segment (`*` for one, `**` for any number).",
                param: "match[path]"
            )
        }
    }

    private static func split(_ path: some StringProtocol) -> [Substring] {
        Substring(path).split(separator: "/", omittingEmptySubsequences: true)
    }

    package func matches(_ path: String) -> Bool {
        Self.match(segments[...], Self.split(path)[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            if rest.isEmpty { return true }
            for start in path.indices where match(rest, path[start...]) { return true }
            return match(rest, path[path.endIndex...])
        }
        guard let segment = path.first, head == "*" || head == segment else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}

// MARK: - Parsing and rendering

extension FaultRule.Spec {
    /// The parameters of `POST /v1/test_helpers/fault_rules`, and the shape of a scenario's `faults:` item
    /// (which may also name `match[account]`: the key the rule is installed with).
    package static func schema(scenario: Bool = false) -> ParamSchema {
        var match: ParamSchema = [
            "method": .oneOf("GET", "POST", "DELETE", "*"),
            "path": .string(max: 2000).isRequired,
            "parameter": .hash(["name": .string(max: 500).isRequired, "value": .string(max: 5000)]),
        ]
        if scenario { match["account"] = .string(max: 300) }
        return [
            "match": Param.hash(match).isRequired,
            "trigger": .hash([
                "nth": .integer(min: 1), "times": .integer(min: 1), "every": .integer(min: 1),
                "probability": .string(max: 32), "seed": .integer(min: 0),
            ]),
            "effect": Param.hash([
                "error": .hash([
                    "status": .integer(min: 400, max: 599), "type": .string(max: 100), "code": .string(max: 100),
                    "message": .string(max: 5000), "param": .string(max: 500), "decline_code": .string(max: 100),
                ]),
                "latency_ms": .integer(min: 0, max: 60_000),
                "drop": .oneOf("before", "after"),
            ]).isRequired,
        ]
    }

    /// A rule from validated parameters (the endpoint's, or a scenario item run through `schema(scenario:)`).
    package init(_ p: Params) throws(StripeError) {
        let m = p.hash("match") ?? Params()
        let path = try PathPattern(m.string("path") ?? "")
        var method = m.string("method")
        if method == "*" { method = nil }
        var parameter: FaultRule.Parameter?
        if let h = m.hash("parameter") {
            parameter = FaultRule.Parameter(name: h.string("name") ?? "", value: h.string("value"))
        }
        match = FaultRule.Match(method: method, path: path, parameter: parameter)
        accountKey = m.string("account")

        let t = p.hash("trigger") ?? Params()
        let given = ["nth", "times", "every", "probability"].filter { t.has($0) }
        if given.count > 1 {
            throw .validation(
                "A fault rule takes one trigger; received \(given.map { "trigger[\($0)]" }.joined(separator: " and ")).",
                param: "trigger"
            )
        }
        if t.has("seed"), !t.has("probability") {
            throw .validation("trigger[seed] is only used with trigger[probability].", param: "trigger[seed]")
        }
        if let n = t.int("nth") {
            trigger = .nth(n)
        } else if let n = t.int("times") {
            trigger = .times(n)
        } else if let k = t.int("every") {
            trigger = .every(k)
        } else if let text = t.string("probability") {
            guard let p = Double(text), (0...1).contains(p) else {
                throw .validation(
                    "Invalid trigger[probability]: '\(text)' must be a number between 0 and 1.",
                    param: "trigger[probability]"
                )
            }
            trigger = .probability(p, seed: UInt64(t.int("seed") ?? 0))
        } else {
            trigger = .always
        }

        let e = p.hash("effect") ?? Params()
        var effect = FaultRule.Effect(latencyMillis: e.int("latency_ms"))
        if let d = e.string("drop") { effect.drop = FaultRule.DropMoment(rawValue: d) }
        if let h = e.hash("error") {
            if effect.drop != nil {
                throw .validation(
                    "effect[error] and effect[drop] cannot be combined: a dropped connection has no answer.",
                    param: "effect"
                )
            }
            effect.error = Self.error(h)
        }
        if effect.error == nil, effect.drop == nil, effect.latencyMillis == nil {
            throw .validation(
                "A fault rule needs an effect: effect[error], effect[latency_ms] or effect[drop].",
                param: "effect"
            )
        }
        self.effect = effect
    }

    /// An `error` effect with Stripe's defaults filled in for what was left out.
    private static func error(_ h: Params) -> FaultRule.ErrorEffect {
        let status = h.int("status") ?? 500
        let type =
            h.string("type")
            ?? {
                switch status {
                case 402: "card_error"
                case 500...: "api_error"
                default: "invalid_request_error"
                }
            }()
        let code = h.string("code") ?? (status == 429 ? "rate_limit" : nil)
        let message =
            h.string("message")
            ?? {
                switch status {
                case 429:
                    "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits."
                case 500...: "An unknown error occurred while processing this request (simulated fault)."
                default: "A simulated fault rule answered this request."
                }
            }()
        return FaultRule.ErrorEffect(
            status: status,
            type: type,
            code: code,
            message: message,
            param: h.string("param"),
            declineCode: h.string("decline_code")
        )
    }

    /// The rule as form parameters (bracket notation), to install it over HTTP on a `--target`.
    package var formParameters: [(String, String)] {
        var out: [(String, String)] = [("match[path]", match.path.description)]
        out.append(("match[method]", match.method ?? "*"))
        if let p = match.parameter {
            out.append(("match[parameter][name]", p.name))
            if let v = p.value { out.append(("match[parameter][value]", v)) }
        }
        switch trigger {
        case .always: break
        case .nth(let n): out.append(("trigger[nth]", String(n)))
        case .times(let n): out.append(("trigger[times]", String(n)))
        case .every(let k): out.append(("trigger[every]", String(k)))
        case .probability(let p, let seed):
            out.append(("trigger[probability]", String(p)))
            out.append(("trigger[seed]", String(seed)))
        }
        if let e = effect.error {
            out += [("effect[error][status]", String(e.status)), ("effect[error][type]", e.type)]
            out.append(("effect[error][message]", e.message))
            if let c = e.code { out.append(("effect[error][code]", c)) }
            if let p = e.param { out.append(("effect[error][param]", p)) }
            if let d = e.declineCode { out.append(("effect[error][decline_code]", d)) }
        }
        if let ms = effect.latencyMillis { out.append(("effect[latency_ms]", String(ms))) }
        if let d = effect.drop { out.append(("effect[drop]", d.rawValue)) }
        return out
    }
}

extension FaultRule {
    /// `object: "test_helpers.fault_rule"`.
    package func render() -> JSONValue {
        var trigger: JSONValue
        switch spec.trigger {
        case .always: trigger = ["type": "always"]
        case .nth(let n): trigger = ["type": "nth", "nth": .int(n)]
        case .times(let n): trigger = ["type": "times", "times": .int(n)]
        case .every(let k): trigger = ["type": "every", "every": .int(k)]
        case .probability(let p, let seed):
            trigger = ["type": "probability", "probability": .double(p), "seed": .int(Int(truncatingIfNeeded: seed))]
        }
        var effect: JSONValue = [
            "error": nil, "latency_ms": .optional(spec.effect.latencyMillis),
            "drop": .optional(spec.effect.drop?.rawValue),
        ]
        if let e = spec.effect.error {
            var error: JSONValue = [
                "status": .int(e.status), "type": .string(e.type), "code": .optional(e.code),
                "message": .string(e.message), "param": .optional(e.param),
            ]
            if let d = e.declineCode { error["decline_code"] = .string(d) }
            effect["error"] = error
        }
        let parameter: JSONValue =
            spec.match.parameter.map { ["name": .string($0.name), "value": .optional($0.value)] } ?? .null
        return [
            "id": .string(id), "object": "test_helpers.fault_rule",
            "created": .int(created),
            "livemode": false,
            "match": [
                "method": .string(spec.match.method ?? "*"), "path": .string(spec.match.path.description),
                "parameter": parameter,
            ],
            "trigger": trigger,
            "effect": effect,
            "matched": .int(matched),
            "fired": .int(fired),
        ]
    }
}
