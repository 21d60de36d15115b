import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers queued webhooks, a background `Service`.
///
/// Stages, on every wake-up (an event was written or a delivery queued — `BackgroundWork.events` —, a retry
/// fell due, a lane finished, or start-up, which resumes whatever an earlier run left pending):
/// 1. read the head of every lane (`AppDatabase.webhookLaneHeads`: the oldest pending delivery per endpoint);
/// 2. start a task for each due lane not already running; it sends the lane's deliveries one after the other,
///    strictly in event order, while they are due (`drain`);
/// 3. sleep until the earliest future retry or the next wake-up.
///
/// Lanes run concurrently, so a slow endpoint never holds up another, and API requests only ever queue rows.
/// Each attempt is signed afresh (new `t`), recorded (time, status or error, latency, response excerpt, next
/// retry) and logged at info level without the secret. Times here are wall time (`AppDependencies.wallClock`):
/// receivers compare `t` with their own clock, so retries of events on a test clock follow wall time too.
package struct WebhookDispatcher: Service, CustomStringConvertible {
    /// The name ServiceLifecycle logs the service by (it interpolates the service: without this, a reflection of
    /// every dependency, bank fixtures included — hundreds of kilobytes built at every start).
    package var description: String { "WebhookDispatcher" }

    let deps: AppDependencies
    let schedule: RetrySchedule
    let timeout: Duration

    package static let userAgent = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    package static let contentType = "application/json; charset=utf-8"

    package init(deps: AppDependencies, schedule: RetrySchedule = .default, timeout: Duration = .seconds(10)) {
        self.deps = deps
        self.schedule = schedule
        self.timeout = timeout
    }

    package func run() async throws {
        if let transport = deps.webhookTransport {
            await dispatch(using: transport)
        } else {
            let transport = HTTPWebhookTransport(timeout: timeout)
            await dispatch(using: transport)
            await transport.shutdown()
        }
    }

    private func dispatch(using transport: any WebhookTransport) async {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let running = RunningLanes()
        let events = deps.background.eventStream
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in events.cancelOnGracefulShutdown() { wake.yield() }
            }
            wake.yield()  // start-up: resume what an earlier run left pending
            var timer: ContinuousClock.Instant?
            for await _ in wakeups.cancelOnGracefulShutdown() {
                let heads: [WebhookLaneHead]
                do {
                    heads = try await deps.database.webhookLaneHeads()
                } catch {
                    deps.logger.error("webhook queue unreadable: \(error)")
                    continue
                }
                let now = nowMs()
                var nextDue: Int?
                for head in heads {
                    if head.nextAttemptAt <= now {
                        guard running.claim(head.lane) else { continue }
                        group.addTask {
                            await drain(lane: head.lane, transport)
                            running.release(head.lane)
                            wake.yield()
                        }
                    } else {
                        nextDue = min(nextDue ?? .max, head.nextAttemptAt)
                    }
                }
                if let nextDue {
                    let at = ContinuousClock.now + .milliseconds(nextDue - now + 2)
                    if timer.map({ at < $0 || $0 <= .now }) ?? true {
                        timer = at
                        group.addTask {
                            try? await Task.sleep(until: at, clock: .continuous)
                            wake.yield()
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Sends `lane`'s due deliveries in order until none is due (a failure schedules a retry, which ends the
    /// run: the lane's later deliveries wait behind it).
    func drain(lane: String, _ transport: any WebhookTransport) async {
        while !Task.isCancelled {
            let job: WebhookJob?
            do {
                job = try await deps.database.nextWebhookJob(lane: lane, nowMs: nowMs()) { account in
                    StoreContext(account: account, now: deps.clock.unixNow, ids: deps.ids)
                }
            } catch {
                deps.logger.error("webhook lane \(lane) unreadable: \(error)")
                return
            }
            guard let job else { return }
            await attempt(job, transport)
        }
    }

    /// One signed POST of `job`, recorded and logged.
    func attempt(_ job: WebhookJob, _ transport: any WebhookTransport) async {
        let startedMs = nowMs()
        let timestamp = startedMs / 1000
        let request = WebhookRequest(
            url: job.url,
            headers: [
                ("Content-Type", Self.contentType), ("User-Agent", Self.userAgent),
                ("Accept", "*/*; q=0.5, application/xml"),
                ("Cache-Control", "no-cache"),
                (
                    "Stripe-Signature",
                    WebhookSignature.header(payload: job.payload, secret: job.secret, timestamp: timestamp)
                ),
            ],
            body: job.payload,
            timeout: timeout
        )
        let started = ContinuousClock.now
        let response = await transport.send(request)
        // Stopping mid-attempt: leave the delivery pending, untouched; the next start sends it again.
        if Task.isCancelled { return }
        let latency = Int((ContinuousClock.now - started).milliseconds)
        var attempt = WebhookDelivery.Attempt(
            attemptedAt: timestamp,
            url: job.url,
            statusCode: nil,
            error: nil,
            latencyMs: latency,
            responseBodyExcerpt: nil
        )
        switch response {
        case .response(let status, let excerpt):
            attempt.statusCode = status
            attempt.responseBodyExcerpt = excerpt
            if !(200..<300).contains(status) { attempt.error = "HTTP \(status)" }
        case .failure(let reason):
            attempt.error = reason
        }
        let finishedMs = nowMs()
        let context = StoreContext(account: job.account, now: deps.clock.unixNow, ids: deps.ids)
        do {
            let updated = try await deps.database.recordWebhookAttempt(
                job,
                attempt,
                nowMs: finishedMs,
                schedule: schedule,
                context: context
            )
            log(job, attempt, updated ?? job.delivery, finishedMs)
        } catch {
            deps.logger.error("webhook \(job.delivery.id): could not record attempt \(job.attemptNumber): \(error)")
        }
    }

    private func log(_ job: WebhookJob, _ attempt: WebhookDelivery.Attempt, _ delivery: WebhookDelivery, _ nowMs: Int) {
        let target = delivery.forwarded ? "forward" : delivery.endpoint
        let outcome = attempt.statusCode.map { "HTTP \($0)" } ?? (attempt.error ?? "no response")
        let max = delivery.redelivery ? 1 : schedule.maxAttempts
        var next: String
        switch delivery.status {
        case .succeeded: next = "delivered"
        case .failed: next = "failed for good"
        case .pending:
            let wait = (delivery.nextAttemptAt ?? nowMs) - nowMs
            next = "retry in \(RetrySchedule([.milliseconds(Swift.max(0, wait))]).description)"
        }
        if delivery.redelivery { next += " (redelivery)" }
        deps.logger.info(
            "webhook \(job.delivery.event) \(job.delivery.eventType) -> \(target) \(Self.redacted(job.url)) attempt \(job.attemptNumber)/\(max): \(outcome) in \(attempt.latencyMs)ms; \(next) [\(delivery.id)]"
        )
    }

    /// A URL for the log: a password in it (`https://user:pass@host/…`) is masked.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "****"
        return components.string ?? url
    }

    private func nowMs() -> Int { Int((deps.wallClock.now().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// The lanes being drained (a lane never has two senders).
private final class RunningLanes: Sendable {
    private let lanes = Mutex<Set<String>>([])
    func claim(_ lane: String) -> Bool { lanes.withLock { $0.insert(lane).inserted } }
    func release(_ lane: String) { _ = lanes.withLock { $0.remove(lane) } }
}
