import Foundation
import Logging
import ServiceLifecycle

/// What runs a job kind. Runs inside the job's transaction; may schedule follow-up jobs.
package typealias JobHandler = @Sendable (Store, Job) throws -> Void

/// Runs due jobs: wall-clock jobs as their time comes (a `Service` loop that sleeps until the next due time or a
/// wake-up), test-clock jobs when their clock is advanced (`runClock`). Each job runs in one transaction with
/// its effects and its own removal, so a crash re-runs it at most once and never half-applies it.
package struct Scheduler: Service, CustomStringConvertible {
    /// The name ServiceLifecycle logs the service by (it interpolates the service: without this, a reflection of
    /// every dependency, bank fixtures included — hundreds of kilobytes built at every start).
    package var description: String { "Scheduler" }

    let deps: AppDependencies
    let handlers: [String: JobHandler]
    /// The longest the loop sleeps without checking (keeps manual-clock tests and clock drift honest).
    var maxSleep: Duration = .milliseconds(200)

    package init(deps: AppDependencies, handlers: [String: JobHandler]) {
        self.deps = deps
        self.handlers = handlers
    }

    package func run() async throws {
        let deps = self.deps
        let maxSleep = self.maxSleep
        await withTaskGroup(of: Void.self) { group in
            // The ticker rings when the next job falls due (or every `maxSleep`, for clock drift).
            group.addTask {
                while !Task.isCancelled {
                    var sleep = maxSleep
                    if let next = try? await deps.database.nextDueMillis() {
                        sleep = min(maxSleep, .milliseconds(max(1, next - Self.millis(deps.clock.now()))))
                    }
                    try? await Task.sleep(for: sleep)
                    deps.background.jobs.yield(())
                }
            }
            group.addTask {
                for await _ in deps.background.jobStream.cancelOnGracefulShutdown() { await runDue() }
            }
            _ = await group.next()
            group.cancelAll()
        }
    }

    /// Runs every wall-clock job due now (tests call it directly).
    package func runDue() async {
        while let jobs = try? await deps.database.dueJobs(nowMillis: Self.millis(deps.clock.now())), !jobs.isEmpty {
            for job in jobs { await execute(job, nowSeconds: deps.clock.unixNow) }
        }
    }

    /// Runs a test clock's jobs due by `untilSeconds`, in due order, each at its own simulated time.
    package func runClock(_ clock: ClockRef, untilSeconds: Int) async {
        while let job = try? await deps.database.nextClockJob(clock, untilMillis: untilSeconds * 1000) {
            await execute(job, nowSeconds: job.dueAtMillis / 1000)
        }
    }

    private func execute(_ job: Job, nowSeconds: Int) async {
        var context = deps.storeContext(account: job.account, atSeconds: job.testClock == nil ? nil : nowSeconds)
        context.runningClock = job.testClock
        let handler = handlers[job.kind]
        do {
            let (_, signals) = try await deps.database.write(context) { store in
                // The job may have been canceled or run already.
                guard try store.jobs(target: job.target).contains(where: { $0.seq == job.seq }) else { return }
                try store.finish(job)
                try handler?(store, job)
            }
            deps.dispatch(signals)
        } catch {
            deps.logger.error("job \(job.kind) for \(job.target) failed: \(error)")
            // Drop it so a poisoned job cannot wedge the queue; the failure is logged.
            _ = try? await deps.database.write(context) { store in try store.finish(job) }
        }
    }

    package static func millis(_ d: Date) -> Int { Int((d.timeIntervalSince1970 * 1000).rounded(.down)) }
}
