import Foundation
import Logging

/// How `stripe-sim run` runs scenarios.
package struct ScenarioRunOptions: Sendable {
    /// `--target URL`: a live server instead of a fresh in-process app per scenario.
    package var target: String?
    /// `--key KEY` (with `--target`): the key standing in for each scenario's own `key`, e.g. a real test-mode
    /// key. Without it, every test key a scenario uses gets a per-run suffix against a target, so each run is
    /// its own isolated account and parallel runs never see each other's objects or fault rules.
    package var key: String?
    /// `--seed N`: the id seed of in-process runs (default 0). Same seed, same bytes.
    package var seed: UInt64 = 0
    /// How many scenarios run at once.
    package var parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// In-process apps log at this level (default `error`, so the report stays readable).
    package var logLevel: Logger.Level = .error
    /// Sees every request a scenario sends and its response (`nil`: no response). For tests and tools.
    package var observer: (@Sendable (_ scenario: String, TransportRequest, TransportResponse?) -> Void)?

    package init() {}
}

/// One step's outcome.
package struct StepResult: Sendable {
    package enum Outcome: Sendable, Equatable { case passed, failed, skipped }

    package var index: Int
    package var name: String
    /// `POST /v1/customers → 200`.
    package var summary: String
    package var outcome: Outcome
    /// The first failing expectation (and how many others failed).
    package var failure: String?
    /// The response the failure is about, for the report.
    package var excerpt: String?
    package var line: Int?
    package var seconds: Double
}

/// One scenario's outcome.
package struct ScenarioResult: Sendable {
    package var file: String
    package var name: String
    package var tags: [String]
    package var steps: [StepResult]
    /// The scenario could not be read or set up (no steps ran).
    package var error: String?
    package var seconds: Double

    package var passed: Bool { error == nil && steps.allSatisfy { $0.outcome == .passed } }
}

extension ScenarioResult {
    /// `scenario`'s result before its time is taken: the steps it ran, or the error that kept it from running.
    init(_ scenario: Scenario, steps: [StepResult] = [], error: String? = nil) {
        self.init(
            file: scenario.file ?? "",
            name: scenario.name,
            tags: scenario.tags,
            steps: steps,
            error: error,
            seconds: 0
        )
    }
}

/// Runs scenarios: each against a fresh in-memory app in this process (seeded ids, a fixed clock: byte-identical
/// responses run after run), or against `--target`. Independent scenarios run in parallel; within a scenario
/// steps run in order and stop at the first failure (later steps depend on its captures).
///
/// Stages per scenario: build the app → install its fault rules → run the steps (render `{{…}}` → act → check
/// expectations → capture) → shut the app down.
///
/// ```swift
/// let scenarios = try Scenario.files(in: ["Scenarios"]).map { path in try Scenario.load(path) }
/// let results = await ScenarioRunner.run(scenarios, options: ScenarioRunOptions())
/// print(ScenarioReport.text(results, seconds: 0.1))
/// ```
package enum ScenarioRunner {
    package static func run(_ scenarios: [Scenario], options: ScenarioRunOptions) async -> [ScenarioResult] {
        let width = options.target != nil && options.key != nil ? 1 : max(1, options.parallelism)
        return await withTaskGroup(of: (Int, ScenarioResult).self) { group in
            var results = [ScenarioResult?](repeating: nil, count: scenarios.count)
            var next = 0
            func start() {
                let i = next
                let scenario = scenarios[i]
                group.addTask { (i, await run(scenario, options: options)) }
                next += 1
            }
            while next < min(width, scenarios.count) { start() }
            for await (i, result) in group {
                results[i] = result
                if next < scenarios.count { start() }
            }
            return results.map { $0! }
        }
    }

    /// Runs the scenario files named by `paths` (directories searched for `*.yaml`/`*.yml`) that carry one of
    /// `tags` (all when empty), in file order. A file that cannot be read is a failed result (it names its line
    /// and key), never skipped. Throws when nothing is left to run.
    package static func run(
        paths: [String],
        tags: [String],
        options: ScenarioRunOptions
    ) async throws(ScenarioError)
        -> [ScenarioResult]
    {
        let files = try Scenario.files(in: paths)
        var selected: [(Int, Scenario)] = []
        var results: [(Int, ScenarioResult)] = []
        for (i, file) in files.enumerated() {
            do {
                let scenario = try Scenario.load(file)
                if tags.isEmpty || !Set(tags).isDisjoint(with: scenario.tags) { selected.append((i, scenario)) }
            } catch {
                let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                results.append(
                    (
                        i,
                        ScenarioResult(
                            file: file,
                            name: name,
                            tags: [],
                            steps: [],
                            error: error.description,
                            seconds: 0
                        )
                    )
                )
            }
        }
        if selected.isEmpty && results.isEmpty {
            throw ScenarioError(
                message: files.isEmpty
                    ? "no scenario files in \(paths.joined(separator: ", "))"
                    : "no scenario has the tag \(tags.joined(separator: " or "))"
            )
        }
        let ran = await run(selected.map(\.1), options: options)
        results += zip(selected.map(\.0), ran).map { ($0, $1) }
        return results.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Runs one scenario.
    package static func run(_ scenario: Scenario, options: ScenarioRunOptions) async -> ScenarioResult {
        let started = ContinuousClock.now
        var result: ScenarioResult
        if let target = options.target {
            result = await runAgainstTarget(scenario, HTTPTransport(baseURL: target), options: options)
        } else {
            result = await runInProcess(scenario, options: options)
        }
        result.seconds = seconds(since: started)
        return result
    }

    /// The dependencies of an in-process scenario run: in-memory database, a fixed clock at
    /// 2026-01-01T00:00:00Z that only `sleep` steps move, seeded ids and request ids, the scenario's fixtures.
    package static func dependencies(
        for scenario: Scenario,
        seed: UInt64,
        logLevel: Logger.Level
    ) throws
        -> (AppDependencies, ManualClock)
    {
        let logger = Logger.simulator(label: "stripe-sim.scenario", level: logLevel)
        let clock = ManualClock(SimulatorConfiguration.seededStart)
        var deps = AppDependencies(
            clock: clock,
            ids: .seeded(seed),
            database: try AppDatabase(path: nil),
            logger: logger
        )
        deps.requestIDs = .seeded(seed &+ 0x5EED)
        deps.fixtureOverrides = scenario.fixtures
        // The scenario's own institutions (one object, or a list) over the built-in banks.
        var bank = try BankFixtures.loadDefault()
        switch scenario.fixtures {
        case .array(let institutions)?:
            for (i, institution) in institutions.enumerated() {
                bank = try bank.overlaying(institution, source: "\(scenario.name): fixtures[\(i)]")
            }
        case let institution?:
            bank = try bank.overlaying(institution, source: "\(scenario.name): fixtures")
        case nil: break
        }
        deps.bank = bank
        // No network in process: webhooks go to a scripted receiver (`/fail/N` in a URL fails N attempts).
        deps.webhookTransport = ScriptedWebhookTransport()
        return (deps, clock)
    }

    private static func runInProcess(_ scenario: Scenario, options: ScenarioRunOptions) async -> ScenarioResult {
        do {
            let (deps, clock) = try dependencies(for: scenario, seed: options.seed, logLevel: options.logLevel)
            for (i, spec) in scenario.faults.enumerated() {
                let owner = spec.accountKey ?? scenario.key
                let account: String
                if owner.hasPrefix("acct_") {
                    account = owner
                } else {
                    do { account = try APIKeyAuth.credentials(forKey: owner).account } catch {
                        return failed(scenario, "faults[\(i)].match.account: \(error.message)")
                    }
                }
                deps.faults.add(
                    FaultRule(id: deps.ids.make("fr"), account: account, created: clock.unixNow, spec: spec)
                )
            }
            var config = SimulatorConfiguration()
            config.seed = options.seed
            // Retries in tenths of a second: a scenario waiting for a retried delivery stays fast.
            if let fast = RetrySchedule.parse("50ms,100ms,200ms,400ms,800ms") { config.webhookRetrySchedule = fast }
            config.logLevel = options.logLevel
            let app = try await buildApplication(config, deps)
            let observer = options.observer
            let steps = try await InProcessServer.run(app, logger: deps.logger) { transport in
                var execution = ScenarioExecution(
                    scenario: scenario,
                    transport: ObservedTransport.wrap(transport, scenario.name, observer),
                    clock: clock,
                    runToken: "s\(options.seed)",
                    keyMap: { $0 }
                )
                return await execution.run()
            }
            return ScenarioResult(scenario, steps: steps)
        } catch {
            return failed(scenario, "could not start the in-process simulator: \(error)")
        }
    }

    private static func runAgainstTarget(
        _ scenario: Scenario,
        _ target: any StripeTransport,
        options: ScenarioRunOptions
    ) async -> ScenarioResult {
        let transport = ObservedTransport.wrap(target, scenario.name, options.observer)
        let token = IDGenerator.random.token(8)
        let override = options.key
        let keyMap: @Sendable (String) -> String = { key in
            if let override, key == scenario.key { return override }
            if override == nil, key.range(of: #"^(sk|pk|rk)_test_[A-Za-z0-9_]+$"#, options: .regularExpression) != nil {
                return key + "_" + token
            }
            return key
        }
        // Fault rules go in over HTTP, with the key whose account they apply to.
        var owners: Set<String> = []
        for (i, spec) in scenario.faults.enumerated() {
            let owner = spec.accountKey ?? scenario.key
            if owner.hasPrefix("acct_") {
                return failed(
                    scenario,
                    "faults[\(i)].match.account: against --target a rule is installed with an API key, not an account id"
                )
            }
            let key = keyMap(owner)
            owners.insert(key)
            let request = TransportRequest(
                method: "POST",
                path: FaultRulesController.url,
                headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: FormEncoding.encode(spec.formParameters)
            )
            do {
                let response = try await transport.send(request)
                guard response.status == 200 else {
                    return failed(
                        scenario,
                        "faults[\(i)]: the target refused the rule (HTTP \(response.status)): \(response.body.prefix(300))"
                    )
                }
            } catch {
                return failed(scenario, "faults[\(i)]: \(error)")
            }
        }
        var execution = ScenarioExecution(
            scenario: scenario,
            transport: transport,
            clock: nil,
            runToken: token,
            keyMap: keyMap
        )
        let steps = await execution.run()
        for key in owners {
            _ = try? await transport.send(
                TransportRequest(
                    method: "DELETE",
                    path: FaultRulesController.url,
                    headers: [("Authorization", "Bearer \(key)")]
                )
            )
        }
        if scenario.fixtures != nil {
            FileHandle.standardError.write(
                Data(
                    "note: \(scenario.file ?? scenario.name): fixtures apply in process only; the target uses its own.\n"
                        .utf8
                )
            )
        }
        return ScenarioResult(scenario, steps: steps)
    }

    private static func failed(_ scenario: Scenario, _ message: String) -> ScenarioResult {
        ScenarioResult(scenario, error: message)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Reports each exchange to an observer.
struct ObservedTransport: StripeTransport {
    let inner: any StripeTransport
    let name: String
    let observe: @Sendable (String, TransportRequest, TransportResponse?) -> Void

    static func wrap(
        _ inner: any StripeTransport,
        _ name: String,
        _ observe: (@Sendable (String, TransportRequest, TransportResponse?) -> Void)?
    ) -> any StripeTransport {
        guard let observe else { return inner }
        return ObservedTransport(inner: inner, name: name, observe: observe)
    }

    func send(_ request: TransportRequest) async throws(TransportError) -> TransportResponse {
        do {
            let response = try await inner.send(request)
            observe(name, request, response)
            return response
        } catch {
            observe(name, request, nil)
            throw error
        }
    }
}

// MARK: - One scenario's steps

/// The state of one scenario run: its captures and where its requests go.
struct ScenarioExecution {
    let scenario: Scenario
    let transport: any StripeTransport
    /// The in-process app's clock (`sleep` moves it); `nil` against a target.
    let clock: ManualClock?
    /// `{{run}}`: distinct per run against a target (idempotency keys must not collide across runs), fixed in
    /// process (byte-identical runs).
    let runToken: String
    let keyMap: @Sendable (String) -> String
    var vars: [String: JSONValue] = [:]

    init(
        scenario: Scenario,
        transport: any StripeTransport,
        clock: ManualClock?,
        runToken: String,
        keyMap: @escaping @Sendable (String) -> String
    ) {
        self.scenario = scenario
        self.transport = transport
        self.clock = clock
        self.runToken = runToken
        self.keyMap = keyMap
    }

    private var inProcess: Bool { clock != nil }
    private var pollInterval: Duration { inProcess ? .milliseconds(2) : .milliseconds(100) }

    mutating func run() async -> [StepResult] {
        var results: [StepResult] = []
        var failed = false
        for (i, step) in scenario.steps.enumerated() {
            let name = step.name ?? Self.defaultName(step)
            if failed {
                results.append(
                    StepResult(index: i + 1, name: name, summary: "", outcome: .skipped, line: step.line, seconds: 0)
                )
                continue
            }
            let started = ContinuousClock.now
            var result = StepResult(
                index: i + 1,
                name: name,
                summary: step.action.kind,
                outcome: .passed,
                line: step.line,
                seconds: 0
            )
            do {
                vars["run"] = .string(runToken)
                vars["now"] = .int(Int((clock?.now() ?? Date()).timeIntervalSince1970))
                let response = try await perform(step.action, index: i)
                if step.name == nil {
                    result.name = response.summary
                    result.summary = ""
                } else {
                    result.summary = response.summary
                }
                var failures = try step.expect.failures(response, vars)
                if failures.isEmpty, let sequence = step.expect.eventSequence {
                    if let failure = try await check(sequence, key: nil) { failures.append(failure) }
                }
                if failures.isEmpty {
                    try capture(step.save, from: response, into: &failures)
                }
                if let first = failures.first {
                    result.outcome = .failed
                    result.failure = first + (failures.count > 1 ? "  (+\(failures.count - 1) more)" : "")
                    result.excerpt = response.excerpt
                }
            } catch let error as ScenarioError {
                result.outcome = .failed
                result.failure = error.message
            } catch {
                result.outcome = .failed
                result.failure = "\(error)"
            }
            result.seconds = ScenarioRunner.seconds(since: started)
            failed = result.outcome == .failed
            results.append(result)
        }
        return results
    }

    static func defaultName(_ step: ScenarioStep) -> String {
        switch step.action {
        case .request(let r): "\(r.method) \(r.path)"
        case .completeSession(let c): "complete session \(c.session)"
        case .advanceClock(let a): "advance clock \(a.clock)"
        case .waitFor(let w):
            switch w.condition {
            case .event(let type, let object): "wait for \(type)" + (object.map { " on \($0)" } ?? "")
            case .webhookDelivery: "wait for a webhook delivery"
            case .get(let path, _): "wait for GET \(path)"
            }
        case .sleep(let ms): "sleep \(Self.duration(ms))"
        }
    }

    static func duration(_ ms: Int) -> String {
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    private mutating func capture(
        _ captures: [Capture],
        from response: StepResponse,
        into failures: inout [String]
    )
        throws(ScenarioError)
    {
        for c in captures {
            let path = try JSONPath(Template.render(c.path, vars))
            guard let json = response.json, let value = path.evaluate(json), value != .null else {
                failures.append("save \(c.name): \(path) is not in the response")
                return
            }
            vars[c.name] = value
        }
    }

    // MARK: Actions

    private func perform(_ action: ScenarioAction, index: Int) async throws -> StepResponse {
        switch action {
        case .request(let r):
            return try await request(r, index: index)
        case .completeSession(let c):
            var params: [String: JSONValue] = [:]
            if let i = c.institution { params["institution"] = .string(i) }
            if let a = c.accounts { params["accounts"] = .strings(a) }
            if let o = c.outcome { params["outcome"] = .string(o) }
            var r = RequestAction(
                method: "POST",
                path: "/v1/test_helpers/financial_connections/sessions/\(c.session)/complete"
            )
            r.params = .object(params)
            r.key = c.key
            return try await request(r, index: index)
        case .advanceClock(let a):
            return try await advance(a)
        case .waitFor(let w):
            return try await wait(w)
        case .sleep(let ms):
            if let clock {
                clock.advance(by: Double(ms) / 1000)
                await Task.yield()
            } else {
                try await Task.sleep(for: .milliseconds(ms))
            }
            return StepResponse(
                status: nil,
                headers: [],
                body: "",
                json: nil,
                transportError: nil,
                attempts: 0,
                summary: "sleep \(Self.duration(ms))" + (inProcess ? " (scenario clock)" : "")
            )
        }
    }

    /// Sends a request step (with its retries).
    private func request(_ r: RequestAction, index: Int) async throws -> StepResponse {
        let path = try Template.render(r.path, vars)
        var idempotencyKey = try r.idempotencyKey.map { k throws(ScenarioError) in try Template.render(k, vars) }
        if r.retries > 0, r.method == "POST", idempotencyKey == nil {
            // As the SDKs do: a POST that may be retried carries a key, so a retry cannot apply it twice.
            idempotencyKey = "stripe-sim-\(runToken)-step\(index + 1)"
        }
        var request = try build(
            method: r.method,
            path: path,
            params: r.params,
            headers: r.headers,
            key: r.key,
            idempotencyKey: idempotencyKey
        )
        if let raw = r.body {
            request.body = try Template.render(raw, vars)
            if !request.headers.contains(where: { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }) {
                let type = path.hasPrefix("/v2/") ? "application/json" : "application/x-www-form-urlencoded"
                request.headers.append(("Content-Type", type))
            }
        }
        var attempts = 0
        while true {
            attempts += 1
            let summary = "\(r.method) \(path)"
            var retryable: Bool
            let response: StepResponse
            do {
                let reply = try await transport.send(request)
                response = StepResponse(reply, attempts: attempts, summary: "\(summary) → \(reply.status)")
                retryable = [409, 429].contains(reply.status) || reply.status >= 500
                if let should = reply.header("Stripe-Should-Retry") { retryable = should == "true" }
            } catch {
                guard case .connectionDropped(let why) = error else { throw ScenarioError(message: error.description) }
                response = .dropped(why, attempts: attempts, summary: "\(summary) → dropped")
                retryable = true
            }
            if !retryable || attempts > r.retries {
                var final = response
                if attempts > 1 { final.summary += " (\(attempts) attempts)" }
                return final
            }
            if !inProcess { try await Task.sleep(for: .milliseconds(min(2000, 100 << (attempts - 1)))) }
        }
    }

    /// A transport request from a step's parts, `{{…}}` rendered.
    private func build(
        method: String,
        path: String,
        params: JSONValue?,
        headers: [String: String],
        key: String?,
        idempotencyKey: String?
    ) throws(ScenarioError) -> TransportRequest {
        var fields: [(name: String, value: String)] = []
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            fields.append((try Template.render(name, vars), try Template.render(value, vars)))
        }
        func has(_ name: String) -> Bool { fields.contains { $0.name.caseInsensitiveCompare(name) == .orderedSame } }
        let apiKey = keyMap(try Template.render(key ?? scenario.key, vars))
        if !apiKey.isEmpty, !has("Authorization") { fields.append(("Authorization", "Bearer \(apiKey)")) }
        if let v = scenario.stripeVersion, !has("Stripe-Version") { fields.append(("Stripe-Version", v)) }
        if let k = idempotencyKey, !has("Idempotency-Key") { fields.append(("Idempotency-Key", k)) }
        if !has("User-Agent") { fields.append(("User-Agent", "stripe-sim-scenario/1")) }
        var fullPath = path
        var body: String?
        let rendered = try params.map { p throws(ScenarioError) in try Template.render(p, vars) }
        if let rendered, case .object(let o) = rendered, !o.isEmpty {
            if method == "POST" {
                if path.hasPrefix("/v2/") {
                    body = rendered.serialized(pretty: false)
                    if !has("Content-Type") { fields.append(("Content-Type", "application/json")) }
                } else {
                    body = FormEncoding.encode(rendered)
                    if !has("Content-Type") { fields.append(("Content-Type", "application/x-www-form-urlencoded")) }
                }
            } else {
                fullPath += (path.contains("?") ? "&" : "?") + FormEncoding.encode(rendered)
            }
        }
        return TransportRequest(method: method, path: fullPath, headers: fields, body: body)
    }

    private func get(_ path: String, key: String?) async throws -> TransportResponse {
        let request = try build(method: "GET", path: path, params: nil, headers: [:], key: key, idempotencyKey: nil)
        do { return try await transport.send(request) } catch { throw ScenarioError(message: "GET \(path): \(error)") }
    }

    /// Reads the clock, asks it to advance, then polls until it is `ready`.
    private func advance(_ a: AdvanceClockAction) async throws -> StepResponse {
        let clockID = try Template.render(a.clock, vars)
        let path = "/v1/test_helpers/test_clocks/\(clockID)"
        let target: Int
        if let to = a.to {
            let rendered = try Template.render(to, vars)
            guard let t = rendered.intValue ?? Int(Template.text(of: rendered)) else {
                throw ScenarioError(message: "advance_clock.to: \(Template.text(of: rendered)) is not Unix seconds")
            }
            target = t
        } else {
            let current = try await get(path, key: a.key)
            guard current.status == 200, let frozen = current.json?["frozen_time"]?.intValue else {
                return StepResponse(current, summary: "GET \(path) → \(current.status)")
            }
            target = frozen + (a.byMillis ?? 0) / 1000
        }
        var r = RequestAction(method: "POST", path: path + "/advance")
        r.params = ["frozen_time": .int(target)]
        r.key = a.key
        let started = try await request(r, index: 0)
        guard started.status == 200 else { return started }
        let deadline = ContinuousClock.now + .milliseconds(a.timeoutMillis)
        while true {
            let reply = try await get(path, key: a.key)
            let status = reply.json?["status"]?.stringValue
            if reply.status != 200 || status == "ready" || status == "internal_failure" {
                return StepResponse(
                    reply,
                    summary: "advance \(clockID) to \(target) → \(status ?? String(reply.status))"
                )
            }
            if ContinuousClock.now > deadline {
                throw ScenarioError(
                    message:
                        "timed out after \(Double(a.timeoutMillis) / 1000)s waiting for test clock \(clockID) to be ready (still \(status ?? "?"))"
                )
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Polls until the condition holds or the timeout passes.
    private func wait(_ w: WaitForAction) async throws -> StepResponse {
        let deadline = ContinuousClock.now + .milliseconds(w.timeoutMillis)
        let seconds = Double(w.timeoutMillis) / 1000
        while true {
            var lastSeen = ""
            switch w.condition {
            case .event(let type, let objectID):
                let t = try Template.render(type, vars)
                let object = try objectID.map { o throws(ScenarioError) in try Template.render(o, vars) }
                let reply = try await get(
                    "/v1/events?limit=100&type=" + FormEncoding.escape(t, keepBrackets: false),
                    key: w.key
                )
                guard reply.status == 200 else {
                    return StepResponse(reply, summary: "wait for \(t) → HTTP \(reply.status)")
                }
                let events = reply.json?["data"]?.arrayValue ?? []
                if let hit = events.first(where: {
                    object == nil || $0["data"]?["object"]?["id"]?.stringValue == object
                }) {
                    let summary =
                        "wait for \(t)" + (object.map { " on \($0)" } ?? "") + " → \(hit["id"]?.stringValue ?? "")"
                    return StepResponse(
                        status: 200,
                        headers: reply.headers,
                        body: hit.serialized(),
                        json: hit,
                        transportError: nil,
                        attempts: 1,
                        summary: summary
                    )
                }
                lastSeen =
                    "\(events.count) \(t) event\(events.count == 1 ? "" : "s") so far"
                    + (object.map { ", none about \($0)" } ?? "")
            case .webhookDelivery(let query, let conditions):
                var path = "/v1/test_helpers/webhook_deliveries"
                if let q = try query.map({ q throws(ScenarioError) in try Template.render(q, vars) }) {
                    let encoded = FormEncoding.encode(q)
                    if !encoded.isEmpty { path += "?" + encoded }
                }
                let reply = try await get(path, key: w.key)
                guard reply.status == 200 else {
                    return StepResponse(reply, summary: "wait for a webhook delivery → HTTP \(reply.status)")
                }
                let items = reply.json?["data"]?.arrayValue ?? []
                for item in items where try PathExpectation.failures(conditions, in: item, vars).isEmpty {
                    return StepResponse(
                        status: 200,
                        headers: reply.headers,
                        body: item.serialized(),
                        json: item,
                        transportError: nil,
                        attempts: 1,
                        summary: "wait for a webhook delivery → \(item["id"]?.stringValue ?? "found")"
                    )
                }
                lastSeen = "\(items.count) deliveries so far, none matching"
            case .get(let rawPath, let until):
                let path = try Template.render(rawPath, vars)
                let reply = try await get(path, key: w.key)
                let failures =
                    try reply.json.map { j throws(ScenarioError) in try PathExpectation.failures(until, in: j, vars) }
                    ?? ["not JSON"]
                if failures.isEmpty {
                    return StepResponse(reply, summary: "wait for GET \(path) → \(reply.status)")
                }
                lastSeen = "last answer: HTTP \(reply.status), \(failures[0])"
            }
            if ContinuousClock.now > deadline {
                throw ScenarioError(message: "timed out after \(seconds)s (\(lastSeen))")
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// `event_sequence`: the types of the events about one object, oldest first.
    private func check(_ sequence: EventSequence, key: String?) async throws -> String? {
        let object = try Template.render(sequence.object, vars)
        var types: [String] = []
        var after: String?
        while true {
            let reply = try await get("/v1/events?limit=100" + (after.map { "&starting_after=\($0)" } ?? ""), key: key)
            guard reply.status == 200, let page = reply.json?["data"]?.arrayValue else {
                return "event_sequence: GET /v1/events answered HTTP \(reply.status)"
            }
            for event in page where event["data"]?["object"]?["id"]?.stringValue == object {
                types.append(event["type"]?.stringValue ?? "?")
            }
            guard reply.json?["has_more"] == true, let last = page.last?["id"]?.stringValue else { break }
            after = last
        }
        types.reverse()
        let want = try sequence.types.map { t throws(ScenarioError) in try Template.render(t, vars) }
        let ok: Bool
        if sequence.exact {
            ok = types == want
        } else {
            var rest = types[...]
            ok = want.allSatisfy { t in
                guard let i = rest.firstIndex(of: t) else { return false }
                rest = rest[(i + 1)...]
                return true
            }
        }
        if ok { return nil }
        return
            "event_sequence for \(object): expected \(want.joined(separator: " → "))\(sequence.exact ? "" : " (in order)"), got "
            + (types.isEmpty ? "no events" : types.joined(separator: " → "))
    }
}
