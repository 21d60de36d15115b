import Foundation
import Logging
import ServiceLifecycle

/// Finishes test-clock advances in the background, as Stripe does ("advancing", then "ready" a moment later):
/// runs what fell due up to the target time, then moves `frozen_time` and emits `test_helpers.test_clock.ready`.
/// Clocks left advancing by a crash are resumed at start.
package struct TestClockAdvancer: Service, CustomStringConvertible {
    /// The name ServiceLifecycle logs the service by (it interpolates the service: without this, a reflection of
    /// every dependency, bank fixtures included — hundreds of kilobytes built at every start).
    package var description: String { "TestClockAdvancer" }

    let deps: AppDependencies
    let scheduler: Scheduler

    package init(deps: AppDependencies, scheduler: Scheduler) {
        self.deps = deps
        self.scheduler = scheduler
    }

    package func run() async throws {
        for ref in try await deps.database.advancingClocks() { await complete(ref) }
        for await ref in deps.background.clockAdvanceStream.cancelOnGracefulShutdown() {
            await complete(ref)
        }
    }

    /// Completes one advance (tests call it directly).
    package func complete(_ ref: ClockRef) async {
        let context = deps.storeContext(account: ref.account)
        do {
            // Everything that fell due on the clock runs first, in time order, each at its own clock time.
            let target = try await deps.database.read(context) { store in
                try store.find(TestClock.self, ref.id)?.targetFrozenTime
            }
            if let target { await scheduler.runClock(ref, untilSeconds: target) }
            let (_, signals) = try await deps.database.write(context) { store in
                guard var clock = try store.find(TestClock.self, ref.id), clock.status == .advancing, !clock.deleted
                else { return }
                clock.finishAdvance()
                try store.update(clock)
                // Webhook retries follow the clock: it has passed their retry times.
                try store.fastForwardWebhookRetries(clock: clock.id)
                try store.emit("test_helpers.test_clock.ready", clock.render(), automatic: true)
            }
            deps.dispatch(signals)
        } catch {
            deps.logger.error("test clock \(ref.id) failed to advance: \(error)")
        }
    }
}
