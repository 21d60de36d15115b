import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StripeSim

/// The `stripe-sim` command line: parse → build configuration → call the library.
@main
struct StripeSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stripe-sim",
        abstract:
            "An offline, stateful simulator of the Stripe API (customers, Accounts v2, Financial Connections, ACH).",
        subcommands: [Serve.self, Run.self, Replay.self, RecordToScenario.self, Ceiling.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the simulated API (the default command).")

    @Option(help: "Address to bind. Default 127.0.0.1; use 0.0.0.0 only on purpose. Env: STRIPE_SIM_HOST.")
    var host: String?

    @Option(help: "Port. Default 12111. Env: STRIPE_SIM_PORT.")
    var port: Int?

    @Option(help: "SQLite file for durable state (WAL). Default: in memory. Env: STRIPE_SIM_DB.")
    var db: String?

    @Option(help: "Seed for deterministic ids and a fixed start time (2026-01-01T00:00:00Z). Env: STRIPE_SIM_SEED.")
    var seed: UInt64?

    @Option(help: "trace, debug, info, notice, warning, error or critical. Default info. Env: STRIPE_SIM_LOG_LEVEL.")
    var logLevel: String?

    @Option(
        help:
            "A folder (or .json file) of bank fixtures adding to or overriding the built-in ones; repeatable. Env: STRIPE_SIM_FIXTURES (colon-separated)."
    )
    var fixtures: [String] = []

    @Option(
        help:
            "How long an ACH debit off any test clock stays processing: 0, 500ms, 2s, 1m. Default 2s. Env: STRIPE_SIM_ACH_SETTLEMENT_DELAY."
    )
    var achSettlementDelay: String?

    @Option(
        help: ArgumentHelp(
            "Also deliver every event of every account to this URL, signed, like `stripe listen --forward-to`. Env: STRIPE_SIM_FORWARD_TO.",
            valueName: "url"
        )
    )
    var forwardTo: String?

    @Option(
        help: ArgumentHelp(
            "Secret that forwarded deliveries are signed with. Default: generated and printed at start. Env: STRIPE_SIM_FORWARD_SECRET.",
            valueName: "whsec_..."
        )
    )
    var forwardSecret: String?

    @Option(
        help: ArgumentHelp(
            "Comma-separated event types to forward; `*` is a wildcard (customer.*). Default: every event. Env: STRIPE_SIM_FORWARD_EVENTS.",
            valueName: "type,type"
        )
    )
    var forwardEvents: String?

    @Option(
        help: ArgumentHelp(
            "Waits between automatic attempts of a failed webhook delivery (ms, s, m, h; `none`: no retries). Default 1s,2s,4s,8s,16s. Env: STRIPE_SIM_WEBHOOK_RETRY_SCHEDULE.",
            valueName: "1s,2s,4s"
        )
    )
    var webhookRetrySchedule: String?

    @Option(
        help:
            "Append every request and response to FILE as JSON lines, secrets masked (for `replay` and `record-to-scenario`). Env: STRIPE_SIM_RECORD."
    )
    var record: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535.") }
        if let achSettlementDelay, Self.parseDuration(achSettlementDelay) == nil {
            throw ValidationError("--ach-settlement-delay takes a duration such as 0, 500ms, 2s or 1m.")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        if let forwardTo {
            do { try WebhookEndpoint.validateURL(forwardTo) } catch {
                throw ValidationError("--forward-to must be an absolute http:// or https:// URL, got \(forwardTo).")
            }
        }
        if let forwardSecret, !forwardSecret.hasPrefix("whsec_") || forwardSecret.count < 10 {
            throw ValidationError("--forward-secret must start with whsec_ (and have at least 4 characters after it).")
        }
        if let forwardEvents, Self.list(forwardEvents).isEmpty {
            throw ValidationError("--forward-events must name at least one event type (or *).")
        }
        if let webhookRetrySchedule, RetrySchedule.parse(webhookRetrySchedule) == nil {
            throw ValidationError(
                "--webhook-retry-schedule must be comma-separated durations such as 1s,2s,4s (ms, s, m, h; at most 7 days each) or none."
            )
        }
    }

    static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `0`, `500ms`, `2s`, `1m`, `1h`.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        if let n = Int64(text) { return n == 0 ? .zero : nil }
        for (suffix, ms) in units where text.hasSuffix(suffix) {
            guard let n = Int64(text.dropLast(suffix.count)), n >= 0 else { return nil }
            return .milliseconds(n * ms)
        }
        return nil
    }

    func configuration() throws -> SimulatorConfiguration {
        let env = ProcessInfo.processInfo.environment
        var config = SimulatorConfiguration()
        config.host = host ?? env["STRIPE_SIM_HOST"] ?? config.host
        if let p = port ?? env["STRIPE_SIM_PORT"].flatMap(Int.init) { config.port = p }
        config.databasePath = db ?? env["STRIPE_SIM_DB"]
        config.seed = seed ?? env["STRIPE_SIM_SEED"].flatMap(UInt64.init)
        config.recordPath = record ?? env["STRIPE_SIM_RECORD"]
        if let level = (logLevel ?? env["STRIPE_SIM_LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) {
            config.logLevel = level
        }
        config.fixturesDirectories =
            fixtures.isEmpty ? (env["STRIPE_SIM_FIXTURES"]?.split(separator: ":").map(String.init) ?? []) : fixtures
        if let delay = (achSettlementDelay ?? env["STRIPE_SIM_ACH_SETTLEMENT_DELAY"]).flatMap(Self.parseDuration) {
            config.achSettlementDelay = delay
        }
        config.forwardTo = forwardTo ?? env["STRIPE_SIM_FORWARD_TO"]
        if config.forwardTo != nil {
            config.forwardSecret = forwardSecret ?? env["STRIPE_SIM_FORWARD_SECRET"] ?? WebhookEndpoint.makeSecret()
        }
        if let events = (forwardEvents ?? env["STRIPE_SIM_FORWARD_EVENTS"]).map(Self.list), !events.isEmpty {
            config.forwardEvents = events
        }
        if let schedule = (webhookRetrySchedule ?? env["STRIPE_SIM_WEBHOOK_RETRY_SCHEDULE"]).flatMap(
            RetrySchedule.parse
        ) {
            config.webhookRetrySchedule = schedule
        }
        return config
    }

    func run() async throws {
        let config = try configuration()
        let deps = try AppDependencies.live(config)
        let app = try await buildApplication(config, deps)
        let url = "http://\(config.host):\(config.port)"
        var banner = "stripe-sim listening on \(url)\n"
        banner +=
            "storage: \(config.databasePath.map { "SQLite file \($0) (WAL)" } ?? "in memory (state is lost on exit; --db FILE keeps it)")\n"
        if let seed = config.seed { banner += "seed: \(seed) (deterministic ids, clock starts 2026-01-01T00:00:00Z)\n" }
        if let forwardTo = config.forwardTo, let secret = config.forwardSecret {
            banner += "forwarding \(config.forwardEvents.joined(separator: ",")) events to \(forwardTo)\n"
            banner += "Ready! Your webhook signing secret is \(secret)\n"
        }
        banner +=
            "webhook retries: \(config.webhookRetrySchedule) (\(config.webhookRetrySchedule.maxAttempts) attempts)\n"
        if let record = config.recordPath {
            banner += "recording every request and response to \(record) (secrets masked)\n"
        }
        banner +=
            "point an SDK at it: stripe.StripeClient(\"sk_test_123\", base_addresses={\"api\": \"\(url)\"})  ·  curl \(url)/v1/customers -u sk_test_123:\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        try await app.runService()
    }
}

/// `stripe-sim run`: parse → load scenarios → `ScenarioRunner` → report, JUnit, exit code.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenario files: in process (no port, no network) or against --target.",
        discussion: """
            Each scenario runs against a fresh in-memory simulator with seeded ids and a fixed clock, so a run \
            gives byte-identical responses every time; independent scenarios run in parallel. Exits 1 when a \
            scenario fails (or none matched). See the README, section Scenarios.
            """
    )

    @Argument(help: "Scenario files, or directories searched for *.yaml and *.yml.")
    var paths: [String]

    @Option(help: "Run against a live server at this base URL (ours, or anything that speaks the API).")
    var target: String?

    @Option(
        help:
            "With --target: the API key to use in place of each scenario's own key (e.g. a real test-mode key). Without it each run's keys get a fresh suffix: an isolated account per run."
    )
    var key: String?

    @Option(help: "Write a JUnit XML report to FILE.")
    var junit: String?

    @Option(help: "Only run scenarios with this tag (repeat for any of several).")
    var filter: [String] = []

    @Option(help: "Id seed for in-process runs (default 0).")
    var seed: UInt64?

    @Option(help: "How many scenarios run at once (default: the number of cores).")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if key != nil, target == nil { throw ValidationError("--key only applies with --target.") }
        if let target, URL(string: target)?.scheme == nil {
            throw ValidationError("--target takes a base URL such as http://127.0.0.1:12111.")
        }
    }

    func run() async throws {
        let started = ContinuousClock.now
        var options = ScenarioRunOptions()
        options.target = target
        options.key = key
        if let seed { options.seed = seed }
        if let jobs { options.parallelism = jobs }
        let ordered: [ScenarioResult]
        do {
            ordered = try await ScenarioRunner.run(paths: paths, tags: filter, options: options)
        } catch {
            FileHandle.standardError.write(Data("stripe-sim run: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        print(ScenarioReport.text(ordered, seconds: seconds, color: color), terminator: "")
        if let junit {
            let url = URL(fileURLWithPath: junit)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try JUnit.xml(ordered).write(to: url, atomically: true, encoding: .utf8)
        }
        if ordered.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}

/// `stripe-sim replay`: re-issue a recording and diff the responses.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a --record file against a fresh in-process server (or --target) and diff the responses.",
        discussion: """
            Ids are matched by order of first appearance and timestamps compare as <time>, so only real \
            differences show. Exits 1 when a response differs.
            """
    )

    @Argument(help: "A recording written by `serve --record FILE`.")
    var file: String

    @Option(help: "Replay against a live server at this base URL instead of in process.")
    var target: String?

    @Option(help: "With --target: the key to use for every recorded secret key (e.g. a real test-mode key).")
    var key: String?

    @Option(help: "Id seed of the in-process server (default 0).")
    var seed: UInt64?

    func validate() throws {
        if key != nil, target == nil { throw ValidationError("--key only applies with --target.") }
    }

    func run() async throws {
        let recording = try RecordedExchange.load(file)
        var options = Replayer.Options()
        options.target = target
        options.key = key
        if let seed { options.seed = seed }
        let report = try await Replayer.replay(recording, options: options)
        let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        print(Replayer.text(report, color: color), terminator: "")
        if !report.identical { throw ExitCode(1) }
    }
}

/// `stripe-sim record-to-scenario`: a recording as a scenario file.
struct RecordToScenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-to-scenario",
        abstract: "Turn a --record file into a scenario (captures for ids, expectations on status and key fields)."
    )

    @Argument(help: "A recording written by `serve --record FILE`.")
    var file: String

    @Option(name: [.short, .customLong("output")], help: "Write the scenario to OUT.yaml (default: standard output).")
    var output: String?

    @Option(help: "The scenario's name (default: from the file name).")
    var name: String?

    func run() async throws {
        let recording = try RecordedExchange.load(file)
        let title = name ?? "Recorded: " + URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        let yaml = try ScenarioWriter.yaml(
            from: recording,
            name: title,
            source: URL(fileURLWithPath: file).lastPathComponent
        )
        if let output {
            try yaml.write(toFile: output, atomically: true, encoding: .utf8)
            FileHandle.standardError.write(Data("wrote \(output) (\(recording.count) steps)\n".utf8))
        } else {
            print(yaml, terminator: "")
        }
    }
}

/// A bare Hummingbird route with a fixed JSON body: the benchmark's ceiling on this machine (hidden).
struct Ceiling: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve GET / with a fixed small JSON body (benchmark ceiling).",
        shouldDisplay: false
    )

    @Option var host = "127.0.0.1"
    @Option var port = 12112

    func run() async throws {
        let router = Router()
        router.get("/") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"id": "cus_ceiling", "object": "customer"}"#))
            )
        }
        var logger = Logger(label: "ceiling")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port)),
            logger: logger
        )
        try await app.runService()
    }
}
