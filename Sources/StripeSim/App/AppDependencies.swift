import Foundation
import Logging

/// What the app's parts use, injected (tests pass a `ManualClock` and `.incrementing()` ids).
package struct AppDependencies: Sendable {
    package var clock: any SimulatorClock
    package var ids: IDGenerator
    /// Request ids come from their own generator, so reads (and health checks) never shift object ids in a
    /// `--seed` run.
    package var requestIDs: IDGenerator
    package var database: AppDatabase
    package var logger: Logger
    package var idempotency = IdempotencyGate()
    /// `--ach-settlement-delay`: how long a debit off any test clock stays `processing`.
    package var achSettlementDelayMillis = 2000
    /// The institutions and accounts of the simulated banks (`Fixtures/`, plus `--fixtures DIR`).
    package var bank = BankFixtures()
    package var background = BackgroundWork()
    /// Real time, for what must follow the wall whatever `clock` says: webhook signatures (receivers compare
    /// `t` with their own clock) and webhook retry times.
    package var wallClock: any SimulatorClock = SystemClock()
    /// The last API requests of each account, for the dashboard (in memory; see `RequestLog`).
    package var requestLog = RequestLog()
    /// Sends webhooks; `nil` = the live HTTP transport, created and shut down by `WebhookDispatcher`.
    package var webhookTransport: (any WebhookTransport)?
    /// Fault rules, in memory (per server; `POST /v1/test_helpers/fault_rules` or a scenario's `faults:`).
    package var faults = FaultRegistry()
    /// `--record FILE`: every request and response, secrets masked (see `Recorder`).
    package var recorder: Recorder?
    /// Institutions a scenario adds or overrides (its `fixtures:`), as written: the bank merges them over the
    /// default fixtures when it loads them. `nil` outside scenarios.
    package var fixtureOverrides: JSONValue?

    package init(clock: any SimulatorClock, ids: IDGenerator, database: AppDatabase, logger: Logger) {
        self.clock = clock
        self.ids = ids
        self.requestIDs = .random
        self.database = database
        self.logger = logger
    }

    /// Dependencies for a configuration: seeded runs get seeded ids and a clock starting at a fixed instant.
    package static func live(_ config: SimulatorConfiguration) throws -> AppDependencies {
        let logger = Logger.simulator(label: "stripe-sim", level: config.logLevel)
        let clock: any SimulatorClock
        let ids: IDGenerator
        if let seed = config.seed {
            clock = OffsetClock(startingAt: SimulatorConfiguration.seededStart)
            ids = .seeded(seed)
        } else {
            clock = SystemClock()
            ids = .random
        }
        var deps = AppDependencies(
            clock: clock,
            ids: ids,
            database: try AppDatabase(path: config.databasePath),
            logger: logger
        )
        if let seed = config.seed { deps.requestIDs = .seeded(seed &+ 0x5EED) }
        deps.bank = try BankFixtures.loadDefault().overlaying(
            directories: config.fixturesDirectories.map { URL(fileURLWithPath: $0) }
        )
        let delay = config.achSettlementDelay.components
        deps.achSettlementDelayMillis = Int(delay.seconds) * 1000 + Int(delay.attoseconds / 1_000_000_000_000_000)
        if let path = config.recordPath { deps.recorder = try Recorder(path: path) }
        return deps
    }

    /// The context of one transaction for `account`: now (or a test clock's simulated `atSeconds`), ids, settings.
    package func storeContext(
        account: String,
        atSeconds: Int? = nil,
        requestID: String? = nil,
        idempotencyKey: String? = nil,
        apiVersion: String = StripeVersion.current
    ) -> StoreContext {
        let now = clock.now()
        var context = StoreContext(
            account: account,
            now: atSeconds ?? Int(now.timeIntervalSince1970),
            ids: ids,
            requestID: requestID,
            idempotencyKey: idempotencyKey,
            apiVersion: apiVersion,
            nowMillis: atSeconds.map { $0 * 1000 } ?? Scheduler.millis(now)
        )
        context.achSettlementDelayMillis = achSettlementDelayMillis
        context.bank = bank
        return context
    }

    /// Hands committed work to the background services.
    package func dispatch(_ signals: Set<Signal>) {
        for signal in signals {
            switch signal {
            case .clockAdvancing(let account, let id):
                background.clockAdvances.yield(ClockRef(account: account, id: id))
            // Only queued deliveries wake the dispatcher: an event no endpoint wants costs it nothing.
            case .webhooksQueued: background.events.yield(())
            case .jobsScheduled: background.jobs.yield(())
            }
        }
    }
}

/// Wake-up channels from request handlers to background services (never a `Task {}` per request).
package struct BackgroundWork: Sendable {
    package let clockAdvances: AsyncStream<ClockRef>.Continuation
    package let clockAdvanceStream: AsyncStream<ClockRef>
    package let events: AsyncStream<Void>.Continuation
    package let eventStream: AsyncStream<Void>
    package let jobs: AsyncStream<Void>.Continuation
    package let jobStream: AsyncStream<Void>

    package init() {
        (clockAdvanceStream, clockAdvances) = AsyncStream.makeStream(of: ClockRef.self)
        (eventStream, events) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (jobStream, jobs) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }
}

/// A test clock in an account.
package struct ClockRef: Sendable, Hashable {
    package var account: String
    package var id: String
}
