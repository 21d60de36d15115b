import Logging

/// The simulator's log handler: swift-log's `StreamLogHandler` on standard error (the same lines), except that a
/// logger's metadata is formatted when a line is written instead of each time it changes.
///
/// Hummingbird gives every request's logger an `hb.request.id`; `StreamLogHandler` formats its whole metadata
/// anew on every such change (about 7,000 instructions a request, most of which never log a line).
package struct SimulatorLogHandler: LogHandler {
    /// Writes the lines; its own metadata stays empty.
    private var stream: StreamLogHandler
    package var metadata: Logger.Metadata = [:]

    /// Writes to standard error.
    package init(label: String) {
        stream = StreamLogHandler.standardError(label: label)
    }

    /// Writes to `stream` (tests).
    package init(label: String, stream: any TextOutputStream & Sendable) {
        self.stream = StreamLogHandler(label: label, stream: stream, metadataProvider: nil)
    }

    package var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        }
        stream.log(event: event)
    }
}

extension Logger {
    /// A logger at `level` writing through `SimulatorLogHandler`.
    package static func simulator(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { SimulatorLogHandler(label: $0) }
        logger.logLevel = level
        return logger
    }
}
