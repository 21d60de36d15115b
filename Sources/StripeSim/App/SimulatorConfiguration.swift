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
    /// Largest request body accepted (bytes); larger bodies are a clean 413.
    package var maxBodyBytes = 1 << 20

    package init() {}

    /// The fixed instant a `--seed` run starts at: 2026-01-01T00:00:00Z.
    package static let seededStart = Date(timeIntervalSince1970: 1_767_225_600)
}
