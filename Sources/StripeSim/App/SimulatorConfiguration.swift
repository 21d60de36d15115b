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
    /// `--record FILE`: append every request and response to FILE as JSON lines (secrets masked; see
    /// `Recorder`). `nil`: no recording.
    package var recordPath: String?
    /// Largest request body accepted (bytes); larger bodies are a clean 413.
    package var maxBodyBytes = 1 << 20

    package init() {}

    /// The fixed instant a `--seed` run starts at: 2026-01-01T00:00:00Z.
    package static let seededStart = Date(timeIntervalSince1970: 1_767_225_600)
}
