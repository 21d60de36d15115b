import Foundation
import Logging

/// `stripe-sim replay FILE [--target URL]`: re-issues a recording's requests, in order, against a fresh
/// in-process server (or a target) and compares each response with the recorded one.
///
/// Ids differ between runs, so they are matched up: the id-like tokens of each recorded response (its
/// `Request-Id`, then its body) are paired with those of the replayed response by order of first appearance.
/// Later requests have their recorded ids rewritten to the replay's before they are sent, and replayed
/// responses have the replay's ids written back to the recorded ones before the comparison. Timestamps
/// (`created`, `*_at`, `*_time`, … and RFC 3339 strings) compare as `<time>`.
///
/// In process the clock starts at 2026-01-01T00:00:00Z and moves, before each request, by the time that had
/// passed in the recording (`elapsed_ms`), without waiting: work that falls due on wall time (a settlement
/// delay) falls due as it did, and the same recording gives the same bytes every time.
package enum Replayer {
    package struct Options: Sendable {
        /// Replay against a server at this URL instead of a fresh in-process one.
        package var target: String?
        /// With `target`: the key to use for every recorded secret-key alias (e.g. a real test key). Without it,
        /// each alias becomes a fresh test key for this run.
        package var key: String?
        /// In-process id seed (default 0).
        package var seed: UInt64 = 0

        package init() {}
    }

    /// One exchange that came out differently.
    package struct Difference: Sendable {
        package var seq: Int
        package var request: String
        package var lines: [String]
    }

    package struct Report: Sendable {
        package var exchanges: Int
        package var differences: [Difference]
        /// The replayed responses, as received (status or `nil` when dropped, body).
        package var responses: [(status: Int?, body: String)]

        package var identical: Bool { differences.isEmpty }
    }

    package static func replay(_ recording: [RecordedExchange], options: Options) async throws -> Report {
        if let target = options.target {
            let token = IDGenerator.random.token(6)
            let override = options.key
            return await replay(recording, transport: HTTPTransport(baseURL: target), clock: nil) { alias in
                if let override {
                    if alias.hasPrefix("sk_") || alias.hasPrefix("rk_") { return override }
                    return alias
                }
                return alias + "_" + token
            }
        }
        let logger = Logger.simulator(label: "stripe-sim.replay", level: .error)
        let clock = ManualClock(SimulatorConfiguration.seededStart)
        var deps = AppDependencies(
            clock: clock,
            ids: .seeded(options.seed),
            database: try AppDatabase(path: nil),
            logger: logger
        )
        deps.requestIDs = .seeded(options.seed &+ 0x5EED)
        var config = SimulatorConfiguration()
        config.seed = options.seed
        let app = try await buildApplication(config, deps)
        return try await InProcessServer.run(app, logger: logger) { transport in
            await replay(recording, transport: transport, clock: clock) { $0 }
        }
    }

    /// Replays through `transport`; `key` maps a recorded key alias to the key to send; `clock`, when given,
    /// follows the recording's elapsed times.
    package static func replay(
        _ recording: [RecordedExchange],
        transport: any StripeTransport,
        clock: ManualClock?,
        key: @escaping (String) -> String
    ) async -> Report {
        var ids = IDMap()
        var differences: [Difference] = []
        var responses: [(status: Int?, body: String)] = []
        let start = clock?.now()
        var base = 0
        var last = 0
        for exchange in recording {
            if let clock, let start, let elapsed = exchange.elapsedMillis {
                // Sessions appended to one file each start from 0: keep time moving forward across them.
                if elapsed < last { base += last }
                last = elapsed
                let target = start.addingTimeInterval(Double(base + elapsed) / 1000)
                if target > clock.now() { clock.set(target) }
            }
            var headers: [(name: String, value: String)] = exchange.headers.sorted { $0.key < $1.key }
                .map { ($0.key, ids.rewrite($0.value)) }
            if let auth = exchange.auth.authorization(key: exchange.auth.key.map(key)) {
                headers.append(("Authorization", auth))
            }
            var path = ids.rewrite(exchange.path)
            if !exchange.query.isEmpty { path += "?" + ids.rewrite(exchange.query) }
            let body = exchange.body.isEmpty ? nil : ids.rewrite(exchange.body)
            let request = TransportRequest(method: exchange.method, path: path, headers: headers, body: body)
            let label = "\(exchange.method) \(exchange.path)"

            var lines: [String] = []
            do {
                var reply = try await transport.send(request)
                var outcome = judge(exchange, reply, ids)
                // A GET may have run ahead of background work the recorded client waited for (a test clock
                // still advancing): read again for a moment, as that client did, before calling it a difference.
                // Only successful reads are repeated, so a fault rule's counters are not disturbed.
                if exchange.method == "GET", exchange.status == 200, reply.status == 200, !outcome.lines.isEmpty {
                    let deadline = ContinuousClock.now + .seconds(2)
                    while !outcome.lines.isEmpty, reply.status == 200, ContinuousClock.now < deadline {
                        try? await Task.sleep(for: .milliseconds(10))
                        reply = try await transport.send(request)
                        outcome = judge(exchange, reply, ids)
                    }
                }
                responses.append((reply.status, reply.body))
                ids = outcome.ids
                lines = outcome.lines
            } catch {
                responses.append((nil, ""))
                if exchange.dropped == nil {
                    lines.append("recorded: HTTP \(exchange.status ?? 0); replay: \(error)")
                }
            }
            if !lines.isEmpty { differences.append(Difference(seq: exchange.seq, request: label, lines: lines)) }
        }
        return Report(exchanges: recording.count, differences: differences, responses: responses)
    }

    /// Learns the ids a replayed response introduces, then says how it differs from the recorded one (times
    /// normalised).
    private static func judge(
        _ exchange: RecordedExchange,
        _ reply: TransportResponse,
        _ known: IDMap
    )
        -> (ids: IDMap, lines: [String])
    {
        var ids = known
        let replayHead = [reply.header("Request-Id"), reply.header("Original-Request")].compactMap { $0 }
        let recordedHead = ["request-id", "original-request"].compactMap { exchange.responseHeaders[$0] }
        ids.learn(
            recorded: IDMap.tokens(in: (recordedHead + [exchange.responseText]).joined(separator: "\n")),
            replay: IDMap.tokens(in: (replayHead + [reply.body]).joined(separator: "\n"))
        )
        if let dropped = exchange.dropped {
            return (ids, ["recorded: connection dropped (\(dropped)); replay: HTTP \(reply.status)"])
        }
        var lines: [String] = []
        if exchange.status != reply.status {
            lines.append("status: recorded \(exchange.status ?? 0), replay \(reply.status)")
        }
        let a = exchange.responseHeaders["idempotent-replayed"]
        let b = reply.header("Idempotent-Replayed")
        if a != b {
            lines.append("Idempotent-Replayed: recorded \(a ?? "(none)"), replay \(b ?? "(none)")")
        }
        let recorded = Normalise.times(exchange.response ?? .null)
        let mapped = ids.normalise(reply.body)
        let replayed = Normalise.times(JSONValue.parse(mapped) ?? .string(mapped))
        return (ids, lines + JSONCompare.differences(recorded, replayed))
    }

    /// The report as text.
    package static func text(_ report: Report, color: Bool = false) -> String {
        var out = ""
        for d in report.differences {
            out += "\(color ? "\u{1B}[31m✗\u{1B}[0m" : "✗") #\(d.seq) \(d.request)\n"
            for line in d.lines.prefix(12) { out += "    \(line)\n" }
            if d.lines.count > 12 { out += "    … \(d.lines.count - 12) more\n" }
        }
        let n = report.differences.count
        out +=
            n == 0
            ? "replay: \(report.exchanges) exchange\(report.exchanges == 1 ? "" : "s"), identical (ids and times normalised)\n"
            : "replay: \(report.exchanges) exchanges, \(n) differ\(n == 1 ? "s" : "")\n"
        return out
    }
}

// MARK: - Id matching

/// Recorded ids ↔ replayed ids, learned by order of first appearance.
package struct IDMap: Sendable {
    package private(set) var forward: [String: String] = [:]
    package private(set) var backward: [String: String] = [:]

    package init() {}

    /// Pairs the ids first seen in this exchange, in order (same kind only).
    package mutating func learn(recorded: [String], replay: [String]) {
        let newRecorded = recorded.filter { forward[$0] == nil }
        let newReplay = replay.filter { backward[$0] == nil }
        for (r, p) in zip(newRecorded, newReplay) where Self.kind(r) == Self.kind(p) {
            forward[r] = p
            backward[p] = r
        }
    }

    /// An id's prefix; `"#"` for generated codes.
    static func kind(_ token: String) -> Substring { token.contains("_") ? prefix(token) : "#" }

    /// Recorded ids → replay ids (for requests).
    package func rewrite(_ text: String) -> String { Self.replace(text, forward) }

    /// Replay ids → recorded ids (for comparing responses).
    package func normalise(_ text: String) -> String { Self.replace(text, backward) }

    private static func replace(_ text: String, _ map: [String: String]) -> String {
        if map.isEmpty { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var word = ""
        for ch in text.unicodeScalars {
            if isWordScalar(ch) {
                word.unicodeScalars.append(ch)
            } else {
                out += map[word] ?? word
                word = ""
                out.unicodeScalars.append(ch)
            }
        }
        return out + (map[word] ?? word)
    }

    /// The id-like tokens of a text, first appearances in order: words (`[A-Za-z0-9_]+`) made of a lowercase
    /// prefix, `_`, and a rest with a digit or an uppercase letter (`cus_NffrFeUfNV2Hib`, `req_…`,
    /// `pi_…_secret_…`) — which enum values (`invalid_request_error`) never have — and generated codes of 8+
    /// uppercase letters and digits (an invoice prefix).
    package static func tokens(in text: String) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        var word = ""
        func flush() {
            if isID(word), seen.insert(word).inserted { out.append(word) }
            word = ""
        }
        for ch in text.unicodeScalars {
            if isWordScalar(ch) { word.unicodeScalars.append(ch) } else { flush() }
        }
        flush()
        return out
    }

    package static func isID(_ word: String) -> Bool {
        // Generated codes such as an invoice prefix (`PAVCXIBT`): 8+ uppercase letters and digits.
        if word.count >= 8, word.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }),
            word.contains(where: \.isLetter)
        {
            return true
        }
        guard let underscore = word.firstIndex(of: "_"), underscore != word.startIndex else { return false }
        let prefix = word[..<underscore]
        guard prefix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }), prefix.first!.isLetter else {
            return false
        }
        let rest = word[word.index(after: underscore)...]
        return rest.count >= 4 && rest.contains { $0.isNumber || $0.isUppercase }
    }

    static func prefix(_ id: String) -> Substring { id.prefix { $0 != "_" } }

    private static func isWordScalar(_ ch: Unicode.Scalar) -> Bool {
        ch.isASCII && (ch.properties.isAlphabetic || ("0"..."9").contains(ch) || ch == "_")
    }
}

// MARK: - Comparison

package enum Normalise {
    /// Timestamps become `"<time>"`: integers under `created`, `date`, `*_at`, `*_time`, `*_date`, `*_after`,
    /// `*_before`, and RFC 3339 strings anywhere.
    package static func times(_ value: JSONValue, key: String? = nil) -> JSONValue {
        switch value {
        case .int(let i) where i > 100_000_000 && isTimeKey(key):
            return "<time>"
        case .string(let s) where isRFC3339(s):
            return "<time>"
        case .array(let a):
            return .array(a.map { times($0, key: key) })
        case .object(let o):
            return .object(Dictionary(uniqueKeysWithValues: o.map { ($0.key, times($0.value, key: $0.key)) }))
        default:
            return value
        }
    }

    static func isTimeKey(_ key: String?) -> Bool {
        guard let key else { return false }
        return key == "created" || key == "date" || key == "expires" || key.hasSuffix("_at") || key.hasSuffix("_time")
            || key.hasSuffix("_date") || key.hasSuffix("_after") || key.hasSuffix("_before")
    }

    static func isRFC3339(_ s: String) -> Bool {
        s.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#, options: .regularExpression)
            != nil
    }
}

package enum JSONCompare {
    /// Where two JSON values differ, as `$.path: recorded X, replay Y` lines (depth first, sorted keys).
    package static func differences(_ a: JSONValue, _ b: JSONValue, path: String = "$") -> [String] {
        if a == b { return [] }
        switch (a, b) {
        case (.object(let x), .object(let y)):
            var out: [String] = []
            for key in Set(x.keys).union(y.keys).sorted() {
                let p = path + "." + key
                switch (x[key], y[key]) {
                case (let u?, let v?): out += differences(u, v, path: p)
                case (let u?, nil): out.append("\(p): only in the recording (\(show(u)))")
                case (nil, let v?): out.append("\(p): only in the replay (\(show(v)))")
                default: break
                }
            }
            return out
        case (.array(let x), .array(let y)) where x.count == y.count:
            return zip(x, y).enumerated().flatMap { i, pair in differences(pair.0, pair.1, path: "\(path)[\(i)]") }
        case (.array(let x), .array(let y)):
            return ["\(path): recorded \(x.count) elements, replay \(y.count)"]
        default:
            return ["\(path): recorded \(show(a)), replay \(show(b))"]
        }
    }

    static func show(_ v: JSONValue) -> String {
        let s = v.serialized(pretty: false)
        return s.count > 160 ? String(s.prefix(160)) + "…" : s
    }
}
