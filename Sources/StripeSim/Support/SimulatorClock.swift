import Foundation
import Synchronization

/// The simulator's source of "now". Stripe times are Unix seconds; injected so tests and `--seed` runs control it.
package protocol SimulatorClock: Sendable {
    func now() -> Date
}

extension SimulatorClock {
    /// Now as Unix seconds, the unit of every v1 timestamp.
    package var unixNow: Int { Int(now().timeIntervalSince1970) }
}

/// Wall time.
package struct SystemClock: SimulatorClock {
    package init() {}
    package func now() -> Date { Date() }
}

/// Wall time shifted so that the process starts at a fixed instant (`--seed` runs: same start, same timestamps
/// for requests made at the same offsets).
package struct OffsetClock: SimulatorClock {
    private let offset: TimeInterval

    package init(startingAt start: Date) { self.offset = start.timeIntervalSinceNow }
    package func now() -> Date { Date().addingTimeInterval(offset) }
}

/// A clock that moves only when told to: tests and scenarios.
package final class ManualClock: SimulatorClock {
    private let current: Mutex<Date>

    package init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) { current = Mutex(start) }
    package func now() -> Date { current.withLock { $0 } }
    package func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
    package func set(_ date: Date) { current.withLock { $0 = date } }
}

extension Date {
    /// RFC 3339 with milliseconds, the v2 timestamp format (`2025-06-09T21:16:03.000Z`).
    package var rfc3339Millis: String {
        let ms = Int((timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = ms / 1000
        let millis = ms % 1000
        let d = Date(timeIntervalSince1970: TimeInterval(seconds))
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
        func p(_ v: Int?, _ w: Int = 2) -> String {
            let s = String(v ?? 0)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(p(c.year, 4))-\(p(c.month))-\(p(c.day))T\(p(c.hour)):\(p(c.minute)):\(p(c.second)).\(p(millis, 3))Z"
    }
}
