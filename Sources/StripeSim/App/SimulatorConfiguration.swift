import Foundation
import Logging

/// Everything the server is started with, in one value (the CLI fills it; tests build it directly).
package struct SimulatorConfiguration: Sendable {
    /// `--host` (default `127.0.0.1`: never all interfaces unless asked).
    package var host = "127.0.0.1"
    /// `--port` (default 12111, the port Stripe's SDK test suites expect).
    package var port = 12111
    /// `--db FILE`: SQLite file for durable state; `nil` keeps state in memory.
    package var databasePath: String?
    /// `--seed N`: deterministic ids and a fixed start time.
    package var seed: UInt64?
    /// `--log-level` (default `info`).
    package var logLevel: Logger.Level = .info
    /// `--ach-settlement-delay`: how long an ACH debit off any test clock stays `processing` before the bank
    /// answers (default 2 s; `0` settles at once). Debits of customers on a test clock follow the clock instead.
    package var achSettlementDelay: Duration = .seconds(2)
    /// `--fixtures DIR` (repeatable): bank fixture files that add or override the embedded defaults.
    package var fixturesDirectories: [String] = []
    /// `--record FILE`: append every request and response to FILE as JSON lines (secrets masked; see
    /// `Recorder`). `nil`: no recording.
    package var recordPath: String?
    /// Largest request body accepted (bytes); larger bodies are a clean 413.
    package var maxBodyBytes = 1 << 20
    /// `--forward-to URL` (env `STRIPE_SIM_FORWARD_TO`): every event of every account is also delivered to this
    /// URL, like `stripe listen --forward-to`, through the same durable queue as webhook endpoints. Default: none.
    package var forwardTo: String?
    /// `--forward-secret whsec_…` (env `STRIPE_SIM_FORWARD_SECRET`): the secret forwarded deliveries are signed
    /// with. Secret: printed once in the start banner, never logged whole. Default: generated at start.
    package var forwardSecret: String?
    /// `--forward-events type,type` (env `STRIPE_SIM_FORWARD_EVENTS`): the event types forwarded; `*` is a
    /// wildcard (`customer.*`). Default `["*"]`, every event.
    package var forwardEvents = ["*"]
    /// `--webhook-retry-schedule 1s,2s,4s` (env `STRIPE_SIM_WEBHOOK_RETRY_SCHEDULE`): waits between automatic
    /// attempts of a failed delivery (`none`: one attempt only). Default `1s,2s,4s,8s,16s` (six attempts).
    package var webhookRetrySchedule = RetrySchedule.default
    /// Time allowed for one webhook POST (connect to response head) before it counts as failed. Default 10 s,
    /// as Stripe's delivery timeout; no CLI option.
    package var webhookTimeout = Duration.seconds(10)

    package init() {}

    /// The fixed instant a `--seed` run starts at: 2026-01-01T00:00:00Z.
    package static let seededStart = Date(timeIntervalSince1970: 1_767_225_600)
}
