import Foundation

/// One event on its way to one endpoint (`whdel_`), with every attempt made so far. Created pending in the
/// transaction that writes the event (or by a redeliver), then moved by the dispatcher: `succeeded` on a 2xx,
/// `failed` once the retry schedule is spent (or the endpoint is deleted).
///
/// Deliveries of one *lane* go out strictly in order: the lane is the endpoint, or the endpoint plus
/// `/redeliver` for manual redeliveries (so a redelivery goes out now, beside a retrying original).
package struct WebhookDelivery: StoredResource, Equatable {
    package static let table = "webhookDelivery"
    package static let objectName = "webhook delivery"

    package var id: String
    package var created: Int
    package var event: String
    package var eventType: String
    /// `seq` of the event row: the lane's order.
    package var eventSeq: Int
    package var endpoint: String
    package var url: String
    package var status = Status.pending
    package var attempts: [Attempt] = []
    /// Unix milliseconds (wall time) of the next automatic attempt; 0 = as soon as possible; nil = none.
    package var nextAttemptAt: Int? = 0
    /// A manual redelivery: one attempt, no retries, its own lane.
    package var redelivery = false
    /// To the `--forward-to` target (not counted in the event's `pending_webhooks`).
    package var forwarded = false

    package enum Status: String, Codable, Sendable { case pending, succeeded, failed }

    /// One POST: when, what came back (a status or a transport error), how long it took.
    package struct Attempt: Codable, Sendable, Equatable {
        /// Unix seconds (wall time).
        package var attemptedAt: Int
        package var url: String
        package var statusCode: Int?
        package var error: String?
        package var latencyMs: Int
        /// The first 500 characters of the response body.
        package var responseBodyExcerpt: String?

        package init(
            attemptedAt: Int,
            url: String,
            statusCode: Int?,
            error: String?,
            latencyMs: Int,
            responseBodyExcerpt: String?
        ) {
            self.attemptedAt = attemptedAt
            self.url = url
            self.statusCode = statusCode
            self.error = error
            self.latencyMs = latencyMs
            self.responseBodyExcerpt = responseBodyExcerpt
        }

        package var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    }

    package static let excerptLength = 500

    package var lane: String { redelivery ? endpoint + "/redeliver" : endpoint }

    package var columns: [String: IndexValue] {
        [
            "event": .text(event), "endpoint": .text(endpoint), "lane": .text(lane), "eventSeq": .int(eventSeq),
            "status": .text(status.rawValue), "attemptCount": .int(attempts.count),
            "nextAttemptAt": .int(nextAttemptAt),
        ]
    }

    /// Records an attempt made at `nowMs` (Unix ms) and decides what follows: success, the next retry on
    /// `schedule`, or failure once it is spent (a redelivery is never retried).
    package mutating func record(_ attempt: Attempt, nowMs: Int, schedule: RetrySchedule) {
        attempts.append(attempt)
        guard status == .pending else { return }  // canceled meanwhile (endpoint deleted): history only
        if attempt.succeeded {
            status = .succeeded
            nextAttemptAt = nil
        } else if !redelivery, let delay = schedule.delay(afterAttempt: attempts.count) {
            nextAttemptAt = nowMs + Int(delay.milliseconds)
        } else {
            status = .failed
            nextAttemptAt = nil
        }
    }

    /// Stops a pending delivery whose endpoint went away.
    package mutating func cancel() {
        guard status == .pending else { return }
        status = .failed
        nextAttemptAt = nil
    }

    /// The simulator-only wire shape (`GET /v1/test_helpers/webhook_deliveries`).
    package func render() -> JSONValue {
        [
            "id": .string(id), "object": "test_helpers.webhook_delivery",
            "attempts": .array(
                attempts.map { a in
                    [
                        "attempted_at": .int(a.attemptedAt), "url": .string(a.url),
                        "status_code": .optional(a.statusCode),
                        "error": .optional(a.error), "latency_ms": .int(a.latencyMs),
                        "response_body_excerpt": .optional(a.responseBodyExcerpt),
                    ]
                }
            ),
            "created": .int(created),
            "event": .string(event),
            "event_type": .string(eventType),
            "forwarded": .bool(forwarded),
            "livemode": false,
            // Unix seconds of the next automatic attempt; null when none is scheduled or the first is imminent.
            "next_attempt_at": status == .pending
                ? .optional(nextAttemptAt.flatMap { $0 > 0 ? ($0 + 999) / 1000 : nil }) : .null,
            "pending": .bool(status == .pending),
            "redelivery": .bool(redelivery),
            "status": .string(status.rawValue),
            "url": .string(url),
            "webhook_endpoint": forwarded ? .null : .string(endpoint),
        ]
    }
}

/// Delays between automatic attempts: attempt 1 happens at once, attempt n+1 `delays[n-1]` after attempt n
/// fails; `delays.count + 1` attempts in all.
package struct RetrySchedule: Sendable, Equatable, CustomStringConvertible {
    package var delays: [Duration]

    package init(_ delays: [Duration]) { self.delays = delays }

    /// 1 s, 2 s, 4 s, 8 s, 16 s: six attempts over about half a minute, so tests see retries in seconds
    /// (Stripe's test mode retries over hours).
    package static let `default` = RetrySchedule([.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])

    package var maxAttempts: Int { delays.count + 1 }

    /// The wait after the `attempt`-th failed attempt, or nil when no attempt follows.
    package func delay(afterAttempt attempt: Int) -> Duration? {
        attempt >= 1 && attempt <= delays.count ? delays[attempt - 1] : nil
    }

    /// Parses `1s,2s,4s` (units `ms`, `s`, `m`, `h`; a bare number is seconds); `none` or an empty string: no
    /// retries.
    package static func parse(_ text: String) -> RetrySchedule? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "none" { return RetrySchedule([]) }
        var out: [Duration] = []
        for raw in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let item = raw.trimmingCharacters(in: .whitespaces).lowercased()
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
            var seconds: Double?
            for (suffix, factor) in units where item.hasSuffix(suffix) {
                if let n = Double(item.dropLast(suffix.count)) { seconds = n * factor }
                break
            }
            if seconds == nil, let n = Double(item) { seconds = n }
            guard let s = seconds, s >= 0, s <= 7 * 86_400 else { return nil }
            out.append(.milliseconds(Int64((s * 1000).rounded())))
        }
        return RetrySchedule(out)
    }

    package var description: String {
        delays.isEmpty ? "none" : delays.map(Self.format).joined(separator: ",")
    }

    private static func format(_ d: Duration) -> String {
        let ms = d.milliseconds
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension Duration {
    /// Whole milliseconds.
    package var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
